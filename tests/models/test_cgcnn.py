"""CGCNN is invariant under rotation, translation and atom permutation (float64, to 1e-10)."""

import numpy as np
import pytest
import torch
from pymatgen.core import Lattice, Structure
from torch_geometric.data import Batch

from pgnn.data.targets import TARGETS
from pgnn.graphs import build_crystal_graph
from pgnn.models import build_model


def _random_structure(seed: int) -> Structure:
    rng = np.random.default_rng(seed)
    lattice = Lattice(np.diag([4.1, 4.6, 5.3]) + rng.normal(scale=0.6, size=(3, 3)))
    species = ["Na", "Cl", "Fe", "O", "O"]
    return Structure(lattice, species, rng.random((5, 3)))


def _graph64(structure: Structure):
    g = build_crystal_graph(structure, cutoff=6.0, max_neighbors=12)
    g.pos = torch.tensor(structure.cart_coords, dtype=torch.float64)
    g.cell = torch.tensor(structure.lattice.matrix, dtype=torch.float64).unsqueeze(0)
    return g


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = build_model({"name": "cgcnn", "cutoff": 6.0, "hidden": 16, "num_layers": 2, "atom_embedding": "both"},
                    [TARGETS["log10_K_VRH"], TARGETS["band_gap"]])
    return m.double().eval()


def _predict(model, structure):
    with torch.no_grad():
        out = model(Batch.from_data_list([_graph64(structure)]))
    return torch.stack([out["log10_K_VRH"], out["band_gap"]])


def _rotation(seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    return q * np.sign(np.linalg.det(q))


@pytest.mark.parametrize("seed", [0, 1])
def test_invariance(model, seed):
    s = _random_structure(seed)
    ref = _predict(model, s)
    R = _rotation(seed + 10)
    rotated = Structure(Lattice(s.lattice.matrix @ R.T), s.species, s.cart_coords @ R.T, coords_are_cartesian=True)
    shifted = Structure(s.lattice, s.species, s.frac_coords + np.array([0.31, -0.27, 0.55]))  # wrapped into the cell
    perm = np.random.default_rng(seed).permutation(len(s))
    permuted = Structure(s.lattice, [s.species[i] for i in perm], s.frac_coords[perm])
    for other in (rotated, shifted, permuted):
        assert torch.allclose(_predict(model, other), ref, atol=1e-10, rtol=0)


def test_batched_equals_single(model):
    a, b = _random_structure(3), _random_structure(4)
    batch = Batch.from_data_list([_graph64(a), _graph64(b)])
    with torch.no_grad():
        out = model(batch)["band_gap"]
    assert torch.allclose(out, torch.cat([_predict(model, a)[1], _predict(model, b)[1]]), atol=1e-12)
