"""Size-times-direction tensor read-out (`model.norm_direction`) and the log-norm loss term: the models stay exactly
equivariant (float64, 1e-10) on random non-symmetric inputs, a forbidden tensor stays exactly zero, and the loss is
relative."""

import numpy as np
import pytest
import torch
from e3nn import o3

from pgnn.models.o3net import O3Net
from pgnn.models.pgnet import PGNet
from pgnn.nn.norm_direction import NormTimesDirection
from pgnn.tensors import rotate as rotate_o3
from pgnn.training.losses import log_norm_loss
from tests.models.test_o3net import SMALL, TARGETS, RANK, rotated, to_batch
from tests.pgnet.helpers import batch_of, random_crystal_graph, rotate, transformed


@pytest.fixture(autouse=True)
def float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    yield
    torch.set_default_dtype(old)


def test_layer_keeps_direction_and_zero():
    layer = NormTimesDirection()
    t = torch.randn(4, 3, 3, 3)
    s = torch.randn(4)
    out = layer(t, s)
    norm = out.reshape(4, -1).norm(dim=-1)
    assert torch.allclose(norm, torch.nn.functional.softplus(s) * t.reshape(4, -1).norm(dim=-1)
                          / torch.sqrt(t.reshape(4, -1).norm(dim=-1) ** 2 + 1e-6))
    cos = (out * t).reshape(4, -1).sum(-1) / (norm * t.reshape(4, -1).norm(dim=-1))
    assert torch.allclose(cos, torch.ones(4))
    assert layer(torch.zeros(2, 3, 3, 3), torch.randn(2)).abs().max() == 0


def test_o3_norm_direction_is_equivariant(bundled_records):
    model = O3Net({**SMALL, "norm_direction": True}, TARGETS).double().eval()
    assert set(model.sizes) == {"C", "e", "eps"}
    b = to_batch([e.structure for e in bundled_records("mp_piezo_2015", 3)])
    out = model(b)
    assert out["e"].abs().max() > 1e-6
    for g in (o3.rand_matrix(), -torch.eye(3), -o3.rand_matrix()):
        out_g = model(rotated(b, g))
        for name, t in out.items():
            expect = rotate_o3(t, g, rank=RANK[name]) if RANK[name] else t
            torch.testing.assert_close(out_g[name], expect, atol=1e-10, rtol=0)


@pytest.mark.parametrize("name", ["Oh", "C3v", "D2d", "C2"])
def test_pgnet_norm_direction_is_equivariant(name):
    from pgnn.groups import point_group

    G = point_group(name)
    targets = [("k", "scalar"), ("eps", "dielectric"), ("e", "piezoelectric")]
    cfg = dict(scalars=4, nonscalars=2, num_layers=2, l_max=2, cutoff=3.2, num_basis=4, radial_hidden=8,
               edge_copies=1, max_neighbors=6, group=name, norm_direction=True)
    model = PGNet(cfg, targets).double().eval()
    graphs = [random_crystal_graph(seed=s, n_atoms=2 + s) for s in (11, 12)]
    with torch.no_grad():
        ref = model(batch_of(*graphs))
        assert min(ref[k].abs().max().item() for k, _ in targets) > 1e-6  # not a vacuous check
        rng = np.random.default_rng(2)
        for R in np.asarray(G.elements):
            moved = [transformed(g, R, rng.permutation(g.num_nodes)) for g in graphs]
            out = model(batch_of(*moved))
            for key, kind in targets:
                expected = ref[key] if kind == "scalar" else rotate(ref[key], R)
                scale = ref[key].abs().max().item()
                assert (out[key] - expected).abs().max().item() < 1e-10 * max(1.0, scale)


def test_log_norm_loss_is_relative():
    true = torch.randn(6, 3, 3, 3)
    true = (true + true.transpose(2, 3)) / 2
    assert log_norm_loss(true, true, "piezoelectric").item() == 0.0
    # doubling every prediction costs the same log(2)-ish for a small and for a large tensor
    small, big = true[:3] * 1e-1, true[3:] * 1e1
    ls = log_norm_loss(2 * small, small, "piezoelectric", eps=0.0).item()
    lb = log_norm_loss(2 * big, big, "piezoelectric", eps=0.0).item()
    assert ls == pytest.approx(np.log(2)) and lb == pytest.approx(np.log(2))
