"""Subduction of the O(3) irreps (l, parity) to a point group.

D^{l,p}(g) is the e3nn Wigner matrix on e3nn's real spherical harmonics (``harmonics.o3_rep`` with
convention "e3nn"; equals ``e3nn.o3.Irrep(l, p).D_from_matrix(g)``), with the parity factor p on
improper elements. ``subduce`` returns the multiplicities and an orthogonal Q [2l+1, 2l+1] with

    Q D^{l,p}(g) Q^T = block_diag(copies of the group's irreps, in G.irreps order)

so ``Q @ sh`` maps e3nn harmonic components onto concatenated irrep components.

``harmonics_subduction(G, ls)`` stacks several degrees (each l with the parity (-1)^l of Y_l) into one layout;
``orbital_basis(G, "spd")`` does the same for atomic orbital shells s (l=0, even), p (l=1, odd), d (l=2, even),
f (l=3, odd): orbital coefficients c in e3nn's real-harmonic order (m = -l..l per shell) map to irrep-basis
coefficients Q @ c, and Q D_orb(g) Q^T = layout.D()[g].
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from pgnn.groups.elements import _matrices
from pgnn.groups.harmonics import o3_rep
from pgnn.groups.projection import decompose_rep

__all__ = ["parse_parity", "rep_matrices", "subduce", "harmonics_subduction", "orbital_basis", "SHELLS"]

SHELLS = {"s": 0, "p": 1, "d": 2, "f": 3}


def parse_parity(parity) -> int:
    """+1 / -1 from 1, -1, "even", "odd", "e", "o", "g", "u", "+", "-"."""
    if isinstance(parity, str):
        key = parity.strip().lower()
        table = {"even": 1, "e": 1, "g": 1, "+": 1, "+1": 1, "1": 1, "odd": -1, "o": -1, "u": -1, "-": -1, "-1": -1}
        if key not in table:
            raise ValueError(f"parity must be even or odd, got {parity!r}")
        return table[key]
    p = int(parity)
    if p not in (1, -1):
        raise ValueError(f"parity must be +1 or -1, got {parity!r}")
    return p


@lru_cache(maxsize=None)
def _lattice_rep(lattice: str, l: int, p: int) -> np.ndarray:
    """D^{l,p} on the elements of Oh or D6h (every group's elements are among them), computed once."""
    D = o3_rep(l, p, _matrices(lattice), convention="e3nn")
    D.setflags(write=False)
    return D


def rep_matrices(group, l: int, parity) -> np.ndarray:
    """D^{l,p}(g) [N, 2l+1, 2l+1] on the group's elements, e3nn convention."""
    return _lattice_rep(group.lattice_holohedry, int(l), parse_parity(parity))[group.lattice_indices]


#: Largest degree subduced: the real-harmonic recursion in float64 loses the integer multiplicities near l = 100
#: (and overflows at l = 170); l <= 40 is exact and takes about a second.
MAX_L = 40


def subduce(group, l: int, parity) -> tuple[list, np.ndarray]:
    """(list of (irrep_name, multiplicity), Q [2l+1, 2l+1]) for the O(3) irrep (l, parity), 0 <= l <= MAX_L."""
    if not 0 <= int(l) <= MAX_L:
        raise ValueError(f"degree l={l} out of range: 0 <= l <= {MAX_L} (float64 harmonics lose exactness beyond)")
    return decompose_rep(group.irreps, rep_matrices(group, l, parity))


def harmonics_subduction(group, ls):
    """(layout, Q): the harmonics Y_l of the degrees ``ls`` (parity (-1)^l, stacked in order) in irreps of the
    group. layout is a ``PGIrreps`` whose terms list, degree by degree, that degree's irreps (not merged); Q
    [n, n] is block diagonal over the degrees and orthogonal, Q D(g) Q^T = layout.D()[g]."""
    from pgnn.groups.layout import PGIrreps, get_group

    group = get_group(group)
    terms, blocks = [], []
    for l in ls:
        decomp, Q = group.subduce(int(l), 1 if int(l) % 2 == 0 else -1)
        terms += [(int(m), name) for name, m in decomp if m > 0]
        blocks.append(np.asarray(Q, dtype=np.float64))
    n = sum(b.shape[0] for b in blocks)
    big = np.zeros((n, n))
    i = 0
    for b in blocks:
        big[i : i + b.shape[0], i : i + b.shape[0]] = b
        i += b.shape[0]
    return PGIrreps(group, terms), big


def orbital_basis(group, shells: str = "spd"):
    """(layout, Q) of the orbital shells (letters of "spdf", in order) in irreps of the group (see the module
    docstring); ValueError for an unknown letter."""
    for letter in shells:
        if letter not in SHELLS:
            raise ValueError(f"unknown orbital shell {letter!r}; use letters of 'spdf'")
    return harmonics_subduction(group, [SHELLS[letter] for letter in shells])
