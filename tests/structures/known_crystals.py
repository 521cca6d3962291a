"""Small known crystals built in code (no files needed), and rotation helpers."""

from __future__ import annotations

import numpy as np
from pymatgen.core import Lattice, Structure


def rocksalt() -> Structure:
    """NaCl conventional cell, Fm-3m: Na at 4a, Cl at 4b."""
    na = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]]
    cl = [[0.5, 0.5, 0.5], [0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5]]
    return Structure(Lattice.cubic(5.64), ["Na"] * 4 + ["Cl"] * 4, na + cl)


def perovskite() -> Structure:
    """SrTiO3 cubic perovskite, Pm-3m: Sr 1a, Ti 1b, O 3c."""
    return Structure(
        Lattice.cubic(3.905),
        ["Sr", "Ti", "O", "O", "O"],
        [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]],
    )


def wurtzite() -> Structure:
    """ZnO, P6_3mc: Zn and O at 2b, u = 0.382."""
    u = 0.382
    coords = [[1 / 3, 2 / 3, 0], [2 / 3, 1 / 3, 0.5], [1 / 3, 2 / 3, u], [2 / 3, 1 / 3, 0.5 + u]]
    return Structure(Lattice.hexagonal(3.25, 5.21), ["Zn", "Zn", "O", "O"], coords)


def triclinic() -> Structure:
    """A P1 cell with three atoms in general positions."""
    return Structure(
        Lattice.from_parameters(4.1, 5.3, 6.2, 71, 83, 97),
        ["Si", "O", "O"],
        [[0.1, 0.2, 0.3], [0.45, 0.6, 0.2], [0.8, 0.1, 0.7]],
    )


def random_rotation(seed: int) -> np.ndarray:
    """A random proper rotation [3, 3]."""
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


def rotated(structure: Structure, R: np.ndarray) -> Structure:
    """The same crystal with every Cartesian vector r replaced by R @ r."""
    return Structure(Lattice(structure.lattice.matrix @ R.T), structure.species, structure.frac_coords)


def write_cif(structure: Structure, path) -> None:
    """A minimal P1 CIF of `structure` (pymatgen's CifWriter is slow)."""
    a, b, c = structure.lattice.abc
    al, be, ga = structure.lattice.angles
    lines = ["data_test", f"_cell_length_a {a:.10f}", f"_cell_length_b {b:.10f}", f"_cell_length_c {c:.10f}",
             f"_cell_angle_alpha {al:.10f}", f"_cell_angle_beta {be:.10f}", f"_cell_angle_gamma {ga:.10f}",
             "_symmetry_space_group_name_H-M 'P 1'", "loop_", "_symmetry_equiv_pos_as_xyz", "  'x, y, z'",
             "loop_", "_atom_site_label", "_atom_site_type_symbol", "_atom_site_fract_x", "_atom_site_fract_y",
             "_atom_site_fract_z", "_atom_site_occupancy"]
    for k, site in enumerate(structure):
        x, y, z = site.frac_coords
        lines.append(f"{site.specie.symbol}{k} {site.specie.symbol} {x:.10f} {y:.10f} {z:.10f} 1.0")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
