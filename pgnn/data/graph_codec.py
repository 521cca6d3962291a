"""Graphs <-> plain dicts of tensors, so that graph caches load with `torch.load(weights_only=True)`.

A torch_geometric `Data` becomes {"__graph__": "Data", "store": {attr: value}}; a `HeteroData` becomes
{"__graph__": "HeteroData", "global": {...}, "nodes": {type: {...}}, "edges": [[src, rel, dst, {...}], ...]}.
Values are tensors, numbers, strings, or lists/tuples/dicts of those; nothing else is stored or accepted."""

from __future__ import annotations

from typing import Any

import torch

from pgnn.errors import PgnnError

_PLAIN = (torch.Tensor, int, float, bool, str, type(None))


def _plain(value: Any, where: str):
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v, where) for v in value)
    if isinstance(value, dict):
        return {str(k): _plain(v, where) for k, v in value.items()}
    raise PgnnError(f"{where}: graph attribute of type {type(value).__name__} cannot be cached as plain data")


def encode_graph(graph) -> dict | str:
    """A Data/HeteroData graph (or a reason string of an unusable structure) as plain data."""
    from torch_geometric.data import Data, HeteroData

    if isinstance(graph, str):
        return graph
    if isinstance(graph, HeteroData):
        return {
            "__graph__": "HeteroData",
            "global": {k: _plain(v, k) for k, v in graph._global_store.items()},
            "nodes": {t: {k: _plain(v, t) for k, v in graph[t].items()} for t in graph.node_types},
            "edges": [[*et, {k: _plain(v, str(et)) for k, v in graph[et].items()}] for et in graph.edge_types],
        }
    if isinstance(graph, Data):
        return {"__graph__": "Data", "store": {k: _plain(v, k) for k, v in graph.items()}}
    raise PgnnError(f"cannot cache a graph of type {type(graph).__name__}")


def decode_graph(obj: Any, name: str):
    """Inverse of `encode_graph`; PgnnError naming `name` (the cache file) for anything malformed."""
    from torch_geometric.data import Data, HeteroData

    if isinstance(obj, str):
        return obj
    if not isinstance(obj, dict) or obj.get("__graph__") not in ("Data", "HeteroData"):
        raise PgnnError(f"{name}: not a pgnn graph cache entry")
    try:
        if obj["__graph__"] == "Data":
            return Data(**obj["store"])
        graph = HeteroData(**obj["global"])
        for t, store in obj["nodes"].items():
            for k, v in store.items():
                graph[t][k] = v
        for src, rel, dst, store in obj["edges"]:
            for k, v in store.items():
                graph[src, rel, dst][k] = v
        return graph
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PgnnError(f"{name}: malformed graph cache entry ({type(exc).__name__}: {exc})") from None
