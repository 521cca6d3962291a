"""The 32 crystallographic point groups by name, and naming a finite group of 3x3 rotations.

A point group is identified by how many of its elements are of each rotation type (identity, 2, 3, 4, 6,
-1, m, -3, -4, -6); these counts differ for all 32 groups, so the name does not depend on orientation or basis.
"""

from __future__ import annotations

import numpy as np

# Hermann-Mauguin symbol (spglib's spelling) -> Schoenflies symbol, in the order of the International Tables.
SCHOENFLIES = {
    "1": "C1", "-1": "Ci", "2": "C2", "m": "Cs", "2/m": "C2h",
    "222": "D2", "mm2": "C2v", "mmm": "D2h",
    "4": "C4", "-4": "S4", "4/m": "C4h", "422": "D4", "4mm": "C4v", "-42m": "D2d", "4/mmm": "D4h",
    "3": "C3", "-3": "S6", "32": "D3", "3m": "C3v", "-3m": "D3d",
    "6": "C6", "-6": "C3h", "6/m": "C6h", "622": "D6", "6mm": "C6v", "-6m2": "D3h", "6/mmm": "D6h",
    "23": "T", "m-3": "Th", "432": "O", "-43m": "Td", "m-3m": "Oh",
}
POINT_GROUPS = list(SCHOENFLIES)  # index = point-group id used for site classes (0..31)

# Other spellings of the same groups (settings / axis choices) -> the names above.
ALIASES = {"-4m2": "-42m", "-62m": "-6m2", "31m": "3m", "3m1": "3m", "312": "32", "321": "32",
           "-31m": "-3m", "-3m1": "-3m", "2mm": "mm2", "m2m": "mm2", "-3m2/m": "-3m"}

_TYPES = ("1", "2", "3", "4", "6", "-1", "m", "-3", "-4", "-6")
_COUNTS = {  # element counts per rotation type, in the order of _TYPES
    "1": (1, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    "-1": (1, 0, 0, 0, 0, 1, 0, 0, 0, 0),
    "2": (1, 1, 0, 0, 0, 0, 0, 0, 0, 0),
    "m": (1, 0, 0, 0, 0, 0, 1, 0, 0, 0),
    "2/m": (1, 1, 0, 0, 0, 1, 1, 0, 0, 0),
    "222": (1, 3, 0, 0, 0, 0, 0, 0, 0, 0),
    "mm2": (1, 1, 0, 0, 0, 0, 2, 0, 0, 0),
    "mmm": (1, 3, 0, 0, 0, 1, 3, 0, 0, 0),
    "4": (1, 1, 0, 2, 0, 0, 0, 0, 0, 0),
    "-4": (1, 1, 0, 0, 0, 0, 0, 0, 2, 0),
    "4/m": (1, 1, 0, 2, 0, 1, 1, 0, 2, 0),
    "422": (1, 5, 0, 2, 0, 0, 0, 0, 0, 0),
    "4mm": (1, 1, 0, 2, 0, 0, 4, 0, 0, 0),
    "-42m": (1, 3, 0, 0, 0, 0, 2, 0, 2, 0),
    "4/mmm": (1, 5, 0, 2, 0, 1, 5, 0, 2, 0),
    "3": (1, 0, 2, 0, 0, 0, 0, 0, 0, 0),
    "-3": (1, 0, 2, 0, 0, 1, 0, 2, 0, 0),
    "32": (1, 3, 2, 0, 0, 0, 0, 0, 0, 0),
    "3m": (1, 0, 2, 0, 0, 0, 3, 0, 0, 0),
    "-3m": (1, 3, 2, 0, 0, 1, 3, 2, 0, 0),
    "6": (1, 1, 2, 0, 2, 0, 0, 0, 0, 0),
    "-6": (1, 0, 2, 0, 0, 0, 1, 0, 0, 2),
    "6/m": (1, 1, 2, 0, 2, 1, 1, 2, 0, 2),
    "622": (1, 7, 2, 0, 2, 0, 0, 0, 0, 0),
    "6mm": (1, 1, 2, 0, 2, 0, 6, 0, 0, 0),
    "-6m2": (1, 3, 2, 0, 0, 0, 4, 0, 0, 2),
    "6/mmm": (1, 7, 2, 0, 2, 1, 7, 2, 0, 2),
    "23": (1, 3, 8, 0, 0, 0, 0, 0, 0, 0),
    "m-3": (1, 3, 8, 0, 0, 1, 3, 8, 0, 0),
    "432": (1, 9, 8, 6, 0, 0, 0, 0, 0, 0),
    "-43m": (1, 3, 8, 0, 0, 0, 6, 0, 6, 0),
    "m-3m": (1, 9, 8, 6, 0, 1, 9, 8, 6, 0),
}
_BY_COUNTS = {v: k for k, v in _COUNTS.items()}

# (det, rounded trace) of an integer or orthogonal rotation matrix -> rotation type
_TYPE_OF = {(1, 3): "1", (1, -1): "2", (1, 0): "3", (1, 1): "4", (1, 2): "6",
            (-1, -3): "-1", (-1, 1): "m", (-1, 0): "-3", (-1, -1): "-4", (-1, -2): "-6"}


def canonical_name(name: str) -> str:
    """The name of a point group as in `SCHOENFLIES` (accepts HM settings like '-4m2' and Schoenflies names)."""
    if name in SCHOENFLIES:
        return name
    if name in ALIASES:
        return ALIASES[name]
    for hm, sch in SCHOENFLIES.items():
        if sch.lower() == name.lower():
            return hm
    raise KeyError(f"unknown point group {name!r}")


def rotation_type(matrix: np.ndarray) -> str:
    """'1', '2', '3', '4', '6', '-1', 'm', '-3', '-4' or '-6' for a crystallographic 3x3 rotation
    (integer fractional matrix or Cartesian orthogonal matrix)."""
    det = int(round(float(np.linalg.det(matrix))))
    trace = int(round(float(np.trace(matrix))))
    try:
        return _TYPE_OF[(det, trace)]
    except KeyError:
        raise ValueError(f"not a crystallographic point operation (det {det}, trace {trace})") from None


def classify_point_group(rotations: np.ndarray) -> str:
    """HM name of the point group formed by `rotations` [G, 3, 3] (distinct elements; any basis)."""
    counts = [0] * len(_TYPES)
    for g in rotations:
        counts[_TYPES.index(rotation_type(g))] += 1
    try:
        return _BY_COUNTS[tuple(counts)]
    except KeyError:
        raise ValueError(f"the {len(rotations)} operations do not form a crystallographic point group") from None


def rotation_type_ids(matrices: np.ndarray) -> np.ndarray:
    """[G] index into ('1', '2', '3', '4', '6', '-1', 'm', '-3', '-4', '-6') of each 3x3 rotation in [G, 3, 3]."""
    m = np.asarray(matrices, dtype=float)
    det = np.rint(np.linalg.det(m)).astype(int)
    trace = np.rint(np.trace(m, axis1=-2, axis2=-1)).astype(int)
    ids = np.empty(len(m), dtype=np.int64)
    for k, (d, t) in enumerate(zip(det.tolist(), trace.tolist())):
        if (d, t) not in _TYPE_OF:
            raise ValueError(f"not a crystallographic point operation (det {d}, trace {t})")
        ids[k] = _TYPES.index(_TYPE_OF[(d, t)])
    return ids


def name_from_type_counts(counts) -> str:
    """HM name of the point group with these element counts per rotation type (order of `rotation_type_ids`)."""
    try:
        return _BY_COUNTS[tuple(int(c) for c in counts)]
    except KeyError:
        raise ValueError(f"element counts {tuple(counts)} are not those of a crystallographic point group") from None
