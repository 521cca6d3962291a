"""Orbital basis of an element: shells (n, l) and the orbital order m = -l..l of e3nn's real harmonics.

Convention (the one every stored block uses): within a shell of degree l, orbital m (index m + l) is the real
spherical harmonic component m of ``e3nn.o3.spherical_harmonics`` (= ``pgnn.groups.harmonics.real_sh(l, v,
"e3nn")``), positive lobe along the positive direction of that harmonic, no Condon-Shortley phase:

    l = 0: s
    l = 1: x, y, z
    l = 2: xz, xy, 3y^2-r^2, yz, z^2-x^2        (e3nn's polar axis is y)

Engines use their own order ("z": the standard real harmonics with polar axis z, m = -l..l, e.g. p = y, z, x and
d = xy, yz, 3z^2-r^2, xz, x^2-y^2; pyscf's p = x, y, z). ``to_e3nn(l, convention)`` is the orthogonal T with
c_e3nn = T c_engine, so a block transforms as H_e3nn = T_i H_engine T_j^T.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from pgnn.groups.harmonics import real_sh

__all__ = ["Shell", "OrbitalBasis", "to_e3nn", "COMPONENT_NAMES"]

COMPONENT_NAMES = {0: ("s",), 1: ("x", "y", "z"), 2: ("xz", "xy", "3y2-r2", "yz", "z2-x2")}
L_LETTERS = "spdfgh"


@dataclass(frozen=True)
class Shell:
    """One shell: principal quantum number n (as the engine names it) and angular momentum l."""

    n: int
    l: int

    @property
    def label(self) -> str:
        return f"{self.n}{L_LETTERS[self.l]}"


@dataclass(frozen=True)
class OrbitalBasis:
    """The orbitals of one element, shell by shell, each shell m = -l..l in e3nn's order."""

    element: str
    shells: tuple[Shell, ...]

    @property
    def n_orb(self) -> int:
        return sum(2 * s.l + 1 for s in self.shells)

    @property
    def ls(self) -> tuple[int, ...]:
        return tuple(s.l for s in self.shells)

    def orbital_names(self) -> list[str]:
        """Names such as '2p(x)', '3d(3y2-r2)'."""
        out = []
        for s in self.shells:
            names = COMPONENT_NAMES.get(s.l) or tuple(f"m={m}" for m in range(-s.l, s.l + 1))
            out += [f"{s.label}({c})" if s.l else s.label for c in names]
        return out

    def to_dict(self) -> dict:
        return {"element": self.element, "shells": [[s.n, s.l] for s in self.shells]}

    @classmethod
    def from_dict(cls, d: dict) -> "OrbitalBasis":
        return cls(str(d["element"]), tuple(Shell(int(n), int(l)) for n, l in d["shells"]))


@lru_cache(maxsize=None)
def _to_e3nn(l: int, convention: str) -> np.ndarray:
    k = np.arange(8 * (2 * l + 1)) + 0.5
    z = 1 - 2 * k / len(k)
    phi = np.pi * (1 + 5**0.5) * k
    v = np.stack([np.sqrt(1 - z * z) * np.cos(phi), np.sqrt(1 - z * z) * np.sin(phi), z], -1)
    y_e3nn = real_sh(l, v, "e3nn")
    if convention == "z":
        y_eng = real_sh(l, v, "z")
    elif convention == "pyscf":  # standard order, except p = x, y, z
        y_eng = real_sh(l, v, "z")
        if l == 1:
            y_eng = y_eng[:, [2, 0, 1]]
    else:
        raise ValueError(f"unknown orbital convention {convention!r}")
    T, *_ = np.linalg.lstsq(y_eng, y_e3nn, rcond=None)  # y_e3nn = y_eng @ T  ->  Y_e3nn = T^T Y_eng
    T = T.T
    T[np.abs(T) < 1e-12] = 0.0
    return T


def to_e3nn(l: int, convention: str = "z") -> np.ndarray:
    """Orthogonal [2l+1, 2l+1] T with (orbitals in e3nn order) = T (orbitals in the engine's order)."""
    return _to_e3nn(l, convention).copy()


def basis_transform(ls, convention: str) -> np.ndarray:
    """Block-diagonal T over the shells ``ls`` of one atom."""
    n = sum(2 * l + 1 for l in ls)
    T = np.zeros((n, n))
    o = 0
    for l in ls:
        d = 2 * l + 1
        T[o:o + d, o:o + d] = to_e3nn(l, convention)
        o += d
    return T
