"""Hamiltonians users already have, read through sisl: Wannier90 ``seed_hr.dat`` with its ``seed.win``
(unit_cell_cart) and ``seed_centres.xyz`` (the Wannier centres). The result is an orthogonal `sisl.Hamiltonian` in
eV whose "atoms" are the Wannier centres, so `pgnn.hamiltonians.eigenvalues` and the band path work on it."""

from __future__ import annotations

from pathlib import Path

from pgnn.errors import EngineNotInstalledError, HamiltonianError

__all__ = ["read_wannier90"]


def read_wannier90(seed):
    """``seed`` is the path of ``seed.win`` (or the seed without the suffix)."""
    try:
        import sisl
    except ImportError:
        raise EngineNotInstalledError(str(seed), "reading Wannier90 files needs sisl (pip install sisl)") from None
    win = Path(seed)
    if win.suffix != ".win":
        win = win.with_name(win.name + ".win")
    base = win.with_suffix("")
    for p in (win, Path(f"{base}_hr.dat")):
        if not p.exists():
            raise HamiltonianError(str(p), "file not found (Wannier90 needs seed.win and seed_hr.dat)")
    try:
        sile = sisl.get_sile(str(win))
        H = sile.read_hamiltonian()
    except Exception as exc:  # sisl raises ValueError / IndexError / KeyError on malformed files
        raise HamiltonianError(str(win), f"sisl could not read the Wannier90 Hamiltonian: {exc}") from None
    return H
