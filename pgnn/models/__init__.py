"""Model families built from `pgnn.nn` layers, registered by name (see `registry.py`)."""

from pgnn.models.registry import MODELS, build_model, get_model_class, register_model, resolve_model_config  # noqa: F401
