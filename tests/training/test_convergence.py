"""Training to convergence: early stopping on val_score, the best checkpoint is the one scored, and metrics.json
says which epoch that was; k-fold runs test on their fold."""

import csv
import json

import numpy as np

from pgnn.data.splits import fold_of
from pgnn.safe_load import safe_torch_load
from pgnn.training.config import resolve_config
from pgnn.training.fit import fit

from .conftest import tiny_config


def test_early_stopping_scores_the_best_epoch_of_the_fold(tmp_path):
    raw = tiny_config(tmp_path / "cache", max_epochs=40)
    raw["data"].update({"folds": 3, "fold": 1, "limit": 30})
    raw["optim"] = {"lr": 0.05, "scheduler": "none"}
    raw["training"] = {"early_stopping_patience": 2}
    run = fit(resolve_config(raw), out=tmp_path / "run")
    metrics = json.loads((run / "metrics.json").read_text())
    scores = {}
    for r in csv.DictReader(open(run / "metrics.csv")):
        if r.get("val_score"):
            scores.setdefault(int(r["epoch"]), float(r["val_score"]))
    best = min(scores, key=lambda e: (scores[e], e))
    assert metrics["best_epoch"] == best + 1 and metrics["epochs_run"] == max(scores) + 1
    assert metrics["max_epochs"] == 40 and isinstance(metrics["epoch_seconds_median"], float)
    # the checkpoint that was scored is the one of the best epoch
    assert safe_torch_load(run / "checkpoints" / "best.ckpt", "best")["epoch"] == best
    if metrics["early_stopped"]:  # patience 2: stops two epochs after the last improvement
        assert metrics["epochs_run"] - metrics["best_epoch"] == 2 and metrics["epochs_run"] < 40
    else:
        assert metrics["epochs_run"] == 40
    # the test part is exactly fold 1 of 3 among the first 30 entries (all usable in this dataset)
    ids = [str(i) for i in np.load(run / "test_predictions.npz", allow_pickle=False)["ids"]]
    from pgnn.data.dataset import read_entries

    entries = read_entries("mp_binary_moduli_2025")[0][:30]
    assert sorted(ids) == sorted(e.id for e in entries if fold_of(e.id, 3) == 1) and ids
