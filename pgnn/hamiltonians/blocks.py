"""Real-space Hamiltonian blocks of a crystal: H_ij(R), S_ij(R) in e3nn-ordered orbitals, and sisl conversion.

Dense layout: ``R`` [nR, 3] int lattice vectors (cell of atom j, in units of the rows of ``cell``),
``H`` and ``S`` [nR, n_orb, n_orb] (eV, dimensionless); rows are the orbitals of the home-cell atoms, columns the
orbitals of the atoms in cell R, atoms in input order, each atom's orbitals in its element's `OrbitalBasis`.
A block with |r_j + R @ cell - r_i| > ``cutoff`` is zero (not stored). Hermiticity: H(-R) = H(R)^T.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pgnn.hamiltonians.basis import OrbitalBasis

__all__ = ["RealSpaceBlocks", "to_sisl"]


@dataclass
class RealSpaceBlocks:
    """A non-orthogonal tight-binding model of one crystal. Angstrom, eV."""

    cell: np.ndarray  # [3, 3] lattice rows, Angstrom
    positions: np.ndarray  # [N, 3] Cartesian, Angstrom
    numbers: np.ndarray  # [N] atomic numbers
    bases: dict[int, OrbitalBasis]  # atomic number -> basis
    R: np.ndarray  # [nR, 3] int
    H: np.ndarray  # [nR, n_orb, n_orb] eV
    S: np.ndarray  # [nR, n_orb, n_orb]
    cutoff: float  # Angstrom: blocks of pairs farther apart are zero
    engine: str = ""
    meta: dict = field(default_factory=dict)

    # -- orbitals ------------------------------------------------------------------------------------
    @property
    def n_orb(self) -> int:
        return int(self.H.shape[1])

    def orbital_offsets(self) -> np.ndarray:
        """[N + 1]: orbitals of atom a are offsets[a]:offsets[a+1]."""
        n = [self.bases[int(z)].n_orb for z in self.numbers]
        return np.concatenate([[0], np.cumsum(n)]).astype(int)

    def block(self, i: int, j: int, R) -> tuple[np.ndarray, np.ndarray]:
        """(H_ij(R), S_ij(R)); zeros for a pair beyond the cutoff."""
        off = self.orbital_offsets()
        idx = self.r_index(R)
        si, sj = slice(off[i], off[i + 1]), slice(off[j], off[j + 1])
        if idx < 0:
            return np.zeros((off[i + 1] - off[i], off[j + 1] - off[j])), np.zeros((off[i + 1] - off[i], off[j + 1] - off[j]))
        return self.H[idx, si, sj], self.S[idx, si, sj]

    def r_index(self, R) -> int:
        hit = np.nonzero(np.all(self.R == np.asarray(R, dtype=int), axis=1))[0]
        return int(hit[0]) if len(hit) else -1

    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(i, j, r_index, distance) of every atom pair within the cutoff."""
        d = self.positions[None, None, :, :] + (self.R @ self.cell)[:, None, None, :] - self.positions[None, :, None, :]
        dist = np.linalg.norm(d, axis=-1)  # [nR, N, N]
        r, i, j = np.nonzero(dist <= self.cutoff + 1e-8)
        return i, j, r, dist[r, i, j]

    # -- checks --------------------------------------------------------------------------------------
    def hermiticity_error(self) -> float:
        """max |H_ji(-R) - H_ij(R)^T| over all R (eV)."""
        err = 0.0
        for a, R in enumerate(self.R):
            b = self.r_index(-R)
            if b < 0:
                err = max(err, float(np.abs(self.H[a]).max()))
                continue
            err = max(err, float(np.abs(self.H[b] - self.H[a].T).max()), float(np.abs(self.S[b] - self.S[a].T).max()))
        return err

    def symmetrize(self) -> "RealSpaceBlocks":
        """Make H(-R) = H(R)^T exact by averaging each block with its partner."""
        H, S = self.H.copy(), self.S.copy()
        for a, R in enumerate(self.R):
            b = self.r_index(-R)
            H[a] = 0.5 * (self.H[a] + self.H[b].T)
            S[a] = 0.5 * (self.S[a] + self.S[b].T)
        self.H, self.S = H, S
        return self

    # -- k space -------------------------------------------------------------------------------------
    def hk_sk(self, k) -> tuple[np.ndarray, np.ndarray]:
        """H(k), S(k) [n_orb, n_orb] complex at fractional k (of the reciprocal of ``cell``), phase e^{2 pi i k.R}."""
        ph = np.exp(2j * np.pi * (self.R @ np.asarray(k, dtype=float)))
        return np.tensordot(ph, self.H, 1), np.tensordot(ph, self.S, 1)

    def eigenvalues(self, kpoints) -> np.ndarray:
        """[nk, n_orb] eigenvalues (eV, ascending) of (H(k), S(k)) from the blocks themselves."""
        import scipy.linalg

        out = []
        for k in np.atleast_2d(kpoints):
            h, s = self.hk_sk(k)
            out.append(scipy.linalg.eigh(h, s, eigvals_only=True))
        return np.array(out)

    def truncated(self, cutoff: float) -> "RealSpaceBlocks":
        """A copy with the blocks of pairs farther apart than ``cutoff`` (Angstrom) set to zero."""
        off = self.orbital_offsets()
        atom_of = np.repeat(np.arange(len(self.numbers)), np.diff(off))
        d = self.positions[None, None, :, :] + (self.R @ self.cell)[:, None, None, :] - self.positions[None, :, None, :]
        keep = np.linalg.norm(d, axis=-1) <= cutoff + 1e-8  # [nR, N, N]
        mask = keep[:, atom_of][:, :, atom_of]
        rows = mask.any(axis=(1, 2))
        return RealSpaceBlocks(self.cell, self.positions, self.numbers, self.bases, self.R[rows],
                               (self.H * mask)[rows], (self.S * mask)[rows], min(cutoff, self.cutoff), self.engine,
                               dict(self.meta))

    # -- sisl ----------------------------------------------------------------------------------------
    def to_sisl(self):
        return to_sisl(self)


def _sisl_geometry(cell, positions, numbers, bases, orbital_range: float):
    import sisl

    atoms = {}
    for z in sorted(set(int(x) for x in numbers)):
        names = bases[z].orbital_names()
        orbs = [sisl.Orbital(orbital_range, tag=name) for name in names]
        atoms[z] = sisl.Atom(z, orbitals=orbs)
    return sisl.Geometry(np.asarray(positions, dtype=float), atoms=[atoms[int(z)] for z in numbers],
                         lattice=sisl.Lattice(np.asarray(cell, dtype=float)))


def to_sisl(blocks: RealSpaceBlocks):
    """The `sisl.Hamiltonian` (non-orthogonal, eV) of the blocks; geometry = the input cell, atoms in input order,
    orbitals tagged with their names in the e3nn order of `pgnn.hamiltonians.basis`."""
    import scipy.sparse as sps
    import sisl

    geom = _sisl_geometry(blocks.cell, blocks.positions, blocks.numbers, blocks.bases, max(blocks.cutoff / 2, 0.1))
    nsc = 2 * np.abs(blocks.R).max(axis=0) + 1
    geom.set_nsc(nsc)
    no = blocks.n_orb
    index = {tuple(r): a for a, r in enumerate(blocks.R.tolist())}
    Hs, Ss = [], []
    for isc in geom.lattice.sc_off:
        a = index.get(tuple(int(x) for x in isc))
        if a is None:
            Hs.append(sps.csr_matrix((no, no)))
            Ss.append(sps.csr_matrix((no, no)))
        else:
            Hs.append(sps.csr_matrix(blocks.H[a]))
            Ss.append(sps.csr_matrix(blocks.S[a]))
    return sisl.Hamiltonian.fromsp(geom, sps.hstack(Hs).tocsr(), S=sps.hstack(Ss).tocsr())
