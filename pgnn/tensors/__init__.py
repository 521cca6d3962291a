"""Cartesian material tensors: Voigt forms, rotation, O(3) irreducible parts, Neumann projection, derived scalars.

numpy arrays and (batched) torch tensors are accepted by every function; leading axes are batch axes.
"""

from pgnn.tensors.derived import bulk_shear_moduli, derived_scalars, dielectric_scalars, piezo_max
from pgnn.tensors.irreducible import IrreducibleBasis, basis, from_irreps, to_irreps
from pgnn.tensors.kinds import KINDS, TensorKind, tensor_kind
from pgnn.tensors.neumann import (
    cartesian_operations,
    close_group,
    count_invariants,
    forced_zeros,
    neumann_average,
    neumann_projector,
    neumann_violation,
)
from pgnn.tensors.rotate import rotate
from pgnn.tensors.voigt import (
    VOIGT_INDEX,
    VOIGT_PAIRS,
    full_to_voigt,
    independent_components,
    independent_to_voigt,
    symmetrize,
    voigt_labels,
    voigt_to_full,
    voigt_to_independent,
)

__all__ = [
    "KINDS", "TensorKind", "tensor_kind",
    "VOIGT_INDEX", "VOIGT_PAIRS", "full_to_voigt", "voigt_to_full", "symmetrize", "independent_components",
    "independent_to_voigt", "voigt_to_independent", "voigt_labels",
    "rotate",
    "IrreducibleBasis", "basis", "to_irreps", "from_irreps",
    "neumann_average", "neumann_violation", "neumann_projector", "count_invariants", "forced_zeros", "close_group",
    "cartesian_operations",
    "bulk_shear_moduli", "dielectric_scalars", "piezo_max", "derived_scalars",
]
