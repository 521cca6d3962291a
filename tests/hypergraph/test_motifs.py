"""First-shell motifs: known coordination numbers and edge cases."""

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from pgnn.errors import StructureError
from pgnn.graphs.hypergraph import build_crystal_hypergraph
from pgnn.graphs.motifs import first_shells
from pgnn.graphs.neighbors import neighbor_list
from tests.hypergraph.conftest import cscl, diamond, rocksalt


def _sizes(s):
    nb = neighbor_list(s.cart_coords, s.lattice.matrix, cutoff=8.0, max_neighbors=None)
    return first_shells(nb, len(s)).size


@pytest.mark.parametrize("make, cn", [(rocksalt, 6), (diamond, 4), (cscl, 8)])
def test_known_coordination(make, cn):
    assert (_sizes(make()) == cn).all()


def test_metals():
    bcc = Structure(Lattice.cubic(2.87), ["Fe", "Fe"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    fcc = Structure(Lattice([[0, 1.8, 1.8], [1.8, 0, 1.8], [1.8, 1.8, 0]]), ["Cu"], [[0, 0, 0]])
    hcp = Structure.from_spacegroup("P6_3/mmc", Lattice.hexagonal(3.21, 5.21), ["Mg"], [[1 / 3, 2 / 3, 0.25]])
    assert (_sizes(bcc) == 8).all() and (_sizes(fcc) == 12).all() and (_sizes(hcp) == 12).all()


def test_motif_hyperedges_in_hypergraph():
    g = build_crystal_hypergraph(rocksalt(), hyperedges=("motif",))
    assert g["motif"].num_nodes == 8
    ei, role = g["atom", "in", "motif"].edge_index, g["atom", "in", "motif"].role
    assert ei.shape[1] == 8 * 7 and int((role == 0).sum()) == 8
    assert (g["motif"].x[:, -1] == 6).all()


def test_one_atom_cell():
    fcc = Structure(Lattice([[0, 1.8, 1.8], [1.8, 0, 1.8], [1.8, 1.8, 0]]), ["Cu"], [[0, 0, 0]])
    g = build_crystal_hypergraph(fcc, hyperedges=("bond", "triplet", "motif", "unit_cell"))
    assert g["atom"].num_nodes == 1 and g["bond"].num_nodes == 12
    assert int(g["motif"].x[0, -1]) == 12
    # every incidence points at the single atom
    assert (g["atom", "in", "bond"].edge_index[0] == 0).all()


def test_skewed_cell_same_features_as_reduced_cell():
    base = Structure(Lattice([[0, 2.8, 2.8], [2.8, 0, 2.8], [2.8, 2.8, 0]]), ["Na", "Cl"],
                     [[0, 0, 0], [0.5, 0.5, 0.5]])
    m = base.lattice.matrix
    skew = np.array([[1, 0, 0], [7, 1, 0], [-5, 3, 1]]) @ m  # same lattice, very skewed basis
    skewed = Structure(Lattice(skew), ["Na", "Cl"], base.cart_coords, coords_are_cartesian=True)
    a = build_crystal_hypergraph(base, dtype=__import__("torch").float64)
    b = build_crystal_hypergraph(skewed, dtype=__import__("torch").float64)
    for t in ("bond", "triplet", "motif"):
        xa = np.sort(a[t].x.numpy(), axis=0)
        xb = np.sort(b[t].x.numpy(), axis=0)
        np.testing.assert_allclose(xa, xb, atol=1e-8)


def test_nearest_neighbour_beyond_cutoff_is_a_clear_error():
    lonely = Structure(Lattice.cubic(12.0), ["Na"], [[0, 0, 0]])
    with pytest.raises(StructureError, match="no neighbour within the cutoff of 8.0 A"):
        build_crystal_hypergraph(lonely, source="lonely.cif")
    try:
        build_crystal_hypergraph(lonely, source="lonely.cif")
    except StructureError as exc:
        assert exc.source == "lonely.cif"
