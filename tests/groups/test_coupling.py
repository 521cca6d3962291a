"""Coupling coefficients of all 32 groups: intertwining, orthonormality, multiplicities from characters,
and agreement of Dirl's formula with the null-space solver."""

import numpy as np
import pytest

from pgnn.groups import list_groups, point_group
from pgnn.groups.coupling import nullspace_basis, range_projector

GROUPS = list_groups()


def _all_triples(G):
    n = len(G.irreps)
    return [(a, b, c) for a in range(n) for b in range(n) for c in range(n)]


@pytest.mark.parametrize("name", GROUPS)
def test_coupling_intertwines_and_is_orthonormal(name):
    G = point_group(name)
    mult = G.coupling_multiplicities
    for a, b, c in _all_triples(G):
        A, B, C = G.irreps[a], G.irreps[b], G.irreps[c]
        U = G.coupling(A.name, B.name, C.name)
        m = int(mult[a, b, c])
        assert U.shape == (m, A.dim, B.dim, C.dim)
        # multiplicity from the characters, divided by the commutant dimension of c
        chi = np.mean(A.characters * B.characters * C.characters) / C.commutant_dim
        assert m == round(chi)
        if m == 0:
            continue
        lhs = np.einsum("gxi,gyj,pijk->gpxyk", A.matrices, B.matrices, U)
        rhs = np.einsum("pxyz,gzk->gpxyk", U, C.matrices)
        assert np.abs(lhs - rhs).max() < 1e-12
        M = U.reshape(m, A.dim * B.dim, C.dim)
        gram = np.einsum("pik,qil->pqkl", M, M)
        assert np.allclose(gram, np.einsum("pq,kl->pqkl", np.eye(m), np.eye(C.dim)), atol=1e-12)
    # the copies of all c fill a (x) b exactly once
    for a in range(len(G.irreps)):
        for b in range(len(G.irreps)):
            da, db = G.irreps[a].dim, G.irreps[b].dim
            P = sum(range_projector(G.coupling(a, b, c)) for c in range(len(G.irreps)) if mult[a, b, c])
            assert np.allclose(P, np.eye(da * db), atol=1e-12)


@pytest.mark.parametrize("name", GROUPS)
def test_dirl_agrees_with_nullspace(name):
    G = point_group(name)
    mult = G.coupling_multiplicities
    for a, b, c in _all_triples(G):
        A, B, C = G.irreps[a], G.irreps[b], G.irreps[c]
        basis = nullspace_basis(A.matrices, B.matrices, C.matrices, G.generators)
        assert len(basis) == mult[a, b, c] * C.commutant_dim  # dimension of the intertwiner space
        if not mult[a, b, c]:
            continue
        Ud = G.coupling(a, b, c, method="dirl")
        Un = G.coupling(a, b, c, method="nullspace")
        assert Un.shape == Ud.shape
        assert np.allclose(range_projector(Ud), range_projector(Un), atol=1e-10)
        # the full intertwiner space: same span as the null space
        full = G.intertwiners(a, b, c).reshape(len(basis), -1) / np.sqrt(C.dim)
        ns = basis.reshape(len(basis), -1)
        assert np.allclose(full @ full.T, np.eye(len(basis)), atol=1e-12)
        assert np.allclose(full.T @ full, ns.T @ ns, atol=1e-10)


def test_complex_pairs_multiplicity():
    """C3: E (x) E = 2A + E as real reps: two copies of A; one copy of E whose commutant doubles the maps."""
    G = point_group("C3")
    assert G.coupling("E", "E", "A").shape == (2, 2, 2, 1)
    assert G.coupling("E", "E", "E").shape == (1, 2, 2, 2)
    assert G.intertwiners("E", "E", "E").shape == (2, 2, 2, 2)
    T = point_group("T")
    assert T.coupling("T", "T", "T").shape == (2, 3, 3, 3)


def test_dirl_first_candidate_is_formula():
    """For m = 1 and a real-type c, the result is Dirl's formula at the first index choice, unchanged."""
    G = point_group("Oh")
    A, B, C = G.irrep("T1u"), G.irrep("T1u"), G.irrep("T2g")
    N = G.order
    T = np.einsum("giq,gjs,gna->qsaijn", A.matrices, B.matrices, C.matrices)
    S = np.einsum("qsaqsa->qsa", T)
    q, s, a = np.argwhere(S > 1e-8)[0]
    U = np.sqrt(C.dim / N) * T[q, s, a] / np.sqrt(S[q, s, a])
    assert np.allclose(G.coupling("T1u", "T1u", "T2g")[0], U, atol=1e-14)


def test_coupling_table_and_paths():
    G = point_group("D4h")
    table = G.coupling_table()
    paths = G.coupling_paths()
    assert len(table) == len(paths) == int(np.count_nonzero(G.coupling_multiplicities))
    for ia, ib, ic, U in paths:
        key = (G.irreps[ia].name, G.irreps[ib].name, G.irreps[ic].name)
        assert table[key] is U


def test_coupling_array_matches_table():
    G = point_group("Th")
    U, mult = G.coupling_array()
    assert U.shape[:3] == (6, 6, 6) and U.shape[3] == mult.max() == 2
    for a, b, c, T in G.coupling_paths():
        m, da, db, dc = T.shape
        assert mult[a, b, c] == m
        assert np.array_equal(U[a, b, c, :m, :da, :db, :dc], T)
        assert not U[a, b, c, m:].any()
    assert not U[mult == 0].any()


def test_dirl_index_reading():
    """Dirl's Gamma^dagger_{na} is the conjugate of Gamma_{na}: that reading intertwines, the transpose does not."""
    G = point_group("Oh")
    A, B, C = (G.irrep(x).matrices for x in ("T1u", "T1u", "T1g"))
    for spec, ok in (("giq,gjs,gna->qsaijn", True), ("giq,gjs,gan->qsaijn", False)):
        T = np.einsum(spec, A, B, C)
        S = np.einsum("qsaqsa->qsa", T)
        q, s, a = np.argwhere(S > 1e-8)[0]
        U = T[q, s, a]
        lhs = np.einsum("gxi,gyj,ijk->gxyk", A, B, U)
        rhs = np.einsum("xyz,gzk->gxyk", U, C)
        assert np.allclose(lhs, rhs) == ok
