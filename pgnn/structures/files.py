"""Reading one structure from a CIF, POSCAR/CONTCAR/.vasp or pymatgen-JSON file."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from pymatgen.core import Structure

from pgnn.errors import StructureError
from pgnn.structures.decode import structure_from_dict

CIF_SUFFIXES = {".cif", ".mcif"}
POSCAR_SUFFIXES = {".vasp", ".poscar", ".contcar"}
POSCAR_NAMES = ("POSCAR", "CONTCAR")


def structure_file_kind(path: str | Path) -> str | None:
    """'cif', 'poscar' or 'json' from the file name, or None if it does not look like a structure file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in CIF_SUFFIXES:
        return "cif"
    name = path.name.upper()
    if suffix in POSCAR_SUFFIXES or name.startswith(POSCAR_NAMES) or path.stem.upper().endswith(POSCAR_NAMES):
        return "poscar"
    if suffix == ".json" and not path.name.endswith(".json.gz"):
        return "json"
    return None


def _monty_decoded(path: Path) -> bool:
    """Whether `Structure.from_file` would decode this name with MontyDecoder or YAML objects (*.json*, *.mson,
    *.yaml*): such files are read only through `structure_from_dict`'s allow-list, never by pymatgen."""
    name = path.name.lower()
    return ".json" in name or name.endswith(".mson") or ".yaml" in name or ".yml" in name


def read_cif_blocks(path: Path) -> list[tuple[str, Structure]]:
    """(block name, structure) of every data block of a CIF that holds atom sites, in file order.

    Each block is parsed on its own and checked against its own formula (`_chemical_formula_sum`, else
    `_chemical_formula_structural`) with pymatgen's consistency check: a block cut inside its atom list, whose
    atoms do not add up to its formula, raises StructureError naming `path#block`. Blocks without atom sites
    (e.g. a publication block) are ignored."""
    from pymatgen.io.cif import CifFile, CifParser

    source = str(path)
    text = path.read_text(encoding="utf-8", errors="replace")
    out = []
    cif = CifFile.from_str(text)
    many = len(cif.data) > 1
    for name, block in cif.data.items():
        where = f"{source}#{name}" if many else source
        if not any(k in block.data for k in ("_atom_site_fract_x", "_atom_site_Cartn_x")):
            continue
        parser = CifParser.from_str(str(block))
        structures = parser.parse_structures(primitive=False, on_error="raise")
        if not structures:
            raise StructureError(where, "unreadable file (no structure in the CIF block)")
        problem = parser.check(structures[0])
        if problem:
            reason = " ".join(problem.split())
            raise StructureError(where, f"inconsistent CIF: {reason} (a truncated file or a missing atom?)")
        out.append((name, structures[0]))
    if not out:
        raise StructureError(source, "unreadable file (no atom sites in any CIF data block)")
    return out


def read_structure_blocks(path: str | Path) -> list[tuple[str, Structure]]:
    """Every structure of a file as (block name, structure): one per data block of a CIF (see
    `read_cif_blocks`), one ("", structure) for a POSCAR-like or pymatgen Structure JSON file.

    Raises StructureError(path, reason) if the file is missing, cannot be parsed or is inconsistent."""
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise StructureError(source, "unreadable file (not found)")
    kind = structure_file_kind(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "cif":
                blocks = read_cif_blocks(path)
            elif kind == "poscar":
                from pymatgen.io.vasp import Poscar

                blocks = [("", Poscar.from_file(str(path), check_for_potcar=False).structure)]
            elif kind == "json":
                with open(path, encoding="utf-8") as fh:
                    blocks = [("", structure_from_dict(json.load(fh), source))]  # allow-list, no monty decoding
            elif _monty_decoded(path):
                raise StructureError(source, "unsupported file type (pymatgen would decode it with monty, which "
                                             "imports modules the file names); use .json, CIF or POSCAR")
            else:
                blocks = [("", Structure.from_file(str(path)))]
    except StructureError:
        raise
    except Exception as exc:  # parsers raise many kinds on malformed input
        msg = " ".join(str(exc).split())[:200] if str(exc).strip() else type(exc).__name__
        raise StructureError(source, f"unreadable file ({msg})") from None
    for _, structure in blocks:
        if not isinstance(structure, Structure):
            raise StructureError(source, "unreadable file (no periodic structure in it)")
    return blocks


def read_structure_file(path: str | Path) -> Structure:
    """Read the one structure of a CIF, POSCAR-like or pymatgen Structure JSON file, in the file's frame.

    Raises StructureError(path, reason) if the file is missing, cannot be parsed, or is a CIF with several
    structure blocks (read those with `read_structure_blocks` or `pgnn.structures.read_entries`)."""
    blocks = read_structure_blocks(path)
    if len(blocks) > 1:
        names = ", ".join(n for n, _ in blocks[:6])
        raise StructureError(str(path), f"{len(blocks)} structure data blocks ({names}); read them with "
                                        "read_entries, which returns one entry per block (id file#block)")
    return blocks[0][1]
