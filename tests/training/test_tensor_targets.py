"""Tensor target kinds: parsed into full Cartesian tensors, scored on Voigt components; tensor metrics."""

import numpy as np
import pytest
import torch

from pgnn.data.targets import KINDS, resolve_target
from pgnn.errors import TargetError
from pgnn.tensors import cartesian_operations, close_group, full_to_voigt, neumann_average, symmetrize
from pgnn.training.losses import loss_for, mean_abs_error
from pgnn.training.tensor_metrics import neumann_violations, point_group_operations, tensor_errors


@pytest.mark.parametrize("name,field,shape,n", [
    ("elastic_tensor", "elastic_tensor_voigt_GPa", (3, 3, 3, 3), 36),
    ("dielectric_tensor", "dielectric_total", (3, 3), 9),
    ("piezoelectric_tensor", "piezo_tensor_voigt_Cm2", (3, 3, 3), 18),
])
def test_bundled_records_parse(bundled_records, name, field, shape, n):
    spec = resolve_target(name)
    ds = {"elastic_tensor": "mp_elastic_2015", "dielectric_tensor": "mp_dielectric_2017",
          "piezoelectric_tensor": "mp_piezo_2015"}[name]
    entry = bundled_records(ds, 1)[0]
    t = spec.derive(entry.fields, entry.source)
    assert t.shape == shape
    v = full_to_voigt(t, spec.kind)
    np.testing.assert_allclose(v, np.asarray(entry.fields[field]) if spec.kind != "dielectric"
                               else symmetrize(np.asarray(entry.fields[field]), "dielectric"), atol=1e-12)
    comp = KINDS[spec.kind].components(torch.tensor(t)[None])
    assert comp.shape == (1, n)


def test_bad_shape_is_a_target_error():
    with pytest.raises(TargetError, match="6x6"):
        resolve_target("elastic_tensor").derive({"elastic_tensor_voigt_GPa": [[1, 2], [3, 4]]}, "x#1")


def test_loss_and_mae_on_voigt_components():
    a = torch.zeros(2, 3, 3, 3, 3)
    b = a.clone()
    b[:, 1, 2, 1, 2] = b[:, 2, 1, 1, 2] = b[:, 1, 2, 2, 1] = b[:, 2, 1, 2, 1] = 36.0  # C44 only
    assert float(mean_abs_error(a, b, "elastic")) == pytest.approx(1.0)  # one of 36 Voigt components
    assert float(loss_for("elastic", "l1")(a, b)) == pytest.approx(1.0)


def test_tensor_errors_and_neumann(rng=np.random.default_rng(0)):
    true = symmetrize(rng.normal(size=(5, 3, 3, 3, 3)) * 10 + 100, "elastic")
    errs = tensor_errors(true + 1.0 * 0, true, "elastic")
    assert errs["mae"] == 0 and errs["per_component_mae"]["C44"] == 0 and set(errs["derived_mae"]) == {"K_VRH_GPa", "G_VRH_GPa"}
    oh = close_group([np.array([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]]), np.array([[0.0, 0, 1], [1, 0, 0], [0, 1, 0]]), -np.eye(3)])
    sym = neumann_average(true[0], oh)
    v = neumann_violations(np.stack([sym, true[1]]), [oh, oh])
    assert v[0] < 1e-12 and v[1] > 1e-3
    # a tensor the group forbids, predicted as ~0: the floor keeps it exact instead of 0/0
    e = np.full((3, 3, 3), 1e-12)
    assert neumann_violations(e[None], [oh], floor=1e-3)[0] < 1e-8


def test_point_group_operations_of_rocksalt():
    a = 5.64
    lattice = np.array([[0, a / 2, a / 2], [a / 2, 0, a / 2], [a / 2, a / 2, 0]])
    ops = point_group_operations(lattice, [[0, 0, 0], [0.5, 0.5, 0.5]], [11, 17])
    assert len(ops) == 48
    np.testing.assert_allclose(np.einsum("nij,nkj->nik", ops, ops), np.broadcast_to(np.eye(3), (48, 3, 3)), atol=1e-12)
    assert cartesian_operations(np.eye(3)[None].astype(int), lattice).shape == (1, 3, 3)
