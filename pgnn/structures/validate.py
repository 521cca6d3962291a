"""Checks that a structure (and its targets) can be used, with errors that name the entry and the reason.

Single checks raise `StructureError(source, reason)` / `TargetError(source, reason)`;
the batch helper `validate_entries` collects `(source, reason)` pairs and never raises.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pymatgen.core import Element, Species, Structure
from pymatgen.core.periodic_table import DummySpecies

from pgnn.errors import PgnnError, StructureError, TargetError

MIN_DISTANCE = 0.5  # Angstrom; closer atoms (periodic images included) are an error
MIN_VOLUME = 1e-3  # Angstrom^3; a smaller cell volume means a degenerate lattice
MAX_CELL_LENGTH = 1000.0  # Angstrom; a longer lattice vector is a typo or a damaged file (and would exhaust memory)

# Target shapes a reader may hand over: scalars, 3x3, 3x6 / 6x6 Voigt, full Cartesian rank 3 and 4.
TARGET_SHAPES = {(), (1,), (3,), (6,), (9,), (3, 3), (3, 6), (6, 6), (3, 3, 3), (3, 3, 3, 3)}


MAX_SYMPREC = 1.0  # Angstrom; a larger distance tolerance merges distinct atoms into one orbit


def validate_tolerances(symprec: float, angle_tolerance: float = -1.0) -> None:
    """Raise ConfigError unless 0 < symprec <= MAX_SYMPREC (Angstrom) and angle_tolerance is -1 (spglib's
    default) or in (0, 90) degrees. spglib itself does not check them (a negative symprec crashes it)."""
    from pgnn.errors import ConfigError

    try:
        sp, at = float(symprec), float(angle_tolerance)
    except (TypeError, ValueError):
        raise ConfigError(f"symprec {symprec!r} / angle_tolerance {angle_tolerance!r}: not numbers") from None
    if not np.isfinite(sp) or not 0.0 < sp <= MAX_SYMPREC:
        raise ConfigError(f"symprec {symprec!r}: must be a distance tolerance in Angstrom, 0 < symprec <= "
                          f"{MAX_SYMPREC} (typical: 0.01 to 0.1)")
    if not (at == -1.0 or (np.isfinite(at) and 0.0 < at < 90.0)):
        raise ConfigError(f"angle_tolerance {angle_tolerance!r}: must be -1 (spglib's default) or in (0, 90) degrees")


VACUUM_GAP = 5.0  # Angstrom; an empty slab this thick through the cell: no bonds cross it (vdW gaps are < 4)


def vacuum_gaps(structure: Structure, min_gap: float = VACUUM_GAP) -> list[tuple[str, float]]:
    """[(lattice direction "a" | "b" | "c", width in Angstrom)] of every empty slab at least `min_gap` thick.

    For lattice direction i the atoms' fractional coordinates f_i (mod 1), sorted around the circle, leave gaps;
    the largest gap times the interplanar spacing 1/|b_i| (b_i the reciprocal vector) is the thickness of the
    thickest atom-free slab parallel to the other two lattice vectors. No atom pair across it is closer than that,
    so a gap of several Angstrom means the atoms do not form a 3D-periodic network in that direction: a slab
    (one direction), a wire (two) or a molecule in a box (three)."""
    matrix = np.asarray(structure.lattice.matrix, dtype=float)
    frac = np.asarray(structure.frac_coords, dtype=float).reshape(-1, 3)
    if len(frac) == 0 or not np.isfinite(frac).all() or not np.isfinite(matrix).all() \
            or abs(np.linalg.det(matrix)) < MIN_VOLUME:
        return []  # not a usable structure at all: `validate_structure` reports why
    frac = np.mod(frac, 1.0)
    spacing = 1.0 / np.linalg.norm(np.linalg.inv(matrix).T, axis=1)
    out = []
    for i, name in enumerate("abc"):
        x = np.sort(frac[:, i])
        width = float(np.max(np.diff(np.concatenate([x, [x[0] + 1.0]]))) * spacing[i])
        if width >= min_gap:
            out.append((name, width))
    return out


def vacuum_reason(structure: Structure, min_gap: float = VACUUM_GAP) -> str | None:
    """A sentence naming the vacuum gaps of `structure` (see `vacuum_gaps`), or None for a bulk crystal."""
    gaps = vacuum_gaps(structure, min_gap)
    if not gaps:
        return None
    kind = {1: "a slab", 2: "a wire", 3: "a molecule or cluster in a box"}[len(gaps)]
    where = ", ".join(f"{w:.1f} A along {d}" for d, w in gaps)
    return f"vacuum gap ({where}): {kind}, not a 3D-periodic crystal"


def _check_species(structure: Structure, source: str) -> None:
    for idx, site in enumerate(structure):
        if not site.is_ordered:
            raise StructureError(source, f"site {idx} is disordered (partial occupancy {site.species}); "
                                         "only ordered structures are supported")
        sp = site.specie
        if isinstance(sp, DummySpecies) or not isinstance(sp, (Element, Species)):
            raise StructureError(source, f"site {idx} has unknown element {sp!s}")


def _check_finite(structure: Structure, source: str) -> None:
    lattice = np.asarray(structure.lattice.matrix, dtype=float)
    if not np.isfinite(lattice).all():
        raise StructureError(source, "lattice has non-finite entries (nan or inf)")
    frac = np.asarray(structure.frac_coords, dtype=float)
    bad = np.flatnonzero(~np.isfinite(frac).all(axis=1))
    if len(bad):
        raise StructureError(source, f"site {int(bad[0])} has non-finite coordinates (nan or inf)")
    volume = abs(float(np.linalg.det(lattice)))
    if not volume > MIN_VOLUME:
        raise StructureError(source, f"degenerate lattice (cell volume {volume:.3g} A^3)")


FIRST_RADIUS = 4.5  # Angstrom: one search at this radius settles almost every structure


def _pairs(structure: Structure, radius: float):
    """(i, j, d) of all pairs of distinct atoms or periodic images closer than `radius` (Angstrom)."""
    from pymatgen.optimization.neighbors import find_points_in_spheres

    cart = np.ascontiguousarray(structure.cart_coords, dtype=np.float64)
    i, j, image, d = find_points_in_spheres(
        cart, cart, r=float(radius), pbc=np.ones(3, dtype=np.int64),
        lattice=np.ascontiguousarray(structure.lattice.matrix, dtype=np.float64), tol=1e-8,
    )
    not_self = (i != j) | np.any(np.rint(image) != 0, axis=1)
    keep = not_self & (d < radius)
    return i[keep].astype(np.int64), j[keep].astype(np.int64), d[keep]


def check_geometry(structure: Structure, source: str, cutoff: float | None = 8.0) -> None:
    """Atoms closer than 0.5 A (periodic images included), and atoms with no neighbour within `cutoff` (A)."""
    n = len(structure)
    radius = MIN_DISTANCE if cutoff is None else min(float(cutoff), max(FIRST_RADIUS, MIN_DISTANCE))
    i, j, d = _pairs(structure, radius)
    close = d < MIN_DISTANCE
    if close.any():
        k = int(np.flatnonzero(close)[np.argmin(d[close])])
        a, b = int(i[k]), int(j[k])
        what = f"atom {a} and its own periodic image" if a == b else f"atoms {min(a, b)} and {max(a, b)}"
        raise StructureError(source, f"{what} are {d[k]:.3f} A apart (closer than {MIN_DISTANCE} A)")
    if cutoff is None:
        return
    counts = np.bincount(i, minlength=n)
    if (counts == 0).any() and radius < cutoff:
        counts = np.bincount(_pairs(structure, cutoff)[0], minlength=n)
    if (counts == 0).any():
        lonely = int(np.flatnonzero(counts == 0)[0])
        raise StructureError(
            source, f"atom {lonely} ({structure[lonely].specie}) has no neighbour within the cutoff of {cutoff} A"
        )


def validate_structure(structure: Structure | str | Path, source: str = "", cutoff: float | None = 8.0) -> Structure:
    """Check one structure and return it; raise StructureError(source, reason) if it cannot be used.

    structure: a pymatgen Structure, or a path to a structure file (CIF, POSCAR, ...), which is read first.
    cutoff: neighbour cutoff (Angstrom) every atom must have a neighbour within; None skips that check.
    Checks, in order: readable, not empty, ordered sites of known elements, finite lattice and coordinates,
    non-degenerate cell, lattice vectors at most MAX_CELL_LENGTH, no two atoms (periodic images included) closer than 0.5 A, a neighbour for every atom.
    """
    if structure is None:
        raise StructureError(source or "?", "unreadable structure (none was read)")
    if isinstance(structure, (str, Path)):
        from pgnn.structures.files import read_structure_file

        source = source or str(structure)
        structure = read_structure_file(structure)
    source = source or structure.composition.reduced_formula
    if not isinstance(structure, Structure):
        raise StructureError(source, f"expected a pymatgen Structure, got {type(structure).__name__}")
    if len(structure) == 0:
        raise StructureError(source, "empty structure (no atoms)")
    _check_species(structure, source)
    _check_finite(structure, source)
    longest = float(np.max(structure.lattice.abc))
    if longest > MAX_CELL_LENGTH:
        raise StructureError(source, f"lattice vector of {longest:.4g} A (longer than {MAX_CELL_LENGTH:g} A: a typo "
                                     "in the cell, or a damaged file?)")
    check_geometry(structure, source, cutoff)
    return structure


def validate_target(value, source: str, name: str = "target") -> np.ndarray:
    """The target `value` (number or nested list) as a float64 array; raise TargetError if it is missing,
    not numeric, non-finite, or of a shape that is neither a scalar nor a 3x3 / 3x6 / 6x6 / Cartesian tensor."""
    where = f"{source}" if not name else f"{source} [{name}]"
    if value is None:
        raise TargetError(where, "missing target value")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TargetError(where, f"target is not numeric ({str(value)[:40]!r})") from None
    if arr.shape not in TARGET_SHAPES:
        raise TargetError(
            where, f"target has shape {arr.shape}; expected a scalar, 3x3, 3x6, 6x6 or a Cartesian tensor"
        )
    if not np.isfinite(arr).all():
        raise TargetError(where, "target has non-finite values (nan or inf)")
    return arr


def validate_entries(entries, cutoff: float | None = 8.0, targets: list[str] | None = None):
    """Batch check: returns (good_entries, skipped) with skipped a list of (source, reason). Never raises
    for a bad entry. `targets`: field names every kept entry must have as finite numbers/tensors."""
    good, skipped = [], []
    for entry in entries:
        try:
            validate_structure(entry.structure, entry.source or entry.id, cutoff=cutoff)
            for name in targets or []:
                validate_target(entry.fields.get(name), entry.source or entry.id, name)
        except PgnnError as exc:
            skipped.append((getattr(exc, "source", entry.source), getattr(exc, "reason", str(exc))))
            continue
        good.append(entry)
    return good, skipped
