"""O(3)-equivariant Hamiltonian blocks (the DeepH-E3 idea, on e3nn).

A block between shells of degrees l_a, l_b transforms as D^{l_a} H D^{l_b T}, i.e. as l_a (x) l_b =
sum_(L = |l_a - l_b|..l_a + l_b) L with parity (-1)^(l_a + l_b). `O3BlockHead(irreps_in, slots)` maps e3nn
features [M, irreps_in.dim] by `o3.Linear` to one copy of every such L for every pair of slots (up to L = 4 for
d-d, 6 for f-f), and takes them back to the real-orbital block with Wigner 3j (Clebsch-Gordan) coefficients:

    H[a, b][m1, m2] = sum_L sqrt(2L + 1) sum_M C^(l_a l_b L)_(m1 m2 M) y_(ab, L, M)

in e3nn's real-harmonic order, the same as the orbitals (`pgnn.hamiltonians.basis`). An L missing from irreps_in
(e.g. L = 3, 4 when the features stop at l_max = 2) gives no path: that part of the block is zero.

`O3PairFeatures`: [g^e_(l, c) Y_l(r), g^i_(t, c) x_i, g^j_(t, c) x_j] with invariant gates g = MLP([Bessel(|r|),
0e channels of x_i and x_j]), irreps_out = channels x Y_0..Y_l_max + irreps_x + irreps_x.
forward(x [N, irreps_x.dim], pair_i [P], pair_j [P], vec [P, 3]) -> [P, irreps_out.dim].
"""

from __future__ import annotations

import math

import numpy as np
import torch
from e3nn import o3
from torch import nn

from pgnn.hamiltonians.pairs import slot_ls
from pgnn.nn.radial import BesselBasis


def block_irreps(slots: str) -> tuple[o3.Irreps, list[tuple[int, int, int, int, int]]]:
    """(irreps of all slot-pair blocks, [(row offset, col offset, l_a, l_b, L) per output irrep])."""
    ls = slot_ls(slots)
    off = np.concatenate([[0], np.cumsum([2 * l + 1 for l in ls])]).astype(int)
    irreps, where = [], []
    for a, la in enumerate(ls):
        for b, lb in enumerate(ls):
            for L in range(abs(la - lb), la + lb + 1):
                irreps.append((1, (L, (-1) ** (la + lb))))
                where.append((int(off[a]), int(off[b]), la, lb, L))
    return o3.Irreps(irreps), where


class O3BlockHead(nn.Module):
    """e3nn features -> padded orbital blocks [M, n, n] (see module docstring); symmetric: (H + H^T) / 2."""

    def __init__(self, irreps_in, slots: str, symmetric: bool = False) -> None:
        super().__init__()
        self.irreps_in = o3.Irreps(irreps_in)
        listed, where = block_irreps(slots)
        # one o3.Linear to the merged layout (one term per irrep type: far fewer e3nn instructions than one per
        # (slot pair, L)); copy c of irrep ir sits at start(ir) + c * dim(ir)
        kinds = sorted({ir for _, ir in listed})
        count = {ir: sum(1 for _, j in listed if j == ir) for ir in kinds}
        self.irreps_out = o3.Irreps([(count[ir], ir) for ir in kinds])
        start = dict(zip(kinds, [s.start for s in self.irreps_out.slices()]))
        self.n = int(sum(2 * l + 1 for l in slot_ls(slots)))
        self.linear = o3.Linear(self.irreps_in, self.irreps_out)
        M = np.zeros((self.irreps_out.dim, self.n * self.n))
        used = {ir: 0 for ir in kinds}
        for (_, ir), (r0, c0, la, lb, L) in zip(listed, where):
            o = start[ir] + used[ir] * ir.dim
            used[ir] += 1
            C = o3.wigner_3j(la, lb, L, dtype=torch.float64).numpy() * math.sqrt(2 * L + 1)  # [2la+1, 2lb+1, 2L+1]
            for m1 in range(2 * la + 1):
                for m2 in range(2 * lb + 1):
                    M[o:o + 2 * L + 1, (r0 + m1) * self.n + c0 + m2] = C[m1, m2]
        self.register_buffer("cg", torch.as_tensor(M, dtype=torch.float64), persistent=False)
        self.symmetric = bool(symmetric)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.linear(x)
        H = (y @ self.cg.to(y.dtype)).view(-1, self.n, self.n)
        return 0.5 * (H + H.transpose(1, 2)) if self.symmetric else H


class O3PairFeatures(nn.Module):
    """Gated O(3) pair features (see module docstring); cutoff (Angstrom) for the Bessel basis of |r|."""

    def __init__(self, irreps_x, l_max: int, channels: int = 8, cutoff: float = 6.0, n_basis: int = 8,
                 hidden: int = 64) -> None:
        super().__init__()
        self.irreps_x = o3.Irreps(irreps_x)
        self.irreps_sh = o3.Irreps.spherical_harmonics(int(l_max))
        sc = [np.arange(s.start, s.start + mul) for (mul, ir), s in zip(self.irreps_x, self.irreps_x.slices())
              if ir == o3.Irrep("0e")]
        self.register_buffer("scalar_idx", torch.as_tensor(np.concatenate(sc) if sc else np.zeros(0, int)),
                             persistent=False)
        comp, gate = [], []
        for k, s in enumerate(self.irreps_sh.slices()):
            for c in range(channels):
                comp.extend(range(s.start, s.stop))
                gate.extend([k * channels + c] * (s.stop - s.start))
        node_gate, g0 = [], 0
        for mul, ir in self.irreps_x:
            node_gate.extend(np.repeat(g0 + np.arange(mul), ir.dim))
            g0 += mul
        self.n_edge_gates, self.n_node_gates = len(self.irreps_sh) * channels, g0
        self.register_buffer("edge_comp", torch.as_tensor(np.asarray(comp, dtype=np.int64)), persistent=False)
        self.register_buffer("edge_gate", torch.as_tensor(np.asarray(gate, dtype=np.int64)), persistent=False)
        self.register_buffer("node_gate", torch.as_tensor(np.asarray(node_gate, dtype=np.int64)), persistent=False)
        self.irreps_out = o3.Irreps([(channels, ir) for _, ir in self.irreps_sh]) + self.irreps_x + self.irreps_x
        self.radial = BesselBasis(cutoff, n_basis, unit_argument=True)
        self.mlp = nn.Sequential(nn.Linear(n_basis + 2 * len(self.scalar_idx), hidden), nn.SiLU(),
                                 nn.Linear(hidden, hidden), nn.SiLU(),
                                 nn.Linear(hidden, self.n_edge_gates + 2 * g0))

    def forward(self, x, pair_i, pair_j, vec) -> torch.Tensor:
        length = torch.linalg.norm(vec, dim=-1)
        Y = o3.spherical_harmonics(self.irreps_sh, vec, normalize=True, normalization="component")
        s = x[:, self.scalar_idx]
        g = self.mlp(torch.cat([self.radial(length), s[pair_i], s[pair_j]], dim=-1))
        ge, gi, gj = g.split([self.n_edge_gates, self.n_node_gates, self.n_node_gates], dim=-1)
        return torch.cat([Y[:, self.edge_comp] * ge[:, self.edge_gate], x[pair_i] * gi[:, self.node_gate],
                          x[pair_j] * gj[:, self.node_gate]], dim=-1)
