"""The three material tensor kinds pgnn knows, with their index symmetry, Voigt shape and O(3) content.

| kind           | Cartesian        | index symmetry        | Voigt | independent | O(3) irreps          | unit   |
|----------------|------------------|-----------------------|-------|-------------|----------------------|--------|
| dielectric     | eps_ij   [3,3]   | ij=ji                 | 3x3   | 6           | 0e + 2e              | 1      |
| piezoelectric  | e_ijk    [3,3,3] | ijk=ikj               | 3x6   | 18          | 1o + 1o + 2o + 3o    | C/m^2  |
| elastic        | C_ijkl   [3]*4   | ijkl=jikl=ijlk=klij   | 6x6   | 21          | 2x0e + 2x2e + 4e     | GPa    |

Voigt order of index pairs: xx, yy, zz, yz, xz, xy (1..6).
"""

from __future__ import annotations

from dataclasses import dataclass

from pgnn.errors import PgnnError


@dataclass(frozen=True)
class TensorKind:
    """Static description of a material tensor kind.

    name: "dielectric" | "piezoelectric" | "elastic".
    rank: Cartesian rank (2, 3, 4).
    formula: index-symmetry formula in e3nn's `CartesianTensor` syntax.
    voigt_shape: shape of the Voigt matrix on which errors are reported.
    irreps: the O(3) irreducible content of the symmetric tensor space (e3nn string, for reference;
        the authoritative value is `pgnn.tensors.irreducible.basis(kind).irreps`).
    n_independent: number of independent components (dimension of the symmetric tensor space).
    unit: the unit of the bundled data.
    """

    name: str
    rank: int
    formula: str
    voigt_shape: tuple[int, int]
    irreps: str
    n_independent: int
    unit: str

    @property
    def cartesian_shape(self) -> tuple[int, ...]:
        return (3,) * self.rank


KINDS: dict[str, TensorKind] = {
    "dielectric": TensorKind("dielectric", 2, "ij=ji", (3, 3), "1x0e+1x2e", 6, "1"),
    "piezoelectric": TensorKind("piezoelectric", 3, "ijk=ikj", (3, 6), "2x1o+1x2o+1x3o", 18, "C/m^2"),
    "elastic": TensorKind("elastic", 4, "ijkl=jikl=ijlk=klij", (6, 6), "2x0e+2x2e+1x4e", 21, "GPa"),
}


def tensor_kind(kind: str | TensorKind) -> TensorKind:
    """Look a kind up by name (a TensorKind passes through); raises PgnnError for an unknown name."""
    if isinstance(kind, TensorKind):
        return kind
    try:
        return KINDS[kind]
    except KeyError:
        raise PgnnError(f"unknown tensor kind {kind!r}; known: {', '.join(KINDS)}") from None
