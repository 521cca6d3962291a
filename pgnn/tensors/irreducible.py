"""Cartesian material tensors <-> their O(3) irreducible parts (e3nn irreps), change of basis computed once.

The change of basis Q [dim, (3,)*rank] comes from e3nn's `ReducedTensorProducts` (via `io.CartesianTensor`) on the
kind's index symmetry, computed in float64 and cached. Its rows are orthonormal: ``x = Q . T`` (irreps of T) and
``T = Q^T x`` reassembles every tensor with the index symmetry exactly; the irreducible parts of T carry the same
Frobenius norm as T. When T is rotated by R (``pgnn.tensors.rotate``), x transforms with
``basis(kind).irreps.D_from_matrix(R)``, the same convention as e3nn's spherical harmonics and layers, so an
equivariant network's output in these irreps maps to a correctly rotating Cartesian tensor.

| kind          | irreps               | dim |
|---------------|----------------------|-----|
| dielectric    | 1x0e + 1x2e          | 6   |
| piezoelectric | 2x1o + 1x2o + 1x3o   | 18  |
| elastic       | 2x0e + 2x2e + 1x4e   | 21  |
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
from e3nn import io, o3

from pgnn.tensors._backend import as_matrix, einsum, is_torch
from pgnn.tensors.kinds import TensorKind, tensor_kind


@dataclass(frozen=True)
class IrreducibleBasis:
    """Change of basis of one tensor kind.

    irreps: e3nn Irreps of the irreducible parts (dim = n_independent).
    Q: numpy float64 [irreps.dim, (3,)*rank], orthonormal rows.
    """

    kind: TensorKind
    irreps: o3.Irreps
    Q: np.ndarray

    @property
    def Q_flat(self) -> np.ndarray:
        """[dim, 3**rank] float64."""
        return self.Q.reshape(self.Q.shape[0], -1)

    def torch_Q(self, dtype=torch.float32, device=None) -> torch.Tensor:
        """Q as a torch tensor [dim, 3**rank] (flattened Cartesian axis), for registering as a buffer."""
        return torch.as_tensor(self.Q_flat, dtype=dtype, device=device)

    def isotropic_mask(self) -> np.ndarray:
        """[dim] bool: components of the 0e (rotation-invariant) parts."""
        return np.concatenate([np.full(ir.dim, ir.l == 0) for mul, ir in self.irreps for _ in range(mul)])


@functools.lru_cache(maxsize=None)
def basis(kind: str | TensorKind) -> IrreducibleBasis:
    """The cached change of basis of a tensor kind (computed in float64 on first use, ~0.5 s for elastic)."""
    k = tensor_kind(kind)
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        ct = io.CartesianTensor(k.formula)
        rtp = ct.reduced_tensor_products()
        Q = rtp.change_of_basis.detach().to(torch.float64).numpy().copy()
        irreps = o3.Irreps(ct).simplify()
    finally:
        torch.set_default_dtype(old)
    return IrreducibleBasis(kind=k, irreps=irreps, Q=Q)


def to_irreps(t, kind: str | TensorKind):
    """Cartesian tensor [..., (3,)*rank] -> irreducible parts [..., dim] (numpy or torch, same dtype).

    The part of t outside the kind's index symmetry (e.g. an antisymmetric part of eps_ij) is projected out.
    """
    b = basis(kind)
    r = b.kind.rank
    flat = t.reshape(*t.shape[:-r], 3**r) if is_torch(t) else t.reshape(t.shape[:-r] + (3**r,))
    return einsum("...c,dc->...d", flat, as_matrix(b.Q_flat, t))


def from_irreps(x, kind: str | TensorKind):
    """Irreducible parts [..., dim] -> Cartesian tensor [..., (3,)*rank] with the kind's index symmetry."""
    b = basis(kind)
    flat = einsum("...d,dc->...c", x, as_matrix(b.Q_flat, x))
    shape = tuple(x.shape[:-1]) + b.kind.cartesian_shape
    return flat.reshape(shape)
