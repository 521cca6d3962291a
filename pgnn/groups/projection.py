"""Projection operators and the decomposition of a representation into the irreps of a point group.

A representation is given by its matrices per group element, ``rep`` [N, n, n], in the same element
order as ``G.elements``; it must be orthogonal (real unitary) for the change of basis to be orthogonal.

Conventions. For an irrep Gamma of dimension d,

    P^Gamma_{ij} = (d / N) sum_g Gamma(g)_{ij} D(g)                      (seed 001/003, real irreps)

and a *copy* of Gamma inside D is a matrix W [d, n] with orthonormal rows and
Gamma(g) W = W D(g) for all g; equivalently W D(g) W^T = Gamma(g). The rows of W are the partner
functions P^Gamma_{k a} v (k = 1..d) of one vector v, orthonormalized. The decomposition stacks the
copies of every irrep in ``G.irreps`` order into one orthogonal matrix Q [n, n] with
Q D(g) Q^T = block_diag(copies).

Joined complex pairs (commutant dimension 2) need no special case: projecting a candidate onto the
orthogonal complement of the ranges of the copies already found keeps it an intertwiner, and
W W^T, being symmetric and commuting with Gamma, is a multiple of the identity.
"""

from __future__ import annotations

import numpy as np

__all__ = ["projector", "multiplicities", "copies", "copies_from_candidates", "decompose_rep"]


def projector(irrep_matrices: np.ndarray, rep: np.ndarray) -> np.ndarray:
    """All P^Gamma_{ij} for Gamma given by ``irrep_matrices`` [N, d, d] on ``rep`` [N, n, n] -> [d, d, n, n]."""
    G = np.asarray(irrep_matrices, dtype=np.float64)
    D = np.asarray(rep, dtype=np.float64)
    return np.einsum("gij,gab->ijab", G, D) * (G.shape[1] / G.shape[0])


def multiplicities(irrep_characters: np.ndarray, commutant_dims, rep_characters: np.ndarray) -> np.ndarray:
    """m_alpha = <chi_alpha, chi> / commutant_dim(alpha) for real characters [n_irreps, N] and [N]."""
    chi = np.asarray(irrep_characters, dtype=np.float64)
    m = chi @ np.asarray(rep_characters, dtype=np.float64) / chi.shape[1]
    m = m / np.asarray(commutant_dims, dtype=np.float64)
    r = np.rint(m)
    if np.abs(m - r).max() > 1e-6:
        raise ValueError(f"non-integer multiplicities {m}: is rep a representation of this group?")
    return r.astype(int)


def copies_from_candidates(candidates, d: int, m: int | None, n: int, tol: float = 1e-8):
    """Orthonormal, mutually orthogonal copies [k, d, n] from candidate intertwiners [d, n] (in order).

    Each candidate is projected onto the orthogonal complement of the ranges of the copies kept so far
    (Gram-Schmidt, twice) and kept when what is left has norm^2 / d > tol. Stops at ``m`` copies.
    """
    kept: list[np.ndarray] = []
    P = np.zeros((n, n))
    for W in candidates:
        if m is not None and len(kept) >= m:
            break
        if kept:
            W = W - W @ P
            W = W - W @ P
        s = float(np.sum(W * W)) / d
        if s <= tol:
            continue
        W = W / np.sqrt(s)
        kept.append(W)
        P = P + W.T @ W
    return np.array(kept).reshape(len(kept), d, n)


def copies(irrep_matrices: np.ndarray, rep: np.ndarray, m: int | None = None, tol: float = 1e-8) -> np.ndarray:
    """The copies [m, d, n] of the irrep inside ``rep``, found deterministically by projection:
    candidates W_{t,a}[k, :] = P^Gamma_{k a} e_t for t = 0..n-1, a = 0..d-1 in that order."""
    G = np.asarray(irrep_matrices, dtype=np.float64)
    D = np.asarray(rep, dtype=np.float64)
    N, d, _ = G.shape
    n = D.shape[1]
    C = np.einsum("gka,gbt->takb", G, D).reshape(n * d, d, n) * (d / N)  # C[t * d + a] is a candidate W
    C = C[np.einsum("ckb,ckb->c", C, C) > tol * d]  # drop the zero candidates up front
    return copies_from_candidates(C, d, m, n, tol)


def decompose_rep(irreps, rep: np.ndarray):
    """Decompose ``rep`` [N, n, n] into ``irreps`` (objects with .name .matrices .characters .commutant_dim).

    Returns (list of (name, multiplicity) for multiplicity > 0, in irreps order; Q [n, n] orthogonal)
    with Q rep(g) Q^T block diagonal: the copies of each irrep in order, each copy's d rows together.
    """
    D = np.asarray(rep, dtype=np.float64)
    n = D.shape[1]
    chi = np.einsum("gii->g", D)
    ms = multiplicities(np.array([ir.characters for ir in irreps]), [ir.commutant_dim for ir in irreps], chi)
    rows, out = [], []
    for ir, m in zip(irreps, ms):
        if m == 0:
            continue
        W = copies(ir.matrices, D, m)
        if len(W) != m:
            raise RuntimeError(f"found {len(W)} copies of {ir.name}, expected {m}")
        rows.append(W.reshape(m * ir.dim, n))
        out.append((ir.name, int(m)))
    Q = np.concatenate(rows, axis=0) if rows else np.zeros((0, n))
    if Q.shape[0] != n:
        raise RuntimeError("decomposition did not span the representation space")
    return out, Q


def range_basis(P: np.ndarray, k: int, tol: float) -> np.ndarray:
    """[<=k, n] orthonormal rows spanning the range of the projector P [n, n]: Gram-Schmidt (two passes) of its
    columns P e_t in order, so the basis vectors are as close to unit vectors as the range allows; entries below
    1e-14 set to exactly 0. Columns of norm <= tol after orthogonalization are skipped."""
    basis: list[np.ndarray] = []
    for t in range(P.shape[0]):
        v = P[:, t].copy()
        for _ in range(2):
            for b in basis:
                v -= b * (b @ v)
        nv = np.linalg.norm(v)
        if nv > tol:
            basis.append(v / nv)
        if len(basis) == k:
            break
    B = np.array(basis).reshape(len(basis), P.shape[0])
    B[np.abs(B) < 1e-14] = 0.0
    return B
