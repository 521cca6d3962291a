"""The shipped pretrained models: listed by `pgnn models`, loadable by name, small, predicting sensibly."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import pgnn
from pgnn.cli import app
from pgnn.training.runs import PRETRAINED_DIR, pretrained_names

SHIPPED = ["cgcnn-band-gap", "cgcnn-log-gvrh", "cgcnn-log-kvrh"]


def test_models_lists_shipped_models_with_test_mae():
    assert pretrained_names() == SHIPPED
    res = CliRunner().invoke(app, ["models", "--json"])
    rows = {r["name"]: r for r in json.loads(res.stdout)}
    assert set(rows) == set(SHIPPED)
    for r in rows.values():
        (metric,) = r["test_metrics"].values()
        assert np.isfinite(metric["mae"]) and metric["unit"]
    for name in SHIPPED:
        folder = PRETRAINED_DIR / name
        assert (folder / "weights.pt.xz").stat().st_size < 3e6
        assert "pgnn fit --config configs/" in (folder / "command.txt").read_text()


@pytest.mark.parametrize("name, lo, hi", [("cgcnn-log-kvrh", 0.5, 3.0), ("cgcnn-log-gvrh", 0.0, 3.0),
                                          ("cgcnn-band-gap", -1.0, 10.0)])
def test_load_by_name_and_predict(name, lo, hi, bundled_records):
    structures = [e.structure for e in bundled_records("mp_binary_moduli_2025", 3)]
    pred = pgnn.load(name).predict(structures)
    assert len(pred) == 3
    (target,) = pred[0]
    values = np.array([p[target] for p in pred])
    assert values.shape == (3,) and np.all((values > lo) & (values < hi))
