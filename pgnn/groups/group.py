"""The PointGroup class: elements, multiplication table, classes, irreps and the tables built on them.

All arrays are float64 numpy, computed once per group and cached on the instance (and the instance is
cached by ``pgnn.groups.point_group``). Element order is fixed (see ``elements.py``): index 0 is the
identity, and every per-element array (irrep matrices, characters, ``rep_matrices`` arguments) uses it.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from pgnn.groups import coupling as _coupling
from pgnn.groups.characters import CharacterTable, conjugacy_classes
from pgnn.groups.elements import GROUP_DATA, NAMED, element_symbol, index_in, matrices
from pgnn.groups.irreps import Irrep, build_irreps
from pgnn.groups.projection import copies, decompose_rep, multiplicities, projector

__all__ = ["PointGroup"]

_LATTICE_HOLOHEDRY = {"Ci": "Oh", "C2h": "Oh", "D2h": "Oh", "D4h": "Oh", "Oh": "Oh", "D3d": "D6h", "D6h": "D6h"}


class PointGroup:
    """A crystallographic point group in its standard orientation.

    Attributes: name (Schoenflies), hm (Hermann-Mauguin), order N, elements [N, 3, 3] (Cartesian,
    orthogonal), table [N, N] (table[i, j] = index of g_i g_j), inverse [N], classes (index arrays),
    generators (element indices), holohedry (crystal-system holohedry), lattice_holohedry ("Oh" or
    "D6h": the group is a subgroup of it, same frame), irreps (list of Irrep).
    """

    def __init__(self, name: str):
        data = GROUP_DATA[name]
        self.name = name
        self.hm = data["hm"]
        self.aliases = list(data["aliases"])
        self.crystal_system = data["system"]
        self.holohedry = data["holo"]
        self.lattice_holohedry = _LATTICE_HOLOHEDRY[data["holo"]]
        self._meta = data
        el = matrices(name)
        el.setflags(write=False)
        self.elements = el
        self.order = len(el)
        prod = np.einsum("iab,jbc->ijac", el, el).reshape(self.order * self.order, 9)
        dist = ((prod[:, None, :] - el.reshape(1, self.order, 9)) ** 2).sum(-1)
        self.table = dist.argmin(1).reshape(self.order, self.order)
        self.table.setflags(write=False)
        self.inverse = np.argmax(self.table == 0, axis=1)
        self.classes = conjugacy_classes(self.table, self.inverse)
        self.generators = [self.element_index(NAMED[g]) for g in data["gens"]]
        self._coupling_cache: dict = {}
        self._subduction_cache: dict = {}
        self._tensor_cache: dict = {}

    # ------------------------------------------------------------------ elements
    def element_index(self, matrix, tol: float = 1e-6) -> int:
        """Index of the element equal to ``matrix`` (3x3) within ``tol``; KeyError if absent."""
        m = np.asarray(matrix, dtype=np.float64).reshape(1, 3, 3)
        d = np.abs(self.elements - m).reshape(self.order, 9).max(1)
        i = int(np.argmin(d))
        if d[i] > tol:
            raise KeyError(f"matrix is not an element of {self.name}")
        return i

    def element_symbols(self) -> list[str]:
        """Seitz-like symbols of the elements, e.g. '4+[0,0,1]', 'm[1,0,0]'."""
        return [element_symbol(g) for g in self.elements]

    @cached_property
    def lattice_indices(self) -> np.ndarray:
        """[N] indices of this group's elements among point_group(lattice_holohedry).elements."""
        idx = index_in(self.elements, self.lattice_holohedry)
        idx.setflags(write=False)
        return idx

    @property
    def has_inversion(self) -> bool:
        return bool(np.any(np.all(np.abs(self.elements + np.eye(3)) < 1e-9, axis=(1, 2))))

    # ------------------------------------------------------------------ irreps
    @cached_property
    def irreps(self) -> list[Irrep]:
        return build_irreps(self.elements, self.table, self._meta)

    @property
    def irrep_names(self) -> list[str]:
        return [ir.name for ir in self.irreps]

    def irrep(self, key) -> Irrep:
        """The irrep with this name (or index, or the Irrep itself)."""
        if isinstance(key, Irrep):
            return key
        if isinstance(key, (int, np.integer)):
            return self.irreps[int(key)]
        for ir in self.irreps:
            if ir.name == key:
                return ir
        raise KeyError(f"{self.name} has no irrep {key!r}; irreps are {self.irrep_names}")

    @cached_property
    def trivial_irrep(self) -> str:
        """Name of the trivial (totally symmetric) irrep: one-dimensional, every matrix equal to 1."""
        for ir in self.irreps:
            if ir.dim == 1 and np.allclose(ir.matrices, 1.0):
                return ir.name
        raise RuntimeError(f"{self.name} has no trivial irrep")  # pragma: no cover - every group has one

    def layout(self, terms=""):
        """A ``PGIrreps`` feature layout of this group, e.g. ``G.layout("8xA1g + 2xT1u")``."""
        from pgnn.groups.layout import PGIrreps

        return PGIrreps(self, terms)

    @cached_property
    def characters(self) -> np.ndarray:
        """[n_irreps, N] real characters per element."""
        return np.array([ir.characters for ir in self.irreps])

    def character_table(self) -> CharacterTable:
        """Character table by class (classes in order of their first element)."""
        reps = [c[0] for c in self.classes]
        return CharacterTable(
            group=self.name,
            irreps=self.irrep_names,
            classes=[element_symbol(self.elements[i]) for i in reps],
            class_sizes=[len(c) for c in self.classes],
            class_elements=[c.tolist() for c in self.classes],
            values=self.characters[:, reps],
        )

    # ------------------------------------------------------------------ coupling
    @cached_property
    def coupling_multiplicities(self) -> np.ndarray:
        """[n, n, n] int: m[a, b, c] = <chi_a chi_b, chi_c> / commutant_dim(c)."""
        chi = self.characters
        cdim = np.array([ir.commutant_dim for ir in self.irreps], dtype=np.float64)
        m = np.einsum("ag,bg,cg->abc", chi, chi, chi) / self.order / cdim[None, None, :]
        return np.rint(m).astype(int)

    def coupling(self, a, b, c, method: str = "dirl") -> np.ndarray:
        """Coupling tensors [m, d_a, d_b, d_c] for a (x) b -> c (m may be 0); conventions in
        ``pgnn.groups.coupling``. method: "dirl" (default, deterministic) or "nullspace"."""
        A, B, C = self.irrep(a), self.irrep(b), self.irrep(c)
        key = (A.index, B.index, C.index, method)
        if key not in self._coupling_cache:
            m = int(self.coupling_multiplicities[A.index, B.index, C.index])
            if method == "dirl":
                U = _coupling.dirl(A.matrices, B.matrices, C.matrices, m)
            elif method == "nullspace":
                U = _coupling.nullspace(A.matrices, B.matrices, C.matrices, self.generators, m)
            else:
                raise ValueError(f"unknown coupling method {method!r}")
            if U.shape[0] != m:
                raise RuntimeError(f"{self.name}: {A.name} x {B.name} -> {C.name}: got {U.shape[0]} copies, expected {m}")
            U.setflags(write=False)
            self._coupling_cache[key] = U
        return self._coupling_cache[key]

    def intertwiners(self, a, b, c) -> np.ndarray:
        """Basis [m * commutant_dim(c), d_a, d_b, d_c] of all equivariant bilinear maps a x b -> c:
        U[p] @ C_r for each copy p and commutant basis matrix C_r of c (orthonormal: Frobenius norm^2 d_c)."""
        U = self.coupling(a, b, c)
        J = self.irrep(c).commutant
        return np.einsum("pijk,rkl->prijl", U, J).reshape(-1, *U.shape[1:])

    def coupling_table(self, method: str = "dirl") -> dict:
        """{(a_name, b_name, c_name): U [m, da, db, dc]} for every triple with m > 0 (a new dict of
        cached read-only arrays)."""
        key = ("table", method)
        if key not in self._coupling_cache:
            out = {}
            m = self.coupling_multiplicities
            for ia, ib, ic in zip(*np.nonzero(m)):
                A, B, C = self.irreps[ia], self.irreps[ib], self.irreps[ic]
                out[(A.name, B.name, C.name)] = self.coupling(ia, ib, ic, method)
            self._coupling_cache[key] = out
        return dict(self._coupling_cache[key])

    def coupling_paths(self) -> list[tuple[int, int, int, np.ndarray]]:
        """[(ia, ib, ic, U)] over all triples with m > 0, irrep indices into ``irreps`` (for layers)."""
        if "paths" not in self._coupling_cache:
            m = self.coupling_multiplicities
            self._coupling_cache["paths"] = [
                (int(a), int(b), int(c), self.coupling(a, b, c)) for a, b, c in zip(*np.nonzero(m))
            ]
        return list(self._coupling_cache["paths"])

    def coupling_array(self) -> tuple[np.ndarray, np.ndarray]:
        """All coupling tensors as one zero-padded array, for layers that gather by irrep index.

        Returns (U [n, n, n, M, 3, 3, 3], mult [n, n, n]) with n irreps, M the largest multiplicity:
        U[a, b, c, p, :d_a, :d_b, :d_c] = coupling(a, b, c)[p] for p < mult[a, b, c], zeros elsewhere.
        """
        if "array" not in self._coupling_cache:
            n = len(self.irreps)
            mult = self.coupling_multiplicities
            U = np.zeros((n, n, n, max(1, int(mult.max())), 3, 3, 3))
            for a, b, c, T in self.coupling_paths():
                U[a, b, c, : T.shape[0], : T.shape[1], : T.shape[2], : T.shape[3]] = T
            U.setflags(write=False)
            self._coupling_cache["array"] = (U, mult)
        return self._coupling_cache["array"]

    # ------------------------------------------------------------------ projection / decomposition
    def projector(self, rep_matrices, irrep, i: int | None = None, j: int | None = None) -> np.ndarray:
        """P^alpha_ij = (d/N) sum_g D^alpha(g)_ij rep(g) for rep_matrices [N, n, n] (element order).

        Returns [d, d, n, n] (all i, j) or [n, n] when i and j are given. P^alpha_kk projects onto the
        k-th partner; sum_k P^alpha_kk is the projector onto the alpha-isotypic part.
        """
        P = projector(self.irrep(irrep).matrices, np.asarray(rep_matrices, dtype=np.float64))
        if i is None and j is None:
            return P
        return P[i, j]

    def decompose(self, rep_matrices) -> tuple[list, np.ndarray]:
        """(list of (irrep_name, multiplicity), Q [n, n] orthogonal) with Q rep(g) Q^T block diagonal,
        blocks = the copies of each irrep in ``irreps`` order. rep_matrices [N, n, n], orthogonal."""
        return decompose_rep(self.irreps, np.asarray(rep_matrices, dtype=np.float64))

    def multiplicities(self, rep_matrices) -> dict:
        """{irrep_name: multiplicity} of a representation [N, n, n] (from characters only)."""
        chi = np.einsum("gii->g", np.asarray(rep_matrices, dtype=np.float64))
        m = multiplicities(self.characters, [ir.commutant_dim for ir in self.irreps], chi)
        return {ir.name: int(k) for ir, k in zip(self.irreps, m)}

    def copies(self, rep_matrices, irrep) -> np.ndarray:
        """The copies [m, d, n] of one irrep inside a representation (rows orthonormal)."""
        ir = self.irrep(irrep)
        D = np.asarray(rep_matrices, dtype=np.float64)
        m = self.multiplicities(D)[ir.name]
        return copies(ir.matrices, D, m)

    # ------------------------------------------------------------------ O(3) subduction
    def subduce(self, l: int, parity) -> tuple[list, np.ndarray]:
        """O(3) irrep (l, parity) -> (list of (irrep_name, multiplicity), Q [2l+1, 2l+1]) with
        Q D^{l,p}(g) Q^T = block_diag(irreps); D in e3nn's real-harmonic basis. See ``subduction.py``."""
        from pgnn.groups.subduction import parse_parity, subduce

        key = (int(l), parse_parity(parity))
        if key not in self._subduction_cache:
            out, Q = subduce(self, *key)
            Q.setflags(write=False)
            self._subduction_cache[key] = (out, Q)
        out, Q = self._subduction_cache[key]
        return list(out), Q

    def harmonics(self, ls):
        """(layout, Q) of e3nn's real spherical harmonics of the degrees ``ls`` (each with parity (-1)^l, stacked
        in order) in irreps of this group; Q block diagonal over degrees, orthogonal. See ``subduction.py``."""
        from pgnn.groups.subduction import harmonics_subduction

        return harmonics_subduction(self, ls)

    def orbital_basis(self, shells: str = "spd"):
        """(layout, Q) of atomic orbital shells (letters of "spdf") in irreps of this group. See ``subduction.py``."""
        from pgnn.groups.subduction import orbital_basis

        return orbital_basis(self, shells)

    # ------------------------------------------------------------------ Cartesian tensors
    def tensor_space(self, formula: str):
        """The ``TensorSpace`` of a Cartesian tensor with index symmetry ``formula`` under this group."""
        from pgnn.groups.tensors import tensor_space

        if formula not in self._tensor_cache:
            self._tensor_cache[formula] = tensor_space(self, formula)
        return self._tensor_cache[formula]

    def tensor_basis(self, formula: str) -> tuple[int, np.ndarray]:
        """(n_independent, basis [n, 3, ..., 3]) of the tensors allowed by Neumann's principle
        (invariant under every element), orthonormal in the Frobenius inner product."""
        ts = self.tensor_space(formula)
        return ts.n_independent, ts.basis

    # ------------------------------------------------------------------ misc
    def __repr__(self) -> str:
        return f"PointGroup({self.name} = {self.hm}, order {self.order})"
