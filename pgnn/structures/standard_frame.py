"""Standard frames for point-group models: put a crystal into the standard setting of a model group G.

A point-group network only sees G's fixed matrices, so a crystal must be presented in the orientation in which
its own symmetry operations are elements of G (the spglib / ITA standard setting: cubic axes along x, y, z;
hexagonal and trigonal a along x and c along z; monoclinic unique axis b along y).

`standard_frame(structure, groups)`:
  1. One spglib call (`get_symmetry_dataset`, symprec) gives the space group, the rotation Q from the input
     Cartesian frame to the standard one (`std_rotation_matrix`), the idealized standardized cell, from which the
     primitive one in the standard orientation follows by spglib's centring matrices, and the operations.
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
from pgnn.structures.point_groups import name_from_type_counts, rotation_type_ids

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
    counts = np.bincount(rotation_type_ids(rotations), minlength=10)
    return POINT_GROUPS[POINT_GROUPS_HM.index(name_from_type_counts(counts))]


def _cartesian_ops(lattice: np.ndarray, rotations: np.ndarray) -> np.ndarray:
    """Fractional rotations W (x_frac' = W x_frac) -> Cartesian L^T W L^-T for lattice rows L."""
    A = lattice.T
    return np.einsum("ab,gbc,cd->gad", A, rotations, np.linalg.inv(A))


def _contains(G_elements: np.ndarray, ops: np.ndarray, tol: float = 1e-6) -> bool:
    diff = np.abs(ops[:, None] - G_elements[None]).max(axis=(2, 3))
    return bool((diff.min(axis=1) < tol).all())


# spglib's centring matrices M: primitive basis vectors (columns) in the conventional basis, so that
# lattice_prim (rows) = M.T @ lattice_std and x_prim = M^-1 x_std (those of spglib's `standardize_cell`)
_CENTRING = {
    "P": np.eye(3),
    "A": np.array([[1.0, 0.0, 0.0], [0.0, 0.5, -0.5], [0.0, 0.5, 0.5]]),
    "C": np.array([[0.5, 0.5, 0.0], [-0.5, 0.5, 0.0], [0.0, 0.0, 1.0]]),
    "R": np.array([[2 / 3, -1 / 3, -1 / 3], [1 / 3, 1 / 3, -2 / 3], [1 / 3, 1 / 3, 1 / 3]]),
    "I": np.array([[-0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.5, 0.5, -0.5]]),
    "F": np.array([[0.0, 0.5, 0.5], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0]]),
}


def _mod1(x: np.ndarray) -> np.ndarray:
    """Fractional coordinates into [0, 1) the way spglib does (values within 1e-10 below 0 are kept)."""
    b = x - np.rint(x)
    return np.where(b < -1e-10, b + 1.0, b)


def idealized_primitive(ds) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(lattice [3, 3] rows, frac [n, 3], numbers [n], M [3, 3]) of the idealized standardized primitive cell
    in the standard orientation, from one spglib dataset: the cell `spglib.standardize_cell(cell,
    to_primitive=True, no_idealize=False)` returns (to 1e-15), without a second symmetry search."""
    M = _CENTRING[str(ds.international)[0]]
    mapping = np.asarray(ds.std_mapping_to_primitive, dtype=np.int64)
    _, first = np.unique(mapping, return_index=True)  # first conventional atom of each primitive atom
    frac = _mod1(np.asarray(ds.std_positions, dtype=np.float64)[first] @ np.linalg.inv(M).T)
    return M.T @ np.asarray(ds.std_lattice, dtype=np.float64), frac, np.asarray(ds.std_types)[first], M


def _primitive_operations(ds, M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(W [|H|, 3, 3] int, t [|H|, 3]) the space-group operations of the idealized primitive cell in its own
    fractional basis, one per point-group rotation.

    Taken from spglib's table of the dataset's setting (`get_symmetry_from_database(hall_number)`: exact
    operations of the standardized conventional cell, a look-up, not a second symmetry search) and moved to the
    primitive basis: W = M^-1 W_s M (integers), t = M^-1 t_s (mod 1)."""
    table = spglib.get_symmetry_from_database(int(ds.hall_number))
    Minv = np.linalg.inv(M)
    W_s = np.asarray(table["rotations"], dtype=np.float64)
    W = np.rint(np.einsum("ij,gjk,kl->gil", Minv, W_s, M)).astype(np.int64)
    t = np.asarray(table["translations"], dtype=np.float64) @ Minv.T
    _, keep = np.unique(W.reshape(len(W), 9), axis=0, return_index=True)  # drop the centring copies
    keep = np.sort(keep)
    return W[keep], t[keep] - np.floor(t[keep])


def standard_frame(structure, groups=HOLOHEDRY, symprec: float = 0.01, source: str = "", dataset=None) -> Frame:
    """Standard setting of a pymatgen Structure for the first fitting group of `groups` (see module docstring).

    One spglib call (`get_symmetry_dataset`) gives the frame, the idealized primitive cell, the operations and
    the site symmetries; pass `dataset` (that call's result at this symprec) to reuse an earlier one."""
    source = source or structure.composition.reduced_formula
    if dataset is None:
        cell = (structure.lattice.matrix, structure.frac_coords, [site.specie.Z for site in structure])
        dataset = spglib.get_symmetry_dataset(cell, symprec=symprec)
    ds = dataset
    if ds is None:
        raise SymmetryError(source, f"spglib could not determine the symmetry (symprec={symprec})")
    Q = np.asarray(ds.std_rotation_matrix, dtype=np.float64)
    lat, frac, numbers, M = idealized_primitive(ds)
    W, t = _primitive_operations(ds, M)
    ops = _cartesian_ops(lat, W.astype(np.float64))
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
    # site-symmetry class of every atom of the idealized cell: the rotations whose operation fixes it
    moved = np.einsum("gij,aj->agi", W, frac) + t[None] - frac[:, None]  # [n, H, 3]
    fixed = np.abs(moved - np.round(moved)).max(axis=2) < 1e-4
    _, kind = np.unique(fixed, axis=0, return_inverse=True)
    kind = np.asarray(kind).reshape(-1)
    classes = np.zeros(len(numbers), dtype=np.int64)
    for c in range(int(kind.max()) + 1 if len(kind) else 0):
        rows = np.flatnonzero(kind == c)
        classes[rows] = POINT_GROUPS.index(group_type(ops[fixed[rows[0]]]))
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
