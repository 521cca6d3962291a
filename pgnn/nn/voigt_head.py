"""Invariant tensor heads: a flat output row per crystal -> scalars and Cartesian tensors from Voigt components.

Used by the invariant baselines (`cgcnn-voigt`, `chgcnn-voigt`): their features do not rotate with the crystal, so
the tensors they predict do not either; this is the like-for-like comparison for the equivariant models.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from pgnn.tensors import KINDS as TENSOR_KINDS
from pgnn.tensors import independent_to_voigt, voigt_to_full


def voigt_widths(targets: list) -> list[int]:
    """Outputs per target: 1 for a scalar, the kind's independent Voigt components for a tensor (dielectric 6,
    piezoelectric 18, elastic 21)."""
    return [1 if t.kind == "scalar" else TENSOR_KINDS[t.kind].n_independent for t in targets]


def split_voigt_outputs(out: torch.Tensor, targets: list, widths: list[int]) -> dict[str, torch.Tensor]:
    """out [B, sum(widths)] -> {target name: [B] scalar | [B, 3, ..., 3] full Cartesian tensor}."""
    result, start = {}, 0
    for t, w in zip(targets, widths):
        part = out[:, start:start + w]
        start += w
        result[t.name] = part[:, 0] if t.kind == "scalar" else voigt_to_full(independent_to_voigt(part, t.kind), t.kind)
    return result


def as_scalar_targets(targets: list) -> list:
    """The targets with kind "scalar", to build an invariant trunk whose head is then widened by `use_voigt_head`."""
    return [dataclasses.replace(t, kind="scalar") for t in targets]


def use_voigt_head(model: nn.Module, targets: list) -> None:
    """Replace `model.head` (an nn.Linear) by one emitting the Voigt components of every target; sets
    `model.specs` and `model.widths` for `split_voigt_outputs`."""
    model.specs = list(targets)
    model.widths = voigt_widths(targets)
    model.head = nn.Linear(model.head.in_features, sum(model.widths))
