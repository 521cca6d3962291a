"""Atom embeddings by atomic number: learned, CGCNN-style engineered element features, or both.

The engineered features follow CGCNN's `atom_init` (Xie & Grossman 2018): each element property one-hot
binned, concatenated; computed from pymatgen's (and ASE's covalent-radius) element data, not copied.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np
import torch
from torch import nn

MAX_Z = 100

# (property, number of bins); continuous properties are binned evenly between their min and max over Z = 1..MAX_Z.
FEATURE_BINS = {
    "group": 18,
    "period": 7,
    "electronegativity": 10,
    "covalent_radius": 10,
    "valence_electrons": 12,
    "first_ionization_energy": 10,
    "electron_affinity": 10,
    "block": 4,
    "atomic_volume": 10,
}
ELEMENT_FEATURE_DIM = sum(FEATURE_BINS.values())  # 91


def _valence_electrons(el) -> int:
    """Electrons of the outermost shell, plus the (n-1)d and (n-2)f electrons of d- and f-block elements."""
    shells = el.full_electronic_structure
    n_max = max(n for n, _, _ in shells)
    count = sum(k for n, l, k in shells if n == n_max)
    count += sum(k for n, l, k in shells if n == n_max - 1 and l == "d" and el.block in "df")
    count += sum(k for n, l, k in shells if n == n_max - 2 and l == "f" and el.block == "f")
    return count


def _raw_properties(z: int) -> dict[str, float]:
    from ase.data import covalent_radii
    from pymatgen.core import Element

    el = Element.from_Z(z)

    def safe(fn):
        try:
            v = fn()
            return float(v) if v is not None and np.isfinite(float(v)) else np.nan
        except (ValueError, TypeError, KeyError, AttributeError):
            return np.nan

    return {
        "group": el.group,
        "period": el.row,
        "electronegativity": safe(lambda: el.X),
        "covalent_radius": float(covalent_radii[z]),
        "valence_electrons": _valence_electrons(el),
        "first_ionization_energy": safe(lambda: el.ionization_energy),
        "electron_affinity": safe(lambda: el.electron_affinity),
        "block": "spdf".index(el.block),
        "atomic_volume": safe(lambda: el.molar_volume),  # cm^3/mol
    }


@lru_cache(maxsize=1)
def element_feature_table() -> np.ndarray:
    """[MAX_Z + 1, 91] float32 one-hot binned element properties; row 0 and missing properties are zeros.

    Columns: group (18), period (7), electronegativity (10), covalent radius (10), valence electrons (12, 1..12),
    first ionization energy (10), electron affinity (10), block s/p/d/f (4), atomic volume (10).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        props = [_raw_properties(z) for z in range(1, MAX_Z + 1)]
    table = np.zeros((MAX_Z + 1, ELEMENT_FEATURE_DIM), dtype=np.float32)
    col = 0
    for name, nbins in FEATURE_BINS.items():
        values = np.array([p[name] for p in props], dtype=np.float64)
        if name in ("group", "period", "valence_electrons"):
            idx = values - 1  # categorical, 1-based
        elif name == "block":
            idx = values
        else:
            lo, hi = np.nanmin(values), np.nanmax(values)
            idx = np.floor((values - lo) / (hi - lo) * nbins)
        ok = np.isfinite(idx)
        idx = np.clip(np.where(ok, idx, 0), 0, nbins - 1).astype(int)
        rows = np.arange(1, MAX_Z + 1)[ok]
        table[rows, col + idx[ok]] = 1.0
        col += nbins
    return table


class ElementFeatures(nn.Module):
    """Fixed CGCNN-style element features: z [N] long -> [N, 91] (a lookup in a buffer table)."""

    def __init__(self):
        super().__init__()
        self.register_buffer("table", torch.from_numpy(element_feature_table()))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.table[z]


class AtomEmbedding(nn.Module):
    """z [N] long -> [N, dim] atom features.

    mode "learned": a trainable vector per element; "engineered": a linear map of `ElementFeatures`;
    "both": their sum.
    """

    def __init__(self, dim: int, mode: str = "engineered"):
        super().__init__()
        if mode not in ("learned", "engineered", "both"):
            raise ValueError(f"atom embedding mode must be learned, engineered or both, not {mode!r}")
        self.mode = mode
        self.learned = nn.Embedding(MAX_Z + 1, dim) if mode in ("learned", "both") else None
        self.elements = ElementFeatures() if mode in ("engineered", "both") else None
        self.project = nn.Linear(ELEMENT_FEATURE_DIM, dim) if self.elements is not None else None

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        out = 0
        if self.learned is not None:
            out = out + self.learned(z)
        if self.elements is not None:
            out = out + self.project(self.elements(z).to(self.project.weight.dtype))
        return out
