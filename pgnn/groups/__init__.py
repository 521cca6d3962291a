"""The 32 crystallographic point groups: elements, real irreps, characters, coupling coefficients,
projection operators, subduction of O(3) irreps and Cartesian tensor bases. Pure numpy, float64, cached.

    >>> from pgnn.groups import point_group
    >>> G = point_group("Oh")                       # or "m-3m"; built once per process
    >>> G.order, G.irrep_names[:3]
    (48, ['A1g', 'A2g', 'Eg'])

API (all arrays float64 numpy, read-only when cached; N = G.order, element order = G.elements):

- ``point_group(name)``, ``list_groups()``, ``canonical_name(name)``.
- ``G.name`` (Schoenflies), ``G.hm``, ``G.order``, ``G.elements`` [N, 3, 3], ``G.table`` [N, N],
  ``G.inverse`` [N], ``G.classes``, ``G.generators``, ``G.element_index(matrix)``,
  ``G.holohedry``, ``G.lattice_holohedry`` ("Oh" or "D6h"), ``G.lattice_indices`` [N].
- ``G.irreps``: list of ``Irrep`` (``.name .dim .matrices [N, d, d] .characters [N] .kind
  .commutant_dim .commutant .note``); ``G.irrep(name)``; ``G.characters`` [n_irreps, N];
  ``G.character_table()``.
- ``G.coupling(a, b, c)`` -> [m, d_a, d_b, d_c] (conventions in ``coupling.py``);
  ``G.intertwiners(a, b, c)``; ``G.coupling_multiplicities`` [n, n, n]; ``G.coupling_table()`` (dict);
  ``G.coupling_paths()`` (list of (ia, ib, ic, U)); ``G.coupling_array()`` (padded array).
- ``G.subduce(l, parity)`` -> ([(irrep, multiplicity)], Q [2l+1, 2l+1]) for e3nn's real harmonics;
  ``G.harmonics(ls)`` and ``G.orbital_basis("spd")`` -> (PGIrreps, Q) for stacked degrees / orbital shells.
- ``PGIrreps(G, "8xA1g + 2xT1u")`` (or ``G.layout(...)``): immutable feature layout (dim, slices, D(), ...);
  ``G.trivial_irrep``.
- ``G.projector(rep, irrep)``, ``G.decompose(rep)``, ``G.multiplicities(rep)``, ``G.copies(rep, irrep)``.
- ``G.tensor_basis(formula)`` -> (n, basis [n, 3, ..., 3]); ``G.tensor_space(formula)``.
- ``match_point_group(rotations)`` -> (name, R, perm); ``embed(sub, super)`` -> (indices, R).
"""

from pgnn.groups.group import PointGroup
from pgnn.groups.irreps import Irrep
from pgnn.groups.layout import PGIrreps
from pgnn.groups.matching import embed, match_point_group
from pgnn.groups.registry import canonical_name, list_groups, point_group

__all__ = ["PointGroup", "Irrep", "PGIrreps", "point_group", "list_groups", "canonical_name", "match_point_group", "embed"]
