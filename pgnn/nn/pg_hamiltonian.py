"""Symmetry-adapted Hamiltonian blocks (seed 003, section 3): matrices between atomic-orbital bases that transform
exactly under a point group G.

Orbitals. `G.orbital_basis("spd")` (`pgnn.groups.subduction.orbital_basis`) gives the layout of the orbitals s, p,
d, f subduced into G-irreps, and the orthogonal Q [n_orb, n_orb] from e3nn's real-spherical-harmonic orbital order
(per shell m = -l..l) to that irrep basis: Q D_orb(g) Q^T = D_layout(g).

Blocks. `PGHamiltonianBlock(irreps_in, rows, cols)` maps G-irrep features x [M, irreps_in.dim] (node features for
on-site blocks, pair features for hopping blocks) to blocks H [M, rows.dim, cols.dim] in the irrep bases:

    H[:, i, j] = sum_(paths p: row term a, col term b, feature irrep c, r) sum_ch W[p, ch] sum_k U^(p)[i, j, k] x[:, c, ch, k]

with U^(p) running over a basis of all equivariant maps c -> a (x) b (`G.intertwiners`, so joined complex irreps get
their full commutant), so that

    x -> D_in(g) x   =>   H -> D_rows(g) H D_cols(g)^T    (exactly).

An on-site block of an atom whose site-symmetry group is H <= G therefore commutes with D(h) for h in H: e.g. at an
O_h site the p block is a multiple of the identity and the d block has one value on e_g and one on t_2g (the
crystal-field splitting), with no constraint imposed by hand. `to_orbital_basis(H, Q_rows, Q_cols)` returns the
block in the real-orbital basis (Q_rows^T H Q_cols).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from pgnn.groups.layout import PGIrreps
from pgnn.groups.subduction import orbital_basis  # noqa: F401  (lives in groups/; re-exported for existing imports)


def to_orbital_basis(H: torch.Tensor, Q_rows, Q_cols) -> torch.Tensor:
    """Blocks [..., rows, cols] in the irrep bases -> the real-orbital bases: Q_rows^T H Q_cols."""
    Qr = torch.as_tensor(np.asarray(Q_rows), dtype=H.dtype, device=H.device)
    Qc = torch.as_tensor(np.asarray(Q_cols), dtype=H.dtype, device=H.device)
    return Qr.T @ H @ Qc


class PGHamiltonianBlock(nn.Module):
    """Equivariant matrix blocks from G-irrep features (see module docstring).

    Args:
        irreps_in: PGIrreps (or string) of the features.
        rows, cols: PGIrreps of the two orbital bases (e.g. `G.orbital_basis("spd")[0]`).
        symmetric: with rows == cols, return (H + H^T) / 2 (a real symmetric on-site block; still equivariant).
    forward(x [M, irreps_in.dim]) -> H [M, rows.dim, cols.dim].
    """

    def __init__(self, irreps_in, rows, cols, symmetric: bool = False) -> None:
        super().__init__()
        G = next(i.group for i in (irreps_in, rows, cols) if isinstance(i, PGIrreps))
        self.irreps_in = PGIrreps(G, irreps_in)
        self.rows, self.cols = PGIrreps(G, rows), PGIrreps(G, cols)
        if symmetric and self.rows != self.cols:
            raise ValueError("symmetric blocks need rows == cols")
        self.symmetric = bool(symmetric)
        # Every nonzero entry of every basis map, as (weight index, flat index into [rows, cols, in], value).
        w_idx, flat_idx, vals, fan = [], [], [], []
        n_rows, n_cols, n_in = self.rows.dim, self.cols.dim, self.irreps_in.dim
        n_weights = 0
        out_terms = [(a, b) for a in self._blocks(self.rows) for b in self._blocks(self.cols)]
        for (a_name, a_start), (b_name, b_start) in out_terms:
            first = n_weights
            for (mul, c_name), sl in zip(self.irreps_in.terms, self.irreps_in.slices()):
                U = G.intertwiners(a_name, b_name, c_name)
                if U.shape[0] == 0:
                    continue
                dc = U.shape[3]
                for r in range(U.shape[0]):
                    i, j, k = np.nonzero(np.abs(U[r]) > 1e-12)
                    for ch in range(mul):
                        w_idx.append(np.full(len(i), n_weights))
                        flat_idx.append(((a_start + i) * n_cols + (b_start + j)) * n_in + sl.start + ch * dc + k)
                        vals.append(U[r][i, j, k] / math.sqrt(dc))
                        n_weights += 1
            fan.append(n_weights - first)
        if n_weights == 0:
            raise ValueError(f"no equivariant map from {self.irreps_in} to ({self.rows}) x ({self.cols})")
        self.n_paths = n_weights
        self.register_buffer("w_idx", torch.as_tensor(np.concatenate(w_idx)), persistent=False)
        self.register_buffer("flat_idx", torch.as_tensor(np.concatenate(flat_idx)), persistent=False)
        self.register_buffer("vals", torch.as_tensor(np.concatenate(vals), dtype=torch.float64), persistent=False)
        # unit-variance entries for unit-variance features: each block sums `fan` weighted paths
        scale = np.concatenate([np.full(f, 1.0 / math.sqrt(max(f, 1))) for f in fan])
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float64), persistent=False)
        self.weight = nn.Parameter(torch.randn(n_weights))
        self.shape = (n_rows, n_cols, n_in)

    @staticmethod
    def _blocks(irreps: PGIrreps) -> list[tuple[str, int]]:
        """(irrep name, start) of every irrep copy of a layout."""
        return irreps.copies()

    def matrix(self, dtype=None) -> torch.Tensor:
        """The linear map as M [rows, cols, in]: H = einsum("ijk,mk->mij", M, x)."""
        dtype = dtype or self.weight.dtype
        coeff = (self.weight.to(dtype) * self.scale.to(dtype))[self.w_idx] * self.vals.to(dtype)
        n_rows, n_cols, n_in = self.shape
        flat = coeff.new_zeros(n_rows * n_cols * n_in).index_add_(0, self.flat_idx, coeff)
        return flat.view(n_rows, n_cols, n_in)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        M = self.matrix(x.dtype)
        H = torch.einsum("ijk,mk->mij", M, x)
        if self.symmetric:
            H = 0.5 * (H + H.transpose(1, 2))
        return H

    def extra_repr(self) -> str:
        return f"{self.irreps_in} -> ({self.rows}) x ({self.cols}), weights={self.n_paths}"
