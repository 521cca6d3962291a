"""Neumann's principle: a material tensor of a crystal is invariant under the crystal's point group.

The Neumann projection of T is its average over the group's Cartesian operations g (O(3) matrices, [n, 3, 3] in
the same Cartesian frame as T): avg(T) = (1/n) sum_g g.T. The violation ||avg(T) - T|| / ||T|| (Frobenius norm of
the full Cartesian tensor) is 0 for a tensor that obeys the symmetry.
"""

from __future__ import annotations

import numpy as np

from pgnn.tensors._backend import as_matrix, is_torch
from pgnn.tensors.rotate import rotate


def neumann_average(t, ops, rank: int | None = None):
    """Average of t [..., (3,)*rank] over operations ops [n, 3, 3] (numpy or torch; ops are cast to t's backend).

    rank defaults to t.ndim (one unbatched tensor).
    """
    rank = t.ndim if rank is None else rank
    ops = as_matrix(np.asarray(ops) if not is_torch(ops) else ops.detach().cpu().numpy(), t)
    out = 0
    for g in ops:
        out = out + rotate(t, g, rank=rank)
    return out / len(ops)


def neumann_violation(t, ops, rank: int | None = None, eps: float = 1e-30):
    """||avg(t) - t|| / ||t|| per tensor: a float for one tensor, [...] for a batch [..., (3,)*rank]."""
    rank = t.ndim if rank is None else rank
    d = neumann_average(t, ops, rank) - t
    axes = tuple(range(t.ndim - rank, t.ndim))
    if is_torch(t):
        num = d.pow(2).sum(dim=axes).sqrt()
        den = t.pow(2).sum(dim=axes).sqrt()
        return num / den.clamp_min(eps)
    num = np.sqrt((d**2).sum(axis=axes))
    den = np.sqrt((t**2).sum(axis=axes))
    return num / np.maximum(den, eps)


def neumann_projector(ops, rank: int) -> np.ndarray:
    """[3**rank, 3**rank] float64 matrix P = mean_g g (x) ... (x) g acting on flattened Cartesian tensors.

    P is the orthogonal projector onto the tensors invariant under the group; the dimension of the invariant
    subspace within a kind's symmetric tensors is rank(P @ Pi_kind) (see `count_invariants`).
    """
    ops = np.asarray(ops, dtype=np.float64)
    P = np.zeros((3**rank, 3**rank))
    for g in ops:
        k = np.ones((1, 1))
        for _ in range(rank):
            k = np.kron(k, g)
        P += k
    return P / len(ops)


def count_invariants(ops, kind) -> int:
    """Number of independent components of a tensor kind allowed by the group (e.g. 3 for elastic in m-3m)."""
    from pgnn.tensors.irreducible import basis

    b = basis(kind)
    Q = b.Q_flat
    M = Q @ neumann_projector(ops, b.kind.rank) @ Q.T
    return int(np.linalg.matrix_rank(M, tol=1e-8))


def close_group(generators, max_order: int = 48, tol: float = 1e-8) -> np.ndarray:
    """All products of the generator matrices ([k, 3, 3] float O(3) matrices): the finite group they generate.

    Returns [n, 3, 3] float64 with the identity first. Raises ValueError if more than max_order elements appear
    (the generators do not generate a crystallographic point group).
    """
    gens = [np.asarray(g, dtype=np.float64) for g in generators]
    elems = [np.eye(3)]
    frontier = [np.eye(3)]
    while frontier:
        new = []
        for a in frontier:
            for g in gens:
                c = g @ a
                if not any(np.abs(c - e).max() < tol for e in elems):
                    elems.append(c)
                    new.append(c)
                    if len(elems) > max_order:
                        raise ValueError(f"generators produce more than {max_order} elements")
        frontier = new
    return np.stack(elems)


def cartesian_operations(rotations_frac, lattice) -> np.ndarray:
    """Cartesian matrices g = L^T W L^-T of fractional (spglib) rotations W [n, 3, 3] for lattice rows L [3, 3].

    Duplicates (the same rotation with different translations) are removed. Returns [m, 3, 3] float64.
    """
    L = np.asarray(lattice, dtype=np.float64)
    ops = np.einsum("ij,njk,kl->nil", L.T, np.asarray(rotations_frac, dtype=np.float64), np.linalg.inv(L.T))
    uniq: list[np.ndarray] = []
    for g in ops:
        if not any(np.abs(g - u).max() < 1e-6 for u in uniq):
            uniq.append(g)
    return np.stack(uniq)


def forced_zeros(ops, kind, tol: float = 1e-6) -> np.ndarray:
    """bool [*voigt_shape]: the Voigt entries that every tensor of `kind` invariant under ops [n, 3, 3] has equal to 0.

    The invariant symmetric tensors are spanned by P q_k, P the Neumann projector and q_k an orthonormal basis of
    the kind's symmetric tensors; an entry is forced to zero when it is below tol (relative to the largest entry)
    in all of them. ops must be O(3) matrices to about tol (spglib's operations of a slightly distorted cell are
    accurate to ~symprec / cell length, so pass a tol above that)."""
    from pgnn.tensors.irreducible import basis
    from pgnn.tensors.voigt import full_to_voigt

    b = basis(kind)
    rank = b.kind.rank
    spanned = (neumann_projector(ops, rank) @ b.Q_flat.T).T.reshape((-1,) + (3,) * rank)  # [d, 3, ..., 3]
    voigt = np.abs(full_to_voigt(spanned, b.kind, project=False))
    scale = voigt.max() if voigt.size else 0.0
    if scale == 0.0:  # the group forbids the tensor entirely (e.g. piezoelectric in a centrosymmetric group)
        return np.ones(b.kind.voigt_shape, dtype=bool)
    return voigt.max(axis=0) <= tol * scale
