import numpy as np
import pytest
import torch

from pgnn.tensors import close_group


def _rot(axis, angle):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    K = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * K + (1 - np.cos(angle)) * K @ K


@pytest.fixture(scope="session")
def oh_ops():
    """m-3m (O_h), 48 Cartesian operations in the cube frame."""
    return close_group([_rot([0, 0, 1], np.pi / 2), _rot([1, 1, 1], 2 * np.pi / 3), -np.eye(3)])


@pytest.fixture(scope="session")
def c6v_ops():
    """6mm (C_6v), 12 operations, 6-fold axis along z, mirror x -> -x."""
    return close_group([_rot([0, 0, 1], np.pi / 3), np.diag([-1.0, 1, 1])])


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _random_rotation(rng, inversion=False):
    q = rng.normal(size=4)
    q /= np.linalg.norm(q)
    a, b, c, d = q
    R = np.array([
        [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
        [2 * (b * c + a * d), a * a - b * b + c * c - d * d, 2 * (c * d - a * b)],
        [2 * (b * d - a * c), 2 * (c * d + a * b), a * a - b * b - c * c + d * d],
    ])
    return -R if inversion else R


@pytest.fixture
def random_rotation():
    """random_rotation(rng, inversion=False) -> [3, 3] random rotation (times -1 with inversion)."""
    return _random_rotation


@pytest.fixture
def float64():
    """torch default dtype float64 for the test (e3nn builds Wigner matrices in the default dtype)."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)
