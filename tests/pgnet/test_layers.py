"""Layouts, decompositions and read-out tables of the point-group layers, checked against the groups module."""

from __future__ import annotations

from functools import reduce

import numpy as np
import pytest
import torch

from pgnn.errors import ConfigError
from pgnn.groups import point_group
from pgnn.groups.layout import PGIrreps
from pgnn.groups.tensors import ALIASES
from pgnn.nn.pg_gate import PGGate
from pgnn.nn.pg_readout import PGTensorReadout
from pgnn.structures.standard_frame import POINT_GROUPS


def test_layout_parsing_and_slices():
    lay = PGIrreps("Oh", "32xA1g + 8xEg + 16xT1u")
    assert lay.dim == 32 + 16 + 48 and lay.num_irreps == 56
    assert [s.start for s in lay.slices()] == [0, 32, 48]
    assert str(lay.simplify()) == "32xA1g + 8xEg + 16xT1u"
    assert PGIrreps("C3h", "2xA' + 3xE''").dim == 2 + 6
    assert PGIrreps("Oh", "A1g+T1u").terms == ((1, "A1g"), (1, "T1u"))
    with pytest.raises(ConfigError):
        PGIrreps("Oh", "4xA1")
    D = lay.D()
    assert D.shape == (48, lay.dim, lay.dim)
    assert np.allclose(np.einsum("gij,gkj->gik", D, D), np.eye(lay.dim))


def test_layout_is_an_immutable_value():
    lay = PGIrreps("Oh", "2xA1g + T1u")
    with pytest.raises(AttributeError):
        lay.terms = ()
    assert lay == point_group("Oh").layout("2xA1g + 1xT1u") and hash(lay) == hash(PGIrreps("m-3m", str(lay)))
    assert lay + "Eg" == PGIrreps("Oh", "2xA1g + T1u + Eg") and lay.dim == 5


@pytest.mark.parametrize("name", POINT_GROUPS)
def test_tensor_read_out_tables_match_neumann_counts(name):
    """The read-out's tensor layout (from G.tensor_space) has as many trivial copies as Neumann's principle allows
    independent components (Nye's tables), and its basis intertwines the Cartesian action with the irreps."""
    G = point_group(name)
    for kind in ("vector", "dielectric", "piezoelectric", "elastic"):
        lay = PGIrreps(G, "".join(f"+{len(G.irreps)}x{n}" for n in G.irrep_names)[1:])
        ro = PGTensorReadout(lay, kind)
        B = ro.B.numpy()
        r = ro.rank
        M = np.stack([reduce(np.kron, [R] * r) for R in np.asarray(G.elements)])  # R (x) ... (x) R
        D = ro.tensor_irreps.D()
        assert np.abs(np.einsum("gab,bk->gak", M, B) - np.einsum("ak,gkl->gal", B, D)).max() < 1e-10
        assert np.abs(B.T @ B - np.eye(ro.tensor_irreps.dim)).max() < 1e-10
        assert ro.tensor_irreps.count(G.trivial_irrep) == G.tensor_basis(ALIASES[kind])[0], (kind, name)


def test_gate_is_equivariant():
    G = point_group("D6h")
    hidden = PGIrreps(G, [(3, "A1g")] + [(2, ir.name) for ir in G.irreps if ir.name != "A1g"])
    gate = PGGate(hidden)
    x = torch.randn(5, gate.irreps_in.dim, dtype=torch.float64)
    Din = torch.as_tensor(gate.irreps_in.D())
    Dout = torch.as_tensor(gate.irreps_out.D())
    for g in range(G.order):
        assert (gate(x @ Din[g].T) - gate(x) @ Dout[g].T).abs().max() < 1e-12


def test_masked_parameters_never_get_gradients():
    """The padding n_masked_parameters counts is exactly the set of entries whose gradient is zero."""
    from pgnn.nn.pg_conv import PGConv
    from pgnn.nn.pg_edge_features import HarmonicEdgeFeatures

    torch.manual_seed(0)
    ef = HarmonicEdgeFeatures("D4h", 2)
    lay_in = PGIrreps("D4h", "6xA1g + 2xEu + 3xB1g")
    conv = PGConv(lay_in, ef.irreps_out, PGIrreps("D4h", "9xA1g + 2xEu + 1xA2u"), n_classes=2).double()
    x = torch.randn(7, lay_in.dim, dtype=torch.float64)
    ei = torch.randint(0, 7, (2, 30))
    vec = torch.randn(30, 3, dtype=torch.float64)
    conv(x, ei, ef.double()(vec), vec.norm(dim=-1), torch.tensor([0, 1, 0, 1, 1, 0, 0])).pow(2).sum().backward()
    zero = sum(int((p.grad == 0).sum()) for p in (conv.W_msg, conv.W_self))
    zero += int((conv.radial_mlp[-1].weight.grad == 0).all(dim=1).sum()) * (conv.radial_mlp[-1].in_features + 1)
    assert conv.n_masked_parameters() == zero > 0
