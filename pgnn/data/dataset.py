"""A dataset (bundled name or path) + targets + graph settings -> graphs with targets, and the skipped entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from pgnn.data.featurize import featurize
from pgnn.data.splits import split_of
from pgnn.data.targets import TargetSpec
from pgnn.errors import TargetError
from pgnn.structures.records import Entry

Skipped = list[tuple[str, str]]


@dataclass
class GraphSet:
    """graphs: one graph per usable entry, with `y_<target>` ([1, ...] float32) and `entry_id` attached.
    ids: entry ids in the same order. skipped: (source, reason) of every entry left out."""

    graphs: list = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    skipped: Skipped = field(default_factory=list)


def read_entries(data: str | Path) -> tuple[list[Entry], Skipped]:
    """Entries of a bundled dataset name, a records file (.json/.json.gz list) or one structure file
    (CIF, POSCAR, ...), with (source, reason) of the unreadable ones."""
    from pymatgen.core import Structure

    from pgnn.data.registry import BUNDLED, resolve_dataset
    from pgnn.errors import StructureError
    from pgnn.structures.records import entry_from_record, load_json_records

    path = resolve_dataset(data)
    source = str(data) if str(data) in BUNDLED else str(path)
    if not (path.name.endswith(".json.gz") or path.name.endswith(".json")):
        try:
            return [Entry(id=path.stem, structure=Structure.from_file(path), source=source)], []
        except Exception as exc:  # pymatgen raises many kinds on unreadable files
            return [], [(source, f"unreadable structure file ({type(exc).__name__}: {exc})")]
    entries, skipped = [], []
    for rec in load_json_records(path):
        try:
            entries.append(entry_from_record(rec, source))
        except StructureError as exc:
            skipped.append((exc.source, exc.reason))
    return entries, skipped


def _in_split(entry_id: str, split: str, fractions, seed: int) -> bool:
    return split == "all" or split_of(entry_id, tuple(fractions), seed) == split


def build_graphs(
    entries: list[Entry],
    targets: list[TargetSpec],
    graph_kind: str,
    graph_options: dict,
    cache_dir: str | Path | None = None,
    workers: int | None = None,
    progress: bool = True,
) -> GraphSet:
    """Derive every target of every entry (skipping unusable ones with the reason), then featurize the rest."""
    out = GraphSet()
    usable, values = [], []
    for e in entries:
        try:
            values.append({t.name: t.derive(e.fields, e.source) for t in targets})
            usable.append(e)
        except TargetError as exc:
            out.skipped.append((exc.source, exc.reason))
    graphs, bad = featurize(
        [e.structure for e in usable],
        graph_kind,
        graph_options,
        sources=[e.source for e in usable],
        cache_dir=cache_dir,
        workers=workers,
        progress=progress,
    )
    out.skipped.extend(bad)
    for e, g, vals in zip(usable, graphs, values):
        if g is None:
            continue
        for name, v in vals.items():
            setattr(g, f"y_{name}", torch.as_tensor(v, dtype=torch.float32).unsqueeze(0))
        g.entry_id = e.id
        out.graphs.append(g)
        out.ids.append(e.id)
    return out


def load_dataset(
    data: str | Path,
    targets: list[TargetSpec],
    graph_kind: str,
    graph_options: dict,
    split: str = "all",
    fractions=(0.8, 0.1, 0.1),
    seed: int = 0,
    cache_dir: str | Path | None = None,
    workers: int | None = None,
    progress: bool = True,
    limit: int | None = None,
) -> GraphSet:
    """Graphs of the entries of `data` in `split` ("train" | "val" | "test" | "all"); entries that cannot be read,
    lack a target or fail graph construction are counted in `skipped` (only those of the requested split).
    `limit` keeps only the first `limit` readable entries of the file (before splitting)."""
    entries, unreadable = read_entries(data)
    if limit is not None:
        entries = entries[: int(limit)]
        unreadable = []
    entries = [e for e in entries if _in_split(e.id, split, fractions, seed)]
    unreadable = [(src, why) for src, why in unreadable if _in_split(entry_id_of(src), split, fractions, seed)]
    out = build_graphs(entries, targets, graph_kind, graph_options, cache_dir, workers, progress)
    out.skipped = unreadable + out.skipped
    return out


def entry_id_of(source: str) -> str:
    """The record id in a source string "file#id" (the whole string when it has no '#')."""
    return source.rsplit("#", 1)[-1]


def partition(graphs: GraphSet, fractions=(0.8, 0.1, 0.1), seed: int = 0) -> dict[str, GraphSet]:
    """{"train"|"val"|"test": GraphSet} by `split_of` of each id (skipped entries go with their split)."""
    parts = {s: GraphSet() for s in ("train", "val", "test")}
    for g, i in zip(graphs.graphs, graphs.ids):
        part = parts[split_of(i, tuple(fractions), seed)]
        part.graphs.append(g)
        part.ids.append(i)
    for src, why in graphs.skipped:
        parts[split_of(entry_id_of(src), tuple(fractions), seed)].skipped.append((src, why))
    return parts
