"""The two-centre Slater-Koster baseline: channel pattern, exact recovery of known parameters under random bond
directions, O(3) covariance, Hermiticity by construction, save/load, and a fit on real blocks."""

from __future__ import annotations

import numpy as np
import pytest

from pgnn.errors import HamiltonianError
from pgnn.groups.harmonics import o3_rep, wigner_d
from pgnn.hamiltonians import OrbitalBasis, RealSpaceBlocks, Shell
from pgnn.hamiltonians.slater_koster import SlaterKoster, bond_rotations, channel_matrices

BASES = {8: OrbitalBasis("O", (Shell(2, 0), Shell(2, 1))), 22: OrbitalBasis("Ti", (Shell(4, 0), Shell(3, 2), Shell(4, 1)))}


def test_channel_pattern():
    """E_m is diagonal with ones at (m, m) and (-m, -m), and invariant under rotations about y and the mirror x -> -x."""
    rng = np.random.default_rng(0)
    for l1 in range(4):
        for l2 in range(4):
            E = channel_matrices(l1, l2)
            assert len(E) == min(l1, l2) + 1
            for m, Em in enumerate(E):
                want = np.zeros_like(Em)
                want[l1 + m, l2 + m] = want[l1 - m, l2 - m] = 1.0
                assert np.abs(Em - want).max() < 1e-10
                a = rng.uniform(0, 2 * np.pi)
                g = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
                for h in (g, np.diag([-1.0, 1, 1]) @ g):
                    D1, D2 = o3_rep(l1, (-1) ** l1, h[None])[0], o3_rep(l2, (-1) ** l2, h[None])[0]
                    assert np.abs(D1 @ Em @ D2.T - Em).max() < 1e-10


def test_bond_rotations():
    d = np.random.default_rng(1).normal(size=(50, 3))
    d[0] = [0, 0, 2.0]
    d[1] = [1.0, 0, 0]
    Q = bond_rotations(d)
    assert np.abs(np.einsum("nab,b->na", Q, [0, 1, 0]) - d / np.linalg.norm(d, axis=1, keepdims=True)).max() < 1e-12
    assert np.abs(np.linalg.det(Q) - 1).max() < 1e-12


def _reverse_sign(l1, l2, m):
    """s with D_l2(P) E^T D_l1(P)^T = s E^T, P = rotation by pi about z (maps the bond axis +y to -y)."""
    P = np.diag([-1.0, -1.0, 1.0])[None]
    E = channel_matrices(l1, l2)[m]
    M = wigner_d(l2, P)[0] @ E.T @ wigner_d(l1, P)[0].T
    return float((M * E.T).sum() / (E * E).sum())


def _truth(seed=0) -> SlaterKoster:
    """Known parameters, consistent between the two orientations of a bond: V_{ji,ba,m} = s V_{ij,ab,m}."""
    rng = np.random.default_rng(seed)
    m = SlaterKoster(ridge=1e-13)
    m.bases = dict(BASES)
    sh = {z: [s.l for s in b.shells] for z, b in BASES.items()}
    for zi in BASES:
        for zj in BASES:
            m.n_fit[(zi, zj)] = 1
            for a, l1 in enumerate(sh[zi]):
                for b, l2 in enumerate(sh[zj]):
                    for mm in range(min(l1, l2) + 1):
                        rev = (zj, zi, b, a, mm)
                        if rev in m.coef:
                            m.coef[(zi, zj, a, b, mm)] = _reverse_sign(l2, l1, mm) * m.coef[rev]
                        else:
                            m.coef[(zi, zj, a, b, mm)] = rng.normal(size=len(m.lambdas)) * 3
    for z in BASES:
        for s in range(len(sh[z])):
            m.onsite[(z, s)] = float(rng.normal())
    return m


def _template(seed, numbers=(8, 22, 8)) -> RealSpaceBlocks:
    """A random triclinic cell with random positions; pairs within 6 A stored (S marks them)."""
    rng = np.random.default_rng(seed)
    cell = np.eye(3) * 4.5 + rng.normal(scale=0.4, size=(3, 3))
    pos = rng.random((len(numbers), 3)) @ cell
    numbers = np.array(numbers)
    off = np.concatenate([[0], np.cumsum([BASES[z].n_orb for z in numbers])])
    R = np.array([[a, b, c] for a in (-1, 0, 1) for b in (-1, 0, 1) for c in (-1, 0, 1)])
    S = np.zeros((len(R), off[-1], off[-1]))
    for r in range(len(R)):
        for i in range(len(numbers)):
            for j in range(len(numbers)):
                d = np.linalg.norm(pos[j] + R[r] @ cell - pos[i])
                if d < 6.0:
                    S[r, off[i]:off[i + 1], off[j]:off[j + 1]] = np.eye(off[i + 1] - off[i], off[j + 1] - off[j]) if d < 1e-9 else 0.01 * np.exp(-d)
    return RealSpaceBlocks(cell, pos, numbers, BASES, R, np.zeros_like(S), S, cutoff=6.0)


def _h_hermiticity(b: RealSpaceBlocks) -> float:
    return max(float(np.abs(b.H[b.r_index(-R)] - b.H[a].T).max()) for a, R in enumerate(b.R))


def test_exact_recovery_of_known_parameters():
    truth = _truth()
    train = [truth.predict_blocks(_template(s, numbers=(8, 22, 8, 22))) for s in range(4)]  # Ti-Ti at many distances
    for b in train:
        assert _h_hermiticity(b) == 0.0
    fit = SlaterKoster(ridge=1e-13).fit(train)
    test = _template(99, numbers=(22, 8, 8, 22))
    want, got = truth.predict_blocks(test).H, fit.predict_blocks(test).H
    assert np.abs(want).max() > 0.1
    assert np.abs(got - want).max() < 1e-6 * np.abs(want).max()
    for k, v in truth.onsite.items():
        assert fit.onsite[k] == pytest.approx(v, abs=1e-12)


def _rotated(b: RealSpaceBlocks, g: np.ndarray, perm=None) -> RealSpaceBlocks:
    def atom_D(z):
        ls = b.bases[int(z)].ls
        D = np.zeros((b.bases[int(z)].n_orb,) * 2)
        o = 0
        for l in ls:
            D[o:o + 2 * l + 1, o:o + 2 * l + 1] = o3_rep(l, (-1) ** l, g[None])[0]
            o += 2 * l + 1
        return D

    from scipy.linalg import block_diag

    U = block_diag(*[atom_D(z) for z in b.numbers])
    S = np.einsum("ab,rbc,dc->rad", U, b.S, U)
    return RealSpaceBlocks(b.cell @ g.T, b.positions @ g.T, b.numbers, b.bases, b.R, np.zeros_like(S), S, b.cutoff), U


@pytest.mark.parametrize("improper", [False, True])
def test_rotation_covariance(improper):
    from scipy.spatial.transform import Rotation

    fit = SlaterKoster(ridge=1e-6).fit([_truth(3).predict_blocks(_template(s)) for s in range(3)])
    g = Rotation.random(random_state=5).as_matrix()
    if improper:
        g = -g
    b = _template(7)
    rb, U = _rotated(b, g)
    H = fit.predict_blocks(b).H
    Hr = fit.predict_blocks(rb).H
    assert np.abs(Hr - np.einsum("ab,rbc,dc->rad", U, H, U)).max() < 1e-10
    assert _h_hermiticity(fit.predict_blocks(rb)) == 0.0


def test_save_load_and_missing(tmp_path):
    fit = SlaterKoster().fit([_truth(4).predict_blocks(_template(s, numbers=(8, 8))) for s in range(2)])
    fit.save(tmp_path / "sk.npz")
    back = SlaterKoster.load(tmp_path / "sk.npz")
    b = _template(11, numbers=(8, 8, 8))
    assert np.array_equal(back.predict_blocks(b).H, fit.predict_blocks(b).H)
    with pytest.raises(HamiltonianError, match="no parameters for Ti"):
        fit.predict_blocks(_template(12))
    (tmp_path / "bad.npz").write_bytes(b"not an npz")
    with pytest.raises(HamiltonianError, match="not a Slater-Koster model"):
        SlaterKoster.load(tmp_path / "bad.npz")


def test_fit_on_real_blocks_beats_zero_hoppings():
    from pgnn.data.hamiltonians import load_dataset
    from pgnn.hamiltonians.metrics import block_errors

    recs, load = load_dataset()
    blocks = [load[r["id"]]() for r in recs if r["formula"] in ("NaBr", "NaI", "RbBr", "RbI", "RbF")][:4]
    assert len(blocks) >= 2
    fit = SlaterKoster().fit(blocks)
    for b in blocks:
        p = fit.predict_blocks(b)
        assert _h_hermiticity(p) == 0.0
        zero = RealSpaceBlocks(b.cell, b.positions, b.numbers, b.bases, b.R, p.H * (b.R == 0).all(1)[:, None, None], b.S, b.cutoff)
        e_sk, e_zero = block_errors(p, b), block_errors(zero, b)
        assert e_sk["hopping_meV"] < 0.5 * e_zero["hopping_meV"]


def test_overlap_fallback_for_unseen_pairs():
    """Data of the exact Wolfsberg-Helmholz form: a pair never seen in training (O-Ti, trained on O-O and Ti-Ti
    crystals only) is predicted exactly from its overlap; with fallback=False it is zero and reported missing."""
    rng = np.random.default_rng(8)
    s_model = _truth(9)  # two-centre overlap blocks
    gen = SlaterKoster()
    gen.bases = dict(BASES)
    gen.onsite = {(z, a): float(rng.normal() - 5) for z, b in BASES.items() for a in range(len(b.shells))}
    for l1 in range(3):
        for l2 in range(l1, 3):
            for m in range(l1 + 1):
                gen.wh[(l1, l2, m)] = gen.wh[(l2, l1, m)] = float(rng.uniform(0.5, 2))  # Hermitian: symmetric

    def crystal(seed, numbers):
        t = _template(seed, numbers)
        S = s_model.predict_blocks(t).H * 0.05
        S[t.r_index([0, 0, 0])] = np.eye(t.n_orb)
        t = RealSpaceBlocks(t.cell, t.positions, t.numbers, t.bases, t.R, np.zeros_like(S), S, t.cutoff)
        return gen.predict_blocks(t)  # every pair unseen by `gen`: all hoppings from the overlap

    train = [crystal(s, (8, 8, 8)) for s in range(3)] + [crystal(10 + s, (22, 22, 22)) for s in range(3)]
    fit = SlaterKoster().fit(train)
    test = crystal(30, (8, 22, 8))
    pred = fit.predict_blocks(test)
    assert pred.meta["sk_overlap_fallback_pairs"] == ["O-Ti"] and not pred.meta["sk_missing_pairs"]
    assert np.abs(test.H).max() > 0.1
    off = test.orbital_offsets()
    ti, o1 = slice(off[1], off[2]), slice(off[0], off[1])  # Ti rows, O columns: the unseen pair (O-O is SK-fitted)
    assert np.abs(test.H[:, ti, o1]).max() > 0.1
    assert np.abs(pred.H[:, ti, o1] - test.H[:, ti, o1]).max() < 1e-9
    assert _h_hermiticity(pred) == 0.0
    fit.fallback = False
    assert fit.predict_blocks(test).meta["sk_missing_pairs"] == ["O-Ti"]


def test_predict_structures_through_the_engine_overlap(nacl_blocks):
    """predict([structure]) takes S from overlap_blocks and returns a sisl.Hamiltonian whose bands equal those of
    predict_blocks on the engine's own blocks."""
    from ham_crystals import rocksalt
    from pgnn.hamiltonians import eigenvalues
    from pgnn.hamiltonians.supercell import commensurate_kpoints

    ref, info = nacl_blocks
    fit = SlaterKoster().fit([ref])
    out = fit.predict([rocksalt(5.64, "Na", "Cl")], radius=3.0, max_atoms=32)[0]
    k = commensurate_kpoints(np.array(info["supercell"]))
    want = fit.predict_blocks(ref).eigenvalues(k)
    assert np.abs(eigenvalues(out["hamiltonian"], k) - want).max() < 1e-8
    assert out["hamiltonian"].no == ref.n_orb and not out["hamiltonian"].orthogonal
