"""PGNet: the point-group-equivariant crystal network (seed 003, section 3; seed 002, "Crystal Networks").

Per model group G (a named group such as "Oh", or "holohedry" = Oh for every crystal whose point group is a
subgroup of Oh in its standard setting and D6h for trigonal and hexagonal crystals):

    atom types -> trivial-irrep embedding
    -> num_layers x [PGConv (edge features in G-irreps) -> gated nonlinearity]
    -> read-outs: invariant scalars (trivial channels) and Cartesian tensors (pooled features mapped onto the
       G-irrep decomposition of the tensor space), which obey Neumann's principle by construction.

Frames: the graph (`pgnn.graphs.pg_crystal_graph`, kind "pg_crystal_graph") is built from the idealized
standardized primitive cell rotated back to the input orientation, with `pg_rot` = Q (r_standard = Q r_input) and `pg_group` (index of the model group used). The
network runs on r_standard edge vectors, so the crystal's symmetry operations are G's matrices, and tensors are
rotated back to the input frame: t_input = Q^T . t_standard on every index. A crystal that fits none of the model's
groups raises `pgnn.errors.SymmetryError` when its graph is built.

Config keys (schema and defaults in OPTIONS; resolved once by `model_options(PGNet, config)` in `PGNet.__init__`
and `PGNet.graph_options`, and handed resolved to each PGNetCore): group, edge ("harmonic" | "averaged" |
"averaged_sh": the group average at harmonic cost, angular degree edge_l_max), l_max, edge_copies, edge_l_max,
scalars, nonscalars (channels per non-trivial irrep) or hidden (a layout string, or {group: layout}), num_layers,
cutoff, max_neighbors (shell-complete cap), num_basis, radial_hidden, radial_weights (how PGConv shares its radial
weights: "path_channel" | "pair_channel" | "path"), atom_embedding ("learned" | "engineered" | "both"),
site_classes (bool), symprec, tensor_scale.
Forward: batch -> {target name: [B] scalars | [B, 3, ..., 3] tensors in the frame of batch.pos}.
"""

from __future__ import annotations

import torch
from torch import nn

from pgnn.errors import ConfigError
from pgnn.nn.embedding import AtomEmbedding
from pgnn.nn.pg_conv import PGConv
from pgnn.groups.layout import PGIrreps, get_group
from pgnn.nn.pg_edge_features import GroupAveragedEdgeFeatures, HarmonicEdgeFeatures, ProjectedHarmonicEdgeFeatures
from pgnn.nn.pg_gate import PGGate
from pgnn.nn.norm_direction import NormTimesDirection
from pgnn.nn.pg_readout import PGScalarReadout, PGTensorReadout
from pgnn.nn.site_class_map import SiteClassMap
from pgnn.tensors.rotate import rotate

from pgnn.graphs.pg_crystal_graph import build_pg_crystal_graph
from pgnn.models import common
from pgnn.models.registry import model_options, register_model
from pgnn.schema import opt
from pgnn.structures.standard_frame import HOLOHEDRY, POINT_GROUPS


def _group_name(value: str) -> str | None:
    if value == "holohedry":
        return None
    try:
        get_group(value)
    except Exception as exc:  # noqa: BLE001 - any lookup failure is a bad name
        return f"not a point group name (Schoenflies or Hermann-Mauguin) nor 'holohedry' ({exc})"
    return None


OPTIONS = {
    "group": opt("holohedry", check=_group_name, doc="a point group, or holohedry (Oh or D6h per crystal)"),
    "edge": opt("harmonic", choices=("harmonic", "averaged", "group_averaged", "averaged_sh")),
    "l_max": opt(3, min=0),
    "edge_copies": opt(2, min=1),
    "edge_l_max": opt(8, min=1, doc='angular degree of the learned bond function of edge "averaged_sh"'),
    "scalars": opt(32, min=1),
    "nonscalars": opt(8, min=0),
    "hidden": opt(None, str, dict, doc="layout string or {group: layout}; null: scalars + nonscalars"),
    "num_layers": common.num_layers(3),
    # the shipped pg models state cutoff 4.5 explicitly; 4.5 is also the o3 default
    "cutoff": common.cutoff(common.EQUIVARIANT_CUTOFF),
    "max_neighbors": common.max_neighbors(16),
    "num_basis": common.num_basis(8),  # Bessel functions of the bond length
    "radial_hidden": opt(32, min=1),
    "radial_weights": opt("path_channel", choices=("path_channel", "pair_channel", "path"),
                          doc="how PGConv shares its radial weights (pgnn.nn.pg_conv)"),
    "atom_embedding": common.atom_embedding("learned"),
    "site_classes": opt(False),
    "site_class_set": opt(None, list, doc="site classes with their own weights, most frequent first (filled by "
                                          "pgnn fit from the training data); null: all 32"),
    "norm_direction": opt(False, doc="tensor targets: size from invariant (trivial-irrep) features times the "
                                     "direction of the tensor read-out (pgnn.nn.norm_direction)"),
    "symprec": opt(0.01, gt=0.0),
    "tensor_scale": opt({}, doc="{target name: scale of the tensor read-out}"),
}
RENAMED = {"n_layers": "num_layers", "n_basis": "num_basis"}  # read from old run folders only


def model_groups(config: dict) -> list[str]:
    g = config.get("group", OPTIONS["group"].default)
    if g == "holohedry":
        return list(HOLOHEDRY)
    return [get_group(g).name]


def _target_kind(t) -> tuple[str, str]:
    if isinstance(t, dict):
        return t["name"], t.get("kind", "scalar")
    if isinstance(t, (tuple, list)):
        return t[0], t[1]
    return t.name, getattr(t, "kind", "scalar")


def hidden_layout(G, config: dict) -> PGIrreps:
    """Hidden layout of one group: `hidden` if given, else scalars x trivial + nonscalars x every other irrep."""
    hidden = config.get("hidden")
    if isinstance(hidden, dict):
        hidden = hidden.get(G.name)
    if hidden:
        return PGIrreps(G, hidden).simplify()
    triv = G.trivial_irrep
    terms = [(config["scalars"], triv)] + [(config["nonscalars"], ir.name) for ir in G.irreps if ir.name != triv]
    return PGIrreps(G, [(m, n) for m, n in terms if m > 0])


class PGNetCore(nn.Module):
    """The network of one group, in the standard setting of G (see module docstring). `config`: resolved
    options (`model_options(PGNet, config)`), as PGNet hands them over.

    forward(z [N], edge_index [2, E], edge_vec [E, 3] standard frame, batch [N], num_graphs, node_class [N] | None)
    -> {target: [B] or [B, 3, ..., 3] standard frame}.
    """

    def __init__(self, group, config: dict, targets) -> None:
        super().__init__()
        G = get_group(group)
        self.group_name = G.name
        missing = set(OPTIONS) - set(config)
        if missing:
            raise TypeError(f"PGNetCore takes resolved options (model_options(PGNet, config)); missing {sorted(missing)}")
        cfg = config
        triv = G.trivial_irrep
        if cfg["edge"] == "harmonic":
            self.edge = HarmonicEdgeFeatures(G, cfg["l_max"])
        elif cfg["edge"] in ("averaged", "group_averaged"):
            self.edge = GroupAveragedEdgeFeatures(G, copies=cfg["edge_copies"], cutoff=cfg["cutoff"],
                                                  n_basis=cfg["num_basis"])
        elif cfg["edge"] == "averaged_sh":
            self.edge = ProjectedHarmonicEdgeFeatures(G, copies=cfg["edge_copies"], l_max=cfg["edge_l_max"],
                                                      cutoff=cfg["cutoff"], n_basis=cfg["num_basis"])
        else:
            raise ValueError(f"edge must be 'harmonic', 'averaged' or 'averaged_sh', not {cfg['edge']!r}")
        hidden = hidden_layout(G, cfg)
        self.targets = [_target_kind(t) for t in targets]
        need = set()
        for _, kind in self.targets:
            if kind != "scalar":
                need |= set(G.tensor_space(kind).irreps)
        last = (hidden + [(max(4, cfg["nonscalars"]), n) for n in need if hidden.count(n) == 0]).simplify()
        self.n_scalars = hidden.count(triv)
        if cfg["atom_embedding"] == "learned":
            self.embed = nn.Embedding(120, self.n_scalars)
        else:
            self.embed = AtomEmbedding(self.n_scalars, cfg["atom_embedding"])
        cur = PGIrreps(G, [(self.n_scalars, triv)])
        self.convs, self.gates = nn.ModuleList(), nn.ModuleList()
        self.class_map = SiteClassMap(cfg["site_class_set"]) if cfg["site_classes"] else None
        n_classes = self.class_map.n_slots if cfg["site_classes"] else 0
        avg = float(cfg["max_neighbors"] or 12)
        for i in range(cfg["num_layers"]):
            lay = last if i == cfg["num_layers"] - 1 else hidden
            gate = PGGate(lay)
            conv = PGConv(cur, self.edge.irreps_out, gate.irreps_in, n_basis=cfg["num_basis"], cutoff=cfg["cutoff"],
                          radial_hidden=cfg["radial_hidden"], avg_neighbors=avg, n_classes=n_classes,
                          radial=cfg["radial_weights"])
            self.convs.append(conv)
            self.gates.append(gate)
            cur = gate.irreps_out
        self.irreps_out = cur
        self.readouts = nn.ModuleDict()
        scales = cfg.get("tensor_scale") or {}
        for name, kind in self.targets:
            if kind == "scalar":
                self.readouts[name] = PGScalarReadout(cur)
            else:
                self.readouts[name] = PGTensorReadout(cur, kind, scale=float(scales.get(name, 1.0)))
        self.sizes = nn.ModuleDict({name: PGScalarReadout(cur) for name, kind in self.targets
                                    if kind != "scalar" and cfg["norm_direction"]})
        self.norm_direction = NormTimesDirection()

    def features(self, z, edge_index, edge_vec, node_class=None) -> torch.Tensor:
        """Node features [N, irreps_out.dim] after all layers."""
        dt = edge_vec.dtype
        if self.class_map is not None and node_class is not None:
            node_class = self.class_map(node_class)
        x = self.embed(z).to(dt)
        ef = self.edge(edge_vec)
        length = torch.linalg.norm(edge_vec, dim=-1)
        for conv, gate in zip(self.convs, self.gates):
            y = gate(conv(x, edge_index, ef, length, node_class))
            x = x + y if gate.irreps_out == conv.irreps_in else y  # the seed's v + sum(...) when layouts agree
        return x

    def forward(self, z, edge_index, edge_vec, batch, num_graphs, node_class=None) -> dict:
        x = self.features(z, edge_index, edge_vec, node_class)
        out = {name: self.readouts[name](x, batch, num_graphs) for name, _ in self.targets}
        for name, size in self.sizes.items():
            out[name] = self.norm_direction(out[name], size(x, batch, num_graphs))
        return out


@register_model("pgnet")
class PGNet(nn.Module):
    """Point-group-equivariant network with frames and group routing (see module docstring)."""

    graph_kind = "pg_crystal_graph"
    options = OPTIONS
    renamed = RENAMED

    def __init__(self, config: dict, targets) -> None:
        super().__init__()
        self.config = model_options(type(self), config)
        self.group_names = model_groups(self.config)
        self.targets = [_target_kind(t) for t in targets]
        self.cores = nn.ModuleDict({g: PGNetCore(g, self.config, targets) for g in self.group_names})

    def n_parameters(self) -> int:
        """Trainable parameters, leaving out the zero padding of PGConv's packed weights."""
        total = sum(p.numel() for p in self.parameters() if p.requires_grad)
        return total - sum(m.n_masked_parameters() for m in self.modules() if isinstance(m, PGConv))

    @classmethod
    def graph_options(cls, config: dict) -> dict:
        cfg = model_options(cls, config)
        return {"cutoff": cfg["cutoff"], "max_neighbors": cfg["max_neighbors"], "pg_groups": model_groups(cfg),
                "symprec": cfg["symprec"]}

    def forward(self, batch) -> dict:
        if getattr(batch, "pg_rot", None) is None or getattr(batch, "pg_group", None) is None:
            raise ConfigError("PGNet needs graphs of kind 'pg_crystal_graph' (pgnn.graphs.pg_crystal_graph), which "
                              "carry the rotation to the standard setting (pg_rot) and the model group (pg_group)")
        dt = next(self.parameters()).dtype
        src, dst = batch.edge_index
        num_graphs = int(batch.num_graphs) if hasattr(batch, "num_graphs") else 1
        gb = batch.batch if getattr(batch, "batch", None) is not None else torch.zeros_like(batch.z)
        pos, cell = batch.pos.to(dt), batch.cell.to(dt).reshape(-1, 3, 3)
        Q = batch.pg_rot.to(dt).reshape(-1, 3, 3)
        ge = gb[dst]
        vec_in = pos[src] + torch.einsum("ek,ekl->el", batch.edge_shift.to(dt), cell[ge]) - pos[dst]
        vec_std = torch.einsum("eij,ej->ei", Q[ge], vec_in)
        group_of_graph = batch.pg_group.reshape(-1)
        node_class = getattr(batch, "site_class", None)
        out = {}
        for name, kind in self.targets:
            shape = (num_graphs,) if kind == "scalar" else (num_graphs,) + (3,) * int(
                {"vector": 1, "dielectric": 2, "piezoelectric": 3, "elastic": 4}.get(kind, len(kind.split("=")[0])))
            out[name] = pos.new_zeros(shape)
        for k, gname in enumerate(self.group_names):
            gmask = group_of_graph == k
            if not bool(gmask.any()):
                continue
            core = self.cores[gname]
            if bool(gmask.all()):
                res = core(batch.z, batch.edge_index, vec_std, gb, num_graphs, node_class)
                graphs = torch.arange(num_graphs, device=pos.device)
            else:
                nmask = gmask[gb]
                emask = nmask[dst]
                new_index = torch.cumsum(nmask.long(), 0) - 1
                graphs = torch.nonzero(gmask).reshape(-1)
                graph_new = torch.cumsum(gmask.long(), 0) - 1
                res = core(batch.z[nmask], new_index[batch.edge_index[:, emask]], vec_std[emask],
                           graph_new[gb[nmask]], int(graphs.numel()),
                           None if node_class is None else node_class[nmask])
            for name, kind in self.targets:
                val = res[name]
                if kind != "scalar":
                    val = rotate(val, Q[graphs].transpose(1, 2))
                out[name] = out[name].index_copy(0, graphs, val)
        return out


def build_graph(structure, config: dict | None = None, source: str = ""):
    """The PGNet graph of a structure for a model config (or graph options): `build_pg_crystal_graph` with
    `PGNet.graph_options(config)`. Raises SymmetryError when the crystal fits none of the model's groups."""
    options = config if config and "pg_groups" in config else PGNet.graph_options(config or {})
    return build_pg_crystal_graph(structure, options, source)
