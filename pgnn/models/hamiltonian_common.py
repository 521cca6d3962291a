"""What the Hamiltonian model families share: the sample of one crystal, batching, and the frame rotation.

A Hamiltonian model (class attribute `task = "hamiltonian"`) predicts every block H_ij(R) of the pairs within its
`cutoff` (`pgnn.hamiltonians.pairs`) in the padded orbital layout of its `slots`, in eV, in the frame of the input
cell: forward(batch) -> H [P, n_slot_orb, n_slot_orb], with H[partner] = H^T exactly.

`prepare(model_config, cell, positions, numbers, bases, blocks=None, source)` -> sample (numpy; see
`crystal_sample`), plus for point-group models the rotation to the standard frame and the model group
(`rot` [3, 3], r_std = rot r_input; `group` index) and `Drot` [n, n], the padded layout's real-harmonic matrix of
`rot` (block diagonal over slots, o3_rep(l, (-1)^l, rot)). `collate(samples)` -> one batch dict of torch tensors
(float64 geometry; atom, pair and edge indices offset per crystal; `atom_graph`, `pair_graph` [.] graph index).
"""

from __future__ import annotations

import numpy as np
import torch

from pgnn.groups.harmonics import o3_rep
from pgnn.hamiltonians.pairs import crystal_sample, slot_ls

INDEX_KEYS = {"pair_i": "atom", "pair_j": "atom", "edge_src": "atom", "edge_dst": "atom", "partner": "pair"}


def slot_rotation(slots: str, rot: np.ndarray) -> np.ndarray:
    """Block-diagonal [n, n] real-harmonic matrix of the O(3) element `rot` on the padded layout of `slots`."""
    blocks = [o3_rep(l, (-1) ** l, rot)[0] for l in slot_ls(slots)]
    n = sum(b.shape[0] for b in blocks)
    D = np.zeros((n, n))
    o = 0
    for b in blocks:
        D[o:o + len(b), o:o + len(b)] = b
        o += len(b)
    return D


def prepare(cfg: dict, cell, positions, numbers, bases, blocks=None, source: str = "", frame_groups=None) -> dict:
    """One crystal's sample for a model of resolved options `cfg` (keys slots, cutoff, conv_cutoff, symprec).
    frame_groups: the point-group model's groups (e.g. ("Oh", "D6h")): adds rot, group, Drot; None: the O(3)
    model (rot = identity)."""
    s = crystal_sample(cell, positions, numbers, bases, cfg["slots"], cfg["cutoff"], cfg["conv_cutoff"],
                       blocks=blocks, source=source)
    if frame_groups is not None:
        from pymatgen.core import Lattice, Structure

        from pgnn.structures.standard_frame import standard_frame

        st = Structure(Lattice(np.asarray(cell, float)), [int(z) for z in numbers], np.asarray(positions, float),
                       coords_are_cartesian=True)
        fr = standard_frame(st, list(frame_groups), symprec=float(cfg.get("symprec", 0.01)), source=source)
        s["rot"], s["group"] = np.asarray(fr.rotation, float), int(fr.group_index)
    else:
        s["rot"], s["group"] = np.eye(3), 0
    s["Drot"] = slot_rotation(cfg["slots"], s["rot"])
    return s


def collate(samples: list[dict]) -> dict:
    """Batch dict of torch tensors (see module docstring)."""
    out: dict = {}
    n_atoms = np.cumsum([0] + [len(s["z"]) for s in samples])
    n_pairs = np.cumsum([0] + [len(s["pair_i"]) for s in samples])
    keys = [k for k in samples[0] if k not in ("rot", "group", "Drot")]
    for k in keys:
        parts = []
        for b, s in enumerate(samples):
            v = s[k]
            if k in INDEX_KEYS:
                v = v + (n_atoms[b] if INDEX_KEYS[k] == "atom" else n_pairs[b])
            parts.append(v)
        arr = np.concatenate(parts)
        if arr.dtype == np.float64 or arr.dtype == np.float32:
            out[k] = torch.as_tensor(arr, dtype=torch.float64)
        elif arr.dtype == bool:
            out[k] = torch.as_tensor(arr)
        else:
            out[k] = torch.as_tensor(arr, dtype=torch.long)
    out["rot"] = torch.as_tensor(np.stack([s["rot"] for s in samples]), dtype=torch.float64)
    out["Drot"] = torch.as_tensor(np.stack([s["Drot"] for s in samples]), dtype=torch.float64)
    out["group"] = torch.as_tensor([s["group"] for s in samples], dtype=torch.long)
    out["atom_graph"] = torch.as_tensor(np.repeat(np.arange(len(samples)), np.diff(n_atoms)), dtype=torch.long)
    out["pair_graph"] = torch.as_tensor(np.repeat(np.arange(len(samples)), np.diff(n_pairs)), dtype=torch.long)
    out["num_graphs"] = len(samples)
    return out


def symmetrize_pairs(H: torch.Tensor, partner: torch.Tensor) -> torch.Tensor:
    """(f(i, j, R) + f(j, i, -R)^T) / 2: H[partner] = H^T exactly. H [P, n, n]."""
    return 0.5 * (H + H[partner].transpose(1, 2))


def onsite_bias(embedding: torch.nn.Embedding, z: torch.Tensor, slot_of_orb: torch.Tensor) -> torch.Tensor:
    """Per-element, per-slot on-site level times the identity of each shell: [N, n, n] (invariant, eV)."""
    e = embedding(z)[:, slot_of_orb]  # [N, n]
    return torch.diag_embed(e)


def slot_of_orbital(slots: str) -> np.ndarray:
    return np.concatenate([np.full(2 * l + 1, k) for k, l in enumerate(slot_ls(slots))]).astype(np.int64)


def best_shift(d: torch.Tensor, S: torch.Tensor, mask: torch.Tensor, pair_graph: torch.Tensor, num_graphs: int):
    """Per crystal, the c minimizing sum |d - c S|^2 over the masked entries (d = H_pred - H_ref, eV): [B].

    Energies of a periodic engine have no absolute reference: F -> F + c S moves every level by c (F C = S C e
    with C C^T = S^-1), so the data's blocks are defined up to c S per crystal."""
    dm, Sm = (d * mask), (S * mask)
    num = d.new_zeros(num_graphs).index_add_(0, pair_graph, (dm * Sm).sum((1, 2)))
    den = d.new_zeros(num_graphs).index_add_(0, pair_graph, (Sm * Sm).sum((1, 2)))
    return num / den.clamp(min=1e-12)


@torch.no_grad()
def fit_levels(embedding: torch.nn.Embedding, samples: list[dict], slots: str, iterations: int = 20) -> None:
    """Set each element's per-slot on-site level (the `onsite_bias` table, eV) from the training on-site blocks:
    alternating least squares of diag(H_ii) = level[z, slot] + c_crystal (the crystal's energy reference, see
    `best_shift`), so that the network learns deviations. Elements without data keep their levels."""
    so = slot_of_orbital(slots)
    rows = []  # (crystal, z, slot, value)
    for k, s in enumerate(samples):
        if "target" not in s:
            continue
        on = np.nonzero(s["onsite"])[0]
        for p in on:
            z = int(s["z"][s["pair_i"][p]])
            m = np.diagonal(s["target_mask"][p])
            for o in np.nonzero(m)[0]:
                rows.append((k, z, int(so[o]), float(s["target"][p][o, o])))
    if not rows:
        return
    cr, zz, sl, val = (np.array(c) for c in zip(*rows))
    n_c = int(cr.max()) + 1
    key = zz * len(slot_ls(slots)) + sl
    uk, inv = np.unique(key, return_inverse=True)
    lev = np.zeros(len(uk))
    c = np.zeros(n_c)
    for _ in range(iterations):
        c = np.bincount(cr, val - lev[inv], n_c) / np.maximum(np.bincount(cr, None, n_c), 1)
        lev = np.bincount(inv, val - c[cr], len(uk)) / np.bincount(inv, None, len(uk))
    lev -= np.median(lev)
    w = embedding.weight
    for k, v in zip(uk.tolist(), lev.tolist()):
        w[k // len(slot_ls(slots)), k % len(slot_ls(slots))] = v
