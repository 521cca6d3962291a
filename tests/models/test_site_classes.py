"""Site-class weights (seed 002) in the O(3) model and PGNet: exactly equivariant with per-atom class labels, one
weight set per class present in the training data, unseen classes mapped to the most frequent one."""

import numpy as np
import pytest
import torch
from e3nn import o3

from pgnn.models.o3net import O3Net
from pgnn.models.pgnet import PGNet
from pgnn.nn.site_class_map import SiteClassMap, classes_by_frequency
from pgnn.tensors import rotate as rotate_o3
from tests.models.test_o3net import RANK, SMALL, TARGETS, rotated, to_batch
from tests.pgnet.helpers import batch_of, random_crystal_graph, rotate, transformed


@pytest.fixture(autouse=True)
def float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    yield
    torch.set_default_dtype(old)


def test_class_map_and_frequency_order():
    m = SiteClassMap([7, 3, 10])
    assert m.n_slots == 3 and m(torch.tensor([3, 7, 10, 0, 31])).tolist() == [1, 0, 2, 0, 0]
    assert SiteClassMap(None)(torch.tensor([5, 31])).tolist() == [5, 31]
    assert classes_by_frequency([torch.tensor([3, 3, 7]), torch.tensor([7, 7, 1])]) == [7, 3, 1]
    with pytest.raises(ValueError):
        SiteClassMap([3, 3])


def test_o3_site_classes_equivariant_and_classes_matter(bundled_records):
    model = O3Net({**SMALL, "site_classes": True, "site_class_set": [7, 3, 10]}, TARGETS).double().eval()
    assert len(model.layers[0].linear_post) == 3  # weights for the three classes only, not 32
    b = to_batch([e.structure for e in bundled_records("mp_piezo_2015", 3)])
    b.site_class = torch.as_tensor(np.random.default_rng(0).choice([3, 7, 10, 25], size=b.z.shape[0]))
    out = model(b)
    for g in (o3.rand_matrix(), -torch.eye(3), -o3.rand_matrix()):
        out_g = model(rotated(b, g))
        for name, t in out.items():
            expect = rotate_o3(t, g, rank=RANK[name]) if RANK[name] else t
            torch.testing.assert_close(out_g[name], expect, atol=1e-10, rtol=0)
    other = b.clone()
    other.site_class = torch.full_like(b.site_class, 3)
    assert (model(other)["k"] - out["k"]).abs().max() > 1e-6  # the class labels are used
    unseen = b.clone()
    unseen.site_class = torch.where(b.site_class == 25, torch.tensor(7), b.site_class)  # 25 unseen -> slot of 7
    torch.testing.assert_close(model(unseen)["k"], out["k"], atol=1e-12, rtol=0)


def test_pgnet_site_class_set_equivariant():
    from pgnn.groups import point_group

    G = point_group("D4h")
    targets = [("k", "scalar"), ("eps", "dielectric"), ("e", "piezoelectric")]
    cfg = dict(scalars=4, nonscalars=2, num_layers=2, l_max=2, cutoff=3.2, num_basis=4, radial_hidden=8,
               edge_copies=1, max_neighbors=6, group="D4h", site_classes=True, site_class_set=[0, 5])
    model = PGNet(cfg, targets).double().eval()
    assert model.cores["D4h"].convs[0].W_msg.shape[0] == 2
    graphs = [random_crystal_graph(seed=s, n_atoms=2 + s) for s in (11, 12)]
    with torch.no_grad():
        ref = model(batch_of(*graphs))
        rng = np.random.default_rng(2)
        for R in np.asarray(G.elements):
            moved = [transformed(g, R, rng.permutation(g.num_nodes)) for g in graphs]
            out = model(batch_of(*moved))
            for key, kind in targets:
                expected = ref[key] if kind == "scalar" else rotate(ref[key], R)
                assert (out[key] - expected).abs().max().item() < 1e-10 * max(1.0, ref[key].abs().max().item())


@pytest.mark.slow
def test_fit_keeps_weights_for_training_classes_only(tmp_path):
    import yaml

    from pgnn.training.config import resolve_config
    from pgnn.training.fit import fit
    from pgnn.training.predictor import load_predictor
    from tests.training.conftest import tiny_config

    torch.set_default_dtype(torch.float32)  # training runs in float32 (the fixture restores the default)
    raw = tiny_config(tmp_path / "cache", max_epochs=1)
    raw["data"]["limit"] = 12
    raw["model"] = {"name": "o3", **SMALL, "site_classes": True}
    run = fit(resolve_config(raw), out=tmp_path / "run")
    saved = yaml.safe_load((run / "config.yaml").read_text())["model"]["site_class_set"]
    assert saved and len(saved) < 32
    pred = load_predictor(run)
    assert len(pred.module.model.layers[0].linear_post) == len(saved)
