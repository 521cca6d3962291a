"""Exceptions raised by pgnn. Every error about user input names the entry (file or record id) and the reason."""

from __future__ import annotations


class PgnnError(Exception):
    """Base class of every error pgnn raises on purpose."""


class DomainWarning(UserWarning):
    """An input a model can run on but was not made for: a structure with a vacuum gap (slab, wire, molecule in a
    box), or a crystal outside the point groups the model was trained on. `strict=True` / `--strict` refuse it."""


class StructureError(PgnnError):
    """A structure that cannot be used: unreadable, atoms too close, no neighbours, non-finite numbers, ...

    Attributes:
        source: the file path or record id the structure came from.
        reason: a short human-readable reason.
    """

    def __init__(self, source: str, reason: str):
        self.source = str(source)
        self.reason = reason
        super().__init__(f"{self.source}: {reason}")


class TargetError(PgnnError):
    """A target value that cannot be used (missing, non-finite, non-positive before a log10, wrong shape)."""

    def __init__(self, source: str, reason: str):
        self.source = str(source)
        self.reason = reason
        super().__init__(f"{self.source}: {reason}")


class SymmetryError(PgnnError):
    """A structure whose symmetry does not fit what a model needs (e.g. not a subgroup of the model's point group)."""

    def __init__(self, source: str, reason: str):
        self.source = str(source)
        self.reason = reason
        super().__init__(f"{self.source}: {reason}")


class ConfigError(PgnnError):
    """An invalid run configuration: unknown key, wrong type, value out of range, missing value.

    Attributes:
        key: dotted path of the offending entry (e.g. "training.losss"), or None.
        valid: the names accepted there (for an unknown key), else an empty list.
    """

    def __init__(self, message: str, key: str | None = None, valid=()):
        self.key = key
        self.valid = list(valid)
        super().__init__(message)


class HamiltonianError(PgnnError):
    """A crystal whose Hamiltonian cannot be computed or read; `source` names the entry, `reason` says why."""

    def __init__(self, source: str, reason: str):
        self.source = str(source)
        self.reason = reason
        super().__init__(f"{self.source}: {reason}")


class UnsupportedElementError(HamiltonianError):
    """An element the chosen Hamiltonian engine has no parameters (or basis) for."""


class CellTooLargeError(HamiltonianError):
    """A cell (or the supercell an engine needs) above the engine's size limit."""


class ConvergenceError(HamiltonianError):
    """A self-consistent field that did not converge."""


class EngineNotInstalledError(HamiltonianError):
    """A Hamiltonian engine whose Python package is not installed; the reason gives the install line."""
