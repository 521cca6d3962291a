"""CHGCNN (Heilman, Gong, Yan 2024): atom embedding, heterogeneous hyperedges (bonds, triplets, motifs, cell),
CHGConv layers, mean pooling, MLP head; one output per scalar target. Input: crystal hypergraphs
(`pgnn.graphs.hypergraph`), batched by torch_geometric loaders."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pgnn.errors import ConfigError
from pgnn.graphs.hypergraph import FEATURE_DIMS, HYPEREDGE_TYPES
from pgnn.models import common
from pgnn.models.registry import model_options, register_model
from pgnn.nn.chgconv import CHGConv
from pgnn.nn.embedding import AtomEmbedding
from pgnn.nn.mlp import softplus_mlp
from pgnn.nn.pooling import pool
from pgnn.nn.radial import GaussianBasis
from pgnn.schema import opt

def _hyperedge_types(value) -> str | None:
    bad = [t for t in value if t not in HYPEREDGE_TYPES]
    return f"unknown hyperedge types {bad}; known: {', '.join(HYPEREDGE_TYPES)}" if bad else None


OPTIONS = {
    "cutoff": common.cutoff(common.INVARIANT_CUTOFF),
    "max_neighbors": common.max_neighbors(12),
    "hyperedges": opt(["bond", "triplet", "motif"], check=lambda v: _hyperedge_types(v) or (
        None if v else "give at least one hyperedge type")),
    # hyperedge types the featurizer builds (default: `hyperedges`); a superset lets variants share one graph cache
    "featurize_hyperedges": opt(None, list, check=_hyperedge_types),
    "max_triplets_per_atom": opt(21, min=1),  # all pairs of the 7 nearest bonds
    "motif_window": opt(0.5, min=0.0),
    "motif_gap": opt(0.1, min=0.0),
    "atom_embedding": common.atom_embedding("engineered"),
    "hidden": opt(64, min=1, doc="width of the atom features in the convolutions"),
    "num_basis": common.num_basis(41),  # Gaussians of the bond length on [0, cutoff]
    "num_angle_basis": opt(21, min=1),  # triplet cos(angle) basis
    "num_layers": common.num_layers(3),
    "agg": opt("mean", str, list),  # mean | max | min | std | comma-joined list
    "strategy": opt("aggregate", choices=("aggregate", "pairwise", "two_stage")),
    "head_hidden": opt(128, min=1, doc="width of the MLP after pooling"),
    "head_layers": opt(1, min=0, doc="hidden layers of the MLP after pooling"),
    "pooling": opt("mean", choices=("mean", "sum", "max")),
    "dropout": opt(0.0, min=0.0, max=1.0),
}
# names before the common naming (read from old run folders only)
RENAMED = {"node_dim": "hidden", "num_gaussians": "num_basis", "num_conv": "num_layers",
           "hidden_dim": "head_hidden", "num_hidden": "head_layers"}


class HyperedgeEncoder(nn.Module):
    """Raw hyperedge features (as stored by the builder) -> model features, per type.

    bond [E, 1] distance -> Gaussian basis [E, num_gaussians]; triplet [T, 3] (cos, d1, d2) -> cos basis
    + both distance bases [T, num_angle_basis + 2 * 21]; motif [M, 67] -> the same with the coordination number
    divided by 12; unit_cell [1, 1] volume per atom -> / 20 A^3.
    """

    def __init__(self, cutoff: float, num_gaussians: int, num_angle_basis: int):
        super().__init__()
        self.rbf = GaussianBasis(0.0, cutoff, num_gaussians)
        self.rbf_small = GaussianBasis(0.0, cutoff, 21)
        self.cos_basis = GaussianBasis(-1.0, 1.0, num_angle_basis)
        self.dims = {
            "bond": num_gaussians,
            "triplet": num_angle_basis + 2 * 21,
            "motif": FEATURE_DIMS["motif"],
            "unit_cell": 1,
        }

    def forward(self, t: str, x: torch.Tensor) -> torch.Tensor:
        if t == "bond":
            return self.rbf(x[:, 0])
        if t == "triplet":
            return torch.cat([self.cos_basis(x[:, 0]), self.rbf_small(x[:, 1]), self.rbf_small(x[:, 2])], dim=1)
        if t == "motif":
            return torch.cat([x[:, :-1], x[:, -1:] / 12.0], dim=1)
        return x / 20.0


@register_model("chgcnn")
class CHGCNN(nn.Module):
    """Invariant crystal hypergraph network for scalar targets. batch (crystal hypergraphs) -> {target: [B]}."""

    graph_kind = "hypergraph"
    options = OPTIONS
    renamed = RENAMED

    @classmethod
    def graph_options(cls, model_config: dict) -> dict:
        cfg = model_options(cls, model_config)
        types = set(cfg["hyperedges"]) | set(cfg["featurize_hyperedges"] or [])
        return {
            "hyperedges": sorted(types, key=HYPEREDGE_TYPES.index),
            "cutoff": float(cfg["cutoff"]),
            "max_neighbors": cfg["max_neighbors"],
            "max_triplets_per_atom": cfg["max_triplets_per_atom"],
            "motif_window": float(cfg["motif_window"]),
            "motif_gap": float(cfg["motif_gap"]),
        }

    def __init__(self, model_config: dict, targets: list):
        super().__init__()
        cfg = model_options(type(self), model_config)
        bad = [t.name for t in targets if t.kind != "scalar"]
        if bad:
            raise ConfigError(f"chgcnn predicts scalar targets only, not {bad}")
        self.target_names = [t.name for t in targets]
        self.types = sorted(cfg["hyperedges"], key=HYPEREDGE_TYPES.index)
        self.pooling = cfg["pooling"]
        self.embed = AtomEmbedding(cfg["hidden"], cfg["atom_embedding"])
        self.encoder = HyperedgeEncoder(cfg["cutoff"], cfg["num_basis"], cfg["num_angle_basis"])
        dims = {t: self.encoder.dims[t] for t in self.types}
        try:
            self.convs = nn.ModuleList(
                CHGConv(cfg["hidden"], dims, agg=cfg["agg"], strategy=cfg["strategy"])
                for _ in range(cfg["num_layers"])
            )
        except ValueError as exc:
            raise ConfigError(f"chgcnn: {exc}") from None
        self.mlp, width = softplus_mlp(cfg["hidden"], cfg["head_hidden"], cfg["head_layers"], cfg["dropout"])
        self.head = nn.Linear(width, len(targets))

    def forward(self, batch) -> dict[str, torch.Tensor]:
        out = self.head(self.crystal_features(batch))
        return {name: out[:, k] for k, name in enumerate(self.target_names)}

    def crystal_features(self, batch) -> torch.Tensor:
        """Invariant features of each crystal after the convolutions, pooling and hidden MLP: [B, head_hidden]."""
        atoms = batch["atom"]
        node_graph = getattr(atoms, "batch", None)
        if node_graph is None:
            node_graph = atoms.z.new_zeros(atoms.z.shape)
        num_graphs = int(batch.num_graphs) if hasattr(batch, "num_graphs") else 1
        dtype = atoms.pos.dtype
        hyper = {}
        for t in self.types:
            if t not in batch.node_types:
                raise ConfigError(f"chgcnn: the batch has no {t!r} hyperedges; featurize with this model's options")
            h = self.encoder(t, batch[t].x.to(dtype))
            hyper[t] = (h, batch["atom", "in", t].edge_index)
        x = self.embed(atoms.z).to(dtype)
        for conv in self.convs:
            x = conv(x, hyper)
        return self.mlp(F.softplus(pool(x, node_graph, num_graphs, self.pooling)))
