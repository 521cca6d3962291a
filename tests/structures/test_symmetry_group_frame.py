"""The frame of the fixed group matrices (pgnn.groups) reached from any input orientation, including the
space-group settings whose symmetry directions differ from spglib's standard frame (P-4m2, P-62m)."""

from __future__ import annotations

import numpy as np
import pytest
from known_crystals import perovskite, random_rotation, rocksalt, rotated, triclinic, wurtzite
from pymatgen.core import Lattice, Structure

from pgnn.structures.symmetry import analyze_symmetry

groups = pytest.importorskip("pgnn.groups")
if not hasattr(groups, "match_point_group"):
    pytest.skip("pgnn.groups has no match_point_group", allow_module_level=True)


def p4m2() -> Structure:
    """P-4m2 (No. 115): Ga 1a, As 1c, N 4j (x, 0, z)."""
    x, z = 0.2, 0.3
    n = [[x, 0, z], [-x, 0, z], [0, -x, -z], [0, x, -z]]
    return Structure(Lattice.tetragonal(4.0, 6.0), ["Ga", "As"] + ["N"] * 4, [[0, 0, 0], [0.5, 0.5, 0.5]] + n)


def p62m() -> Structure:
    """P-62m (No. 189): Ga 1a, As 2d, N 3f (x, 0, 0)."""
    x = 0.3
    coords = [[0, 0, 0], [1 / 3, 2 / 3, 0.5], [2 / 3, 1 / 3, 0.5], [x, 0, 0], [0, x, 0], [-x, -x, 0]]
    return Structure(Lattice.hexagonal(4.0, 6.0), ["Ga", "As", "As", "N", "N", "N"], coords)


@pytest.mark.parametrize("build", [rocksalt, perovskite, wurtzite, triclinic, p4m2, p62m])
def test_group_frame_gives_the_fixed_matrices(build):
    s = build()
    for seed in range(2):
        info = analyze_symmetry(rotated(s, random_rotation(seed + 10)))
        G = groups.point_group(info.point_group)
        R, perm = info.group_frame()
        assert np.allclose(R @ R.T, np.eye(3), atol=1e-12) and np.linalg.det(R) > 0
        assert sorted(perm.tolist()) == list(range(G.order))
        mapped = np.einsum("ij,gjk,lk->gil", R, info.rotations, R)
        assert np.allclose(mapped, G.elements[perm], atol=1e-8)


def test_settings_that_differ_from_the_spglib_frame():
    for build, number in ((p4m2, 115), (p62m, 189)):
        info = analyze_symmetry(build())
        assert info.space_group_number == number
        R, _ = info.group_frame()
        assert not np.allclose(R, info.rotation_to_standard)
        turn = R @ info.rotation_to_standard.T  # a rotation about z only
        assert np.allclose(turn[2], [0, 0, 1]) and np.allclose(turn[:, 2], [0, 0, 1])
    info = analyze_symmetry(wurtzite())
    assert np.allclose(info.group_frame()[0], info.rotation_to_standard)
