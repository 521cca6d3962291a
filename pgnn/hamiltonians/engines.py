"""Engines by name: each turns (cell, positions, numbers) into `RealSpaceBlocks` and an info dict."""

from __future__ import annotations

from pgnn.errors import HamiltonianError

__all__ = ["ENGINES", "run_engine", "check_options"]

ENGINES = ("tblite", "pyscf")


def check_options(engine: str, options: dict) -> None:
    """Refuse unknown engine options before any crystal is computed, naming the valid ones."""
    from pgnn.errors import ConfigError

    if engine in ("tblite", "gfn1", "GFN1-xTB"):
        from pgnn.hamiltonians.tblite_engine import DEFAULTS
    elif engine == "pyscf":
        from pgnn.hamiltonians.pyscf_engine import DEFAULTS
    else:
        raise ConfigError(f"--engine {engine!r}: valid engines are {', '.join(ENGINES)}")
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        raise ConfigError(f"--option {', '.join(unknown)}: unknown {engine} option; valid: {', '.join(sorted(DEFAULTS))}")


def run_engine(engine: str, cell, positions, numbers, source: str = "", **options):
    if engine in ("tblite", "gfn1", "GFN1-xTB"):
        from pgnn.hamiltonians.tblite_engine import tblite_blocks

        return tblite_blocks(cell, positions, numbers, source=source, **options)
    if engine == "pyscf":
        from pgnn.hamiltonians.pyscf_engine import pyscf_blocks

        return pyscf_blocks(cell, positions, numbers, source=source, **options)
    raise HamiltonianError(source, f"unknown engine {engine!r}; valid: {', '.join(ENGINES)}")
