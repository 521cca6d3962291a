"""Losses on normalized targets, chosen per target kind."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from pgnn.errors import ConfigError

LOSSES = {
    "mse": F.mse_loss,
    "l1": F.l1_loss,
    "huber": lambda a, b: F.huber_loss(a, b, delta=1.0),
}


def loss_for(kind: str, setting: str | dict):
    """The loss function for a target kind: `setting` is one loss name, or {kind: name} (default mse)."""
    name = setting.get(kind, "mse") if isinstance(setting, dict) else setting
    if name not in LOSSES:
        raise ConfigError(f"unknown loss {name!r}; known: {', '.join(LOSSES)}")
    if kind != "scalar":  # tensors: the loss is on the Voigt components the MAE is reported on
        from pgnn.data.targets import KINDS

        comp, fn = KINDS[kind].components, LOSSES[name]
        return lambda pred, true: fn(comp(pred), comp(true))
    return LOSSES[name]


def mean_abs_error(pred: torch.Tensor, true: torch.Tensor, kind: str) -> torch.Tensor:
    """MAE over the components the target kind is scored on (all of a scalar, Voigt components of a tensor)."""
    from pgnn.data.targets import KINDS

    comp = KINDS[kind].components
    return (comp(pred) - comp(true)).abs().mean()


def log_norm_loss(pred: torch.Tensor, true: torch.Tensor, kind: str, eps: float = 0.05) -> torch.Tensor:
    """Mean over crystals of |log(eps + ||pred||) - log(eps + ||true||)|, norms of the Voigt components, on
    normalized tensors [B, 3, ..., 3] (so eps is a share of the targets' RMS size). A relative error: each crystal
    counts the same whatever the size of its tensor, which the component loss lets the few large tensors dominate."""
    from pgnn.data.targets import KINDS

    comp = KINDS[kind].components
    norm_p = comp(pred).norm(dim=-1)
    norm_t = comp(true).norm(dim=-1)
    return (torch.log(eps + norm_p) - torch.log(eps + norm_t)).abs().mean()
