"""Figures of a run: parity plot per target and the learning curve (PNG, matplotlib Agg)."""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pgnn.atomic import atomic_open


def _save(fig, path) -> None:
    """Save a PNG to a path (through a unique temp file + os.replace) or to an open binary file; close the figure."""
    if hasattr(path, "write"):
        fig.savefig(path, format="png")
    else:
        with atomic_open(path, "wb") as fh:
            fig.savefig(fh, format="png")
    plt.close(fig)


def parity_plot(true: np.ndarray, pred: np.ndarray, name: str, unit: str, mae: float, path: str | Path,
                split: str = "test") -> None:
    """Predicted vs true (all components flattened) with the y = x line and the MAE in the title.

    true, pred: [n_structures] for scalars, [n_structures, 3, ..., 3] for tensors; the title counts structures."""
    n_structures = int(np.asarray(true).shape[0]) if np.asarray(true).ndim else 1
    t, p = np.asarray(true).ravel(), np.asarray(pred).ravel()
    fig, ax = plt.subplots(figsize=(4.2, 4.2), dpi=120)
    ax.scatter(t, p, s=8, alpha=0.6, edgecolors="none")
    lo, hi = float(min(t.min(), p.min())), float(max(t.max(), p.max()))
    pad = 0.03 * (hi - lo or 1.0)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], "k--", lw=0.8)
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel(f"true {name} ({unit})")
    ax.set_ylabel(f"predicted {name} ({unit})")
    per = "" if t.size == n_structures else f" x {t.size // n_structures} components"
    ax.set_title(f"{split}: MAE {mae:.4g} {unit}\n{n_structures} structures{per}", fontsize=9)
    ax.set_aspect("equal")
    fig.tight_layout()
    _save(fig, path)


def learning_curve(metrics_csv: str | Path, path: str | Path) -> None:
    """train_loss and val_loss per epoch (left), val MAE per target (right), from Lightning's metrics.csv."""
    rows = list(csv.DictReader(open(metrics_csv)))
    series: dict[str, dict[int, float]] = {}
    for r in rows:
        if not r.get("epoch"):
            continue
        ep = int(float(r["epoch"]))
        for k, v in r.items():
            if k not in ("epoch", "step") and v not in ("", None):
                series.setdefault(k, {})[ep] = float(v)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8.4, 3.6), dpi=120)
    for k in ("train_loss", "val_loss"):
        if k in series:
            ep = sorted(series[k])
            a1.plot(ep, [series[k][e] for e in ep], label=k)
    a1.set_yscale("log")
    a1.set_xlabel("epoch")
    a1.set_ylabel("loss (normalized targets)")
    a1.legend()
    for k in sorted(series):
        if k.startswith("val_mae_"):
            ep = sorted(series[k])
            a2.plot(ep, [series[k][e] for e in ep], label=k[len("val_mae_"):])
    a2.set_xlabel("epoch")
    a2.set_ylabel("validation MAE (target units)")
    for a in (a1, a2):
        a.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    a2.legend()
    fig.tight_layout()
    _save(fig, path)
