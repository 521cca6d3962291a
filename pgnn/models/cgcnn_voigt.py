"""Invariant baseline for tensor targets: CGCNN whose head predicts the independent Voigt components directly.

The CGCNN trunk (`pgnn.models.cgcnn`) is unchanged; the linear head emits, per target, 1 number (scalar) or the
kind's independent Voigt components (dielectric 6, piezoelectric 18, elastic 21), which are assembled into the
Voigt matrix and then the full Cartesian tensor [B, 3, ..., 3]. The features are rotation invariant, so the
predicted tensor does not rotate with the crystal: this is the like-for-like comparison for the O3 model.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from pgnn.graphs import edge_vectors
from pgnn.models.cgcnn import CGCNN
from pgnn.models.registry import register_model
from pgnn.nn.pooling import pool
from pgnn.nn.voigt_head import as_scalar_targets, split_voigt_outputs, use_voigt_head


@register_model("cgcnn-voigt")
class CGCNNVoigt(CGCNN):
    """CGCNN with a Voigt-component head. forward(batch) -> {target: [B] | [B, 3, ..., 3]} (tensors divided by the
    target's scale, like every model)."""

    def __init__(self, model_config: dict, targets: list):
        super().__init__(model_config, as_scalar_targets(targets))
        use_voigt_head(self, targets)

    def forward(self, batch) -> dict[str, torch.Tensor]:
        node_graph = batch.batch if getattr(batch, "batch", None) is not None else batch.z.new_zeros(batch.z.shape)
        num_graphs = int(batch.num_graphs) if hasattr(batch, "num_graphs") else 1
        edge_attr = self.rbf(edge_vectors(batch).norm(dim=-1))
        x = self.embed(batch.z).to(edge_attr.dtype)
        for conv in self.convs:
            x = conv(x, batch.edge_index, edge_attr)
        out = self.head(self.mlp(F.softplus(pool(x, node_graph, num_graphs, self.pooling))))
        return split_voigt_outputs(out, self.specs, self.widths)
