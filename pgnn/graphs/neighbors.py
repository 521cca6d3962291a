"""Periodic neighbour lists with a radius cutoff and a per-atom neighbour cap that keeps whole shells.

Cap rule (`max_neighbors` = k): every atom keeps its k nearest neighbours and, with them, every other neighbour
in the same distance shell as the k-th one (distances within `tie_tolerance`, chained, in float64), so an atom
has k or more neighbours and the set of edges is a function of the geometry only, never of the atom order. A
shell is kept whole rather than dropped so that no atom loses a neighbour it had under a plain "k nearest" cap
(structures without a tie at the cap get exactly the k nearest) and no atom is left with fewer than k.

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
#: Angstrom: neighbour distances (float64) closer than this, chained, are one shell, kept or cut whole
TIE_TOLERANCE = 1e-6


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
    S = S[keep]
    return (i[keep].astype(np.int64, copy=False), j[keep].astype(np.int64, copy=False),
            (np.rint(S) if S.dtype.kind == "f" else S).astype(np.int64, copy=False), d[keep])


_NEAR = 1e-9  # Angstrom: distances closer than this are re-sorted exactly after the fast float-key sort
_MAX_FLOAT_KEY = 2.0**18  # float keys below this resolve distances to < 1e-10 A
_SMALL = 20000  # edges: below this, np.lexsort is the faster exact sort


def _by_center_and_distance(i: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Permutation sorting edges by (center i, distance d) exactly, like np.lexsort((d, i)).

    Fast path: one argsort of the float key i * span + d, whose rounding can only swap distances closer than
    1e-10 A; runs of near-equal distances (< 1e-9 A apart) are then sorted exactly."""
    span = float(d.max()) + 1.0
    if len(i) < _SMALL or float(i.max()) * span + span >= _MAX_FLOAT_KEY:
        return np.lexsort((d, i))
    order = np.argsort(i * span + d)
    i_s, d_s = i[order], d[order]
    near = (np.abs(np.diff(d_s)) < _NEAR) & (i_s[1:] == i_s[:-1])
    if near.any():
        in_run = np.zeros(len(d_s), dtype=bool)
        in_run[:-1] |= near
        in_run[1:] |= near
        pos = np.flatnonzero(in_run)
        run_start = np.ones(len(pos), dtype=bool)
        run_start[1:] = ~near[pos[1:] - 1]  # a new run unless linked to the previous position
        run = np.cumsum(run_start)
        fix = np.lexsort((d_s[pos], run))
        order[pos] = order[pos[fix]]
    return order


def _sorted(i, j, S, d, tie_tolerance: float):
    """Edges ordered by (center, distance with ties, neighbour, shift), and each edge's tie-group id.

    Distances within `tie_tolerance` of the previous one (same center) join its tie group; within a group the
    order is by neighbour index, then lattice shift. Combined numeric keys make each pass one argsort when the
    values fit, with a multi-key lexsort otherwise (same order)."""
    if len(i) == 0:
        return i, j, S, d, np.zeros(0, dtype=np.int64)
    order = _by_center_and_distance(i, d)
    i, d = i[order], d[order]
    new_group = np.empty(len(i), dtype=bool)
    new_group[:1] = True
    np.greater(d[1:] - d[:-1], tie_tolerance, out=new_group[1:])
    new_group[1:] |= i[1:] != i[:-1]
    group = np.cumsum(new_group)
    j, S = j[order], S[order]
    smax = int(np.abs(S).max()) if len(i) >= _SMALL else 0
    bits_j, bits_s = (int(j.max()) + 1).bit_length(), (2 * smax + 1).bit_length()
    if len(i) >= _SMALL and int(group[-1]).bit_length() + bits_j + 3 * bits_s <= 62:
        # (group, j, S) as one int64 key, unique per edge
        key = group << (bits_j + 3 * bits_s)
        key |= j << (3 * bits_s)
        key |= (S[:, 0] + smax) << (2 * bits_s)
        key |= (S[:, 1] + smax) << bits_s
        key |= S[:, 2] + smax
        order = np.argsort(key)
    else:
        order = np.lexsort((S[:, 2], S[:, 1], S[:, 0], j, group))
    return i[order], j[order], S[order], d[order], group[order]


def _whole_shells(i, group, first, counts, k: int) -> np.ndarray:
    """[E] bool: the edges of each centre up to and including the whole tie group (shell) of its k-th edge.

    i, group: [E] centre and tie-group id of edges sorted by (centre, distance); first, counts: [N] each centre's
    first edge and number of edges. Centres with fewer than k edges keep all of them."""
    if k <= 0:
        return np.zeros(len(i), dtype=bool)
    last = first + np.minimum(counts, k) - 1  # index of each centre's k-th edge (or its last one)
    has = counts > 0
    limit = np.full(len(counts), -1, dtype=np.int64)
    limit[has] = group[last[has]]
    return group <= limit[i]


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
    tie_tolerance: float = TIE_TOLERANCE,
    backend: str = "pymatgen",
) -> Neighbors:
    """All pairs (i, j, S) with 0 < |r_ij| < cutoff; with a cap, the `max_neighbors` nearest per atom i plus the
    rest of the k-th neighbour's shell (module docstring), so the edge set does not depend on the atom order.

    positions: [N, 3] Cartesian, Angstrom. cell: [3, 3] lattice vectors as rows, Angstrom.
    Distances (float64) equal within `tie_tolerance` (Angstrom, chained) form one shell; within a shell, edges
    are ordered by neighbour index, then by lattice shift (lexicographic), so the order does not depend on the
    backend. Coincident atoms (distance < 1e-8 A) are left out; `validate_structure` rejects such
    structures.
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
        keep = _whole_shells(i, group, first, counts, max_neighbors)
        i, j, S, d = i[keep], j[keep], S[keep], d[keep]
    vector = positions[j] + S @ cell - positions[i]
    return Neighbors(center=i, neighbor=j, shift=S, vector=vector, distance=d)


def neighbor_lists(
    systems,
    cutoff: float = 8.0,
    max_neighbors: int | None = 12,
    tie_tolerance: float = TIE_TOLERANCE,
    backend: str = "pymatgen",
) -> list[Neighbors]:
    """`neighbor_list` of many structures at once: the same result as one call per structure.

    systems: sequence of (positions [N_k, 3], cell [3, 3]) in Angstrom. The pair search runs per structure; the
    filtering, ordering, tie-breaking and capping run once over all structures together, which removes most of
    the per-structure overhead on small cells. A structure whose capped shells are not complete at its first
    search radius is redone alone with `neighbor_list`.
    """
    systems = [(np.ascontiguousarray(p, dtype=np.float64), np.ascontiguousarray(c, dtype=np.float64))
               for p, c in systems]
    if not systems:
        return []
    if max_neighbors is None:
        return [neighbor_list(p, c, cutoff, None, tie_tolerance, backend) for p, c in systems]
    sizes = np.array([p.shape[0] for p, _ in systems], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(sizes)))
    radii = np.array([min(float(cutoff), _initial_radius(int(n), c, max_neighbors)) if n else float(cutoff)
                      for n, (_, c) in zip(sizes, systems)])
    parts = [_pairs(p, c, r, backend) for (p, c), r in zip(systems, radii)]
    i = np.concatenate([pi + offsets[k] for k, (pi, _, _, _) in enumerate(parts)])
    j = np.concatenate([pj + offsets[k] for k, (_, pj, _, _) in enumerate(parts)])
    S = np.concatenate([ps for _, _, ps, _ in parts]).reshape(-1, 3)
    d = np.concatenate([pd for _, _, _, pd in parts])
    i, j, S, d, group = _sorted(i, j, S, d, tie_tolerance)
    total = int(offsets[-1])
    counts = np.bincount(i, minlength=total)
    first = np.cumsum(counts) - counts
    system_of_atom = np.repeat(np.arange(len(systems)), sizes)
    # per atom: is its capped shell complete inside its structure's search radius?
    complete = counts >= max_neighbors
    atoms = np.flatnonzero(complete)
    last_group = group[first[atoms] + max_neighbors - 1]
    lo = np.searchsorted(group, last_group, side="left")
    hi = np.searchsorted(group, last_group, side="right")
    complete[atoms] = d[lo] + (hi - lo) * tie_tolerance < radii[system_of_atom[atoms]] - _MARGIN
    complete |= radii[system_of_atom] >= cutoff  # searched out to the cutoff: final whatever the count
    redo = np.zeros(len(systems), dtype=bool)
    redo[system_of_atom[~complete]] = True
    keep = _whole_shells(i, group, first, counts, max_neighbors)
    i, j, S, d = i[keep], j[keep], S[keep], d[keep]
    bounds = np.searchsorted(i, offsets)
    out = []
    for k, (p, c) in enumerate(systems):
        if redo[k]:
            out.append(neighbor_list(p, c, cutoff, max_neighbors, tie_tolerance, backend))
            continue
        a, b = bounds[k], bounds[k + 1]
        ik, jk, Sk = i[a:b] - offsets[k], j[a:b] - offsets[k], S[a:b]
        out.append(Neighbors(center=ik, neighbor=jk, shift=Sk, vector=p[jk] + Sk @ c - p[ik], distance=d[a:b]))
    return out



def _groups(nb: Neighbors, tie_tolerance: float) -> np.ndarray:
    """[E] int64 global tie-group id (increasing) of edges sorted by (centre, distance)."""
    new = np.empty(len(nb), dtype=bool)
    new[:1] = True
    new[1:] = (nb.distance[1:] - nb.distance[:-1] > tie_tolerance) | (nb.center[1:] != nb.center[:-1])
    return np.cumsum(new) - 1


def shell_index(nb: Neighbors, n_atoms: int, tie_tolerance: float = TIE_TOLERANCE) -> np.ndarray:
    """[E] int64 shell number of every edge within its centre (0 = nearest shell), from float64 distances.

    nb must be sorted by (centre, distance), as `neighbor_list` returns it; distances within `tie_tolerance`
    (Angstrom, chained) share a shell. A function of the sorted distances only: invariant to atom order."""
    if len(nb) == 0:
        return np.zeros(0, dtype=np.int64)
    group = _groups(nb, tie_tolerance)
    counts = nb.counts(n_atoms)
    first = np.cumsum(counts) - counts
    return group - group[first[nb.center]]


def cap_whole_shells(nb: Neighbors, n_atoms: int, max_neighbors: int | None,
                     tie_tolerance: float = TIE_TOLERANCE) -> Neighbors:
    """The edges of an uncapped `nb` (sorted by centre and distance) that `neighbor_list` keeps with the cap
    `max_neighbors`: each centre's k nearest plus the rest of the k-th one's shell. None keeps every edge."""
    if max_neighbors is None or len(nb) == 0:
        return nb
    counts = nb.counts(n_atoms)
    first = np.cumsum(counts) - counts
    keep = _whole_shells(nb.center, _groups(nb, tie_tolerance), first, counts, int(max_neighbors))
    return Neighbors(nb.center[keep], nb.neighbor[keep], nb.shift[keep], nb.vector[keep], nb.distance[keep])
