import numpy as np
import pytest
import torch
from pymatgen.analysis.elasticity import ElasticTensor
from pymatgen.core.tensors import Tensor

from pgnn.tensors import (
    KINDS,
    full_to_voigt,
    independent_to_voigt,
    symmetrize,
    voigt_labels,
    voigt_to_full,
    voigt_to_independent,
)

ENG = np.array([1, 1, 1, 2, 2, 2.0])  # engineering shear strain factors


def random_voigt(kind, rng, batch=()):
    v = rng.normal(size=batch + KINDS[kind].voigt_shape)
    if kind != "piezoelectric":
        v = (v + np.swapaxes(v, -1, -2)) / 2
    return v


def strain_voigt(eps):
    return np.array([eps[0, 0], eps[1, 1], eps[2, 2], eps[1, 2], eps[0, 2], eps[0, 1]]) * ENG


@pytest.mark.parametrize("kind", list(KINDS))
def test_round_trip_numpy_and_torch(kind, rng):
    v = random_voigt(kind, rng, batch=(4, 2))
    full = voigt_to_full(v, kind)
    assert full.shape == (4, 2) + KINDS[kind].cartesian_shape
    np.testing.assert_allclose(symmetrize(full, kind), full, atol=1e-14)
    np.testing.assert_allclose(full_to_voigt(full, kind), v, atol=1e-14)
    vt = torch.tensor(v)
    ft = voigt_to_full(vt, kind)
    np.testing.assert_allclose(ft.numpy(), full, atol=1e-14)
    np.testing.assert_allclose(full_to_voigt(ft, kind).numpy(), v, atol=1e-14)
    ind = voigt_to_independent(v, kind)
    assert ind.shape[-1] == KINDS[kind].n_independent
    np.testing.assert_allclose(independent_to_voigt(ind, kind), v)
    np.testing.assert_allclose(independent_to_voigt(torch.tensor(ind), kind).numpy(), v)


def test_elastic_stress_strain_and_pymatgen(rng):
    """sigma_ij = C_ijkl eps_kl equals Voigt C @ (engineering) strain: no factor-2 mistake; pymatgen agrees."""
    C = random_voigt("elastic", rng)
    eps = rng.normal(size=(3, 3))
    eps = (eps + eps.T) / 2
    sigma = np.einsum("ijkl,kl->ij", voigt_to_full(C, "elastic"), eps)
    sv = C @ strain_voigt(eps)
    np.testing.assert_allclose([sigma[0, 0], sigma[1, 1], sigma[2, 2], sigma[1, 2], sigma[0, 2], sigma[0, 1]], sv)
    np.testing.assert_allclose(voigt_to_full(C, "elastic"), np.asarray(ElasticTensor.from_voigt(C)), atol=1e-14)


def test_piezo_no_factor_two(rng):
    """P_i = e_ijk eps_jk equals Voigt e @ engineering strain (the e tensor carries no factor 2); pymatgen agrees."""
    e = random_voigt("piezoelectric", rng)
    eps = rng.normal(size=(3, 3))
    eps = (eps + eps.T) / 2
    P = np.einsum("ijk,jk->i", voigt_to_full(e, "piezoelectric"), eps)
    np.testing.assert_allclose(P, e @ strain_voigt(eps))
    full = voigt_to_full(e, "piezoelectric")
    assert full[0, 1, 2] == e[0, 3] and full[2, 0, 1] == e[2, 5] and full[1, 2, 0] == e[1, 4]
    np.testing.assert_allclose(full, np.asarray(Tensor.from_voigt(e)), atol=1e-14)


def test_dielectric_symmetrizes():
    m = np.array([[1.0, 2.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 4.0]])
    np.testing.assert_allclose(voigt_to_full(m, "dielectric")[0, 1], 1.0)
    np.testing.assert_allclose(full_to_voigt(m, "dielectric")[1, 0], 1.0)


def test_labels():
    assert voigt_labels("elastic")[3][3] == "C44"
    assert voigt_labels("piezoelectric")[2][5] == "e36"
    assert voigt_labels("dielectric")[0][2] == "eps13"


def test_bad_shape_raises():
    with pytest.raises(ValueError):
        voigt_to_full(np.zeros((3, 3)), "elastic")
