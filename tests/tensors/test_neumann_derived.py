import numpy as np
import torch
from pymatgen.analysis.elasticity import ElasticTensor

from pgnn.tensors import (
    bulk_shear_moduli,
    cartesian_operations,
    count_invariants,
    derived_scalars,
    dielectric_scalars,
    full_to_voigt,
    neumann_average,
    neumann_violation,
    piezo_max,
    symmetrize,
    voigt_to_full,
)


def test_cubic_projection_leaves_three_values(oh_ops, rng):
    assert len(oh_ops) == 48
    C = symmetrize(rng.normal(size=(3, 3, 3, 3)), "elastic")
    Cv = full_to_voigt(neumann_average(C, oh_ops), "elastic")
    np.testing.assert_allclose(Cv[0, 0], Cv[1, 1]); np.testing.assert_allclose(Cv[0, 0], Cv[2, 2])
    np.testing.assert_allclose([Cv[0, 1], Cv[0, 2]], [Cv[1, 2], Cv[1, 2]])
    np.testing.assert_allclose([Cv[3, 3], Cv[4, 4]], [Cv[5, 5], Cv[5, 5]])
    zeros = np.ones((6, 6), bool)
    zeros[:3, :3] = False
    zeros[[3, 4, 5], [3, 4, 5]] = False
    np.testing.assert_allclose(Cv[zeros], 0, atol=1e-14)
    assert len(np.unique(np.round(Cv, 12))) == 4  # C11, C12, C44 and 0
    assert count_invariants(oh_ops, "elastic") == 3
    assert count_invariants(oh_ops, "dielectric") == 1
    assert count_invariants(oh_ops, "piezoelectric") == 0


def test_hexagonal_counts(c6v_ops):
    assert len(c6v_ops) == 12
    assert count_invariants(c6v_ops, "elastic") == 5
    assert count_invariants(c6v_ops, "dielectric") == 2
    assert count_invariants(c6v_ops, "piezoelectric") == 3  # e31, e33, e15


def test_violation(oh_ops, rng):
    C = neumann_average(symmetrize(rng.normal(size=(3, 3, 3, 3)), "elastic"), oh_ops)
    assert neumann_violation(C, oh_ops) < 1e-14
    noisy = C + 1e-3 * rng.normal(size=C.shape)
    assert 1e-5 < neumann_violation(noisy, oh_ops) < 1e-2
    batch = torch.tensor(np.stack([C, noisy]))
    v = neumann_violation(batch, oh_ops, rank=4)
    assert v.shape == (2,) and v[0] < 1e-12


def test_cartesian_operations_of_hexagonal_lattice():
    a, c = 3.0, 5.0
    L = np.array([[a, 0, 0], [-a / 2, a * np.sqrt(3) / 2, 0], [0, 0, c]])
    W = np.array([[[1, -1, 0], [1, 0, 0], [0, 0, 1]]])  # 6-fold about c in fractional coordinates
    g = cartesian_operations(W, L)[0]
    np.testing.assert_allclose(g @ g.T, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(np.trace(g), 2.0, atol=1e-12)  # 1 + 2 cos 60


def test_cubic_and_isotropic_moduli():
    C11, C12, C44 = 250.0, 120.0, 80.0
    C = np.zeros((6, 6))
    C[:3, :3] = C12
    C[np.arange(3), np.arange(3)] = C11
    C[np.arange(3, 6), np.arange(3, 6)] = C44
    m = bulk_shear_moduli(C)
    np.testing.assert_allclose(m["K_V"], (C11 + 2 * C12) / 3)
    np.testing.assert_allclose(m["K_R"], (C11 + 2 * C12) / 3)
    np.testing.assert_allclose(m["G_V"], (C11 - C12 + 3 * C44) / 5)
    np.testing.assert_allclose(m["G_R"], 5 * (C11 - C12) * C44 / (4 * C44 + 3 * (C11 - C12)))
    et = ElasticTensor.from_voigt(C)
    np.testing.assert_allclose([m["K_VRH"], m["G_VRH"]], [et.k_vrh, et.g_vrh])
    lam, mu = 60.0, 40.0  # isotropic: every average is the same
    iso = np.zeros((6, 6))
    iso[:3, :3] = lam
    iso[np.arange(3), np.arange(3)] = lam + 2 * mu
    iso[np.arange(3, 6), np.arange(3, 6)] = mu
    m = bulk_shear_moduli(torch.tensor(iso))
    np.testing.assert_allclose([float(m["K_VRH"]), float(m["G_VRH"])], [lam + 2 * mu / 3, mu])


def test_random_elastic_against_pymatgen(rng):
    A = rng.normal(size=(6, 6))
    C = A @ A.T * 20 + np.eye(6) * 50
    m = bulk_shear_moduli(C)
    et = ElasticTensor.from_voigt(C)
    np.testing.assert_allclose([m["K_VRH"], m["G_VRH"]], [et.k_vrh, et.g_vrh], rtol=1e-10)
    d = derived_scalars(np.stack([C, C]), "elastic")
    assert d["K_VRH_GPa"].shape == (2,)


def test_dielectric_and_piezo_scalars():
    eps = np.diag([2.0, 3.0, 7.0])
    d = dielectric_scalars(eps)
    np.testing.assert_allclose(d["eigenvalues"], [2, 3, 7])
    np.testing.assert_allclose(d["average"], 4.0)
    np.testing.assert_allclose(d["anisotropy"], 1.25)
    e = np.zeros((3, 6))
    e[2, 2], e[0, 4] = 1.5, -2.0
    assert piezo_max(e) == 2.0
    assert float(piezo_max(torch.tensor(e))) == 2.0
    np.testing.assert_allclose(voigt_to_full(e, "piezoelectric")[0, 2, 0], -2.0)
