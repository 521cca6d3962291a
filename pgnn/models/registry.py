"""Model registry: `@register_model("name")` on a class, `build_model(model_config, targets)` by name.

A model class is an `nn.Module` built as `Cls(model_config, targets)` where `model_config` is the `model:`
section of a run config (a dict with at least `name`) and `targets` a list of `TargetSpec`. It declares
`graph_kind` ("crystal_graph" | "hypergraph" | ...), `options` ({name: `pgnn.schema.Option`}: default, type and
range of every model option; the registry derives `defaults` from it), optionally `renamed` ({old key: new key},
applied only when an old run folder is read, see `resolve_model_config(legacy=True)`),
`graph_options(model_config) -> dict` (what the featurizer must compute), and `forward(batch) -> {target name:
tensor}` (scalars [B] in normalized units, tensors [B, 3, ..., 3] Cartesian in the frame of `batch.pos`, divided
by the target's scale).

The model boundary: `model_options(cls, config)` validates and fills a model section exactly once; a class calls
it first thing in `__init__` and `graph_options` (it is idempotent, so resolved sections pass through unchanged).
"""

from __future__ import annotations

import importlib
import pkgutil
import warnings

from torch import nn

from pgnn.errors import ConfigError
from pgnn.schema import check_options, defaults_of

MODELS: dict[str, type[nn.Module]] = {}


def register_model(name: str):
    """Class decorator: make the model buildable as `model: {name: <name>, ...}`. The class must declare
    `options`; `cls.defaults` is set from them."""

    def deco(cls):
        if name in MODELS and MODELS[name] is not cls:
            raise ValueError(f"model name {name!r} is already registered by {MODELS[name].__qualname__}")
        if not isinstance(getattr(cls, "options", None), dict) or not cls.options:
            raise TypeError(f"model {name!r} ({cls.__qualname__}) declares no `options` (the schema of its config)")
        cls.model_name = name
        cls.defaults = defaults_of(cls.options)
        MODELS[name] = cls
        return cls

    return deco


def _discover() -> None:
    """Import every module of `pgnn.models` so that their `@register_model` decorators run."""
    import pgnn.models

    for info in pkgutil.iter_modules(pgnn.models.__path__):
        if info.name not in ("registry", "common"):
            importlib.import_module(f"pgnn.models.{info.name}")


def get_model_class(name: str) -> type[nn.Module]:
    """The class registered as `name`."""
    if not isinstance(name, str):
        raise ConfigError(f"model.name: expected a string, got {type(name).__name__} {name!r}", key="model.name")
    if name not in MODELS:
        _discover()
    if name not in MODELS:
        raise ConfigError(f"model.name: unknown model {name!r}; known: {', '.join(sorted(MODELS))}",
                          key="model.name", valid=sorted(MODELS))
    return MODELS[name]


def model_options(cls, config: dict | None) -> dict:
    """The options of `cls` (a registered model class) from a model section: unknown keys rejected (ConfigError
    with the valid names), types and ranges checked, every default filled; `name` (if given) is dropped.
    Then `cls.check_config(options)` (if defined) checks combinations of options."""
    config = dict(config or {})
    config.pop("name", None)
    out = check_options(config, cls.options, "model", renamed=getattr(cls, "renamed", None))
    check = getattr(cls, "check_config", None)
    if check is not None:
        check(out)
    return out


def upgrade_model_keys(model_config: dict, source: str = "config") -> dict:
    """An old model section with renamed keys mapped to their current names (`cls.renamed`), with a
    FutureWarning naming `source`. The one place where old key names are accepted: reading a run folder or a
    shipped model (`pgnn.training.config.load_run_config`)."""
    if not isinstance(model_config, dict) or "name" not in model_config:
        return model_config
    renamed = getattr(get_model_class(model_config["name"]), "renamed", None) or {}
    old = [k for k in model_config if k in renamed]
    if not old:
        return model_config
    out = {}
    for k, v in model_config.items():
        new = renamed.get(k, k)
        if new in out and out[new] != v:
            was = next(o for o in model_config if renamed.get(o) == new)
            raise ConfigError(f"{source}: model.{was} (old name of {new!r}) and model.{new} are both set and differ",
                              key=f"model.{was}")
        out[new] = v
    warnings.warn(f"{source}: old model option names {', '.join(f'{k} -> {renamed[k]}' for k in old)} "
                  "(read as the new names; re-save the config to silence this)", FutureWarning, stacklevel=2)
    return out


def resolve_model_config(model_config: dict) -> dict:
    """The model section validated, with the class's defaults filled in: {"name": ..., every option}."""
    if not isinstance(model_config, dict):
        raise ConfigError(f"model: expected a mapping with at least 'name', got {type(model_config).__name__} "
                          f"{model_config!r}", key="model")
    if "name" not in model_config:
        raise ConfigError(f"model.name: not set; known models: {', '.join(sorted(MODELS) or '(none loaded)')}",
                          key="model.name")
    cls = get_model_class(model_config["name"])
    return {"name": model_config["name"], **model_options(cls, model_config)}


def build_model(model_config: dict, targets: list) -> nn.Module:
    """Instantiate the model named by `model_config["name"]` for `targets` (list of TargetSpec)."""
    resolved = resolve_model_config(model_config)
    return get_model_class(resolved["name"])(resolved, targets)
