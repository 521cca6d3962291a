"""Identify point groups given in arbitrary frames; embeddings of subgroups."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from pgnn.errors import SymmetryError
from pgnn.groups import list_groups, point_group
from pgnn.groups.matching import embed, match_point_group, type_signature


def test_type_signatures_are_distinct():
    sigs = {type_signature(point_group(n).elements) for n in list_groups()}
    assert len(sigs) == 32


@pytest.mark.parametrize("name", list_groups())
def test_match_random_frames(name):
    G = point_group(name)
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    for k in range(2):
        Q = Rotation.random(random_state=rng.integers(1 << 30)).as_matrix()
        rot = np.einsum("ab,gbc,dc->gad", Q, G.elements, Q)[rng.permutation(G.order)]
        got, R, perm = match_point_group(rot)
        assert got == name
        assert np.isclose(np.linalg.det(R), 1.0) and np.allclose(R @ R.T, np.eye(3))
        assert sorted(perm.tolist()) == list(range(G.order))
        assert np.abs(np.einsum("ab,gbc,dc->gad", R, rot, R) - G.elements[perm]).max() < 1e-9
    # already standard: identity
    got, R, perm = match_point_group(G.elements)
    assert got == name and np.allclose(R, np.eye(3)) and perm.tolist() == list(range(G.order))


def test_match_other_settings():
    """P-62m and P-4m2 settings (rotated by 30 / 45 degrees about z) map onto -6m2 and -42m."""
    for name, deg in (("D3h", 30), ("D2d", 45), ("C3v", 30), ("D3", 90)):
        G = point_group(name)
        Q = Rotation.from_euler("z", deg, degrees=True).as_matrix()
        rot = np.einsum("ab,gbc,dc->gad", Q, G.elements, Q)
        got, R, perm = match_point_group(rot)
        assert got == name
        assert np.allclose(np.einsum("ab,gbc,dc->gad", R, rot, R), G.elements[perm])


def test_match_rejects_non_groups():
    with pytest.raises(SymmetryError):
        match_point_group(point_group("Oh").elements[:5])
    with pytest.raises(SymmetryError):
        match_point_group(np.eye(3)[None] * 2)


def test_embed():
    for name in list_groups():
        G = point_group(name)
        idx, R = embed(name, G.lattice_holohedry)
        assert np.allclose(R, np.eye(3))
        assert np.allclose(point_group(G.lattice_holohedry).elements[idx], G.elements)
    idx, R = embed("D3d", "Oh")  # the 3-fold along [111]
    H = point_group("Oh").elements
    assert np.allclose(np.einsum("ab,gbc,dc->gad", R, point_group("D3d").elements, R), H[idx])
    with pytest.raises(SymmetryError):
        embed("C6", "Oh")


def test_match_noisy_input():
    """Matrices from a slightly distorted cell (noise 1e-7) still match at the default tolerance."""
    G = point_group("D6h")
    rng = np.random.default_rng(3)
    Q = Rotation.random(random_state=5).as_matrix()
    rot = np.einsum("ab,gbc,dc->gad", Q, G.elements, Q) + 1e-7 * rng.normal(size=(G.order, 3, 3))
    name, R, perm = match_point_group(rot)
    assert name == "D6h"
    assert np.abs(np.einsum("ab,gbc,dc->gad", R, rot, R) - G.elements[perm]).max() < 1e-5
    with pytest.raises(SymmetryError):
        match_point_group(rot + 1e-3 * rng.normal(size=rot.shape), tol=1e-5)
