"""H(k), S(k), eigenvalues and band paths of a `sisl.Hamiltonian`: the one place k-space quantities come from.

k-points are fractional coordinates in the reciprocal cell of the Hamiltonian's own lattice (rows of
``H.geometry.cell``); the Bloch phase is e^{2 pi i k.R} with R the lattice vector of the orbital's cell ("lattice"
gauge; eigenvalues do not depend on the gauge). Energies in eV.
"""

from __future__ import annotations

import numpy as np

from pgnn.errors import HamiltonianError

__all__ = ["hk_sk", "eigenvalues", "band_path", "bands"]


def hk_sk(H, k) -> tuple[np.ndarray, np.ndarray]:
    """Dense complex H(k), S(k) [n_orb, n_orb] of a sisl Hamiltonian (S = identity when orthogonal)."""
    h = H.Hk(k=np.asarray(k, dtype=float), format="array", gauge="lattice")
    s = np.eye(H.no) if H.orthogonal else H.Sk(k=np.asarray(k, dtype=float), format="array", gauge="lattice")
    return np.asarray(h), np.asarray(s)


def eigenvalues(H, kpoints) -> np.ndarray:
    """[nk, n_orb] eigenvalues (eV, ascending at each k) of (H(k), S(k)), kpoints [nk, 3] fractional in H's cell."""
    import scipy.linalg

    k = np.atleast_2d(np.asarray(kpoints, dtype=float))
    if k.shape[-1] != 3 or not np.isfinite(k).all():
        raise HamiltonianError("kpoints", f"need finite [nk, 3] fractional k-points, got shape {k.shape}")
    out = np.empty((len(k), H.no))
    for a, kk in enumerate(k):
        h, s = hk_sk(H, kk)
        try:
            out[a] = scipy.linalg.eigh(h, s, eigvals_only=True)
        except np.linalg.LinAlgError:
            raise HamiltonianError("kpoints", f"S(k) is not positive definite at k = {kk.tolist()}") from None
    return out


def band_path(cell, positions, numbers, n_points: int = 120, symprec: float = 1e-3):
    """The standard (HPKOT, seekpath) band path of a crystal, in fractional k of the INPUT cell.

    Returns (kpoints [nk, 3], x [nk] path length in 1/Angstrom, ticks [(x, label)]). The path is built in
    seekpath's standardized frame and rotated back with spglib's std_rotation_matrix; a cell that is not an
    integer multiple of the standard primitive raises HamiltonianError."""
    import seekpath
    import spglib

    cell = np.asarray(cell, dtype=float)
    frac = np.asarray(positions, dtype=float) @ np.linalg.inv(cell)
    p = seekpath.get_path((cell, frac, list(numbers)), with_time_reversal=True, symprec=symprec)
    ds = spglib.get_symmetry_dataset((cell, frac, list(numbers)), symprec=symprec)
    rot = np.asarray(ds.std_rotation_matrix)
    prim_std = np.asarray(p["primitive_lattice"])
    if np.abs(np.asarray(p["conv_lattice"]) - np.asarray(ds.std_lattice)).max() > 1e-5:
        raise HamiltonianError("band path", "seekpath's standard cell differs from spglib's; cannot map the path")
    prim_in = prim_std @ rot  # rows rotated back to the input frame (v_in = rot^T v_std)
    A = cell @ np.linalg.inv(prim_in)
    if np.abs(A - np.rint(A)).max() > 1e-4:
        raise HamiltonianError("band path", "the input cell is not a supercell of the standard primitive cell")
    B_prim = 2 * np.pi * np.linalg.inv(prim_in).T  # reciprocal rows, input frame
    coords = {k: np.asarray(v) @ B_prim for k, v in p["point_coords"].items()}  # Cartesian, input frame
    segs = p["path"]
    lengths = [np.linalg.norm(coords[b] - coords[a]) for a, b in segs]
    total = sum(lengths)
    ks, xs, ticks = [], [], []
    x0 = 0.0
    for (a, b), L in zip(segs, lengths):
        n = max(2, int(round(n_points * L / total)))
        t = np.linspace(0, 1, n)
        pts = coords[a][None, :] + t[:, None] * (coords[b] - coords[a])[None, :]
        ks.append(pts)
        xs.append(x0 + t * L)
        if ticks and abs(ticks[-1][0] - x0) < 1e-9:
            if ticks[-1][1] != a:
                ticks[-1] = (x0, f"{ticks[-1][1]}|{a}")
        else:
            ticks.append((x0, a))
        x0 += L
        ticks.append((x0, b))
    kcart = np.concatenate(ks)
    kfrac = kcart @ cell.T / (2 * np.pi)
    return kfrac, np.concatenate(xs), [(x, "Γ" if lab == "GAMMA" else lab.replace("GAMMA", "Γ")) for x, lab in ticks]


def bands(H, n_points: int = 120):
    """(x, energies [nk, n_orb] eV, ticks) along the standard path of H's geometry."""
    g = H.geometry
    k, x, ticks = band_path(g.cell, g.xyz, g.atoms.Z, n_points)
    return x, eigenvalues(H, k), ticks
