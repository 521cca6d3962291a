"""A run folder's config.yaml is the full resolved config (every default of every section and of the model
family), and a run folder written with the old model key names still loads and predicts the same numbers."""

import warnings

import numpy as np
import pytest
import yaml

import pgnn
from pgnn.models.registry import get_model_class
from pgnn.training.config import SCHEMA, resolve_config


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from pgnn.training.fit import fit

    tmp = tmp_path_factory.mktemp("cfgrun")
    raw = {  # sparse on purpose: everything else comes from the defaults
        "data": {"dataset": "mp_binary_moduli_2025", "targets": ["log10_K_VRH"], "limit": 16, "batch_size": 8,
                 "split": {"fractions": [0.6, 0.2, 0.2]}, "cache_dir": str(tmp / "cache"), "workers": 1},
        "model": {"name": "cgcnn", "hidden": 8, "num_layers": 1, "head_hidden": 8, "num_basis": 10},
        "trainer": {"max_epochs": 1, "enable_progress_bar": False, "enable_model_summary": False},
    }
    folder = fit(resolve_config(raw), out=tmp / "run")  # as `pgnn fit` does (load_config)
    return raw, folder


def test_config_yaml_holds_every_resolved_value(run):
    raw, folder = run
    written = yaml.safe_load((folder / "config.yaml").read_text())
    assert written == resolve_config(raw)
    for section in ("data", "optim", "training", "trainer"):
        assert set(SCHEMA[section]) <= set(written[section]), section
    assert set(written["model"]) == {"name"} | set(get_model_class("cgcnn").options)
    assert written["model"]["cutoff"] == 8.0 and written["model"]["max_neighbors"] == 12
    assert written["trainer"]["enable_model_summary"] is False  # a pass-through Trainer argument is kept


def test_run_folder_with_old_key_names_loads_and_predicts_the_same(run, tmp_path, bundled_records):
    _, folder = run
    structures = [e.structure for e in bundled_records("mp_binary_moduli_2025", 3)]
    new = np.array([p["log10_K_VRH"] for p in pgnn.load(folder).predict(structures)])

    import shutil

    old_folder = tmp_path / "old"
    shutil.copytree(folder, old_folder)
    cfg = yaml.safe_load((old_folder / "config.yaml").read_text())
    renamed = get_model_class("cgcnn").renamed
    inverse = {v: k for k, v in renamed.items()}
    cfg["model"] = {inverse.get(k, k): v for k, v in cfg["model"].items()}
    assert "num_conv" in cfg["model"] and "num_layers" not in cfg["model"]
    (old_folder / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))

    with pytest.warns(FutureWarning, match="num_conv -> num_layers"):
        predictor = pgnn.load(old_folder)
    assert predictor.config["model"]["num_layers"] == 1 and "num_conv" not in predictor.config["model"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # mapped once, at loading
        old = np.array([p["log10_K_VRH"] for p in predictor.predict(structures)])
    np.testing.assert_allclose(old, new, rtol=1e-6)


def test_old_and_new_name_both_set_and_different_is_an_error(tmp_path):
    from pgnn.errors import ConfigError
    from pgnn.training.config import load_run_config

    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"data": {"dataset": "mp_binary_moduli_2025", "targets": ["band_gap"]},
                                    "model": {"name": "cgcnn", "num_conv": 2, "num_layers": 3}}))
    with pytest.raises(ConfigError, match="num_conv .*num_layers.* both set and differ"):
        load_run_config(path)
