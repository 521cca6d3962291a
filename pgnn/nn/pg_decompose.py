"""Explicit decomposition of a representation of a point group into the group's own irrep matrices.

Given matrices M(g) (order, n, n) of an orthogonal representation of G (in the group's element order), find an
orthonormal basis B (n, dim) such that

    M(g) @ B = B @ D(g)      for every g,

where D is the block-diagonal matrix of a `PGIrreps` layout (irreps in the group's order, copies consecutive).
Used for Cartesian tensor spaces (read-out) and as an independent check of subduction matrices.

Method (projection operators, seed 001): the isotypic projector of irrep alpha is
P_alpha = d_alpha / (kappa_alpha |G|) sum_g chi_alpha(g) M(g), with kappa_alpha = <chi_alpha, chi_alpha> (1 for
absolutely irreducible irreps, 2 for a joined complex-conjugate pair). Copies inside the isotypic component come
from group averages A = 1/|G| sum_g M(g) P X D_alpha(g)^T of random X, which intertwine exactly; each is
orthonormalised and removed from P before drawing the next.
"""

from __future__ import annotations

import numpy as np

from pgnn.nn.pg_irreps import PGIrreps, get_group


def decompose(group, mats: np.ndarray, subspace: np.ndarray | None = None, seed: int = 0):
    """Decompose a representation into G-irreps.

    Args:
        group: point group object or name.
        mats: (order, n, n) float64 orthogonal matrices M(g), same element order as `group.elements`.
        subspace: optional (n, k) orthonormal columns of an invariant subspace to decompose instead of R^n.
    Returns:
        (layout, B): `PGIrreps` of the decomposition and B (n, layout.dim) with orthonormal columns and
        M(g) @ B = B @ layout.D()[g].
    """
    G = get_group(group)
    mats = np.asarray(mats, dtype=np.float64)
    order = mats.shape[0]
    V = np.eye(mats.shape[1]) if subspace is None else np.asarray(subspace, dtype=np.float64)
    M = np.einsum("ak,gab,bl->gkl", V, mats, V)  # representation restricted to the subspace
    k = M.shape[1]
    rng = np.random.default_rng(seed)
    terms, blocks = [], []
    for ir in G.irreps:
        D = np.asarray(ir.matrices, dtype=np.float64).reshape(order, ir.dim, ir.dim)
        chi = np.trace(D, axis1=1, axis2=2)
        kappa = float(chi @ chi) / order
        P = ir.dim / (kappa * order) * np.einsum("g,gab->ab", chi, M)
        n_copies = int(round(np.trace(P) / ir.dim))
        if n_copies == 0:
            continue
        rest = P.copy()
        for _ in range(n_copies):
            for _attempt in range(10):
                X = rng.standard_normal((k, ir.dim))
                A = np.einsum("gab,bc,gdc->ad", M, rest @ X, D) / order
                gram = A.T @ A
                w, U = np.linalg.eigh(gram)
                if w.min() > 1e-8:
                    break
            else:  # pragma: no cover - would need a degenerate random draw ten times
                raise RuntimeError(f"decomposition failed for irrep {ir.name} of {G.name}")
            A = A @ (U @ np.diag(w**-0.5) @ U.T)
            rest = rest - A @ A.T
            blocks.append(A)
        terms.append((n_copies, ir.name))
    B = V @ np.concatenate(blocks, axis=1) if blocks else np.zeros((mats.shape[1], 0))
    if B.shape[1] != k:
        raise RuntimeError(f"decomposition of a {k}-dim representation of {G.name} found {B.shape[1]} dims")
    return PGIrreps(G, terms), B
