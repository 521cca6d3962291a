"""The full O3 model: predicting for a rotated (or inverted) crystal gives the rotated tensor, float64 to 1e-10,
and predicted tensors of exactly symmetric crystals obey Neumann's principle."""

from dataclasses import dataclass

import numpy as np
import pytest
import torch
from e3nn import o3
from pymatgen.core import Lattice, Structure
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer
from torch_geometric.data import Batch

from pgnn.graphs.crystal_graph import build_crystal_graph
from pgnn.models.o3net import O3Net
from pgnn.tensors import cartesian_operations, neumann_violation, rotate


@dataclass(frozen=True)
class Spec:
    name: str
    kind: str


TARGETS = [Spec("C", "elastic"), Spec("e", "piezoelectric"), Spec("eps", "dielectric"), Spec("k", "scalar")]
RANK = {"C": 4, "e": 3, "eps": 2, "k": 0}
SMALL = {"hidden_irreps": "8x0e+4x1o+4x2e", "num_layers": 2, "readout_mul": 4, "radial_hidden": 8, "cutoff": 4.5}


@pytest.fixture(autouse=True)
def float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    yield
    torch.set_default_dtype(old)


def to_batch(structures):
    graphs = []
    for s in structures:  # float64 positions straight from the structure (the graph stores float32)
        g = build_crystal_graph(s, cutoff=4.5, max_neighbors=None)
        g.pos = torch.tensor(s.cart_coords)
        g.cell = torch.tensor(s.lattice.matrix).unsqueeze(0)
        graphs.append(g)
    return Batch.from_data_list(graphs)


def rotated(b, g):
    b2 = b.clone()
    b2.pos, b2.cell = b.pos @ g.T, b.cell @ g.T
    return b2


def test_model_equivariant_on_real_crystals(bundled_records):
    structures = [e.structure for e in bundled_records("mp_piezo_2015", 3)]
    b = to_batch(structures)
    model = O3Net(SMALL, TARGETS).double().eval()
    out = model(b)
    assert out["C"].shape == (3, 3, 3, 3, 3) and out["e"].shape == (3, 3, 3, 3) and out["k"].shape == (3,)
    for g in (o3.rand_matrix(), -torch.eye(3), -o3.rand_matrix()):
        out_g = model(rotated(b, g))
        for name, t in out.items():
            expect = rotate(t, g, rank=RANK[name]) if RANK[name] else t
            torch.testing.assert_close(out_g[name], expect, atol=1e-10, rtol=0)


def test_inversion_kills_piezo_of_centrosymmetric_crystal():
    cscl = Structure(Lattice.cubic(4.1), ["Cs", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    model = O3Net(SMALL, TARGETS).double().eval()
    out = model(to_batch([cscl]))
    assert out["e"].abs().max() < 1e-10 and out["C"].abs().max() > 1e-4


def idealized(structure):
    sga = SpacegroupAnalyzer(structure, symprec=0.01)
    std = sga.get_refined_structure()
    ops = cartesian_operations([op.rotation_matrix for op in SpacegroupAnalyzer(std, symprec=1e-5).get_space_group_operations()], std.lattice.matrix)
    return std, ops


def crystals():
    rocksalt = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    perovskite = Structure(Lattice.cubic(3.9), ["Sr", "Ti", "O", "O", "O"],
                           [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    wurtzite = Structure.from_spacegroup("P6_3mc", Lattice.hexagonal(3.25, 5.21), ["Zn", "O"],
                                         [[1 / 3, 2 / 3, 0], [1 / 3, 2 / 3, 0.382]])
    return {"rocksalt": rocksalt, "perovskite": perovskite, "wurtzite": wurtzite}


@pytest.mark.parametrize("name", ["rocksalt", "perovskite", "wurtzite"])
def test_neumann_exact_on_idealized(name):
    std, ops = idealized(crystals()[name])
    R = o3.rand_matrix().numpy()  # an arbitrary frame: rotate the crystal and its operations together
    frame = Structure(Lattice(std.lattice.matrix @ R.T), std.species, std.frac_coords)
    ops = np.einsum("ij,njk,lk->nil", R, ops, R)
    model = O3Net(SMALL, TARGETS).double().eval()
    out = model(to_batch([frame]))
    for t in ("C", "eps"):
        assert float(neumann_violation(out[t][0].detach(), ops)) < 1e-10
    if name == "wurtzite":  # polar: piezo allowed, and Neumann-exact
        assert out["e"].abs().max() > 1e-6
        assert float(neumann_violation(out["e"][0].detach(), ops)) < 1e-10
    else:
        assert out["e"].abs().max() < 1e-10
