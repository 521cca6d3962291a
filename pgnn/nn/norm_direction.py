"""A tensor read-out split into a size and a direction: the size from invariant features, the direction from an
equivariant tensor read-out.

    T_out = softplus(s) * T / sqrt(||T||^2 + eps^2)

T [B, 3, ..., 3] Cartesian (any rank), s [B] invariant; ||T|| is the Frobenius norm over all Cartesian components,
invariant under every orthogonal matrix, so T_out transforms as T does (under O(3) and under any point group in
its standard frame). T = 0 (a tensor the crystal's symmetry forbids) gives exactly 0. The size is learned apart
from the direction: a crystal with a tiny tensor costs the direction head nothing.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class NormTimesDirection(nn.Module):
    """forward(direction [B, 3, ..., 3], size_logit [B]) -> [B, 3, ..., 3]; eps in the units of `direction`."""

    def __init__(self, eps: float = 1e-3):
        super().__init__()
        self.eps = float(eps)

    def forward(self, direction: torch.Tensor, size_logit: torch.Tensor) -> torch.Tensor:
        flat = direction.reshape(direction.shape[0], -1)
        norm = torch.sqrt(flat.pow(2).sum(-1) + self.eps**2)
        scale = F.softplus(size_logit) / norm
        return direction * scale.reshape((-1,) + (1,) * (direction.dim() - 1))
