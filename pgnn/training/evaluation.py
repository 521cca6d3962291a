"""Predictions of a trained module on graphs, and the MAE of each target in its unit."""

from __future__ import annotations

import numpy as np
import torch
from torch_geometric.loader import DataLoader

from pgnn.data.dataset import GraphSet
from pgnn.training.losses import mean_abs_error


@torch.no_grad()
def predict_graphs(module, graphs: list, batch_size: int = 128) -> dict[str, np.ndarray]:
    """{target: [n, ...] float64} in data units, in the order of `graphs` (module in eval mode; graphs are cast
    to the module's float dtype, so a `module.double()` predicts in float64)."""
    module.eval()
    dtype = next(module.parameters()).dtype
    names = [t.name for t in module.targets]
    out: dict[str, list] = {n: [] for n in names}
    for batch in DataLoader(graphs, batch_size=batch_size, shuffle=False):
        if dtype != torch.float32:
            batch = batch.apply(lambda t: t.to(dtype) if t.is_floating_point() else t)
        pred = module.predict(batch)
        for n in names:
            out[n].append(pred[n].double().cpu())
    return {n: (torch.cat(v).numpy() if v else np.zeros((0,))) for n, v in out.items()}


def true_values(module, graphs: list) -> dict[str, np.ndarray]:
    """{target: [n, ...] float64} the targets attached to `graphs`."""
    if not graphs:
        return {t.name: np.zeros((0,)) for t in module.targets}
    return {t.name: torch.cat([getattr(g, f"y_{t.name}") for g in graphs]).double().numpy() for t in module.targets}


def score(module, graphs: GraphSet, batch_size: int = 128) -> tuple[dict, dict, dict]:
    """(result, predictions, truths); result = {"n", "skipped", "metrics": {target: {"mae", "unit"}}}
    (mae is None when no entry is usable, so that the result stays valid JSON)."""
    pred = predict_graphs(module, graphs.graphs, batch_size)
    true = true_values(module, graphs.graphs)
    metrics = {}
    for t in module.targets:
        mae = float(mean_abs_error(torch.from_numpy(pred[t.name]), torch.from_numpy(true[t.name]), t.kind)) \
            if len(graphs.graphs) else None
        metrics[t.name] = {"mae": mae, "unit": t.unit}
        if t.kind != "scalar" and len(graphs.graphs):  # tensors: per-component and derived-scalar MAE too
            from pgnn.training.tensor_metrics import tensor_errors

            errors = tensor_errors(pred[t.name], true[t.name], t.kind)
            metrics[t.name].update({k: v for k, v in errors.items() if k != "mae"})
    result = {"n": len(graphs.graphs), "skipped": len(graphs.skipped), "metrics": metrics}
    return result, pred, true
