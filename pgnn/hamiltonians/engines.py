"""Engines by name: each turns (cell, positions, numbers) into `RealSpaceBlocks` and an info dict."""

from __future__ import annotations

from pgnn.errors import HamiltonianError

__all__ = ["ENGINES", "run_engine"]

ENGINES = ("tblite", "pyscf")


def run_engine(engine: str, cell, positions, numbers, source: str = "", **options):
    if engine in ("tblite", "gfn1", "GFN1-xTB"):
        from pgnn.hamiltonians.tblite_engine import tblite_blocks

        return tblite_blocks(cell, positions, numbers, source=source, **options)
    if engine == "pyscf":
        from pgnn.hamiltonians.pyscf_engine import pyscf_blocks

        return pyscf_blocks(cell, positions, numbers, source=source, **options)
    raise HamiltonianError(source, f"unknown engine {engine!r}; valid: {', '.join(ENGINES)}")
