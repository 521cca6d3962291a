"""Run-config validation: unknown keys in every section (nested too) rejected with the valid names and a
suggestion, types and ranges checked up front, `--set` values parsed as YAML, one-line CLI errors (exit 2)."""

import pytest
import yaml
from typer.testing import CliRunner

from pgnn.cli import app
from pgnn.errors import ConfigError, PgnnError
from pgnn.models.registry import MODELS, _discover, get_model_class
from pgnn.training.config import SCHEMA, apply_overrides, load_config, resolve_config

BASE = {"data": {"dataset": "mp_binary_moduli_2025", "targets": ["log10_K_VRH"]}, "model": {"name": "cgcnn"}}


def _with(**sets) -> dict:
    return apply_overrides(BASE, [f"{k}={v}" for k, v in sets.items()])


def test_config_error_is_a_pgnn_error_with_key_and_valid_names():
    with pytest.raises(ConfigError) as info:
        resolve_config(_with(**{"training.losss": "l1"}))
    assert isinstance(info.value, PgnnError)
    assert info.value.key == "training.losss" and "loss" in info.value.valid


@pytest.mark.parametrize("path, closest", [
    ("training.losss", "loss"), ("optim.lrr", "lr"), ("data.batchsize", "batch_size"),
    ("data.split.fractionz", "fractions"), ("trainer.max_epoch", "max_epochs"), ("model.cutof", "cutoff"),
    ("sed", "seed"),
])
def test_misspelt_key_in_every_section_is_rejected_with_a_suggestion(path, closest):
    with pytest.raises(ConfigError) as info:
        resolve_config(_with(**{path: "1"}))
    msg = str(info.value)
    assert msg.startswith(f"config: {path}: unknown key"), msg
    assert f"did you mean {closest!r}" in msg and "valid keys:" in msg and closest in info.value.valid


@pytest.mark.parametrize("name", sorted(set(MODELS) | {"cgcnn", "cgcnn-voigt", "chgcnn", "chgcnn-voigt", "o3", "pgnet"}))
def test_every_model_family_rejects_unknown_keys_and_lists_its_options(name):
    cls = get_model_class(name)
    with pytest.raises(ConfigError) as info:
        resolve_config(_with(**{"model.name": name, "model.num_layerz": 2}))
    assert "did you mean 'num_layers'" in str(info.value)
    assert set(info.value.valid) == set(cls.options)


def test_every_registered_family_declares_defaults_with_the_common_names():
    _discover()
    assert {"cgcnn", "cgcnn-voigt", "chgcnn", "chgcnn-voigt", "o3", "pgnet"} <= set(MODELS)
    for name, cls in MODELS.items():
        assert cls.defaults == {k: o.default for k, o in cls.options.items()}, name
        assert {"cutoff", "num_layers", "num_basis", "hidden"} <= set(cls.defaults), name
        for old in getattr(cls, "renamed", {}):
            assert old not in cls.options, f"{name}: old key {old} still declared"


def test_cutoff_defaults_are_the_values_the_shipped_models_used():
    from pgnn.models.common import EQUIVARIANT_CUTOFF, INVARIANT_CUTOFF

    assert INVARIANT_CUTOFF == 8.0 and EQUIVARIANT_CUTOFF == 4.5
    for name in ("cgcnn", "cgcnn-voigt", "chgcnn", "chgcnn-voigt"):
        assert get_model_class(name).defaults["cutoff"] == INVARIANT_CUTOFF
    for name in ("o3", "pgnet"):
        assert get_model_class(name).defaults["cutoff"] == EQUIVARIANT_CUTOFF


def test_old_key_names_in_a_new_config_say_what_they_were_renamed_to():
    with pytest.raises(ConfigError, match=r"model\.num_conv: unknown key .*renamed 'num_layers'"):
        resolve_config(_with(**{"model.num_conv": 2}))
    with pytest.raises(ConfigError, match=r"model\.n_layers: .*renamed 'num_layers'"):
        resolve_config(_with(**{"model.name": "pgnet", "model.n_layers": 2}))


@pytest.mark.parametrize("path, value, fragment", [
    ("trainer.max_epochs", "-3", "trainer.max_epochs: must be >= 1, got -3"),
    ("trainer.max_epochs", "2.5", "trainer.max_epochs: expected an integer, got float 2.5"),
    ("optim.lr", "fast", "optim.lr: expected a number, got str 'fast'"),
    ("optim.lr", "0", "optim.lr: must be > 0.0"),
    ("optim.scheduler", "cosin", "did you mean 'cosine'"),
    ("data", "5", "data: expected a mapping of options, got int 5"),
    ("data.batch_size", "0", "data.batch_size: must be >= 1"),
    ("data.batch_size", "true", "data.batch_size: expected an integer, got bool True"),
    ("data.train_fraction", "1.5", "data.train_fraction: must be <= 1.0"),
    ("data.split.fractions", "[0.8, 0.2]", "data.split.fractions: expected 3 non-negative numbers"),
    ("data.targets", "[band_gapp]", "unknown target 'band_gapp'"),
    ("data.point_groups", "[m-3q]", "unknown point group 'm-3q'"),
    ("training.loss", "l2", "training.loss: unknown loss 'l2'"),
    ("training.early_stopping_patience", "0", "must be >= 1"),
    ("trainer.devices", "0", "trainer.devices: must be >= 1"),
    ("trainer.enable_progress_bar", "maybe", "expected a boolean"),
    ("model.cutoff", "-1", "model.cutoff: must be > 0.0"),
    ("model.atom_embedding", "learnt", "did you mean 'learned'"),
    ("model", "cgcnn", "model: expected a mapping"),
    ("model.name", "cgcn", "model.name: unknown model 'cgcn'"),
    ("seed", "abc", "seed: expected an integer"),
])
def test_bad_types_and_ranges_are_named(path, value, fragment):
    with pytest.raises(ConfigError) as info:
        resolve_config(_with(**{path: value}))
    assert fragment in str(info.value), str(info.value)


def test_pgnet_and_o3_specific_checks():
    with pytest.raises(ConfigError, match="model.group: not a point group name"):
        resolve_config(_with(**{"model.name": "pgnet", "model.group": "Ohh"}))
    with pytest.raises(ConfigError, match="model.hidden: not an O\\(3\\) irreps layout"):
        resolve_config(_with(**{"model.name": "o3", "model.hidden": "32xfoo"}))
    with pytest.raises(ConfigError, match="model.hyperedges: unknown hyperedge types"):
        resolve_config(_with(**{"model.name": "chgcnn", "model.hyperedges": "[bond, angle]"}))


def test_set_values_are_parsed_as_yaml_and_ints_become_floats_where_a_number_is_expected():
    cfg = resolve_config(_with(**{"optim.lr": "1e-2", "model.cutoff": "6", "data.point_groups": "[m-3m]",
                                  "trainer.devices": "auto", "training.loss": "{scalar: l1}"}))
    assert cfg["optim"]["lr"] == 0.01 and cfg["model"]["cutoff"] == 6.0 and isinstance(cfg["model"]["cutoff"], float)
    assert cfg["data"]["point_groups"] == ["m-3m"] and cfg["trainer"]["devices"] == "auto"
    assert cfg["training"]["loss"] == {"scalar": "l1"}


def test_other_lightning_trainer_arguments_pass_through_but_pgnn_owned_ones_do_not():
    cfg = resolve_config(_with(**{"trainer.gradient_clip_val": "1.0", "trainer.enable_model_summary": "false"}))
    assert cfg["trainer"]["gradient_clip_val"] == 1.0 and cfg["trainer"]["enable_model_summary"] is False
    with pytest.raises(ConfigError, match="trainer.callbacks: set by pgnn fit itself"):
        resolve_config(_with(**{"trainer.callbacks": "[]"}))


def test_resolved_config_has_every_default_and_is_idempotent():
    cfg = resolve_config(BASE)
    assert list(cfg) == ["seed", "data", "model", "optim", "training", "trainer"]
    for section in ("data", "optim", "training", "trainer"):
        assert set(SCHEMA[section]) <= set(cfg[section]), section
    assert set(cfg["model"]) == {"name"} | set(get_model_class("cgcnn").options)
    assert resolve_config(cfg) == cfg
    assert yaml.safe_load(yaml.safe_dump(cfg)) == cfg  # plain YAML types only


def test_missing_dataset_or_targets_and_non_mapping_configs():
    with pytest.raises(ConfigError, match="data.dataset is not set"):
        resolve_config({"data": {"targets": ["band_gap"]}})
    with pytest.raises(ConfigError, match="data.targets is empty"):
        resolve_config({"data": {"dataset": "mp_dielectric_2017"}})
    with pytest.raises(ConfigError, match="a config must be a mapping"):
        resolve_config([1, 2])


def test_set_into_a_non_section_is_named():
    with pytest.raises(ConfigError, match=r"--set 'optim.lr.x=1': optim.lr is 0.001"):
        apply_overrides({"optim": {"lr": 0.001}}, ["optim.lr.x=1"])


def test_every_shipped_config_file_resolves(tmp_path):
    from pathlib import Path

    files = sorted((Path(__file__).resolve().parents[2] / "configs").glob("*.yaml"))
    assert len(files) >= 20
    for f in files:
        cfg = load_config(f)
        assert cfg["model"]["name"] in MODELS, f


def _write(tmp_path, config) -> str:
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


@pytest.mark.parametrize("sets, fragment", [
    (["training.losss=l1", "optim.lrr=0.1"], "optim.lrr: unknown key in section 'optim' (did you mean 'lr'?)"),
    (["training.losss=l1"], "training.losss: unknown key in section 'training' (did you mean 'loss'?)"),
    (["trainer.max_epochs=-3"], "trainer.max_epochs: must be >= 1, got -3"),
    (["optim.lr=fast"], "optim.lr: expected a number, got str 'fast'"),
    (["data=5"], "data: expected a mapping of options, got int 5"),
])
def test_cli_fit_exits_2_with_one_line_naming_the_key_before_any_data_is_loaded(tmp_path, monkeypatch, sets,
                                                                                fragment):
    import pgnn.training.fit as fit_module  # imported first, so that it is its own name that gets patched

    def no_loading(*a, **k):
        raise AssertionError("data was loaded before the config was validated")

    monkeypatch.setattr(fit_module, "load_dataset", no_loading)
    path = _write(tmp_path, BASE)
    res = CliRunner().invoke(app, ["fit", "--config", path, "--out", str(tmp_path / "run"), "--set", *sets])
    assert res.exit_code != 0 and isinstance(res.exception, ConfigError), res.output
    assert fragment in str(res.exception)
    assert not (tmp_path / "run").exists()  # nothing written either


def test_cli_main_prints_one_line_and_exits_2(tmp_path, capsys, monkeypatch):
    import sys

    from pgnn.cli import main

    path = _write(tmp_path, BASE)
    monkeypatch.setattr(sys, "argv", ["pgnn", "fit", "--config", path, "--set", "training.losss=l1"])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith(f"pgnn: error: {path}: training.losss: unknown key in section 'training'")
    assert "did you mean 'loss'?" in err and "valid keys: early_stopping_patience, element_weights, loss, norm_loss_weight, target_weights, threads" in err


def test_unknown_trainer_key_lists_the_declared_ones_and_says_lightning_arguments_pass():
    with pytest.raises(ConfigError) as info:
        resolve_config(_with(**{"trainer.gradient_clip_vall": "1.0"}))
    msg = str(info.value)
    assert "did you mean 'gradient_clip_val'?" in msg
    assert msg.endswith("valid keys: accelerator, devices, enable_progress_bar, log_every_n_steps, max_epochs, "
                        "strategy, or another lightning.Trainer argument")


def test_target_weights_must_name_the_run_targets():
    cfg = resolve_config(_with(**{"training.target_weights": "{log10_K_VRH: 2}"}))
    assert cfg["training"]["target_weights"] == {"log10_K_VRH": 2}
    with pytest.raises(ConfigError, match=r"training.target_weights.log10_K_VRHH: unknown key .*did you mean "
                                          r"'log10_K_VRH'\?\); valid keys: log10_K_VRH"):
        resolve_config(_with(**{"training.target_weights": "{log10_K_VRHH: 2}"}))
