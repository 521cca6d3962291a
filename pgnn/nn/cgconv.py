"""CGConv, the crystal graph convolution of CGCNN (Xie & Grossman, PRL 120, 145301 (2018), eq. 5)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class CGConv(nn.Module):
    """v_i <- softplus(v_i + BN(sum_j sigmoid(z_ij W_f + b_f) * softplus(z_ij W_s + b_s))), z_ij = [v_i, v_j, e_ij].

    x [N, node_dim], edge_index [2, E] (row 0 = neighbour j, row 1 = centre i), edge_attr [E, edge_dim]
    -> [N, node_dim]. Invariant: it only sees node features and edge features of distances.
    """

    def __init__(self, node_dim: int, edge_dim: int):
        super().__init__()
        self.linear = nn.Linear(2 * node_dim + edge_dim, 2 * node_dim)
        self.bn_edge = nn.BatchNorm1d(2 * node_dim)
        self.bn_node = nn.BatchNorm1d(node_dim)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor) -> torch.Tensor:
        src, dst = edge_index
        z = self.linear(torch.cat([x[dst], x[src], edge_attr], dim=-1))
        gate, core = self.bn_edge(z).chunk(2, dim=-1)
        messages = torch.sigmoid(gate) * F.softplus(core)
        agg = torch.zeros_like(x).index_add_(0, dst, messages)
        return F.softplus(x + self.bn_node(agg))
