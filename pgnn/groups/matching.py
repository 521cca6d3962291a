"""Identify a point group given as matrices in any Cartesian frame, and embed groups in each other.

``match_point_group(rotations)`` returns the group's name and an orthogonal rotation R (det +1) with
{R g R^T : g in rotations} = point_group(name).elements. Structures code uses R to bring a crystal
into the group's standard frame (r_standard = R r_input).

How. The name follows from counting element types (rotation order, proper/improper): these counts
differ for all 32 crystal classes. R is pinned by two elements with non-collinear axes: for every
choice of images of the same type in the target group (and axis signs), the rotation taking the two
axes to the images' axes (Kabsch) is checked against all elements. Among all valid R the one
closest to the identity (largest trace) is returned, so an input already in the standard frame
gives R = I. Groups with a single axis only pin that axis (R is then the smallest rotation taking
it onto the standard axis).
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

import numpy as np

from pgnn.errors import SymmetryError

__all__ = ["element_type", "type_signature", "match_point_group", "embed"]


def _proper(m: np.ndarray) -> tuple[np.ndarray, int]:
    det = 1 if np.linalg.det(m) > 0 else -1
    return m * det, det


def element_type(m: np.ndarray) -> tuple[int, int]:
    """(det, n): det +-1 and the order n of the rotation part det*m (1, 2, 3, 4, 6)."""
    r, det = _proper(np.asarray(m, dtype=np.float64))
    c = np.clip((np.trace(r) - 1) / 2, -1, 1)
    angle = np.degrees(np.arccos(c))
    n = 1 if angle < 1 else int(round(360.0 / angle))
    return det, n


def _axis(m: np.ndarray) -> np.ndarray:
    """Unit axis of the rotation part (sense = right-handed for angles < 180 deg; sign arbitrary at 180)."""
    r, _ = _proper(m)
    w = np.array([r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1]])
    if np.linalg.norm(w) > 1e-3:
        return w / np.linalg.norm(w)
    vals, vecs = np.linalg.eigh((r + r.T) / 2)
    return vecs[:, np.argmax(vals)]


def type_signature(rotations) -> tuple:
    """Sorted counts of element types: an invariant that names the crystal class."""
    return tuple(sorted(Counter(element_type(g) for g in rotations).items()))


@lru_cache(maxsize=1)
def _signatures() -> dict:
    from pgnn.groups.registry import list_groups, point_group

    out = {}
    for name in list_groups():
        sig = type_signature(point_group(name).elements)
        if sig in out:
            raise RuntimeError(f"groups {out[sig]} and {name} have the same type signature")
        out[sig] = name
    return out


def _kabsch(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Rotation R (det +1) minimizing |R A - B| for column sets A, B [3, k]."""
    U, _, Vt = np.linalg.svd(B @ A.T)
    d = np.sign(np.linalg.det(U @ Vt))
    return U @ np.diag([1.0, 1.0, d]) @ Vt


def _min_rotation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotation taking unit vector a to unit vector b."""
    v = np.cross(a, b)
    c = float(a @ b)
    if np.linalg.norm(v) < 1e-12:
        if c > 0:
            return np.eye(3)
        # 180 deg about any axis perpendicular to a
        p = np.eye(3)[np.argmin(np.abs(a))]
        p = p - a * (a @ p)
        p /= np.linalg.norm(p)
        return 2 * np.outer(p, p) - np.eye(3)
    K = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + K + K @ K / (1 + c)


def _images(R: np.ndarray, gs: np.ndarray, H: np.ndarray, tol: float):
    """Indices in H of R g R^T for each g, or None when one is not in H (max deviation > tol)."""
    conj = np.einsum("ab,gbc,dc->gad", R, gs, R)
    dist = np.abs(conj[:, None] - H[None]).reshape(len(gs), len(H), 9).max(-1)
    idx = dist.argmin(1)
    if dist[np.arange(len(gs)), idx].max() > tol:
        return None
    return idx


def _find_rotations(gs: np.ndarray, H: np.ndarray, tol: float) -> list[np.ndarray]:
    """All R (det +1) with R g R^T in H for every g in gs, up to the freedom of a single axis."""
    types = [element_type(g) for g in gs]
    Htypes = [element_type(h) for h in H]
    nontriv = [i for i, t in enumerate(types) if t[1] > 1]
    if not nontriv:
        return [np.eye(3)]
    # first pin: the element with the highest rotation order (proper preferred)
    i1 = max(nontriv, key=lambda i: (types[i][1], types[i][0]))
    a1 = _axis(gs[i1])
    i2 = next((i for i in sorted(nontriv, key=lambda i: (-types[i][1], -types[i][0]))
               if np.linalg.norm(np.cross(a1, _axis(gs[i]))) > 0.1), None)
    found = []
    c1 = [j for j, t in enumerate(Htypes) if t == types[i1]]
    if i2 is None:
        for j in c1:
            for s in (1.0, -1.0):
                R = _min_rotation(a1, s * _axis(H[j]))
                if _images(R, gs, H, tol) is not None:
                    found.append(R)
        return found
    a2 = _axis(gs[i2])
    A = np.stack([a1, a2, np.cross(a1, a2)], 1)
    c2 = [j for j, t in enumerate(Htypes) if t == types[i2]]
    for j1 in c1:
        b1 = _axis(H[j1])
        for j2 in c2:
            b2 = _axis(H[j2])
            if abs(abs(a1 @ a2) - abs(b1 @ b2)) > 1e-3:
                continue
            for s1 in (1.0, -1.0):
                for s2 in (1.0, -1.0):
                    u, v = s1 * b1, s2 * b2
                    if abs(a1 @ a2 - u @ v) > 1e-3:
                        continue
                    R = _kabsch(A, np.stack([u, v, np.cross(u, v)], 1))
                    if _images(R, gs, H, tol) is not None:
                        found.append(R)
    return found


def _orthogonalize(rotations, tol: float) -> np.ndarray:
    g = np.asarray(rotations, dtype=np.float64).reshape(-1, 3, 3)
    dev = np.abs(np.einsum("gab,gcb->gac", g, g) - np.eye(3)).max()
    if dev > max(1e-3, 100 * tol):
        raise SymmetryError("point-group matching", f"matrices are not orthogonal (deviation {dev:.2g})")
    U, _, Vt = np.linalg.svd(g)
    return U @ Vt


def match_point_group(rotations, tol: float = 1e-5) -> tuple[str, np.ndarray, np.ndarray]:
    """(name, R, perm) for a crystallographic point group given as Cartesian matrices [N, 3, 3].

    R: rotation (det +1) with R g_i R^T = point_group(name).elements[perm[i]] (max deviation <= tol
    after the input is orthogonalized); perm: int array [N], a bijection. Duplicates are not allowed.
    Raises SymmetryError when the matrices are not one of the 32 crystallographic point groups.
    """
    from pgnn.groups.registry import point_group

    gs = _orthogonalize(rotations, tol)
    sig = type_signature(gs)
    name = _signatures().get(sig)
    if name is None:
        raise SymmetryError("point-group matching", f"{len(gs)} matrices do not form a crystallographic point group")
    H = point_group(name).elements
    found = _find_rotations(gs, H, tol=0.05)
    best, best_tr = None, -np.inf
    for R in found:
        perm = _images(R, gs, H, tol=tol)
        if perm is None or len(set(perm.tolist())) != len(H):
            continue
        if np.trace(R) > best_tr + 1e-9:
            best, best_tr = (R, perm), np.trace(R)
    if best is None:
        raise SymmetryError("point-group matching", f"no rotation maps the matrices onto {name} within tol={tol}")
    return name, best[0], best[1]


def embed(subgroup: str, supergroup: str) -> tuple[np.ndarray, np.ndarray]:
    """(indices [N_sub], R) with R g R^T = supergroup.elements[indices[i]] for the subgroup's elements g.

    R = I when the subgroup sits in the supergroup in the standard orientation (true for every group
    and its holohedry, and for every group in Oh or D6h as listed by ``lattice_holohedry``);
    otherwise the rotation closest to the identity that makes it fit. Raises SymmetryError if none does.
    """
    from pgnn.groups.registry import point_group

    S, T = point_group(subgroup), point_group(supergroup)
    idx = _images(np.eye(3), S.elements, T.elements, 1e-9)
    if idx is not None:
        return idx, np.eye(3)
    best = None
    for R in _find_rotations(S.elements, T.elements, tol=1e-6):
        if best is None or np.trace(R) > np.trace(best) + 1e-9:
            best = R
    if best is None:
        raise SymmetryError(S.name, f"{S.name} is not a subgroup of {T.name}")
    return _images(best, S.elements, T.elements, 1e-6), best
