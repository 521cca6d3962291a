"""Point-group edge features of a bond vector, in irreps of a point group G (seed 003, section 3).

Two kinds, both transforming exactly as their irreps: F(R_g r) = D(g) F(r) for every g in G, with D the
block-diagonal matrix of `irreps_out` (a `PGIrreps`).

(a) `HarmonicEdgeFeatures`: e3nn real spherical harmonics Y_l(r_hat) (component normalisation) for l = 0..l_max,
    each multiplied by the group's subduction matrix Q_l, which takes e3nn's SH components to G-irrep components.
    Y_l transforms with parity (-1)^l, so the subduction of (l, (-1)^l) is used.
(b) `GroupAveragedEdgeFeatures`: a learned function f(r) (an MLP of the direction and a radial basis) projected with
    irrep-matrix weights:  F^alpha_j(r) = c sum_g sum_k D^alpha(g)_jk f^alpha_k(g^-1 r). The projection operator
    P^alpha has c = d_alpha / |G|; here c = 1 / sqrt(|G|) keeps unit scale (a constant does not change the law).
    Then F^alpha(h r) = c sum_g D^alpha(g) f(g^-1 h r) = D^alpha(h) c sum_g' D^alpha(g') f(g'^-1 r)
    (substituting g = h g'), i.e. exactly alpha, with no l_max truncation.

Both return [E, irreps_out.dim] for edge vectors [E, 3] in the standard setting of G (Angstrom).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from e3nn import o3
from torch import nn

from pgnn.nn.pg_irreps import PGIrreps, get_group


class RadialBasis(nn.Module):
    """Bessel basis sin(n pi r / rc) / r times a smooth polynomial envelope (p = 6): [E] -> [E, n_basis]."""

    def __init__(self, cutoff: float, n_basis: int = 8, p: int = 6) -> None:
        super().__init__()
        self.cutoff = float(cutoff)
        self.p = p
        self.register_buffer("freq", torch.arange(1, n_basis + 1, dtype=torch.float64) * math.pi)

    def envelope(self, r: torch.Tensor) -> torch.Tensor:
        x = (r / self.cutoff).clamp(max=1.0)
        p = self.p
        env = 1 - (p + 1) * (p + 2) / 2 * x**p + p * (p + 2) * x ** (p + 1) - p * (p + 1) / 2 * x ** (p + 2)
        return env * (r < self.cutoff)

    def forward(self, r: torch.Tensor) -> torch.Tensor:
        x = r.unsqueeze(-1) / self.cutoff
        basis = math.sqrt(2.0 / self.cutoff) * torch.sin(self.freq.to(r.dtype) * x) / r.unsqueeze(-1).clamp(min=1e-9)
        return basis * self.envelope(r).unsqueeze(-1)


def _wigner(l: int, R: np.ndarray) -> np.ndarray:
    """Real Wigner matrices (order, 2l+1, 2l+1) of e3nn's spherical harmonics Y_l for O(3) matrices R (order, 3, 3):
    Y_l(R x) = W Y_l(x). Fitted on sample points in float64 (exact, unlike angle-based constructions, whose
    float64 error is ~1e-7 for 120 degree rotations)."""
    X = torch.as_tensor(np.random.default_rng(0).standard_normal((4 * l + 8, 3)))
    with torch.no_grad():
        Y = o3.spherical_harmonics(l, X, normalize=True, normalization="component").numpy()  # (n, 2l+1)
        YR = o3.spherical_harmonics(l, torch.einsum("gab,nb->gna", torch.as_tensor(np.array(R, dtype=np.float64)), X), normalize=True,
                                    normalization="component").numpy()  # (order, n, 2l+1)
    pinv = np.linalg.pinv(Y)  # (2l+1, n)
    return np.einsum("gna,bn->gab", YR, pinv)


def subduction(group, l: int) -> tuple[PGIrreps, np.ndarray]:
    """(layout, Q) with Q (2l+1, 2l+1) orthogonal such that Q D_l(g) Q^T = layout.D()[g] for every g.

    D_l is e3nn's Wigner matrix of (l, (-1)^l) (the representation carried by Y_l). Q comes from the groups
    module (`G.subduce`); it is checked here against the irrep matrices, so a convention mismatch fails loudly.
    """
    G = get_group(group)
    parity = "even" if l % 2 == 0 else "odd"
    try:
        decomp, Q = G.subduce(l, parity)
    except (TypeError, ValueError, KeyError):
        decomp, Q = G.subduce(l, (-1) ** l)
    Q = np.asarray(Q, dtype=np.float64).reshape(2 * l + 1, 2 * l + 1)
    terms = [(int(m), n) for n, m in decomp] if decomp and isinstance(decomp[0][0], str) else list(decomp)
    if isinstance(decomp, dict):
        terms = [(int(m), n) for n, m in decomp.items()]
    layout = PGIrreps(G, [(m, n) for m, n in terms if m > 0])
    elements = np.asarray(G.elements, dtype=np.float64)
    Wl = _wigner(l, elements)
    Dl = layout.D()
    for cand in (Q, Q.T):
        if np.abs(np.einsum("ab,gbc,dc->gad", cand, Wl, cand) - Dl).max() < 1e-8:
            return layout, cand
    raise RuntimeError(
        f"subduction matrix of l={l} for {G.name} does not intertwine e3nn's Wigner matrices with the irreps "
        f"{layout} (groups module convention mismatch)"
    )


def harmonics_subduction(group, ls) -> tuple[PGIrreps, np.ndarray]:
    """Spherical harmonics of the degrees `ls` (each with parity (-1)^l, stacked in order) in G-irreps: (layout,
    Q) with Q block diagonal over the degrees and orthogonal; the irreps of each degree are not merged."""
    G = get_group(group)
    terms, blocks = [], []
    for l in ls:
        lay, Q = subduction(G, int(l))
        terms += list(lay.terms)
        blocks.append(Q)
    n = sum(b.shape[0] for b in blocks)
    big = np.zeros((n, n))
    i = 0
    for b in blocks:
        big[i : i + b.shape[0], i : i + b.shape[0]] = b
        i += b.shape[0]
    return PGIrreps(G, terms), big


class HarmonicEdgeFeatures(nn.Module):
    """Spherical harmonics up to l_max subduced into G-irreps: [E, 3] -> [E, irreps_out.dim].

    `irreps_out` lists, for l = 0..l_max in turn, the irreps of the subduction of (l, (-1)^l) (not merged, so the
    same irrep may appear several times: one edge channel per (l, copy)).
    """

    def __init__(self, group, l_max: int = 3) -> None:
        super().__init__()
        self.l_max = int(l_max)
        self.irreps_out, Q = harmonics_subduction(group, range(self.l_max + 1))
        self.register_buffer("Q", torch.as_tensor(Q, dtype=torch.float64))

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
            irreps_out = PGIrreps(G, [(copies, ir.name) for ir in G.irreps])
        self.irreps_out = PGIrreps(G, irreps_out)
        self.radial = RadialBasis(cutoff, n_basis)
        self.mlp = nn.Sequential(
            nn.Linear(3 + n_basis, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
            nn.Linear(hidden, self.irreps_out.dim),
        )
        D = self.irreps_out.D()  # (order, dim, dim)
        # The projector's weight d_alpha/|G| is replaced by the constant 1/sqrt(|G|) (a constant per block does not
        # change the transformation law) so that features have unit scale for unit-scale f.
        self.register_buffer("D", torch.as_tensor(D / math.sqrt(G.order), dtype=torch.float64))
        # np.array copies: G.elements is a read-only cached array, which torch must not wrap without a copy
        self.register_buffer("R", torch.tensor(np.array(G.elements, dtype=np.float64), dtype=torch.float64))

    def forward(self, edge_vec: torch.Tensor) -> torch.Tensor:
        R = self.R.to(edge_vec.dtype)
        # g^-1 r = R_g^T r  ->  as a row vector: r @ R_g ; shape (order, E, 3)
        rg = torch.einsum("eb,gba->gea", edge_vec, R)
        length = torch.linalg.norm(edge_vec, dim=-1)
        rb = self.radial(length)  # same for every g
        inp = torch.cat([rg / length.clamp(min=1e-9)[None, :, None], rb.expand(R.shape[0], -1, -1)], dim=-1)
        f = self.mlp(inp) * self.radial.envelope(length)[None, :, None]  # (order, E, dim)
        return torch.einsum("gij,gej->ei", self.D.to(f.dtype), f)
