"""Model registry: `@register_model("name")` on a class, `build_model(model_config, targets)` by name.

A model class is an `nn.Module` built as `Cls(model_config, targets)` where `model_config` is the `model:`
section of a run config (a dict with at least `name`) and `targets` a list of `TargetSpec`. It declares
`graph_kind` ("crystal_graph" | "hypergraph" | ...) and `graph_options(model_config) -> dict` (what the
featurizer must compute), optionally `defaults` (dict of model options, merged under the config so that the
run's config.yaml shows every value used), and `forward(batch) -> {target name: tensor}` (scalars [B] in normalized units,
tensors [B, 3, ..., 3] Cartesian in the frame of `batch.pos`, divided by the target's scale).
"""

from __future__ import annotations

import importlib
import pkgutil

from torch import nn

from pgnn.errors import ConfigError

MODELS: dict[str, type[nn.Module]] = {}


def register_model(name: str):
    """Class decorator: make the model buildable as `model: {name: <name>, ...}`."""

    def deco(cls):
        if name in MODELS and MODELS[name] is not cls:
            raise ValueError(f"model name {name!r} is already registered by {MODELS[name].__qualname__}")
        cls.model_name = name
        MODELS[name] = cls
        return cls

    return deco


def _discover() -> None:
    """Import every module of `pgnn.models` so that their `@register_model` decorators run."""
    import pgnn.models

    for info in pkgutil.iter_modules(pgnn.models.__path__):
        if info.name != "registry":
            importlib.import_module(f"pgnn.models.{info.name}")


def get_model_class(name: str) -> type[nn.Module]:
    """The class registered as `name`."""
    if name not in MODELS:
        _discover()
    if name not in MODELS:
        raise ConfigError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}")
    return MODELS[name]


def resolve_model_config(model_config: dict) -> dict:
    """The model section with the class's `defaults` filled in."""
    if "name" not in model_config:
        raise ConfigError("model config has no 'name'")
    cls = get_model_class(model_config["name"])
    return {"name": model_config["name"], **getattr(cls, "defaults", {}), **model_config}


def build_model(model_config: dict, targets: list) -> nn.Module:
    """Instantiate the model named by `model_config["name"]` for `targets` (list of TargetSpec)."""
    if "name" not in model_config:
        raise ConfigError("model config has no 'name'")
    return get_model_class(model_config["name"])(model_config, targets)
