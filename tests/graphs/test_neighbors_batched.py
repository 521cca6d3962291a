"""The batched builders give exactly the per-structure results (and use the fast sort path on large batches)."""

from __future__ import annotations

import numpy as np
import torch
from pymatgen.core import Lattice, Structure

import pgnn.graphs.neighbors as nbmod
from pgnn.graphs.crystal_graph import build_crystal_graph, build_crystal_graphs
from pgnn.graphs.neighbors import neighbor_list, neighbor_lists


def _structures(bundled_records):
    rng = np.random.default_rng(2)
    extra = [
        Structure(Lattice.cubic(3.0), ["Fe"], [[0, 0, 0]]),  # bcc-like, tied shells
        Structure(Lattice([[4.0, 0, 0], [14.0, 3.5, 0], [-9.0, 6.0, 3.0]]), ["Si"] * 3, rng.uniform(0, 1, (3, 3))),
        Structure(Lattice.from_parameters(3.2, 3.2, 12.0, 90, 90, 90), ["Si"] * 9,  # slab + lone atom
                  [[x, y, z] for x in (0, 1.6) for y in (0, 1.6) for z in (0, 1.6)] + [[0.8, 0.8, 6.6]],
                  coords_are_cartesian=True),
    ]
    return [e.structure for e in bundled_records("mp_binary_moduli_2025", 150)] + extra


def test_neighbor_lists_equal_single_calls(bundled_records, monkeypatch):
    structures = _structures(bundled_records)
    systems = [(s.cart_coords, s.lattice.matrix) for s in structures]
    sorts = []
    real = nbmod._by_center_and_distance
    monkeypatch.setattr(nbmod, "_by_center_and_distance", lambda i, d: sorts.append(len(i)) or real(i, d))
    batched = neighbor_lists(systems, cutoff=8.0, max_neighbors=12)
    assert max(sorts) >= nbmod._SMALL  # the combined-key path ran
    for (pos, cell), nb in zip(systems, batched):
        one = neighbor_list(pos, cell, cutoff=8.0, max_neighbors=12)
        assert np.array_equal(nb.center, one.center) and np.array_equal(nb.neighbor, one.neighbor)
        assert np.array_equal(nb.shift, one.shift) and np.allclose(nb.distance, one.distance)
        assert np.allclose(nb.vector, one.vector)


def test_build_crystal_graphs(bundled_records):
    structures = _structures(bundled_records)[140:]
    lonely = Structure(Lattice.cubic(10.0), ["Na"], [[0, 0, 0]])
    graphs, skipped = build_crystal_graphs(structures + [lonely], cutoff=6.0,
                                           sources=[f"s{k}" for k in range(len(structures))] + ["lonely.cif"])
    assert graphs[-1] is None and skipped == [("lonely.cif", skipped[0][1])]
    assert "no neighbour within the cutoff of 6.0 A" in skipped[0][1]
    for s, g in zip(structures, graphs):
        h = build_crystal_graph(s, cutoff=6.0)
        for key in ("z", "pos", "cell", "edge_index", "edge_shift"):
            assert torch.equal(g[key], h[key]), key
