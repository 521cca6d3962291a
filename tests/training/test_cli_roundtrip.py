"""pgnn fit -> evaluate -> predict -> resume, and pgnn.load(...).predict(...), on a tiny config."""

import gzip
import json

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import pgnn
from pgnn.cli import app
from pgnn.data.registry import bundled_path
from pgnn.structures.records import entry_from_record


@pytest.fixture(scope="module")
def records():
    return json.load(gzip.open(bundled_path("mp_binary_moduli_2025"), "rt"))[:24]


def _invoke(args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_fit_evaluate_predict(tmp_path, tiny_config_file, records):
    run = tmp_path / "run"
    res = _invoke(["fit", "--config", tiny_config_file, "--out", run, "--set", "optim.lr=0.005", "seed=1"])
    assert res.exit_code == 0, res.output
    for name in ("config.yaml", "checkpoints/best.ckpt", "checkpoints/last.ckpt", "metrics.json", "metrics.csv",
                 "parity_log10_K_VRH.png", "learning_curve.png"):
        assert (run / name).is_file(), name
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["optim"]["lr"] == 0.005 and config["seed"] == 1 and config["model"]["cutoff"] == 8.0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["metrics"]["log10_K_VRH"]["unit"] == "log10(GPa)" and metrics["n"] > 0

    # evaluate a records file whose bad entries are counted, with targets derived as in training
    recs = [dict(r) for r in records[:8]]
    recs[0]["K_VRH_GPa"] = -1.0
    recs[1]["structure"] = "not a structure"
    data = tmp_path / "eval.json"
    data.write_text(json.dumps(recs))
    res = _invoke(["evaluate", run, "--data", data, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert set(out) == {"n", "skipped", "metrics"}
    assert out["n"] == 6 and out["skipped"] == 2
    assert set(out["metrics"]["log10_K_VRH"]) == {"mae", "unit"}
    pred = pgnn.load(run).predict([entry_from_record(r, "t").structure for r in recs[2:]])
    true = np.log10([r["K_VRH_GPa"] for r in recs[2:]])
    mae = np.mean(np.abs(np.array([p["log10_K_VRH"] for p in pred]) - true))
    assert out["metrics"]["log10_K_VRH"]["mae"] == pytest.approx(mae, rel=1e-5)


    # predict: one object per structure, CIF and records files mixed
    cif = tmp_path / "x.cif"
    entry_from_record(records[3], "t").structure.to(filename=str(cif))
    res = _invoke(["predict", run, cif, data, "--json"])
    rows = json.loads(res.stdout.strip().splitlines()[-1])
    assert res.exit_code == 2  # the bad structure of eval.json is reported
    assert "not a structure" in res.stderr or "structure" in res.stderr
    assert len(rows) == 1 + 7 and rows[0]["file"] == str(cif)
    assert rows[0]["units"] == {"log10_K_VRH": "log10(GPa)"}
    assert rows[0]["log10_K_VRH"] == pytest.approx(rows[3]["log10_K_VRH"], abs=1e-5)  # same structure as recs[3]

    # resume continues from last.ckpt up to the new max_epochs
    res = _invoke(["fit", "--resume", run, "--set", "trainer.max_epochs=4"])
    assert res.exit_code == 0, res.output
    assert json.loads((run / "metrics.json").read_text())["epochs"] == 4


def test_bad_input_is_one_line(tmp_path):
    import os
    import subprocess
    import sys

    from pathlib import Path

    env = {**os.environ, "PYTHONPATH": str(Path(pgnn.__file__).resolve().parents[1])}
    proc = subprocess.run([sys.executable, "-m", "pgnn", "evaluate", str(tmp_path / "nowhere"), "--data", "x"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "nowhere" in proc.stderr and "not a run folder" in proc.stderr
