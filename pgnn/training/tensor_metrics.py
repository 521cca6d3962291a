"""Metrics of tensor predictions: MAE over the Voigt components, per-component MAE, MAE of derived scalars, and
the Neumann violation of predictions on symmetric crystals (with point-group operations from spglib).

All inputs are full Cartesian tensors [n, 3, ..., 3] in data units (GPa, C/m^2, dimensionless).
"""

from __future__ import annotations

import numpy as np
import spglib

from pgnn.tensors import (
    cartesian_operations,
    derived_scalars,
    full_to_voigt,
    neumann_violation,
    voigt_labels,
)


def tensor_errors(pred: np.ndarray, true: np.ndarray, kind: str) -> dict:
    """{"mae": MAE over all Voigt components, "per_component_mae": {label: MAE}, "derived_mae": {name: MAE}}.

    Derived scalars (pgnn.tensors.derived): elastic K_VRH_GPa, G_VRH_GPa; dielectric eps_average,
    eps_anisotropy; piezoelectric eij_max_Cm2 (max |e_ij| over the Voigt components). Non-finite derived
    values (e.g. a singular predicted elastic matrix) are left out of that scalar's MAE and counted.
    """
    pv, tv = full_to_voigt(np.asarray(pred, float), kind), full_to_voigt(np.asarray(true, float), kind)
    err = np.abs(pv - tv)
    labels = voigt_labels(kind)
    per = {labels[a][b]: float(err[:, a, b].mean()) for a in range(err.shape[1]) for b in range(err.shape[2])}
    dp, dt = derived_scalars(pv, kind), derived_scalars(tv, kind)
    derived, nonfinite = {}, {}
    for name in dp:
        ok = np.isfinite(dp[name]) & np.isfinite(dt[name])
        derived[name] = float(np.abs(dp[name][ok] - dt[name][ok]).mean()) if ok.any() else float("nan")
        if (~ok).any():
            nonfinite[name] = int((~ok).sum())
    out = {"mae": float(err.mean()), "per_component_mae": per, "derived_mae": derived}
    if nonfinite:
        out["derived_nonfinite"] = nonfinite
    return out


def point_group_operations(lattice: np.ndarray, frac_coords: np.ndarray, numbers, symprec: float = 0.01) -> np.ndarray:
    """[G, 3, 3] Cartesian point-group operations (input frame) of a crystal, from spglib's space-group rotations."""
    ds = spglib.get_symmetry_dataset((np.asarray(lattice), np.asarray(frac_coords), list(numbers)), symprec=symprec)
    if ds is None:
        return np.eye(3)[None]
    rotations = ds.rotations if hasattr(ds, "rotations") else ds["rotations"]
    return cartesian_operations(rotations, lattice)


def neumann_violations(pred: np.ndarray, operations: list[np.ndarray]) -> np.ndarray:
    """[n] ||avg_G(T) - T|| / ||T|| of each predicted tensor over its crystal's operations [G_k, 3, 3]."""
    pred = np.asarray(pred, float)
    return np.array([float(neumann_violation(t, ops)) for t, ops in zip(pred, operations)])
