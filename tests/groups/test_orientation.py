"""The fixed group matrices are the point groups of spglib's standard space-group settings."""

import numpy as np
import pytest

from pgnn.groups import point_group

spglib = pytest.importorskip("spglib")

# space groups whose standard setting has the other orientation of the same crystal class
OTHER_SETTING = {115, 116, 117, 118, 119, 120, 149, 151, 153, 157, 159, 162, 163, 189, 190}


def _lattice(number: int) -> np.ndarray:
    """Columns a, b, c of a generic conventional cell of the crystal family (a along x, c along z; b unique)."""
    if 143 <= number <= 194:
        return np.array([[1.0, -0.5, 0.0], [0.0, np.sqrt(3) / 2, 0.0], [0.0, 0.0, 1.6]])
    if 3 <= number <= 15:
        return np.array([[1.0, 0.0, 0.3], [0.0, 1.2, 0.0], [0.0, 0.0, 0.9]])
    if number <= 2:
        return np.array([[1.0, 0.2, 0.3], [0.0, 1.2, 0.1], [0.0, 0.0, 0.9]])
    return np.eye(3)


def test_standard_settings_match_fixed_matrices():
    seen = {}
    for hall in range(1, 531):
        t = spglib.get_spacegroup_type(hall)
        if t.number in seen:
            continue  # the first Hall number of a space group is spglib's standard setting
        seen[t.number] = hall
        rots = np.unique(spglib.get_symmetry_from_database(hall)["rotations"], axis=0)
        L = _lattice(t.number)
        cart = np.einsum("ab,gbc,cd->gad", L, rots, np.linalg.inv(L))
        G = point_group(t.pointgroup_international)
        same = len(cart) == G.order and all(np.abs(G.elements - r).max(axis=(1, 2)).min() < 1e-9 for r in cart)
        assert same == (t.number not in OTHER_SETTING), (t.number, t.international_short)
        if not same:  # the other settings differ by a rotation about z that match_point_group finds
            from pgnn.groups.matching import match_point_group

            name, R, _ = match_point_group(cart)
            assert name == G.name and np.isclose(abs(R[2, 2]), 1.0)
    assert len(seen) == 230
