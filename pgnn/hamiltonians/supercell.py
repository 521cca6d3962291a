"""Supercells for Gamma-only engines, and H_ij(R) of the input cell from a supercell's matrices.

The supercell is ``M @ cell`` (rows) with an integer M; its atoms are (translation t, atom a) -> t * N + a,
at r_a + T_t @ cell. A supercell matrix element between atoms (t, a) and (t', b) is the sum of H_ab(R) over all R
congruent to T_t' - T_t modulo the supercell lattice; it is assigned to the shortest such R (split equally
among equidistant ones) and averaged over all translation-equivalent pairs, so the result is exactly
translation invariant and H(-R) = H(R)^T.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["choose_supercell", "lattice_points", "commensurate_kpoints", "blocks_from_supercell"]


def heights(cell: np.ndarray) -> np.ndarray:
    """Distances between opposite faces of the cell [3] (Angstrom)."""
    cell = np.asarray(cell, dtype=float)
    vol = abs(np.linalg.det(cell))
    return np.array([vol / np.linalg.norm(np.cross(cell[(i + 1) % 3], cell[(i + 2) % 3])) for i in range(3)])


def _conventional_matrix(cell, positions, numbers) -> np.ndarray | None:
    """Integer M with M @ cell = spglib's conventional cell in the input orientation, or None."""
    import spglib

    frac = np.asarray(positions) @ np.linalg.inv(cell)
    try:
        out = spglib.standardize_cell((cell, frac, numbers), to_primitive=False, no_idealize=True, symprec=1e-3)
    except Exception:
        return None
    if out is None:
        return None
    M = out[0] @ np.linalg.inv(cell)
    Mi = np.rint(M)
    if np.abs(M - Mi).max() > 1e-4 or round(abs(np.linalg.det(Mi))) < 1:
        return None
    if np.linalg.det(Mi) < 0:
        Mi = -Mi
    return Mi.astype(int)


def choose_supercell(cell, positions, numbers, radius: float) -> np.ndarray:
    """The integer M with the fewest cells such that the supercell's inscribed sphere has radius >= ``radius``
    (every pair vector shorter than ``radius`` is then the unique shortest of its class). Candidates: diagonal
    multiples of the input cell and of its conventional cell."""
    cell = np.asarray(cell, dtype=float)
    bases = [np.eye(3, dtype=int)]
    conv = _conventional_matrix(cell, positions, numbers)
    if conv is not None:
        bases.append(conv)
    best = None
    for B in bases:
        h = heights(B @ cell)
        n = np.maximum(1, np.ceil(2 * radius / h - 1e-9)).astype(int)
        M = np.diag(n) @ B
        if best is None or abs(round(np.linalg.det(M))) < abs(round(np.linalg.det(best))):
            best = M
    return best


def lattice_points(M: np.ndarray) -> np.ndarray:
    """[det M, 3] integer lattice vectors T of the input cell inside the supercell M (frac in [0, 1))."""
    M = np.asarray(M, dtype=int)
    n = int(round(abs(np.linalg.det(M))))
    corners = np.array(list(itertools.product([0, 1], repeat=3))) @ M
    lo, hi = corners.min(0), corners.max(0)
    grid = np.array(list(itertools.product(*[range(lo[i], hi[i] + 1) for i in range(3)])))
    frac = grid @ np.linalg.inv(M)
    inside = np.all((frac > -1e-9) & (frac < 1 - 1e-9), axis=1)
    pts = grid[inside]
    assert len(pts) == n, (len(pts), n)
    return pts


def commensurate_kpoints(M: np.ndarray) -> np.ndarray:
    """[det M, 3] fractional k (of the input cell) that fold onto the supercell's Gamma point: M k integer."""
    M = np.asarray(M, dtype=int)
    n = int(round(abs(np.linalg.det(M))))
    pts = lattice_points(M.T)  # m with k = M^-1 m; distinct modulo Z^3 exactly when m runs over the cells of M^T
    k = (np.linalg.inv(M) @ pts.T).T
    k = k - np.floor(k + 1e-9)
    assert len(np.unique(np.round(k, 8), axis=0)) == n
    return k


def blocks_from_supercell(cell, positions, M, F, S, offsets, tie_tol: float = 1e-4, stats: dict | None = None):
    """Dense (R [nR, 3], H [nR, n, n], S [nR, n, n]) of the input cell from supercell matrices F, S.

    F, S: [n_sc_orb, n_sc_orb] in supercell atom order (t, a); offsets: [N + 1] orbital offsets of one cell.
    Every block class is assigned to its minimum image(s); equidistant images share the block equally.
    ``stats`` (a dict) receives "translation_spread": max |block - its translation average| (F's units): how far
    the supercell matrix is from translation invariance (a self-consistent field may break it)."""
    cell = np.asarray(cell, dtype=float)
    pos = np.asarray(positions, dtype=float)
    N = len(pos)
    T = lattice_points(M)
    NT = len(T)
    Minv = np.linalg.inv(M)
    index = {tuple(t): u for u, t in enumerate(T.tolist())}

    def reduce(v):
        f = v @ Minv
        return np.rint((f - np.floor(f + 1e-9)) @ M).astype(int)

    # sum[t, u] = index of T_t + T_u modulo the supercell
    add = np.array([[index[tuple(x)] for x in reduce(T[t] + T)] for t in range(NT)])
    sc_cell = M @ cell
    shifts = np.array(list(itertools.product(range(-2, 3), repeat=3)))
    n_orb = offsets[-1]
    n_sc = NT * n_orb
    acc: dict[tuple, np.ndarray] = {}
    accS: dict[tuple, np.ndarray] = {}
    orb_of_cell = np.arange(NT)[:, None] * n_orb
    spread = 0.0
    for u in range(NT):
        for a in range(N):
            rows = orb_of_cell + np.arange(offsets[a], offsets[a + 1])[None, :]  # [NT, na]
            for b in range(N):
                cols = orb_of_cell[add[:, u]] + np.arange(offsets[b], offsets[b + 1])[None, :]  # [NT, nb]
                allb = F[rows[:, :, None], cols[:, None, :]]
                hb = allb.mean(0)
                spread = max(spread, float(np.abs(allb - hb).max()))
                sb = S[rows[:, :, None], cols[:, None, :]].mean(0)
                v0 = pos[b] + T[u] @ cell - pos[a]
                lens = np.linalg.norm(v0 + shifts @ sc_cell, axis=1)
                ties = np.nonzero(lens <= lens.min() + tie_tol)[0]
                for s in ties:
                    R = tuple(int(x) for x in T[u] + shifts[s] @ M)
                    if R not in acc:
                        acc[R] = np.zeros((n_orb, n_orb))
                        accS[R] = np.zeros((n_orb, n_orb))
                    acc[R][offsets[a]:offsets[a + 1], offsets[b]:offsets[b + 1]] += hb / len(ties)
                    accS[R][offsets[a]:offsets[a + 1], offsets[b]:offsets[b + 1]] += sb / len(ties)
    assert F.shape == (n_sc, n_sc)
    if stats is not None:
        stats["translation_spread"] = spread
    keys = sorted(acc)
    return np.array(keys, dtype=int).reshape(-1, 3), np.array([acc[k] for k in keys]), np.array([accS[k] for k in keys])
