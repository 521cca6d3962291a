"""CGCNN (Xie & Grossman, PRL 120, 145301 (2018)): atom embedding, Gaussian-expanded distances, CGConv
layers, mean pooling, MLP head; one output per scalar target."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pgnn.errors import ConfigError
from pgnn.graphs import edge_vectors
from pgnn.models import common
from pgnn.models.registry import model_options, register_model
from pgnn.nn.cgconv import CGConv
from pgnn.nn.embedding import AtomEmbedding
from pgnn.nn.mlp import softplus_mlp
from pgnn.nn.pooling import pool
from pgnn.nn.radial import GaussianBasis
from pgnn.schema import opt

OPTIONS = {
    "cutoff": common.cutoff(common.INVARIANT_CUTOFF),
    "max_neighbors": common.max_neighbors(12),
    "atom_embedding": common.atom_embedding("engineered"),
    "hidden": opt(64, min=1, doc="width of the atom features in the convolutions"),
    "num_basis": common.num_basis(41),  # Gaussians of the bond length on [0, cutoff]
    "num_layers": common.num_layers(3),
    "head_hidden": opt(128, min=1, doc="width of the MLP after pooling"),
    "head_layers": opt(1, min=0, doc="hidden layers of the MLP after pooling"),
    "pooling": opt("mean", choices=("mean", "sum", "max")),
    "dropout": opt(0.0, min=0.0, max=1.0),
}
# names before the common naming (run folders written by pgnn <= 0.x are read with these)
RENAMED = {"node_dim": "hidden", "num_gaussians": "num_basis", "num_conv": "num_layers",
           "hidden_dim": "head_hidden", "num_hidden": "head_layers"}


@register_model("cgcnn")
class CGCNN(nn.Module):
    """Invariant crystal graph network for scalar targets. batch (crystal graphs) -> {target: [B]}."""

    graph_kind = "crystal_graph"
    options = OPTIONS
    renamed = RENAMED

    @classmethod
    def graph_options(cls, model_config: dict) -> dict:
        cfg = model_options(cls, model_config)
        return {"cutoff": cfg["cutoff"], "max_neighbors": cfg["max_neighbors"]}

    def __init__(self, model_config: dict, targets: list):
        super().__init__()
        cfg = model_options(type(self), model_config)
        bad = [t.name for t in targets if t.kind != "scalar"]
        if bad:
            raise ConfigError(f"cgcnn predicts scalar targets only, not {bad}")
        self.target_names = [t.name for t in targets]
        self.pooling = cfg["pooling"]
        self.embed = AtomEmbedding(cfg["hidden"], cfg["atom_embedding"])
        self.rbf = GaussianBasis(0.0, cfg["cutoff"], cfg["num_basis"])
        self.convs = nn.ModuleList(CGConv(cfg["hidden"], cfg["num_basis"]) for _ in range(cfg["num_layers"]))
        self.mlp, width = softplus_mlp(cfg["hidden"], cfg["head_hidden"], cfg["head_layers"], cfg["dropout"])
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
