"""Scalar quantities materials scientists derive from the tensors.

- elastic (Voigt C [..., 6, 6], GPa): Voigt, Reuss and Hill bulk and shear moduli K_V, K_R, K_VRH, G_V, G_R, G_VRH
  (GPa), the same formulas as pymatgen's ElasticTensor / the Materials Project.
- dielectric (eps [..., 3, 3]): eigenvalues (ascending), polycrystalline average tr(eps)/3, anisotropy
  (max - min eigenvalue) / average.
- piezoelectric (Voigt e [..., 3, 6], C/m^2): max |e_ij| over the 18 Voigt components (the Materials Project's
  `eij_max`).

numpy and torch inputs; results have the leading axes of the input.
"""

from __future__ import annotations

import numpy as np
import torch

from pgnn.tensors._backend import is_torch


def _inv(x):
    return torch.linalg.inv(x) if is_torch(x) else np.linalg.inv(x)


def _pinv(x):
    return torch.linalg.pinv(x) if is_torch(x) else np.linalg.pinv(x)


def bulk_shear_moduli(C) -> dict:
    """{"K_V", "K_R", "K_VRH", "G_V", "G_R", "G_VRH"} (GPa) of Voigt elastic matrices C [..., 6, 6] (GPa).

    Reuss bounds use the compliance S = C^-1 (pseudo-inverse for a singular C).
    """
    c = lambda a, b: C[..., a, b]  # noqa: E731
    K_V = (c(0, 0) + c(1, 1) + c(2, 2) + 2 * (c(0, 1) + c(1, 2) + c(0, 2))) / 9.0
    G_V = ((c(0, 0) + c(1, 1) + c(2, 2)) - (c(0, 1) + c(1, 2) + c(0, 2)) + 3 * (c(3, 3) + c(4, 4) + c(5, 5))) / 15.0
    try:
        S = _inv(C)
    except Exception:  # singular
        S = _pinv(C)
    s = lambda a, b: S[..., a, b]  # noqa: E731
    K_R = 1.0 / ((s(0, 0) + s(1, 1) + s(2, 2)) + 2 * (s(0, 1) + s(1, 2) + s(0, 2)))
    G_R = 15.0 / (4 * (s(0, 0) + s(1, 1) + s(2, 2)) - 4 * (s(0, 1) + s(1, 2) + s(0, 2)) + 3 * (s(3, 3) + s(4, 4) + s(5, 5)))
    return {"K_V": K_V, "K_R": K_R, "K_VRH": (K_V + K_R) / 2, "G_V": G_V, "G_R": G_R, "G_VRH": (G_V + G_R) / 2}


def dielectric_scalars(eps) -> dict:
    """{"eigenvalues" [..., 3] ascending, "average" tr/3, "anisotropy" (max-min)/average} of eps [..., 3, 3]."""
    sym = (eps + (eps.transpose(-1, -2) if is_torch(eps) else np.swapaxes(eps, -1, -2))) / 2
    w = torch.linalg.eigvalsh(sym) if is_torch(sym) else np.linalg.eigvalsh(sym)
    avg = w.mean(-1) if is_torch(w) else w.mean(-1)
    return {"eigenvalues": w, "average": avg, "anisotropy": (w[..., -1] - w[..., 0]) / avg}


def piezo_max(e_voigt):
    """max |e_ij| (C/m^2) over the Voigt components of e [..., 3, 6]."""
    if is_torch(e_voigt):
        return e_voigt.abs().flatten(-2).max(-1).values
    return np.abs(e_voigt).reshape(e_voigt.shape[:-2] + (-1,)).max(-1)


def derived_scalars(voigt, kind: str) -> dict:
    """The headline derived scalars of a kind, each [...]: elastic K_VRH, G_VRH (GPa); dielectric average and
    anisotropy (1); piezoelectric eij_max (C/m^2)."""
    if kind == "elastic":
        m = bulk_shear_moduli(voigt)
        return {"K_VRH_GPa": m["K_VRH"], "G_VRH_GPa": m["G_VRH"]}
    if kind == "dielectric":
        d = dielectric_scalars(voigt)
        return {"eps_average": d["average"], "eps_anisotropy": d["anisotropy"]}
    if kind == "piezoelectric":
        return {"eij_max_Cm2": piezo_max(voigt)}
    raise ValueError(f"unknown tensor kind {kind!r}")
