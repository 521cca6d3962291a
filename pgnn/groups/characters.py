"""Conjugacy classes and character tables.

Characters of real irreps are real. For a joined complex pair the character is chi + conj(chi)
(so <chi, chi> = 2 and the Frobenius-Schur indicator is 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["conjugacy_classes", "CharacterTable", "inner", "frobenius_schur"]


def conjugacy_classes(table: np.ndarray, inverse: np.ndarray) -> list[np.ndarray]:
    """Classes as sorted index arrays, ordered by their smallest element index (identity first).

    ``table[i, j]`` is the index of g_i g_j; ``inverse[i]`` the index of g_i^{-1}."""
    N = len(inverse)
    seen = np.zeros(N, dtype=bool)
    classes = []
    for i in range(N):
        if seen[i]:
            continue
        cls = np.unique(table[table[:, i], inverse])  # h g_i h^{-1} for all h
        seen[cls] = True
        classes.append(cls)
    return classes


def inner(chi_a: np.ndarray, chi_b: np.ndarray) -> float:
    """<chi_a, chi_b> = (1/N) sum_g chi_a(g) chi_b(g) for real characters [N]."""
    return float(np.dot(chi_a, chi_b) / len(chi_a))


def frobenius_schur(chi: np.ndarray, table: np.ndarray) -> float:
    """(1/N) sum_g chi(g^2): 1 for a real-type irrep, 0 for a joined complex pair."""
    sq = table[np.arange(len(chi)), np.arange(len(chi))]
    return float(np.mean(chi[sq]))


@dataclass(frozen=True)
class CharacterTable:
    """Character table of a point group.

    irreps: names [n_irreps]; classes: representative symbols [n_classes] (see ``element_symbol``);
    class_sizes [n_classes]; class_elements: element indices of each class;
    values [n_irreps, n_classes] (real; chi + conj(chi) for joined complex pairs).
    """

    group: str
    irreps: list
    classes: list
    class_sizes: list
    class_elements: list
    values: np.ndarray

    def as_dict(self) -> dict:
        return {
            "group": self.group,
            "classes": [f"{s}x{c}" if s > 1 else c for s, c in zip(self.class_sizes, self.classes)],
            "irreps": {n: [_num(v) for v in row] for n, row in zip(self.irreps, self.values)},
        }

    def __str__(self) -> str:
        head = [f"{s}x{c}" if s > 1 else c for s, c in zip(self.class_sizes, self.classes)]
        w = max(6, *(len(h) for h in head)) + 1
        lines = [f"{self.group:8s}" + "".join(f"{h:>{w}s}" for h in head)]
        for n, row in zip(self.irreps, self.values):
            lines.append(f"{n:8s}" + "".join(f"{_num(v):>{w}g}" for v in row))
        return "\n".join(lines)


def _num(v: float):
    r = round(v)
    return int(r) if abs(v - r) < 1e-9 else round(float(v), 6)
