"""The periodic neighbour list against pymatgen on random cells: 1-atom, tiny (edges < cutoff/4), very skewed."""

from __future__ import annotations

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from pgnn.graphs.neighbors import BACKENDS, neighbor_list


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


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["one-atom", "random", "tiny", "skewed"])
def test_matches_pymatgen(kind, backend):
    rng = np.random.default_rng(["one-atom", "random", "tiny", "skewed"].index(kind))
    cutoff = 5.0
    for _ in range(3 if kind == "tiny" else 6):
        s = _cell(kind, rng)
        nb = neighbor_list(s.cart_coords, s.lattice.matrix, cutoff=cutoff, max_neighbors=None, backend=backend)
        c, p, img, d = _pymatgen(s, cutoff)
        assert len(nb) == len(c) > 0
        assert _edges(nb.center, nb.neighbor, nb.shift) == _edges(c, p, img)
        vec = s.cart_coords[nb.neighbor] + nb.shift @ s.lattice.matrix - s.cart_coords[nb.center]
        assert np.allclose(vec, nb.vector, atol=1e-10)
        assert np.allclose(np.linalg.norm(vec, axis=1), nb.distance, atol=1e-10)
        assert np.all(np.diff(nb.center) >= 0)  # sorted by center
        assert nb.distance.max() < cutoff


def _reference_capped(s: Structure, cutoff: float, cap: int, tol: float = 1e-6):
    """The capped list from pymatgen's pairs with the documented rule, in pure Python: the cap nearest plus the
    rest of the cap-th one's shell (distances chained within tol), ordered by (shell, neighbour, shift)."""
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
        ranked = sorted(groups)
        last_shell = ranked[min(cap, len(ranked)) - 1][0]
        out += [(i, j, shift) for g, j, shift in ranked if g <= last_shell]
    return out


def _slab_and_lone_atom() -> Structure:
    """A dense 8-atom slab and one atom 5 A above it: the mean density underestimates its 12-neighbour radius."""
    coords = [[x, y, z] for x in (0, 1.6) for y in (0, 1.6) for z in (0, 1.6)] + [[0.8, 0.8, 6.6]]
    return Structure(Lattice.from_parameters(3.2, 3.2, 12.0, 90, 90, 90), ["Si"] * 9, coords,
                     coords_are_cartesian=True)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cap", [1, 4, 12])
def test_cap_and_ties_are_deterministic(cap, backend):
    """fcc and simple cubic have large shells of exactly tied neighbours; the cap keeps the k-th neighbour's shell whole.
    The capped list equals the reference built from all pairs within the cutoff (the search radius grows as needed)."""
    fcc = Structure(Lattice.cubic(4.0), ["Cu"] * 4, [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
    sc = Structure(Lattice.cubic(3.0), ["Fe"], [[0, 0, 0]])
    rng = np.random.default_rng(5)
    for s in (fcc, sc, _slab_and_lone_atom(), _cell("random", rng), _cell("skewed", rng), _cell("tiny", rng)):
        nb = neighbor_list(s.cart_coords, s.lattice.matrix, cutoff=6.0, max_neighbors=cap, backend=backend)
        assert list(zip(nb.center.tolist(), nb.neighbor.tolist(), map(tuple, nb.shift.tolist()))) == \
            _reference_capped(s, 6.0, cap)
        assert (nb.counts(len(s)) >= cap).all()
        if s is fcc:  # 12 nearest, then 6: any cap up to 12 keeps the whole first shell
            assert (nb.counts(len(s)) == 12).all()
        if s is sc:  # 6 nearest, then 12: cap 1 and 4 keep 6, cap 12 keeps 6 + 12
            assert (nb.counts(len(s)) == (6 if cap <= 6 else 18)).all()
        again = neighbor_list(s.cart_coords.copy(), s.lattice.matrix.copy(), cutoff=6.0, max_neighbors=cap)
        assert np.array_equal(again.shift, nb.shift) and np.array_equal(again.neighbor, nb.neighbor)


def test_capped_distances_are_the_nearest():
    s = _cell("random", np.random.default_rng(11))
    full = neighbor_list(s.cart_coords, s.lattice.matrix, cutoff=8.0, max_neighbors=None)
    capped = neighbor_list(s.cart_coords, s.lattice.matrix, cutoff=8.0, max_neighbors=12)
    for i in range(len(s)):
        d = capped.distance[capped.center == i]
        ref = np.sort(full.distance[full.center == i])
        assert np.allclose(d[:12], ref[:12])
        assert np.allclose(d, ref[: len(d)]) and (len(d) == len(ref) or ref[len(d)] > ref[11] + 1e-6)


def test_isolated_atom_has_no_neighbours():
    nb = neighbor_list(np.zeros((1, 3)), np.eye(3) * 10.0, cutoff=5.0)
    assert len(nb) == 0 and nb.counts(1).tolist() == [0]
