"""tblite GFN1-xTB through pgnn.hamiltonians: Hermiticity, folding, the sisl object, the orbital convention,
storage, and named errors for bad input."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from ham_crystals import rocksalt, tblite_or_skip
from pgnn.errors import CellTooLargeError, ConvergenceError, EngineNotInstalledError, HamiltonianError, UnsupportedElementError


def test_hermitian_and_folds_back(nacl_blocks):
    b, info = nacl_blocks
    assert b.hermiticity_error() < 1e-12
    assert info["fc_sce_residual_eV"] < 1e-8  # F C = S C e for F = S C diag(e) C^T S
    # folding H_ij(R) to the commensurate k-points reproduces the supercell's Gamma levels
    assert info["folded_full"]["max_meV"] < 0.1
    assert info["folded_full"]["n_levels"] > 10
    assert info["gap_eV"] > 1.0  # NaCl is an insulator in GFN1 too


def test_sisl_bands_equal_blocks(nacl_blocks):
    import sisl

    from pgnn.hamiltonians import eigenvalues, to_sisl
    from pgnn.hamiltonians.supercell import commensurate_kpoints

    b, info = nacl_blocks
    H = to_sisl(b)
    assert isinstance(H, sisl.Hamiltonian) and not H.orthogonal
    assert H.no == b.n_orb and H.geometry.na == 2
    assert np.allclose(H.geometry.xyz, b.positions) and np.allclose(H.geometry.cell, b.cell)
    assert H.geometry.atoms[1].orbitals[1].tag == "3p(x)"
    k = commensurate_kpoints(np.array(info["supercell"]))
    e = eigenvalues(H, k)
    assert np.abs(e - b.eigenvalues(k)).max() < 1e-9
    assert np.all(np.diff(e, axis=1) >= -1e-12)
    # sisl's own eigenvalue solver agrees
    assert np.abs(H.eigh(k=k[1]) - e[1]).max() < 1e-8


def test_tblite_orbital_order_is_standard_z(tmp_path):
    """tblite's p and d orbitals are the standard real harmonics (polar axis z): overlaps <H 1s | X l m> of a
    dimer along random directions are proportional to -+Y_lm(direction) in that convention."""
    tblite_or_skip()
    from tblite.interface import Calculator

    from pgnn.groups.harmonics import real_sh

    rng = np.random.default_rng(1)
    dirs = rng.normal(size=(12, 3))
    dirs /= np.linalg.norm(dirs, axis=1)[:, None]
    for z, first in [(16, {1: 3, 2: 6})]:  # S: 3s 3p 3d
        rows = []
        for d in dirs:
            calc = Calculator("GFN1-xTB", np.array([1, z]), np.array([[0, 0, 0], 2.0 * d]) / 0.529177210903)
            calc.set("verbosity", 0)
            calc.set("save-integrals", 1)
            rows.append(calc.singlepoint().get("overlap-matrix")[0])
        rows = np.array(rows)
        for l, o in first.items():
            y = real_sh(l, dirs, "z")
            x = rows[:, o:o + 2 * l + 1]
            c = (x * y).sum() / (y * y).sum()
            assert np.abs(x - c * y).max() < 1e-10 and (c < 0) == (l % 2 == 1)


def test_store_roundtrip_half(nacl_blocks, tmp_path):
    from pgnn.hamiltonians.store import load_blocks, save_blocks

    b, _ = nacl_blocks
    save_blocks(tmp_path / "x.npz", b, dtype=np.float64)
    c = load_blocks(tmp_path / "x.npz")
    for r, R in enumerate(b.R):
        r2 = c.r_index(R)
        assert np.array_equal(c.H[r2], b.H[r]) and np.array_equal(c.S[r2], b.S[r])
    with np.load(tmp_path / "x.npz", allow_pickle=False) as z:
        assert len(z["pair_i"]) < 0.6 * len(b.pairs()[0])  # only the Hermitian half is stored
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(HamiltonianError, match="bad.npz"):
        load_blocks(tmp_path / "bad.npz")


def test_unsupported_element_named_before_running():
    from pymatgen.core import Lattice, Structure

    from pgnn.hamiltonians import compute

    s = Structure(Lattice.cubic(3.0), ["U", "O"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    with pytest.raises(UnsupportedElementError, match="U"):
        compute(s, source="UO.cif")


def test_cell_too_large():
    from pgnn.hamiltonians import compute

    with pytest.raises(CellTooLargeError, match="max_atoms"):
        compute(rocksalt(5.64, "Na", "Cl"), radius=8.0, max_atoms=20, shrink=False, source="NaCl.cif")


def test_non_convergence():
    tblite_or_skip()
    from pgnn.hamiltonians import compute

    with pytest.raises(ConvergenceError, match="converge"):
        compute(rocksalt(5.64, "Na", "Cl"), radius=3.0, max_atoms=32, max_iter=2, source="NaCl.cif")


def test_engine_not_installed(monkeypatch):
    from pgnn.hamiltonians import compute

    monkeypatch.setitem(sys.modules, "tblite", None)
    monkeypatch.setitem(sys.modules, "tblite.interface", None)
    with pytest.raises(EngineNotInstalledError, match="pip install tblite"):
        compute(rocksalt(5.64, "Na", "Cl"), radius=3.0, max_atoms=32)


def test_unknown_option_and_engine():
    from pgnn.hamiltonians import compute

    with pytest.raises(HamiltonianError, match="valid"):
        compute(rocksalt(5.64, "Na", "Cl"), radiuss=3.0)
    with pytest.raises(HamiltonianError, match="unknown engine"):
        compute(rocksalt(5.64, "Na", "Cl"), engine="vasp")
