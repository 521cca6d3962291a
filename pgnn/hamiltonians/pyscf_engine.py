"""PBE Kohn-Sham Hamiltonians from PySCF periodic DFT (GTH pseudopotentials and basis, a k-mesh).

F(k), S(k) of the converged k-mesh are inverse-Fourier transformed to H_ab(R) = (1/Nk) sum_k e^{-2 pi i k.R} F_ab(k)
over the n x n x n classes of R, each class assigned to its minimum image(s) like the tblite supercell
(`pgnn.hamiltonians.supercell`). On-site blocks carry the crystal field (an O_h metal's d block splits 2 + 3).
PySCF orbitals: p = x, y, z; d = xy, yz, 3z^2-r^2, xz, x^2-y^2 (standard real harmonics, positive), rotated here
into e3nn's order. Install: ``pip install pgnn[dft]`` (PyPI pyscf).
"""

from __future__ import annotations

import time

import numpy as np

from pgnn.errors import CellTooLargeError, ConvergenceError, EngineNotInstalledError, HamiltonianError, UnsupportedElementError
from pgnn.hamiltonians.basis import OrbitalBasis, Shell, basis_transform
from pgnn.hamiltonians.blocks import RealSpaceBlocks
from pgnn.hamiltonians.checks import band_errors
from pgnn.hamiltonians.supercell import blocks_from_supercell, commensurate_kpoints, heights, lattice_points

__all__ = ["pyscf_blocks", "pyscf_overlap", "DEFAULTS"]

HARTREE = 27.211386245988
DEFAULTS = {"basis": "gth-szv-molopt-sr", "pseudo": "gth-pbe", "xc": "pbe", "kmesh": 2, "max_atoms": 12, "max_cycle": 60,
            "conv_tol": 1e-7, "smearing_eV": 0.0, "ke_cutoff_Eh": 80.0, "density_fit": False}
# density_fit: Gaussian density fitting instead of the plane-wave (FFT) Coulomb; measured on ZnO (zinc blende, 2x2x2):
# FFT 31 s, density fitting 61 s, gaps equal to 1 meV, so FFT is the default for these small cells.
INSTALL = "pip install 'pgnn[dft]'  (or: pip install pyscf)"


def _import_pyscf():
    try:
        from pyscf.pbc import dft, gto  # noqa: F401
    except ImportError as exc:
        raise EngineNotInstalledError("pyscf", f"the pyscf engine needs the pyscf package ({INSTALL}): {exc}") from None
    return gto, dft


def _build_cell(cell, positions, numbers, source: str, options: dict):
    """(pyscf Cell, resolved options, cell, positions, numbers, symbols) after the checks every run shares."""
    unknown = set(options) - set(DEFAULTS)
    if unknown:
        raise HamiltonianError(source, f"unknown pyscf option(s) {sorted(unknown)}; valid: {sorted(DEFAULTS)}")
    opt = {**DEFAULTS, **options}
    cell = np.asarray(cell, dtype=float)
    pos = np.asarray(positions, dtype=float)
    numbers = np.asarray(numbers, dtype=int)
    if len(numbers) > opt["max_atoms"]:
        raise CellTooLargeError(source, f"{len(numbers)} atoms, above the pyscf engine's max_atoms={opt['max_atoms']}")
    gto, _ = _import_pyscf()
    from pymatgen.core.periodic_table import Element

    symbols = [Element.from_Z(int(z)).symbol for z in numbers]
    c = gto.Cell()
    c.a = cell
    c.atom = [[s, tuple(p)] for s, p in zip(symbols, pos)]
    c.unit = "Angstrom"
    c.basis = opt["basis"]
    c.pseudo = opt["pseudo"]
    c.verbose = 0
    if opt["ke_cutoff_Eh"]:
        c.ke_cutoff = float(opt["ke_cutoff_Eh"])
    try:
        c.build()
    except (KeyError, RuntimeError, ValueError, AttributeError) as exc:
        missing = sorted({s for s in symbols if not _has_basis(s, opt)})
        if missing:
            raise UnsupportedElementError(source, f"no {opt['basis']} / {opt['pseudo']} data for {', '.join(missing)}") from None
        raise HamiltonianError(source, f"pyscf could not build the cell: {exc}") from None
    return c, opt, cell, pos, numbers, symbols


def _real_space(c, cell, pos, numbers, symbols, M, kfrac, Fk, Sk, source: str):
    """(R, H, S, bases) of k-mesh matrices Fk, Sk [nk, nao, nao] (eV, pyscf's AO order): the basis per element from
    the AO labels, rotated into e3nn's order, inverse-Fourier transformed over the mesh's lattice classes and
    mapped to minimum images like a supercell."""
    labels = c.ao_labels(fmt=False)
    bases: dict[int, OrbitalBasis] = {}
    per_atom: dict[int, list] = {}
    for a, sym, nl, m in labels:
        per_atom.setdefault(a, []).append((nl, m))
    for a, z in enumerate(numbers):
        shells = []
        k_ = 0
        lst = per_atom[a]
        while k_ < len(lst):
            nl = lst[k_][0]
            l = "spdfgh".index(nl[-1])
            shells.append(Shell(int(nl[:-1]), l))
            k_ += 2 * l + 1
        b = OrbitalBasis(symbols[a], tuple(shells))
        if int(z) in bases and bases[int(z)] != b:
            raise HamiltonianError(source, f"two different bases for {symbols[a]}")
        bases[int(z)] = b
    offsets = np.concatenate([[0], np.cumsum([bases[int(z)].n_orb for z in numbers])]).astype(int)
    U = np.zeros((offsets[-1], offsets[-1]))
    for a, z in enumerate(numbers):
        U[offsets[a]:offsets[a + 1], offsets[a]:offsets[a + 1]] = basis_transform(bases[int(z)].ls, "pyscf")
    # H(R) per class R = T_u (mod the mesh), then the supercell matrices the minimum-image mapping reads
    T = lattice_points(M)
    ph = np.exp(-2j * np.pi * (T @ kfrac.T))  # [NT, nk]
    HR = np.einsum("uk,kij->uij", ph, Fk) / len(kfrac)
    SR = np.einsum("uk,kij->uij", ph, Sk) / len(kfrac)
    imag = float(max(np.abs(HR.imag).max(), np.abs(SR.imag).max()))
    HR = np.einsum("ab,ubc,dc->uad", U, HR.real, U)
    SR = np.einsum("ab,ubc,dc->uad", U, SR.real, U)
    index = {tuple(t): u for u, t in enumerate(T.tolist())}
    no = offsets[-1]
    NT = len(T)
    Fsc = np.zeros((NT * no, NT * no))
    Ssc = np.zeros((NT * no, NT * no))
    for t in range(NT):
        for t2 in range(NT):
            d = T[t2] - T[t]
            f = d @ np.linalg.inv(M)
            d = np.rint((f - np.floor(f + 1e-9)) @ M).astype(int)
            u = index[tuple(d)]
            Fsc[t * no:(t + 1) * no, t2 * no:(t2 + 1) * no] = HR[u]
            Ssc[t * no:(t + 1) * no, t2 * no:(t2 + 1) * no] = SR[u]
    R, H, S = blocks_from_supercell(cell, pos, M, Fsc, Ssc, offsets)
    return R, H, S, bases, imag


def pyscf_overlap(cell, positions, numbers, source: str = "", **options) -> RealSpaceBlocks:
    """The overlap S_ij(R) of the crystal without self-consistency (the integrals on the k-mesh only): the same
    pairs, R and orbital basis as `pyscf_blocks` with the same options; H is zero."""
    t0 = time.perf_counter()
    c, opt, cell, pos, numbers, symbols = _build_cell(cell, positions, numbers, source, options)
    M = np.diag([int(opt["kmesh"])] * 3)
    kfrac = commensurate_kpoints(M)
    Sk = np.asarray(c.pbc_intor("int1e_ovlp", hermi=1, kpts=c.get_abs_kpts(kfrac)))
    R, _, S, bases, _ = _real_space(c, cell, pos, numbers, symbols, M, kfrac, np.zeros_like(Sk), Sk, source)
    blocks = RealSpaceBlocks(cell, pos, numbers, bases, R, np.zeros_like(S), S, cutoff=np.inf,
                             engine=f"pyscf-{opt['xc']}-{opt['basis']}")
    blocks.symmetrize()
    blocks.meta = {"supercell": M.tolist(), "kmesh": int(opt["kmesh"]), "overlap_only": True,
                   "inscribed_radius_A": float(heights(M @ cell).min() / 2), "seconds_total": time.perf_counter() - t0}
    return blocks


def pyscf_blocks(cell, positions, numbers, source: str = "", **options) -> tuple[RealSpaceBlocks, dict]:
    """Kohn-Sham blocks of the crystal (Angstrom) from a k-mesh calculation; info holds the timings, the gap on
    the mesh and the folded-band check against the mesh eigenvalues."""
    c, opt, cell, pos, numbers, symbols = _build_cell(cell, positions, numbers, source, options)
    _, dft = _import_pyscf()
    n_el = int(round(c.nelectron))
    if n_el % 2:
        raise HamiltonianError(source, f"{n_el} valence electrons: the closed-shell engine needs an even count")
    n = int(opt["kmesh"])
    M = np.diag([n, n, n])
    kfrac = commensurate_kpoints(M)
    kpts = c.get_abs_kpts(kfrac)
    t0 = time.perf_counter()
    mf = dft.KRKS(c, kpts)
    if opt["density_fit"]:
        mf = mf.density_fit()
    mf.xc = opt["xc"]
    mf.max_cycle = int(opt["max_cycle"])
    mf.conv_tol = float(opt["conv_tol"])
    if opt["smearing_eV"]:
        from pyscf.pbc.scf.addons import smearing_

        mf = smearing_(mf, sigma=float(opt["smearing_eV"]) / HARTREE, method="fermi")
    errors = []
    for guess in ("minao", "1e"):  # minao (and atom) have no guess for some MOLOPT semicore bases (Sc, ...)
        mf.init_guess = guess
        try:
            mf.kernel()
            break
        except Exception as exc:  # pyscf raises plain IndexError / RuntimeError / LinAlgError from deep inside
            errors.append(f"{guess} guess: {type(exc).__name__}: {exc}")
    else:
        raise HamiltonianError(source, "pyscf failed: " + "; ".join(errors))
    if not mf.converged:
        raise ConvergenceError(source, f"pyscf SCF did not converge in {opt['max_cycle']} cycles")
    t_engine = time.perf_counter() - t0
    Fk = np.asarray(mf.get_fock()) * HARTREE  # [nk, nao, nao]
    Sk = np.asarray(mf.get_ovlp())
    ek = np.asarray(mf.mo_energy) * HARTREE
    R, H, S, bases, imag = _real_space(c, cell, pos, numbers, symbols, M, kfrac, Fk, Sk, source)
    blocks = RealSpaceBlocks(cell, pos, numbers, bases, R, H, S, cutoff=np.inf, engine=f"pyscf-{opt['xc']}-{opt['basis']}")
    herm = blocks.hermiticity_error()
    blocks.symmetrize()
    e_all = np.sort(ek.ravel())
    n_occ = n_el // 2 * len(kfrac)
    homo, lumo = float(e_all[n_occ - 1]), float(e_all[n_occ])
    info = {"engine": blocks.engine, "seconds_engine": t_engine, "supercell": M.tolist(), "kmesh": n,
            "inscribed_radius_A": float(heights(M @ cell).min() / 2), "n_electrons": n_el, "homo_eV": homo,
            "lumo_eV": lumo, "gap_eV": lumo - homo, "imag_part_of_H_R_eV": imag,
            "hermiticity_before_averaging_eV": herm, "energy_Eh": float(mf.e_tot), "scf_cycles": int(getattr(mf, "cycles", -1)),
            "options": {k: opt[k] for k in ("basis", "pseudo", "xc", "kmesh", "ke_cutoff_Eh", "density_fit", "smearing_eV")}}
    info["folded_full"] = band_errors(blocks.eigenvalues(kfrac), e_all, homo)
    info["seconds_total"] = time.perf_counter() - t0
    blocks.meta = dict(info)
    return blocks, info


def _has_basis(symbol: str, opt) -> bool:
    from pyscf.pbc import gto

    try:
        gto.basis.load(opt["basis"], symbol)
        gto.pseudo.load(opt["pseudo"], symbol)
        return True
    except Exception:
        return False
