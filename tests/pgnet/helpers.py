"""Small random periodic inputs and transformation helpers for the point-group network tests."""

from __future__ import annotations

import numpy as np
import torch
from torch_geometric.data import Batch, Data

from pgnn.graphs import neighbor_list


def random_crystal_graph(seed: int, n_atoms: int = 3, cutoff: float = 3.2, max_neighbors: int = 6) -> Data:
    """A random, non-symmetric periodic structure as a float64 crystal graph (pos, cell, edge_index, edge_shift)."""
    rng = np.random.default_rng(seed)
    cell = np.diag([3.0, 3.3, 3.6]) + 0.4 * rng.standard_normal((3, 3))
    frac = rng.random((n_atoms, 3))
    pos = frac @ cell
    nb = neighbor_list(pos, cell, cutoff=cutoff, max_neighbors=max_neighbors)
    return Data(
        z=torch.as_tensor(rng.integers(1, 30, n_atoms)),
        pos=torch.as_tensor(pos),
        cell=torch.as_tensor(cell).unsqueeze(0),
        edge_index=torch.as_tensor(np.stack([nb.neighbor, nb.center])),
        edge_shift=torch.as_tensor(nb.shift, dtype=torch.float64),
        site_class=torch.as_tensor(rng.integers(0, 32, n_atoms)),
        pg_rot=torch.eye(3, dtype=torch.float64).unsqueeze(0),
        pg_group=torch.zeros(1, dtype=torch.long),
        num_nodes=n_atoms,
    )


def transformed(data: Data, R: np.ndarray, perm: np.ndarray | None = None) -> Data:
    """The same crystal with every Cartesian vector mapped by R (proper or improper) and atoms reordered by perm
    (new atom k is old atom perm[k]); edges follow the atoms."""
    R = torch.as_tensor(np.array(R, dtype=np.float64))
    out = data.clone()
    out.pos = data.pos @ R.T
    out.cell = data.cell @ R.T
    if perm is not None:
        perm = torch.as_tensor(perm)
        inv = torch.empty_like(perm)
        inv[perm] = torch.arange(len(perm))
        out.z, out.pos, out.site_class = data.z[perm], out.pos[perm], data.site_class[perm]
        out.edge_index = inv[data.edge_index]
    return out


def edge_vec(data) -> torch.Tensor:
    """[E, 3] edge vectors of a Data or Batch (float64)."""
    src, dst = data.edge_index
    gb = data.batch if getattr(data, "batch", None) is not None else torch.zeros_like(data.z)
    cell = data.cell.reshape(-1, 3, 3)[gb[dst]]
    return data.pos[src] + torch.einsum("ek,ekl->el", data.edge_shift, cell) - data.pos[dst]


def batch_of(*graphs: Data) -> Batch:
    return Batch.from_data_list(list(graphs))


def rotate(t: torch.Tensor, R) -> torch.Tensor:
    """Rotate a [B, 3, ..., 3] tensor (or pass a [B] scalar through) by one 3x3 matrix R."""
    R = torch.as_tensor(R, dtype=t.dtype)
    for k in range(1, t.dim()):
        t = torch.movedim(torch.tensordot(torch.movedim(t, k, -1), R, dims=([-1], [1])), -1, k)
    return t
