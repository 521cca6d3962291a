"""Continuous symmetry measures (Pinsky & Avnir) of coordination motifs against ideal polyhedra, as ChemEnv defines them.

Definition (ChemEnv, `symmetry_measure` on `points_wcs_ctwcc`): the motif is the central atom plus its n neighbours,
and the ideal polyhedron is its centre plus its n vertices; both point sets are centred on their own centroid
(centre included). With P the motif points and Q the ideal points ([n + 1, 3], centre first and fixed),

    CSM = 100 * min_{perm, O, s} |Q - s O P_perm|^2 / |Q|^2 = 100 * (1 - max_perm (sum sigma(P_perm^T Q))^2 / (|P|^2 |Q|^2))

where O runs over all orthogonal 3x3 matrices (ChemEnv's SVD alignment does not exclude reflections), s > 0 is a
scale, and sigma are the singular values. The value lies in [0, 100]; 0 is the ideal shape.

For up to EXHAUSTIVE_MAX = 6 neighbours every permutation is tried (exact). For larger motifs the permutation
search (the expensive part) is done for many motifs at once:
  1. candidate orientations: two anchor neighbours of the motif (one of its three nearest, and the one most
     perpendicular to it) are sent onto every ordered pair (representative vertex of each vertex class of the ideal polyhedron,
     any other vertex), with and without a reflection;
  2. for every candidate, assign each neighbour to its nearest ideal vertex (greedy matching where two neighbours
     want the same vertex), fit the best orthogonal map + scale (Procrustes via SVD); the best few candidates are
     re-assigned and re-fitted a few more times (vectorized over motifs and candidates);
  3. the best permutation over all candidates wins.
Nearest-vertex assignments that are permutations are optimal for their orientation, so the result is a local
optimum in both permutation and orientation, started from every symmetry-distinct anchor placement. Congruent
motifs (same sorted pairwise distances, e.g. symmetry-equivalent atoms) are computed once.
Ideal polyhedra are the coordinates shipped with pymatgen's ChemEnv (read once, cached).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: Ideal polyhedra used by default (ChemEnv mp_symbols), coordination numbers 2 to 12.
CSM_GEOMETRIES: tuple[str, ...] = (
    "L:2", "A:2",
    "TL:3", "TY:3", "TS:3",
    "T:4", "S:4", "SS:4",
    "PP:5", "S:5", "T:5",
    "O:6", "T:6", "PP:6",
    "PB:7", "ST:7", "ET:7", "FO:7",
    "C:8", "SA:8", "SBT:8", "DD:8", "HB:8",
    "TT_1:9", "TC:9", "HD:9",
    "PP:10", "PA:10",
    "PCPA:11", "H:11", "DI:11",
    "I:12", "C:12", "AC:12", "HP:12", "HA:12",
)


@lru_cache(maxsize=None)
def ideal_polyhedron(symbol: str) -> np.ndarray:
    """[n, 3] float64 vertices of the ideal polyhedron `symbol` (ChemEnv mp_symbol), centre at the origin.

    Read from the geometry files shipped with pymatgen's ChemEnv (read directly: importing ChemEnv takes seconds).
    """
    import json
    from importlib.resources import files

    folder = files("pymatgen.analysis.chemenv.coordination_environments") / "coordination_geometries_files"
    name = symbol.replace(":", "#") + ".json"
    try:
        raw = json.loads((folder / name).read_text())
    except FileNotFoundError:
        raise ValueError(f"unknown ChemEnv geometry {symbol!r}") from None
    centre = np.asarray(raw.get("central_site") or [0.0, 0.0, 0.0], dtype=np.float64)
    return np.asarray(raw["points"], dtype=np.float64) - centre


def _with_centre(points: np.ndarray) -> np.ndarray:
    """[..., n, 3] neighbours (centre at origin) -> [..., n + 1, 3] centre + neighbours, centred on their centroid."""
    z = np.zeros(points.shape[:-2] + (1, 3))
    allp = np.concatenate([z, points], axis=-2)
    return allp - allp.mean(-2, keepdims=True)


#: Motifs with at most this many neighbours are matched by trying every permutation (6! = 720).
EXHAUSTIVE_MAX = 6


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross product over the last axis (np.cross is slow on small arrays)."""
    return np.stack([a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1],
                     a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2],
                     a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]], axis=-1)


def _frame(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Orthonormal frames [..., 3, 3] (rows e1, e2, e3) from two non-parallel vectors a, b [..., 3]."""
    e1 = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b2 = b - np.sum(b * e1, -1, keepdims=True) * e1
    e2 = b2 / np.maximum(np.linalg.norm(b2, axis=-1, keepdims=True), 1e-300)
    e3 = _cross(e1, e2)
    return np.stack([e1, e2, e3], axis=-2)


@lru_cache(maxsize=None)
def _reference(symbol: str):
    """Cached per geometry: centred/normalized ideal points Qc [n+1, 3] and candidate target frames [C, 3, 3]."""
    Q = ideal_polyhedron(symbol)
    n = len(Q)
    Qc = _with_centre(Q)
    Qc = Qc / np.linalg.norm(Qc)
    # vertex classes by their sorted distance profile (a cheap stand-in for symmetry orbits)
    dists = np.linalg.norm(Q[:, None] - Q[None], axis=-1)
    prof = np.round(np.sort(np.concatenate([dists, np.linalg.norm(Q, axis=1)[:, None]], 1), axis=1), 6)
    _, reps = np.unique(prof, axis=0, return_index=True)
    frames = []
    for i in sorted(reps):
        for j in range(n):
            if j == i:
                continue
            c = np.cross(Q[i], Q[j])
            if np.linalg.norm(c) < 1e-6 * np.linalg.norm(Q[i]) * np.linalg.norm(Q[j]):
                continue  # collinear pair cannot fix an orientation
            F = _frame(Q[i], Q[j])
            frames.append(F)
            Fm = F.copy()
            Fm[2] *= -1.0  # mirrored target frame
            frames.append(Fm)
    if not frames:  # n <= 2 or all collinear: any frame
        frames = [np.eye(3)]
    return Qc, np.stack(frames)


def _anchor_frames(P: np.ndarray, n_anchors: int = 3) -> np.ndarray:
    """[M, A, 3, 3] motif frames: anchor a = each of the `n_anchors` nearest neighbours, b = the neighbour most
    perpendicular to a (any perpendicular direction if all neighbours are collinear with a)."""
    M, n, _ = P.shape
    r = np.linalg.norm(P, axis=-1)
    order = np.argsort(r, axis=1, kind="stable")[:, : min(n_anchors, n)]
    u = P / r[..., None]
    frames = []
    for k in range(order.shape[1]):
        a = P[np.arange(M), order[:, k]]
        ua = a / np.linalg.norm(a, axis=-1, keepdims=True)
        cosang = np.abs(np.einsum("mnc,mc->mn", u, ua))
        b = P[np.arange(M), np.argmin(cosang, axis=1)]
        ub = b / np.linalg.norm(b, axis=-1, keepdims=True)
        degenerate = np.linalg.norm(_cross(ua, ub), axis=-1) < 1e-8
        if degenerate.any():
            helper = np.where(np.abs(ua[:, :1]) < 0.9, np.array([[1.0, 0, 0]]), np.array([[0, 1.0, 0]]))
            b = np.where(degenerate[:, None], helper, b)
        frames.append(_frame(a, b))
    return np.stack(frames, axis=1)


def _score(Pc: np.ndarray, Qc: np.ndarray, assign: np.ndarray):
    """Sum of singular values of P_perm^T Q and the orthogonal map O (P -> Q).

    Pc [..., n+1, 3]; assign [..., n]: neighbour i of the motif goes to ideal vertex assign[i] (a permutation).
    """
    perm = np.argsort(assign, axis=-1)  # ideal vertex j receives motif neighbour perm[j]
    idx = np.concatenate([np.zeros(perm.shape[:-1] + (1,), dtype=perm.dtype), perm + 1], axis=-1)
    Pp = np.take_along_axis(Pc, idx[..., None], axis=-2)
    H = np.swapaxes(Pp, -1, -2) @ Qc  # [..., 3, 3]
    U, S, Vt = np.linalg.svd(H)
    O = np.swapaxes(Vt, -1, -2) @ np.swapaxes(U, -1, -2)  # rotate column vectors of P onto Q
    return S.sum(-1), O


def _assign(Pc: np.ndarray, Qc: np.ndarray, O: np.ndarray, s: np.ndarray) -> np.ndarray:
    """One-to-one assignment of the neighbours of s*O*P to ideal vertices, vectorized. Returns [..., n].

    Each neighbour takes its nearest vertex; where two neighbours want the same vertex, a greedy matching
    (closest remaining pair first) is used instead. A nearest-vertex assignment that is a permutation is the
    optimal assignment for that orientation.
    """
    X = s[..., None, None] * (Pc[..., 1:, :] @ np.swapaxes(O, -1, -2))  # rows: O @ p
    Qv = Qc[1:]
    d2 = (X * X).sum(-1)[..., :, None] + (Qv * Qv).sum(-1) - 2.0 * (X @ Qv.T)  # [..., n, n] squared distances
    n = d2.shape[-1]
    lead = d2.shape[:-2]
    flat = d2.reshape(-1, n, n)
    out = np.argmin(flat, -1)
    clash = np.flatnonzero(~np.all(np.sort(out, -1) == np.arange(n), -1))
    if len(clash):
        sub = flat[clash].copy()
        B = len(clash)
        fix = np.zeros((B, n), dtype=np.int64)
        rows = np.arange(B)
        for _ in range(n):
            k = np.argmin(sub.reshape(B, -1), axis=1)
            i, j = k // n, k % n
            fix[rows, i] = j
            sub[rows, i, :] = np.inf
            sub[rows, :, j] = np.inf
        out[clash] = fix
    return out.reshape(lead + (n,))


def _csm_fixed_size(P: np.ndarray, symbol: str, n_iter: int = 4, keep: int = 6, src=None) -> np.ndarray:
    """[M] CSM of M motifs with exactly n neighbours (P [M, n, 3], centre at origin) against `symbol` (n vertices).

    One assignment from every candidate orientation; the `keep` candidates with the largest overlap get a
    Procrustes fit and `n_iter - 1` more assignment + fit rounds.
    """
    M, n, _ = P.shape
    Qc, target = _reference(symbol)
    assert Qc.shape[0] == n + 1, (symbol, n)
    Pc = _with_centre(P)
    Pc = Pc / np.linalg.norm(Pc, axis=(1, 2))[:, None, None]
    if n == 1:
        return np.zeros(M)
    if n <= EXHAUSTIVE_MAX:  # few permutations: try them all (exact minimum)
        perms = _permutations(n)
        best = np.zeros(M)
        for s0 in range(0, len(perms), 120):
            a = np.broadcast_to(perms[s0: s0 + 120][None], (M,) + perms[s0: s0 + 120].shape)
            Pb = np.broadcast_to(Pc[:, None], (M, a.shape[1]) + Pc.shape[1:])
            best = np.maximum(best, _score(Pb, Qc, a)[0].max(1))
        return np.clip(100.0 * (1.0 - best**2), 0.0, 100.0)
    src = _anchor_frames(P) if src is None else src  # [M, A, 3, 3]
    # candidate orientation O = T^T F (maps motif frame rows onto target frame rows), all (target, anchor) pairs
    O = np.einsum("cki,makj->mcaij", target, src).reshape(M, -1, 3, 3)  # [M, C, 3, 3]
    C = O.shape[1]
    Pb = np.broadcast_to(Pc[:, None], (M, C) + Pc.shape[1:])
    a = _assign(Pb, Qc, O, np.ones((M, C)))
    # rank candidates by the overlap of the assigned points in the candidate orientation (no SVD yet)
    idx = np.concatenate([np.zeros((M, C, 1), dtype=np.int64), np.argsort(a, -1) + 1], axis=-1)
    Pp = np.take_along_axis(Pb, idx[..., None], axis=-2)
    overlap = np.einsum("mcij,mcnj,ni->mc", O, Pp, Qc)
    k = min(keep, C)
    top = np.argsort(-overlap, axis=1)[:, :k]
    a = np.take_along_axis(a, top[..., None], axis=1)
    Pk = np.broadcast_to(Pc[:, None], (M, k) + Pc.shape[1:])
    s, O = _score(Pk, Qc, a)  # |Pc| = |Qc| = 1: the optimal scale is the sum of singular values
    best = s.max(1)
    for _ in range(n_iter - 1):
        a = _assign(Pk, Qc, O, s)
        s, O = _score(Pk, Qc, a)
        best = np.maximum(best, s.max(1))
    return np.clip(100.0 * (1.0 - best**2), 0.0, 100.0)


@lru_cache(maxsize=None)
def _permutations(n: int) -> np.ndarray:
    """[n!, n] all permutations of range(n)."""
    import itertools

    return np.array(list(itertools.permutations(range(n))), dtype=np.int64)


def _dedupe(P: np.ndarray, decimals: int = 6):
    """Group motifs that are similar: same sorted multiset of pairwise distances (centre included) up to scale.

    Returns (index of one representative per group, inverse [M] mapping every motif to its group)."""
    M, n, _ = P.shape
    allp = np.concatenate([np.zeros((M, 1, 3)), P], axis=1)
    iu = np.triu_indices(n + 1, 1)
    d = np.linalg.norm(allp[:, :, None] - allp[:, None], axis=-1)[:, iu[0], iu[1]]
    d = d / d.max(axis=1, keepdims=True)  # the CSM does not depend on the scale
    key = np.round(np.sort(d, axis=1), decimals)
    _, rep, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
    return rep, inv.reshape(-1)


def continuous_symmetry_measures(
    vectors: np.ndarray,
    mask: np.ndarray,
    geometries: tuple[str, ...] = CSM_GEOMETRIES,
    fill: float = 100.0,
    chunk: int = 2_000_000,
    dedupe: bool = True,
) -> np.ndarray:
    """CSM of padded motifs against each ideal polyhedron of the same coordination number.

    vectors: [M, K, 3] centre -> neighbour vectors (Angstrom), padded; mask: [M, K] bool.
    Returns [M, len(geometries)] float64 in [0, 100]; entries whose polyhedron has a different number of vertices
    than the motif are `fill` (100 = maximally unlike). With `dedupe`, motifs congruent up to scale are computed once.
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    M = vectors.shape[0]
    out = np.full((M, len(geometries)), float(fill))
    size = mask.sum(1)
    groups: dict[int, tuple] = {}
    for gi, sym in enumerate(geometries):
        n = len(ideal_polyhedron(sym))
        rows = np.flatnonzero(size == n)
        if len(rows) == 0:
            continue
        # members are the first `size` slots of each row (as `first_shells` fills them)
        P = vectors[rows, :n]
        if n not in groups:
            rep, inv = _dedupe(P) if dedupe else (np.arange(len(P)), np.arange(len(P)))
            groups[n] = (rep, inv, _anchor_frames(P[rep]))
        rep, inv, src = groups[n]  # congruent motifs share their CSM values
        Pu = P[rep]
        C = _reference(sym)[1].shape[0]
        step = max(1, chunk // (3 * C * n * n * 3))
        vals = np.concatenate([_csm_fixed_size(Pu[s0: s0 + step], sym, src=src[s0: s0 + step])
                               for s0 in range(0, len(Pu), step)])
        out[rows, gi] = vals[inv]
    return out
