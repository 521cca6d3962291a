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
i < j) and H_ji(-R) = H_ij(R)^T fills the other. Channels of element pairs the fit never saw predict 0 (counted in
``meta["sk_missing_pairs"]``); elements without on-site parameters raise.
"""

from __future__ import annotations

import json
import os
import tempfile
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

    def __init__(self, lambdas=LAMBDAS, ridge: float = 1e-6):
        self.lambdas = tuple(float(x) for x in lambdas)
        self.ridge = float(ridge)
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

    def fit(self, blocks_list) -> "SlaterKoster":
        """Fit on an iterable of RealSpaceBlocks (or zero-argument callables returning them, e.g. dataset loaders)."""
        data: dict[tuple, list] = {}  # (Zi, Zj) -> [(d [n, 3], bond-frame blocks [n, ni, nj])]
        diag: dict[tuple, list] = {}
        for k, item in enumerate(blocks_list):
            b = item() if callable(item) else item
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
                blocks = b.H[Rr[sel][:, None, None], oi[:, None, None] + np.arange(ni)[None, :, None],
                             oj[:, None, None] + np.arange(nj)[None, None, :]]
                data.setdefault(key, []).append((V[sel], self._to_bond_frame(key, V[sel], blocks)))
        self.onsite = {k: float(np.mean(v)) for k, v in diag.items()}
        for key, parts in data.items():
            d = np.concatenate([p[0] for p in parts])
            hb = np.concatenate([p[1] for p in parts])
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
                    for m in range(len(E)):
                        self.coef[(key[0], key[1], a, b_, m)] = c[:, m]
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
    def bond_blocks(self, zi: int, zj: int, d: np.ndarray) -> tuple[np.ndarray, bool]:
        """([n, ni, nj] hopping blocks for bond vectors d [n, 3] from zi to zj (eV), whether the pair was fitted)."""
        key = (int(zi), int(zj))
        ni, nj = self.bases[key[0]].n_orb, self.bases[key[1]].n_orb
        out = np.zeros((len(d), ni, nj))
        if key not in self.n_fit or not len(d):
            return out, key in self.n_fit
        D = self._rotations(key, d)
        Phi = _radial(np.linalg.norm(d, axis=1), self.lambdas)
        for a, (l1, s1) in enumerate(_shell_slices(self.bases[key[0]])):
            for b_, (l2, s2) in enumerate(_shell_slices(self.bases[key[1]])):
                E = channel_matrices(l1, l2)
                V = np.stack([Phi @ self.coef[(key[0], key[1], a, b_, m)] for m in range(len(E))], 1)  # [n, n_m]
                Hb = np.einsum("nm,mij->nij", V, E)
                out[:, s1, s2] = np.einsum("nia,nab,njb->nij", D[l1], Hb, D[l2])
        return out, True

    def predict_blocks(self, ref: RealSpaceBlocks) -> RealSpaceBlocks:
        """Predicted H on the pairs/R of ``ref`` (e.g. `overlap_blocks` of a new crystal, or a reference for
        benchmarking); S is ref's. meta["sk_missing_pairs"]: element pairs (symbols) without fitted channels."""
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
        missing = set()
        for key in set(zip(zi.tolist(), zj.tolist())):
            sel = np.nonzero((zi == key[0]) & (zj == key[1]))[0]
            blocks, ok = self.bond_blocks(key[0], key[1], V[sel])
            if not ok:
                missing.add("-".join(sorted((self.bases[key[0]].element, self.bases[key[1]].element))))
            for n, p in enumerate(sel):
                i, j, r = I[p], J[p], Rr[p]
                rm = ref.r_index(-ref.R[r])
                H[r, off[i]:off[i + 1], off[j]:off[j + 1]] = blocks[n]
                H[rm, off[j]:off[j + 1], off[i]:off[i + 1]] = blocks[n].T
        meta = {"source": src, "model": "slater-koster", "sk_missing_pairs": sorted(missing)}
        return RealSpaceBlocks(ref.cell, ref.positions, ref.numbers, ref.bases, ref.R, H, ref.S.copy(), ref.cutoff,
                               "slater-koster", meta)

    def predict(self, structures, engine: str = "tblite", **engine_options) -> list[dict]:
        """[{"hamiltonian": sisl.Hamiltonian, "blocks": RealSpaceBlocks, "missing_pairs": [...]}] for pymatgen
        Structures (or ASE Atoms): S from `overlap_blocks` (no self-consistency), H from the model."""
        from pgnn.hamiltonians import overlap_blocks

        out = []
        for st in structures:
            pred = self.predict_blocks(overlap_blocks(st, engine=engine, **engine_options))
            out.append({"hamiltonian": pred.to_sisl(), "blocks": pred, "missing_pairs": pred.meta["sk_missing_pairs"]})
        return out

    @property
    def n_parameters(self) -> int:
        return len(self.coef) * len(self.lambdas) + len(self.onsite)

    # -- storage (npz of plain arrays + a JSON string; no pickle) --------------------------------------
    def save(self, path) -> None:
        path = Path(path)
        keys = sorted(self.coef)
        meta = {"lambdas": self.lambdas, "ridge": self.ridge,
                "bases": {str(z): b.to_dict() for z, b in self.bases.items()},
                "n_fit": [[*k, v] for k, v in sorted(self.n_fit.items())],
                "dist_range": [[*k, *v] for k, v in sorted(self.dist_range.items())]}
        arrays = {"keys": np.array(keys, dtype=np.int64).reshape(-1, 5),
                  "coef": np.array([self.coef[k] for k in keys], dtype=np.float64).reshape(-1, len(self.lambdas)),
                  "onsite_keys": np.array(sorted(self.onsite), dtype=np.int64).reshape(-1, 2),
                  "onsite": np.array([self.onsite[k] for k in sorted(self.onsite)], dtype=np.float64),
                  "meta": np.array(json.dumps(meta))}
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez_compressed(fh, **arrays)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    @classmethod
    def load(cls, path) -> "SlaterKoster":
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                m = cls(meta["lambdas"], meta["ridge"])
                m.bases = {int(k): OrbitalBasis.from_dict(v) for k, v in meta["bases"].items()}
                m.coef = {tuple(int(x) for x in k): c.copy() for k, c in zip(z["keys"], z["coef"])}
                m.onsite = {tuple(int(x) for x in k): float(v) for k, v in zip(z["onsite_keys"], z["onsite"])}
        except (OSError, KeyError, ValueError) as exc:
            raise HamiltonianError(str(path), f"not a Slater-Koster model file: {exc}") from None
        m.n_fit = {(int(a), int(b)): int(n) for a, b, n in meta["n_fit"]}
        m.dist_range = {(int(a), int(b)): (float(lo), float(hi)) for a, b, lo, hi in meta["dist_range"]}
        return m
