"""Symmetry analysis of a crystal with spglib: space group, point group, rotation to the standard setting,
and per site the Wyckoff letter, site-symmetry symbol and orbit.

Frames. `rotation_to_standard` is the 3x3 proper rotation R of spglib's standardization
(`std_rotation_matrix`): R @ r_input is a vector in the standard setting (cubic axes along x, y, z;
hexagonal/trigonal a along x and c along z; monoclinic unique axis b along y). The point-group operations are
given in both frames, with `rotations_standard = R @ rotations @ R.T` computed from the idealized standard cell,
so they are exactly orthogonal and, in the standard frame, have entries in {0, +-1/2, +-1, +-sqrt(3)/2}.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import spglib
from pymatgen.core import Structure

from pgnn.errors import StructureError
from pgnn.structures.validate import validate_tolerances
from pgnn.structures.point_groups import (
    POINT_GROUPS,
    SCHOENFLIES,
    classify_point_group,
    name_from_type_counts,
    rotation_type_ids,
)

DEFAULT_SYMPREC = 0.01  # Angstrom

_EXACT = np.array([0.0, 0.5, 1.0, np.sqrt(3.0) / 2.0])


def crystal_system(number: int) -> str:
    """Crystal system of space group `number` (1..230)."""
    for last, name in ((2, "triclinic"), (15, "monoclinic"), (74, "orthorhombic"), (142, "tetragonal"),
                       (167, "trigonal"), (194, "hexagonal"), (230, "cubic")):
        if number <= last:
            return name
    raise ValueError(f"space group number {number} out of range")


@dataclass
class SymmetryInfo:
    """Result of `analyze_symmetry` for a structure of N atoms with a point group of order G.

    space_group_number: 1..230. space_group_symbol: short HM, e.g. "Fm-3m", "P6_3mc". hall_symbol: e.g. "-F 4 2 3".
    point_group: HM, e.g. "m-3m" (spglib spelling; settings like -4m2 are named -42m). point_group_schoenflies: "Oh".
    crystal_system: "cubic", ... . symprec: tolerance used (Angstrom).
    rotation_to_standard: [3, 3] proper rotation R; R @ r_input is in the standard setting.
    rotations: [G, 3, 3] Cartesian point-group operations in the input frame (r -> g @ r).
    rotations_standard: [G, 3, 3] the same operations in the standard frame, R @ g @ R.T.
    species: N element symbols. wyckoffs: N Wyckoff letters. site_symmetries: N oriented site-symmetry symbols
    (e.g. "m-3m", "3m."). orbits: [N] orbit index 0..K-1, numbered by first appearance in input order
    (atoms with equal index are symmetry-equivalent). equivalent_atoms: [N] spglib's representative atom index.
    site_point_groups: N HM names of the site-symmetry groups (e.g. "m-3m", "3m").
    """

    space_group_number: int
    space_group_symbol: str
    hall_symbol: str
    point_group: str
    point_group_schoenflies: str
    crystal_system: str
    symprec: float
    rotation_to_standard: np.ndarray
    rotations: np.ndarray
    rotations_standard: np.ndarray
    species: list[str]
    wyckoffs: list[str]
    site_symmetries: list[str]
    orbits: np.ndarray
    equivalent_atoms: np.ndarray
    site_point_groups: list[str] = field(default_factory=list)
    _group_frame: tuple | None = field(default=None, repr=False, compare=False)

    def group_frame(self) -> tuple[np.ndarray, np.ndarray]:
        """(R, perm) putting the crystal in the frame of `pgnn.groups.point_group(self.point_group)`:
        R @ rotations[k] @ R.T == point_group(...).elements[perm[k]] (to 1e-5), R a proper rotation [3, 3].

        R equals `rotation_to_standard` except for space-group settings whose symmetry directions differ from
        the group's fixed matrices (P-4m2 types: 45 degrees about z; P312, P31m, P-31m, P-62m types: about z
        too). Uses `pgnn.groups.match_point_group`; computed once and cached.
        """
        if self._group_frame is None:
            from pgnn.groups import match_point_group

            name, R2, perm = match_point_group(self.rotations_standard)
            from pgnn.structures.point_groups import canonical_name

            if canonical_name(name) != self.point_group:
                raise ValueError(f"point group mismatch: spglib {self.point_group}, pgnn.groups {name}")
            R = R2 @ self.rotation_to_standard
            R[np.abs(R) < 1e-15] = 0.0
            self._group_frame = (R, np.asarray(perm, dtype=np.int64))
        return self._group_frame

    @property
    def order(self) -> int:
        """Order G of the point group."""
        return int(self.rotations.shape[0])

    def site_class_ids(self) -> np.ndarray:
        """[N] id (0..31, index in `POINT_GROUPS`) of each atom's site-symmetry group type."""
        return np.array([POINT_GROUPS.index(p) for p in self.site_point_groups], dtype=np.int64)

    def sites(self) -> list[dict]:
        """Per site {species, wyckoff, site_symmetry, orbit}, in input order."""
        return [
            {"species": sp, "wyckoff": w, "site_symmetry": s, "orbit": int(o)}
            for sp, w, s, o in zip(self.species, self.wyckoffs, self.site_symmetries, self.orbits)
        ]

    def to_dict(self) -> dict:
        """The JSON-ready summary used by `pgnn symmetry --json` (without the file name)."""
        return {
            "space_group_number": self.space_group_number,
            "space_group_symbol": self.space_group_symbol,
            "point_group": self.point_group,
            "point_group_schoenflies": self.point_group_schoenflies,
            "sites": self.sites(),
        }


def _spglib_cell(structure: Structure, source: str):
    types = []
    for idx, site in enumerate(structure):
        if not site.is_ordered:
            raise StructureError(source, f"site {idx} is disordered; symmetry analysis needs an ordered structure")
        types.append(site.specie.Z)
    return (np.asarray(structure.lattice.matrix, float), np.asarray(structure.frac_coords, float), types)


def _snap(matrices: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """Replace entries within `tol` of 0, +-1/2, +-1, +-sqrt(3)/2 by that exact value."""
    a = np.abs(matrices)
    k = np.argmin(np.abs(a[..., None] - _EXACT), axis=-1)
    exact = np.sign(matrices) * _EXACT[k]
    return np.where(np.abs(a - _EXACT[k]) < tol, exact, matrices) + 0.0  # + 0.0 turns -0.0 into 0.0


def _unique_rotations(rotations: np.ndarray) -> np.ndarray:
    """Distinct integer matrices, in first-appearance order."""
    seen, out = set(), []
    for w in rotations:
        key = tuple(int(v) for v in w.ravel())
        if key not in seen:
            seen.add(key)
            out.append(w)
    return np.array(out, dtype=np.int64)


def _site_point_groups(dataset, frac: np.ndarray, lattice: np.ndarray, symprec: float) -> list[str]:
    """HM name of the site-symmetry group of each atom: the rotations of the operations that fix the atom."""
    W = np.asarray(dataset.rotations, dtype=float)  # [M, 3, 3]
    t = np.asarray(dataset.translations, dtype=float)  # [M, 3]
    moved = np.einsum("mij,nj->mni", W, frac) + t[:, None, :] - frac[None]  # [M, N, 3]
    moved -= np.round(moved)
    dist = np.linalg.norm(moved @ lattice, axis=-1)  # [M, N] Angstrom
    fixes = dist < max(3 * symprec, 1e-6)
    flat = np.asarray(dataset.rotations, dtype=np.int64).reshape(len(W), 9)
    uniq, inv = np.unique(flat, axis=0, return_inverse=True)
    type_of = rotation_type_ids(uniq.reshape(-1, 3, 3))
    names, cache = [], {}
    for n in range(frac.shape[0]):
        ids = np.unique(inv.reshape(-1)[fixes[:, n]])
        key = ids.tobytes()
        if key not in cache:
            cache[key] = name_from_type_counts(np.bincount(type_of[ids], minlength=10))
        names.append(cache[key])
    return names


def analyze_symmetry(structure: Structure, symprec: float = DEFAULT_SYMPREC, source: str = "",
                     angle_tolerance: float = -1.0) -> SymmetryInfo:
    """Symmetry of `structure` found by spglib with tolerance `symprec` (Angstrom).

    Raises StructureError naming `source` if spglib finds no symmetry (e.g. overlapping atoms).
    """
    validate_tolerances(symprec, angle_tolerance)  # before spglib, which crashes on a negative symprec
    source = source or structure.composition.reduced_formula
    lattice, frac, types = _spglib_cell(structure, source)
    try:
        dataset = spglib.get_symmetry_dataset((lattice, frac, types), symprec=symprec,
                                              angle_tolerance=angle_tolerance)
    except Exception as exc:  # spglib may raise instead of returning None
        raise StructureError(source, f"symmetry analysis failed (spglib: {exc})") from None
    if dataset is None:
        raise StructureError(source, f"symmetry analysis failed (spglib: {spglib.get_error_message()})")

    R = np.asarray(dataset.std_rotation_matrix, dtype=float)
    P = np.asarray(dataset.transformation_matrix, dtype=float)
    Pinv = np.linalg.inv(P)
    A_std = np.asarray(dataset.std_lattice, dtype=float).T  # idealized standard basis vectors as columns
    W_in = _unique_rotations(np.asarray(dataset.rotations))
    W_std = np.einsum("ij,gjk,kl->gil", P, W_in.astype(float), Pinv)
    rot_std = _snap(np.einsum("ij,gjk,kl->gil", A_std, W_std, np.linalg.inv(A_std)))
    rot_in = np.einsum("ji,gjk,kl->gil", R, rot_std, R)  # R.T @ g @ R

    point_group = str(dataset.pointgroup).strip()
    named = classify_point_group(W_in)
    if named != point_group:  # spglib spells a few settings differently (-4m2, -62m, ...)
        point_group = named
    number = int(dataset.number)
    equivalent = np.asarray(dataset.crystallographic_orbits, dtype=np.int64)
    first = {}
    for o in equivalent:
        first.setdefault(int(o), len(first))
    orbits = np.array([first[int(o)] for o in equivalent], dtype=np.int64)
    return SymmetryInfo(
        space_group_number=number,
        space_group_symbol=str(dataset.international),
        hall_symbol=str(dataset.hall),
        point_group=point_group,
        point_group_schoenflies=SCHOENFLIES[point_group],
        crystal_system=crystal_system(number),
        symprec=float(symprec),
        rotation_to_standard=R,
        rotations=rot_in,
        rotations_standard=rot_std,
        species=[site.specie.symbol for site in structure],
        wyckoffs=[str(w) for w in dataset.wyckoffs],
        site_symmetries=[str(s).strip() for s in dataset.site_symmetry_symbols],
        orbits=orbits,
        equivalent_atoms=equivalent,
        site_point_groups=_site_point_groups(dataset, frac, lattice, symprec),
    )


def site_classes(structure: Structure, symprec: float = DEFAULT_SYMPREC, source: str = "",
                 info: SymmetryInfo | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-atom integer classes for graphs: (orbit [N], site_class [N]).

    orbit: equivalent-atom index 0..K-1 within this structure. site_class: id 0..31 of the atom's
    site-symmetry group type (index in `pgnn.structures.point_groups.POINT_GROUPS`), comparable across structures.
    Pass `info` to reuse an earlier `analyze_symmetry` result.
    """
    info = info or analyze_symmetry(structure, symprec=symprec, source=source)
    return info.orbits.copy(), info.site_class_ids()
