"""Small helpers so that every function in `pgnn.tensors` accepts numpy arrays and torch tensors alike."""

from __future__ import annotations

import numpy as np
import torch


def is_torch(x) -> bool:
    return isinstance(x, torch.Tensor)


def permute_last(x, perm: tuple[int, ...]):
    """Permute the last len(perm) axes of x by `perm` (indices relative to those axes); batch axes stay first."""
    nb = x.ndim - len(perm)
    order = list(range(nb)) + [nb + p for p in perm]
    return x.permute(*order) if is_torch(x) else np.transpose(x, order)


def as_index(idx: np.ndarray, like):
    """An integer index array in the backend of `like`."""
    return torch.tensor(np.asarray(idx), dtype=torch.long, device=like.device) if is_torch(like) else idx


def as_matrix(m: np.ndarray, like):
    """A float64 numpy constant in the backend, dtype and device of `like`."""
    if is_torch(like):
        return torch.as_tensor(m, dtype=like.dtype, device=like.device)
    return np.asarray(m, dtype=np.result_type(like.dtype, np.float64) if like.dtype.kind == "f" else np.float64)


def einsum(eq: str, *xs):
    return torch.einsum(eq, *xs) if is_torch(xs[0]) else np.einsum(eq, *xs)
