"""A folder of structure files (CIF, POSCAR, .vasp, pymatgen JSON) plus an optional CSV of targets.

CSV layout: a header row with a column `id` (matching file stems, e.g. `mp-149` for `mp-149.cif`) or `file`
(matching file names or stems); every other column is a target or a field. A cell may hold a number, text, or a
JSON-encoded nested list for a tensor (e.g. `"[[1,0,0],[0,1,0],[0,0,1]]"`). The headerless two-column
`id_prop.csv` of CGCNN is also accepted (its value column is named `target`).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from pgnn.errors import PgnnError, StructureError
from pgnn.structures.files import read_structure_blocks, read_structure_file, structure_file_kind
from pgnn.structures.records import Entry

KEY_COLUMNS = ("id", "file")


def parse_cell(text: str):
    """A CSV cell as None (empty), float, nested list (JSON tensor) or the text itself."""
    text = text.strip()
    if text == "":
        return None
    if text[0] == "[":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    try:
        return float(text)
    except ValueError:
        return text


def find_targets_csv(folder: Path) -> Path | None:
    """The folder's CSV of targets: the only *.csv, else `targets.csv` or `id_prop.csv`; None when there is none."""
    csvs = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
    if len(csvs) == 1:
        return csvs[0]
    for name in ("targets.csv", "id_prop.csv"):
        if (folder / name).is_file():
            return folder / name
    if csvs:
        raise PgnnError(f"{folder}: several CSV files ({', '.join(p.name for p in csvs)}); "
                        "name the targets file targets.csv")
    return None


def read_targets_csv(path: Path) -> tuple[str, list[dict]]:
    """(key column, rows) of a targets CSV; each row maps column -> parsed cell."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    except (OSError, UnicodeDecodeError) as exc:
        raise PgnnError(f"{path}: unreadable CSV ({exc})") from None
    if not rows:
        raise PgnnError(f"{path}: empty CSV")
    header = [h.strip() for h in rows[0]]
    key = next((k for k in KEY_COLUMNS if k in header), None)
    if key is None:
        if path.name == "id_prop.csv":  # CGCNN layout, no header
            width = max(len(r) for r in rows)
            header = ["id"] + (["target"] if width == 2 else [f"target_{k}" for k in range(width - 1)])
            key, body = "id", rows
        else:
            raise PgnnError(f"{path}: no 'id' or 'file' column in the header ({', '.join(header)})")
    else:
        body = rows[1:]
    out = []
    for r in body:
        row = {h: parse_cell(c) if h != key else c.strip() for h, c in zip(header, r)}
        out.append(row)
    return key, out


def file_entries(path: Path, fields: dict | None = None) -> list[Entry]:
    """The entries of one structure file: one (id = file stem) for a single structure, one per data block of a
    multi-block CIF (id `stem#block`, source `path#block`). Raises StructureError for an unusable file."""
    blocks = read_structure_blocks(path)
    if len(blocks) == 1:
        return [Entry(id=path.stem, structure=blocks[0][1], fields=dict(fields or {}), source=str(path))]
    return [Entry(id=f"{path.stem}#{name}", structure=s, fields=dict(fields or {}), source=f"{path}#{name}")
            for name, s in blocks]


def read_folder(folder: str | Path) -> tuple[list[Entry], list[tuple[str, str]]]:
    """Entries of a folder of structure files and its CSV of targets, as (entries, skipped).

    With a CSV, the entries are its rows in order (id = the key cell's file stem), the fields are the other
    columns; a row without a readable file, and a structure file without a row, are skipped with the reason.
    Without a CSV, every structure file is an entry with no fields, in sorted file-name order (a CIF with several
    data blocks gives one entry per block, id `stem#block`). A folder without any structure file raises PgnnError.
    """
    folder = Path(folder)
    files = sorted(p for p in folder.iterdir() if p.is_file() and structure_file_kind(p) is not None)
    by_name = {p.name: p for p in files}
    by_stem: dict[str, Path] = {}
    for p in files:
        by_stem.setdefault(p.stem, p)
    if not files:
        raise PgnnError(f"{folder}: no structure files (CIF, POSCAR/CONTCAR, .vasp, .json) in this folder")
    csv_path = find_targets_csv(folder)
    entries: list[Entry] = []
    skipped: list[tuple[str, str]] = []

    def load(path: Path, eid: str, fields: dict) -> None:
        try:
            entries.append(Entry(id=eid, structure=read_structure_file(path), fields=fields, source=str(path)))
        except StructureError as exc:
            skipped.append((exc.source, exc.reason))

    if csv_path is None:
        for p in files:
            try:
                entries.extend(file_entries(p))
            except StructureError as exc:
                skipped.append((exc.source, exc.reason))
        return entries, skipped

    key, rows = read_targets_csv(csv_path)
    used: set[Path] = set()
    for k, row in enumerate(rows):
        name = str(row.get(key) or "")
        path = by_name.get(name) or by_stem.get(name) or by_stem.get(Path(name).stem)
        if path is None:
            skipped.append((f"{csv_path}#{name or k}", f"no structure file in {folder} matches {key} '{name}'"))
            continue
        used.add(path)
        fields = {h: v for h, v in row.items() if h != key}
        load(path, path.stem, fields)
    for p in files:
        if p not in used:
            skipped.append((str(p), f"no row for it in {csv_path.name}"))
    return entries, skipped
