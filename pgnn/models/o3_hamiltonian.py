"""O3 Hamiltonian model: an O(3)-equivariant e3nn network that predicts the blocks H_ij(R) (DeepH-E3 idea).

    z -> learned 0e embedding -> O3Conv x num_layers (edges: the pairs within conv_cutoff)
    on-site  H_ii(0) = O3BlockHead(x_i)  (symmetric; + element level per shell)
    hopping  f(i, j, R) = O3BlockHead(O3PairFeatures(x_i, x_j, r_j + R - r_i)),  H_ij(R) = (f(i,j,R) + f(j,i,-R)^T)/2

in the frame of the input cell (no standard frame needed: the network is equivariant under all of O(3)). `l_max`
truncates the edge spherical harmonics and the hidden features (irreps with l > l_max are dropped from `hidden`);
block components l_a (x) l_b -> L with L > l_max then have no path and are predicted as zero. The point-group model
has no such truncation (its blocks come from intertwiners of G-irreps, `pgnn.models.pg_hamiltonian`).

Options (OPTIONS): cutoff (Angstrom, predicted pairs), conv_cutoff, l_max, hidden, num_layers, num_basis,
radial_hidden, slots, pair_channels, pair_hidden, avg_num_neighbors. forward(batch) -> H [P, n, n] eV.
"""

from __future__ import annotations

import torch
from e3nn import o3
from torch import nn

from pgnn.errors import ConfigError
from pgnn.models import common
from pgnn.models import hamiltonian_common as hc
from pgnn.models.o3net import _irreps_text
from pgnn.models.pg_hamiltonian import _slots
from pgnn.models.registry import model_options, register_model
from pgnn.nn.o3_conv import O3Conv, RadialEmbedding
from pgnn.nn.o3_hamiltonian import O3BlockHead, O3PairFeatures
from pgnn.schema import opt

OPTIONS = {
    "cutoff": opt(6.0, gt=0.0, doc="Angstrom: the pairs whose blocks are predicted (whole shells)"),
    "conv_cutoff": opt(4.5, gt=0.0, doc="Angstrom: message passing (<= cutoff)"),
    "l_max": opt(4, min=0, doc="edge harmonics and hidden features stop at this degree"),
    "hidden": opt("16x0e+4x0o+4x1o+4x1e+4x2e+4x2o+2x3o+2x3e+2x4e+2x4o", check=_irreps_text,
                  doc="irreps of the node features (irreps above l_max are dropped)"),
    "num_layers": common.num_layers(2),
    "num_basis": common.num_basis(8),
    "radial_hidden": opt(32, min=1),
    "slots": opt("sspd", check=_slots, doc="padded orbital layout, letters of spdf"),
    "pair_channels": opt(8, min=1),
    "pair_hidden": opt(64, min=1),
    "avg_num_neighbors": opt(None, float, gt=0.0),
    "symprec": opt(0.01, gt=0.0, doc="unused by the model (kept for the common sample code)"),
}


@register_model("o3_hamiltonian")
class O3Hamiltonian(nn.Module):
    """O(3)-equivariant Hamiltonian model (see module docstring)."""

    task = "hamiltonian"
    graph_kind = "hamiltonian"
    options = OPTIONS

    def __init__(self, config: dict, targets=()) -> None:
        super().__init__()
        cfg = model_options(type(self), config)
        if cfg["conv_cutoff"] > cfg["cutoff"]:
            raise ConfigError(f"model.conv_cutoff ({cfg['conv_cutoff']}) must not exceed model.cutoff "
                              f"({cfg['cutoff']})", key="model.conv_cutoff")
        self.config = cfg
        l_max = int(cfg["l_max"])
        hidden = o3.Irreps([(m, ir) for m, ir in o3.Irreps(cfg["hidden"]).simplify() if ir.l <= l_max]).simplify()
        n0 = sum(m for m, ir in hidden if ir == o3.Irrep("0e"))
        if n0 == 0:
            raise ConfigError(f"model.hidden: needs 0e channels, got {hidden}", key="model.hidden")
        self.embedding = nn.Embedding(120, n0)
        self.irreps_sh = o3.Irreps.spherical_harmonics(l_max)
        self.radial = RadialEmbedding(cutoff=float(cfg["conv_cutoff"]), num_basis=int(cfg["num_basis"]))
        ann = cfg["avg_num_neighbors"]
        self.register_buffer("avg_num_neighbors", torch.tensor(float(ann) if ann else float("nan")))
        layers, irreps = [], o3.Irreps(f"{n0}x0e")
        for _ in range(int(cfg["num_layers"])):
            layers.append(O3Conv(irreps, hidden, self.irreps_sh, num_basis=int(cfg["num_basis"]),
                                 radial_hidden=int(cfg["radial_hidden"])))
            irreps = layers[-1].irreps_out
        self.layers = nn.ModuleList(layers)
        self.pair = O3PairFeatures(irreps, l_max, channels=cfg["pair_channels"], cutoff=cfg["cutoff"],
                                   n_basis=cfg["num_basis"], hidden=cfg["pair_hidden"])
        self.onsite = O3BlockHead(irreps, cfg["slots"], symmetric=True)
        self.hopping = O3BlockHead(self.pair.irreps_out, cfg["slots"])
        self.level = nn.Embedding(120, len(cfg["slots"]))
        nn.init.zeros_(self.level.weight)
        self.register_buffer("slot_of_orb", torch.as_tensor(hc.slot_of_orbital(cfg["slots"])), persistent=False)

    @classmethod
    def graph_options(cls, config: dict) -> dict:
        return dict(model_options(cls, config))

    def prepare(self, cell, positions, numbers, bases, blocks=None, source: str = "") -> dict:
        return hc.prepare(self.config, cell, positions, numbers, bases, blocks, source, frame_groups=None)

    def forward(self, batch: dict) -> torch.Tensor:
        dt = self.level.weight.dtype
        src, dst = batch["edge_src"], batch["edge_dst"]
        if torch.isnan(self.avg_num_neighbors):
            self.avg_num_neighbors.fill_(max(src.shape[0] / max(int(batch["z"].shape[0]), 1), 1.0))
        vec = batch["edge_vec"].to(dt)
        sh = o3.spherical_harmonics(self.irreps_sh, vec, normalize=True, normalization="component")
        rad = self.radial(torch.linalg.norm(vec, dim=-1))
        x = self.embedding(batch["z"]).to(dt)
        ei = torch.stack([src, dst])
        for layer in self.layers:
            x = layer(x, ei, sh, rad, self.avg_num_neighbors)
        on = batch["onsite"]
        hop = ~on
        n = len(self.slot_of_orb)
        H = x.new_zeros((on.shape[0], n, n))
        if bool(hop.any()):
            feats = self.pair(x, batch["pair_i"][hop], batch["pair_j"][hop], batch["pair_vec"][hop].to(dt))
            H = H.index_put((torch.nonzero(hop).reshape(-1),), self.hopping(feats))
        if bool(on.any()):
            zi = batch["z"][batch["pair_i"][on]]
            Ho = self.onsite(x[batch["pair_i"][on]]) + hc.onsite_bias(self.level, zi, self.slot_of_orb).to(dt)
            H = H.index_put((torch.nonzero(on).reshape(-1),), Ho)
        return hc.symmetrize_pairs(H, batch["partner"])

    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad)
