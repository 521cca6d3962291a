"""Coupling (Clebsch-Gordan) coefficients of a point group, by two independent methods.

Convention. For irreps a, b, c (real, orthogonal matrices D^a, D^b, D^c) a coupling tensor
U [m, d_a, d_b, d_c] satisfies, for every element g and every copy p,

    sum_{i,j} D^a(g)_{i'i} D^b(g)_{j'j} U[p,i,j,k] = sum_{k'} U[p,i',j',k'] D^c(g)_{k'k}

i.e. the columns U[p, :, :, k] (flattened to d_a d_b) span a copy of c inside a (x) b and transform
as its basis vectors. Normalization (Dirl's, a unitary Clebsch-Gordan matrix):

    sum_{i,j} U[p,i,j,k] U[q,i,j,k'] = delta_pq delta_kk'   (so sum_{ijk} U[p] U[q] = d_c delta_pq).

m = <chi_a chi_b, chi_c> / commutant_dim(c) is the number of copies of c in a (x) b. For a joined
complex pair c (commutant_dim 2) the full space of equivariant bilinear maps a x b -> c has dimension
2 m and is spanned by U[p] and U[p] @ J (J = c.commutant[1]); ``intertwiners`` returns that basis.

Method 1, Dirl's formula (seed 003). Its Gamma^{c dagger}_{na}(g) is read as the complex conjugate of
Gamma^c_{na}(g), which for real irreps is the matrix element itself (reading it as the conjugate
transpose, Gamma^c_{an}(g), does not give intertwiners; a test checks both readings):

    U^{c n}_{a i, b j} = sqrt(d_c / N) S^{-1/2} sum_g D^a_{iq}(g) D^b_{js}(g) D^c_{na}(g),
    S = sum_g D^a_{qq}(g) D^b_{ss}(g) D^c_{aa}(g),

one candidate per index choice (q, s, a) with S > 0, taken in lexicographic order. For m = 1 and a
real-type c the first candidate is already the answer; otherwise the candidates are orthonormalized
into exactly m copies (``projection.copies_from_candidates``).

Method 2: the null space of the linear equations above on the group generators, then the same
orthonormalization. The two agree as subspaces (tests compare the projectors sum_p U[p] U[p]^T).
"""

from __future__ import annotations

import numpy as np

from pgnn.groups.projection import copies_from_candidates

__all__ = ["dirl", "nullspace_basis", "nullspace", "range_projector"]


def dirl(Da: np.ndarray, Db: np.ndarray, Dc: np.ndarray, m: int | None = None, tol: float = 1e-8) -> np.ndarray:
    """Coupling tensors [m, da, db, dc] by Dirl's formula. D* are irrep matrices [N, d, d]."""
    N, da, _ = Da.shape
    db, dc = Db.shape[1], Dc.shape[1]
    if m == 0:
        return np.zeros((0, da, db, dc))
    # T[q, s, a, i, j, n] = sum_g Da_iq Db_js Dc_na, as one matrix product over g
    AB = (Da[:, :, :, None, None] * Db[:, None, None, :, :]).reshape(N, -1)  # [g, (i q j s)]
    T = (AB.T @ Dc.reshape(N, -1)).reshape(da, da, db, db, dc, dc)  # [i, q, j, s, n, a]
    T = T.transpose(1, 3, 5, 0, 2, 4)  # [q, s, a, i, j, n]
    S = np.einsum("qsaqsa->qsa", T)
    cands = []
    for q, s, a in zip(*np.nonzero(S > tol * N)):
        U = np.sqrt(dc / N) * T[q, s, a] / np.sqrt(S[q, s, a])  # [da, db, dc]
        cands.append(U.reshape(da * db, dc).T)
        if m == 1:  # any single candidate is the (unique up to sign/commutant) copy
            break
    W = copies_from_candidates(cands, dc, m, da * db)
    return np.ascontiguousarray(W.transpose(0, 2, 1).reshape(-1, da, db, dc))


def nullspace_basis(Da: np.ndarray, Db: np.ndarray, Dc: np.ndarray, generators) -> np.ndarray:
    """Orthonormal (Frobenius) basis [k, da, db, dc] of all intertwiners, k = m * commutant_dim(c),
    from the equations (Da (x) Db)(g) M = M Dc(g) for g in ``generators`` (element indices)."""
    da, db, dc = Da.shape[1], Db.shape[1], Dc.shape[1]
    g = np.asarray(generators, dtype=int)
    if len(g) == 0:
        return np.eye(da * db * dc).reshape(-1, da, db, dc)
    n = da * db
    A = (Da[g][:, :, None, :, None] * Db[g][:, None, :, None, :]).reshape(len(g), n, n)  # Da (x) Db
    # row-major vec: vec(A M) = (A (x) I) vec(M), vec(M C) = (I (x) C^T) vec(M)
    K = (A[:, :, None, :, None] * np.eye(dc)[None, None, :, None, :]).reshape(len(g), n * dc, n * dc)
    K = K - (np.eye(n)[None, :, None, :, None] * Dc[g].transpose(0, 2, 1)[:, None, :, None, :]).reshape(
        len(g), n * dc, n * dc)
    K = K.reshape(len(g) * n * dc, n * dc)
    _, sv, vh = np.linalg.svd(K)  # K has at least as many rows as columns when generators exist
    sv = np.concatenate([sv, np.zeros(vh.shape[0] - len(sv))])
    ns = vh[sv < 1e-8]  # absolute threshold: K's entries are O(1)
    return ns.reshape(-1, da, db, dc)


def nullspace(Da, Db, Dc, generators, m: int | None = None) -> np.ndarray:
    """Coupling tensors [m, da, db, dc] from the null-space basis, orthonormalized into copies."""
    da, db, dc = Da.shape[1], Db.shape[1], Dc.shape[1]
    basis = nullspace_basis(Da, Db, Dc, generators)
    cands = [B.reshape(da * db, dc).T for B in basis]
    W = copies_from_candidates(cands, dc, m, da * db)
    return np.ascontiguousarray(W.transpose(0, 2, 1).reshape(-1, da, db, dc))


def range_projector(U: np.ndarray) -> np.ndarray:
    """sum_p U[p] U[p]^T as a [da*db, da*db] matrix: the projector onto the c-isotypic part of a (x) b."""
    m, da, db, dc = U.shape
    M = U.reshape(m, da * db, dc)
    return np.einsum("pik,pjk->ij", M, M)
