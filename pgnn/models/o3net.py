"""The O3 family: an O(3)-equivariant TFN/NequIP-style network with scalar and Cartesian tensor heads.

    z -> learned embedding (n x 0e) -> O3Conv (gated, residual) x num_layers -> read-out O3Conv (linear, to
    readout_mul copies of every irrep the heads need) -> per-target head (mean pool, o3.Linear to the target's
    irreps, Cartesian tensor via pgnn.tensors.irreducible)

Config keys (defaults in `OPTIONS`): l_max_readout (edge spherical harmonics of the read-out layer; None = the
highest l among the targets' irreps: 4 elastic, 3 piezoelectric, 2 dielectric; the site-symmetric invariants of
cubic and tetrahedral environments first appear at l = 4 and l = 3, so a lower value cannot express e.g. the
cubic elastic anisotropy or e_14 of zincblende), cutoff (Angstrom), max_neighbors (None: every neighbour within the cutoff;
a count cap cuts through shells of equidistant neighbours and so breaks the crystal's symmetry in the graph), l_max (edge spherical harmonics),
hidden (irreps layout of the node features of the interaction layers), num_layers, num_basis (Bessel), radial_hidden,
readout_mul, avg_num_neighbors (None = measured on the first batch seen in training mode, then frozen).

Targets: kind "scalar" -> [B]; "dielectric" -> [B, 3, 3]; "piezoelectric" -> [B, 3, 3, 3] (C/m^2);
"elastic" -> [B, 3, 3, 3, 3] (GPa); tensors in the frame of batch.pos, exactly O(3)-equivariant.
"""

from __future__ import annotations

import torch
from e3nn import o3
from torch import nn

from pgnn.errors import ConfigError
from pgnn.graphs.crystal_graph import edge_vectors
from pgnn.models import common
from pgnn.models.registry import model_options, register_model
from pgnn.nn.embedding import AtomEmbedding
from pgnn.nn.o3_conv import O3Conv, RadialEmbedding
from pgnn.nn.norm_direction import NormTimesDirection
from pgnn.nn.site_class_map import SiteClassMap
from pgnn.nn.tensor_readout import ScalarReadout, TensorReadout
from pgnn.tensors.irreducible import basis
from pgnn.schema import opt
from pgnn.tensors.kinds import KINDS as TENSOR_KINDS

def _irreps_text(value: str) -> str | None:
    try:
        o3.Irreps(value)
    except (ValueError, AssertionError) as exc:
        return f"not an O(3) irreps layout such as '32x0e+16x1o+16x2e' ({exc})"
    return None


OPTIONS = {
    "cutoff": common.cutoff(common.EQUIVARIANT_CUTOFF),
    "max_neighbors": common.max_neighbors(None),
    "l_max": opt(2, min=0),
    "l_max_readout": opt(None, int, min=0),
    "hidden": opt("32x0e+16x1o+16x2e", check=_irreps_text, doc="irreps of the node features"),
    "num_layers": common.num_layers(2),
    "num_basis": common.num_basis(8),  # Bessel functions of the bond length
    "radial_hidden": opt(32, min=1),
    "readout_mul": opt(16, min=1),
    "avg_num_neighbors": opt(None, float, gt=0.0),
    "site_classes": opt(False, doc="one weight set per site-symmetry class of the receiving atom (seed 002)"),
    "site_class_set": opt(None, list, doc="site classes with their own weights, most frequent first (filled by "
                                          "pgnn fit from the training data); null: all 32"),
    "symprec": opt(0.01, gt=0.0, doc="site classes: spglib tolerance (Angstrom)"),
    "norm_direction": opt(False, doc="tensor targets: size from invariant (0e) features times the direction of the "
                                     "tensor read-out (pgnn.nn.norm_direction)"),
    # the shipped o3 models were trained with the learned table (their config.yaml does not set it)
    "atom_embedding": common.atom_embedding("learned"),
}
RENAMED = {"hidden_irreps": "hidden"}  # read from old run folders only


@register_model("o3")
class O3Net(nn.Module):
    """O(3)-equivariant crystal network. forward(batch) -> {target name: [B] scalar | [B, 3, ..., 3] tensor}."""

    graph_kind = "crystal_graph"
    options = OPTIONS
    renamed = RENAMED

    @classmethod
    def graph_options(cls, config: dict) -> dict:
        cfg = model_options(cls, config)
        out = {"cutoff": cfg["cutoff"], "max_neighbors": cfg["max_neighbors"]}
        if cfg["site_classes"]:  # only then: the graphs (and their cache key) of other o3 models are unchanged
            out.update(site_classes=True, symprec=cfg["symprec"])
        return out

    def __init__(self, config: dict, targets: list):
        super().__init__()
        cfg = model_options(type(self), config)
        self.config = cfg
        self.targets = list(targets)
        hidden = o3.Irreps(cfg["hidden"]).simplify()
        n0 = sum(mul for mul, ir in hidden if ir == o3.Irrep("0e"))
        if n0 == 0:
            raise ConfigError(f"model.hidden: o3 needs 0e channels for the embedding, got {hidden}", key="model.hidden")
        if cfg["atom_embedding"] == "learned":
            self.embedding = nn.Embedding(101, n0)
        else:
            self.embedding = AtomEmbedding(n0, cfg["atom_embedding"])
        self.radial = RadialEmbedding(cutoff=float(cfg["cutoff"]), num_basis=int(cfg["num_basis"]))
        ann = cfg["avg_num_neighbors"]
        self.register_buffer("avg_num_neighbors", torch.tensor(float(ann) if ann else float("nan")))

        needed = set()
        for t in self.targets:
            if t.kind == "scalar":
                needed.add(o3.Irrep("0e"))
            elif t.kind in TENSOR_KINDS:
                needed.update(ir for _, ir in basis(t.kind).irreps)
                if cfg["norm_direction"]:
                    needed.add(o3.Irrep("0e"))  # the invariant features the size is read from
            else:
                raise ConfigError(f"target {t.name}: the o3 model cannot predict kind {t.kind!r}")
        readout_irreps = o3.Irreps([(int(cfg["readout_mul"]), ir) for ir in sorted(needed)])
        l_out = cfg["l_max_readout"] if cfg["l_max_readout"] is not None else max(ir.l for ir in needed)
        self.irreps_sh_hidden = o3.Irreps.spherical_harmonics(int(cfg["l_max"]))
        self.irreps_sh = o3.Irreps.spherical_harmonics(max(int(cfg["l_max"]), int(l_out)))
        sh_readout = o3.Irreps.spherical_harmonics(int(l_out))

        self.class_map = SiteClassMap(cfg["site_class_set"]) if cfg["site_classes"] else None
        kw = dict(num_basis=int(cfg["num_basis"]), radial_hidden=int(cfg["radial_hidden"]),
                  n_classes=self.class_map.n_slots if self.class_map is not None else 0)
        layers, irreps = [], o3.Irreps(f"{n0}x0e")
        for _ in range(int(cfg["num_layers"])):
            layers.append(O3Conv(irreps, hidden, self.irreps_sh_hidden, **kw))
            irreps = hidden
        layers.append(O3Conv(irreps, readout_irreps, sh_readout, gate=False, residual=False, **kw))
        self.layers = nn.ModuleList(layers)
        self.heads = nn.ModuleDict()
        for t in self.targets:
            if t.kind == "scalar":
                self.heads[t.name] = ScalarReadout(readout_irreps)
            else:
                self.heads[t.name] = TensorReadout(readout_irreps, t.kind)
        self.sizes = nn.ModuleDict({t.name: ScalarReadout(readout_irreps) for t in self.targets
                                    if t.kind != "scalar" and cfg["norm_direction"]})
        self.norm_direction = NormTimesDirection()

    def forward(self, batch) -> dict[str, torch.Tensor]:
        edge_index = batch.edge_index
        if torch.isnan(self.avg_num_neighbors):  # first call: measure on this batch and freeze
            self.avg_num_neighbors.fill_(max(edge_index.shape[1] / max(int(batch.z.shape[0]), 1), 1.0))
        vec = edge_vectors(batch)
        sh = o3.spherical_harmonics(self.irreps_sh, vec, normalize=True, normalization="component")
        rad = self.radial(vec.norm(dim=-1))
        x = self.embedding(batch.z).to(vec.dtype)
        slot = None
        if self.class_map is not None:
            if getattr(batch, "site_class", None) is None:
                raise ConfigError("model.site_classes: the o3 model needs graphs with site_class "
                                  "(featurized with site_classes=true)", key="model.site_classes")
            slot = self.class_map(batch.site_class)
        for layer in self.layers:  # SH are ordered by l: each layer takes the prefix up to its own l_max
            x = layer(x, edge_index, sh[:, : layer.irreps_sh.dim], rad, self.avg_num_neighbors, slot)
        graph = getattr(batch, "batch", None)
        num_graphs = int(batch.num_graphs) if graph is not None and hasattr(batch, "num_graphs") else 1
        out = {name: head(x, graph, num_graphs) for name, head in self.heads.items()}
        for name, size in self.sizes.items():
            out[name] = self.norm_direction(out[name], size(x, graph, num_graphs))
        return out
