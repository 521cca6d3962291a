"""Training targets: which record field, which transform, which kind (scalar or tensor), which unit.

The same `TargetSpec` derives the training value from a record in `pgnn fit` and in `pgnn evaluate`.
Kinds and transforms are small tables (`KINDS`, `TRANSFORMS`); tensor kinds are added with `register_kind`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np
import torch

from pgnn.errors import ConfigError, TargetError


@dataclass(frozen=True)
class TargetKind:
    """How a kind of target is read, normalized and scored.

    name: "scalar", "dielectric", ...
    parse: (raw field value, spec, source) -> float64 array of the stored shape (raises TargetError).
        Scalars are stored with shape [] (graph field [1]); tensors as full Cartesian [3, ..., 3].
    center: subtract the training mean before scaling (scalars) or only divide by a scale (tensors,
        which keeps a rotated tensor a rotated tensor).
    components: torch [B, ...] -> [B, k] the numbers the MAE averages over (Voigt components for tensors).
    """

    name: str
    parse: Callable[[object, "TargetSpec", str], np.ndarray]
    center: bool
    components: Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class TargetSpec:
    """A training target.

    name: the key of predictions and metrics (e.g. "log10_K_VRH").
    field: the record field it comes from (e.g. "K_VRH_GPa").
    transform: "none" | "log10", applied to the field value.
    kind: a key of `KINDS` ("scalar", or a tensor kind).
    unit: unit of the derived value (e.g. "log10(GPa)").
    """

    name: str
    field: str
    transform: str = "none"
    kind: str = "scalar"
    unit: str = ""

    def derive(self, fields: dict, source: str = "") -> np.ndarray:
        """Training value of this target from a record's raw fields; raises TargetError naming `source`."""
        where = source or "?"
        if self.kind not in KINDS:
            raise ConfigError(f"target {self.name}: unknown kind {self.kind!r}; known: {', '.join(KINDS)}")
        if self.transform not in TRANSFORMS:
            raise ConfigError(
                f"target {self.name}: unknown transform {self.transform!r}; known: {', '.join(TRANSFORMS)}")
        value = fields.get(self.field)
        if value is None:
            raise TargetError(where, f"missing field {self.field!r} for target {self.name}")
        arr = KINDS[self.kind].parse(value, self, where)
        if not np.all(np.isfinite(arr)):
            raise TargetError(where, f"non-finite {self.field} for target {self.name}")
        return TRANSFORMS[self.transform](arr, self, where)

    def to_dict(self) -> dict:
        return asdict(self)


def _parse_scalar(value, spec: TargetSpec, where: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TargetError(where, f"{spec.field} is not a number: {value!r}") from None
    if arr.shape != ():
        raise TargetError(where, f"{spec.field} should be a scalar, got shape {list(arr.shape)}")
    return arr


def _log10(arr: np.ndarray, spec: TargetSpec, where: str) -> np.ndarray:
    if np.any(arr <= 0):
        raise TargetError(where, f"{spec.field} = {float(np.min(arr)):g} <= 0, no log10 for target {spec.name}")
    return np.log10(arr)


KINDS: dict[str, TargetKind] = {
    "scalar": TargetKind("scalar", _parse_scalar, center=True, components=lambda t: t.reshape(t.shape[0], -1)),
}

TRANSFORMS: dict[str, Callable[[np.ndarray, TargetSpec, str], np.ndarray]] = {
    "none": lambda arr, spec, where: arr,
    "log10": _log10,
}

TARGETS: dict[str, TargetSpec] = {
    t.name: t
    for t in [
        TargetSpec("log10_K_VRH", "K_VRH_GPa", "log10", "scalar", "log10(GPa)"),
        TargetSpec("log10_G_VRH", "G_VRH_GPa", "log10", "scalar", "log10(GPa)"),
        TargetSpec("K_VRH", "K_VRH_GPa", "none", "scalar", "GPa"),
        TargetSpec("G_VRH", "G_VRH_GPa", "none", "scalar", "GPa"),
        TargetSpec("band_gap", "band_gap_eV", "none", "scalar", "eV"),
        TargetSpec("formation_energy", "formation_energy_eV_per_atom", "none", "scalar", "eV/atom"),
        TargetSpec("corrected_formation_energy", "corrected_formation_energy_eV_per_atom", "none", "scalar", "eV/atom"),
    ]
}


def _parse_hamiltonian(value, spec: TargetSpec, where: str) -> np.ndarray:
    raise TargetError(where, "Hamiltonian blocks are read from a Hamiltonian dataset (pgnn.data.hamiltonians), "
                             "not from a record field")


# Hamiltonian models (task "hamiltonian") train on the blocks H_ij(R) of a Hamiltonian dataset, in eV
KINDS["hamiltonian"] = TargetKind("hamiltonian", _parse_hamiltonian, center=False,
                                  components=lambda t: t.reshape(t.shape[0], -1))
TARGETS["hamiltonian"] = TargetSpec("hamiltonian", "hamiltonian", "none", "hamiltonian", "eV")


def register_kind(kind: TargetKind) -> None:
    """Add a target kind (e.g. a tensor kind from `pgnn.tensors`)."""
    KINDS[kind.name] = kind


def register_target(spec: TargetSpec) -> None:
    """Add a named target, usable as a string in configs."""
    TARGETS[spec.name] = spec


def resolve_target(item: str | dict | TargetSpec) -> TargetSpec:
    """A target from a config item: a known name, or a dict of TargetSpec fields."""
    if isinstance(item, TargetSpec):
        return item
    if isinstance(item, str):
        if item not in TARGETS:
            raise ConfigError(f"unknown target {item!r}; known: {', '.join(TARGETS)} (or a dict of TargetSpec fields)")
        return TARGETS[item]
    if isinstance(item, dict):
        try:
            return TargetSpec(**item)
        except TypeError as exc:
            raise ConfigError(f"bad target {item!r}: {exc}") from None
    raise ConfigError(f"bad target {item!r}: expected a name or a mapping")


def derive_targets(specs: list[TargetSpec], fields: dict, source: str = "") -> dict[str, np.ndarray]:
    """{target name: value} for one record; raises TargetError at the first unusable target."""
    return {s.name: s.derive(fields, source) for s in specs}


# --- Tensor kinds (pgnn.tensors): stored as full Cartesian tensors, scored on their Voigt components ---------------

def _tensor_parser(kind: str):
    """parse(value, spec, where): a Voigt matrix (3x3 dielectric, 3x6 piezo, 6x6 elastic) or an already full
    Cartesian tensor -> float64 full Cartesian tensor [3, ..., 3] with the kind's index symmetry."""
    from pgnn.tensors import KINDS as TENSOR_KINDS
    from pgnn.tensors import voigt_to_full

    tk = TENSOR_KINDS[kind]

    def parse(value, spec: TargetSpec, where: str) -> np.ndarray:
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise TargetError(where, f"{spec.field} is not a numeric array") from None
        if arr.shape == tk.voigt_shape:
            return np.ascontiguousarray(voigt_to_full(arr, tk))
        if arr.shape == tk.cartesian_shape:
            return arr
        raise TargetError(where, f"{spec.field} should be a {tk.voigt_shape[0]}x{tk.voigt_shape[1]} Voigt matrix "
                                 f"for a {kind} tensor, got shape {list(arr.shape)}")

    return parse


def _voigt_components(kind: str):
    """[B, 3, ..., 3] Cartesian -> [B, k] Voigt matrix components (36 elastic, 18 piezo, 9 dielectric)."""
    from pgnn.tensors import full_to_voigt

    return lambda t: full_to_voigt(t, kind).reshape(t.shape[0], -1)


for _kind in ("dielectric", "piezoelectric", "elastic"):
    register_kind(TargetKind(_kind, _tensor_parser(_kind), center=False, components=_voigt_components(_kind)))

for _spec in [
    TargetSpec("elastic_tensor", "elastic_tensor_voigt_GPa", "none", "elastic", "GPa"),
    TargetSpec("dielectric_tensor", "dielectric_total", "none", "dielectric", "1"),
    TargetSpec("dielectric_electronic_tensor", "dielectric_electronic", "none", "dielectric", "1"),
    TargetSpec("piezoelectric_tensor", "piezo_tensor_voigt_Cm2", "none", "piezoelectric", "C/m^2"),
]:
    register_target(_spec)
