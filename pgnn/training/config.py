"""Run configuration: one schema for every section, `resolve_config(raw) -> dict` (the single entry point),
YAML files merged over the defaults and `--set a.b=value` overrides (values parsed with yaml.safe_load).

Sections: seed, data, model (schema of the model family, `pgnn.models.registry`), optim, training, trainer (the
declared keys below, plus any other `lightning.Trainer` argument except those `fit` sets itself). Every unknown
key, at any depth, raises `ConfigError` naming the key, its section and the valid names; types and ranges are
checked before anything is loaded or featurized. The resolved config (every default filled) is what a run
folder's config.yaml holds.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from pgnn.data.splits import SPLIT_BY, SplitSpec
from pgnn.errors import ConfigError, PgnnError
from pgnn.schema import check_options, check_value, defaults_of, opt

TRAINER_SET_BY_FIT = ("default_root_dir", "logger", "callbacks", "use_distributed_sampler")


def _problem(fn, value) -> str | None:
    """Error text of `fn(value)` raising a pgnn error, else None."""
    try:
        fn(value)
    except PgnnError as exc:
        return str(exc)
    return None


def _dataset(value: str) -> str | None:
    # existence is checked when the data is loaded: a run folder must stay loadable for prediction without it
    return None if value.strip() else "must not be empty"


def _targets(value: list) -> str | None:
    from pgnn.data.targets import resolve_target

    if not value:
        return "give at least one target, e.g. [band_gap]"
    return next((p for p in (_problem(resolve_target, t) for t in value) if p), None)


def _point_groups(value: list) -> str | None:
    from pgnn.structures.point_groups import canonical_name

    for name in value:
        try:
            canonical_name(str(name))
        except Exception:  # noqa: BLE001 - whatever the lookup raises, the name is unknown
            return f"unknown point group {name!r}"
    return None


def _fractions(value: list) -> str | None:
    ok = len(value) == 3 and all(isinstance(f, (int, float)) and not isinstance(f, bool) and f >= 0 for f in value)
    return None if ok and sum(value) > 0 else f"expected 3 non-negative numbers (train, val, test), got {value!r}"


def _loss(value) -> str | None:
    from pgnn.data.targets import KINDS
    from pgnn.training.losses import LOSSES

    per_kind = value if isinstance(value, dict) else {"": value}
    for kind, name in per_kind.items():
        if kind and kind not in KINDS:
            return f"unknown target kind {kind!r}; known: {', '.join(KINDS)}"
        if name not in LOSSES:
            return f"unknown loss {name!r}; known: {', '.join(LOSSES)}"
    return None


def _weights(value: dict) -> str | None:
    bad = {k: v for k, v in value.items()
           if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0}
    return f"weights must be non-negative numbers, got {bad}" if bad else None


def _devices(value) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return None if value >= 1 or value == -1 else f"must be >= 1 (or -1: all), got {value}"
    if isinstance(value, list):
        return None if all(isinstance(v, int) and not isinstance(v, bool) for v in value) else "a list of ints"
    return None


SCHEMA: dict = {
    "seed": opt(0),
    "data": {
        "dataset": opt(None, str, nullable=False, check=_dataset, doc="bundled name or path"),
        "targets": opt([], check=_targets, doc="names (pgnn.data.targets.TARGETS) or dicts of TargetSpec fields"),
        "split": {"fractions": opt([0.8, 0.1, 0.1], check=_fractions), "seed": opt(0),
                  "by": opt("id", choices=SPLIT_BY, doc="what the split hashes: id | point_group | composition "
                                                        "(chemical system, leave-chemistry-out)")},
        "folds": opt(None, int, min=2, doc="k-fold cross-validation: k folds by hash of the split key"),
        "fold": opt(None, int, min=0, doc="with folds: the test fold; validation drawn from the others"),
        "limit": opt(None, int, min=1, doc="use only the first N entries of the dataset (tiny runs)"),
        "point_groups": opt(None, list, check=_point_groups, doc="e.g. [m-3m]: only crystals of these groups"),
        "train_fraction": opt(1.0, gt=0.0, max=1.0, doc="nested id-hashed subsample of the training split"),
        "batch_size": opt(64, min=1, doc="global: divided among devices under DDP"),
        "cache_dir": opt(None, str, doc="graph cache; null: $PGNN_CACHE_DIR or ~/.cache/pgnn/graphs"),
        "workers": opt(None, int, min=1, doc="featurization processes; null: usable cores (at most 8)"),
    },
    "optim": {
        "lr": opt(1.0e-3, gt=0.0),
        "weight_decay": opt(0.0, min=0.0),
        "scheduler": opt("cosine", choices=("cosine", "plateau", "none")),
        "min_lr_ratio": opt(0.01, min=0.0, max=1.0, doc="cosine: final lr / lr"),
        "plateau_patience": opt(5, min=0),
        "plateau_factor": opt(0.5, gt=0.0, max=1.0),
    },
    "training": {
        "loss": opt("mse", str, dict, check=_loss, doc="mse | l1 | huber, or {kind: loss} per target kind"),
        "target_weights": opt({}, check=_weights, doc="{target name: weight}, default 1"),
        "element_weights": opt({}, check=_weights, doc="Hamiltonian models: {element symbol: weight} of the "
                               "blocks of pairs with that element (the larger of the two), default 1"),
        "early_stopping_patience": opt(30, int, nullable=True, min=1, doc="epochs without a better val_score"),
        "norm_loss_weight": opt(0.0, min=0.0, doc="tensor targets: weight of a log-norm term beside the component "
                                                  "loss (pgnn.training.losses.log_norm_loss); 0: off"),
        "threads": opt(1, int, nullable=True, min=1, doc="torch threads per process"),
    },
    "trainer": {  # passed to lightning.Trainer
        "max_epochs": opt(100, min=1),
        "accelerator": opt("cpu"),
        "devices": opt(1, int, str, list, check=_devices),
        "strategy": opt("auto"),
        "enable_progress_bar": opt(True),
        "log_every_n_steps": opt(10, min=1),
    },
}
SECTIONS = ("seed", "data", "model", "optim", "training", "trainer")
DEFAULTS: dict = {**defaults_of(SCHEMA), "model": {"name": "cgcnn"}}  # model: its family's defaults


def _trainer_arguments() -> set:
    """Other `lightning.Trainer` arguments a config may pass through (not type-checked here)."""
    import inspect

    import lightning as L

    params = inspect.signature(L.Trainer.__init__).parameters
    return {p for p in params if p != "self"} - set(TRAINER_SET_BY_FIT)


def resolve_config(raw: dict, source: str = "config") -> dict:
    """The complete run config of `raw` (a run config as read from YAML): every section validated, unknown keys
    rejected, defaults filled, the model section resolved by its family's schema. Raises ConfigError (whose
    message starts with the key path; `source` names the file). Idempotent; loads no data."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: a config must be a mapping of sections ({', '.join(SECTIONS)}), "
                          f"got {type(raw).__name__}")
    from pgnn.models.registry import resolve_model_config
    from pgnn.schema import unknown_key_error

    for k in raw:
        if k not in SECTIONS:
            raise _named(unknown_key_error(k, "", SECTIONS), source)
    try:
        trainer = raw.get("trainer")
        if isinstance(trainer, dict):
            reserved = [k for k in trainer if k in TRAINER_SET_BY_FIT]
            if reserved:
                raise ConfigError(f"trainer.{reserved[0]}: set by pgnn fit itself; remove it", key=f"trainer.{reserved[0]}")
        out = {"seed": check_value(raw.get("seed", 0), SCHEMA["seed"], "seed")}
        for section in ("data", "model", "optim", "training", "trainer"):
            if section == "model":
                model = raw.get("model", DEFAULTS["model"])
                if isinstance(model, dict) and "name" not in model:  # as before: cgcnn unless named
                    model = {**DEFAULTS["model"], **model}
                out["model"] = resolve_model_config(model)
            else:
                extra = ("another lightning.Trainer argument", _trainer_arguments) if section == "trainer" else None
                out[section] = check_options(raw.get(section), SCHEMA[section], section, extra=extra)
    except ConfigError as exc:
        raise _named(exc, source) from None
    if out["data"]["dataset"] is None:
        raise ConfigError(f"{source}: data.dataset is not set", key="data.dataset")
    if not out["data"]["targets"]:
        raise ConfigError(f"{source}: data.targets is empty", key="data.targets")
    try:
        SplitSpec.from_config(out["data"])  # folds and fold together, fold < folds
    except ConfigError as exc:
        raise _named(exc, source) from None
    from pgnn.data.targets import resolve_target

    names = [resolve_target(t).name for t in out["data"]["targets"]]
    for k in out["training"]["target_weights"]:
        if k not in names:
            raise _named(unknown_key_error(k, "training.target_weights", names), source)
    return out


def _named(exc: ConfigError, source: str) -> ConfigError:
    """`exc` with the config's source in front of its message."""
    if source and not str(exc).startswith(source):
        return ConfigError(f"{source}: {exc}", key=exc.key, valid=exc.valid)
    return exc


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
        for i, p in enumerate(parts[:-1]):
            if p not in node or node[p] is None:
                node[p] = {}
            if not isinstance(node[p], dict):
                path = ".".join(parts[: i + 1])
                raise ConfigError(f"--set {item!r}: {path} is {node[p]!r}, not a section", key=path)
            node = node[p]
        node[parts[-1]] = value
    return out


def _read_yaml(path: Path) -> dict:
    try:
        user = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(user, dict):
        raise ConfigError(f"{path}: a config must be a YAML mapping")
    return user


def upgrade_legacy_keys(config: dict, source: str) -> dict:
    """A config written before the common option names with its renamed model keys mapped (FutureWarning)."""
    from pgnn.models.registry import upgrade_model_keys

    if isinstance(config.get("model"), dict):
        config = {**config, "model": upgrade_model_keys(config["model"], source)}
    return config


def load_config(path: str | Path | None, overrides: list[str] = (), legacy: bool = False) -> dict:
    """Defaults <- YAML file <- overrides, resolved (`resolve_config`). `legacy`: the file is an existing run
    folder's config.yaml, whose old model key names are mapped to the current ones."""
    user: dict = {}
    source = str(path) if path is not None else "config"
    if path is not None:
        user = _read_yaml(Path(path))
        if legacy:
            user = upgrade_legacy_keys(user, source)
    return resolve_config(apply_overrides(user, list(overrides)), source)


def load_run_config(path: str | Path) -> dict:
    """The resolved config of a run folder's or a shipped model's config.yaml (old key names mapped)."""
    return load_config(path, legacy=True)


def save_config(config: dict, path: str | Path) -> None:
    """Write `config` as YAML through a unique temporary file and an atomic rename."""
    from pgnn.atomic import atomic_write_text

    atomic_write_text(Path(path), yaml.safe_dump(config, sort_keys=False))
