"""Symmetry analysis on crystals whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from pgnn.errors import StructureError
from pgnn.structures.point_groups import POINT_GROUPS, SCHOENFLIES, classify_point_group
from pgnn.structures.symmetry import analyze_symmetry, site_classes

from known_crystals import perovskite, random_rotation, rocksalt, rotated, triclinic, wurtzite

EXPECTED = {  # name: (builder, number, symbol, HM, Schoenflies, order, wyckoffs, site symmetries, orbits)
    "rocksalt": (rocksalt, 225, "Fm-3m", "m-3m", "Oh", 48, list("aaaabbbb"), ["m-3m"] * 8, [0, 0, 0, 0, 1, 1, 1, 1]),
    "perovskite": (perovskite, 221, "Pm-3m", "m-3m", "Oh", 48, list("abccc"),
                   ["m-3m", "m-3m", "4/mm.m", "4/mm.m", "4/mm.m"], [0, 1, 2, 2, 2]),
    "wurtzite": (wurtzite, 186, "P6_3mc", "6mm", "C6v", 12, list("bbbb"), ["3m."] * 4, [0, 0, 1, 1]),
    "triclinic": (triclinic, 1, "P1", "1", "C1", 1, list("aaa"), ["1"] * 3, [0, 1, 2]),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_known_structures(name):
    build, number, symbol, hm, sch, order, wyck, sitesym, orbits = EXPECTED[name]
    info = analyze_symmetry(build())
    assert info.space_group_number == number
    assert info.space_group_symbol == symbol
    assert info.point_group == hm
    assert info.point_group_schoenflies == sch
    assert info.order == order
    assert info.wyckoffs == wyck
    assert info.site_symmetries == sitesym
    assert info.orbits.tolist() == orbits


@pytest.mark.parametrize("name", list(EXPECTED))
def test_rotation_to_standard(name):
    """Ops of a randomly rotated copy, taken to the standard frame by R, equal the standard ops of the original;
    they map the lattice onto itself (integer matrices in the lattice basis) and are orthogonal."""
    s = EXPECTED[name][0]()
    ref = analyze_symmetry(s)
    for seed in range(3):
        rs = rotated(s, random_rotation(seed))
        info = analyze_symmetry(rs)
        R = info.rotation_to_standard
        assert np.allclose(R @ R.T, np.eye(3), atol=1e-12) and np.linalg.det(R) > 0
        std = np.einsum("ij,gjk,lk->gil", R, info.rotations, R)
        assert np.allclose(std, info.rotations_standard, atol=1e-10)
        key = lambda ops: sorted(tuple(np.round(g, 6).ravel()) for g in ops)  # noqa: E731
        assert key(info.rotations_standard) == key(ref.rotations_standard)
        A = rs.lattice.matrix.T  # lattice vectors as columns
        W = np.einsum("ij,gjk,kl->gil", np.linalg.inv(A), info.rotations, A)
        assert np.allclose(W, np.round(W), atol=1e-6)
        assert np.allclose(np.einsum("gji,gjk->gik", info.rotations, info.rotations), np.eye(3), atol=1e-10)


def test_standard_axes():
    """Cubic: 4-folds along x, y, z; hexagonal: 6-fold along z and a along x."""
    cub = analyze_symmetry(rotated(perovskite(), random_rotation(7)))
    four = [g for g in cub.rotations_standard if np.isclose(np.linalg.det(g), 1) and np.isclose(np.trace(g), 1)]
    axes = {tuple(np.abs(np.round(np.real(np.linalg.eig(g)[1][:, np.isclose(np.linalg.eig(g)[0], 1)].ravel()))))
            for g in four}
    assert axes == {(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)}
    w = rotated(wurtzite(), random_rotation(8))
    hexa = analyze_symmetry(w)
    c6 = np.array([[0.5, -np.sqrt(3) / 2, 0], [np.sqrt(3) / 2, 0.5, 0], [0, 0, 1]])
    assert any(np.allclose(g, c6) for g in hexa.rotations_standard)
    combos = np.array([[i, j, k] for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)])
    vecs = (combos @ w.lattice.matrix) @ hexa.rotation_to_standard.T  # lattice vectors in the standard frame
    assert any(np.allclose(v, [3.25, 0, 0], atol=1e-8) for v in vecs)  # a along x
    assert any(np.allclose(v, [0, 0, 5.21], atol=1e-8) for v in vecs)  # c along z


def test_symprec_is_used():
    """A slightly distorted rocksalt is Oh at a loose tolerance and lower at a tight one."""
    s = rocksalt()
    s.translate_sites([0], [0.002, 0.001, 0.0005], frac_coords=True)
    assert analyze_symmetry(s, symprec=0.1).point_group == "m-3m"
    tight = analyze_symmetry(s, symprec=1e-4)
    assert tight.point_group != "m-3m" and tight.symprec == 1e-4


def test_site_classes_and_dict():
    orbit, cls = site_classes(perovskite())
    assert orbit.tolist() == [0, 1, 2, 2, 2]
    assert [POINT_GROUPS[c] for c in cls] == ["m-3m", "m-3m", "4/mmm", "4/mmm", "4/mmm"]
    d = analyze_symmetry(wurtzite()).to_dict()
    assert set(d) == {"space_group_number", "space_group_symbol", "point_group", "point_group_schoenflies", "sites"}
    assert d["sites"][0] == {"species": "Zn", "wyckoff": "b", "site_symmetry": "3m.", "orbit": 0}


def test_point_group_names():
    assert len(POINT_GROUPS) == 32 and len(set(SCHOENFLIES.values())) == 32
    assert classify_point_group(np.array([np.eye(3), -np.eye(3)])) == "-1"


def test_overlapping_atoms_raise():
    s = rocksalt()
    s.append("Na", s[0].frac_coords + 1e-4)
    with pytest.raises(StructureError) as err:
        analyze_symmetry(s, source="dup.cif")
    assert "dup.cif" in str(err.value)
