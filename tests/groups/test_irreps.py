"""Irreps of all 32 point groups: homomorphisms, orthogonality, completeness, Schur orthogonality,
Mulliken labels against the standard Oh and D6h character tables."""

import re

import numpy as np
import pytest

from pgnn.groups import list_groups, point_group
from pgnn.groups.elements import C2X, C2Y, C2Z, C3_111, C3Z, C4Z, C6Z, MZ

GROUPS = list_groups()

# number of real irreps (complex pairs joined) and of classes, from the standard tables
N_IRREPS = {
    "C1": 1, "Ci": 2, "C2": 2, "Cs": 2, "C2h": 4, "D2": 4, "C2v": 4, "D2h": 8, "C4": 3, "S4": 3, "C4h": 6,
    "D4": 5, "C4v": 5, "D2d": 5, "D4h": 10, "C3": 2, "C3i": 4, "D3": 3, "C3v": 3, "D3d": 6, "C6": 4,
    "C3h": 4, "C6h": 8, "D6": 6, "C6v": 6, "D3h": 6, "D6h": 12, "T": 3, "Th": 6, "O": 5, "Td": 5, "Oh": 10,
}
ORDERS = {
    "C1": 1, "Ci": 2, "C2": 2, "Cs": 2, "C2h": 4, "D2": 4, "C2v": 4, "D2h": 8, "C4": 4, "S4": 4, "C4h": 8,
    "D4": 8, "C4v": 8, "D2d": 8, "D4h": 16, "C3": 3, "C3i": 6, "D3": 6, "C3v": 6, "D3d": 12, "C6": 6,
    "C3h": 6, "C6h": 12, "D6": 12, "C6v": 12, "D3h": 12, "D6h": 24, "T": 12, "Th": 24, "O": 24, "Td": 24, "Oh": 48,
}
COMPLEX_GROUPS = {"C3", "C4", "C6", "S4", "C3i", "C3h", "C4h", "C6h", "T", "Th"}


@pytest.mark.parametrize("name", GROUPS)
def test_group_structure(name):
    G = point_group(name)
    assert G.order == ORDERS[name] == len(G.elements)
    el = G.elements
    assert np.allclose(el[0], np.eye(3))
    assert np.abs(np.einsum("gab,gcb->gac", el, el) - np.eye(3)).max() < 1e-14
    assert np.allclose(np.einsum("iab,jbc->ijac", el, el), el[G.table], atol=1e-14)
    assert all(sorted(row) == list(range(G.order)) for row in G.table.tolist())  # Latin square
    assert np.all(G.table[np.arange(G.order), G.inverse] == 0)
    assert sum(len(c) for c in G.classes) == G.order
    # every group sits in its lattice holohedry (Oh or D6h) in the same frame
    H = point_group(G.lattice_holohedry)
    for g in el:
        H.element_index(g)
    for g in point_group(G.holohedry).elements:
        H.element_index(g)
    for i, g in enumerate(el):
        assert G.element_index(g) == i


@pytest.mark.parametrize("name", GROUPS)
def test_irreps_are_orthogonal_homomorphisms(name):
    G = point_group(name)
    assert len(G.irreps) == N_IRREPS[name]
    for ir in G.irreps:
        D = ir.matrices
        assert D.shape == (G.order, ir.dim, ir.dim)
        assert np.abs(np.einsum("gij,gkj->gik", D, D) - np.eye(ir.dim)).max() < 1e-12
        assert np.abs(np.einsum("gij,hjk->ghik", D, D) - D[G.table]).max() < 1e-12
        assert np.allclose(D[0], np.eye(ir.dim))
        if ir.kind == "complex":
            J = ir.commutant[1]
            assert np.abs(D @ J - J @ D).max() < 1e-12
            assert "1" + ir.name + "+2" + ir.name in ir.note


@pytest.mark.parametrize("name", GROUPS)
def test_completeness_and_schur_orthogonality(name):
    G = point_group(name)
    cdim = np.array([ir.commutant_dim for ir in G.irreps])
    dims = np.array([ir.dim for ir in G.irreps])
    # sum over complex irreps of d^2 = order, with a joined pair counting (d/2)^2 * 2 = d^2 / 2
    assert np.sum(dims**2 / cdim) == G.order
    chi = G.characters
    gram = chi @ chi.T / G.order
    assert np.allclose(gram, np.diag(cdim), atol=1e-12)
    # column orthogonality for real characters: sum_irreps chi(g) chi(h) / c
    # = |C(g)| (delta[h ~ g] + delta[h ~ g^-1]) / 2, |C(g)| = order of the centralizer
    col = (chi / cdim[:, None]).T @ chi
    cls_of = np.empty(G.order, int)
    for k, cls in enumerate(G.classes):
        cls_of[cls] = k
    for g in range(G.order):
        cent = G.order / len(G.classes[cls_of[g]])
        want = cent * ((cls_of == cls_of[g]).astype(float) + (cls_of == cls_of[G.inverse[g]])) / 2
        assert np.allclose(col[g], want)
    # characters are class functions, matrix elements are Schur orthogonal for real-type irreps
    for ir in G.irreps:
        for cls in G.classes:
            assert np.ptp(ir.characters[cls]) < 1e-12
        if ir.kind == "real":
            S = np.einsum("gij,gkl->ijkl", ir.matrices, ir.matrices) * ir.dim / G.order
            assert np.allclose(S, np.einsum("ik,jl->ijkl", np.eye(ir.dim), np.eye(ir.dim)), atol=1e-12)
    assert {ir.kind for ir in G.irreps} == ({"real", "complex"} if name in COMPLEX_GROUPS else {"real"})


def test_aliases_and_names():
    assert point_group("m-3m") is point_group("Oh")
    assert point_group("6/mmm").name == "D6h"
    assert point_group("S6").name == "C3i" and point_group("-3").name == "C3i"
    assert point_group("-42m").hm == "-42m"
    assert [point_group(n).hm for n in ("C3v", "D3", "D3d", "D3h", "C2v")] == ["3m", "32", "-3m", "-6m2", "mm2"]
    with pytest.raises(KeyError):
        point_group("P1")


# --- standard character tables (Cotton, "Chemical Applications of Group Theory", Appendix IIA) -----------
def _mat_2fold(axis):
    a = np.asarray(axis, float) / np.linalg.norm(axis)
    return 2 * np.outer(a, a) - np.eye(3)


I3 = -np.eye(3)
OH_CLASSES = {  # representative of each class in the standard orientation
    "E": np.eye(3), "8C3": C3_111, "6C2": _mat_2fold([1, 1, 0]), "6C4": C4Z, "3C2": C2Z, "i": I3,
    "6S4": MZ @ C4Z, "8S6": -C3_111, "3sh": MZ, "6sd": -_mat_2fold([1, 1, 0]),
}
OH_TABLE = """
A1g 1  1  1  1  1  1  1  1  1  1
A2g 1  1 -1 -1  1  1 -1  1  1 -1
Eg  2 -1  0  0  2  2  0 -1  2  0
T1g 3  0 -1  1 -1  3  1  0 -1 -1
T2g 3  0  1 -1 -1  3 -1  0 -1  1
A1u 1  1  1  1  1 -1 -1 -1 -1 -1
A2u 1  1 -1 -1  1 -1  1 -1 -1  1
Eu  2 -1  0  0  2 -2  0  1 -2  0
T1u 3  0 -1  1 -1 -3 -1  0  1  1
T2u 3  0  1 -1 -1 -3  1  0  1 -1
"""
# D6h with C2' along the a axis (x) and C2'' along y; sigma_d = i C2', sigma_v = i C2''.
D6H_CLASSES = {
    "E": np.eye(3), "2C6": C6Z, "2C3": C3Z, "C2": C2Z, "3C2'": C2X, "3C2''": C2Y, "i": I3,
    "2S3": MZ @ C3Z, "2S6": MZ @ C6Z, "sh": MZ, "3sd": -C2X, "3sv": -C2Y,
}
D6H_TABLE = """
A1g 1  1  1  1  1  1  1  1  1  1  1  1
A2g 1  1  1  1 -1 -1  1  1  1  1 -1 -1
B1g 1 -1  1 -1  1 -1  1 -1  1 -1  1 -1
B2g 1 -1  1 -1 -1  1  1 -1  1 -1 -1  1
E1g 2  1 -1 -2  0  0  2  1 -1 -2  0  0
E2g 2 -1 -1  2  0  0  2 -1 -1  2  0  0
A1u 1  1  1  1  1  1 -1 -1 -1 -1 -1 -1
A2u 1  1  1  1 -1 -1 -1 -1 -1 -1  1  1
B1u 1 -1  1 -1  1 -1 -1  1 -1  1 -1  1
B2u 1 -1  1 -1 -1  1 -1  1 -1  1  1 -1
E1u 2  1 -1 -2  0  0 -2 -1  1  2  0  0
E2u 2 -1 -1  2  0  0 -2  1  1 -2  0  0
"""


@pytest.mark.parametrize("name,classes,table", [("Oh", OH_CLASSES, OH_TABLE), ("D6h", D6H_CLASSES, D6H_TABLE)])
def test_labels_match_standard_tables(name, classes, table):
    G = point_group(name)
    rows = [line.split() for line in table.strip().splitlines()]
    assert [r[0] for r in rows] == G.irrep_names  # same labels, same order
    reps = [G.element_index(m) for m in classes.values()]
    sizes = [int(re.match(r"\d*", k).group() or 1) for k in classes]
    assert sorted(sizes) == sorted(len(c) for c in G.classes)
    for r in rows:
        chi = G.irrep(r[0]).characters[reps]
        assert np.allclose(chi, [float(v) for v in r[1:]]), r[0]


def test_named_bases():
    """Readable bases: Oh T1u is the vector (x, y, z), T1g the axial vector, D4h Eu the (x, y) block."""
    G = point_group("Oh")
    assert np.allclose(G.irrep("T1u").matrices, G.elements)
    det = np.linalg.det(G.elements)
    assert np.allclose(G.irrep("T1g").matrices, G.elements * det[:, None, None])
    H = point_group("D4h")
    assert np.allclose(H.irrep("Eu").matrices, H.elements[:, :2, :2])
    assert np.allclose(H.irrep("A2u").matrices[:, 0, 0], H.elements[:, 2, 2])
    assert np.allclose(point_group("C6v").irrep("E1").matrices, point_group("C6v").elements[:, :2, :2])


def test_irrep_entries_are_exact():
    """All irrep matrices have entries in {0, +-1/2, +-sqrt(3)/2, +-1/sqrt(2), +-1} exactly (platform independent)."""
    exact = np.array([0.0, 0.5, np.sqrt(3.0) / 2.0, 1.0, np.sqrt(0.5)])
    for name in GROUPS:
        for ir in point_group(name).irreps:
            assert np.isin(np.abs(ir.matrices), exact).all(), (name, ir.name)
