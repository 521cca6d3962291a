"""Reading one structure from a CIF, POSCAR/CONTCAR/.vasp or pymatgen-JSON file."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from pymatgen.core import Structure

from pgnn.errors import StructureError

CIF_SUFFIXES = {".cif", ".mcif"}
POSCAR_SUFFIXES = {".vasp", ".poscar", ".contcar"}
POSCAR_NAMES = ("POSCAR", "CONTCAR")


def structure_file_kind(path: str | Path) -> str | None:
    """'cif', 'poscar' or 'json' from the file name, or None if it does not look like a structure file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in CIF_SUFFIXES:
        return "cif"
    if suffix in POSCAR_SUFFIXES or path.name.upper().startswith(POSCAR_NAMES) or path.stem.upper().endswith(POSCAR_NAMES):
        return "poscar"
    if suffix == ".json" and not path.name.endswith(".json.gz"):
        return "json"
    return None


def read_structure_file(path: str | Path) -> Structure:
    """Read the (first) structure of a CIF, POSCAR-like or pymatgen Structure JSON file, in the file's frame.

    Raises StructureError(path, reason) if the file is missing or cannot be parsed.
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise StructureError(source, "unreadable file (not found)")
    kind = structure_file_kind(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "cif":
                from pymatgen.io.cif import CifParser

                structures = CifParser(str(path)).parse_structures(primitive=False)
                if not structures:
                    raise ValueError("no structure in the CIF")
                structure = structures[0]
            elif kind == "poscar":
                from pymatgen.io.vasp import Poscar

                structure = Poscar.from_file(str(path), check_for_potcar=False).structure
            elif kind == "json":
                with open(path, encoding="utf-8") as fh:
                    structure = Structure.from_dict(json.load(fh))
            else:
                structure = Structure.from_file(str(path))
    except StructureError:
        raise
    except Exception as exc:  # parsers raise many kinds on malformed input
        msg = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise StructureError(source, f"unreadable file ({msg})") from None
    if not isinstance(structure, Structure):
        raise StructureError(source, "unreadable file (no periodic structure in it)")
    return structure
