"""Crystal Hamiltonians as data: engines (tblite GFN1-xTB, PySCF DFT), readers (Wannier90 through sisl), the
real-space block type `RealSpaceBlocks` (H_ij(R), S_ij(R) in e3nn-ordered orbitals), H(k)/S(k), eigenvalues and
band paths. The public object is `sisl.Hamiltonian` (non-orthogonal, eV, geometry = the input cell).

    H = pgnn.hamiltonians.compute(structure, engine="tblite")     # sisl.Hamiltonian
    pgnn.hamiltonians.eigenvalues(H, [[0, 0, 0], [0.5, 0, 0]])     # [nk, n_orb] eV, sorted
"""

from __future__ import annotations

from pgnn.hamiltonians.basis import OrbitalBasis, Shell, to_e3nn
from pgnn.hamiltonians.blocks import RealSpaceBlocks, to_sisl
from pgnn.hamiltonians.kspace import band_path, bands, eigenvalues, hk_sk

__all__ = ["compute", "compute_blocks", "overlap_blocks", "eigenvalues", "hk_sk", "band_path", "bands", "RealSpaceBlocks",
           "OrbitalBasis", "Shell", "to_e3nn", "to_sisl", "read_wannier90"]


def compute_blocks(structure, engine: str = "tblite", source: str = "", **options):
    """(RealSpaceBlocks, info) of a pymatgen Structure (or ASE Atoms) with the named engine."""
    from pgnn.hamiltonians.engines import run_engine

    if hasattr(structure, "get_cell"):  # ASE Atoms
        cell, pos, z = structure.get_cell()[:], structure.get_positions(), structure.get_atomic_numbers()
    else:
        cell, pos, z = structure.lattice.matrix, structure.cart_coords, structure.atomic_numbers
    return run_engine(engine, cell, pos, z, source=source or str(getattr(structure, "formula", "structure")), **options)


def _arrays(structure):
    if hasattr(structure, "get_cell"):  # ASE Atoms
        return structure.get_cell()[:], structure.get_positions(), structure.get_atomic_numbers()
    return structure.lattice.matrix, structure.cart_coords, structure.atomic_numbers


def overlap_blocks(structure, engine: str = "tblite", source: str = "", **options) -> RealSpaceBlocks:
    """RealSpaceBlocks with the engine's overlap S filled and H zero, without self-consistency: the same pairs, R,
    cutoff and orbital basis as ``compute_blocks(structure, engine, **options)`` (what a model needs to predict H
    of a crystal no engine has run on). Engines: "tblite", "pyscf"."""
    from pgnn.errors import HamiltonianError

    src = source or str(getattr(structure, "formula", "structure"))
    cell, pos, z = _arrays(structure)
    if engine in ("tblite", "gfn1", "GFN1-xTB"):
        from pgnn.hamiltonians.tblite_engine import tblite_overlap

        return tblite_overlap(cell, pos, z, source=src, **options)
    if engine == "pyscf":
        from pgnn.hamiltonians.pyscf_engine import pyscf_overlap

        return pyscf_overlap(cell, pos, z, source=src, **options)
    raise HamiltonianError(src, f"overlap_blocks supports the engines 'tblite' and 'pyscf', not {engine!r}")


def compute(structure, engine: str = "tblite", source: str = "", **options):
    """The `sisl.Hamiltonian` of the structure from the named engine ("tblite" or "pyscf"), see compute_blocks."""
    blocks, _ = compute_blocks(structure, engine, source, **options)
    return blocks.to_sisl()


def read_wannier90(seed):
    """A Wannier90 model (``seed.win`` with ``seed_hr.dat`` and ``seed_centres.xyz``) as an orthogonal
    `sisl.Hamiltonian` (eV), read by sisl."""
    from pgnn.hamiltonians.wannier import read_wannier90 as _read

    return _read(seed)
