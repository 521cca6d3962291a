"""Real spherical harmonics and Wigner matrices against e3nn; subduction of O(3) irreps into all groups."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
o3 = pytest.importorskip("e3nn.o3")

from pgnn.groups import list_groups, point_group  # noqa: E402
from pgnn.groups.harmonics import o3_rep, real_sh  # noqa: E402

LMAX = 8
_E3NN_D: dict = {}


def e3nn_D(l, p, lattice):
    """e3nn.o3.Irrep(l, p).D_from_matrix on all elements of Oh or D6h (batched, cached)."""
    key = (l, p, lattice)
    if key not in _E3NN_D:
        R = torch.tensor(np.array(point_group(lattice).elements), dtype=torch.float64)
        _E3NN_D[key] = o3.Irrep(l, p).D_from_matrix(R).numpy()
    return _E3NN_D[key]


def e3nn_D_group(l, p, G):
    """e3nn's D^{l,p} on the elements of G (which are among those of its lattice holohedry)."""
    return e3nn_D(l, p, G.lattice_holohedry)[G.lattice_indices]


def test_real_sh_match_e3nn():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3))
    for l in range(LMAX + 1):
        ours = real_sh(l, x)
        theirs = o3.spherical_harmonics(l, torch.tensor(x), normalize=True, normalization="integral").numpy()
        assert np.abs(ours - theirs).max() < 1e-12
    # l = 1 is (x, y, z) in e3nn's order
    assert np.allclose(real_sh(1, x), np.sqrt(3 / (4 * np.pi)) * x / np.linalg.norm(x, axis=1, keepdims=True))


@pytest.mark.parametrize("name", ["Oh", "D6h"])
def test_wigner_matches_e3nn(name):
    G = point_group(name)
    for l in range(LMAX + 1):
        for p in (1, -1):
            ours = o3_rep(l, p, G.elements)
            theirs = e3nn_D(l, p, name)
            assert np.abs(ours - theirs).max() < 1e-5  # e3nn's angle round trip costs ~1e-6
            assert np.abs(np.einsum("gij,hjk->ghik", ours, ours) - ours[G.table]).max() < 1e-12


@pytest.mark.parametrize("name", list_groups())
def test_subduction_intertwines_e3nn_wigner(name):
    G = point_group(name)
    for l in range(LMAX + 1):
        for p, pname in ((1, "even"), (-1, "odd")):
            decomp, Q = G.subduce(l, pname)
            assert Q.shape == (2 * l + 1, 2 * l + 1)
            assert np.allclose(Q @ Q.T, np.eye(2 * l + 1), atol=1e-12)
            blocks = np.zeros((G.order, 2 * l + 1, 2 * l + 1))
            off = 0
            for irname, m in decomp:
                ir = G.irrep(irname)
                assert m > 0
                for _ in range(m):
                    blocks[:, off : off + ir.dim, off : off + ir.dim] = ir.matrices
                    off += ir.dim
            assert off == 2 * l + 1
            D = e3nn_D_group(l, p, G)
            assert np.abs(np.einsum("ij,gjk,lk->gil", Q, D, Q) - blocks).max() < 1e-5
            assert G.subduce(l, p)[0] == decomp


def test_oh_textbook_splittings():
    G = point_group("Oh")
    assert G.subduce(2, "even")[0] == [("Eg", 1), ("T2g", 1)]  # d-shell splitting
    assert G.subduce(1, "odd")[0] == [("T1u", 1)]
    assert G.subduce(3, "odd")[0] == [("A2u", 1), ("T1u", 1), ("T2u", 1)]
    assert G.subduce(0, "even")[0] == [("A1g", 1)]
    assert G.subduce(0, "odd")[0] == [("A1u", 1)]
    assert G.subduce(4, "even")[0] == [("A1g", 1), ("Eg", 1), ("T1g", 1), ("T2g", 1)]
    # l = 1 odd: e3nn's (x, y, z) is exactly Oh's T1u basis
    assert np.allclose(G.subduce(1, "odd")[1], np.eye(3))
    D6h = point_group("D6h")
    assert D6h.subduce(1, "odd")[0] == [("A2u", 1), ("E1u", 1)]
    assert D6h.subduce(2, "even")[0] == [("A1g", 1), ("E1g", 1), ("E2g", 1)]


def test_projector_and_decompose():
    G = point_group("D4h")
    rng = np.random.default_rng(1)
    D = o3_rep(3, -1, G.elements)
    # a random orthogonal change of basis must not change multiplicities; Q block-diagonalizes
    R, _ = np.linalg.qr(rng.normal(size=(7, 7)))
    Dr = np.einsum("ij,gjk,lk->gil", R, D, R)
    decomp, Q = G.decompose(Dr)
    assert decomp == G.subduce(3, "odd")[0]
    assert G.multiplicities(Dr) == {n: dict(decomp).get(n, 0) for n in G.irrep_names}
    B = np.einsum("ij,gjk,lk->gil", Q, Dr, Q)
    off = 0
    for name, m in decomp:
        d = G.irrep(name).dim
        for _ in range(m):
            assert np.allclose(B[:, off : off + d, off : off + d], G.irrep(name).matrices, atol=1e-12)
            off += d
    # projection operators: sum_k P_kk is the isotypic projector; P_ij P_kl = delta_jk P_il
    total = 0
    for ir in G.irreps:
        P = G.projector(Dr, ir.name)
        iso = np.einsum("kkab->ab", P)
        assert np.allclose(iso @ iso, iso, atol=1e-12)
        assert np.allclose(np.einsum("ijab,klbc->ijklac", P, P),
                           np.einsum("jk,ilac->ijklac", np.eye(ir.dim), P), atol=1e-12)
        assert np.allclose(G.projector(Dr, ir.name, 0, 0), P[0, 0])
        total = total + iso
    assert np.allclose(total, np.eye(7), atol=1e-12)
