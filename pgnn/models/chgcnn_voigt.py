"""Invariant hypergraph baseline for tensor targets: CHGCNN whose head predicts the independent Voigt components.

The CHGCNN trunk (`pgnn.models.chgcnn`) is unchanged; the linear head emits, per target, 1 number (scalar) or the
kind's independent Voigt components, assembled into the full Cartesian tensor [B, 3, ..., 3]
(`pgnn.nn.voigt_head`). Like `cgcnn-voigt`, the prediction does not rotate with the crystal.
"""

from __future__ import annotations

import torch

from pgnn.models.chgcnn import CHGCNN
from pgnn.models.registry import register_model
from pgnn.nn.voigt_head import as_scalar_targets, split_voigt_outputs, use_voigt_head


@register_model("chgcnn-voigt")
class CHGCNNVoigt(CHGCNN):
    """CHGCNN with a Voigt-component head. forward(batch) -> {target: [B] | [B, 3, ..., 3]} (divided by the
    target's scale, like every model)."""

    def __init__(self, model_config: dict, targets: list):
        super().__init__(model_config, as_scalar_targets(targets))
        use_voigt_head(self, targets)

    def forward(self, batch) -> dict[str, torch.Tensor]:
        return split_voigt_outputs(self.head(self.crystal_features(batch)), self.specs, self.widths)
