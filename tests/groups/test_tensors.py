"""Cartesian property tensors: independent components against Nye's tables for all 32 classes."""

import numpy as np
import pytest

from pgnn.groups import list_groups, point_group

# Nye, "Physical Properties of Crystals" (1985): number of independent coefficients.
# columns: polar vector (pyroelectric), dielectric (symmetric rank 2), piezoelectric e_ijk, elastic C_ijkl
NYE = {
    "C1": (3, 6, 18, 21), "Ci": (0, 6, 0, 21),
    "C2": (1, 4, 8, 13), "Cs": (2, 4, 10, 13), "C2h": (0, 4, 0, 13),
    "D2": (0, 3, 3, 9), "C2v": (1, 3, 5, 9), "D2h": (0, 3, 0, 9),
    "C4": (1, 2, 4, 7), "S4": (0, 2, 4, 7), "C4h": (0, 2, 0, 7),
    "D4": (0, 2, 1, 6), "C4v": (1, 2, 3, 6), "D2d": (0, 2, 2, 6), "D4h": (0, 2, 0, 6),
    "C3": (1, 2, 6, 7), "C3i": (0, 2, 0, 7),
    "D3": (0, 2, 2, 6), "C3v": (1, 2, 4, 6), "D3d": (0, 2, 0, 6),
    "C6": (1, 2, 4, 5), "C3h": (0, 2, 2, 5), "C6h": (0, 2, 0, 5),
    "D6": (0, 2, 1, 5), "C6v": (1, 2, 3, 5), "D3h": (0, 2, 1, 5), "D6h": (0, 2, 0, 5),
    "T": (0, 1, 1, 3), "Th": (0, 1, 0, 3), "O": (0, 1, 0, 3), "Td": (0, 1, 1, 3), "Oh": (0, 1, 0, 3),
}
KINDS = ("vector", "dielectric", "piezoelectric", "elastic")


def _act(g, T):
    r = T.ndim
    for axis in range(r):
        T = np.moveaxis(np.tensordot(g, T, axes=([1], [axis])), 0, axis)
    return T


@pytest.mark.parametrize("name", list_groups())
def test_nye_counts_and_invariant_basis(name):
    G = point_group(name)
    assert set(NYE) == set(list_groups())
    for kind, want in zip(KINDS, NYE[name]):
        n, basis = G.tensor_basis(kind)
        assert n == want, (name, kind)
        ts = G.tensor_space(kind)
        assert ts.n_independent == ts.irreps.get(G.irreps[0].name, 0) == n
        assert sum(m * G.irrep(k).dim for k, m in ts.irreps.items()) == ts.dim
        if n == 0:
            continue
        flat = basis.reshape(n, -1)
        assert np.allclose(flat @ flat.T, np.eye(n), atol=1e-12)
        for g in G.elements[:: max(1, G.order // 8)]:
            for B in basis:
                assert np.allclose(_act(g, B), B, atol=1e-12)
        P = ts.projector
        assert np.allclose(P @ P, P, atol=1e-12) and np.allclose(P, P.T)


def test_formulas_and_symmetry():
    G = point_group("C1")
    assert G.tensor_basis("ijkl=jikl=ijlk=klij")[0] == 21
    assert G.tensor_basis("ij")[0] == 9
    assert G.tensor_basis("ij=ji")[0] == 6
    assert G.tensor_basis("ijk=jik=ikj")[0] == 10  # fully symmetric rank 3
    assert G.tensor_basis("ijkl=jikl=ijlk")[0] == 36
    assert G.tensor_basis("scalar")[0] == 1
    n, B = point_group("Oh").tensor_basis("dielectric")
    assert n == 1 and np.allclose(B[0], np.eye(3) / np.sqrt(3))
    with pytest.raises(ValueError):
        G.tensor_basis("ijklm")
    with pytest.raises(ValueError):
        G.tensor_basis("ij=jk")


def test_neumann_projection():
    rng = np.random.default_rng(0)
    G = point_group("D6h")
    ts = G.tensor_space("elastic")
    C = ts.project(rng.normal(size=(3, 3, 3, 3)))
    for g in G.elements:
        assert np.allclose(_act(g, C), C, atol=1e-12)
    assert np.allclose(C, C.transpose(1, 0, 2, 3)) and np.allclose(C, C.transpose(2, 3, 0, 1))
    # hexagonal: C11 = C22, C66 = (C11 - C12)/2 (Voigt)
    assert np.isclose(C[0, 0, 0, 0], C[1, 1, 1, 1])
    assert np.isclose(C[0, 1, 0, 1], (C[0, 0, 0, 0] - C[0, 0, 1, 1]) / 2)


@pytest.mark.parametrize("name,kind", [("Oh", "elastic"), ("C6v", "piezoelectric"), ("Th", "elastic"), ("D3d", "dielectric")])
def test_irrep_basis_of_tensor_space(name, kind):
    G = point_group(name)
    ts = G.tensor_space(kind)
    W = ts.irrep_basis
    assert W.shape == (ts.dim, 3**ts.rank)
    assert np.allclose(W @ W.T, np.eye(ts.dim), atol=1e-12)
    assert np.allclose(W.T @ W, ts.symmetrizer, atol=1e-12)
    assert dict(ts.irrep_terms) == ts.irreps
    rho = np.ones((G.order, 1, 1))
    for _ in range(ts.rank):
        rho = np.einsum("gab,gij->gaibj", rho, G.elements).reshape(G.order, rho.shape[1] * 3, -1)
    B = np.einsum("ij,gjk,lk->gil", W, rho, W)
    off = 0
    for irname, m in ts.irrep_terms:
        d = G.irrep(irname).dim
        for _ in range(m):
            assert np.allclose(B[:, off : off + d, off : off + d], G.irrep(irname).matrices, atol=1e-12)
            off += d
    assert off == ts.dim
