"""The 32 crystallographic point groups: elements, real irreps, characters, coupling coefficients,
projection operators, subduction of O(3) irreps and Cartesian tensor bases. Pure numpy, float64, cached."""
