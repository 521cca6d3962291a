"""PG Hamiltonian model: point-group network that predicts the blocks H_ij(R) of a crystal (seed 003, section 3).

Per crystal, in its standard frame (rotation `rot` from `pgnn.structures.standard_frame`) with G = its holohedry
(Oh, or D6h for trigonal and hexagonal crystals; `group` option for one fixed group):

    atoms -> PGNetCore node features x (PGConv layers over the pairs within conv_cutoff)
    on-site  H_ii(0) = PGHamiltonianBlock(x_i)                          (symmetric; + element level per shell)
    hopping  f(i, j, R) = PGHamiltonianBlock(PGPairFeatures(x_i, x_j, F(r_j + R - r_i)))
             H_ij(R) = (f(i, j, R) + f(j, i, -R)^T) / 2                  (Hermitian by construction)

both blocks map G-irreps onto (orbital irreps of the slots) x (orbital irreps of the slots), the padded orbital
layout (`pgnn.hamiltonians.pairs`, default "sspd") subduced into G-irreps (`G.harmonics`), and are taken to
e3nn's real-harmonic orbitals by the subduction matrix Q: H_orb = Q^T H Q. Blocks are rotated back to the input
frame with the real-harmonic matrices of each shell: H_input = D(rot)^T H_std D(rot). Equivariance:
H_{g(i) g(j)}(g R) = D_i(g) H_ij(R) D_j(g)^T for every g in G, exactly.

Options (OPTIONS): the PGNet options for the node network (group, edge, l_max (edge harmonics, also of the pair
features), scalars, nonscalars, hidden, num_layers, num_basis, radial_hidden, ...), plus cutoff (Angstrom: pairs
whose blocks are predicted), conv_cutoff (Angstrom: message passing), slots, pair_channels, pair_hidden.
forward(batch from `hamiltonian_common.collate`) -> H [P, n, n] eV, input frame.
"""

from __future__ import annotations

import torch
from torch import nn

from pgnn.groups.layout import PGIrreps, get_group
from pgnn.hamiltonians.pairs import slot_ls
from pgnn.models import hamiltonian_common as hc
from pgnn.models.pgnet import OPTIONS as PGNET_OPTIONS
from pgnn.models.pgnet import PGNetCore, model_groups
from pgnn.models.registry import model_options, register_model
from pgnn.nn.pg_edge_features import GroupAveragedEdgeFeatures, HarmonicEdgeFeatures, ProjectedHarmonicEdgeFeatures
from pgnn.nn.pg_hamiltonian import PGHamiltonianBlock
from pgnn.nn.pg_pair_features import PGPairFeatures
from pgnn.schema import opt


def _slots(value: str) -> str | None:
    try:
        slot_ls(value)
    except ValueError as exc:
        return str(exc)
    return None


OPTIONS = {
    **PGNET_OPTIONS,
    "l_max": opt(4, min=0, doc="harmonic edge features of the convolution and the pair features"),
    "scalars": opt(16, min=1),
    "nonscalars": opt(4, min=0),
    "num_layers": opt(2, min=1),
    "cutoff": opt(6.0, gt=0.0, doc="Angstrom: the pairs whose blocks are predicted (whole shells)"),
    "conv_cutoff": opt(4.5, gt=0.0, doc="Angstrom: message passing (<= cutoff)"),
    "max_neighbors": opt(None, int, min=1, doc="unused (pairs and edges are whole shells within the cutoffs)"),
    "slots": opt("sspd", check=_slots, doc="padded orbital layout, letters of spdf"),
    "pair_channels": opt(8, min=1),
    "pair_hidden": opt(64, min=1),
}


def pair_edge_module(G, cfg: dict, cutoff: float):
    if cfg["edge"] == "harmonic":
        return HarmonicEdgeFeatures(G, cfg["l_max"])
    if cfg["edge"] in ("averaged", "group_averaged"):
        return GroupAveragedEdgeFeatures(G, copies=cfg["edge_copies"], cutoff=cutoff, n_basis=cfg["num_basis"])
    return ProjectedHarmonicEdgeFeatures(G, copies=cfg["edge_copies"], l_max=cfg["edge_l_max"], cutoff=cutoff,
                                         n_basis=cfg["num_basis"])


class PGHamiltonianCore(nn.Module):
    """The network of one group G in its standard setting: forward(z, edge_index, edge_vec, pair_i, pair_j,
    pair_vec, partner, onsite) -> H [P, n, n] in e3nn orbitals, standard frame (vectors in the standard frame)."""

    def __init__(self, group, cfg: dict) -> None:
        super().__init__()
        G = get_group(group)
        self.group_name = G.name
        self.node = PGNetCore(G.name, {**cfg, "cutoff": cfg["conv_cutoff"], "max_neighbors": cfg["max_neighbors"]}, [])
        x_irreps = self.node.irreps_out
        self.pair_edge = pair_edge_module(G, cfg, cfg["cutoff"])
        self.pair = PGPairFeatures(x_irreps, self.pair_edge.irreps_out, channels=cfg["pair_channels"],
                                   cutoff=cfg["cutoff"], n_basis=cfg["num_basis"], hidden=cfg["pair_hidden"])
        orb, Q = G.harmonics(slot_ls(cfg["slots"]))
        self.orb = PGIrreps(G, orb)
        self.onsite = PGHamiltonianBlock(x_irreps, self.orb, self.orb, symmetric=True)
        self.hopping = PGHamiltonianBlock(self.pair.irreps_out, self.orb, self.orb)
        self.register_buffer("Q", torch.as_tensor(Q, dtype=torch.float64), persistent=False)

    def forward(self, z, edge_index, edge_vec, pair_i, pair_j, pair_vec, partner, onsite) -> torch.Tensor:
        x = self.node.features(z, edge_index, edge_vec)
        n = self.orb.dim
        H = x.new_zeros((pair_i.shape[0], n, n))
        hop = ~onsite
        if bool(hop.any()):
            v = pair_vec[hop]
            feats = self.pair(x, pair_i[hop], pair_j[hop], self.pair_edge(v), torch.linalg.norm(v, dim=-1))
            H = H.index_put((torch.nonzero(hop).reshape(-1),), self.hopping(feats))
        if bool(onsite.any()):
            H = H.index_put((torch.nonzero(onsite).reshape(-1),), self.onsite(x[pair_i[onsite]]))
        Q = self.Q.to(H.dtype)
        return hc.symmetrize_pairs(Q.T @ H @ Q, partner)  # last, so that H[partner] = H^T holds exactly


@register_model("pg_hamiltonian")
class PGHamiltonian(nn.Module):
    """Point-group Hamiltonian model with frames and group routing (see module docstring)."""

    task = "hamiltonian"
    graph_kind = "hamiltonian"
    options = OPTIONS

    def __init__(self, config: dict, targets=()) -> None:
        super().__init__()
        cfg = model_options(type(self), config)
        if cfg["conv_cutoff"] > cfg["cutoff"]:
            from pgnn.errors import ConfigError

            raise ConfigError(f"model.conv_cutoff ({cfg['conv_cutoff']}) must not exceed model.cutoff "
                              f"({cfg['cutoff']})", key="model.conv_cutoff")
        self.config = cfg
        self.group_names = model_groups(cfg)
        self.cores = nn.ModuleDict({g: PGHamiltonianCore(g, cfg) for g in self.group_names})
        self.level = nn.Embedding(120, len(cfg["slots"]))
        nn.init.zeros_(self.level.weight)
        self.register_buffer("slot_of_orb", torch.as_tensor(hc.slot_of_orbital(cfg["slots"])), persistent=False)

    @classmethod
    def graph_options(cls, config: dict) -> dict:
        return dict(model_options(cls, config))

    def prepare(self, cell, positions, numbers, bases, blocks=None, source: str = "") -> dict:
        return hc.prepare(self.config, cell, positions, numbers, bases, blocks, source, frame_groups=self.group_names)

    def forward(self, batch: dict) -> torch.Tensor:
        dt = self.level.weight.dtype
        rot = batch["rot"].to(dt)
        ag, pg = batch["atom_graph"], batch["pair_graph"]
        eg = ag[batch["edge_dst"]]
        edge_std = torch.einsum("eij,ej->ei", rot[eg], batch["edge_vec"].to(dt))
        pair_std = torch.einsum("eij,ej->ei", rot[pg], batch["pair_vec"].to(dt))
        n = len(self.slot_of_orb)
        H = edge_std.new_zeros((pg.shape[0], n, n))
        for k, name in enumerate(self.group_names):
            gmask = batch["group"] == k
            if not bool(gmask.any()):
                continue
            amask, pmask = gmask[ag], gmask[pg]
            emask = amask[batch["edge_dst"]]
            anew = torch.cumsum(amask.long(), 0) - 1
            pnew = torch.cumsum(pmask.long(), 0) - 1
            ei = torch.stack([anew[batch["edge_src"][emask]], anew[batch["edge_dst"][emask]]])
            Hk = self.cores[name](batch["z"][amask], ei, edge_std[emask], anew[batch["pair_i"][pmask]],
                                  anew[batch["pair_j"][pmask]], pair_std[pmask], pnew[batch["partner"][pmask]],
                                  batch["onsite"][pmask])
            H = H.index_put((torch.nonzero(pmask).reshape(-1),), Hk)
        D = batch["Drot"].to(dt)[pg]
        H = D.transpose(1, 2) @ H @ D
        on = batch["onsite"]
        bias = hc.onsite_bias(self.level, batch["z"][batch["pair_i"][on]], self.slot_of_orb).to(dt)
        H = H.index_put((torch.nonzero(on).reshape(-1),), H[on] + bias)
        return hc.symmetrize_pairs(H, batch["partner"])  # exact after the rotation's rounding

    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad)
