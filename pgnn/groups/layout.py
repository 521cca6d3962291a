"""Feature layouts indexed by the irreps of a point group: ``PGIrreps``, an immutable value like e3nn's ``Irreps``.

A layout is a direct sum of irreps of one group G with multiplicities (channels), written as a string:

    PGIrreps("Oh", "32xA1g + 8xEg + 16xT1u")

A feature vector with this layout has dim entries laid out term by term; inside a term ``mul x alpha`` the ``mul``
channels are consecutive blocks of ``alpha.dim`` components (channel-major, as in e3nn): component (channel c,
partner i) of term t sits at ``layout.slices()[t].start + c * d_alpha + i``. Under g it transforms by the
block-diagonal ``layout.D()[g]`` ([N, dim, dim], float64, the group's irrep matrices on the diagonal).

Labels of joined complex-conjugate pairs may contain '+', so parsing matches the group's own label set rather
than splitting blindly. Pure numpy.
"""

from __future__ import annotations

import re

import numpy as np

from pgnn.errors import ConfigError

__all__ = ["PGIrreps", "get_group"]


def get_group(group):
    """The point-group object for a name (Schoenflies or Hermann-Mauguin) or the object itself."""
    if isinstance(group, str):
        from pgnn.groups.registry import point_group

        return point_group(group)
    return group


class PGIrreps:
    """A direct sum of irreps of a point group with multiplicities; immutable and hashable.

    Attributes: group (the PointGroup), terms (tuple of (mul, irrep_name)), dim (sum of mul * d).
    """

    __slots__ = ("group", "terms", "_dims")

    def __init__(self, group, terms="") -> None:
        G = get_group(group)
        if isinstance(terms, PGIrreps):
            terms = terms.terms
        names = G.irrep_names
        if isinstance(terms, str):
            terms = _parse(terms, names)
        out = []
        for mul, name in terms:
            if name not in names:
                raise ConfigError(f"{name!r} is not an irrep of {G.name}: {names}")
            if int(mul) < 0:
                raise ConfigError(f"negative multiplicity in {terms!r}")
            out.append((int(mul), str(name)))
        object.__setattr__(self, "group", G)
        object.__setattr__(self, "terms", tuple(out))
        object.__setattr__(self, "_dims", {ir.name: int(ir.dim) for ir in G.irreps})

    def __setattr__(self, key, value):
        raise AttributeError("PGIrreps is immutable")

    def __reduce__(self):
        return (PGIrreps, (self.group.name, self.terms))

    # ---- basic properties
    def irrep_dim(self, name: str) -> int:
        return self._dims[name]

    @property
    def dim(self) -> int:
        return sum(mul * self._dims[name] for mul, name in self.terms)

    @property
    def num_irreps(self) -> int:
        """Total number of irrep copies (channels summed over terms)."""
        return sum(mul for mul, _ in self.terms)

    @property
    def trivial(self) -> str:
        """Name of the group's trivial irrep."""
        return self.group.trivial_irrep

    def slices(self) -> list[slice]:
        """Slice of every term in a flat feature vector."""
        out, i = [], 0
        for mul, name in self.terms:
            d = mul * self._dims[name]
            out.append(slice(i, i + d))
            i += d
        return out

    def count(self, name: str) -> int:
        """Total multiplicity of an irrep."""
        return sum(mul for mul, n in self.terms if n == name)

    def names(self) -> list[str]:
        return [n for _, n in self.terms]

    def copies(self) -> list[tuple[str, int]]:
        """(irrep name, start) of every irrep copy, in layout order."""
        out = []
        for (mul, name), sl in zip(self.terms, self.slices()):
            d = self._dims[name]
            out += [(name, sl.start + c * d) for c in range(mul)]
        return out

    def simplify(self) -> "PGIrreps":
        """Merge the terms of equal irreps, ordered as the group lists its irreps; drop zero multiplicities."""
        muls = {n: self.count(n) for n in self.group.irrep_names}
        return PGIrreps(self.group, [(m, n) for n, m in muls.items() if m > 0])

    def __iter__(self):
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def __add__(self, other) -> "PGIrreps":
        return PGIrreps(self.group, self.terms + PGIrreps(self.group, other).terms)

    def __eq__(self, other) -> bool:
        return isinstance(other, PGIrreps) and other.group.name == self.group.name and other.terms == self.terms

    def __hash__(self):
        return hash((self.group.name, self.terms))

    def __str__(self) -> str:
        return " + ".join(f"{mul}x{name}" for mul, name in self.terms)

    def __repr__(self) -> str:
        return f"PGIrreps({self.group.name!r}, {str(self)!r})"

    # ---- representation
    def D(self) -> np.ndarray:
        """Block-diagonal representation matrices of the layout, [order, dim, dim], float64."""
        out = np.zeros((self.group.order, self.dim, self.dim))
        for name, start in self.copies():
            d = self._dims[name]
            out[:, start : start + d, start : start + d] = self.group.irrep(name).matrices
        return out

    def pack_index(self) -> tuple[list[str], np.ndarray]:
        """Index table to view a flat feature as a padded [..., types, channels, partners] array.

        Returns (names, idx): ``names`` the distinct irreps in order of first appearance; idx [len(names),
        max multiplicity, max irrep dim] with entries in [0, dim], ``dim`` meaning padding (zero). Indexing
        ``concat([x, 0])[..., idx]`` packs; each type gathers all its terms' channels in order.
        """
        names: list[str] = []
        for _, n in self.terms:
            if n not in names:
                names.append(n)
        cmax = max([self.count(n) for n in names] + [1])
        dmax = max([self._dims[n] for n in names] + [1])
        idx = np.full((len(names), cmax, dmax), self.dim, dtype=np.int64)
        filled = {n: 0 for n in names}
        for (mul, name), sl in zip(self.terms, self.slices()):
            d = self._dims[name]
            t = names.index(name)
            for c in range(mul):
                idx[t, filled[name] + c, :d] = sl.start + c * d + np.arange(d)
            filled[name] += mul
        return names, idx


def _parse(text: str, names: list[str]) -> list[tuple[int, str]]:
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
            m = re.fullmatch(r"(?:(\d+)\s*x\s*)?(.+)", "+".join(pieces[i:j]))
            if m and m.group(2).strip() in names:
                terms.append((int(m.group(1)) if m.group(1) else 1, m.group(2).strip()))
                i = j
                break
        else:
            raise ConfigError(f"cannot parse irreps layout {text!r}: known irreps are {names}")
    return terms
