"""The periodic neighbour list against pymatgen on random cells: 1-atom, tiny (edges < cutoff/4), very skewed."""

from __future__ import annotations

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from pgnn.graphs.neighbors import neighbor_list


def _cell(kind: str, rng: np.random.Generator) -> Structure:
    n = 1 if kind == "one-atom" else int(rng.integers(2, 6))
    if kind == "tiny":  # every edge shorter than a quarter of the 5 A cutoff
        lat = np.diag(rng.uniform(0.8, 1.1, 3)) + rng.normal(scale=0.1, size=(3, 3))
    elif kind == "skewed":  # b leans over several a's, c over several a's and b's
        a = rng.uniform(3, 5)
        lat = np.array([[a, 0, 0], [rng.uniform(3, 6) * a, rng.uniform(2, 4), 0],
                        [rng.uniform(-5, 5) * a, rng.uniform(-8, 8), rng.uniform(2, 4)]])
    else:
        lat = np.diag(rng.uniform(3, 7, 3)) + rng.normal(scale=1.0, size=(3, 3))
    if np.linalg.det(lat) < 0:
        lat[2] *= -1
    frac = rng.uniform(-0.3, 1.3, size=(n, 3))  # also outside the unit cell
    return Structure(Lattice(lat), ["Si"] * n, frac, to_unit_cell=False)


def _pymatgen(s: Structure, cutoff: float):
    centers, neighbors, images, distances = s.get_neighbor_list(cutoff)
    return centers.astype(int), neighbors.astype(int), np.rint(images).astype(int), distances


def _edges(i, j, S):
    return sorted(zip(i.tolist(), j.tolist(), map(tuple, S.tolist())))


@pytest.mark.parametrize("kind", ["one-atom", "random", "tiny", "skewed"])
def test_matches_pymatgen(kind):
    rng = np.random.default_rng(["one-atom", "random", "tiny", "skewed"].index(kind))
    cutoff = 5.0
    for _ in range(6):
        s = _cell(kind, rng)
        nb = neighbor_list(s.cart_coords, s.lattice.matrix, cutoff=cutoff, max_neighbors=None)
        c, p, img, d = _pymatgen(s, cutoff)
        assert len(nb) == len(c) > 0
        assert _edges(nb.center, nb.neighbor, nb.shift) == _edges(c, p, img)
        vec = s.cart_coords[nb.neighbor] + nb.shift @ s.lattice.matrix - s.cart_coords[nb.center]
        assert np.allclose(vec, nb.vector, atol=1e-10)
        assert np.allclose(np.linalg.norm(vec, axis=1), nb.distance, atol=1e-10)
        assert np.all(np.diff(nb.center) >= 0)  # sorted by center
        assert nb.distance.max() < cutoff


def _reference_capped(s: Structure, cutoff: float, cap: int, tol: float = 1e-8):
    """The capped list from pymatgen's pairs with the documented tie rule, in pure Python."""
    c, p, img, d = _pymatgen(s, cutoff)
    out = []
    for i in range(len(s)):
        rows = sorted((d[k], p[k], tuple(img[k])) for k in np.flatnonzero(c == i))
        groups, last, g = [], None, -1
        for dist, j, shift in rows:
            if last is None or dist - last > tol:
                g += 1
            last = dist
            groups.append((g, j, shift))
        out += [(i, j, shift) for _, j, shift in sorted(groups)[:cap]]
    return out


@pytest.mark.parametrize("cap", [1, 4, 12])
def test_cap_and_ties_are_deterministic(cap):
    """fcc and bcc have large shells of exactly tied neighbours; the cap cuts through them by (j, shift)."""
    fcc = Structure(Lattice.cubic(4.0), ["Cu"] * 4, [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
    bcc = Structure(Lattice.cubic(3.0), ["Fe"], [[0, 0, 0]])
    rng = np.random.default_rng(5)
    for s in (fcc, bcc, _cell("random", rng), _cell("skewed", rng), _cell("tiny", rng)):
        nb = neighbor_list(s.cart_coords, s.lattice.matrix, cutoff=6.0, max_neighbors=cap)
        assert list(zip(nb.center.tolist(), nb.neighbor.tolist(), map(tuple, nb.shift.tolist()))) == \
            _reference_capped(s, 6.0, cap)
        assert (nb.counts(len(s)) == cap).all()
        again = neighbor_list(s.cart_coords.copy(), s.lattice.matrix.copy(), cutoff=6.0, max_neighbors=cap)
        assert np.array_equal(again.shift, nb.shift) and np.array_equal(again.neighbor, nb.neighbor)


def test_capped_distances_are_the_nearest():
    s = _cell("random", np.random.default_rng(11))
    full = neighbor_list(s.cart_coords, s.lattice.matrix, cutoff=8.0, max_neighbors=None)
    capped = neighbor_list(s.cart_coords, s.lattice.matrix, cutoff=8.0, max_neighbors=12)
    for i in range(len(s)):
        assert np.allclose(capped.distance[capped.center == i], np.sort(full.distance[full.center == i])[:12])


def test_isolated_atom_has_no_neighbours():
    nb = neighbor_list(np.zeros((1, 3)), np.eye(3) * 10.0, cutoff=5.0)
    assert len(nb) == 0 and nb.counts(1).tolist() == [0]
