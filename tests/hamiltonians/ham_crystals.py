"""Tiny crystals for the Hamiltonian tests (a module of its own: several test folders have a conftest)."""

from __future__ import annotations

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure


def rocksalt(a: float, A: str, B: str) -> Structure:
    """The 2-atom primitive cell of a rock-salt crystal (m-3m)."""
    lat = Lattice(np.array([[0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]]) * a)
    return Structure(lat, [A, B], [[0, 0, 0], [0.5, 0.5, 0.5]])


def rutile() -> Structure:
    """Rutile TiO2 (P4_2/mnm, a non-symmorphic group; Ti on a D2h site with 3d orbitals)."""
    u = 0.3049
    return Structure(Lattice.tetragonal(4.594, 2.959), ["Ti", "Ti", "O", "O", "O", "O"],
                     [[0, 0, 0], [0.5, 0.5, 0.5], [u, u, 0], [1 - u, 1 - u, 0], [0.5 + u, 0.5 - u, 0.5],
                      [0.5 - u, 0.5 + u, 0.5]])


def tblite_or_skip():
    pytest.importorskip("tblite", reason="the tblite engine is not installed (pip install tblite)")
    pytest.importorskip("sisl", reason="sisl is not installed (pip install sisl)")
