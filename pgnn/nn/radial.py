"""Radial bases of an interatomic distance and smooth cutoff envelopes (distances in Angstrom)."""

from __future__ import annotations

import math

import torch
from torch import nn


class GaussianBasis(nn.Module):
    """exp(-(d - mu_k)^2 / width^2) on `num` centres mu_k evenly spaced in [start, stop] (CGCNN's expansion).

    Input d [E] (Angstrom) -> [E, num]. width defaults to the centre spacing.
    """

    def __init__(self, start: float = 0.0, stop: float = 8.0, num: int = 41, width: float | None = None):
        super().__init__()
        centers = torch.linspace(start, stop, num)
        self.register_buffer("centers", centers)
        self.width = float(width) if width is not None else float((stop - start) / max(num - 1, 1))
        self.num = num

    def forward(self, d: torch.Tensor) -> torch.Tensor:
        return torch.exp(-((d.unsqueeze(-1) - self.centers) ** 2) / self.width**2)


class BesselBasis(nn.Module):
    """sqrt(2/c) sin(k pi d / c) / d, k = 1..num (DimeNet / NequIP), d [E] -> [E, num]; `trainable` frequencies.

    The one radial basis of the package (times `polynomial_cutoff` for a smooth envelope). `unit_argument=True`
    evaluates the same function as sin((k pi) (d / c)) with the multiples k pi kept in float64 (not trained, not
    saved): the float rounding the point-group layers have always used, so their trained models keep predicting
    the same numbers; the default evaluates sin((k pi / c) d) as the O(3) layers always have.
    """

    def __init__(self, cutoff: float, num: int = 8, trainable: bool = False, unit_argument: bool = False):
        # cutoff (Angstrom): from the model
        super().__init__()
        self.cutoff = float(cutoff)
        self.num = num
        self.unit_argument = bool(unit_argument)
        if self.unit_argument:
            if trainable:
                raise ValueError("unit_argument=True has fixed frequencies")
            self.freqs = None
            self.register_buffer("multiples", torch.arange(1, num + 1, dtype=torch.float64) * math.pi,
                                 persistent=False)
            return
        freqs = torch.arange(1, num + 1, dtype=torch.get_default_dtype()) * math.pi / cutoff
        self.freqs = nn.Parameter(freqs) if trainable else None
        if not trainable:
            self.register_buffer("fixed_freqs", freqs)

    def forward(self, d: torch.Tensor) -> torch.Tensor:
        if self.unit_argument:
            arg = self.multiples.to(d.dtype) * (d.unsqueeze(-1) / self.cutoff)
            return math.sqrt(2.0 / self.cutoff) * torch.sin(arg) / d.unsqueeze(-1).clamp_min(1e-9)
        freqs = self.freqs if self.freqs is not None else self.fixed_freqs
        d = d.unsqueeze(-1).clamp_min(1e-9)
        return math.sqrt(2.0 / self.cutoff) * torch.sin(freqs * d) / d


def cosine_cutoff(d: torch.Tensor, cutoff: float) -> torch.Tensor:
    """0.5 (cos(pi d / c) + 1) for d < c, else 0: smooth to first order at the cutoff. [E] -> [E]."""
    return torch.where(d < cutoff, 0.5 * (torch.cos(math.pi * d / cutoff) + 1.0), torch.zeros_like(d))


def polynomial_cutoff(d: torch.Tensor, cutoff: float, p: int = 6) -> torch.Tensor:
    """NequIP's polynomial envelope of degree p: 1 at 0, zero with p-1 derivatives at the cutoff. [E] -> [E]."""
    x = d / cutoff
    out = (
        1.0
        - (p + 1.0) * (p + 2.0) / 2.0 * x**p
        + p * (p + 2.0) * x ** (p + 1)
        - p * (p + 1.0) / 2.0 * x ** (p + 2)
    )
    return out * (x < 1.0).to(d.dtype)
