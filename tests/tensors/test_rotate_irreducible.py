import numpy as np
import pytest
import torch
from e3nn import o3

from pgnn.tensors import KINDS, basis, from_irreps, rotate, symmetrize, to_irreps, voigt_to_full


def test_rotate_rank2_is_similarity(rng, random_rotation):
    R = random_rotation(rng)
    A = rng.normal(size=(3, 3))
    np.testing.assert_allclose(rotate(A, R), R @ A @ R.T, atol=1e-14)


def test_rotate_batched_torch(rng, random_rotation):
    R = np.stack([random_rotation(rng) for _ in range(5)])
    T = rng.normal(size=(5, 3, 3, 3, 3))
    out = rotate(torch.tensor(T), torch.tensor(R)).numpy()
    for b in range(5):
        np.testing.assert_allclose(out[b], rotate(T[b], R[b]), atol=1e-13)
    one = rotate(torch.tensor(T), torch.tensor(R[0]), rank=4).numpy()
    np.testing.assert_allclose(one[3], rotate(T[3], R[0]), atol=1e-13)


def test_inversion_flips_odd_rank(rng):
    e = rng.normal(size=(3, 3, 3))
    np.testing.assert_allclose(rotate(e, -np.eye(3)), -e)
    C = rng.normal(size=(3, 3, 3, 3))
    np.testing.assert_allclose(rotate(C, -np.eye(3)), C)


@pytest.mark.parametrize("kind,irreps", [("dielectric", "1x0e+1x2e"), ("piezoelectric", "2x1o+1x2o+1x3o"),
                                         ("elastic", "2x0e+2x2e+1x4e")])
def test_decomposition_reassembles_and_rotates(kind, irreps, rng, random_rotation, float64):
    b = basis(kind)
    assert str(b.irreps) == irreps and b.irreps.dim == KINDS[kind].n_independent
    np.testing.assert_allclose(b.Q_flat @ b.Q_flat.T, np.eye(b.irreps.dim), atol=1e-12)
    t = symmetrize(rng.normal(size=(7,) + KINDS[kind].cartesian_shape), kind)
    x = to_irreps(t, kind)
    np.testing.assert_allclose(from_irreps(x, kind), t, atol=1e-12)
    np.testing.assert_allclose(from_irreps(to_irreps(torch.tensor(t), kind), kind).numpy(), t, atol=1e-12)
    for inversion in (False, True):
        R = random_rotation(rng, inversion)
        D = b.irreps.D_from_matrix(torch.tensor(R)).numpy()
        np.testing.assert_allclose(to_irreps(rotate(t, R, rank=KINDS[kind].rank), kind), x @ D.T, atol=1e-12)


def test_isotropic_parts_of_isotropic_elastic():
    lam, mu = 50.0, 30.0
    C = np.zeros((6, 6))
    C[:3, :3] = lam
    C[np.arange(3), np.arange(3)] = lam + 2 * mu
    C[np.arange(3, 6), np.arange(3, 6)] = mu
    x = to_irreps(voigt_to_full(C, "elastic"), "elastic")
    mask = basis("elastic").isotropic_mask()
    assert mask.sum() == 2
    np.testing.assert_allclose(x[~mask], 0, atol=1e-12)


def test_torch_dtype_follows_input(rng):
    t = torch.tensor(symmetrize(rng.normal(size=(3, 3, 3)), "piezoelectric"), dtype=torch.float32)
    assert to_irreps(t, "piezoelectric").dtype == torch.float32
    D = o3.Irreps("1o")  # e3nn is importable alongside
    assert D.dim == 3
