"""Errors of a predicted Hamiltonian against a reference of the same crystal (same geometry, same overlap).

Inputs are `RealSpaceBlocks` or `sisl.Hamiltonian` (converted with `as_blocks`). Energies in eV in, meV out.

- ``block_errors``: mean |H_pred - H_ref| over the matrix elements of the blocks both store (a block is stored when
  any of its H or S elements is nonzero, as in `pgnn.hamiltonians.store`); on-site = (i, i, R = 0), hopping = all
  other (i, j, R); also after the least-squares energy shift H_pred + c S (moving a periodic Hamiltonian's
  arbitrary energy zero by c changes every block by c S, hoppings included).
- ``band_errors``: eigenvalues of (H(k), S(k)) on a k-grid. Occupation from the reference's electron count
  (spin-degenerate levels pooled over the grid, the rule the engines use for their own HOMO): VBM = the
  round(nk * n_electrons / 2)-th lowest reference level, CBM = the next one; an odd count per cell is a metal. Compared: band by band at each k (ascending order), the levels whose reference energy is at
  most CBM + ``window`` eV (every occupied band and the first ``window`` eV of the conduction bands). MAE absolute,
  and after the best constant shift for the MAE (the median difference, which minimizes mean |d - c|). Gap error:
  the predicted gap (the same occupation count on the predicted levels) minus the reference gap.
- ``electrons_per_cell(record)``: the tblite records hold the electron count of the whole Gamma-point supercell
  (``occ.sum()``), the PySCF records that of one cell; the grid is the engine's commensurate k-mesh
  (``grid_of(record)``), where the stored blocks fold back exactly (S(k) of minimum-image blocks need not be positive
  definite at other k).
"""

from __future__ import annotations

import numpy as np

from pgnn.errors import HamiltonianError
from pgnn.hamiltonians.basis import L_LETTERS, OrbitalBasis, Shell
from pgnn.hamiltonians.blocks import RealSpaceBlocks

__all__ = ["as_blocks", "shift_energy", "block_errors", "band_errors", "projected_levels", "compare", "electrons_per_cell", "grid_of", "summarize"]


def _bases_from_tags(geom) -> dict[int, OrbitalBasis]:
    """Orbital bases from sisl orbital tags such as '3s', '2p(x)' (as written by `to_sisl`)."""
    out: dict[int, OrbitalBasis] = {}
    for atom in geom.atoms.atom:
        tags = [o.tag.split("(")[0] for o in atom.orbitals]
        shells, k = [], 0
        while k < len(tags):
            lab = tags[k]
            try:
                n, l = int(lab[:-1]), L_LETTERS.index(lab[-1])
            except (ValueError, IndexError):
                raise HamiltonianError("sisl.Hamiltonian", f"orbital tag {atom.orbitals[k].tag!r} is not a shell "
                                       "label like '2p(x)'") from None
            shells.append(Shell(n, l))
            k += 2 * l + 1
        out[int(atom.Z)] = OrbitalBasis(atom.symbol, tuple(shells))
    return out


def as_blocks(H) -> RealSpaceBlocks:
    """RealSpaceBlocks of a `sisl.Hamiltonian` (non-orthogonal, eV) or the argument itself if it already is one."""
    if isinstance(H, RealSpaceBlocks):
        return H
    g = H.geometry
    no = H.no
    Hc = H.tocsr(0).toarray().reshape(no, -1, no)  # [no, n_sc, no]
    Sc = H.tocsr(H.S_idx).toarray().reshape(no, -1, no) if not H.orthogonal else None
    R = np.asarray(g.lattice.sc_off, dtype=int)
    Hr = np.transpose(Hc, (1, 0, 2))
    Sr = np.transpose(Sc, (1, 0, 2)) if Sc is not None else np.array([np.eye(no) if (r == 0).all() else np.zeros((no, no)) for r in R])
    keep = np.any(Hr != 0, axis=(1, 2)) | np.any(Sr != 0, axis=(1, 2))
    return RealSpaceBlocks(np.asarray(g.cell, float), np.asarray(g.xyz, float), np.asarray(g.atoms.Z, int),
                           _bases_from_tags(g), R[keep], Hr[keep], Sr[keep], cutoff=np.inf, engine="sisl")


def _aligned(pred, ref):
    """(pred, ref) as RealSpaceBlocks on the union of their R, with a check that the crystals match."""
    p, r = as_blocks(pred), as_blocks(ref)
    if p.n_orb != r.n_orb or len(p.numbers) != len(r.numbers) or not np.array_equal(p.numbers, r.numbers):
        raise HamiltonianError("metrics", f"predicted and reference Hamiltonians are of different crystals "
                               f"({len(p.numbers)} atoms / {p.n_orb} orbitals vs {len(r.numbers)} / {r.n_orb})")
    if np.abs(p.cell - r.cell).max() > 1e-6 or np.abs(p.positions - r.positions).max() > 1e-6:
        raise HamiltonianError("metrics", "predicted and reference Hamiltonians have different cells or positions")
    keys = sorted(set(map(tuple, p.R.tolist())) | set(map(tuple, r.R.tolist())))

    def dense(b):
        idx = {tuple(x): a for a, x in enumerate(b.R.tolist())}
        H = np.zeros((len(keys), b.n_orb, b.n_orb))
        S = np.zeros_like(H)
        for a, k in enumerate(keys):
            if k in idx:
                H[a], S[a] = b.H[idx[k]], b.S[idx[k]]
        return H, S

    return np.array(keys, dtype=int).reshape(-1, 3), dense(p), dense(r), r.orbital_offsets()


def shift_energy(blocks, c: float) -> RealSpaceBlocks:
    """A copy with H - c S: every level moves by -c (eV). E.g. c = the VBM puts the VBM at 0."""
    b = as_blocks(blocks)
    return RealSpaceBlocks(b.cell, b.positions, b.numbers, b.bases, b.R, b.H - float(c) * b.S, b.S, b.cutoff,
                           b.engine, dict(b.meta) if isinstance(b.meta, dict) else {})


def block_errors(pred, ref) -> dict:
    """{onsite_meV, hopping_meV, n_onsite, n_hopping, overlap_max_diff, block_shift_eV, onsite_shifted_meV,
    hopping_shifted_meV}: element-wise MAE (meV) over the blocks both Hamiltonians store; overlap_max_diff = max
    |S_pred - S_ref| over those blocks (should be ~0); *_shifted after the least-squares energy shift
    H_pred + c S (c = block_shift_eV), the block counterpart of the shifted band error (a periodic Hamiltonian's
    energy zero is arbitrary, and moving it by c changes every block by c S)."""
    R, (Hp, Sp), (Hr, Sr), off = _aligned(pred, ref)
    out = _block_mae(R, Hp, Sp, Hr, Sr, off, 0.0)
    mask = out.pop("_mask")
    num = float((Sr[mask] * (Hr[mask] - Hp[mask])).sum())
    den = float((Sr[mask] ** 2).sum())
    c = num / den if den > 0 else 0.0
    sh = _block_mae(R, Hp + c * Sr, Sp, Hr, Sr, off, c)
    sh.pop("_mask")
    out.update({"block_shift_eV": c, "onsite_shifted_meV": sh["onsite_meV"], "hopping_shifted_meV": sh["hopping_meV"]})
    return out


def _block_mae(R, Hp, Sp, Hr, Sr, off, c) -> dict:
    N = len(off) - 1
    mask = np.zeros(Hp.shape, bool)
    r0 = [a for a, x in enumerate(R.tolist()) if x == [0, 0, 0]]
    on, hop, n_on, n_hop, ds = 0.0, 0.0, 0, 0, 0.0
    for a in range(len(R)):
        for i in range(N):
            for j in range(N):
                si, sj = slice(off[i], off[i + 1]), slice(off[j], off[j + 1])
                hp, hr, sp, sr = Hp[a, si, sj], Hr[a, si, sj], Sp[a, si, sj], Sr[a, si, sj]
                if not ((hp.any() or sp.any()) and (hr.any() or sr.any())):
                    continue
                mask[a, si, sj] = True
                e = float(np.abs(hp - hr).sum())
                ds = max(ds, float(np.abs(sp - sr).max()))
                if r0 and a == r0[0] and i == j:
                    on, n_on = on + e, n_on + hp.size
                else:
                    hop, n_hop = hop + e, n_hop + hp.size
    return {"onsite_meV": 1e3 * on / max(n_on, 1) if n_on else float("nan"),
            "hopping_meV": 1e3 * hop / max(n_hop, 1) if n_hop else float("nan"),
            "n_onsite": n_on, "n_hopping": n_hop, "overlap_max_diff": ds, "_mask": mask}


def _edges(levels, n_electrons: float) -> tuple[float, float]:
    """(VBM, CBM) of per-k level lists ([nk, n_orb] or a list of nk arrays) with ``n_electrons`` per cell: the
    round(nk * n_electrons / 2)-th lowest level pooled over the grid and the next one (the engines' own rule; an odd
    count per cell is a metal here)."""
    flat = np.sort(np.concatenate([np.ravel(x) for x in levels]))
    n = int(round(len(levels) * float(n_electrons) / 2))
    if not 0 < n < flat.size:
        raise HamiltonianError("metrics", f"{n_electrons} electrons per cell do not fit {flat.size // len(levels)} "
                               "levels per k-point")
    return float(flat[n - 1]), float(flat[n])


def projected_levels(pred, ref, kpoints, s_min: float):
    """Per-k eigenvalues (pred list, ref list, levels dropped) after canonical orthogonalization with the
    reference's S(k): eigenvectors of S(k) with eigenvalue < ``s_min`` are removed from both (the near-linear
    dependencies of a diffuse basis, in which any error of H is amplified by 1 / s)."""
    p, r = as_blocks(pred), as_blocks(ref)
    ep, er, dropped = [], [], 0
    for k in np.atleast_2d(np.asarray(kpoints, float)):
        hr, s = r.hk_sk(k)
        hp, _ = p.hk_sk(k)
        w, V = np.linalg.eigh(s)
        keep = w >= s_min
        dropped += int((~keep).sum())
        X = V[:, keep] / np.sqrt(w[keep])[None, :]
        er.append(np.linalg.eigvalsh(X.conj().T @ hr @ X))
        ep.append(np.linalg.eigvalsh(X.conj().T @ hp @ X))
    return ep, er, dropped


def band_errors(pred, ref, kpoints, n_electrons: float, window: float = 3.0, ref_levels=None,
                s_min: float | None = None) -> dict:
    """{band_mae_meV, band_mae_shifted_meV, shift_meV, gap_pred_eV, gap_ref_eV, gap_error_eV, n_levels} on the
    k-grid ``kpoints`` [nk, 3] (fractional, of the crystal's cell); ``n_electrons`` per cell (spin-degenerate);
    ``ref_levels`` [nk, n_orb] reuses the reference's eigenvalues. ``s_min``: compare in the reference's
    canonically orthogonalized basis instead (`projected_levels`; adds n_dropped). See the module docstring."""
    k = np.atleast_2d(np.asarray(kpoints, float))
    extra = {}
    if s_min is not None:
        ep, er, dropped = projected_levels(pred, ref, k, s_min)
        extra["n_dropped"] = dropped
    else:
        ep = list(as_blocks(pred).eigenvalues(k))
        er = list(as_blocks(ref).eigenvalues(k) if ref_levels is None else np.asarray(ref_levels))
    vr, cr = _edges(er, n_electrons)
    vp, cp = _edges(ep, n_electrons)
    d = np.concatenate([(a - b)[b <= cr + window + 1e-9] for a, b in zip(ep, er)])
    c = float(np.median(d))
    return {"band_mae_meV": float(1e3 * np.abs(d).mean()), "band_mae_shifted_meV": float(1e3 * np.abs(d - c).mean()),
            "shift_meV": 1e3 * c, "gap_pred_eV": cp - vp, "gap_ref_eV": cr - vr, "gap_error_eV": (cp - vp) - (cr - vr),
            "n_levels": int(d.size), **extra}


def electrons_per_cell(record: dict) -> float:
    """Valence electrons per cell of a dataset record (tblite records count the whole supercell)."""
    n = float(record["n_electrons"])
    if str(record.get("engine", "")).startswith("pyscf"):
        return n
    return n / abs(round(np.linalg.det(np.asarray(record["supercell"], float))))


def grid_of(record: dict) -> np.ndarray:
    """[nk, 3] the engine's commensurate k-grid of a record (fractional, of the crystal's cell)."""
    from pgnn.hamiltonians.supercell import commensurate_kpoints

    return commensurate_kpoints(np.asarray(record["supercell"], int))


def compare(pred, ref, kpoints, n_electrons: float, window: float = 3.0, ref_levels=None) -> dict:
    """block_errors and band_errors of one crystal in one dict."""
    out = block_errors(pred, ref)
    out.update(band_errors(pred, ref, kpoints, n_electrons, window, ref_levels))
    return out


def summarize(rows: list[dict]) -> dict:
    """Means over crystals: block MAEs (weighted by elements), band MAEs, gap MAE = mean |gap error| (eV)."""
    if not rows:
        return {}
    n_on = sum(r["n_onsite"] for r in rows)
    n_hop = sum(r["n_hopping"] for r in rows)
    return {
        "onsite_meV": sum(r["onsite_meV"] * r["n_onsite"] for r in rows if r["n_onsite"]) / max(n_on, 1),
        "hopping_meV": sum(r["hopping_meV"] * r["n_hopping"] for r in rows if r["n_hopping"]) / max(n_hop, 1),
        "onsite_shifted_meV": sum(r["onsite_shifted_meV"] * r["n_onsite"] for r in rows if r["n_onsite"]) / max(n_on, 1),
        "hopping_shifted_meV": sum(r["hopping_shifted_meV"] * r["n_hopping"] for r in rows if r["n_hopping"]) / max(n_hop, 1),
        "band_mae_meV": float(np.mean([r["band_mae_meV"] for r in rows])),
        "band_mae_shifted_meV": float(np.mean([r["band_mae_shifted_meV"] for r in rows])),
        "gap_mae_eV": float(np.mean([abs(r["gap_error_eV"]) for r in rows])),
        "n_crystals": len(rows),
    }
