"""Periodic neighbour lists with a radius cutoff and a per-atom neighbour cap (vesin backend)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from vesin import NeighborList as _VesinNeighborList


@dataclass
class Neighbors:
    """Directed edges of a periodic structure, sorted by (center, distance, neighbor, shift).

    center: [E] int64, the receiving atom i.
    neighbor: [E] int64, the sending atom j.
    shift: [E, 3] int64 lattice shift S, so that vector = pos[j] + S @ cell - pos[i].
    vector: [E, 3] float64, Angstrom, from atom i to the image of atom j.
    distance: [E] float64, Angstrom.
    """

    center: np.ndarray
    neighbor: np.ndarray
    shift: np.ndarray
    vector: np.ndarray
    distance: np.ndarray

    def __len__(self) -> int:
        return int(self.center.shape[0])

    def counts(self, n_atoms: int) -> np.ndarray:
        """[n_atoms] number of neighbours of each atom."""
        return np.bincount(self.center, minlength=n_atoms)


def neighbor_list(
    positions: np.ndarray,
    cell: np.ndarray,
    cutoff: float = 8.0,
    max_neighbors: int | None = 12,
    tie_tolerance: float = 1e-8,
) -> Neighbors:
    """All pairs (i, j, S) with 0 < |r_ij| < cutoff, keeping at most `max_neighbors` nearest per atom i.

    positions: [N, 3] Cartesian, Angstrom. cell: [3, 3] lattice vectors as rows, Angstrom.
    Ties at the cap are broken deterministically: distances equal within `tie_tolerance` (Angstrom, chained) are
    ordered by neighbour index, then by lattice shift (lexicographic), so the result does not depend on the
    backend's order. Coincident atoms (distance 0) are left out; `validate_structure` rejects such structures.
    Works for any cell, including cells with edges much shorter than the cutoff and strongly skewed cells.
    """
    positions = np.ascontiguousarray(positions, dtype=np.float64)
    cell = np.ascontiguousarray(cell, dtype=np.float64)
    nl = _VesinNeighborList(cutoff=float(cutoff), full_list=True)
    i, j, S, d, D = nl.compute(points=positions, box=cell, periodic=True, quantities="ijSdD")
    i = i.astype(np.int64)
    j = j.astype(np.int64)
    S = S.astype(np.int64)
    keep = d > 0.0
    if not keep.all():
        i, j, S, d, D = i[keep], j[keep], S[keep], d[keep], D[keep]
    # Deterministic order: sort by (center, distance), then join distances within `tie_tolerance` of the previous
    # one into a tie group, and order each group by (neighbour, shift), so float noise never reorders ties.
    order = np.lexsort((d, i))
    i, j, S, d, D = i[order], j[order], S[order], d[order], D[order]
    if len(i):
        new_group = np.ones(len(i), dtype=bool)
        new_group[1:] = (i[1:] != i[:-1]) | (d[1:] - d[:-1] > tie_tolerance)
        group = np.cumsum(new_group)
        order = np.lexsort((S[:, 2], S[:, 1], S[:, 0], j, group))
        i, j, S, d, D = i[order], j[order], S[order], d[order], D[order]
    if max_neighbors is not None and len(i):
        # rank of each edge within its center's sorted block
        starts = np.searchsorted(i, i, side="left")
        rank = np.arange(len(i)) - starts
        keep = rank < max_neighbors
        i, j, S, d, D = i[keep], j[keep], S[keep], d[keep], D[keep]
    return Neighbors(center=i, neighbor=j, shift=S, vector=D, distance=d)
