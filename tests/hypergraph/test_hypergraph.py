"""Crystal hypergraphs: layout, batching, and invariance of every hyperedge feature (float64, 1e-10)."""

import numpy as np
import pytest
import torch
from pymatgen.core import Lattice, Structure
from torch_geometric.loader import DataLoader

from pgnn.graphs.hypergraph import FEATURE_DIMS, build_crystal_hypergraph, build_crystal_hypergraphs
from tests.hypergraph.conftest import random_rotation, random_structure, rocksalt

ALL = ("bond", "triplet", "motif", "unit_cell")


def _sorted_rows(x: torch.Tensor) -> np.ndarray:
    a = x.numpy().reshape(len(x), -1)
    return a[np.lexsort(np.round(a, 8).T[::-1])]


def _hg(s):
    return build_crystal_hypergraph(s, hyperedges=ALL, cutoff=6.0, dtype=torch.float64)


def test_layout_rocksalt():
    g = build_crystal_hypergraph(rocksalt(), hyperedges=ALL)
    n = 8
    # cap 12 keeps the 6 nearest and the whole second shell of 12: 18 bonds per atom
    assert g["bond"].num_nodes == n * 18 and g["bond"].x.shape == (n * 18, 1)
    # triplet cap 66 ends inside the (second, first)-shell pairs: 15 (first, first) + all 6 * 12 of those
    assert g["triplet"].x.shape == (n * 87, 3) and g["motif"].x.shape == (n, FEATURE_DIMS["motif"])
    assert g["atom", "in", "bond"].edge_index.shape == (2, 2 * n * 18)
    assert g["atom", "in", "triplet"].edge_index.shape == (2, 3 * n * 87)
    assert g["atom", "in", "unit_cell"].edge_index.shape == (2, n)
    # octahedral Na: the 6 nearest are at a/2, the motif CSM against the octahedron is 0
    from pgnn.graphs.csm import CSM_GEOMETRIES
    from pgnn.graphs.order_params import OP_TYPES

    x = g["motif"].x
    assert torch.allclose(x[:, len(OP_TYPES) + CSM_GEOMETRIES.index("O:6")], torch.zeros(n), atol=1e-6)
    assert torch.allclose(x[:, OP_TYPES.index("oct")], torch.ones(n), atol=1e-6)


def test_triplet_cap_is_deterministic_nearest_first():
    g = build_crystal_hypergraph(rocksalt(), hyperedges=("bond", "triplet"), max_triplets_per_atom=15)
    assert g["triplet"].num_nodes == 8 * 15
    # the 15 pairs of the 6 nearest bonds: both distances are the nearest-neighbour distance
    assert torch.allclose(g["triplet"].x[:, 1:], torch.full((120, 2), 2.82), atol=1e-4)


def test_batches_with_loader():
    gs = build_crystal_hypergraphs([rocksalt(), random_structure(0)], hyperedges=ALL, cutoff=6.0)
    batch = next(iter(DataLoader(gs, batch_size=2)))
    n0 = gs[0]["atom"].num_nodes
    ei = batch["atom", "in", "motif"].edge_index
    assert batch.num_graphs == 2 and batch.cell.shape == (2, 3, 3)
    assert int(ei[0].max()) == batch["atom"].num_nodes - 1 and int(ei[1, ei[0] >= n0].min()) >= n0


@pytest.mark.parametrize("seed", [0, 1])
def test_rotation_and_translation_invariance(seed):
    s = random_structure(seed)
    R = random_rotation(seed + 10)
    rotated = Structure(Lattice(s.lattice.matrix @ R.T), s.species, s.cart_coords @ R.T + 0.37,
                        coords_are_cartesian=True)
    a, b = _hg(s), _hg(rotated)
    for t in ALL:
        np.testing.assert_allclose(_sorted_rows(a[t].x), _sorted_rows(b[t].x), atol=1e-10, rtol=0)
        assert a["atom", "in", t].edge_index.shape == b["atom", "in", t].edge_index.shape


@pytest.mark.parametrize("seed", [0, 1])
def test_permutation_invariance(seed):
    s = random_structure(seed)
    perm = np.random.default_rng(seed).permutation(len(s))
    p = Structure(s.lattice, [s.species[i] for i in perm], s.frac_coords[perm])
    a, b = _hg(s), _hg(p)
    for t in ALL:
        np.testing.assert_allclose(_sorted_rows(a[t].x), _sorted_rows(b[t].x), atol=1e-10, rtol=0)
    # motif features follow their atom
    np.testing.assert_allclose(a["motif"].x.numpy()[perm], b["motif"].x.numpy(), atol=1e-10, rtol=0)


def test_real_structure_motif_features_invariant(bundled_records):
    s = bundled_records("mp_binary_moduli_2025", 3)[2].structure
    R = random_rotation(5)
    perm = np.random.default_rng(5).permutation(len(s))
    t = Structure(Lattice(s.lattice.matrix @ R.T), [s.species[i] for i in perm], s.cart_coords[perm] @ R.T,
                  coords_are_cartesian=True)
    a = build_crystal_hypergraph(s, hyperedges=("motif",), dtype=torch.float64)
    b = build_crystal_hypergraph(t, hyperedges=("motif",), dtype=torch.float64)
    np.testing.assert_allclose(a["motif"].x.numpy()[perm], b["motif"].x.numpy(), atol=1e-8, rtol=0)
