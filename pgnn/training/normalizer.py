"""Per-target normalization: y_norm = (y - mean) / std (scalars) or y / scale (tensors, stays a tensor)."""

from __future__ import annotations

import torch
from torch import nn

from pgnn.data.targets import KINDS, TargetSpec


class TargetNormalizer(nn.Module):
    """Buffers `mean_<name>` and `std_<name>` per target (saved with the weights)."""

    def __init__(self, targets: list[TargetSpec]):
        super().__init__()
        self.names = [t.name for t in targets]
        for t in targets:
            self.register_buffer(f"mean_{t.name}", torch.zeros(()))
            self.register_buffer(f"std_{t.name}", torch.ones(()))
        self.kinds = {t.name: t.kind for t in targets}

    @torch.no_grad()
    def fit(self, values: dict[str, torch.Tensor]) -> None:
        """Set the statistics from training values {name: [n, ...]}."""
        for name, v in values.items():
            v = v.double()
            if KINDS[self.kinds[name]].center:
                mean, std = v.mean(), v.std(unbiased=False)
            else:
                mean, std = torch.zeros(()), v.pow(2).mean().sqrt()
            getattr(self, f"mean_{name}").fill_(float(mean))
            getattr(self, f"std_{name}").fill_(max(float(std), 1e-8))

    def normalize(self, name: str, y: torch.Tensor) -> torch.Tensor:
        return (y - getattr(self, f"mean_{name}")) / getattr(self, f"std_{name}")

    def denormalize(self, name: str, y: torch.Tensor) -> torch.Tensor:
        return y * getattr(self, f"std_{name}") + getattr(self, f"mean_{name}")
