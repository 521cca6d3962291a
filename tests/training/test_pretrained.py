"""The shipped pretrained models: listed by `pgnn models`, loadable by name, small, predicting sensibly."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import pgnn
from pgnn.cli import app
from pgnn.training.runs import PRETRAINED_DIR, pretrained_names

SHIPPED = [
    "cgcnn-band-gap", "cgcnn-log-gvrh", "cgcnn-log-kvrh",
    "chgcnn-band-gap", "chgcnn-log-gvrh", "chgcnn-log-kvrh",
    "o3-dielectric", "o3-elastic", "o3-piezoelectric",
    "pg-dielectric", "pg-elastic", "pg-elastic-fast", "pg-oh-dielectric", "pg-oh-elastic", "pg-oh-log-kvrh", "pg-piezoelectric",
]
# Hamiltonian models (their predict needs the engine's overlap; covered by tests/hamiltonians/test_model_predict.py)
HAMILTONIAN = ["o3-hamiltonian-gfn1", "pg-hamiltonian-gfn1"]


def _command_text(folder) -> str:
    for name in ("command.txt", "COMMAND.md"):
        if (folder / name).is_file():
            return (folder / name).read_text()
    return ""


def test_models_lists_shipped_models_with_test_mae():
    assert pretrained_names() == sorted(SHIPPED + HAMILTONIAN)
    res = CliRunner().invoke(app, ["models", "--json"])
    rows = {r["name"]: r for r in json.loads(res.stdout)}
    assert set(rows) == set(SHIPPED + HAMILTONIAN)
    for r in rows.values():
        assert r["test_metrics"]  # pg-oh-log-kvrh predicts log10 K_VRH and log10 G_VRH
        for metric in r["test_metrics"].values():
            assert np.isfinite(metric["mae"]) and metric["unit"]
        # which data it saw: dataset, subset and split in words
        assert r["dataset"] and r["split"].startswith(("by id", "by point_group", "by composition", "fold "))
    assert rows["pg-oh-dielectric"]["point_groups"] == ["m-3m"] and rows["pg-oh-dielectric"]["train_n"] == 121
    text = CliRunner().invoke(app, ["models"]).stdout
    assert "trained on 121 crystals of mp_dielectric_2017 [m-3m], split by id" in text
    for name in SHIPPED + HAMILTONIAN:
        folder = PRETRAINED_DIR / name
        assert (folder / "weights.pt.xz").stat().st_size < 5 * 2**20
        assert "pgnn fit" in _command_text(folder), f"{name}: the exact command that produced it is missing"


@pytest.mark.parametrize("name, lo, hi", [("cgcnn-log-kvrh", 0.5, 3.0), ("cgcnn-log-gvrh", 0.0, 3.0),
                                          ("cgcnn-band-gap", -1.0, 10.0)])
def test_load_by_name_and_predict(name, lo, hi, bundled_records):
    structures = [e.structure for e in bundled_records("mp_binary_moduli_2025", 3)]
    pred = pgnn.load(name).predict(structures)
    assert len(pred) == 3
    (target,) = pred[0]
    values = np.array([p[target] for p in pred])
    assert values.shape == (3,) and np.all((values > lo) & (values < hi))


SHAPES = {"elastic_tensor": (3, 3, 3, 3), "dielectric_tensor": (3, 3), "piezoelectric_tensor": (3, 3, 3)}


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_model_predicts_a_cubic_crystal(name, bundled_records):
    """Each shipped model loads by name and gives finite predictions of its target's shape (every model family,
    the Oh-only point-group models included, accepts a cubic crystal)."""
    cubic = next(e for e in bundled_records("mp_elastic_2015", 60) if e.fields.get("point_group") == "m-3m")
    (pred,) = pgnn.load(name).predict([cubic.structure])
    for target, value in pred.items():
        value = np.asarray(value)
        assert value.shape == SHAPES.get(target, value.shape) and np.all(np.isfinite(value)), target
