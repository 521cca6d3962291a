"""Wannier90 _hr.dat + .win + _centres.xyz read through sisl: a nearest-neighbour s band on a cubic lattice."""

from __future__ import annotations

import numpy as np
import pytest

from pgnn.errors import HamiltonianError

pytest.importorskip("sisl", reason="sisl is not installed (pip install sisl)")


def _write_model(folder, a=3.0, e0=0.5, t=-1.2, t2=0.3):
    """Two orbitals (s at the origin, s at the body centre), hoppings t (within/between the two) and t2."""
    (folder / "cub.win").write_text(
        "num_wann = 2\nbegin unit_cell_cart\nang\n"
        f"{a} 0 0\n0 {a} 0\n0 0 {a}\nend unit_cell_cart\n"
        "begin atoms_frac\nH 0 0 0\nH 0.5 0.5 0.5\nend atoms_frac\n")
    (folder / "cub_centres.xyz").write_text(
        f"4\nWannier centres\nX 0 0 0\nX {a / 2} {a / 2} {a / 2}\nH 0 0 0\nH {a / 2} {a / 2} {a / 2}\n")
    terms = {}
    for R in np.ndindex(3, 3, 3):
        R = tuple(np.array(R) - 1)
        for m in range(2):
            for n in range(2):
                terms[(R, m, n)] = 0.0
    for m in range(2):
        terms[((0, 0, 0), m, m)] = e0 + m
        for ax in range(3):
            for s in (1, -1):
                R = [0, 0, 0]
                R[ax] = s
                terms[(tuple(R), m, m)] = t2
    # orbital 1 (body centre) couples to orbital 0 in the 8 cells R in {0, 1}^3 (m=0 home, n=1 in -R..)
    for R in np.ndindex(2, 2, 2):
        R = tuple(-np.array(R))
        terms[(R, 0, 1)] = t
        terms[(tuple(-x for x in R), 1, 0)] = t
    Rs = sorted({k[0] for k in terms})
    lines = ["written by a pgnn test", "2", str(len(Rs))]
    deg = ["1"] * len(Rs)
    for i in range(0, len(deg), 15):
        lines.append(" ".join(deg[i:i + 15]))
    for R in Rs:
        for n in range(2):
            for m in range(2):
                lines.append(f"{R[0]} {R[1]} {R[2]} {m + 1} {n + 1} {terms[(R, m, n)]:.6f} 0.000000")
    (folder / "cub_hr.dat").write_text("\n".join(lines) + "\n")
    return e0, t, t2


def test_read_wannier90_bands(tmp_path):
    from pgnn.hamiltonians import eigenvalues, read_wannier90

    e0, t, t2 = _write_model(tmp_path)
    H = read_wannier90(tmp_path / "cub.win")
    assert H.orthogonal and H.no == 2
    rng = np.random.default_rng(0)
    k = rng.random((6, 3))
    c = 2 * np.pi * k
    diag = 2 * t2 * np.cos(c).sum(1)
    off = t * np.prod(1 + np.exp(-1j * c), axis=1)  # sum over R in {0,-1}^3 of e^{2 pi i k.R}
    h = np.zeros((len(k), 2, 2), complex)
    h[:, 0, 0], h[:, 1, 1] = e0 + diag, e0 + 1 + diag
    h[:, 0, 1], h[:, 1, 0] = off, off.conj()
    ref = np.linalg.eigvalsh(h)
    assert np.abs(eigenvalues(H, k) - ref).max() < 1e-9
    assert np.allclose(H.geometry.xyz[1], [1.5, 1.5, 1.5])


def test_missing_hr_file(tmp_path):
    from pgnn.hamiltonians import read_wannier90

    (tmp_path / "x.win").write_text("num_wann = 1\n")
    with pytest.raises(HamiltonianError, match="x_hr.dat"):
        read_wannier90(tmp_path / "x.win")
