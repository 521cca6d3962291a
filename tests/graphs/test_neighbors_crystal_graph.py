"""build_crystal_graph: edge distances invariant under rotation and translation, edge vectors rotate with the input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pymatgen.core import Lattice, Structure

from pgnn.errors import StructureError
from pgnn.graphs import build_crystal_graph, edge_vectors


def _rotation(seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


def _distances_by_center(data) -> list[np.ndarray]:
    d = edge_vectors(data).double().norm(dim=1).numpy()
    center = data.edge_index[1].numpy()
    return [np.sort(d[center == i]) for i in range(data.num_nodes)]


def _structures(bundled_records):
    rng = np.random.default_rng(3)
    skewed = Structure(Lattice([[4.0, 0, 0], [14.0, 3.5, 0], [-9.0, 6.0, 3.0]]), ["Si", "O", "O"],
                       rng.uniform(0, 1, (3, 3)))
    return [e.structure for e in bundled_records("mp_elastic_2015", 4)] + [skewed]


def test_rotation(bundled_records):
    for k, s in enumerate(_structures(bundled_records)):
        R = _rotation(k)
        rs = Structure(Lattice(s.lattice.matrix @ R.T), s.species, s.frac_coords)
        g, gr = build_crystal_graph(s), build_crystal_graph(rs)
        assert torch.equal(g.edge_index, gr.edge_index) and torch.equal(g.edge_shift, gr.edge_shift)
        v, vr = edge_vectors(g).double(), edge_vectors(gr).double()
        assert torch.allclose(vr, v @ torch.from_numpy(R).T, atol=1e-4)
        for a, b in zip(_distances_by_center(g), _distances_by_center(gr)):
            assert np.allclose(a, b, atol=1e-4)


def test_translation(bundled_records):
    for k, s in enumerate(_structures(bundled_records)):
        shift = np.random.default_rng(k).uniform(-5, 5, 3)
        ts = Structure(s.lattice, s.species, s.cart_coords + shift, coords_are_cartesian=True, to_unit_cell=True)
        g, gt = build_crystal_graph(s), build_crystal_graph(ts)
        assert g.edge_index.shape == gt.edge_index.shape
        for a, b in zip(_distances_by_center(g), _distances_by_center(gt)):
            assert np.allclose(a, b, atol=1e-4)


def test_graph_fields_and_lonely_atom():
    s = Structure(Lattice.cubic(4.0), ["Cu"] * 4, [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
    g = build_crystal_graph(s, cutoff=8.0, max_neighbors=12)
    assert g.z.tolist() == [29] * 4 and g.pos.shape == (4, 3) and g.cell.shape == (1, 3, 3)
    assert g.edge_index.shape == (2, 48) and g.edge_shift.shape == (48, 3)
    assert torch.allclose(edge_vectors(g).norm(dim=1), torch.full((48,), 4.0 / 2**0.5))
    with pytest.raises(StructureError, match="no neighbour within the cutoff"):
        build_crystal_graph(Structure(Lattice.cubic(10.0), ["Na"], [[0, 0, 0]]), cutoff=5.0, source="x.cif")
