"""Real (physically irreducible) irreps of a point group, with Mulliken labels.

Construction. The irreps are cut out of the O(3) representations (l, parity) restricted to the group,
taken in the order (0,+), (0,-), (1,-), (1,+), (2,+), (2,-), (3,-), (3,+), ... : the scalar, the
pseudoscalar det(g), the polar vector (matrices g itself, basis x, y, z), the axial vector det(g) g,
then real harmonics with polar axis z (l = 2: xy, yz, 3z^2-r^2, xz, x^2-y^2). Each space is split into
irreducible invariant subspaces with an element of its commutant (the group average of a fixed
diagonal matrix, then of fixed pseudo-random symmetric matrices where needed); the basis of a
subspace is the Gram-Schmidt orthonormalization of the projected basis functions, in order, so it
is as close to the named functions as the subspace allows (e.g. Oh: T1u = (x, y, z), Eg =
(3z^2-r^2, x^2-y^2), T2g = (xy, yz, xz)). The first subspace with a new character defines that irrep.

Every irrep is checked: orthogonal matrices, homomorphism, <chi, chi> = commutant_dim, and
sum of d^2 / commutant_dim = N.

Mulliken labels follow the standard character tables (T, not F); the rules are in ``label``.
Complex-type irreps (in C3, C4, C6, S4, C3i, C3h, C4h, C6h, T, Th) come as one real 2-dim irrep per
complex-conjugate pair: label "E" (or E1, E2, Eg, E', ...), ``kind="complex"``, ``commutant_dim=2``
and a ``note`` naming the pair (e.g. "1E+2E").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from pgnn.groups.harmonics import o3_rep
from pgnn.groups.projection import range_basis

__all__ = ["Irrep", "build_irreps"]


@dataclass(eq=False)
class Irrep:
    """One real irrep. matrices [N, d, d] (orthogonal, element order of the group);
    characters [N]; kind "real" or "complex" (a joined complex-conjugate pair); commutant_dim 1 or 2;
    source: the O(3) space (l, parity) it was cut from."""

    name: str
    dim: int
    matrices: np.ndarray
    kind: str = "real"
    commutant_dim: int = 1
    note: str = ""
    index: int = -1
    source: tuple = field(default=(0, 1))

    @cached_property
    def characters(self) -> np.ndarray:
        """[N] traces of the matrices (read-only)."""
        chi = np.einsum("gii->g", self.matrices)
        chi.setflags(write=False)
        return chi

    @property
    def commutant(self) -> np.ndarray:
        """Orthogonal basis [commutant_dim, d, d] of the matrices commuting with every D(g):
        [I] for a real-type irrep, [I, J] with J = [[0, -1], [1, 0]] for a joined complex pair."""
        if self.commutant_dim == 1:
            return np.eye(self.dim)[None]
        return np.array([np.eye(2), [[0.0, -1.0], [1.0, 0.0]]])

    def __repr__(self) -> str:
        extra = f", {self.note}" if self.note else ""
        return f"Irrep({self.name}, dim={self.dim}, {self.kind}{extra})"


def _candidate_spaces(elements: np.ndarray, lmax: int = 6):
    det = np.sign(np.linalg.det(elements))
    N = len(elements)
    yield (0, 1), np.ones((N, 1, 1))
    yield (0, -1), det[:, None, None].copy()
    yield (1, -1), elements.copy()
    yield (1, 1), elements * det[:, None, None]
    for l in range(2, lmax + 1):
        for p in ((-1) ** l, -((-1) ** l)):
            yield (l, p), o3_rep(l, p, elements, convention="z")


def _eigenspaces(A: np.ndarray, tol: float = 1e-7) -> list[np.ndarray]:
    w, v = np.linalg.eigh(A)
    groups, start = [], 0
    for i in range(1, len(w) + 1):
        if i == len(w) or w[i] - w[i - 1] > tol * max(1.0, abs(w).max()):
            groups.append(v[:, start:i].T)
            start = i
    return groups


def _is_irreducible(chi: np.ndarray, table: np.ndarray) -> bool:
    nn = float(np.mean(chi * chi))
    if abs(nn - 1) < 1e-6:
        return True
    if abs(nn - 2) < 1e-6:
        sq = table[np.arange(len(chi)), np.arange(len(chi))]
        return abs(float(np.mean(chi[sq]))) < 1e-6
    return False


def _split(D: np.ndarray, table: np.ndarray, rng: np.random.Generator, depth: int = 0) -> list[np.ndarray]:
    """Irreducible invariant subspaces of the orthogonal rep D [N, n, n], as row bases [k, n]."""
    N, n, _ = D.shape
    if _is_irreducible(np.einsum("gii->g", D), table):
        return [np.eye(n)]
    if depth > 8:
        raise RuntimeError("could not split a representation into irreducibles")
    if depth == 0:
        X = np.diag(np.arange(1.0, n + 1.0) ** 1.5)
    else:
        X = rng.normal(size=(n, n))
        X = X + X.T
    A = np.einsum("gij,jk,glk->il", D, X, D) / N
    out = []
    spaces = _eigenspaces(A)
    if len(spaces) == 1:
        return _split(D, table, rng, depth + 1)
    for V in spaces:
        DV = np.einsum("ij,gjk,lk->gil", V, D, V)
        out.extend(sub @ V for sub in _split(DV, table, rng, depth + 1))
    return out


def _nice_basis(V: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the row space of V [k, n]: Gram-Schmidt of the projected unit vectors e_t."""
    return range_basis(V.T @ V, V.shape[0], tol=1e-6)


_EXACT = np.array([0.0, 0.5, np.sqrt(3.0) / 2.0, 1.0, np.sqrt(0.5)])


def _snap(M: np.ndarray, tol: float = 1e-11) -> np.ndarray:
    """Round entries within ``tol`` of 0, 1/2, sqrt(3)/2, 1/sqrt(2), 1 (in absolute value) to those exact
    values: the crystallographic irreps in these bases only have such entries, so this removes the
    rounding noise of the construction and makes the matrices identical on every platform."""
    a = np.abs(M)
    k = np.abs(a[..., None] - _EXACT).argmin(-1)
    close = np.abs(a - _EXACT[k]) < tol
    return np.where(close, np.sign(M) * _EXACT[k], M)


def _idx(elements: np.ndarray, m: np.ndarray) -> int | None:
    d = np.abs(elements - m[None]).reshape(len(elements), -1).max(1)
    i = int(np.argmin(d))
    return i if d[i] < 1e-8 else None


def label(chi: np.ndarray, elements: np.ndarray, meta: dict, kind: str) -> tuple[str, tuple]:
    """Mulliken label of a real irrep with characters chi [N]; returns (name, sort key).

    Rules (characters at the fixed elements named in ``elements.GROUP_DATA``):
    dimension 1 -> A (symmetric under the principal operation, or no principal axis) / B;
    D2, D2h: A, B1, B2, B3 by which of C2z, C2y, C2x is symmetric; dimension 2 -> E; 3 -> T;
    subscript 1/2 on A and B: symmetric/antisymmetric under the secondary operation (C2' along a
    = x, or the mirror containing x, see GROUP_DATA); in O, Td, Oh: A1/A2 and T1/T2 by C4z (S4z in Td);
    six-fold groups: E1/E2 by the sign of chi(C6z); g/u by inversion; ' / '' by sigma_h.
    """
    from pgnn.groups.elements import NAMED

    def ch(name):
        i = _idx(elements, NAMED[name])
        return chi[i]

    d = int(round(chi[0])) // (2 if kind == "complex" else 1)
    d_real = int(round(chi[0]))
    sub = ""
    if d_real == 1:
        if meta.get("d2"):
            if ch("C2z") > 0 and ch("C2y") > 0 and ch("C2x") > 0:
                letter = "A"
            else:
                letter = "B"
                sub = "1" if ch("C2z") > 0 else ("2" if ch("C2y") > 0 else "3")
        else:
            p = meta.get("principal")
            letter = "A" if (p is None or ch(p) > 0) else "B"
            if meta.get("secondary"):
                sub = "1" if ch(meta["secondary"]) > 0 else "2"
            elif meta.get("cubic4"):
                sub = "1" if ch(meta["cubic4"]) > 0 else "2"
    elif d_real == 2:
        letter = "E"
        if meta.get("six"):
            sub = "1" if ch("C6z") > 0 else "2"
    elif d_real == 3:
        letter = "T"
        if meta.get("cubic4"):
            sub = "1" if ch(meta["cubic4"]) > 0 else "2"
    else:
        raise RuntimeError(f"unexpected irrep dimension {d_real}")
    suffix, srank = "", 0
    if _idx(elements, -np.eye(3)) is not None:
        suffix = "g" if ch("I") > 0 else "u"
        srank = 0 if suffix == "g" else 1
    elif meta.get("sigma_h"):
        suffix = "'" if ch(meta["sigma_h"]) > 0 else "''"
        srank = 0 if suffix == "'" else 1
    name = letter + sub + suffix
    del d
    return name, (srank, "ABET".index(letter), sub)


def build_irreps(elements: np.ndarray, table: np.ndarray, meta: dict) -> list[Irrep]:
    """All real irreps of the group with ``elements`` [N, 3, 3] and multiplication ``table``, labelled
    and sorted as in the standard character tables."""
    N = len(elements)
    rng = np.random.default_rng(20240607)
    found: list[Irrep] = []
    total = 0.0
    for source, D in _candidate_spaces(elements):
        for V in _split(D, table, rng):
            B = _nice_basis(V)
            M = _snap(np.einsum("ij,gjk,lk->gil", B, D, B))
            chi = np.einsum("gii->g", M)
            if any(np.abs(chi - ir.characters).max() < 1e-6 for ir in found):
                continue
            c = int(round(np.mean(chi * chi)))
            kind = "real" if c == 1 else "complex"
            found.append(Irrep(name="", dim=B.shape[0], matrices=M, kind=kind, commutant_dim=c, source=source))
            total += B.shape[0] ** 2 / c
        if abs(total - N) < 1e-9:
            break
    if abs(total - N) > 1e-9:
        raise RuntimeError(f"found irreps with sum d^2/c = {total}, expected {N}")
    keyed = []
    for ir in found:
        name, key = label(ir.characters, elements, meta, ir.kind)
        ir.name = name
        if ir.kind == "complex":
            ir.note = f"1{name}+2{name}: complex-conjugate pair joined into one real 2-dim irrep"
        keyed.append((key, ir))
    keyed.sort(key=lambda t: t[0])
    irreps = [ir for _, ir in keyed]
    names = [ir.name for ir in irreps]
    if len(set(names)) != len(names):
        raise RuntimeError(f"duplicate Mulliken labels {names}")
    for i, ir in enumerate(irreps):
        ir.index = i
        ir.matrices.setflags(write=False)
    return irreps
