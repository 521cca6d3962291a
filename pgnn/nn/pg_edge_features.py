"""Point-group edge features of a bond vector, in irreps of a point group G (seed 003, section 3).

All kinds transform exactly as their irreps: F(R_g r) = D(g) F(r) for every g in G, with D the block-diagonal
matrix of `irreps_out` (a `pgnn.groups.PGIrreps`).

(a) `HarmonicEdgeFeatures`: e3nn real spherical harmonics Y_l(r_hat) (component normalisation) for l = 0..l_max,
    times the group's subduction matrix (`G.harmonics`), which takes e3nn's components to G-irrep components.
(b) `GroupAveragedEdgeFeatures`: a learned function f(r) (an MLP of the direction and a radial basis) projected with
    irrep-matrix weights:  F^alpha_j(r) = c sum_g sum_k D^alpha(g)_jk f^alpha_k(g^-1 r), c = 1 / sqrt(|G|) (the
    projector's d_alpha / |G| up to a constant per block). Then F^alpha(h r) = D^alpha(h) F^alpha(r) (substitute
    g = h g'), with no l_max truncation; the MLP runs at all |G| images of every bond.
(c) `ProjectedHarmonicEdgeFeatures`: the same group average at harmonic cost. The learned function is expanded in
    angle to degree L (default 8), f(r) = sum_(l <= L) A_l(|r|) Y_l(r_hat) with learned radial coefficients A (an
    MLP of the radial basis). The group average is linear in A (x) Y, and the projector onto alpha maps the
    harmonics of degree l onto their alpha copies (the subduction Q_l, fixed) times the commutant of alpha, so

        F^alpha_o(r) = sum_(copies s of alpha in Y_0..Y_L) sum_(r in commutant(alpha)) A_(o, s, r)(|r|) (C_r Y^s(r_hat))

    is exactly the group average of a band-limited learned function, computed with one radial MLP per edge
    instead of |G|. F^alpha(h r) = D^alpha(h) F^alpha(r) because each Y^s is a copy of alpha and C_r commutes
    with D^alpha.

All return [E, irreps_out.dim] for edge vectors [E, 3] in the standard setting of G (Angstrom).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from e3nn import o3
from torch import nn

from pgnn.groups.layout import PGIrreps, get_group
from pgnn.nn.radial import BesselBasis, polynomial_cutoff


class HarmonicEdgeFeatures(nn.Module):
    """Spherical harmonics up to l_max subduced into G-irreps: [E, 3] -> [E, irreps_out.dim].

    `irreps_out` lists, for l = 0..l_max in turn, the irreps of the subduction of (l, (-1)^l) (not merged, so the
    same irrep may appear several times: one edge channel per (l, copy)).
    """

    def __init__(self, group, l_max: int = 3) -> None:
        super().__init__()
        self.l_max = int(l_max)
        self.irreps_out, Q = get_group(group).harmonics(range(self.l_max + 1))
        self.register_buffer("Q", torch.tensor(Q, dtype=torch.float64))

    def forward(self, edge_vec: torch.Tensor) -> torch.Tensor:
        Y = o3.spherical_harmonics(list(range(self.l_max + 1)), edge_vec, normalize=True, normalization="component")
        return Y @ self.Q.to(Y.dtype).T


class GroupAveragedEdgeFeatures(nn.Module):
    """Learned bond function projected onto G-irreps by group averaging: [E, 3] -> [E, irreps_out.dim].

    f(r) = MLP([r_hat, radial_basis(|r|)]) * envelope(|r|), with one output block per irrep copy of `irreps_out`
    (default: `copies` copies of every irrep of G). Evaluated at g^-1 r for all g (|G| evaluations per edge).
    """

    def __init__(self, group, irreps_out=None, copies: int = 2, cutoff: float = 6.0, n_basis: int = 8,
                 hidden: int = 32) -> None:
        super().__init__()
        G = get_group(group)
        if irreps_out is None:
            irreps_out = PGIrreps(G, [(copies, name) for name in G.irrep_names])
        self.irreps_out = PGIrreps(G, irreps_out)
        self.cutoff = float(cutoff)
        self.radial = BesselBasis(cutoff, n_basis, unit_argument=True)
        self.mlp = nn.Sequential(
            nn.Linear(3 + n_basis, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
            nn.Linear(hidden, self.irreps_out.dim),
        )
        self.register_buffer("D", torch.as_tensor(self.irreps_out.D() / math.sqrt(G.order), dtype=torch.float64))
        self.register_buffer("R", torch.tensor(np.asarray(G.elements), dtype=torch.float64))

    def forward(self, edge_vec: torch.Tensor) -> torch.Tensor:
        R = self.R.to(edge_vec.dtype)
        # g^-1 r = R_g^T r  ->  as a row vector: r @ R_g ; shape (order, E, 3)
        rg = torch.einsum("eb,gba->gea", edge_vec, R)
        length = torch.linalg.norm(edge_vec, dim=-1)
        rb = self.radial(length) * polynomial_cutoff(length, self.cutoff).unsqueeze(-1)  # same for every g
        inp = torch.cat([rg / length.clamp(min=1e-9)[None, :, None], rb.expand(R.shape[0], -1, -1)], dim=-1)
        f = self.mlp(inp) * polynomial_cutoff(length, self.cutoff)[None, :, None]  # (order, E, dim)
        return torch.einsum("gij,gej->ei", self.D.to(f.dtype), f)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        _map_old_radial_keys(self, state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


class ProjectedHarmonicEdgeFeatures(nn.Module):
    """Group-averaged edge features at harmonic cost (see (c) in the module docstring): [E, 3] -> [E, dim].

    Args: group; irreps_out (default `copies` copies of every irrep of G); l_max (angular degree of the learned
    function, <= 8 is what the groups module's tests cover); cutoff (Angstrom), n_basis, hidden: the radial MLP.
    The default layout leaves out irreps absent from Y_0..Y_L (for L = 8 only A1u of Oh, first at l = 9); an
    explicit `irreps_out` with such an irrep raises a ValueError.
    """

    def __init__(self, group, irreps_out=None, copies: int = 2, l_max: int = 8, cutoff: float = 6.0,
                 n_basis: int = 8, hidden: int = 32) -> None:
        super().__init__()
        G = get_group(group)
        self.l_max, self.cutoff = int(l_max), float(cutoff)
        sh, Q = G.harmonics(range(self.l_max + 1))
        if irreps_out is None:  # every irrep that a function band-limited to l_max can carry (A1u of Oh: l >= 9)
            irreps_out = PGIrreps(G, [(copies, name) for name in G.irrep_names if sh.count(name)])
        self.irreps_out = PGIrreps(G, irreps_out)
        sh_copies = sh.copies()
        # coefficient t = (output copy o, harmonic copy s of the same irrep, commutant element C_r):
        #   Z[e, t, k] = sum_j C_r[j, k] Ysub[e, s + j] = sum_m Y[e, m] K[m, t, k],  K[m, t, k] = sum_j Q[s + j, m] C_r[j, k]
        #   F[e, o + k] += A[e, t] Z[e, t, k] / sqrt(#s * #r)   (S: the 0/1 scatter times that norm)
        dmax = max(G.irrep(n).dim for n, _ in self.irreps_out.copies())
        K, S = [], []
        for name, o_start in self.irreps_out.copies():
            ir = G.irrep(name)
            src = [s0 for n, s0 in sh_copies if n == name]
            if not src:
                raise ValueError(f"irrep {name} of {G.name} does not occur in Y_0..Y_{self.l_max}")
            norm = 1.0 / math.sqrt(len(src) * ir.commutant_dim)
            for s0 in src:
                for C in ir.commutant:
                    k = np.zeros((sh.dim, dmax))
                    k[:, : ir.dim] = Q[s0 : s0 + ir.dim].T @ C
                    K.append(k)
                    sc = np.zeros((dmax, self.irreps_out.dim))
                    sc[np.arange(ir.dim), o_start + np.arange(ir.dim)] = norm
                    S.append(sc)
        self.n_coef, self.dmax = len(K), dmax
        self.register_buffer("K", torch.as_tensor(np.stack(K, 1).reshape(sh.dim, -1), dtype=torch.float64),
                             persistent=False)
        self.register_buffer("S", torch.as_tensor(np.concatenate(S, 0), dtype=torch.float64), persistent=False)
        self.radial = BesselBasis(cutoff, n_basis, unit_argument=True)
        self.mlp = nn.Sequential(nn.Linear(n_basis, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                 nn.Linear(hidden, self.n_coef))

    def forward(self, edge_vec: torch.Tensor) -> torch.Tensor:
        length = torch.linalg.norm(edge_vec, dim=-1)
        env = polynomial_cutoff(length, self.cutoff)
        A = self.mlp(self.radial(length) * env.unsqueeze(-1)) * env.unsqueeze(-1)  # E, n_coef
        Y = o3.spherical_harmonics(list(range(self.l_max + 1)), edge_vec, normalize=True, normalization="component")
        Z = (Y @ self.K.to(Y.dtype)).view(-1, self.n_coef, self.dmax)
        return (A.unsqueeze(-1) * Z).reshape(Z.shape[0], -1) @ self.S.to(Y.dtype)


def _map_old_radial_keys(module, state_dict, prefix) -> None:
    """State dicts written before the one radial basis (`pgnn.nn.radial.BesselBasis`) carried the constant Bessel
    multiples n*pi as `radial.freq`; the basis no longer saves them."""
    state_dict.pop(prefix + "radial.freq", None)
