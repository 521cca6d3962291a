"""Crystal hypergraph of one structure as a torch_geometric `HeteroData` (see docs/CONTRACTS.md).

Node type `atom`: z [N] long, pos [N, 3] (Angstrom); graph-level cell [1, 3, 3], as in a crystal graph.
One node type per hyperedge type, each with features `x` and, for geometric types, the lattice shifts of its
members so that a model can recompute the geometry from pos/cell; incidence relations ("atom", "in", <type>) with
edge_index [2, n_incidences] (row 0 = atom, row 1 = hyperedge) and `role` [n_incidences] long (0 = the centre atom
of the hyperedge, 1, 2, ... = the other members in the order documented per type):

  bond     directed pairs (centre i, neighbour j) of the neighbour list (cutoff; max_neighbors per atom plus the
           rest of the max_neighbors-th neighbour's distance shell, as `neighbors.neighbor_list` keeps them);
           x [E, 1] = distance (Angstrom); shift [E, 3] lattice shift of j; incidences (i, role 0), (j, role 1).
  triplet  unordered pairs of bonds (i->j, i->k) sharing the centre i; x [T, 3] = (cos angle_jik, d_ij, d_ik);
           shift [T, 2, 3]; incidences (i, 0), (j, 1), (k, 2). Per atom `max_triplets_per_atom` pairs of nearest
           bonds (ordered by the larger, then the smaller, shell number of the two bonds) plus every other pair
           with the same two shells as the last one kept (whole shells, independent of the atom order).
  motif    first coordination shell of every atom (`pgnn.graphs.motifs.first_shells`, distance-gap rule);
           x [N, 30 + 36 + 1] = local structure order parameters (`order_params.OP_TYPES`, undefined -> 0),
           continuous symmetry measures / 100 against `csm.CSM_GEOMETRIES` (1 when the polyhedron has a
           different number of vertices), coordination number; incidences (i, 0), each shell member (j, 1).
  unit_cell  one hyperedge holding every atom; x [1, 1] = volume per atom (Angstrom^3); incidences (i, 1).
           (Named `unit_cell`, not `cell`: `cell` is already the graph-level lattice attribute.)

All features are functions of distances and angles only: invariant under rotations and atom permutations.
"""

from __future__ import annotations

import numpy as np
import torch
from pymatgen.core import Structure
from torch_geometric.data import HeteroData

from pgnn.errors import StructureError
from pgnn.graphs.csm import CSM_GEOMETRIES, continuous_symmetry_measures
from pgnn.graphs.motifs import first_shells
from pgnn.graphs.neighbors import Neighbors, cap_whole_shells, neighbor_list, shell_index
from pgnn.graphs.order_params import OP_TYPES, order_parameters

HYPEREDGE_TYPES = ("bond", "triplet", "motif", "unit_cell")
#: Bump when the output of `build_crystal_hypergraph` changes (part of the featurizer cache key).
HYPERGRAPH_BUILDER_VERSION = "2"  # 2: caps keep whole distance shells
#: Width of the feature vector of each hyperedge type.
FEATURE_DIMS = {"bond": 1, "triplet": 3, "motif": len(OP_TYPES) + len(CSM_GEOMETRIES) + 1, "unit_cell": 1}


def _incidence(atoms: np.ndarray, edges: np.ndarray, roles: np.ndarray):
    return (
        torch.from_numpy(np.stack([atoms, edges]).astype(np.int64)),
        torch.from_numpy(roles.astype(np.int64)),
    )


def motif_features(vectors: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """[M, FEATURE_DIMS["motif"]] features of padded motifs (vectors [M, K, 3] Angstrom, mask [M, K] bool).

    Order parameters (undefined -> 0), CSM / 100 (1 for polyhedra of another size), coordination number.
    Every feature is invariant to rotation, permutation of the members and scale, so motifs with the same sorted
    pairwise distances up to scale (e.g. symmetry-equivalent atoms, or the same prototype in another compound)
    are computed once.
    """
    M, K, _ = vectors.shape
    size = mask.sum(1)
    if M == 0:
        return np.zeros((0, FEATURE_DIMS["motif"]))
    allp = np.concatenate([np.zeros((M, 1, 3)), np.where(mask[..., None], vectors, 0.0)], axis=1)
    d = np.linalg.norm(allp[:, :, None] - allp[:, None], axis=-1)
    both = np.concatenate([np.ones((M, 1), bool), mask], 1)
    d = np.where(both[:, :, None] & both[:, None, :], d, 0.0)
    iu = np.triu_indices(K + 1, 1)
    d = d[:, iu[0], iu[1]]
    d = d / np.maximum(d.max(1, keepdims=True), 1e-12)
    key = np.concatenate([size[:, None].astype(np.float64), np.round(np.sort(d, axis=1), 6)], axis=1)
    _, rep, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inv = inv.reshape(-1)
    v, m = vectors[rep], mask[rep]
    ops = np.nan_to_num(order_parameters(v, m), nan=0.0)
    csm = continuous_symmetry_measures(v, m, dedupe=False) / 100.0
    x = np.concatenate([ops, csm, size[rep, None].astype(np.float64)], axis=1)
    return x[inv]


def build_crystal_hypergraph(
    structure: Structure,
    hyperedges: tuple[str, ...] | list[str] = ("bond", "triplet", "motif"),
    cutoff: float = 8.0,
    max_neighbors: int | None = 12,
    max_triplets_per_atom: int | None = 66,
    motif_window: float = 0.5,
    motif_gap: float = 0.1,
    source: str = "",
    dtype: torch.dtype = torch.float32,
) -> HeteroData:
    """Heterogeneous crystal hypergraph with the requested hyperedge types (see the module docstring).

    cutoff (Angstrom) and max_neighbors define bonds (and bound the search for motifs); raises StructureError
    naming `source` if an atom has no neighbour within `cutoff`.
    """
    out = build_crystal_hypergraphs(
        [structure], hyperedges, cutoff, max_neighbors, max_triplets_per_atom, motif_window, motif_gap,
        sources=[source], dtype=dtype,
    )[0]
    if isinstance(out, StructureError):
        raise out
    return out


def build_crystal_hypergraphs(
    structures,
    hyperedges: tuple[str, ...] | list[str] = ("bond", "triplet", "motif"),
    cutoff: float = 8.0,
    max_neighbors: int | None = 12,
    max_triplets_per_atom: int | None = 66,
    motif_window: float = 0.5,
    motif_gap: float = 0.1,
    sources=None,
    dtype: torch.dtype = torch.float32,
) -> list:
    """Hypergraphs of many structures, with the motif features of all of them computed in one vectorized pass.

    Returns one entry per structure: a HeteroData, or the StructureError that made it unusable.
    """
    unknown = set(hyperedges) - set(HYPEREDGE_TYPES)
    if unknown:
        raise ValueError(f"unknown hyperedge types {sorted(unknown)}; known: {HYPEREDGE_TYPES}")
    sources = list(sources) if sources is not None else [""] * len(structures)
    results: list = []
    shells = []
    for structure, source in zip(structures, sources):
        try:
            data, nb_all, n = _geometry(structure, hyperedges, cutoff, max_neighbors, max_triplets_per_atom,
                                        source, dtype)
        except StructureError as exc:
            results.append(exc)
            continue
        m = first_shells(nb_all, n, window=motif_window, gap=motif_gap) if "motif" in hyperedges else None
        results.append((data, nb_all, n, m))
        if m is not None:
            shells.append(m)
    if shells:
        K = max(m.vectors.shape[1] for m in shells)
        vec = np.concatenate([np.pad(m.vectors, ((0, 0), (0, K - m.vectors.shape[1]), (0, 0))) for m in shells])
        msk = np.concatenate([np.pad(m.mask, ((0, 0), (0, K - m.mask.shape[1]))) for m in shells])
        feats = motif_features(vec, msk)
        offsets = np.cumsum([0] + [len(m.size) for m in shells])
    out, k = [], 0
    for r in results:
        if isinstance(r, StructureError):
            out.append(r)
            continue
        data, nb_all, n, m = r
        if m is not None:
            _add_motifs(data, nb_all, n, m, feats[offsets[k]: offsets[k + 1]], dtype)
            k += 1
        out.append(data)
    return out


def _geometry(structure, hyperedges, cutoff, max_neighbors, max_triplets_per_atom, source, dtype):
    """Atoms, bonds, triplets and cell of one structure; returns (data, uncapped neighbour list, n atoms)."""
    pos = np.asarray(structure.cart_coords, dtype=np.float64)
    cell = np.asarray(structure.lattice.matrix, dtype=np.float64)
    n = len(pos)
    nb_all = neighbor_list(pos, cell, cutoff=cutoff, max_neighbors=None)
    counts = nb_all.counts(n)
    if (counts == 0).any():
        lonely = int(np.flatnonzero(counts == 0)[0])
        raise StructureError(
            source or structure.composition.reduced_formula,
            f"atom {lonely} ({structure[lonely].specie}) has no neighbour within the cutoff of {cutoff} A",
        )
    bonds = cap_whole_shells(nb_all, n, max_neighbors)  # whole shells: the same edges as a capped crystal graph

    data = HeteroData()
    data["atom"].z = torch.tensor(structure.atomic_numbers, dtype=torch.long)
    data["atom"].pos = torch.tensor(pos, dtype=dtype)
    data["atom"].num_nodes = n
    data.cell = torch.tensor(cell, dtype=dtype).unsqueeze(0)

    if "bond" in hyperedges:
        E = len(bonds)
        e = np.arange(E)
        data["bond"].x = torch.tensor(bonds.distance[:, None], dtype=dtype)
        data["bond"].shift = torch.tensor(bonds.shift, dtype=dtype)
        data["bond"].num_nodes = E
        atoms = np.stack([bonds.center, bonds.neighbor], 1).reshape(-1)
        ei, role = _incidence(atoms, np.repeat(e, 2), np.tile([0, 1], E))
        data["atom", "in", "bond"].edge_index = ei
        data["atom", "in", "bond"].role = role

    if "triplet" in hyperedges:
        _add_triplets(data, bonds, n, max_triplets_per_atom, dtype)

    if "unit_cell" in hyperedges:
        data["unit_cell"].x = torch.tensor([[abs(np.linalg.det(cell)) / n]], dtype=dtype)
        data["unit_cell"].num_nodes = 1
        ei, role = _incidence(np.arange(n), np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.int64))
        data["atom", "in", "unit_cell"].edge_index = ei
        data["atom", "in", "unit_cell"].role = role
    return data, nb_all, n


def _add_motifs(data: HeteroData, nb_all: Neighbors, n: int, m, x: np.ndarray, dtype) -> None:
    """Motif hyperedges (one per atom: the atom and its first shell) with precomputed features x [n, F]."""
    data["motif"].x = torch.tensor(x, dtype=dtype)
    data["motif"].num_nodes = n
    data["motif"].size = torch.from_numpy(m.size)
    centers = nb_all.center[m.edge]
    atoms = np.concatenate([np.arange(n), nb_all.neighbor[m.edge]])
    edges = np.concatenate([np.arange(n), centers])
    roles = np.concatenate([np.zeros(n, dtype=np.int64), np.ones(len(m.edge), dtype=np.int64)])
    order = np.lexsort((roles, edges))
    ei, role = _incidence(atoms[order], edges[order], roles[order])
    data["atom", "in", "motif"].edge_index = ei
    data["atom", "in", "motif"].role = role
    data["motif"].shift = torch.tensor(nb_all.shift[m.edge], dtype=dtype)  # [sum(size), 3], member order


def _add_triplets(data: HeteroData, bonds: Neighbors, n: int, cap: int | None, dtype) -> None:
    """Triplet hyperedges from pairs of bonds with a common centre (bonds sorted by centre then distance).

    With a cap, each centre keeps its `cap` pairs of nearest bonds, ordered by the (larger, smaller) shell number
    of the two bonds, plus every other pair with the same shell numbers as the cap-th one: whole shells, so the
    set of triplets does not depend on the atom order."""
    counts = bonds.counts(n)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    K = int(counts.max()) if n else 0
    a_idx, b_idx = np.triu_indices(K, 1)  # all rank pairs a < b
    ea, eb, ctr = [], [], []
    for size in np.unique(counts):
        atoms = np.flatnonzero(counts == size)
        ok = b_idx < size
        pa, pb = a_idx[ok], b_idx[ok]
        ea.append((starts[atoms][:, None] + pa[None]).reshape(-1))
        eb.append((starts[atoms][:, None] + pb[None]).reshape(-1))
        ctr.append(np.repeat(atoms, len(pa)))
    ea = np.concatenate(ea) if ea else np.zeros(0, np.int64)
    eb = np.concatenate(eb) if eb else np.zeros(0, np.int64)
    ctr = np.concatenate(ctr) if ctr else np.zeros(0, np.int64)
    if cap is not None and len(ea):
        shell = shell_index(bonds, n)
        key = shell[eb] * (int(shell.max()) + 1) + shell[ea]  # (larger, smaller) shell number; ea < eb by rank
        order = np.lexsort((key, ctr))
        key_sorted = key[order]
        n_pairs = np.bincount(ctr, minlength=n)
        first = np.cumsum(n_pairs) - n_pairs
        limit = np.full(n, -1, dtype=np.int64)
        has = n_pairs > 0
        limit[has] = key_sorted[first[has] + np.minimum(n_pairs[has], int(cap)) - 1]
        keep = key <= limit[ctr] if cap > 0 else np.zeros(len(ea), dtype=bool)
        ea, eb, ctr = ea[keep], eb[keep], ctr[keep]
    srt = np.lexsort((eb, ea, ctr))
    ea, eb, ctr = ea[srt], eb[srt], ctr[srt]
    va, vb = bonds.vector[ea], bonds.vector[eb]
    da, db = bonds.distance[ea], bonds.distance[eb]
    cos = np.clip(np.sum(va * vb, -1) / (da * db), -1.0, 1.0)
    T = len(ea)
    data["triplet"].x = torch.tensor(np.stack([cos, da, db], 1), dtype=dtype)
    data["triplet"].shift = torch.tensor(np.stack([bonds.shift[ea], bonds.shift[eb]], 1), dtype=dtype)
    data["triplet"].num_nodes = T
    atoms = np.stack([ctr, bonds.neighbor[ea], bonds.neighbor[eb]], 1).reshape(-1)
    ei, role = _incidence(atoms, np.repeat(np.arange(T), 3), np.tile([0, 1, 2], T))
    data["atom", "in", "triplet"].edge_index = ei
    data["atom", "in", "triplet"].role = role


def hypergraph_from_options(structure: Structure, options: dict, source: str = "") -> HeteroData:
    """Featurizer entry point: `build_crystal_hypergraph` with keyword options from a model's `graph_options`."""
    return build_crystal_hypergraph(
        structure,
        hyperedges=tuple(options.get("hyperedges", ("bond", "triplet", "motif"))),
        cutoff=float(options.get("cutoff", 8.0)),
        max_neighbors=options.get("max_neighbors", 12),
        max_triplets_per_atom=options.get("max_triplets_per_atom", 66),
        motif_window=float(options.get("motif_window", 0.5)),
        motif_gap=float(options.get("motif_gap", 0.1)),
        source=source,
    )
