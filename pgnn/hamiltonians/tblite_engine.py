"""GFN1-xTB Hamiltonians from tblite (Gamma-only, so run on a supercell and map blocks back to H_ij(R)).

The self-consistent Hamiltonian is F = S C diag(e) C^T S from the orbital coefficients and energies of the
converged supercell (tblite's saved "hamiltonian-matrix" is the core H0 only). tblite orbitals are the standard
real harmonics with polar axis z (p = y, z, x; d = xy, yz, 3z^2-r^2, xz, x^2-y^2, all positive), rotated here into
e3nn's order (`pgnn.hamiltonians.basis`).
"""

from __future__ import annotations

import time

import numpy as np

from pgnn.errors import CellTooLargeError, ConvergenceError, EngineNotInstalledError, HamiltonianError, UnsupportedElementError
from pgnn.hamiltonians.basis import OrbitalBasis, Shell, basis_transform
from pgnn.hamiltonians.blocks import RealSpaceBlocks
from pgnn.hamiltonians.checks import band_errors
from pgnn.hamiltonians.supercell import blocks_from_supercell, heights, choose_supercell, commensurate_kpoints, lattice_points

__all__ = ["tblite_blocks", "tblite_overlap", "DEFAULTS", "MAX_Z"]

BOHR = 1.0 / 0.529177210903  # bohr per Angstrom
HARTREE = 27.211386245988  # eV
MAX_Z = 86  # GFN1-xTB has parameters for H..Rn
DEFAULTS = {"cutoff": None, "radius": 6.0, "max_atoms": 128, "shrink": True, "method": "GFN1-xTB", "accuracy": 1.0, "max_iter": 250,
            "temperature_K": 300.0}
INSTALL = "pip install tblite"


def _import_tblite():
    try:
        from tblite.interface import Calculator
    except ImportError as exc:
        raise EngineNotInstalledError("tblite", f"the tblite engine needs the tblite package ({INSTALL}): {exc}") from None
    return Calculator


def _period(z: int) -> int:
    return int(np.searchsorted([2, 10, 18, 36, 54, 86, 118], z) + 1)


def _is_d_block(z: int) -> bool:
    return 21 <= z <= 30 or 39 <= z <= 48 or 57 <= z <= 80


def _shells(z: int, ls) -> tuple[Shell, ...]:
    """Name tblite's shells of element z: valence n = period; d of transition metals n = period - 1;
    a second shell of the same l (H 2s polarization) gets n + 1."""
    seen: dict[int, int] = {}
    out = []
    for l in ls:
        n = _period(z) - (1 if (l == 2 and _is_d_block(z)) else 0)
        n += seen.get(l, 0)
        seen[l] = seen.get(l, 0) + 1
        out.append(Shell(n, int(l)))
    return tuple(out)


def check_input(numbers, n_supercell_atoms: int, max_atoms: int, source: str) -> None:
    from pymatgen.core.periodic_table import Element

    bad = sorted({int(z) for z in numbers if int(z) > MAX_Z or int(z) < 1})
    if bad:
        names = ", ".join(Element.from_Z(z).symbol for z in bad)
        raise UnsupportedElementError(source, f"GFN1-xTB (tblite) has no parameters for {names} (Z <= {MAX_Z} only)")
    if n_supercell_atoms > max_atoms:
        raise CellTooLargeError(
            source, f"the tblite supercell needs {n_supercell_atoms} atoms, above max_atoms={max_atoms} "
            f"(a cell of {len(numbers)} atoms; lower the cutoff or raise max_atoms)")


def _setup(cell, positions, numbers, source: str, options: dict):
    """Validated options and arrays, the supercell M, its lattice points T and its inscribed radius (Angstrom)."""
    unknown = set(options) - set(DEFAULTS)
    if unknown:
        raise HamiltonianError(source, f"unknown tblite option(s) {sorted(unknown)}; valid: {sorted(DEFAULTS)}")
    opt = {**DEFAULTS, **options}
    cell = np.asarray(cell, dtype=float)
    pos = np.asarray(positions, dtype=float)
    numbers = np.asarray(numbers, dtype=int)
    if not (np.isfinite(cell).all() and np.isfinite(pos).all()):
        raise HamiltonianError(source, "non-finite cell or positions")
    radius = float(opt["radius"])
    M = choose_supercell(cell, pos, numbers, radius)
    while opt["shrink"] and abs(round(np.linalg.det(M))) * len(numbers) > opt["max_atoms"] and radius > 2.0:
        radius -= 0.25
        M = choose_supercell(cell, pos, numbers, radius)
    T = lattice_points(M)
    check_input(numbers, len(T) * len(numbers), opt["max_atoms"], source)
    r_in = float(heights(M @ cell).min() / 2)
    return opt, cell, pos, numbers, M, T, r_in


def _singlepoint(method, cell, pos, numbers, M, T, opt, source: str, overlap_only: bool = False):
    """(calculator, result) of the supercell. ``overlap_only``: no SCF (max-iter 0, tblite's "not converged" is
    expected and ignored); only the result's overlap matrix is meaningful then."""
    Calculator = _import_tblite()
    from tblite.exceptions import TBLiteRuntimeError, TBLiteValueError
    from tblite.interface import Result

    sc_pos = (T @ cell)[:, None, :] + pos[None, :, :]
    sc_num = np.tile(numbers, len(T))
    res = Result()
    try:
        calc = Calculator(_integrals_only(method) if overlap_only else method, sc_num, sc_pos.reshape(-1, 3) * BOHR, lattice=(M @ cell) * BOHR,
                          periodic=np.array([True, True, True]))
        calc.set("verbosity", 0)
        calc.set("save-integrals", 1)
        calc.set("accuracy", float(opt["accuracy"]))
        calc.set("max-iter", 0 if overlap_only else int(opt["max_iter"]))
        calc.set("temperature", float(opt["temperature_K"]) * 3.166811563e-6)
        calc.singlepoint(res)
    except (TBLiteRuntimeError, TBLiteValueError, RuntimeError) as exc:
        msg = str(exc)
        if overlap_only and "not converged" in msg:
            return calc, res
        if "conver" in msg.lower():
            raise ConvergenceError(source, f"tblite SCF did not converge in {opt['max_iter']} iterations: {msg.strip()}") from None
        if "sygvd" in msg:  # the generalized eigensolver's Cholesky step: S is not positive definite
            raise HamiltonianError(source, f"tblite failed: the overlap matrix is not positive definite (GFN1's diffuse "
                                           f"basis is linearly dependent in this crystal): {msg.strip()}") from None
        raise HamiltonianError(source, f"tblite failed: {msg.strip()}") from None
    return calc, res


_PARAMS: dict = {}


def _integrals_only(method: str):
    """tblite's parametrization of ``method`` without dispersion, repulsion, halogen and charge terms: the same
    basis, hence the same overlap, and none of the lattice sums those terms need."""
    if method not in _PARAMS:
        from tblite import library

        export = {"GFN1-xTB": library.export_gfn1_param, "GFN2-xTB": library.export_gfn2_param,
                  "IPEA1-xTB": library.export_ipea1_param}.get(method)
        if export is None:
            return method
        param = library.new_param()
        export(param)
        table = library.new_table()
        library.dump_param(param, table)
        full = library.table_to_dict(table)
        _PARAMS[method] = {k: v for k, v in full.items() if k in ("meta", "hamiltonian", "element")}
    return _PARAMS[method]


def _bases(calc, numbers, n_cells: int):
    """({Z: OrbitalBasis}, orbital offsets [N + 1] of one cell, U: tblite -> e3nn orbital order of the supercell)."""
    from pymatgen.core.periodic_table import Element

    am = np.asarray(calc.get("angular-momenta"))
    shell_atom = np.asarray(calc.get("shell-map"))
    bases: dict[int, OrbitalBasis] = {}
    for a, z in enumerate(numbers):
        if int(z) not in bases:
            ls = am[shell_atom == a]
            bases[int(z)] = OrbitalBasis(Element.from_Z(int(z)).symbol, _shells(int(z), ls))
    n_per_atom = [bases[int(z)].n_orb for z in numbers]
    offsets = np.concatenate([[0], np.cumsum(n_per_atom)]).astype(int)
    U1 = np.zeros((offsets[-1], offsets[-1]))
    for a, z in enumerate(numbers):
        U1[offsets[a]:offsets[a + 1], offsets[a]:offsets[a + 1]] = basis_transform(bases[int(z)].ls, "z")
    return bases, offsets, np.kron(np.eye(n_cells), U1)


def tblite_overlap(cell, positions, numbers, source: str = "", **options) -> RealSpaceBlocks:
    """The overlap S_ij(R) of the crystal without self-consistency: the same supercell, minimum-image pairs, R,
    cutoff and orbital basis as `tblite_blocks` with the same options; H is zero. tblite evaluates the integrals
    inside its single point, so this runs it with zero SCF iterations and skips the Fock matrix and the checks."""
    t0 = time.perf_counter()
    opt, cell, pos, numbers, M, T, r_in = _setup(cell, positions, numbers, source, options)
    calc, res = _singlepoint(opt["method"], cell, pos, numbers, M, T, opt, source, overlap_only=True)
    try:
        S = np.asarray(res.get("overlap-matrix"))
    except Exception as exc:  # tblite stopped before the integrals
        raise HamiltonianError(source, f"tblite gave no overlap matrix: {exc}") from None
    bases, offsets, U = _bases(calc, numbers, len(T))
    Se = U @ S @ U.T
    R, SR, _ = blocks_from_supercell(cell, pos, M, Se, Se, offsets)
    blocks = RealSpaceBlocks(cell, pos, numbers, bases, R, np.zeros_like(SR), SR, cutoff=np.inf, engine=opt["method"])
    blocks.symmetrize()
    if opt["cutoff"] is not None:
        blocks = blocks.truncated(float(opt["cutoff"]))
    blocks.meta = {"supercell": M.tolist(), "n_supercell_atoms": int(len(T) * len(numbers)), "inscribed_radius_A": r_in,
                   "overlap_only": True, "seconds_total": time.perf_counter() - t0}
    return blocks


def tblite_blocks(cell, positions, numbers, source: str = "", **options) -> tuple[RealSpaceBlocks, dict]:
    """Self-consistent GFN1-xTB blocks of the crystal (cell rows and Cartesian positions in Angstrom).

    Options (DEFAULTS): radius (Angstrom: the supercell's inscribed sphere is at least this, so every pair closer
    than it is its own unique minimum image), max_atoms (supercell size limit; with shrink=True the radius is lowered
    in 0.25 A steps until the supercell fits, else CellTooLargeError), cutoff (None: store every minimum image of
    the supercell, which folds back exactly; a number: drop pairs farther apart), method, accuracy, max_iter,
    temperature_K.
    Returns (blocks within the cutoff, info) where info holds timings, the supercell, the band gap on the
    commensurate k-mesh and the folded-band check (meV) of the full minimum-image set and of the stored blocks.
    Fields: fc_sce_residual_eV = max|F C - S C e|; translation_spread_eV = how far the supercell's F is from
    translation invariance before averaging; hermiticity_before_averaging_eV = max|H_ji(-R) - H_ij(R)^T| of the
    averaged blocks before the explicit symmetrization; folded_* = `band_errors` of the folded blocks against
    the supercell's levels (nonzero when the SCF broke translation symmetry, or from truncation)."""
    opt, cell, pos, numbers, M, T, r_in = _setup(cell, positions, numbers, source, options)
    sc_num = np.tile(numbers, len(T))
    t0 = time.perf_counter()
    calc, res = _singlepoint(opt["method"], cell, pos, numbers, M, T, opt, source)
    t_engine = time.perf_counter() - t0
    e = np.asarray(res.get("orbital-energies")) * HARTREE
    C = np.asarray(res.get("orbital-coefficients"))
    S = np.asarray(res.get("overlap-matrix"))
    occ = np.asarray(res.get("orbital-occupations"))
    F = S @ (C * e[None, :]) @ C.T @ S
    resid = float(np.abs(F @ C - S @ C * e[None, :]).max())
    # orbital layout of one cell (tblite orders orbitals atom by atom, shell by shell)
    bases, offsets, U = _bases(calc, numbers, len(T))
    Fe, Se = U @ F @ U.T, U @ S @ U.T
    t1 = time.perf_counter()
    stats: dict = {}
    R, HR, SR = blocks_from_supercell(cell, pos, M, Fe, Se, offsets, stats=stats)
    full = RealSpaceBlocks(cell, pos, numbers, bases, R, HR, SR, cutoff=np.inf, engine=opt["method"])
    herm_raw = full.hermiticity_error()
    full.symmetrize()
    if opt["cutoff"] is None:  # every minimum image of the supercell: folds back exactly
        stored = full
    else:
        stored = full.truncated(float(opt["cutoff"]))
    t_extract = time.perf_counter() - t1
    # checks on the commensurate k-mesh
    n_el = float(occ.sum())
    n_occ = int(round(n_el / 2))
    homo = float(np.sort(e)[n_occ - 1])
    lumo = float(np.sort(e)[n_occ]) if n_occ < len(e) else float("nan")
    k = commensurate_kpoints(M)
    info = {
        "engine": opt["method"], "seconds_engine": t_engine, "seconds_extract": time.perf_counter() - t1,
        "supercell": M.tolist(), "n_supercell_atoms": int(len(sc_num)), "inscribed_radius_A": r_in,
        "cutoff_A": None if opt["cutoff"] is None else float(opt["cutoff"]),
        "n_electrons": n_el, "homo_eV": homo, "lumo_eV": lumo, "gap_eV": lumo - homo,
        "fc_sce_residual_eV": resid, "hermiticity_before_averaging_eV": herm_raw,
        "translation_spread_eV": stats["translation_spread"],
        "energy_Eh": float(res.get("energy")),
    }
    info["folded_full"] = band_errors(full.eigenvalues(k), e, homo)
    try:
        info["folded_stored"] = band_errors(stored.eigenvalues(k), e, homo)
    except np.linalg.LinAlgError:
        info["folded_stored"] = {"error": "S(k) of the truncated blocks is not positive definite"}
    info["seconds_total"] = time.perf_counter() - t0
    stored.meta = {k_: v for k_, v in info.items()}
    return stored, info
