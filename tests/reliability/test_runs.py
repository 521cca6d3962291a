"""Issue items 4, 5 and the `fit --resume` bullet of 7: a failed fit never deletes a finished run, --overwrite
swaps the new run in at the end, --out problems are reported before any computation."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import torch
import yaml

from pgnn.errors import ConfigError, PgnnError

from .conftest import invoke, tiny_config


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """(config file, a finished tiny run folder), trained once for the module."""
    base = tmp_path_factory.mktemp("runs")
    cfg = base / "tiny.yaml"
    cfg.write_text(yaml.safe_dump(tiny_config(base / "cache")))
    run = base / "done"
    code, out, exc = invoke("fit", "--config", cfg, "--out", run)
    assert exc is None and code == 0, out
    return cfg, run


@pytest.fixture
def copied_run(finished_run, tmp_path):
    cfg, run = finished_run
    dst = tmp_path / "R"
    shutil.copytree(run, dst)
    return cfg, dst


def test_bad_dataset_keeps_the_finished_run(copied_run):
    cfg, run = copied_run
    before = _digest(run)
    for extra in ([], ["--overwrite"]):
        code, out, exc = invoke("fit", "--config", cfg, "--out", run, "--set", "data.dataset=/typo", *extra)
        assert isinstance(exc, PgnnError) and "/typo" in str(exc)
        assert _digest(run) == before
    assert sorted(p.name for p in run.parent.iterdir()) == ["R"]


def test_finished_run_needs_overwrite(copied_run):
    cfg, run = copied_run
    before = _digest(run)
    code, out, exc = invoke("fit", "--config", cfg, "--out", run)
    assert isinstance(exc, ConfigError) and "--overwrite" in str(exc) and "holds a run" in str(exc)
    assert _digest(run) == before


def test_run_killed_midway_leaves_old_run(copied_run, monkeypatch):
    import pgnn.training.fit as fit_mod

    cfg, run = copied_run
    before = _digest(run)

    def killed(*a, **k):
        raise KeyboardInterrupt  # what Ctrl-C or a scheduler's kill does after training

    monkeypatch.setattr(fit_mod, "_finish", killed)
    config = yaml.safe_load(cfg.read_text())
    from pgnn.training.config import load_config

    with pytest.raises(KeyboardInterrupt):
        fit_mod.fit(load_config(cfg), out=run, name="tiny", overwrite=True)
    assert _digest(run) == before
    assert sorted(p.name for p in run.parent.iterdir()) == ["R"]  # the partial new run is removed
    assert config


def test_overwrite_swaps_in_and_resume_still_works(copied_run):
    cfg, run = copied_run
    old = json.loads((run / "metrics.json").read_text())
    code, out, exc = invoke("fit", "--config", cfg, "--out", run, "--overwrite", "--set", "seed=5",
                            "trainer.max_epochs=3")
    assert exc is None and code == 0, out
    new = json.loads((run / "metrics.json").read_text())
    assert new["epochs"] == 3 and old["epochs"] == 2
    assert yaml.safe_load((run / "config.yaml").read_text())["seed"] == 5
    assert sorted(p.name for p in run.parent.iterdir()) == ["R"]
    state = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    dirs = {v["dirpath"] for k, v in state["callbacks"].items() if k.startswith("ModelCheckpoint")}
    assert dirs == {str((run / "checkpoints").resolve())}  # relocated from the temporary folder
    code, out, exc = invoke("fit", "--resume", run, "--set", "trainer.max_epochs=4")
    assert exc is None and code == 0, out
    assert torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["epoch"] == 3


def test_resume_without_checkpoint(copied_run):
    _, run = copied_run
    shutil.rmtree(run / "checkpoints")
    code, out, exc = invoke("fit", "--resume", run)
    assert isinstance(exc, ConfigError) and "no checkpoints/last.ckpt to resume from" in str(exc)


def test_new_out_folder_is_created_and_removed_on_early_failure(finished_run, tmp_path):
    cfg, _ = finished_run
    out = tmp_path / "deep" / "new"
    code, _, exc = invoke("fit", "--config", cfg, "--out", out, "--set", "data.limit=2")
    assert isinstance(exc, PgnnError) and "too few usable entries" in str(exc)
    assert not out.exists()  # nothing trained: no half-made run left to block the next try


@pytest.mark.parametrize("where", ["missing-folder", "a-directory"])
def test_predict_out_checked_before_compute(tmp_path, nacl_cif, where, monkeypatch):
    import pgnn.training.predictor as predictor_mod

    target = tmp_path / "nope" / "o.json" if where == "missing-folder" else tmp_path
    called = []
    monkeypatch.setattr(predictor_mod, "load_predictor", lambda *a: called.append(a))
    before = sorted(tmp_path.rglob("*"))
    code, out, exc = invoke("predict", "cgcnn-log-kvrh", nacl_cif, "--out", target)
    assert isinstance(exc, PgnnError)
    assert ("does not exist" if where == "missing-folder" else "is a folder") in str(exc)
    assert called == [] and sorted(tmp_path.rglob("*")) == before  # no model loaded, no stray .tmp
