"""The 32 crystallographic point groups as sets of 3x3 orthogonal Cartesian matrices.

Orientation (the settings of the ITA / spglib standard cells):

- cubic: axes along x, y, z; the 3-fold axes along <111>.
- tetragonal, orthorhombic: 4-fold / principal 2-fold along z; orthorhombic 2-folds along x, y, z.
  mm2 as in Pmm2 (2-fold along z, mirrors normal to x and y); 4mm with mirrors normal to x, y and
  <110>; -42m as in P-42m (2-folds along x and y, mirrors normal to <110>).
- hexagonal and trigonal (hexagonal axes): c along z, a along x, b at 120 deg from a.
  32 as in P321 (2-folds along a, i.e. x), 3m as in P3m1 (mirrors normal to a), -3m as in P-3m1,
  -6m2 as in P-6m2 (mirrors normal to a, 2-folds along y), 622/6mm/6/mmm with 2-folds along a.
- monoclinic: unique axis b = y (2-fold along y, mirror normal to y).

These are the point groups of spglib's standard setting of every space group (checked in
``tests/groups/test_orientation.py``) except the other orientation of five classes:
P-4m2 ... I-4c2 (115-120), P312 (149, 151, 153), P31m (157, 159), P-31m (162, 163) and
P-62m (189, 190), whose symmetry is the fixed group rotated by 45 or 30/90 deg about z
(``matching.match_point_group`` returns that rotation).

Every group is then a subgroup of its holohedry in the same frame, and every holohedry is a
subgroup of Oh (cubic axes) or D6h (hexagonal axes).

Elements are ordered deterministically: identity first, proper before improper, then by rotation
order and a fixed lexicographic key (see ``_sort_key``).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["GROUP_DATA", "GROUP_ORDER", "generate", "matrices", "index_in", "element_symbol"]

_S3 = np.sqrt(3.0) / 2.0


def _rz(deg: int) -> np.ndarray:
    """Rotation about z by a multiple of 30 degrees, with exact cos/sin values."""
    exact = {0: 0.0, 30: 0.5, 60: _S3, 90: 1.0, 120: _S3, 150: 0.5, 180: 0.0}
    d = deg % 360
    s = exact[d] if d <= 180 else -exact[360 - d]
    c = exact[(d + 90) % 360] if (d + 90) % 360 <= 180 else -exact[360 - (d + 90) % 360]
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


E = np.eye(3)
INV = -np.eye(3)
C2X = np.diag([1.0, -1.0, -1.0])
C2Y = np.diag([-1.0, 1.0, -1.0])
C2Z = np.diag([-1.0, -1.0, 1.0])
MX, MY, MZ = -C2X, -C2Y, -C2Z
C4Z = _rz(90)
S4Z = -C4Z  # the rotoinversion -4 along z (= inversion after C4z)
C3Z = _rz(120)
C6Z = _rz(60)
C3_111 = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # x -> y -> z -> x

# Named matrices used by the group table and by the Mulliken labelling rules.
NAMED = {
    "E": E, "I": INV, "C2x": C2X, "C2y": C2Y, "C2z": C2Z, "mx": MX, "my": MY, "mz": MZ,
    "C4z": C4Z, "S4z": S4Z, "C3z": C3Z, "C6z": C6Z, "C3_111": C3_111,
}

# name: (Hermann-Mauguin, aliases, generators, holohedry, labelling rules)
# labelling rules: "principal" -> A/B by the sign of the character there;
# "secondary" -> subscript 1/2 on A/B (and on A in cubic groups); "six" -> E1/E2;
# "cubic4" -> T1/T2 (and A1/A2); "sigma_h" -> ' / ''; "d2" -> A, B1, B2, B3 by C2z, C2y, C2x.
GROUP_DATA: dict[str, dict] = {
    "C1": dict(hm="1", aliases=[], gens=[], holo="Ci", system="triclinic"),
    "Ci": dict(hm="-1", aliases=["S2"], gens=["I"], holo="Ci", system="triclinic"),
    "C2": dict(hm="2", aliases=[], gens=["C2y"], holo="C2h", system="monoclinic", principal="C2y"),
    "Cs": dict(hm="m", aliases=["C1h"], gens=["my"], holo="C2h", system="monoclinic", sigma_h="my"),
    "C2h": dict(hm="2/m", aliases=[], gens=["C2y", "I"], holo="C2h", system="monoclinic", principal="C2y"),
    "D2": dict(hm="222", aliases=["V"], gens=["C2z", "C2y"], holo="D2h", system="orthorhombic", d2=True),
    "C2v": dict(hm="mm2", aliases=[], gens=["C2z", "mx"], holo="D2h", system="orthorhombic",
                principal="C2z", secondary="my"),
    "D2h": dict(hm="mmm", aliases=["Vh"], gens=["C2z", "C2y", "I"], holo="D2h", system="orthorhombic", d2=True),
    "C4": dict(hm="4", aliases=[], gens=["C4z"], holo="D4h", system="tetragonal", principal="C4z"),
    "S4": dict(hm="-4", aliases=[], gens=["S4z"], holo="D4h", system="tetragonal", principal="S4z"),
    "C4h": dict(hm="4/m", aliases=[], gens=["C4z", "I"], holo="D4h", system="tetragonal", principal="C4z"),
    "D4": dict(hm="422", aliases=[], gens=["C4z", "C2x"], holo="D4h", system="tetragonal",
               principal="C4z", secondary="C2x"),
    "C4v": dict(hm="4mm", aliases=[], gens=["C4z", "mx"], holo="D4h", system="tetragonal",
                principal="C4z", secondary="my"),
    "D2d": dict(hm="-42m", aliases=["Vd"], gens=["S4z", "C2x"], holo="D4h", system="tetragonal",
                principal="S4z", secondary="C2x"),
    "D4h": dict(hm="4/mmm", aliases=[], gens=["C4z", "C2x", "I"], holo="D4h", system="tetragonal",
                principal="C4z", secondary="C2x"),
    "C3": dict(hm="3", aliases=[], gens=["C3z"], holo="D3d", system="trigonal", principal="C3z"),
    "C3i": dict(hm="-3", aliases=["S6"], gens=["C3z", "I"], holo="D3d", system="trigonal", principal="C3z"),
    "D3": dict(hm="32", aliases=["321"], gens=["C3z", "C2x"], holo="D3d", system="trigonal",
               principal="C3z", secondary="C2x"),
    "C3v": dict(hm="3m", aliases=["3m1"], gens=["C3z", "mx"], holo="D3d", system="trigonal",
                principal="C3z", secondary="mx"),
    "D3d": dict(hm="-3m", aliases=["-3m1"], gens=["C3z", "C2x", "I"], holo="D3d", system="trigonal",
                principal="C3z", secondary="C2x"),
    "C6": dict(hm="6", aliases=[], gens=["C6z"], holo="D6h", system="hexagonal", principal="C6z", six=True),
    "C3h": dict(hm="-6", aliases=[], gens=["C3z", "mz"], holo="D6h", system="hexagonal",
                principal="C3z", sigma_h="mz"),
    "C6h": dict(hm="6/m", aliases=[], gens=["C6z", "I"], holo="D6h", system="hexagonal", principal="C6z", six=True),
    "D6": dict(hm="622", aliases=[], gens=["C6z", "C2x"], holo="D6h", system="hexagonal",
               principal="C6z", secondary="C2x", six=True),
    "C6v": dict(hm="6mm", aliases=[], gens=["C6z", "mx"], holo="D6h", system="hexagonal",
                principal="C6z", secondary="my", six=True),
    "D3h": dict(hm="-6m2", aliases=[], gens=["C3z", "mz", "mx"], holo="D6h", system="hexagonal",
                principal="C3z", secondary="C2y", sigma_h="mz"),
    "D6h": dict(hm="6/mmm", aliases=[], gens=["C6z", "C2x", "I"], holo="D6h", system="hexagonal",
                principal="C6z", secondary="C2x", six=True),
    "T": dict(hm="23", aliases=[], gens=["C2z", "C3_111"], holo="Oh", system="cubic"),
    "Th": dict(hm="m-3", aliases=[], gens=["C2z", "C3_111", "I"], holo="Oh", system="cubic"),
    "O": dict(hm="432", aliases=[], gens=["C4z", "C3_111"], holo="Oh", system="cubic", cubic4="C4z"),
    "Td": dict(hm="-43m", aliases=[], gens=["S4z", "C3_111"], holo="Oh", system="cubic", cubic4="S4z"),
    "Oh": dict(hm="m-3m", aliases=[], gens=["C4z", "C3_111", "I"], holo="Oh", system="cubic", cubic4="C4z"),
}
GROUP_ORDER = list(GROUP_DATA)  # ITA order of the crystal classes (1 ... m-3m)


def _sort_key(m: np.ndarray):
    det = np.linalg.det(m)
    proper = m * np.sign(det)
    tr = np.trace(proper)
    return (det < 0, -round(tr, 6), tuple(-np.round(m.ravel(), 6)))


def generate(gens: list[np.ndarray]) -> np.ndarray:
    """Close a set of 3x3 orthogonal matrices under multiplication -> [N, 3, 3], sorted by ``_sort_key``."""
    gens = [np.asarray(g, dtype=np.float64) for g in gens]

    def key(m):
        return tuple(np.round(m, 6).ravel() + 0.0)

    elems = {key(np.eye(3)): np.eye(3)}
    frontier = [np.eye(3)]
    while frontier:
        new = []
        for a in frontier:
            for g in gens:
                p = g @ a
                k = key(p)
                if k not in elems:
                    elems[k] = p
                    new.append(p)
        frontier = new
        if len(elems) > 48:
            raise ValueError("generators do not close into a crystallographic point group")
    out = np.array(sorted(elems.values(), key=_sort_key))
    out[np.abs(out) < 1e-14] = 0.0
    return out


def matrices(name: str) -> np.ndarray:
    """Elements [N, 3, 3] of the group with canonical Schoenflies ``name`` (a new array)."""
    return _matrices(name).copy()


@lru_cache(maxsize=None)
def _matrices(name: str) -> np.ndarray:
    out = generate([NAMED[g] for g in GROUP_DATA[name]["gens"]])
    out.setflags(write=False)
    return out


def index_in(elements: np.ndarray, group: str, tol: float = 1e-8) -> np.ndarray:
    """Indices [N] of ``elements`` [N, 3, 3] among the elements of the canonical ``group``; ValueError if absent."""
    H = _matrices(group)
    d = np.abs(np.asarray(elements)[:, None] - H[None]).reshape(len(elements), len(H), 9).max(-1)
    idx = d.argmin(1)
    if d[np.arange(len(elements)), idx].max() > tol:
        raise ValueError(f"not all elements are in {group}")
    return idx


def element_symbol(m: np.ndarray) -> str:
    """A short Seitz-like symbol: type and Cartesian axis, e.g. '1', '-1', '2[0,0,1]', '4+[0,0,1]',
    'm[1,0,0]' (mirror with that normal), '-3-[1,1,1]', '3+[0,0,1]'. Axes are unit vectors rounded to
    3 decimals unless they are integer directions."""
    m = np.asarray(m, dtype=np.float64)
    det = np.sign(np.linalg.det(m))
    r = m * det
    tr = np.clip((np.trace(r) - 1) / 2, -1, 1)
    angle = np.degrees(np.arccos(tr))
    n = int(round(360 / angle)) if angle > 1e-6 else 1
    if n == 1:
        return "1" if det > 0 else "-1"
    if n == 2:
        w, v = np.linalg.eigh((r + r.T) / 2)
        axis = v[:, np.argmax(w)]
    else:
        axis = np.array([r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1]])
    axis = axis / np.linalg.norm(axis)
    k = np.flatnonzero(np.abs(axis) > 1e-8)[0]
    sense = "+" if axis[k] > 0 else "-"
    axis = axis * np.sign(axis[k])  # canonical axis direction; the sense goes into +/-
    ints = axis / np.abs(axis[np.abs(axis) > 1e-8]).min()
    if np.allclose(ints, np.round(ints), atol=1e-6):
        ax = ",".join(str(int(round(c))) for c in ints)
    else:
        ax = ",".join(f"{c + 0.0:.3f}" for c in np.where(np.abs(axis) < 1e-8, 0.0, axis))
    if n == 2:
        typ = "2" if det > 0 else "m"
    else:
        typ = f"{n}{sense}" if det > 0 else f"-{n}{sense}"
    return f"{typ}[{ax}]"
