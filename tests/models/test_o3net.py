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
SMALL = {"hidden": "4x0e+2x1o+2x2e", "num_layers": 2, "readout_mul": 2, "radial_hidden": 4, "num_basis": 4,
         "cutoff": 4.5}


@pytest.fixture(scope="module")
def model():
    """One small float64 model shared by the tests of this file (building e3nn layers takes seconds)."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    m = O3Net(SMALL, TARGETS).double().eval()
    torch.set_default_dtype(old)
    return m


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


def test_model_equivariant_on_real_crystals(bundled_records, model):
    structures = [e.structure for e in bundled_records("mp_piezo_2015", 3)]
    b = to_batch(structures)
    out = model(b)
    assert out["C"].shape == (3, 3, 3, 3, 3) and out["e"].shape == (3, 3, 3, 3) and out["k"].shape == (3,)
    for g in (o3.rand_matrix(), -torch.eye(3), -o3.rand_matrix()):
        out_g = model(rotated(b, g))
        for name, t in out.items():
            expect = rotate(t, g, rank=RANK[name]) if RANK[name] else t
            torch.testing.assert_close(out_g[name], expect, atol=1e-10, rtol=0)


def test_inversion_kills_piezo_of_centrosymmetric_crystal(model):
    cscl = Structure(Lattice.cubic(4.1), ["Cs", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
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
    zincblende = Structure.from_spacegroup("F-43m", Lattice.cubic(5.65), ["Ga", "As"], [[0, 0, 0], [0.25, 0.25, 0.25]])
    return {"rocksalt": rocksalt, "perovskite": perovskite, "wurtzite": wurtzite, "zincblende": zincblende}


@pytest.mark.parametrize("name", ["rocksalt", "perovskite", "wurtzite", "zincblende"])
def test_neumann_exact_on_idealized(name, model):
    std, ops = idealized(crystals()[name])
    R = o3.rand_matrix().numpy()  # an arbitrary frame: rotate the crystal and its operations together
    frame = Structure(Lattice(std.lattice.matrix @ R.T), std.species, std.frac_coords)
    ops = np.einsum("ij,njk,lk->nil", R, ops, R)
    out = model(to_batch([frame]))
    for t in ("C", "eps"):
        assert float(neumann_violation(out[t][0].detach(), ops)) < 1e-10
    if name in ("wurtzite", "zincblende"):  # non-centrosymmetric: piezo allowed (e14 of -43m needs l = 3)
        assert out["e"].abs().max() > 1e-6
        assert float(neumann_violation(out["e"][0].detach(), ops)) < 1e-10
    else:
        assert out["e"].abs().max() < 1e-10


def test_cubic_elastic_anisotropy_is_expressible(model):
    """Oh sites have no l = 2 invariant: the cubic anisotropy C11 - C12 - 2 C44 needs the l = 4 read-out."""
    from pgnn.tensors import full_to_voigt

    rocksalt = crystals()["rocksalt"]
    low = O3Net({**SMALL, "l_max_readout": 2}, TARGETS[:1]).double().eval()
    for m, nonzero in ((model, True), (low, False)):
        C = full_to_voigt(m(to_batch([rocksalt]))["C"][0].detach(), "elastic")
        anisotropy = float(C[0, 0] - C[0, 1] - 2 * C[3, 3])
        assert (abs(anisotropy) > 1e-6) == nonzero, anisotropy
