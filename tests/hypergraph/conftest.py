"""Small structures shared by the hypergraph tests."""

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure


def rocksalt():
    return Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])


def diamond():
    return Structure.from_spacegroup("Fd-3m", Lattice.cubic(5.43), ["Si"], [[0, 0, 0]])


def cscl():
    return Structure(Lattice.cubic(4.12), ["Cs", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])


def random_structure(seed: int) -> Structure:
    """A generic low-symmetry cell: no ties between distances, so every choice is unique."""
    rng = np.random.default_rng(seed)
    lattice = Lattice(np.diag([4.1, 4.6, 5.3]) + rng.normal(scale=0.6, size=(3, 3)))
    return Structure(lattice, ["Na", "Cl", "Fe", "O", "O"], rng.random((5, 3)))


def random_rotation(seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    return q * np.sign(np.diag(r))


@pytest.fixture
def structures():
    return {"rocksalt": rocksalt(), "diamond": diamond(), "cscl": cscl()}
