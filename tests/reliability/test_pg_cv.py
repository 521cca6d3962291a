"""The cross-validation machinery of benchmarks/pg_results.py --cv: folds shared by every model, statistics,
resumable per-run result files, piezoelectric scores (no training here: results are written by hand)."""

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import pg_cv  # noqa: E402


def test_mean_se_and_paired_match_numpy():
    xs = [1.0, 2.0, 4.0, 7.0]
    m, se = pg_cv.mean_se(xs)
    assert m == pytest.approx(np.mean(xs)) and se == pytest.approx(np.std(xs, ddof=1) / 2)
    assert math.isnan(pg_cv.mean_se([3.0])[1])
    p = pg_cv.paired({0: 1.0, 1: 2.0, 2: 3.0, 3: 9.0}, {0: 2.0, 1: 1.5, 2: 4.0})  # fold 3 only in one
    assert p["n"] == 3 and p["wins"] == 2 and p["mean"] == pytest.approx(np.mean([1.0, -0.5, 1.0]))


def test_every_model_gets_the_same_folds():
    plan = pg_cv.CVPlan(folds=5, run_folds=(0, 1), tasks=("dielectric", "piezoelectric"),
                        families=("O3", "CGCNN"), fractions=(0.5, 1.0), curve_families=("PGNet averaged", "O3"),
                        ideas=("log-norm loss",), idea_families=("O3",), ensemble=2, ensemble_families=("O3",))
    jobs = pg_cv.cv_jobs(plan)
    assert len({str(j["result"]) for j in jobs}) == len(jobs)
    for j in jobs:
        sets = j["cmd"][j["cmd"].index("--set") + 1:]
        assert "data.folds=5" in sets and f"data.fold={j['fold']}" in sets and j["fold"] in (0, 1)
        assert "training.early_stopping_patience=20" in sets and "trainer.max_epochs=200" in sets
    variants = {(j["task"], j["variant"], j["fraction"], j["seed"]) for j in jobs}
    assert ("dielectric", "PGNet averaged", 0.5, 0) in variants and ("dielectric", "PGNet averaged", 1.0, 0) in variants
    assert ("piezoelectric", "O3 | log-norm loss", 1.0, 0) in variants and ("piezoelectric", "O3", 1.0, 1) in variants
    idea = next(j for j in jobs if j["variant"] == "O3 | log-norm loss")
    assert "training.norm_loss_weight=1.0" in idea["cmd"]
    assert not any(j["task"] == "piezoelectric" and j["fraction"] < 1 for j in jobs)  # curves: m-3m tasks only


def test_a_finished_run_is_not_rerun(tmp_path, monkeypatch):
    for mod in (pg_cv, pg_cv.pr):
        monkeypatch.setattr(mod, "RUNS", tmp_path / "runs")
        monkeypatch.setattr(mod, "REPO", tmp_path)
    monkeypatch.setattr(pg_cv, "STORE", tmp_path / "store")
    plan = pg_cv.CVPlan(folds=3, run_folds=(0,), tasks=("dielectric",), families=("O3",), fractions=(1.0,))
    j = pg_cv.cv_jobs(plan)[0]
    assert str(j["result"]).startswith(str(tmp_path / "store"))  # results beside the repository's tables
    j["result"].parent.mkdir(parents=True)
    j["result"].write_text("{}")

    def boom(*a, **k):
        raise AssertionError("a finished run was started again")

    monkeypatch.setattr(pg_cv.subprocess, "run", boom)
    assert pg_cv.run_cv_job(j, timeout=10).startswith("done before")


def test_tensor_scores_zeros_baseline_and_relative_share():
    rng = np.random.default_rng(0)
    true = rng.normal(size=(4, 3, 3, 3))
    true = (true + true.transpose(0, 1, 3, 2)) / 2
    true[3] = 0.0  # a centrosymmetric crystal
    pred = true * 1.1  # 10 % relative error: within 25 %
    pred[1] = true[1] * 2.0  # 100 %: not within
    s = pg_cv.tensor_scores(pred, true, "piezoelectric")
    assert s["n_nonzero"] == 3 and s["within25"] == pytest.approx(2 / 3) and s["zero_ok"] == 1
    zeros = pg_cv.tensor_scores(np.zeros_like(true), true, "piezoelectric")
    assert zeros["mae"] == pytest.approx(s["zeros_mae"]) and zeros["within25"] == 0.0


def test_tables_from_result_files(tmp_path, monkeypatch):
    monkeypatch.setattr(pg_cv, "STORE", tmp_path)
    maes = {"PGNet averaged": [1.0, 2.0, 3.0], "O3": [1.5, 2.5, 2.0]}
    for variant, vals in maes.items():
        for fold, mae in enumerate(vals):
            path = pg_cv.result_dir(3, "dielectric", variant) / f"{pg_cv.run_name(fold)}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({
                "task": "dielectric", "variant": variant, "fold": fold, "seed": 0, "fraction": 1.0,
                "targets": {"dielectric_tensor": {"mae": mae, "unit": "1", "n": 10}}, "best_epoch": 5,
                "epochs_run": 20, "max_epochs": 100, "epoch_seconds_median": 1.0, "train_n": 80,
                "command": "python -m pgnn fit ..."}))
    text, js = pg_cv.tables(3)
    m, se = pg_cv.mean_se(maes["PGNet averaged"])
    assert f"{m:.4g} ± {se:.2g}" in text
    pair = js["paired"][0]
    assert pair["pgnet"] == "PGNet averaged" and pair["other"] == "O3" and pair["wins"] == 2 and pair["n"] == 3
    assert pair["mean"] == pytest.approx(np.mean([0.5, 0.5, -1.0]))
