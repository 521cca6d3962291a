"""The invariant read-out MLP shared by the CGCNN-style models."""

from __future__ import annotations

from torch import nn


def softplus_mlp(in_dim: int, hidden_dim: int, num_hidden: int, dropout: float = 0.0) -> tuple[nn.Sequential, int]:
    """`num_hidden` x (Linear -> Softplus -> Dropout) from `in_dim` features; returns (mlp, output width).

    With num_hidden = 0 the MLP is the identity and the width stays `in_dim`."""
    layers: list[nn.Module] = []
    width = in_dim
    for _ in range(num_hidden):
        layers += [nn.Linear(width, hidden_dim), nn.Softplus(), nn.Dropout(dropout)]
        width = hidden_dim
    return nn.Sequential(*layers), width
