"""A two-centre Slater-Koster baseline: hopping blocks as fitted functions of distance, rotated to the bond.

For atoms i, j (elements Z_i, Z_j) at bond vector d = r_j + R @ cell - r_i, shells a (degree l) of i and b (l') of j:

    H_ij(R)[a, b] = sum_{m=0..min(l,l')} V_{Z_i Z_j a b m}(|d|) D^l(Q) E^{l l'}_m D^{l'}(Q)^T

with Q a rotation taking the bond-frame axis to d/|d|, D the real Wigner matrices of `pgnn.groups.harmonics`
(e3nn order, orbitals transform with parity (-1)^l) and E_m the bond-frame channel matrices (m = 0, 1, 2, 3: sigma,
pi, delta, phi). The bond-frame axis is e3nn's polar axis y (the axis the e3nn component m = 0 is symmetric about;
it is the standard harmonics' z). Derivation of E_m: a two-centre integral is invariant under the bond's C_inf_v. A
rotation by alpha about the polar axis turns every pair (m, -m) of real harmonics by m alpha, the same for every l,
and a mirror containing the axis is diag(+1, -1) on every pair (cos m phi is kept, sin m phi flips). So an
invariant block commutes with both: it is diagonal, with equal entries at (m, m) and (-m, -m) for every |m| <= min(l,
l'), no sign change in e3nn's convention. `channel_matrices` computes E_m by averaging over C_inf_v numerically and
the tests check this pattern. Q is fixed only up to a rotation about the bond, which E_m does not see.

Radial functions: V(d) = sum_k c_k exp(-d / lambda_k), fitted per channel by ridge-regularized linear least squares
on the projections of the training blocks (e.g. the train split of a dataset) onto E_m in the bond frame. On-site
blocks: per element and shell, the mean of the diagonal of the training on-site blocks (eV), placed on the
diagonal. Hermiticity is exact by construction: blocks are built for one half of the pairs (R > 0, or R = 0 and
i < j) and H_ji(-R) = H_ij(R)^T fills the other. An element pair the fit never saw (a binary's only bond, in a
small training set) falls back to the Wolfsberg-Helmholz (extended Hueckel) form in the same bond frame,
V_m = kappa_{l l' m} (e_a + e_b) / 2 S_m with the crystal's overlap S and one kappa per (l, l', m) fitted on every
training pair (``meta["sk_overlap_fallback_pairs"]``; with ``fallback=False`` they are zero,
``meta["sk_missing_pairs"]``). Elements without on-site parameters raise.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from pgnn.errors import HamiltonianError
from pgnn.groups.harmonics import o3_rep, wigner_d
from pgnn.hamiltonians.basis import OrbitalBasis
from pgnn.hamiltonians.blocks import RealSpaceBlocks

__all__ = ["SlaterKoster", "channel_matrices", "bond_rotations", "LAMBDAS"]

LAMBDAS = (0.35, 0.6, 1.0, 1.7, 2.9)  # Angstrom: decay lengths of the radial basis


@lru_cache(maxsize=None)
def channel_matrices(l1: int, l2: int) -> np.ndarray:
    """[min(l1,l2)+1, 2 l1 + 1, 2 l2 + 1] bond-frame channel matrices E_m (bond along +y), from the group average of
    e_{m,m} over rotations about y (13 angles, exact for l <= 6) and the mirror x -> -x, normalized to E[m, m] = 1."""
    n = 13
    ang = 2 * np.pi * np.arange(n) / n
    rot = np.array([[[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]] for a in ang])
    mirror = np.diag([-1.0, 1.0, 1.0])
    group = np.concatenate([rot, mirror[None] @ rot])
    D1 = o3_rep(l1, (-1) ** l1, group)
    D2 = o3_rep(l2, (-1) ** l2, group)
    out = []
    for m in range(min(l1, l2) + 1):
        C = np.zeros((2 * l1 + 1, 2 * l2 + 1))
        C[l1 + m, l2 + m] = 1.0
        E = np.einsum("gab,bc,gdc->ad", D1, C, D2) / len(group)
        E = E / E[l1 + m, l2 + m]
        E[np.abs(E) < 1e-12] = 0.0
        out.append(E)
    return np.array(out)


def bond_rotations(d: np.ndarray) -> np.ndarray:
    """[n, 3, 3] proper rotations Q with Q @ (0, 1, 0) = d / |d| for bond vectors d [n, 3]."""
    u = d / np.linalg.norm(d, axis=1, keepdims=True)
    ref = np.where(np.abs(u[:, 2:3]) < 0.9, np.array([[0.0, 0.0, 1.0]]), np.array([[1.0, 0.0, 0.0]]))
    e1 = np.cross(u, ref)
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    e3 = np.cross(e1, u)
    return np.stack([e1, u, e3], axis=2)  # columns


def _radial(d: np.ndarray, lambdas) -> np.ndarray:
    return np.exp(-np.asarray(d)[:, None] / np.asarray(lambdas)[None, :])


def _shell_slices(basis: OrbitalBasis):
    out, o = [], 0
    for s in basis.shells:
        out.append((s.l, slice(o, o + 2 * s.l + 1)))
        o += 2 * s.l + 1
    return out


def _pairs(b: RealSpaceBlocks, half: bool):
    """(i, j, r, bond vectors [n, 3]) of the stored off-site blocks (nonzero H or S; |d| > 1e-6); ``half``: only
    R > 0, or R = 0 and i < j."""
    off = b.orbital_offsets()
    N = len(b.numbers)
    shift = b.R @ b.cell
    I, J, Rr, V = [], [], [], []
    for r, Rv in enumerate(b.R.tolist()):
        t = tuple(Rv)
        if half and t < (0, 0, 0):
            continue
        for i in range(N):
            for j in range(N):
                if half and t == (0, 0, 0) and j <= i:
                    continue
                d = b.positions[j] + shift[r] - b.positions[i]
                if np.linalg.norm(d) < 1e-6:
                    continue
                si, sj = slice(off[i], off[i + 1]), slice(off[j], off[j + 1])
                if not (b.S[r, si, sj].any() or b.H[r, si, sj].any()):
                    continue
                I.append(i), J.append(j), Rr.append(r), V.append(d)
    return np.array(I, int), np.array(J, int), np.array(Rr, int), np.array(V, float).reshape(-1, 3)


class SlaterKoster:
    """Two-centre Slater-Koster model fitted to RealSpaceBlocks (see the module docstring). Energies in eV."""

    def __init__(self, lambdas=LAMBDAS, ridge: float = 1e-6, fallback: bool = True):
        self.lambdas = tuple(float(x) for x in lambdas)
        self.ridge = float(ridge)
        self.fallback = bool(fallback)  # unseen element pairs: Wolfsberg-Helmholz from the overlap (else zeros)
        self.wh: dict[tuple, float] = {}  # (l, l', m) -> kappa
        self.bases: dict[int, OrbitalBasis] = {}
        self.coef: dict[tuple, np.ndarray] = {}  # (Zi, Zj, a, b, m) -> [K]
        self.onsite: dict[tuple, float] = {}  # (Z, a) -> eV
        self.n_fit: dict[tuple, int] = {}  # (Zi, Zj) -> number of training pairs
        self.dist_range: dict[tuple, tuple[float, float]] = {}

    # -- fitting -------------------------------------------------------------------------------------
    def _merge_bases(self, b: RealSpaceBlocks, source: str):
        for z in sorted({int(x) for x in b.numbers}):
            basis = b.bases[z]
            if z in self.bases and self.bases[z] != basis:
                raise HamiltonianError(source, f"element {basis.element}: orbital basis {basis.shells} differs from "
                                       f"{self.bases[z].shells} of the other crystals (use one engine)")
            self.bases.setdefault(z, basis)

    def fit(self, blocks_list, shifts=None) -> "SlaterKoster":
        """Fit on an iterable of RealSpaceBlocks (or zero-argument callables returning them, e.g. dataset loaders).
        ``shifts``: one energy per crystal (eV), fitted to H - c S instead of H: a periodic engine's energy zero
        differs from crystal to crystal, and c = each crystal's VBM (the records' homo_eV) puts them on one scale;
        the model then predicts energies relative to the VBM."""
        shifts = None if shifts is None else [float(c) for c in shifts]
        data: dict[tuple, list] = {}  # (Zi, Zj) -> [(d [n, 3], bond-frame blocks [n, ni, nj])]
        diag: dict[tuple, list] = {}
        for k, item in enumerate(blocks_list):
            b = item() if callable(item) else item
            if shifts is not None:
                b = RealSpaceBlocks(b.cell, b.positions, b.numbers, b.bases, b.R, b.H - shifts[k] * b.S, b.S, b.cutoff,
                                    b.engine, b.meta)
            self._merge_bases(b, b.meta.get("source", f"crystal {k}") if isinstance(b.meta, dict) else f"crystal {k}")
            off = b.orbital_offsets()
            r0 = b.r_index([0, 0, 0])
            for a_, z in enumerate(b.numbers):
                blk = b.H[r0, off[a_]:off[a_ + 1], off[a_]:off[a_ + 1]]
                for s, (l, sl) in enumerate(_shell_slices(b.bases[int(z)])):
                    diag.setdefault((int(z), s), []).extend(np.diag(blk[sl, sl]).tolist())
            I, J, Rr, V = _pairs(b, half=False)
            zi, zj = b.numbers[I], b.numbers[J]
            for key in set(zip(zi.tolist(), zj.tolist())):
                sel = (zi == key[0]) & (zj == key[1])
                oi, oj = off[I[sel]], off[J[sel]]
                ni, nj = self.bases[key[0]].n_orb, self.bases[key[1]].n_orb
                ix = (Rr[sel][:, None, None], oi[:, None, None] + np.arange(ni)[None, :, None],
                      oj[:, None, None] + np.arange(nj)[None, None, :])
                data.setdefault(key, []).append((V[sel], self._to_bond_frame(key, V[sel], b.H[ix]),
                                                 self._to_bond_frame(key, V[sel], b.S[ix])))
        self.onsite = {k: float(np.mean(v)) for k, v in diag.items()}
        sxy: dict = {}
        sxx: dict = {}
        for key, parts in data.items():
            d = np.concatenate([p[0] for p in parts])
            hb = np.concatenate([p[1] for p in parts])
            sb = np.concatenate([p[2] for p in parts])
            dist = np.linalg.norm(d, axis=1)
            self.n_fit[key] = int(len(dist))
            self.dist_range[key] = (float(dist.min()), float(dist.max()))
            Phi = _radial(dist, self.lambdas)
            scale = np.sqrt((Phi**2).mean(0)) + 1e-300
            A = Phi / scale
            K = A.shape[1]
            Aa = np.vstack([A, np.sqrt(self.ridge * len(dist)) * np.eye(K)])  # ridge as extra rows (stable lstsq)
            for a, (l1, s1) in enumerate(_shell_slices(self.bases[key[0]])):
                for b_, (l2, s2) in enumerate(_shell_slices(self.bases[key[1]])):
                    E = channel_matrices(l1, l2)
                    v = np.einsum("nij,mij->nm", hb[:, s1, s2], E) / np.einsum("mij,mij->m", E, E)
                    va = np.vstack([v, np.zeros((K, v.shape[1]))])
                    c = np.linalg.lstsq(Aa, va, rcond=None)[0] / scale[:, None]  # [K, n_m]
                    x = np.einsum("nij,mij->nm", sb[:, s1, s2], E) / np.einsum("mij,mij->m", E, E)
                    x = x * 0.5 * (self.onsite[(key[0], a)] + self.onsite[(key[1], b_)])
                    for m in range(len(E)):
                        self.coef[(key[0], key[1], a, b_, m)] = c[:, m]
                        sxy[(l1, l2, m)] = sxy.get((l1, l2, m), 0.0) + float(x[:, m] @ v[:, m])
                        sxx[(l1, l2, m)] = sxx.get((l1, l2, m), 0.0) + float(x[:, m] @ x[:, m])
        self.wh = {k: sxy[k] / sxx[k] for k in sxy if sxx[k] > 0}
        return self

    def _rotations(self, key, d):
        Q = bond_rotations(d)
        ls = sorted({s.l for z in key for s in self.bases[z].shells})
        return {l: wigner_d(l, Q) for l in ls}

    def _to_bond_frame(self, key, d, blocks):
        """D_i(Q)^T H D_j(Q) per shell pair: [n, ni, nj]."""
        D = self._rotations(key, d)
        out = np.empty_like(blocks)
        for l1, s1 in _shell_slices(self.bases[key[0]]):
            for l2, s2 in _shell_slices(self.bases[key[1]]):
                out[:, s1, s2] = np.einsum("nai,nab,nbj->nij", D[l1], blocks[:, s1, s2], D[l2])
        return out

    # -- prediction ----------------------------------------------------------------------------------
    def bond_blocks(self, zi: int, zj: int, d: np.ndarray, S: np.ndarray | None = None) -> tuple[np.ndarray, str]:
        """([n, ni, nj] hopping blocks for bond vectors d [n, 3] from zi to zj (eV), how: "fitted", "overlap"
        (a pair the fit never saw, with its overlap blocks S [n, ni, nj] given: the Wolfsberg-Helmholz fallback)
        or "missing" (zeros))."""
        key = (int(zi), int(zj))
        ni, nj = self.bases[key[0]].n_orb, self.bases[key[1]].n_orb
        out = np.zeros((len(d), ni, nj))
        if not len(d):
            return out, "fitted"
        if key not in self.n_fit:
            if S is None or not self.wh:
                return out, "missing"
            return self._overlap_blocks(key, d, S), "overlap"
        D = self._rotations(key, d)
        Phi = _radial(np.linalg.norm(d, axis=1), self.lambdas)
        for a, (l1, s1) in enumerate(_shell_slices(self.bases[key[0]])):
            for b_, (l2, s2) in enumerate(_shell_slices(self.bases[key[1]])):
                E = channel_matrices(l1, l2)
                V = np.stack([Phi @ self.coef[(key[0], key[1], a, b_, m)] for m in range(len(E))], 1)  # [n, n_m]
                Hb = np.einsum("nm,mij->nij", V, E)
                out[:, s1, s2] = np.einsum("nia,nab,njb->nij", D[l1], Hb, D[l2])
        return out, "fitted"

    def _overlap_blocks(self, key, d, S):
        """Wolfsberg-Helmholz: bond-frame channel m of shells (a, b) = kappa_{l l' m} (e_a + e_b) / 2 S_m, with
        the on-site energies e and one kappa per (l, l', m) fitted on every training pair (`fit`)."""
        D = self._rotations(key, d)
        Sb = self._to_bond_frame(key, d, S)
        out = np.zeros_like(S)
        for a, (l1, s1) in enumerate(_shell_slices(self.bases[key[0]])):
            for b_, (l2, s2) in enumerate(_shell_slices(self.bases[key[1]])):
                E = channel_matrices(l1, l2)
                sm = np.einsum("nij,mij->nm", Sb[:, s1, s2], E) / np.einsum("mij,mij->m", E, E)
                kap = np.array([self.wh.get((l1, l2, m), 0.0) for m in range(len(E))])
                Hb = np.einsum("nm,mij->nij", sm * kap * 0.5 * (self.onsite[(key[0], a)] + self.onsite[(key[1], b_)]), E)
                out[:, s1, s2] = np.einsum("nia,nab,njb->nij", D[l1], Hb, D[l2])
        return out

    def predict_blocks(self, ref: RealSpaceBlocks) -> RealSpaceBlocks:
        """Predicted H on the pairs/R of ``ref`` (e.g. `overlap_blocks` of a new crystal, or a reference for
        benchmarking); S is ref's. meta: "sk_overlap_fallback_pairs" (element pairs predicted by the overlap
        fallback), "sk_missing_pairs" (predicted zero)."""
        src = str(ref.meta.get("source", "crystal")) if isinstance(ref.meta, dict) else "crystal"
        for z in sorted({int(x) for x in ref.numbers}):
            basis = ref.bases[z]
            if int(z) not in self.bases or (int(z), 0) not in self.onsite:
                raise HamiltonianError(src, f"the Slater-Koster model has no parameters for {basis.element}")
            if self.bases[int(z)] != basis:
                raise HamiltonianError(src, f"{basis.element}: orbital basis {basis.shells} differs from the fitted "
                                       f"{self.bases[int(z)].shells}")
        off = ref.orbital_offsets()
        H = np.zeros_like(ref.S)
        r0 = ref.r_index([0, 0, 0])
        for a_, z in enumerate(ref.numbers):
            o = off[a_]
            for s, (l, sl) in enumerate(_shell_slices(self.bases[int(z)])):
                idx = np.arange(sl.start, sl.stop) + o
                H[r0, idx, idx] = self.onsite[(int(z), s)]
        I, J, Rr, V = _pairs(ref, half=True)
        zi, zj = ref.numbers[I], ref.numbers[J]
        missing, fallback = set(), set()
        for key in set(zip(zi.tolist(), zj.tolist())):
            sel = np.nonzero((zi == key[0]) & (zj == key[1]))[0]
            ni, nj = self.bases[key[0]].n_orb, self.bases[key[1]].n_orb
            ix = (Rr[sel][:, None, None], off[I[sel]][:, None, None] + np.arange(ni)[None, :, None],
                  off[J[sel]][:, None, None] + np.arange(nj)[None, None, :])
            blocks, how = self.bond_blocks(key[0], key[1], V[sel], ref.S[ix] if self.fallback else None)
            name = "-".join(sorted((self.bases[key[0]].element, self.bases[key[1]].element)))
            if how == "missing":
                missing.add(name)
            elif how == "overlap":
                fallback.add(name)
            for n, p in enumerate(sel):
                i, j, r = I[p], J[p], Rr[p]
                rm = ref.r_index(-ref.R[r])
                H[r, off[i]:off[i + 1], off[j]:off[j + 1]] = blocks[n]
                H[rm, off[j]:off[j + 1], off[i]:off[i + 1]] = blocks[n].T
        meta = {"source": src, "model": "slater-koster", "sk_missing_pairs": sorted(missing),
                "sk_overlap_fallback_pairs": sorted(fallback)}
        return RealSpaceBlocks(ref.cell, ref.positions, ref.numbers, ref.bases, ref.R, H, ref.S.copy(), ref.cutoff,
                               "slater-koster", meta)

    def predict(self, structures, engine: str = "tblite", **engine_options) -> list[dict]:
        """[{"hamiltonian": sisl.Hamiltonian, "blocks": RealSpaceBlocks, "fallback_pairs": [...]}] for pymatgen
        Structures (or ASE Atoms): S from `overlap_blocks` (no self-consistency), H from the model."""
        from pgnn.hamiltonians import overlap_blocks

        out = []
        for st in structures:
            pred = self.predict_blocks(overlap_blocks(st, engine=engine, **engine_options))
            out.append({"hamiltonian": pred.to_sisl(), "blocks": pred, "fallback_pairs": pred.meta["sk_overlap_fallback_pairs"] + pred.meta["sk_missing_pairs"]})
        return out

    @property
    def n_parameters(self) -> int:
        return len(self.coef) * len(self.lambdas) + len(self.onsite)

    # -- storage (npz of plain arrays + a JSON string; no pickle) --------------------------------------
    def save(self, path) -> None:
        path = Path(path)
        keys = sorted(self.coef)
        meta = {"lambdas": self.lambdas, "ridge": self.ridge, "fallback": self.fallback,
                "wh": [[*k, v] for k, v in sorted(self.wh.items())],
                "bases": {str(z): b.to_dict() for z, b in self.bases.items()},
                "n_fit": [[*k, v] for k, v in sorted(self.n_fit.items())],
                "dist_range": [[*k, *v] for k, v in sorted(self.dist_range.items())]}
        arrays = {"keys": np.array(keys, dtype=np.int64).reshape(-1, 5),
                  "coef": np.array([self.coef[k] for k in keys], dtype=np.float64).reshape(-1, len(self.lambdas)),
                  "onsite_keys": np.array(sorted(self.onsite), dtype=np.int64).reshape(-1, 2),
                  "onsite": np.array([self.onsite[k] for k in sorted(self.onsite)], dtype=np.float64),
                  "meta": np.array(json.dumps(meta))}
        from pgnn.atomic import atomic_open

        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(path, "wb", encoding=None) as fh:
            np.savez_compressed(fh, **arrays)

    @classmethod
    def load(cls, path) -> "SlaterKoster":
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                m = cls(meta["lambdas"], meta["ridge"], meta.get("fallback", True))
                m.wh = {(int(a), int(b), int(c)): float(v) for a, b, c, v in meta.get("wh", [])}
                m.bases = {int(k): OrbitalBasis.from_dict(v) for k, v in meta["bases"].items()}
                m.coef = {tuple(int(x) for x in k): c.copy() for k, c in zip(z["keys"], z["coef"])}
                m.onsite = {tuple(int(x) for x in k): float(v) for k, v in zip(z["onsite_keys"], z["onsite"])}
        except (OSError, KeyError, ValueError) as exc:
            raise HamiltonianError(str(path), f"not a Slater-Koster model file: {exc}") from None
        m.n_fit = {(int(a), int(b)): int(n) for a, b, n in meta["n_fit"]}
        m.dist_range = {(int(a), int(b)): (float(lo), float(hi)) for a, b, lo, hi in meta["dist_range"]}
        return m
