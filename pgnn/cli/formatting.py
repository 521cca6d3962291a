"""Predictions as text a person reads: tensors as aligned Voigt matrices with units, rounded, with exact zeros
where the crystal's point group forces them (Neumann's principle). `--json` output never goes through here.

Rounding: 4 significant digits of the largest entry of each matrix not shown as 0 (e.g. 47.76 GPa -> 2
decimals), so that float32 noise such as -3.6e-09 GPa shows as 0.00. An entry prints as a bare `0` only when
(a) every tensor invariant under the crystal's point-group operations (spglib, input frame) has it equal to zero
(`pgnn.tensors.forced_zeros`) and (b) the prediction there is below 1e-4 x max(largest entry, 1 unit), i.e.
noise. The 1-unit floor (1e-4 GPa, 1e-4 C/m^2) covers tensors the group forbids entirely, e.g. piezoelectric in
a centrosymmetric crystal, whose largest entry is itself noise. A model that breaks the symmetry by more than
that keeps its number, so that nothing is hidden.
"""

from __future__ import annotations

import math

import numpy as np

from pgnn.tensors import forced_zeros, full_to_voigt, tensor_kind

# |entry| / max(max |entry|, 1 unit) below which a symmetry-forced entry is shown as 0: 1000x the float32 noise
# of the equivariant models (~1e-7 relative) and below the display resolution (5e-4 relative at 4 digits)
NOISE = 1e-4
SYMPREC = 0.01  # Angstrom, spglib tolerance for the point group used to place the zeros
VOIGT_ORDER = "xx yy zz yz xz xy"


def crystal_operations(structure, symprec: float = SYMPREC) -> tuple[np.ndarray, str]:
    """(Cartesian point-group operations [n, 3, 3] in the structure's frame, point group HM name) from spglib.

    Entries within 1e-4 of 0, +-1, +-1/2 or +-sqrt(3)/2 are snapped to those values, so that the operations of
    an axis-aligned cell that is symmetric only to symprec are exact; otherwise they are used as they are."""
    import spglib

    from pgnn.tensors import cartesian_operations

    lattice = np.asarray(structure.lattice.matrix, dtype=np.float64)
    cell = (lattice, np.asarray(structure.frac_coords, dtype=np.float64), [s.specie.Z for s in structure])
    ds = spglib.get_symmetry_dataset(cell, symprec=symprec)
    if ds is None:
        return np.eye(3)[None], "1"
    ops = cartesian_operations(ds.rotations, lattice)
    for v in (0.0, 1.0, 0.5, math.sqrt(3) / 2):
        for s in (1.0, -1.0):
            ops = np.where(np.abs(ops - s * v) < 1e-4, s * v, ops)
    return ops, str(ds.pointgroup)


def decimals_for(values: np.ndarray, digits: int = 4) -> int:
    """Decimals that give `digits` significant digits to the largest |value| (0 decimals for 0 or >= 10^digits)."""
    top = float(np.max(np.abs(values))) if np.size(values) else 0.0
    if top == 0.0 or not math.isfinite(top):
        return digits - 1
    return max(0, digits - 1 - math.floor(math.log10(top)))


def format_number(v: float, decimals: int) -> str:
    s = f"{v:.{decimals}f}"
    return s[1:] if s.startswith("-") and float(s) == 0.0 else s  # no "-0.00"


def format_matrix(m: np.ndarray, zeros: np.ndarray | None = None, indent: str = "    ") -> list[str]:
    """Lines of the 2-d matrix m, right-aligned, rounded (see module docstring); zeros: bool mask printed as 0."""
    m = np.asarray(m, dtype=np.float64)
    noise = NOISE * max(float(np.max(np.abs(m))) if m.size else 0.0, 1.0)
    shown0 = (np.zeros(m.shape, dtype=bool) if zeros is None else np.asarray(zeros) & (np.abs(m) <= noise))
    d = decimals_for(m[~shown0]) if (~shown0).any() else 0
    cells = [[("0" if shown0[a, b] else format_number(m[a, b], d)) for b in range(m.shape[1])]
             for a in range(m.shape[0])]
    width = max(len(c) for row in cells for c in row)
    return [indent + "  ".join(c.rjust(width) for c in row) for row in cells]


def format_tensor(name: str, value: np.ndarray, kind: str, unit: str, ops: np.ndarray | None = None,
                  point_group: str | None = None) -> list[str]:
    """Lines of one predicted tensor (full Cartesian `value`) as its Voigt matrix with unit and zero legend."""
    k = tensor_kind(kind)
    v = full_to_voigt(np.asarray(value, dtype=np.float64), k)
    zeros = forced_zeros(ops, k) if ops is not None else None
    rows, cols = k.voigt_shape
    order = "" if k.name == "dielectric" else f", order {VOIGT_ORDER}"
    head = f"  {name} ({unit if unit and unit != '1' else 'dimensionless'}; Voigt {rows}x{cols}{order})"
    lines = [head + ":"] + format_matrix(v, zeros)
    if zeros is not None and zeros.any() and point_group:
        lines.append(f"    (0: zero by the crystal's point group {point_group})")
    return lines


def format_derived(props: dict, units: dict[str, str]) -> str:
    """One line `K_VRH = 26.61 GPa, G_VRH = ...` of `pgnn.tensors.pymatgen_tensors.derived_properties`."""
    parts = []
    for key, val in props.items():
        unit = units.get(key, "")
        if isinstance(val, list):
            d = decimals_for(np.asarray(val))
            text = "[" + ", ".join(format_number(x, d) for x in val) + "]"
        else:
            text = f"{val:.4g}"
        parts.append(f"{key} = {text}{' ' + unit if unit else ''}")
    return "    derived: " + ", ".join(parts)


def format_scalar(name: str, value: float, unit: str) -> str:
    v = float(np.asarray(value))
    return f"  {name} = {format_number(v, decimals_for(np.asarray([v])))}{' ' + unit if unit else ''}"


def format_prediction(row: dict, pred: dict, structure, kinds: dict[str, str], units: dict[str, str]) -> str:
    """The text block of one structure: `file [id]`, its point group, then every target (tensors as matrices) and,
    when row has "derived", the derived properties of each tensor."""
    from pgnn.tensors.pymatgen_tensors import DERIVED_UNITS

    ops, pg = (crystal_operations(structure) if any(k != "scalar" for k in kinds.values()) else (None, None))
    lines = [f"{row['file']} [{row['id']}]" + (f"  point group {pg}" if pg else "")]
    for name, value in pred.items():
        if kinds[name] == "scalar":
            lines.append(format_scalar(name, value, units.get(name, "")))
            continue
        lines += format_tensor(name, value, kinds[name], units.get(name, ""), ops, pg)
        if "derived" in row and name in row["derived"]:
            lines.append(format_derived(row["derived"][name], DERIVED_UNITS))
    return "\n".join(lines)
