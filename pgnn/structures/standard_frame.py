"""Standard frames for point-group models: put a crystal into the standard setting of a model group G.

A point-group network only sees G's fixed matrices, so a crystal must be presented in the orientation in which
its own symmetry operations are elements of G (the spglib / ITA standard setting: cubic axes along x, y, z;
hexagonal and trigonal a along x and c along z; monoclinic unique axis b along y).

`standard_frame(structure, groups)`:
  1. spglib finds the space group (symprec) and the rotation Q from the input Cartesian frame to the standard one
     (`std_rotation_matrix`), and the idealized standardized primitive cell in the standard orientation.
  2. The crystal's point-group operations are computed on that idealized cell as Cartesian matrices and the first
     model group containing all of them (to 1e-6) is chosen; if none does, `SymmetryError` names the structure,
     its point group and the model's groups (never a silent wrong answer).
  3. The idealized cell is rotated back to the input orientation (positions and lattice times Q), so that the graph
     lives in the frame of the input (targets need no rotation) and a model recovers the exactly symmetric standard
     cell with r_std = Q r. Predictions computed in the standard frame are rotated back with Q^T.
  4. Each atom's site-symmetry class is the index (in `POINT_GROUPS`) of its site-symmetry group's type.

Holohedry routing: ["Oh", "D6h"] puts triclinic, monoclinic, orthorhombic, tetragonal and cubic crystals in Oh and
trigonal and hexagonal crystals in D6h.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import spglib

from pgnn.errors import SymmetryError
from pgnn.groups import point_group
from pgnn.structures.point_groups import POINT_GROUPS as POINT_GROUPS_HM
from pgnn.structures.point_groups import classify_point_group

# Schoenflies names as `pgnn.groups` spells them ("-3" is C3i), in the order of `pgnn.structures.point_groups`:
# the index is the site-symmetry class id of PGNet graphs.
POINT_GROUPS = (
    "C1", "Ci", "C2", "Cs", "C2h", "D2", "C2v", "D2h", "C4", "S4", "C4h", "D4", "C4v", "D2d", "D4h",
    "C3", "C3i", "D3", "C3v", "D3d", "C6", "C3h", "C6h", "D6", "C6v", "D3h", "D6h", "T", "Th", "O", "Td", "Oh",
)
HOLOHEDRY = ("Oh", "D6h")


@dataclass
class Frame:
    """Result of `standard_frame`.

    group_index: index of the chosen group in the list passed in.
    rotation: Q (3, 3), r_standard = Q @ r_input.
    lattice: (3, 3) rows, positions: (n, 3) Cartesian, numbers: (n,) of the idealized primitive cell, in the
        input orientation (Angstrom).
    point_group: Schoenflies name of the crystal's point group; site_class: (n,) index into POINT_GROUPS.
    operations: (|H|, 3, 3) the crystal's point-group operations in the standard frame, as the exact matrices of
        the chosen model group (so Q^T R Q are the operations in the input frame).
    """

    group_index: int
    rotation: np.ndarray
    lattice: np.ndarray
    positions: np.ndarray
    numbers: np.ndarray
    point_group: str
    site_class: np.ndarray
    operations: np.ndarray


def group_type(rotations: np.ndarray) -> str:
    """Schoenflies name (`POINT_GROUPS` spelling) of a crystallographic point group given as Cartesian matrices."""
    return POINT_GROUPS[POINT_GROUPS_HM.index(classify_point_group(rotations))]


def _cartesian_ops(lattice: np.ndarray, rotations: np.ndarray) -> np.ndarray:
    """Fractional rotations W (x_frac' = W x_frac) -> Cartesian L^T W L^-T for lattice rows L."""
    A = lattice.T
    return np.einsum("ab,gbc,cd->gad", A, rotations, np.linalg.inv(A))


def _contains(G_elements: np.ndarray, ops: np.ndarray, tol: float = 1e-6) -> bool:
    diff = np.abs(ops[:, None] - G_elements[None]).max(axis=(2, 3))
    return bool((diff.min(axis=1) < tol).all())


def standard_frame(structure, groups=HOLOHEDRY, symprec: float = 0.01, source: str = "") -> Frame:
    """Standard setting of a pymatgen Structure for the first fitting group of `groups` (see module docstring)."""
    source = source or structure.composition.reduced_formula
    cell = (structure.lattice.matrix, structure.frac_coords, [site.specie.Z for site in structure])
    ds = spglib.get_symmetry_dataset(cell, symprec=symprec)
    if ds is None:
        raise SymmetryError(source, f"spglib could not determine the symmetry (symprec={symprec})")
    Q = np.asarray(ds.std_rotation_matrix, dtype=np.float64)
    std = spglib.standardize_cell(cell, to_primitive=True, no_idealize=False, symprec=symprec)
    if std is None:
        raise SymmetryError(source, "spglib could not standardize the cell")
    lat, frac, numbers = (np.asarray(a) for a in std)
    sym = spglib.get_symmetry((lat, frac, numbers), symprec=1e-5)
    ops = _cartesian_ops(lat, sym["rotations"].astype(np.float64))
    pg = group_type(ops)
    groups = [groups] if isinstance(groups, str) else list(groups)
    for k, name in enumerate(groups):
        elements = np.asarray(point_group(name).elements, dtype=np.float64)
        if _contains(elements, ops):
            match = np.abs(ops[:, None] - elements[None]).max(axis=(2, 3)).argmin(axis=1)
            break
    else:
        raise SymmetryError(
            source,
            f"point group {pg} ({ds.pointgroup}, space group {ds.international}) in its standard setting is not a "
            f"subgroup of the model's point group(s) {groups}",
        )
    # site-symmetry class of every atom of the idealized cell
    classes = np.zeros(len(numbers), dtype=np.int64)
    for a in range(len(numbers)):
        moved = np.einsum("gij,j->gi", sym["rotations"], frac[a]) + sym["translations"]
        d = moved - frac[a]
        fixed = np.abs(d - np.round(d)).max(axis=1) < 1e-4
        classes[a] = POINT_GROUPS.index(group_type(ops[fixed]))
    cart_std = frac @ lat
    return Frame(
        group_index=k,
        rotation=Q,
        lattice=lat @ Q,  # rows rotated back: r_input = Q^T r_std  <=>  row @ Q
        positions=cart_std @ Q,
        numbers=numbers.astype(np.int64),
        point_group=pg,
        site_class=classes,
        operations=elements[np.unique(match)],
    )
