"""Structures -> graphs, in worker processes, with an on-disk cache.

Structures are validated (pgnn.structures.validate) in the same workers. The model says which graph it needs
(`graph_kind`, `graph_options(config)`); `featurize` dispatches to the builder registered for that kind. Cached graphs are keyed by the structure's content (species, lattice,
Cartesian positions), the graph kind and options, and the builder's version; the cache is written in chunks,
each atomically, so an interrupted run keeps what it finished and resumes from there.
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing as mp
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from pymatgen.core import Structure
from tqdm.auto import tqdm

from pgnn.data.graph_codec import decode_graph, encode_graph
from pgnn.errors import ConfigError, PgnnError
from pgnn.safe_load import UnsafeFileError, safe_torch_load

#: Version of the on-disk chunk format (part of the cache key). "plain-1": graphs stored as plain dicts of
#: tensors (`graph_codec`), loaded with weights_only=True.
CACHE_FORMAT = "plain-1"


@dataclass(frozen=True)
class GraphBuilder:
    """build(structure, options, source) -> graph; raises a PgnnError (e.g. StructureError) for a bad structure.
    `version` goes into the cache key: change it whenever the builder's output changes."""

    build: Callable[[Structure, dict, str], Any]
    version: str


def _crystal_graph(structure: Structure, options: dict, source: str):
    from pgnn.graphs.crystal_graph import build_crystal_graph

    g = build_crystal_graph(
        structure,
        cutoff=float(options.get("cutoff", 8.0)),
        max_neighbors=options.get("max_neighbors", 12),
        source=source,
    )
    if options.get("site_classes"):  # site-symmetry class of every atom (0..31), for site-class o3 models
        import torch

        from pgnn.structures.symmetry import site_classes

        _, cls = site_classes(structure, symprec=float(options.get("symprec", 0.01)), source=source)
        g.site_class = torch.as_tensor(cls, dtype=torch.long)
    return g


GRAPH_BUILDERS: dict[str, GraphBuilder] = {"crystal_graph": GraphBuilder(_crystal_graph, "3")}  # 3: whole shells
from pgnn.graphs.hypergraph import HYPERGRAPH_BUILDER_VERSION, hypergraph_from_options  # noqa: E402
GRAPH_BUILDERS["hypergraph"] = GraphBuilder(hypergraph_from_options, HYPERGRAPH_BUILDER_VERSION)
from pgnn.graphs.pg_crystal_graph import build_pg_crystal_graph  # noqa: E402
GRAPH_BUILDERS["pg_crystal_graph"] = GraphBuilder(build_pg_crystal_graph, "2")  # 2: shell cap in float64


def register_graph_builder(kind: str, build: Callable[[Structure, dict, str], Any], version: str = "1") -> None:
    """Make `featurize(..., graph_kind=kind)` use `build(structure, options, source)`."""
    GRAPH_BUILDERS[kind] = GraphBuilder(build, version)


def structure_key(structure: Structure) -> str:
    """sha256 of the species, lattice and Cartesian positions (float64 bytes) of a structure."""
    h = hashlib.sha256()
    h.update("|".join(site.species_string for site in structure).encode())
    h.update(np.ascontiguousarray(structure.lattice.matrix, dtype=np.float64).tobytes())
    h.update(np.ascontiguousarray(structure.cart_coords, dtype=np.float64).tobytes())
    return h.hexdigest()


def settings_key(graph_kind: str, options: dict) -> str:
    """Key of everything besides the structure that decides a graph: kind, options, builder and pgnn versions."""
    from pgnn.version import __version__

    if graph_kind not in GRAPH_BUILDERS:
        raise ConfigError(f"no graph builder for graph_kind {graph_kind!r}; known: {', '.join(GRAPH_BUILDERS)}")
    text = json.dumps(
        {"kind": graph_kind, "options": options, "builder": GRAPH_BUILDERS[graph_kind].version, "pgnn": __version__,
         "format": CACHE_FORMAT},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _build_chunk(args) -> dict[str, Any]:
    """Worker: {structure key: graph, or the reason string when the structure is unusable}.

    Every structure is validated first (`validate_structure`: species, finite numbers, cell, atoms closer
    than 0.5 A); the builder itself reports atoms without a neighbour within its cutoff."""
    from pgnn.structures.validate import validate_structure

    builder, options, items = args
    out: dict[str, Any] = {}
    for key, structure, source in items:
        try:
            validate_structure(structure, source, cutoff=None)
            out[key] = builder(structure, options, source)
        except PgnnError as exc:
            out[key] = getattr(exc, "reason", str(exc))
        except (ValueError, RuntimeError, IndexError) as exc:  # backend failures on degenerate cells
            out[key] = f"graph construction failed ({type(exc).__name__}: {exc})"
    return out


def _build_chunk_bytes(args) -> bytes:
    """Worker: `_build_chunk` as plain data serialized with torch.save (one buffer instead of one shared tensor
    per array)."""
    buffer = io.BytesIO()
    torch.save({k: encode_graph(g) for k, g in _build_chunk(args).items()}, buffer)
    return buffer.getvalue()


def _worker_init() -> None:
    torch.set_num_threads(1)


def _decode_chunk(raw: Any, name: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise PgnnError(f"{name}: not a pgnn graph cache chunk")
    return {str(k): decode_graph(v, name) for k, v in raw.items()}


def _load_cache(folder: Path) -> dict[str, Any]:
    """Every chunk of a cache folder, loaded with weights_only=True (`safe_torch_load`). A chunk that holds
    objects other than tensors and plain data is refused (UnsafeFileError naming it: nothing in it runs); a
    damaged or foreign one is ignored and its graphs are rebuilt."""
    cached: dict[str, Any] = {}
    for path in sorted(folder.glob("chunk-*.pt")):
        try:
            cached.update(_decode_chunk(safe_torch_load(path, str(path)), str(path)))
        except UnsafeFileError as exc:
            raise UnsafeFileError(f"{exc} (delete it, or the cache folder {folder}, to rebuild)") from None
        except PgnnError:  # damaged or foreign: its graphs are rebuilt
            continue
    return cached


def _write_chunk(folder: Path, chunk: dict[str, Any]) -> None:
    name = hashlib.sha256("".join(sorted(chunk)).encode()).hexdigest()[:20]
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".pt")
    os.close(fd)
    try:
        torch.save({k: encode_graph(g) for k, g in chunk.items()}, tmp)
        os.replace(tmp, folder / f"chunk-{name}.pt")
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def default_cache_dir() -> Path:
    """$PGNN_CACHE_DIR, else $XDG_CACHE_HOME/pgnn/graphs, else ~/.cache/pgnn/graphs."""
    if os.environ.get("PGNN_CACHE_DIR"):
        return Path(os.environ["PGNN_CACHE_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "pgnn" / "graphs"


def default_workers() -> int:
    """Worker processes for featurization: PGNN_WORKERS, else the number of usable cores (at most 8)."""
    env = os.environ.get("PGNN_WORKERS")
    if env:
        return max(1, int(env))
    return max(1, min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def featurize(
    structures: Sequence[Structure],
    graph_kind: str,
    options: dict,
    sources: Sequence[str] | None = None,
    cache_dir: str | Path | None = None,
    workers: int | None = None,
    chunk_size: int = 256,
    progress: bool = True,
) -> tuple[list[Any | None], list[tuple[str, str]]]:
    """Graphs of `structures` (None where unusable) and the (source, reason) of every unusable one.

    Graphs carry no target or id; the caller attaches them. With `cache_dir`, graphs are read from and
    written to `cache_dir/<graph_kind>-<settings key>/chunk-*.pt`.
    """
    skey = settings_key(graph_kind, options)
    sources = list(sources) if sources is not None else [s.composition.reduced_formula for s in structures]
    keys = [structure_key(s) for s in structures]
    folder = None
    done: dict[str, Any] = {}
    if cache_dir is not None:
        folder = Path(cache_dir) / f"{graph_kind}-{skey}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PgnnError(f"{cache_dir}: cannot create the graph cache folder ({exc.strerror or exc})") from None
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PgnnError(f"{folder}: graph cache folder is not writable")
        done = _load_cache(folder)
    todo: dict[str, tuple[Structure, str]] = {}
    for k, s, src in zip(keys, structures, sources):
        if k not in done and k not in todo:
            todo[k] = (s, src)
    items = [(k, s, src) for k, (s, src) in todo.items()]
    # the builder travels with each chunk (pickled by reference), so spawned workers need no registry
    build = GRAPH_BUILDERS[graph_kind].build
    chunks = [(build, options, items[i : i + chunk_size]) for i in range(0, len(items), chunk_size)]
    workers = default_workers() if workers is None else workers
    # no bar when stderr is a log file (carriage-return frames); callers print a one-line summary instead
    bar = tqdm(total=len(items), desc=f"featurize ({graph_kind})", unit="struct",
               disable=not progress or not items or not sys.stderr.isatty())
    if workers > 1 and len(chunks) > 1:
        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        with ctx.Pool(min(workers, len(chunks)), initializer=_worker_init) as pool:
            # workers send each chunk back as torch.save bytes: pickling many tensors through a pool shares them
            # by file descriptors, which fails on large hypergraph chunks ("received 0 items of ancdata")
            results = pool.imap_unordered(_build_chunk_bytes, chunks)
            for payload in results:
                chunk = _decode_chunk(safe_torch_load(io.BytesIO(payload), "featurizer worker"), "featurizer worker")
                _collect(chunk, done, folder, bar)
    else:
        for chunk in chunks:
            _collect(_build_chunk(chunk), done, folder, bar)
    bar.close()
    graphs: list[Any | None] = []
    skipped: list[tuple[str, str]] = []
    for k, src in zip(keys, sources):
        g = done[k]
        if isinstance(g, str):
            graphs.append(None)
            skipped.append((src, g))
        else:
            graphs.append(g.clone())
    return graphs, skipped


def _collect(result: dict[str, Any], done: dict[str, Any], folder: Path | None, bar) -> None:
    if folder is not None:
        _write_chunk(folder, result)
    done.update(result)
    bar.update(len(result))
