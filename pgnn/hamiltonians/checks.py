"""Band-energy comparisons: the folded-band check and truncation errors, absolute and after the best constant shift."""

from __future__ import annotations

import numpy as np

__all__ = ["band_errors"]


def band_errors(test: np.ndarray, ref: np.ndarray, homo: float, window: float = 3.0) -> dict:
    """Compare two sorted level lists (eV) of equal length over the reference levels up to ``window`` eV above
    ``homo`` (the highest occupied level). Returns mean and max |difference| in meV, absolute and after removing
    the best constant shift (the mean difference for the mean, the mid-range shift for the max)."""
    test = np.sort(np.ravel(test))
    ref = np.sort(np.ravel(ref))
    sel = ref <= homo + window + 1e-9
    d = test[sel] - ref[sel]
    mean_shift = d.mean()
    mid = 0.5 * (d.max() + d.min())
    return {
        "mean_meV": float(1e3 * np.abs(d).mean()),
        "max_meV": float(1e3 * np.abs(d).max()),
        "mean_shifted_meV": float(1e3 * np.abs(d - mean_shift).mean()),
        "max_shifted_meV": float(1e3 * np.abs(d - mid).max()),
        "shift_meV": float(1e3 * mean_shift),
        "n_levels": int(sel.sum()),
    }
