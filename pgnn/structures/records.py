"""The records format of the bundled datasets: a (gzip) JSON list of
`{"id", "formula", "structure": <pymatgen Structure.as_dict()>, <target fields>...}`."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path

from pymatgen.core import Structure

from pgnn.errors import PgnnError, StructureError
from pgnn.structures.decode import structure_from_dict


@dataclass
class Entry:
    """One crystal with its raw target fields.

    id: record id (e.g. "mp-10003") or file stem.
    structure: pymatgen Structure (Angstrom, Cartesian frame of the source).
    fields: raw record fields other than the structure (targets keep their source units, e.g. "K_VRH_GPa").
    source: where it came from, for error messages ("path/to/file.json.gz#mp-10003").
    """

    id: str
    structure: Structure | None
    fields: dict = field(default_factory=dict)
    source: str = ""


def load_json_records(path: str | Path) -> list[dict]:
    """Read a JSON list of record dicts from `path` (gzip if it ends in .gz)."""
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise PgnnError(f"{path}: file not found") from None
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PgnnError(f"{path}: not a readable JSON records file ({exc})") from None
    if not isinstance(data, list):
        raise PgnnError(f"{path}: expected a JSON list of records, got {type(data).__name__}")
    return data


def entry_from_record(rec: dict, source: str) -> Entry:
    """Turn one record dict into an Entry; raises StructureError naming `source#id` if the structure is unusable."""
    rid = str(rec.get("id", "?"))
    where = f"{source}#{rid}"
    if "structure" not in rec:
        raise StructureError(where, "record has no 'structure' field")
    try:
        structure = structure_from_dict(rec["structure"], where)  # allow-list decoder: no module is imported
    except StructureError:
        raise
    except Exception as exc:  # pymatgen raises many kinds on malformed dicts
        raise StructureError(where, f"cannot build a structure from the record ({type(exc).__name__}: {exc})") from None
    fields = {k: v for k, v in rec.items() if k != "structure"}
    return Entry(id=rid, structure=structure, fields=fields, source=where)


def read_records(path: str | Path, source: str | None = None) -> tuple[list[Entry], list[tuple[str, str]]]:
    """All entries of a records file (.json / .json.gz list of records) as (entries, skipped).

    A record whose structure cannot be built is skipped with (source#id, reason); a file that cannot be read
    at all raises PgnnError naming the file. `source` names the entries (defaults to the path).
    """
    source = source or str(path)
    entries: list[Entry] = []
    skipped: list[tuple[str, str]] = []
    for k, rec in enumerate(load_json_records(path)):
        if not isinstance(rec, dict):
            skipped.append((f"{source}#{k}", f"record is a {type(rec).__name__}, not an object"))
            continue
        try:
            entries.append(entry_from_record(rec, source))
        except StructureError as exc:
            skipped.append((exc.source, exc.reason))
    return entries, skipped
