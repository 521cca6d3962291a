"""Crystal graph of one structure as a torch_geometric `Data` object (see docs/CONTRACTS.md)."""

from __future__ import annotations

import numpy as np
import torch
from pymatgen.core import Structure
from torch_geometric.data import Data

from pgnn.errors import StructureError
from pgnn.graphs.neighbors import Neighbors, neighbor_list, neighbor_lists


def build_crystal_graph(
    structure: Structure,
    cutoff: float = 8.0,
    max_neighbors: int | None = 12,
    source: str = "",
) -> Data:
    """Nodes = atoms of the cell, directed edges j -> i for the capped neighbour list.

    Returns Data with z [N], pos [N,3], cell [1,3,3], edge_index [2,E] (row 0 = neighbour j, row 1 = centre i),
    edge_shift [E,3]. Raises StructureError naming `source` if an atom has no neighbour within `cutoff`.
    """
    pos = structure.cart_coords
    cell = structure.lattice.matrix
    nb = neighbor_list(pos, cell, cutoff=cutoff, max_neighbors=max_neighbors)
    return _graph(structure, pos, cell, nb, cutoff, source)


def build_crystal_graphs(
    structures,
    cutoff: float = 8.0,
    max_neighbors: int | None = 12,
    sources=None,
) -> tuple[list[Data | None], list[tuple[str, str]]]:
    """`build_crystal_graph` for many structures, with one vectorized neighbour pass (same graphs, less overhead).

    Returns (graphs, skipped): graphs[k] is the graph of structures[k], or None when it cannot be built; skipped
    lists (source, reason) of those, sources[k] defaulting to the reduced formula. Never raises for a bad structure.
    """
    structures = list(structures)
    sources = list(sources) if sources is not None else [""] * len(structures)
    coords = [(s.cart_coords, s.lattice.matrix) for s in structures]
    nbs = neighbor_lists(coords, cutoff=cutoff, max_neighbors=max_neighbors)
    graphs: list[Data | None] = []
    skipped: list[tuple[str, str]] = []
    for s, (pos, cell), nb, src in zip(structures, coords, nbs, sources):
        try:
            graphs.append(_graph(s, pos, cell, nb, cutoff, src))
        except StructureError as exc:
            graphs.append(None)
            skipped.append((exc.source, exc.reason))
    return graphs, skipped


def _graph(structure: Structure, pos: np.ndarray, cell: np.ndarray, nb: Neighbors, cutoff: float, source: str) -> Data:
    """The Data object of one structure from its neighbour list; StructureError naming `source` if unusable."""
    n = len(structure)
    if n == 0:
        raise StructureError(source or "?", "empty structure (no atoms)")
    if not structure.is_ordered:
        raise StructureError(source or structure.composition.reduced_formula,
                             "disordered sites (partial occupancy) cannot be a crystal graph")
    counts = nb.counts(n)
    if (counts == 0).any():
        lonely = int(np.flatnonzero(counts == 0)[0])
        raise StructureError(
            source or structure.composition.reduced_formula,
            f"atom {lonely} ({structure[lonely].specie}) has no neighbour within the cutoff of {cutoff} A",
        )
    z = np.fromiter((next(iter(site.species)).Z for site in structure), dtype=np.int64, count=n)
    return Data(
        z=torch.from_numpy(z),
        pos=torch.from_numpy(pos.astype(np.float32)),
        cell=torch.from_numpy(cell.astype(np.float32)).unsqueeze(0),
        edge_index=torch.from_numpy(np.stack([nb.neighbor, nb.center])),
        edge_shift=torch.from_numpy(nb.shift.astype(np.float32)),
        num_nodes=n,
    )


def edge_vectors(data) -> torch.Tensor:
    """[E, 3] edge vectors r_j + S @ cell - r_i (Angstrom) of a Data or a Batch, from pos, cell and edge_shift.

    Computed from positions (not stored) so that rotating `pos` and `cell` rotates every edge exactly.
    """
    src, dst = data.edge_index
    cell = data.cell
    if cell.dim() == 2:
        cell = cell.unsqueeze(0)
    if cell.shape[0] == 1:
        shift_cart = data.edge_shift.to(cell.dtype) @ cell[0]
    else:
        graph_of_edge = data.batch[dst]
        shift_cart = torch.einsum("ek,ekl->el", data.edge_shift.to(cell.dtype), cell[graph_of_edge])
    return data.pos[src] + shift_cart - data.pos[dst]
