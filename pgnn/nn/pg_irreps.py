"""Feature layouts indexed by the irreps of a finite point group (the point-group analogue of e3nn's `Irreps`).

A layout is a direct sum of irreps of one group G with multiplicities (channels), written as a string:

    PGIrreps("Oh", "32xA1g + 8xEg + 16xT1u")

A feature tensor with this layout has shape [..., layout.dim] and is laid out term by term; inside a term of
`mul x alpha` the `mul` channels are consecutive blocks of `alpha.dim` components (channel-major, as in e3nn):
component (channel c, partner i) of term t sits at `layout.slices()[t].start + c * d_alpha + i`.

Under a group element g a feature x transforms as `D(g) @ x` with the block-diagonal matrix returned by
`layout.D()` (shape (order, dim, dim), float64, the group's real orthogonal irrep matrices on the diagonal).

Irrep names are the group's Mulliken labels (`G.irreps[k].name`). Labels of joined complex-conjugate pairs may
contain '+', so parsing matches the group's own label set rather than splitting blindly.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from pgnn.errors import ConfigError


def get_group(group):
    """The `pgnn.groups` point-group object for a name (Schoenflies or Hermann-Mauguin) or the object itself."""
    if isinstance(group, str):
        from pgnn.groups import point_group

        return point_group(group)
    return group


def irrep_table(group) -> dict:
    """{irrep name: irrep object} of the group, in the group's order."""
    G = get_group(group)
    return {ir.name: ir for ir in G.irreps}


def trivial_irrep(group) -> str:
    """Name of the trivial (totally symmetric) irrep: one-dimensional with every matrix equal to 1."""
    G = get_group(group)
    for ir in G.irreps:
        m = np.asarray(ir.matrices)
        if ir.dim == 1 and np.allclose(m, 1.0):
            return ir.name
    raise ValueError(f"group {G.name} has no trivial irrep")  # pragma: no cover - every group has one


@lru_cache(maxsize=None)
def _coupling_cached(G, a: str, b: str, c: str) -> np.ndarray:
    dims = [int(irrep_table(G)[n].dim) for n in (a, b, c)]
    U = np.asarray(G.coupling(a, b, c), dtype=np.float64)
    if U.size == 0:
        return np.zeros([0] + dims)
    return U.reshape([-1] + dims)


def coupling(group, a: str, b: str, c: str) -> np.ndarray:
    """Orthonormal intertwiners of a (x) b -> c, shape (multiplicity, d_a, d_b, d_c), float64.

    Each U[m] satisfies  sum_ij U[m,i,j,k] (D^a(g) x)_i (D^b(g) y)_j = (D^c(g) z)_k  with  z_k = sum_ij U[m,i,j,k] x_i y_j,
    and is rescaled here so that, as a map a (x) b -> c, it is a partial isometry (sum_ij U_ijk U_ijk' = delta_kk').
    """
    G = get_group(group)
    U = _coupling_cached(G, a, b, c).copy()
    if U.shape[0] == 0:
        return U
    # orthonormalize the multiplicity copies (in the Frobenius inner product) and normalise each to |U|^2 = d_c
    M = U.reshape(U.shape[0], -1)
    q, r = np.linalg.qr(M.T)
    keep = np.abs(np.diag(r)) > 1e-9
    M = q[:, keep].T
    return M.reshape((-1,) + U.shape[1:]) * np.sqrt(U.shape[3])


class PGIrreps:
    """A direct sum of irreps of a point group with multiplicities.

    Attributes:
        group: the `pgnn.groups` point-group object.
        terms: tuple of (mul, irrep_name).
        dim: total dimension sum(mul * d).
    """

    def __init__(self, group, terms="") -> None:
        self.group = get_group(group)
        table = irrep_table(self.group)
        if isinstance(terms, PGIrreps):
            terms = terms.terms
        if isinstance(terms, str):
            terms = _parse(terms, table)
        out = []
        for mul, name in terms:
            if name not in table:
                raise ConfigError(f"{name!r} is not an irrep of {self.group.name}: {list(table)}")
            if int(mul) < 0:
                raise ConfigError(f"negative multiplicity in {terms!r}")
            out.append((int(mul), name))
        self.terms = tuple(out)

    # ---- basic properties -------------------------------------------------------------------------------------
    def irrep_dim(self, name: str) -> int:
        return int(irrep_table(self.group)[name].dim)

    @property
    def dim(self) -> int:
        return sum(mul * self.irrep_dim(name) for mul, name in self.terms)

    @property
    def num_irreps(self) -> int:
        """Total number of irrep copies (channels summed over terms)."""
        return sum(mul for mul, _ in self.terms)

    def slices(self) -> list[slice]:
        """Slice of every term in a flat feature vector."""
        out, i = [], 0
        for mul, name in self.terms:
            d = mul * self.irrep_dim(name)
            out.append(slice(i, i + d))
            i += d
        return out

    def count(self, name: str) -> int:
        """Total multiplicity of an irrep."""
        return sum(mul for mul, n in self.terms if n == name)

    def names(self) -> list[str]:
        return [n for _, n in self.terms]

    @property
    def trivial(self) -> str:
        return trivial_irrep(self.group)

    def simplify(self) -> "PGIrreps":
        """Merge the terms of equal irreps, ordered as the group lists its irreps; drop zero multiplicities."""
        order = [ir.name for ir in self.group.irreps]
        muls = {n: self.count(n) for n in order}
        return PGIrreps(self.group, [(muls[n], n) for n in order if muls[n] > 0])

    def __iter__(self):
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def __add__(self, other) -> "PGIrreps":
        other = PGIrreps(self.group, other)
        return PGIrreps(self.group, self.terms + other.terms)

    def __eq__(self, other) -> bool:
        return isinstance(other, PGIrreps) and other.group.name == self.group.name and other.terms == self.terms

    def __hash__(self):
        return hash((self.group.name, self.terms))

    def __str__(self) -> str:
        return " + ".join(f"{mul}x{name}" for mul, name in self.terms)

    def __repr__(self) -> str:
        return f"PGIrreps({self.group.name!r}, {str(self)!r})"

    # ---- representation ---------------------------------------------------------------------------------------
    def D(self) -> np.ndarray:
        """Block-diagonal representation matrices of the layout, shape (order, dim, dim), float64."""
        table = irrep_table(self.group)
        order = int(self.group.order)
        out = np.zeros((order, self.dim, self.dim))
        i = 0
        for mul, name in self.terms:
            m = np.asarray(table[name].matrices, dtype=np.float64).reshape(order, self.irrep_dim(name), -1)
            d = m.shape[1]
            for _ in range(mul):
                out[:, i : i + d, i : i + d] = m
                i += d
        return out

    def pack_index(self) -> tuple[list[str], np.ndarray]:
        """Index table to view a flat feature as a padded [..., types, channels, partners] tensor.

        Returns (names, idx): `names` the distinct irreps in order of first appearance; idx of shape
        (len(names), max multiplicity, max irrep dim) with entries in [0, dim], `dim` meaning padding (zero).
        `torch.cat([x, zeros], -1)[..., idx]` packs; each type gathers all its terms' channels in order.
        """
        names: list[str] = []
        for _, n in self.terms:
            if n not in names:
                names.append(n)
        cmax = max([self.count(n) for n in names] + [1])
        dmax = max([self.irrep_dim(n) for n in names] + [1])
        idx = np.full((len(names), cmax, dmax), self.dim, dtype=np.int64)
        filled = {n: 0 for n in names}
        for (mul, name), sl in zip(self.terms, self.slices()):
            d = self.irrep_dim(name)
            t = names.index(name)
            for c in range(mul):
                idx[t, filled[name] + c, :d] = sl.start + c * d + np.arange(d)
            filled[name] += mul
        return names, idx


def _parse(text: str, table: dict) -> list[tuple[int, str]]:
    """Parse "32xA1g + 8xEg" (multiplicity optional, default 1) against the group's irrep labels."""
    text = text.strip()
    if not text:
        return []
    pieces = [p.strip() for p in text.split("+")]
    terms: list[tuple[int, str]] = []
    i = 0
    while i < len(pieces):
        # greedy: the longest run of '+'-joined pieces that forms "[mul x]name" with a known name
        for j in range(len(pieces), i, -1):
            cand = "+".join(pieces[i:j])
            m = re.fullmatch(r"(?:(\d+)\s*x\s*)?(.+)", cand)
            if m and m.group(2).strip() in table:
                terms.append((int(m.group(1)) if m.group(1) else 1, m.group(2).strip()))
                i = j
                break
        else:
            raise ConfigError(f"cannot parse irreps layout {text!r}: known irreps are {list(table)}")
    return terms
