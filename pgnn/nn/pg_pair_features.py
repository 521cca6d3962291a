"""Point-group features of an atom pair (i, j, R), the input of the hopping-block map `PGHamiltonianBlock`.

    p_ij(R) = [ g^e_(k, c) F_k(r),  g^i_(t, c) x_i,  g^j_(t, c) x_j ]      r = r_j + R - r_i (standard frame of G)

F: the point-group edge features of r (`pg_edge_features`, harmonic or group-averaged), each irrep copy k taken
`channels` times; x_i, x_j: the node features of the two atoms (layout `node_irreps`); every channel is scaled by a
learned invariant gate g = MLP([Bessel(|r|), trivial channels of x_i, trivial channels of x_j]). Gates are
G-invariant, so p_ij transforms as irreps_out = channels x (copies of F) + node_irreps + node_irreps:
r -> R_g r, x -> D(g) x  =>  p -> D_out(g) p (exactly).

forward(x [N, node.dim], pair_i [P], pair_j [P], edge_feat [P, edge.dim], length [P]) -> [P, irreps_out.dim].
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from pgnn.groups.layout import PGIrreps
from pgnn.nn.radial import BesselBasis


class PGPairFeatures(nn.Module):
    """Gated pair features (see module docstring). cutoff (Angstrom) sets the Bessel basis of |r|."""

    def __init__(self, node_irreps: PGIrreps, edge_irreps: PGIrreps, channels: int = 8, cutoff: float = 6.0,
                 n_basis: int = 8, hidden: int = 64) -> None:
        super().__init__()
        G = node_irreps.group
        self.node_irreps, self.edge_irreps = node_irreps, edge_irreps
        triv = G.trivial_irrep
        sc = [sl.start + np.arange(mul) for (mul, name), sl in zip(node_irreps.terms, node_irreps.slices())
              if name == triv]  # trivial channels: d = 1, so channel c sits at start + c
        self.register_buffer("scalar_idx", torch.as_tensor(np.concatenate(sc) if sc else np.zeros(0, int)),
                             persistent=False)
        copies = edge_irreps.copies()
        comp, gate = [], []
        for k, (name, start) in enumerate(copies):
            d = edge_irreps.irrep_dim(name)
            for c in range(channels):
                comp.extend(start + np.arange(d))
                gate.extend([k * channels + c] * d)
        n_edge_gates = len(copies) * channels
        node_gate = []
        g0 = 0
        for (mul, name), sl in zip(node_irreps.terms, node_irreps.slices()):
            d = node_irreps.irrep_dim(name)
            node_gate.extend(np.repeat(g0 + np.arange(mul), d))
            g0 += mul
        self.n_node_gates = g0
        self.register_buffer("edge_comp", torch.as_tensor(np.asarray(comp, dtype=np.int64)), persistent=False)
        self.register_buffer("edge_gate", torch.as_tensor(np.asarray(gate, dtype=np.int64)), persistent=False)
        self.register_buffer("node_gate", torch.as_tensor(np.asarray(node_gate, dtype=np.int64)), persistent=False)
        self.n_edge_gates = n_edge_gates
        self.irreps_out = PGIrreps(G, [(channels, name) for name, _ in copies]) + node_irreps + node_irreps
        self.radial = BesselBasis(cutoff, n_basis, unit_argument=True)
        n_in = n_basis + 2 * len(self.scalar_idx)
        self.mlp = nn.Sequential(nn.Linear(n_in, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                 nn.Linear(hidden, n_edge_gates + 2 * g0))

    def forward(self, x, pair_i, pair_j, edge_feat, length) -> torch.Tensor:
        s = x[:, self.scalar_idx]
        inv = torch.cat([self.radial(length), s[pair_i], s[pair_j]], dim=-1)
        g = self.mlp(inv)
        ge, gi, gj = g.split([self.n_edge_gates, self.n_node_gates, self.n_node_gates], dim=-1)
        fe = edge_feat[:, self.edge_comp] * ge[:, self.edge_gate]
        fi = x[pair_i] * gi[:, self.node_gate]
        fj = x[pair_j] * gj[:, self.node_gate]
        return torch.cat([fe, fi, fj], dim=-1)
