"""e3nn-level equivariance of the O(3) layers: f(g.x) = D(g) f(x) in float64 to 1e-10, rotations and inversion."""

import pytest
import torch
from e3nn import o3

from pgnn.nn.o3_conv import O3Conv, RadialEmbedding, gate_for
from pgnn.nn.tensor_readout import ScalarReadout, TensorReadout, mean_pool, tensor_statistics
from pgnn.tensors import basis, rotate, symmetrize


@pytest.fixture(autouse=True)
def float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    yield
    torch.set_default_dtype(old)


def random_graph(n=7, e=30):
    pos = torch.randn(n, 3) * 2
    edge_index = torch.randint(0, n, (2, e))
    edge_index = edge_index[:, edge_index[0] != edge_index[1]]
    return pos, edge_index


def operations():
    R = o3.rand_matrix()
    return {"rotation": R, "inversion": -torch.eye(3), "rotoinversion": -R}


@pytest.mark.parametrize("gate", [True, False])
def test_o3conv_equivariant(gate):
    irreps_in = o3.Irreps("4x0e+3x1o+2x2e+1x0o+1x1e")
    irreps_out = o3.Irreps("5x0e+2x1o+2x2e+2x2o+1x3o+1x4e")
    sh_irreps = o3.Irreps.spherical_harmonics(2)
    conv = O3Conv(irreps_in, irreps_out, sh_irreps, num_basis=6, radial_hidden=8, gate=gate)
    radial = RadialEmbedding(cutoff=6.0, num_basis=6)
    pos, edge_index = random_graph()
    x = irreps_in.randn(pos.shape[0], -1)

    def f(x, pos):
        vec = pos[edge_index[0]] - pos[edge_index[1]]
        sh = o3.spherical_harmonics(sh_irreps, vec, normalize=True, normalization="component")
        return conv(x, edge_index, sh, radial(vec.norm(dim=-1)))

    y = f(x, pos)
    assert y.shape == (pos.shape[0], irreps_out.dim) and y.abs().max() > 1e-3
    for name, g in operations().items():
        y_g = f(x @ irreps_in.D_from_matrix(g).T, pos @ g.T)
        torch.testing.assert_close(y_g, y @ irreps_out.D_from_matrix(g).T, atol=1e-10, rtol=0, msg=name)


def test_residual_and_gate_layout():
    irreps = o3.Irreps("8x0e+4x1o+4x2e")
    conv = O3Conv(irreps, irreps, o3.Irreps.spherical_harmonics(2))
    assert conv.residual
    g = gate_for(irreps)
    assert g.irreps_out.simplify() == irreps.simplify()
    assert g.irreps_in.dim == irreps.dim + 8  # one 0e gate per gated irrep


def test_radial_goes_to_zero_at_cutoff():
    r = RadialEmbedding(cutoff=5.0, num_basis=8)
    d = torch.tensor([0.5, 4.999999, 5.0, 6.0])
    out = r(d)
    assert out[0].abs().max() > 0.1
    assert out[1:].abs().max() < 1e-8


@pytest.mark.parametrize("kind", ["dielectric", "piezoelectric", "elastic"])
def test_tensor_readout_equivariant(kind):
    irreps_in = o3.Irreps("6x0e+4x1o+4x2e+3x2o+3x3o+2x4e")
    head = TensorReadout(irreps_in, kind)
    head.set_statistics(3.0, [1.0, 2.0][: int(basis(kind).isotropic_mask().sum())])
    x = irreps_in.randn(10, -1)
    batch = torch.tensor([0, 0, 0, 1, 1, 1, 1, 2, 2, 2])
    T = head(x, batch, 3)
    rank = {"dielectric": 2, "piezoelectric": 3, "elastic": 4}[kind]
    assert T.shape == (3,) + (3,) * rank
    torch.testing.assert_close(symmetrize(T, kind), T, atol=1e-12, rtol=0)
    for name, g in operations().items():
        T_g = head(x @ irreps_in.D_from_matrix(g).T, batch, 3)
        torch.testing.assert_close(T_g, rotate(T, g, rank=rank), atol=1e-10, rtol=0, msg=name)


def test_tensor_readout_needs_irreps():
    with pytest.raises(ValueError, match="4e"):
        TensorReadout(o3.Irreps("4x0e+2x2e"), "elastic")


def test_scalar_readout_invariant_and_pool():
    irreps_in = o3.Irreps("6x0e+4x1o+2x0o")
    head = ScalarReadout(irreps_in)
    x = irreps_in.randn(5, -1)
    batch = torch.tensor([0, 0, 1, 1, 1])
    s = head(x, batch, 2)
    assert s.shape == (2,)
    g = -o3.rand_matrix()
    torch.testing.assert_close(head(x @ irreps_in.D_from_matrix(g).T, batch, 2), s, atol=1e-10, rtol=0)
    torch.testing.assert_close(mean_pool(x, batch, 2)[1], x[2:].mean(0))


def test_tensor_statistics_rotation_invariant():
    C = symmetrize(torch.randn(20, 3, 3, 3, 3), "elastic")
    s1, iso1 = tensor_statistics(C, "elastic")
    s2, iso2 = tensor_statistics(rotate(C, o3.rand_matrix(), rank=4), "elastic")
    assert abs(s1 - s2) < 1e-10 and max(abs(a - b) for a, b in zip(iso1, iso2)) < 1e-10
