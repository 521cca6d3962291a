"""Model families built from `pgnn.nn` layers, registered by name (see `registry.py`)."""

from pgnn.models.registry import (  # noqa: F401
    MODELS, build_model, get_model_class, model_options, register_model, resolve_model_config, upgrade_model_keys,
)
