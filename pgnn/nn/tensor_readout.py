"""Per-crystal read-outs of O(3) node features: a scalar (0e) and a Cartesian material tensor.

Both pool node features per crystal (mean over atoms: the targets are intensive), then map linearly
(`o3.Linear`, which only connects equal irreps, so the map is equivariant) to the target's irreps:

- ScalarReadout: -> 1x0e -> [B].
- TensorReadout: -> the kind's irreps (dielectric 0e+2e, piezoelectric 2x1o+2o+3o, elastic 2x0e+2x2e+4e),
  times `scale`, plus `iso_offset` on the 0e parts (a rotation-invariant shift, e.g. the training mean of the
  isotropic parts), then to the Cartesian tensor [B, 3, ..., 3] with `pgnn.tensors.irreducible.basis(kind).Q`.
  The output rotates as the tensor of the input frame: T(g x) = g . T(x) for every g in O(3).
"""

from __future__ import annotations

import torch
from e3nn import o3
from torch import nn

from pgnn.nn.pooling import graph_mean
from pgnn.tensors.irreducible import basis
from pgnn.tensors.kinds import tensor_kind


mean_pool = graph_mean  # the one mean pooling (pgnn.nn.pooling), under the name this module's callers use


class ScalarReadout(nn.Module):
    """Node features [N, irreps_in] -> per-crystal scalar [B] (mean pool, o3.Linear to 1x0e with a bias)."""

    def __init__(self, irreps_in):
        super().__init__()
        self.linear = o3.Linear(o3.Irreps(irreps_in), o3.Irreps("1x0e"), biases=True)

    def forward(self, x, batch, num_graphs):
        return self.linear(mean_pool(x, batch, num_graphs)).squeeze(-1)


class TensorReadout(nn.Module):
    """Node features [N, irreps_in] -> Cartesian tensor [B, (3,)*rank] of a material tensor kind (data units).

    Args:
        irreps_in: layout of the node features; must contain every irrep of the kind (else ValueError).
        kind: "dielectric" | "piezoelectric" | "elastic".
        scale: multiplies the irreducible output (typical size of the target, e.g. its component RMS).
        iso_offset: [n_0e] added to the 0e parts (None = zeros).
    Buffers Q [dim, 3**rank], scale [], iso_offset [dim] (zero outside 0e parts) follow .to(dtype).
    """

    def __init__(self, irreps_in, kind: str, scale: float = 1.0, iso_offset=None):
        super().__init__()
        self.kind = tensor_kind(kind)
        b = basis(self.kind)
        self.irreps_out = b.irreps
        irreps_in = o3.Irreps(irreps_in)
        missing = [str(ir) for _, ir in b.irreps if ir not in irreps_in]
        if missing:
            raise ValueError(f"{self.kind.name} read-out needs irreps {missing} in the node features {irreps_in}")
        self.linear = o3.Linear(irreps_in, b.irreps, biases=True)
        dtype = torch.get_default_dtype()
        self.register_buffer("Q", b.torch_Q(dtype))
        self.register_buffer("scale", torch.tensor(float(scale), dtype=dtype))
        mask = torch.as_tensor(b.isotropic_mask())
        off = torch.zeros(b.irreps.dim, dtype=dtype)
        if iso_offset is not None:
            off[mask] = torch.as_tensor(iso_offset, dtype=dtype)
        self.register_buffer("iso_offset", off)
        self.register_buffer("iso_mask", mask)

    def set_statistics(self, scale: float, iso_offset=None) -> None:
        """Set the output scale and the 0e offset (e.g. from training tensors via `tensor_statistics`)."""
        self.scale.fill_(float(scale))
        self.iso_offset.zero_()
        if iso_offset is not None:
            self.iso_offset[self.iso_mask] = torch.as_tensor(iso_offset, dtype=self.iso_offset.dtype)

    def irreps(self, x, batch, num_graphs) -> torch.Tensor:
        """[B, dim] irreducible parts in data units."""
        return self.linear(mean_pool(x, batch, num_graphs)) * self.scale + self.iso_offset

    def forward(self, x, batch, num_graphs) -> torch.Tensor:
        flat = self.irreps(x, batch, num_graphs) @ self.Q
        return flat.reshape((flat.shape[0],) + self.kind.cartesian_shape)


def tensor_statistics(tensors, kind: str) -> tuple[float, list[float]]:
    """(scale, iso_offset) of Cartesian training tensors [n, (3,)*rank] of a kind: the mean of each 0e part, and
    the RMS of the irreducible components after subtracting it. Both are rotation invariant, so a read-out that
    uses them stays exactly equivariant."""
    from pgnn.tensors.irreducible import to_irreps

    t = torch.as_tensor(tensors, dtype=torch.float64)
    b = basis(kind)
    x = to_irreps(t, kind)
    mask = torch.as_tensor(b.isotropic_mask())
    iso = x[:, mask].mean(0) if mask.any() else torch.zeros(0, dtype=torch.float64)
    centred = x.clone()
    centred[:, mask] -= iso
    scale = float(centred.pow(2).mean().sqrt()) or 1.0
    return scale, iso.tolist()
