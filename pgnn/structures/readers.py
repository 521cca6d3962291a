"""One entry point for every input file or folder: `read_entries(path) -> (entries, skipped)`.

Bundled dataset names are resolved a layer up, by `pgnn.data.dataset.read_entries`."""

from __future__ import annotations

from pathlib import Path

from pgnn.errors import PgnnError, StructureError
from pgnn.structures.extxyz import read_extxyz
from pgnn.structures.files import read_structure_file, structure_file_kind
from pgnn.structures.folder import file_entries, read_folder
from pgnn.structures.records import Entry, read_records
from pgnn.structures.validate import validate_entries

Skipped = list[tuple[str, str]]


def input_kind(path: Path) -> str:
    """'records', 'folder', 'extxyz' or 'structure' (one CIF/POSCAR/JSON structure file) for an existing path."""
    if path.is_dir():
        return "folder"
    name = path.name.lower()
    if name.endswith((".extxyz", ".xyz")):
        return "extxyz"
    if name.endswith(".json.gz"):
        return "records"
    if name.endswith(".json"):
        # a JSON list is a records file; a JSON object is one pymatgen Structure
        with open(path, encoding="utf-8") as fh:
            head = fh.read(256).lstrip()
        return "records" if head.startswith("[") else "structure"
    if structure_file_kind(path) is not None:
        return "structure"
    return "structure"  # let pymatgen try by content; an unreadable file is reported as such


def read_entries(
    path: str | Path,
    *,
    source: str | None = None,
    validate: bool = True,
    cutoff: float | None = 8.0,
    targets: list[str] | None = None,
) -> tuple[list[Entry], Skipped]:
    """Read every entry of a dataset as (entries, skipped), skipped a list of (source, reason).

    path: a records file (.json / .json.gz), a folder of CIF/POSCAR files with a CSV of targets, an .extxyz/.xyz
        file, or one CIF/POSCAR file. source: how a records file is named in error messages (default: its path).
    validate: check every structure (`validate_structure`, with `cutoff` in Angstrom) and skip bad ones.
    targets: field names that every kept entry must have as finite scalars/tensors (others are skipped).
    Bad entries never raise; a path that does not exist or cannot be read at all raises PgnnError.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise PgnnError(f"{path}: no such file or folder")
    source = source or str(path)
    kind = input_kind(path)
    skipped: Skipped = []
    if kind == "records":
        entries, skipped = read_records(path, source=source)
    elif kind == "folder":
        entries, skipped = read_folder(path)
    elif kind == "extxyz":
        entries, skipped = read_extxyz(path)
    else:
        try:
            entries = file_entries(path)
        except StructureError as exc:
            entries, skipped = [], [(exc.source, exc.reason)]
    if validate or targets:
        entries, bad = validate_entries(entries, cutoff=cutoff if validate else None, targets=targets)
        skipped += bad
    return entries, skipped


def read_structure(path: str | Path, cutoff: float | None = 8.0):
    """One validated structure from a file (CIF, POSCAR, JSON); raises StructureError naming the file."""
    from pgnn.structures.validate import validate_structure

    return validate_structure(read_structure_file(path), str(path), cutoff=cutoff)


__all__ = ["read_entries", "read_structure", "input_kind"]
