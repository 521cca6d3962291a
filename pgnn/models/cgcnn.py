"""CGCNN (Xie & Grossman, PRL 120, 145301 (2018)): atom embedding, Gaussian-expanded distances, CGConv
layers, mean pooling, MLP head; one output per scalar target."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pgnn.errors import ConfigError
from pgnn.graphs import edge_vectors
from pgnn.models.registry import register_model
from pgnn.nn.cgconv import CGConv
from pgnn.nn.embedding import AtomEmbedding
from pgnn.nn.mlp import softplus_mlp
from pgnn.nn.pooling import pool
from pgnn.nn.radial import GaussianBasis

DEFAULTS = {
    "cutoff": 8.0,  # Angstrom
    "max_neighbors": 12,
    "atom_embedding": "engineered",  # learned | engineered | both
    "node_dim": 64,
    "num_gaussians": 41,
    "num_conv": 3,
    "hidden_dim": 128,
    "num_hidden": 1,
    "pooling": "mean",
    "dropout": 0.0,
}


@register_model("cgcnn")
class CGCNN(nn.Module):
    """Invariant crystal graph network for scalar targets. batch (crystal graphs) -> {target: [B]}."""

    graph_kind = "crystal_graph"
    defaults = DEFAULTS

    @staticmethod
    def graph_options(model_config: dict) -> dict:
        cfg = {**DEFAULTS, **model_config}
        return {"cutoff": float(cfg["cutoff"]), "max_neighbors": cfg["max_neighbors"]}

    def __init__(self, model_config: dict, targets: list):
        super().__init__()
        cfg = {**DEFAULTS, **model_config}
        unknown = set(cfg) - set(DEFAULTS) - {"name"}
        if unknown:
            raise ConfigError(f"cgcnn: unknown model options {sorted(unknown)}; known: {sorted(DEFAULTS)}")
        bad = [t.name for t in targets if t.kind != "scalar"]
        if bad:
            raise ConfigError(f"cgcnn predicts scalar targets only, not {bad}")
        self.target_names = [t.name for t in targets]
        self.pooling = cfg["pooling"]
        self.embed = AtomEmbedding(cfg["node_dim"], cfg["atom_embedding"])
        self.rbf = GaussianBasis(0.0, float(cfg["cutoff"]), int(cfg["num_gaussians"]))
        self.convs = nn.ModuleList(CGConv(cfg["node_dim"], cfg["num_gaussians"]) for _ in range(cfg["num_conv"]))
        self.mlp, width = softplus_mlp(cfg["node_dim"], cfg["hidden_dim"], cfg["num_hidden"], cfg["dropout"])
        self.head = nn.Linear(width, len(targets))

    def forward(self, batch) -> dict[str, torch.Tensor]:
        node_graph = batch.batch if getattr(batch, "batch", None) is not None else batch.z.new_zeros(batch.z.shape)
        num_graphs = int(batch.num_graphs) if hasattr(batch, "num_graphs") else 1
        dist = edge_vectors(batch).norm(dim=-1)
        edge_attr = self.rbf(dist)
        x = self.embed(batch.z).to(edge_attr.dtype)
        for conv in self.convs:
            x = conv(x, batch.edge_index, edge_attr)
        h = self.mlp(F.softplus(pool(x, node_graph, num_graphs, self.pooling)))
        out = self.head(h)
        return {name: out[:, k] for k, name in enumerate(self.target_names)}
