"""Predicted tensors as pymatgen objects, and the derived properties pgnn reports for them.

| kind          | pymatgen object                                    | derived (`derived_properties`)                  |
|---------------|----------------------------------------------------|-------------------------------------------------|
| elastic       | `pymatgen.analysis.elasticity.ElasticTensor` (GPa) | K_VRH, G_VRH (GPa), universal_anisotropy (1)    |
| piezoelectric | `pymatgen.analysis.piezo.PiezoTensor` (C/m^2)      | max_abs_eij (C/m^2): max |e_ij| over Voigt 3x6  |
| dielectric    | `pymatgen.core.tensors.SquareTensor` (a `Tensor`)  | eigenvalues [3] ascending, average tr/3 (1)     |

Inputs are full Cartesian tensors ([3, 3], [3, 3, 3] or [3, 3, 3, 3] numpy arrays), in the frame of the structure.
"""

from __future__ import annotations

import numpy as np

from pgnn.tensors.kinds import tensor_kind
from pgnn.tensors.voigt import symmetrize


def to_pymatgen(value, kind: str):
    """A full Cartesian tensor of `kind` -> its pymatgen object (float64, index symmetry enforced)."""
    k = tensor_kind(kind)
    t = symmetrize(np.asarray(value, dtype=np.float64), k)
    if k.name == "elastic":
        from pymatgen.analysis.elasticity import ElasticTensor

        return ElasticTensor(t)
    if k.name == "piezoelectric":
        from pymatgen.analysis.piezo import PiezoTensor

        return PiezoTensor(t)
    from pymatgen.core.tensors import SquareTensor

    return SquareTensor(t)


def derived_properties(tensor, kind: str) -> dict[str, float | list[float]]:
    """The derived properties of a pymatgen tensor object (or a full Cartesian array) of `kind` (table above)."""
    k = tensor_kind(kind)
    obj = tensor if hasattr(tensor, "voigt") else to_pymatgen(tensor, k.name)
    if k.name == "elastic":
        return {"K_VRH": float(obj.k_vrh), "G_VRH": float(obj.g_vrh),
                "universal_anisotropy": float(obj.universal_anisotropy)}
    if k.name == "piezoelectric":
        return {"max_abs_eij": float(np.abs(np.asarray(obj.voigt)).max())}
    w = np.linalg.eigvalsh(np.asarray(obj, dtype=np.float64))
    return {"eigenvalues": [float(x) for x in w], "average": float(w.mean())}


DERIVED_UNITS = {"K_VRH": "GPa", "G_VRH": "GPa", "universal_anisotropy": "", "max_abs_eij": "C/m^2",
                 "eigenvalues": "", "average": ""}
