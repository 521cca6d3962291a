"""Every shipped model still loads (old key names mapped once, by the run-config loader) and predicts the numbers
it predicted before the common option names: tests/reliability/data/pretrained_predictions.json, made by
`scripts/pretrained_reference.py` (rerun it when a shipped model is retrained)."""

import importlib.util
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml

from pgnn.models.registry import get_model_class
from pgnn.training.config import load_run_config
from pgnn.training.runs import PRETRAINED_DIR, pretrained_names

ROOT = Path(__file__).resolve().parents[2]
# Hamiltonian models predict sisl Hamiltonians from the engine's overlap (tests/hamiltonians/test_model_predict.py)
TARGET_MODELS = [n for n in pretrained_names() if "hamiltonian" not in n]
REFERENCE = json.loads((Path(__file__).parent / "data" / "pretrained_predictions.json").read_text())


def _script():
    spec = importlib.util.spec_from_file_location("pretrained_reference", ROOT / "scripts" / "pretrained_reference.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def structures():
    mod = _script()
    out = mod.reference_structures()
    assert [rid for rid, _ in out] == REFERENCE["structures"]
    return mod, out


def test_reference_covers_every_shipped_model():
    assert sorted(REFERENCE["models"]) == TARGET_MODELS


@pytest.mark.slow  # ~1-4 s per model
@pytest.mark.parametrize("name", TARGET_MODELS)
def test_shipped_model_predicts_the_reference_numbers(name, structures):
    mod, items = structures
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # a retrained model exported with the old key names
        got = mod.predictions(name, items)
    ref = REFERENCE["models"][name]
    assert set(got) == set(ref)
    for rid, r in ref.items():
        assert (got[rid] is None) == (r is None), f"{name} on {rid}: accepted before, not now (or the reverse)"
        if r is None:
            continue
        assert set(got[rid]) == set(r)
        for target, value in r.items():
            value = np.asarray(value)
            # tensors that vanish by symmetry (e.g. piezoelectric of a centrosymmetric crystal) are ~1e-8 noise:
            # compare them on the scale of the model's largest output for that target, and never below 1e-6 in the
            # target's unit (all three structures can be centrosymmetric for the piezoelectric models)
            scale = max(1.0, max(abs(np.asarray(v[target])).max() for v in ref.values() if v is not None))
            np.testing.assert_allclose(got[rid][target], value, rtol=1e-6, atol=1e-6 * scale,
                                       err_msg=f"{name} {target} on {rid}")


@pytest.mark.parametrize("name", pretrained_names())
def test_shipped_config_resolves_in_full_with_current_names(name):
    raw = yaml.safe_load((PRETRAINED_DIR / name / "config.yaml").read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        cfg = load_run_config(PRETRAINED_DIR / name / "config.yaml")
    cls = get_model_class(cfg["model"]["name"])
    assert set(cfg["model"]) == {"name"} | set(cls.options)
    for old, new in (getattr(cls, "renamed", None) or {}).items():
        if old in raw["model"]:
            assert cfg["model"][new] == raw["model"][old]
    for k, v in raw["model"].items():  # every value the shipped file states is kept
        assert cfg["model"][(getattr(cls, "renamed", None) or {}).get(k, k)] == v
