"""CHGConv / CHGCNN: aggregation, all message strategies, and invariance of the model (float64, 1e-10)."""

import numpy as np
import pytest
import torch
from pymatgen.core import Lattice, Structure
from torch_geometric.data import Batch

from pgnn.data.targets import TARGETS
from pgnn.graphs.hypergraph import build_crystal_hypergraph
from pgnn.models import build_model
from pgnn.nn.chgconv import _incidence_pairs, segment_aggregate
from tests.hypergraph.conftest import random_rotation, random_structure

TYPES = ["bond", "triplet", "motif", "unit_cell"]


def test_segment_aggregate_matches_loops():
    torch.manual_seed(0)
    v = torch.randn(10, 3, dtype=torch.float64)
    idx = torch.tensor([0, 0, 2, 2, 2, 3, 0, 3, 2, 2])
    out = segment_aggregate(v, idx, 5, ["mean", "max", "min", "std"])
    for k in range(5):
        rows = v[idx == k]
        if len(rows) == 0:
            assert (out[k] == 0).all()
            continue
        ref = torch.cat([rows.mean(0), rows.max(0).values, rows.min(0).values,
                         torch.sqrt(rows.var(0, unbiased=False) + 1e-8)])
        assert torch.allclose(out[k], ref)


def test_incidence_pairs():
    edge = torch.tensor([1, 0, 1, 1, 0])
    p, q = _incidence_pairs(edge, 2)
    got = sorted(zip(p.tolist(), q.tolist()))
    want = sorted((a, b) for a in range(5) for b in range(5) if a != b and edge[a] == edge[b])
    assert got == want


def _graph(s):
    return build_crystal_hypergraph(s, hyperedges=TYPES, cutoff=6.0, max_triplets_per_atom=21, dtype=torch.float64)


def _model(strategy, agg):
    torch.manual_seed(0)
    m = build_model({"name": "chgcnn", "cutoff": 6.0, "hyperedges": TYPES, "hidden": 12, "num_layers": 2,
                     "strategy": strategy, "agg": agg, "head_hidden": 16}, [TARGETS["log10_K_VRH"]])
    return m.double().eval()


@pytest.mark.parametrize("strategy, agg", [("aggregate", "mean"), ("pairwise", "max,std"),
                                           ("two_stage", "mean,min")])
def test_model_invariance(strategy, agg):
    s = random_structure(3)
    R = random_rotation(4)
    perm = np.random.default_rng(4).permutation(len(s))
    t = Structure(Lattice(s.lattice.matrix @ R.T), [s.species[i] for i in perm], s.cart_coords[perm] @ R.T,
                  coords_are_cartesian=True)
    m = _model(strategy, agg)
    with torch.no_grad():
        a = m(Batch.from_data_list([_graph(s)]))["log10_K_VRH"]
        b = m(Batch.from_data_list([_graph(t)]))["log10_K_VRH"]
    assert torch.allclose(a, b, atol=1e-10, rtol=0)


def test_training_step_runs_and_batches():
    m = build_model({"name": "chgcnn", "cutoff": 6.0, "hidden": 8, "num_layers": 1}, [TARGETS["band_gap"]])
    batch = Batch.from_data_list([build_crystal_hypergraph(random_structure(k), cutoff=6.0) for k in range(3)])
    out = m(batch)["band_gap"]
    assert out.shape == (3,)
    out.sum().backward()
    assert all(p.grad is not None for p in m.parameters() if p.requires_grad)


def test_voigt_head_gives_symmetric_tensors_and_an_invariant_prediction():
    """chgcnn-voigt: tensors with the kind's index symmetry; being invariant, a rotated crystal gets the same
    (unrotated) tensor: it is the invariant baseline, not an equivariant model."""
    torch.manual_seed(0)
    targets = [TARGETS["elastic_tensor"], TARGETS["dielectric_tensor"], TARGETS["log10_K_VRH"]]
    m = build_model({"name": "chgcnn-voigt", "cutoff": 6.0, "hyperedges": ["bond", "motif"], "hidden": 8,
                     "num_layers": 1, "head_hidden": 8}, targets).double().eval()
    s = random_structure(5)
    R = random_rotation(6)
    t = Structure(Lattice(s.lattice.matrix @ R.T), s.species, s.cart_coords @ R.T, coords_are_cartesian=True)
    with torch.no_grad():
        a = m(Batch.from_data_list([_graph(s), _graph(t)]))
    c = a["elastic_tensor"]
    assert c.shape == (2, 3, 3, 3, 3) and a["dielectric_tensor"].shape == (2, 3, 3) and a["log10_K_VRH"].shape == (2,)
    assert torch.allclose(c, c.transpose(1, 2)) and torch.allclose(c, c.permute(0, 3, 4, 1, 2))
    assert torch.allclose(a["dielectric_tensor"], a["dielectric_tensor"].transpose(1, 2))
    assert torch.allclose(c[0], c[1], atol=1e-10) and not torch.allclose(c[0], torch.zeros_like(c[0]))
