"""CHGCNN (Heilman, Gong, Yan 2024): atom embedding, heterogeneous hyperedges (bonds, triplets, motifs, cell),
CHGConv layers, mean pooling, MLP head; one output per scalar target. Input: crystal hypergraphs
(`pgnn.graphs.hypergraph`), batched by torch_geometric loaders."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pgnn.errors import ConfigError
from pgnn.graphs.hypergraph import FEATURE_DIMS, HYPEREDGE_TYPES
from pgnn.models.registry import register_model
from pgnn.nn.chgconv import CHGConv
from pgnn.nn.embedding import AtomEmbedding
from pgnn.nn.mlp import softplus_mlp
from pgnn.nn.pooling import pool
from pgnn.nn.radial import GaussianBasis

DEFAULTS = {
    "cutoff": 8.0,  # Angstrom
    "max_neighbors": 12,
    "hyperedges": ["bond", "triplet", "motif"],
    # hyperedge types the featurizer builds (default: `hyperedges`); a superset lets variants share one graph cache
    "featurize_hyperedges": None,
    "max_triplets_per_atom": 21,  # all pairs of the 7 nearest bonds
    "motif_window": 0.5,
    "motif_gap": 0.1,
    "atom_embedding": "engineered",  # learned | engineered | both
    "node_dim": 64,
    "num_gaussians": 41,  # bond distance basis
    "num_angle_basis": 21,  # triplet cos(angle) basis
    "num_conv": 3,
    "agg": "mean",  # mean | max | min | std | comma-joined list
    "strategy": "aggregate",  # aggregate | pairwise | two_stage
    "hidden_dim": 128,
    "num_hidden": 1,
    "pooling": "mean",
    "dropout": 0.0,
}


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

    @staticmethod
    def graph_options(model_config: dict) -> dict:
        cfg = {**DEFAULTS, **model_config}
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
        cfg = {**DEFAULTS, **model_config}
        unknown = set(cfg) - set(DEFAULTS) - {"name"}
        if unknown:
            raise ConfigError(f"chgcnn: unknown model options {sorted(unknown)}; known: {sorted(DEFAULTS)}")
        bad_types = set(cfg["hyperedges"]) - set(HYPEREDGE_TYPES)
        if bad_types or not cfg["hyperedges"]:
            raise ConfigError(f"chgcnn: hyperedges must be a non-empty subset of {HYPEREDGE_TYPES}")
        bad = [t.name for t in targets if t.kind != "scalar"]
        if bad:
            raise ConfigError(f"chgcnn predicts scalar targets only, not {bad}")
        self.target_names = [t.name for t in targets]
        self.types = sorted(cfg["hyperedges"], key=HYPEREDGE_TYPES.index)
        self.pooling = cfg["pooling"]
        self.embed = AtomEmbedding(cfg["node_dim"], cfg["atom_embedding"])
        self.encoder = HyperedgeEncoder(float(cfg["cutoff"]), int(cfg["num_gaussians"]), int(cfg["num_angle_basis"]))
        dims = {t: self.encoder.dims[t] for t in self.types}
        try:
            self.convs = nn.ModuleList(
                CHGConv(cfg["node_dim"], dims, agg=cfg["agg"], strategy=cfg["strategy"])
                for _ in range(cfg["num_conv"])
            )
        except ValueError as exc:
            raise ConfigError(f"chgcnn: {exc}") from None
        self.mlp, width = softplus_mlp(cfg["node_dim"], cfg["hidden_dim"], cfg["num_hidden"], cfg["dropout"])
        self.head = nn.Linear(width, len(targets))

    def forward(self, batch) -> dict[str, torch.Tensor]:
        out = self.head(self.crystal_features(batch))
        return {name: out[:, k] for k, name in enumerate(self.target_names)}

    def crystal_features(self, batch) -> torch.Tensor:
        """Invariant features of each crystal after the convolutions, pooling and hidden MLP: [B, hidden_dim]."""
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
