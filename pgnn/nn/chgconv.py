"""CHGConv: the CGConv gated update generalized to hyperedges of any size and several hyperedge types.

For atom i, hyperedges h containing it (of every type t, each type with its own filter weights):

    x_i <- softplus(x_i + BN(sum_t sum_{h ni i} M_t(x_i, h, {x_w : w in h})))

with a gated message sigma(W_c z) * softplus(W_f z) (CGCNN). Three message strategies for hyperedges of variable
size (seed 003, fig. 4), chosen by `strategy`:

  "aggregate"  aggregate the members, then one message: z = [x_i, h, AGG_{w in h} x_w];
  "pairwise"   one message per other member, then aggregate: z_w = [x_i, h, x_w], M = W_o AGG_{w in h, w != i} m(z_w)
               (with two members this is CGConv's message on the bond);
  "two_stage"  the hyperedge as a node: first members -> hyperedge, u_h = [h, AGG_{w in h} m1([x_w, h])],
               then hyperedge -> member, z = [x_i, u_h].

AGG is "mean", "max", "min", "std" or several joined by commas ("mean,max,std"), concatenated.
Only torch index_add_ / scatter_reduce are used. Invariant: the layer sees only invariant hyperedge features.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

AGGREGATIONS = ("mean", "max", "min", "std")
STRATEGIES = ("aggregate", "pairwise", "two_stage")


def parse_agg(agg: str | list[str]) -> list[str]:
    """"mean,max" or ["mean", "max"] -> ["mean", "max"] (validated)."""
    names = [a.strip() for a in (agg.split(",") if isinstance(agg, str) else agg) if a.strip()]
    bad = [a for a in names if a not in AGGREGATIONS]
    if not names or bad:
        raise ValueError(f"aggregation must be one or more of {AGGREGATIONS}, got {agg!r}")
    return names


def segment_aggregate(values: torch.Tensor, index: torch.Tensor, num: int, how: list[str]) -> torch.Tensor:
    """Aggregate rows of values [I, F] into `num` segments by index [I]; -> [num, F * len(how)].

    Empty segments give 0. std = sqrt(var + 1e-8) (population variance).
    """
    Fdim = values.shape[1]
    raw = torch.zeros(num, dtype=values.dtype, device=values.device).index_add_(
        0, index, torch.ones_like(index, dtype=values.dtype))[:, None]
    counts = raw.clamp_min(1.0)
    out = []
    mean = None
    idx = index[:, None].expand(-1, Fdim)
    for a in how:
        if a in ("mean", "std") and mean is None:
            mean = values.new_zeros(num, Fdim).index_add_(0, index, values) / counts
        if a == "mean":
            out.append(mean)
        elif a == "std":
            sq = values.new_zeros(num, Fdim).index_add_(0, index, values * values) / counts
            out.append(torch.sqrt((sq - mean * mean).clamp_min(0.0) + 1e-8) * (raw > 0))
        else:
            red = "amax" if a == "max" else "amin"
            out.append(values.new_zeros(num, Fdim).scatter_reduce(0, idx, values, reduce=red, include_self=False))
    return torch.cat(out, dim=1)


class _Gate(nn.Module):
    """z [I, in_dim] -> sigmoid(BN(W_c z)) * softplus(BN(W_f z)) [I, out_dim] (CGCNN's gated filter)."""

    def __init__(self, in_dim: int, out_dim: int):
        super().__init__()
        self.linear = nn.Linear(in_dim, 2 * out_dim)
        self.bn = nn.BatchNorm1d(2 * out_dim)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        gate, core = self.bn(self.linear(z)).chunk(2, dim=-1)
        return torch.sigmoid(gate) * F.softplus(core)


class CHGConv(nn.Module):
    """One crystal hypergraph convolution over several hyperedge types.

    node_dim: F, width of atom features; edge_dims: {type: D_t} widths of hyperedge features.
    forward(x [N, F], hyperedges {type: (h [H_t, D_t], incidence [2, I_t] (row 0 atom, row 1 hyperedge))})
    -> [N, F].
    """

    def __init__(self, node_dim: int, edge_dims: dict[str, int], agg: str | list[str] = "mean",
                 strategy: str = "aggregate"):
        super().__init__()
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
        self.agg = parse_agg(agg)
        self.strategy = strategy
        k = len(self.agg)
        self.gates = nn.ModuleDict()
        self.extra = nn.ModuleDict()
        for t, d in edge_dims.items():
            if strategy == "aggregate":
                self.gates[t] = _Gate(node_dim + d + k * node_dim, node_dim)
            elif strategy == "pairwise":
                self.gates[t] = _Gate(2 * node_dim + d, node_dim)
                self.extra[t] = nn.Linear(k * node_dim, node_dim)
            else:
                self.extra[t] = _Gate(node_dim + d, node_dim)  # member -> hyperedge
                self.gates[t] = _Gate(node_dim + d + k * node_dim, node_dim)  # hyperedge -> member
        self.bn = nn.BatchNorm1d(node_dim)

    def _messages(self, t: str, x: torch.Tensor, h: torch.Tensor, inc: torch.Tensor) -> torch.Tensor:
        """[I, F] message to the atom of every incidence of type t."""
        atom, edge = inc[0], inc[1]
        H = h.shape[0]
        if self.strategy == "aggregate":
            members = segment_aggregate(x[atom], edge, H, self.agg)
            return self.gates[t](torch.cat([x[atom], h[edge], members[edge]], dim=1))
        if self.strategy == "two_stage":
            to_edge = self.extra[t](torch.cat([x[atom], h[edge]], dim=1))
            u = segment_aggregate(to_edge, edge, H, self.agg)
            return self.gates[t](torch.cat([x[atom], h[edge], u[edge]], dim=1))
        # pairwise: ordered pairs (p, q) of distinct incidences of the same hyperedge
        p, q = _incidence_pairs(edge, H)
        m = self.gates[t](torch.cat([x[atom[p]], h[edge[p]], x[atom[q]]], dim=1))
        per_inc = segment_aggregate(m, p, atom.shape[0], self.agg)
        return self.extra[t](per_inc)

    def forward(self, x: torch.Tensor, hyperedges: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        total = torch.zeros_like(x)
        for t, (h, inc) in hyperedges.items():
            if inc.shape[1] == 0:
                continue
            total = total.index_add(0, inc[0], self._messages(t, x, h, inc))
        return F.softplus(x + self.bn(total))


def _incidence_pairs(edge: torch.Tensor, num_edges: int) -> tuple[torch.Tensor, torch.Tensor]:
    """All ordered pairs (p, q), p != q, of incidences sharing a hyperedge. edge [I] -> (p [P], q [P])."""
    order = torch.argsort(edge, stable=True)
    counts = torch.bincount(edge, minlength=num_edges)
    starts = torch.cumsum(counts, 0) - counts
    c_of = counts[edge[order]]  # size of the hyperedge of each (sorted) incidence
    # for sorted incidence s in hyperedge e: partners are starts[e] .. starts[e] + c - 1
    p_sorted = torch.repeat_interleave(torch.arange(edge.shape[0], device=edge.device), c_of)
    first = starts[edge[order]]
    offs = torch.arange(p_sorted.shape[0], device=edge.device) - torch.repeat_interleave(
        torch.cumsum(c_of, 0) - c_of, c_of)
    q_sorted = torch.repeat_interleave(first, c_of) + offs
    keep = q_sorted != p_sorted
    return order[p_sorted[keep]], order[q_sorted[keep]]
