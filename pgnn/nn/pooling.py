"""Graph read-out: per-graph sum / mean / max of node features, with torch scatter ops only."""

from __future__ import annotations

import torch


def graph_sum(x: torch.Tensor, batch: torch.Tensor, num_graphs: int) -> torch.Tensor:
    """x [N, F], batch [N] graph index -> [num_graphs, F]."""
    return x.new_zeros((num_graphs,) + x.shape[1:]).index_add_(0, batch, x)


def graph_mean(x: torch.Tensor, batch: torch.Tensor | None, num_graphs: int) -> torch.Tensor:
    """x [N, F], batch [N] (None: one graph) -> [num_graphs, F] average over each graph's nodes."""
    if batch is None:
        return x.mean(0, keepdim=True)
    counts = torch.bincount(batch, minlength=num_graphs).clamp_min(1).to(x.dtype)
    return graph_sum(x, batch, num_graphs) / counts.view(-1, *([1] * (x.dim() - 1)))


def graph_max(x: torch.Tensor, batch: torch.Tensor, num_graphs: int) -> torch.Tensor:
    """x [N, F], batch [N] -> [num_graphs, F] elementwise maximum over each graph's nodes."""
    index = batch.view(-1, *([1] * (x.dim() - 1))).expand_as(x)
    out = x.new_full((num_graphs,) + x.shape[1:], float("-inf"))
    return out.scatter_reduce(0, index, x, reduce="amax", include_self=True)


POOLS = {"sum": graph_sum, "mean": graph_mean, "max": graph_max}


def pool(x: torch.Tensor, batch: torch.Tensor, num_graphs: int, how: str = "mean") -> torch.Tensor:
    """Read-out by name: "sum" | "mean" | "max"."""
    return POOLS[how](x, batch, num_graphs)
