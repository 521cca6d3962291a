"""O(3)-equivariant point convolution of the tensor-field-network / NequIP kind, built on e3nn.

One layer, for node features x [N, irreps_in] on a graph with edges j -> i (row 0 of edge_index = neighbour j,
row 1 = centre i) and edge vectors r_ij [E, 3] (Angstrom):

    Y_ij  = SH_{l<=l_max}(r_ij / |r_ij|)                         real spherical harmonics, irreps 0e+1o+2e+...
    w_ij  = MLP(Bessel(|r_ij|) * u(|r_ij|))                       learned radial weights, u = polynomial cutoff
    m_i   = (1/sqrt(avg_num_neighbors)) sum_j TP_w_ij(x_j, Y_ij)  weighted "uvu" tensor product, index_add_
    h_i   = Linear(m_i) + Linear_self(x_i)                        self-interaction
    out_i = Gate(h_i) (+ x_i when residual and the layouts agree)

The layer is exactly O(3)-equivariant (rotations and inversion): with x -> D_in(g) x and r -> g r,
out -> D_out(g) out. Radial weights depend on |r| only, and the cutoff makes every message go smoothly to zero at
`cutoff`.
"""

from __future__ import annotations

import torch
from e3nn import nn as enn
from e3nn import o3
from torch import nn

from pgnn.nn.radial import BesselBasis, polynomial_cutoff


class RadialEmbedding(nn.Module):
    """Edge length d [E] (Angstrom) -> [E, num_basis] Bessel basis times NequIP's polynomial cutoff (p = 6)."""

    def __init__(self, cutoff: float, num_basis: int = 8, p: int = 6):  # cutoff (Angstrom): from the model
        super().__init__()
        self.basis = BesselBasis(cutoff=cutoff, num=num_basis)
        self.cutoff = float(cutoff)
        self.p = p
        self.num_basis = num_basis

    def forward(self, d: torch.Tensor) -> torch.Tensor:
        return self.basis(d) * polynomial_cutoff(d, self.cutoff, self.p).unsqueeze(-1)


def gate_for(irreps_out: o3.Irreps) -> enn.Gate:
    """The e3nn Gate whose output is `irreps_out`: silu on 0e, tanh on 0o, sigmoid-gated l > 0 irreps.

    Its `irreps_in` is irreps_out's scalars + one 0e gate per gated irrep + the gated irreps.
    """
    irreps_out = o3.Irreps(irreps_out)
    scalars = o3.Irreps([(mul, ir) for mul, ir in irreps_out if ir.l == 0])
    gated = o3.Irreps([(mul, ir) for mul, ir in irreps_out if ir.l > 0])
    act = {1: torch.nn.functional.silu, -1: torch.tanh}
    gates = o3.Irreps(f"{gated.num_irreps}x0e") if gated.num_irreps else o3.Irreps("")
    return enn.Gate(
        scalars, [act[ir.p] for _, ir in scalars],
        gates, [torch.sigmoid] * len(gates),
        gated,
    )


class O3Conv(nn.Module):
    """One TFN/NequIP interaction block.

    Args:
        irreps_in: node feature layout in (e.g. "32x0e+16x1o+16x2e").
        irreps_out: node feature layout out. With gate=True it is the Gate's output (l > 0 irreps gated by
            sigmoid 0e gates, 0e through silu, 0o through tanh); with gate=False the layer is linear after the
            tensor product (used for the read-out layer that produces e.g. "16x0e+16x2e+16x4e").
        irreps_sh: spherical-harmonic layout of the edge (o3.Irreps.spherical_harmonics(l_max)).
        num_basis: Bessel functions; radial_hidden: width of the radial MLP (two hidden layers, silu).
        cutoff: Angstrom. avg_num_neighbors: the aggregation divides by its square root.
        residual: add x when irreps_in == irreps_out.

    forward(x [N, irreps_in.dim], edge_index [2, E], edge_sh [E, irreps_sh.dim], edge_radial [E, num_basis],
            avg_num_neighbors=None (a float or 0-dim tensor overriding the constructor's value))
        -> [N, irreps_out.dim]
    """

    def __init__(
        self,
        irreps_in,
        irreps_out,
        irreps_sh,
        num_basis: int = 8,
        radial_hidden: int = 32,
        avg_num_neighbors: float = 12.0,
        gate: bool = True,
        residual: bool = True,
        n_classes: int = 0,
    ):
        super().__init__()
        self.irreps_in = o3.Irreps(irreps_in).simplify()
        self.irreps_out = o3.Irreps(irreps_out).simplify()
        self.irreps_sh = o3.Irreps(irreps_sh)
        self.gate = gate_for(self.irreps_out) if gate else None
        irreps_pre = self.gate.irreps_in if gate else self.irreps_out  # what the linear layers must produce
        wanted = {ir for _, ir in irreps_pre}

        mid, instructions = [], []
        for i, (mul, ir_in) in enumerate(self.irreps_in):
            for j, (_, ir_sh) in enumerate(self.irreps_sh):
                for ir_out in ir_in * ir_sh:
                    if ir_out in wanted:
                        instructions.append((i, j, len(mid), "uvu", True))
                        mid.append((mul, ir_out))
        if not mid:
            raise ValueError(f"no tensor-product path from {self.irreps_in} x {self.irreps_sh} to {irreps_pre}")
        irreps_mid = o3.Irreps(mid)
        irreps_mid_sorted, perm, _ = irreps_mid.sort()
        instructions = [(a, b, perm[c], mode, w) for a, b, c, mode, w in instructions]
        self.tp = o3.TensorProduct(
            self.irreps_in, self.irreps_sh, irreps_mid_sorted, instructions,
            shared_weights=False, internal_weights=False,
        )
        self.irreps_mid = irreps_mid_sorted
        self.radial = enn.FullyConnectedNet(
            [num_basis, radial_hidden, radial_hidden, self.tp.weight_numel], torch.nn.functional.silu
        )
        self.linear_pre = o3.Linear(self.irreps_in, self.irreps_in)
        self.n_classes = int(n_classes)
        if self.n_classes:  # one weight set per site class of the receiving atom (seed 002)
            self.linear_post = nn.ModuleList(o3.Linear(self.irreps_mid, irreps_pre) for _ in range(self.n_classes))
            self.self_interaction = nn.ModuleList(o3.Linear(self.irreps_in, irreps_pre)
                                                  for _ in range(self.n_classes))
        else:
            self.linear_post = o3.Linear(self.irreps_mid, irreps_pre)
            self.self_interaction = o3.Linear(self.irreps_in, irreps_pre)
        self.norm = float(avg_num_neighbors) ** -0.5
        self.residual = residual and self.irreps_in == self.irreps_out

    def forward(self, x, edge_index, edge_sh, edge_radial, avg_num_neighbors=None, node_class=None):
        """node_class [N] long in 0..n_classes-1 (weight slot of each atom): needed when n_classes > 0."""
        src, dst = edge_index[0], edge_index[1]
        h = self.linear_pre(x)
        msg = self.tp(h[src], edge_sh, self.radial(edge_radial))
        agg = torch.zeros(x.shape[0], msg.shape[1], dtype=msg.dtype, device=msg.device)
        agg.index_add_(0, dst, msg)
        norm = self.norm if avg_num_neighbors is None else avg_num_neighbors**-0.5
        if self.n_classes:
            if node_class is None:
                raise ValueError("O3Conv with site classes needs node_class (graphs built with site_classes)")
            out = None
            for k in torch.unique(node_class).tolist():
                rows = torch.nonzero(node_class == k).reshape(-1)
                part = self.linear_post[k](agg[rows] * norm) + self.self_interaction[k](x[rows])
                if out is None:
                    out = part.new_zeros(x.shape[0], part.shape[1])
                out = out.index_copy(0, rows, part)
        else:
            out = self.linear_post(agg * norm) + self.self_interaction(x)
        if self.gate is not None:
            out = self.gate(out)
        return x + out if self.residual else out
