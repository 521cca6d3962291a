"""The 32 crystallographic point groups: elements, real irreps, characters, coupling coefficients,
projection operators, subduction of O(3) irreps and Cartesian tensor bases. Pure numpy, float64, cached.

    >>> from pgnn.groups import point_group
    >>> G = point_group("Oh")            # or "m-3m"
    >>> G.order, [ir.name for ir in G.irreps][:3]
    (48, ['A1g', 'A2g', 'Eg'])
"""

from pgnn.groups.group import PointGroup
from pgnn.groups.irreps import Irrep
from pgnn.groups.registry import canonical_name, list_groups, point_group

__all__ = ["PointGroup", "Irrep", "point_group", "list_groups", "canonical_name"]
