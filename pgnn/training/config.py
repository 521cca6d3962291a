"""Run configuration: nested YAML merged over defaults, `--set a.b=value` overrides (values parsed as YAML)."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from pgnn.errors import ConfigError

DEFAULTS: dict = {
    "seed": 0,
    "data": {
        "dataset": None,  # bundled name or path
        "targets": [],  # target names (pgnn.data.targets.TARGETS) or dicts of TargetSpec fields
        "split": {"fractions": [0.8, 0.1, 0.1], "seed": 0},
        "limit": None,  # use only the first N entries of the dataset (tiny runs)
        "point_groups": None,  # e.g. [m-3m]: only crystals of these point groups (record field or spglib)
        "train_fraction": 1.0,  # nested id-hashed subsample of the training split (learning curves)
        "batch_size": 64,  # global: divided among devices under DDP
        "cache_dir": None,  # graph cache; None: $PGNN_CACHE_DIR or ~/.cache/pgnn/graphs
        "workers": None,  # featurization processes; None: usable cores (at most 8)
    },
    "model": {"name": "cgcnn"},
    "optim": {
        "lr": 1.0e-3,
        "weight_decay": 0.0,
        "scheduler": "cosine",  # cosine | plateau | none
        "min_lr_ratio": 0.01,  # cosine: final lr / lr
        "plateau_patience": 5,
        "plateau_factor": 0.5,
    },
    "training": {
        "loss": "mse",  # mse | l1 | huber, or {kind: loss} per target kind
        "target_weights": {},  # {target name: weight}, default 1
        "early_stopping_patience": 30,  # epochs without a better val_score; null: off
        "threads": 1,  # torch threads per process
    },
    # passed verbatim to lightning.Trainer
    "trainer": {
        "max_epochs": 100,
        "accelerator": "cpu",
        "devices": 1,
        "strategy": "auto",
        "enable_progress_bar": True,
        "log_every_n_steps": 10,
    },
}


def deep_merge(base: dict, over: dict) -> dict:
    """Copy of `base` with `over` merged in recursively (dicts merge, everything else replaces)."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def apply_overrides(config: dict, overrides: list[str]) -> dict:
    """Apply `a.b.c=value` strings; each value is parsed with yaml.safe_load ("2" -> 2, "[1,2]" -> list)."""
    out = copy.deepcopy(config)
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected key.path=value")
        key, raw = item.split("=", 1)
        try:
            value = yaml.safe_load(raw) if raw != "" else None
        except yaml.YAMLError as exc:
            raise ConfigError(f"--set {item!r}: value is not valid YAML ({exc})") from None
        node = out
        parts = key.strip().split(".")
        for p in parts[:-1]:
            if not isinstance(node.get(p), dict):
                node[p] = {}
            node = node[p]
        node[parts[-1]] = value
    return out


def load_config(path: str | Path | None, overrides: list[str] = ()) -> dict:
    """Defaults <- YAML file <- overrides, checked for the keys every run needs."""
    user: dict = {}
    if path is not None:
        p = Path(path)
        try:
            user = yaml.safe_load(p.read_text()) or {}
        except FileNotFoundError:
            raise ConfigError(f"{p}: config file not found") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{p}: not valid YAML ({exc})") from None
        if not isinstance(user, dict):
            raise ConfigError(f"{p}: a config must be a YAML mapping")
    config = apply_overrides(deep_merge(DEFAULTS, user), list(overrides))
    if not config["data"].get("dataset"):
        raise ConfigError(f"{path or 'config'}: data.dataset is not set")
    if not config["data"].get("targets"):
        raise ConfigError(f"{path or 'config'}: data.targets is empty")
    return config


def save_config(config: dict, path: str | Path) -> None:
    Path(path).write_text(yaml.safe_dump(config, sort_keys=False))
