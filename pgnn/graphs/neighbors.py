"""Periodic neighbour lists with a radius cutoff and a per-atom neighbour cap.

Two interchangeable compiled backends give the pairs within a radius: pymatgen's cell-list search
(`find_points_in_spheres`, the default: lowest overhead on small cells) and vesin. With a cap, the search starts
at a radius estimated from the atom density and grows only when some atom's capped shell is not complete, so the
result is exactly the capped list within `cutoff`, found without listing every pair out to `cutoff`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BACKENDS = ("pymatgen", "vesin")
_PBC = np.ones(3, dtype=np.int64)
_MARGIN = 1e-6  # Angstrom: a capped shell counts as complete only if it ends this far inside the search radius
_SELF = 1e-8  # Angstrom: pairs closer than this are an atom and itself (or coincident atoms), left out


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


def _pairs(positions: np.ndarray, cell: np.ndarray, radius: float, backend: str):
    """(i, j, S, d) of all pairs with 1e-8 < d < radius (periodic images included), unordered."""
    if backend == "pymatgen":
        from pymatgen.optimization.neighbors import find_points_in_spheres

        i, j, S, d = find_points_in_spheres(positions, positions, r=float(radius), pbc=_PBC, lattice=cell, tol=1e-8)
    elif backend == "vesin":
        from vesin import NeighborList

        i, j, S, d = NeighborList(cutoff=float(radius), full_list=True).compute(
            points=positions, box=cell, periodic=True, quantities="ijSd"
        )
    else:
        raise ValueError(f"unknown neighbour-list backend {backend!r}; choose from {BACKENDS}")
    keep = (d > _SELF) & (d < radius)  # drops each atom itself (pymatgen returns it at ~1e-15 A)
    return i[keep].astype(np.int64), j[keep].astype(np.int64), np.rint(S[keep]).astype(np.int64), d[keep]


def _sorted(i, j, S, d, tie_tolerance: float):
    """Edges ordered by (center, distance with ties, neighbour, shift), and each edge's tie-group id.

    Distances within `tie_tolerance` of the previous one (same center) join its tie group; within a group the
    order is by neighbour index, then lattice shift."""
    order = np.lexsort((d, i))
    i, d = i[order], d[order]
    new_group = np.empty(len(i), dtype=bool)
    new_group[:1] = True
    np.greater(d[1:] - d[:-1], tie_tolerance, out=new_group[1:])
    new_group[1:] |= i[1:] != i[:-1]
    group = np.cumsum(new_group)
    j, S = j[order], S[order]
    if len(S) and np.abs(S).max() < 1 << 19:  # (j, S) as one integer key: 20 bits per shift component
        key = ((S[:, 0] + (1 << 19)) << 40) | ((S[:, 1] + (1 << 19)) << 20) | (S[:, 2] + (1 << 19))
        order = np.lexsort((key, j, group))
    else:
        order = np.lexsort((S[:, 2], S[:, 1], S[:, 0], j, group))
    return i[order], j[order], S[order], d[order], group[order]


def _initial_radius(n_atoms: int, cell: np.ndarray, max_neighbors: int) -> float:
    """A radius expected to hold about 2.7x `max_neighbors` atoms at the cell's mean density (Angstrom)."""
    (a1, a2, a3), (b1, b2, b3), (c1, c2, c3) = cell.tolist()
    volume = abs(a1 * (b2 * c3 - b3 * c2) - a2 * (b1 * c3 - b3 * c1) + a3 * (b1 * c2 - b2 * c1))
    if not volume > 0:
        return np.inf
    return 1.4 * (3.0 * (max_neighbors + 1) * volume / (4.0 * np.pi * n_atoms)) ** (1.0 / 3.0)


def neighbor_list(
    positions: np.ndarray,
    cell: np.ndarray,
    cutoff: float = 8.0,
    max_neighbors: int | None = 12,
    tie_tolerance: float = 1e-8,
    backend: str = "pymatgen",
) -> Neighbors:
    """All pairs (i, j, S) with 0 < |r_ij| < cutoff, keeping at most `max_neighbors` nearest per atom i.

    positions: [N, 3] Cartesian, Angstrom. cell: [3, 3] lattice vectors as rows, Angstrom.
    Ties at the cap are broken deterministically: distances equal within `tie_tolerance` (Angstrom, chained) are
    ordered by neighbour index, then by lattice shift (lexicographic), so the result does not depend on the
    backend or its order. Coincident atoms (distance < 1e-8 A) are left out; `validate_structure` rejects such structures.
    Works for any cell, including cells with edges much shorter than the cutoff and strongly skewed cells.
    backend: "pymatgen" (default) or "vesin"; both give the same list.
    """
    positions = np.ascontiguousarray(positions, dtype=np.float64)
    cell = np.ascontiguousarray(cell, dtype=np.float64)
    n = positions.shape[0]
    radius = float(cutoff)
    if max_neighbors is not None and n:
        radius = min(radius, _initial_radius(n, cell, max_neighbors))
    while True:
        i, j, S, d = _pairs(positions, cell, radius, backend)
        i, j, S, d, group = _sorted(i, j, S, d, tie_tolerance)
        if max_neighbors is None:
            break
        counts = np.bincount(i, minlength=n)
        first = np.cumsum(counts) - counts  # index of each center's first edge
        if radius >= cutoff:
            break
        # complete if every atom has a full capped shell whose last tie group ends inside the search radius
        if counts.min() >= max_neighbors:
            last_group = group[first + max_neighbors - 1]
            lo = np.searchsorted(group, last_group, side="left")
            hi = np.searchsorted(group, last_group, side="right")
            # members of a chained tie group lie within (size - 1) * tie_tolerance of each other
            if (d[lo] + (hi - lo) * tie_tolerance < radius - _MARGIN).all():
                break
        radius = min(float(cutoff), radius * 1.5)
    if max_neighbors is not None and len(i):
        keep = np.arange(len(i)) - first[i] < max_neighbors  # rank within the center's sorted block
        i, j, S, d = i[keep], j[keep], S[keep], d[keep]
    vector = positions[j] + S @ cell - positions[i]
    return Neighbors(center=i, neighbor=j, shift=S, vector=vector, distance=d)
