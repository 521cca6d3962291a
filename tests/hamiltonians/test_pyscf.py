"""PySCF periodic DFT through pgnn.hamiltonians on a tiny crystal (an H2 molecular crystal): Hermiticity,
folded bands = the k-mesh's Kohn-Sham levels, the sisl object; named errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from pgnn.errors import EngineNotInstalledError, UnsupportedElementError


def h2_crystal() -> Structure:
    return Structure(Lattice.cubic(3.0), ["H", "H"], [[0, 0, 0], [0.25, 0, 0]])


@pytest.mark.slow
def test_pyscf_tiny_crystal():
    pytest.importorskip("pyscf", reason="the DFT engine needs pyscf: pip install 'pgnn[dft]'")
    from pgnn.hamiltonians import compute_blocks, eigenvalues, to_sisl
    from pgnn.hamiltonians.supercell import commensurate_kpoints

    b, info = compute_blocks(h2_crystal(), engine="pyscf", kmesh=2, basis="gth-szv", ke_cutoff_Eh=40.0)
    assert b.hermiticity_error() < 1e-12
    assert info["imag_part_of_H_R_eV"] < 1e-8  # the 2x2x2 mesh is time-reversal symmetric: H(R) is real
    assert info["folded_full"]["max_meV"] < 1e-3  # H(R) folded back = the mesh's Kohn-Sham levels
    assert 5 < info["gap_eV"] < 20
    k = commensurate_kpoints(np.array(info["supercell"]))
    H = to_sisl(b)
    assert np.abs(eigenvalues(H, k) - b.eigenvalues(k)).max() < 1e-9
    # the overlap alone (no SCF), as a model's predictor takes it: the same pairs, R and basis, the same S
    from pgnn.hamiltonians import overlap_blocks

    ov = overlap_blocks(h2_crystal(), engine="pyscf", kmesh=2, basis="gth-szv", ke_cutoff_Eh=40.0)
    assert ov.bases == b.bases and np.array_equal(ov.R, b.R)
    assert np.abs(ov.S - b.S).max() < 1e-10 and not ov.H.any()  # the SCF object sums lattice images to 3e-12


def test_pyscf_not_installed(monkeypatch):
    from pgnn.hamiltonians import compute

    for m in ("pyscf", "pyscf.pbc"):
        monkeypatch.setitem(sys.modules, m, None)
    with pytest.raises(EngineNotInstalledError, match=r"pgnn\[dft\]"):
        compute(h2_crystal(), engine="pyscf")


def test_pyscf_element_without_basis():
    pytest.importorskip("pyscf", reason="the DFT engine needs pyscf: pip install 'pgnn[dft]'")
    from pgnn.hamiltonians import compute

    s = Structure(Lattice.cubic(4.8), ["Y", "N"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    with pytest.raises(UnsupportedElementError, match="Y"):
        compute(s, engine="pyscf", basis="gth-szv", source="YN.cif")
