"""A dataset (bundled name or path) + targets + graph settings -> graphs with targets, and the skipped entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from pgnn.data.featurize import featurize
from pgnn.data.splits import SplitSpec, in_subsample, split_key
from pgnn.data.targets import TargetSpec
from pgnn.errors import TargetError
from pgnn.structures.records import Entry

Skipped = list[tuple[str, str]]


@dataclass
class GraphSet:
    """graphs: one graph per usable entry, with `y_<target>` ([1, ...] float32) and `entry_id` attached.
    ids: entry ids in the same order. skipped: (source, reason) of every entry left out. keys: {entry id: split
    key} when the split is not by id (`pgnn.data.splits.split_key`); an id not in it is its own key."""

    graphs: list = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    skipped: Skipped = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)


def read_entries(data: str | Path, validate: bool = False, **options) -> tuple[list[Entry], Skipped]:
    """Entries of a bundled dataset name, a records file, a folder of CIF/POSCAR + CSV, an extxyz file or one
    structure file, with (source, reason) of the unreadable ones. By default structures are validated later, in the
    featurizer's worker processes (and cached with the graphs); `validate=True` (and `cutoff`, `targets`) checks
    them here, as `pgnn.structures.read_entries` does."""
    from pgnn.data.registry import BUNDLED, resolve_dataset
    from pgnn.structures.readers import read_entries as read_any

    path = resolve_dataset(data)
    return read_any(path, source=str(data) if str(data) in BUNDLED else str(path), validate=validate, **options)


def _spec(spec: SplitSpec | None, fractions, seed: int) -> SplitSpec:
    return spec if spec is not None else SplitSpec(tuple(float(f) for f in fractions), int(seed))


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
    point_groups: list[str] | None = None,
    spec: SplitSpec | None = None,
) -> GraphSet:
    """Graphs of the entries of `data` in `split` ("train" | "val" | "test" | "all"); entries that cannot be read,
    lack a target or fail graph construction are counted in `skipped` (only those of the requested split).
    `limit` keeps only the first `limit` readable entries of the file (before splitting). `point_groups` (e.g.
    ["m-3m"]) keeps only the entries of those crystal point groups (a subset, not counted as skipped). `spec`
    (a `SplitSpec`, e.g. `SplitSpec.from_config(config["data"])`) replaces `fractions` and `seed`; unreadable
    entries, whose structure is unknown, are placed by their id."""
    spec = _spec(spec, fractions, seed)
    entries, unreadable = read_entries(data)
    if limit is not None:
        entries = entries[: int(limit)]
        unreadable = []
    if point_groups:
        entries = select_point_groups(entries, point_groups)
        unreadable = []
    keys = {e.id: split_key(e, spec.by) for e in entries} if spec.by != "id" else {}
    entries = [e for e in entries if split == "all" or spec.part(keys.get(e.id, e.id)) == split]
    unreadable = [(src, why) for src, why in unreadable if split == "all" or spec.part(entry_id_of(src)) == split]
    out = build_graphs(entries, targets, graph_kind, graph_options, cache_dir, workers, progress)
    out.skipped = unreadable + out.skipped
    out.keys = keys
    return out


def entry_point_group(entry: Entry) -> str:
    """The crystal point group of an entry (HM, spglib spelling): the record's `point_group` field when it has one,
    else spglib's at the default tolerance."""
    from pgnn.structures.point_groups import canonical_name

    stated = entry.fields.get("point_group")
    if stated:
        try:
            return canonical_name(str(stated))
        except KeyError:
            pass
    from pgnn.structures.symmetry import analyze_symmetry

    return analyze_symmetry(entry.structure, source=entry.source).point_group


def select_point_groups(entries: list[Entry], names: list[str]) -> list[Entry]:
    """The entries whose crystal point group is one of `names` (HM or Schoenflies: "m-3m", "Oh", "-4m2", ...)."""
    from pgnn.errors import ConfigError
    from pgnn.structures.point_groups import canonical_name

    wanted = set()
    for n in names:
        try:
            wanted.add(canonical_name(str(n)))
        except KeyError:
            raise ConfigError(f"data.point_groups: unknown point group {n!r}") from None
    return [e for e in entries if entry_point_group(e) in wanted]


def entry_id_of(source: str) -> str:
    """The entry id in a source string: the part after '#' ("file.json.gz#mp-1"), else the file stem."""
    return source.rsplit("#", 1)[-1] if "#" in source else Path(source).stem


def partition(graphs: GraphSet, fractions=(0.8, 0.1, 0.1), seed: int = 0,
              train_fraction: float = 1.0, spec: SplitSpec | None = None) -> dict[str, GraphSet]:
    """{"train"|"val"|"test": GraphSet} by `spec.part` of each entry's split key (`graphs.keys`, else the id;
    `spec` defaults to `fractions` and `seed` by id; skipped entries go with their split). `train_fraction` < 1
    keeps a nested, id-hashed subsample of the training part (learning curves); validation and test parts are
    unchanged."""
    spec = _spec(spec, fractions, seed)
    if not 0.0 < float(train_fraction) <= 1.0:
        from pgnn.errors import ConfigError

        raise ConfigError(f"data.train_fraction must be in (0, 1], got {train_fraction}")
    parts = {s: GraphSet() for s in ("train", "val", "test")}
    for g, i in zip(graphs.graphs, graphs.ids):
        which = spec.part(graphs.keys.get(i, i))
        if which == "train" and not in_subsample(i, float(train_fraction), spec.seed):
            continue
        part = parts[which]
        part.graphs.append(g)
        part.ids.append(i)
    for src, why in graphs.skipped:
        i = entry_id_of(src)
        parts[spec.part(graphs.keys.get(i, i))].skipped.append((src, why))
    return parts
