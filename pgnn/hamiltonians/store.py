"""On-disk form of `RealSpaceBlocks`: npz (no pickle), one crystal per file or many per shard.

Only the Hermitian half is stored: the pairs (i, j, R) with R > 0 (lexicographically) or R = 0 and i <= j; the
other half is H_ji(-R) = H_ij(R)^T, so Hermiticity is exact in what is stored. Blocks are row-major, concatenated
in pair order, H in eV and S dimensionless, in ``dtype`` (float32 by default).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from pgnn.errors import HamiltonianError
from pgnn.hamiltonians.basis import OrbitalBasis
from pgnn.hamiltonians.blocks import RealSpaceBlocks

__all__ = ["to_arrays", "from_arrays", "save_blocks", "load_blocks", "write_shard", "read_shard", "atomic_write_bytes"]


def _half_pairs(b: RealSpaceBlocks):
    off = b.orbital_offsets()
    N = len(b.numbers)
    out = []
    for r, R in enumerate(b.R.tolist()):
        pos = tuple(R) > (0, 0, 0)
        zero = tuple(R) == (0, 0, 0)
        if not (pos or zero):
            continue
        for i in range(N):
            for j in range(N):
                if zero and j < i:
                    continue
                h = b.H[r, off[i]:off[i + 1], off[j]:off[j + 1]]
                s = b.S[r, off[i]:off[i + 1], off[j]:off[j + 1]]
                if np.any(h != 0) or np.any(s != 0):
                    out.append((i, j, r))
    return out


def to_arrays(b: RealSpaceBlocks, dtype=np.float32) -> dict[str, np.ndarray]:
    """Arrays of one crystal: cell, positions, numbers, pair_i, pair_j, pair_R, H, S (flat), bases (JSON)."""
    off = b.orbital_offsets()
    pairs = _half_pairs(b)
    Hf, Sf = [], []
    for i, j, r in pairs:
        Hf.append(b.H[r, off[i]:off[i + 1], off[j]:off[j + 1]].ravel())
        Sf.append(b.S[r, off[i]:off[i + 1], off[j]:off[j + 1]].ravel())
    p = np.array(pairs, dtype=np.int64).reshape(-1, 3)
    bases = {str(z): bb.to_dict() for z, bb in b.bases.items()}
    return {
        "cell": np.asarray(b.cell, dtype=np.float64), "positions": np.asarray(b.positions, dtype=np.float64),
        "numbers": np.asarray(b.numbers, dtype=np.int32),
        "pair_i": p[:, 0].astype(np.int32), "pair_j": p[:, 1].astype(np.int32),
        "pair_R": b.R[p[:, 2]].astype(np.int32).reshape(-1, 3),
        "H": np.concatenate(Hf).astype(dtype), "S": np.concatenate(Sf).astype(dtype),
        "bases": np.array(json.dumps(bases)), "engine": np.array(b.engine),
        "cutoff": np.array(float(b.cutoff)),
    }


def from_arrays(a: dict, source: str = "") -> RealSpaceBlocks:
    """Rebuild the dense blocks (both halves, float64) from `to_arrays` output."""
    bases = {int(z): OrbitalBasis.from_dict(d) for z, d in json.loads(str(a["bases"])).items()}
    numbers = np.asarray(a["numbers"], dtype=int)
    missing = sorted(set(numbers.tolist()) - set(bases))
    if missing:
        raise HamiltonianError(source, f"no orbital basis stored for Z = {missing}")
    n = np.array([bases[int(z)].n_orb for z in numbers])
    off = np.concatenate([[0], np.cumsum(n)])
    Rh = np.asarray(a["pair_R"], dtype=int).reshape(-1, 3)
    Rs = sorted({tuple(r) for r in Rh.tolist()} | {tuple(-x for x in r) for r in Rh.tolist()})
    index = {r: k for k, r in enumerate(Rs)}
    no = int(off[-1])
    H = np.zeros((len(Rs), no, no))
    S = np.zeros((len(Rs), no, no))
    Hf, Sf = np.asarray(a["H"], dtype=float), np.asarray(a["S"], dtype=float)
    sizes = n[a["pair_i"]] * n[a["pair_j"]]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    if starts[-1] != len(Hf) or len(Hf) != len(Sf):
        raise HamiltonianError(source, f"block data has {len(Hf)} values, the pairs need {starts[-1]}")
    for p, (i, j, R) in enumerate(zip(a["pair_i"], a["pair_j"], Rh.tolist())):
        h = Hf[starts[p]:starts[p + 1]].reshape(n[i], n[j])
        s = Sf[starts[p]:starts[p + 1]].reshape(n[i], n[j])
        r, rm = index[tuple(R)], index[tuple(-x for x in R)]
        H[r, off[i]:off[i + 1], off[j]:off[j + 1]] = h
        S[r, off[i]:off[i + 1], off[j]:off[j + 1]] = s
        H[rm, off[j]:off[j + 1], off[i]:off[i + 1]] = h.T
        S[rm, off[j]:off[j + 1], off[i]:off[i + 1]] = s.T
    return RealSpaceBlocks(np.asarray(a["cell"], float), np.asarray(a["positions"], float), numbers, bases,
                           np.array(Rs, dtype=int).reshape(-1, 3), H, S, float(a["cutoff"]), str(a["engine"]))


def atomic_write_bytes(path: Path, write) -> None:
    """Call write(file object) on a unique temp file beside ``path``, then os.replace it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_blocks(path, b: RealSpaceBlocks, dtype=np.float32) -> None:
    """One crystal to a compressed npz, atomically."""
    arrays = to_arrays(b, dtype)
    atomic_write_bytes(Path(path), lambda fh: np.savez_compressed(fh, **arrays))


def load_blocks(path) -> RealSpaceBlocks:
    try:
        with np.load(path, allow_pickle=False) as z:
            return from_arrays({k: z[k] for k in z.files}, str(path))
    except (OSError, ValueError, KeyError) as exc:
        raise HamiltonianError(str(path), f"not a pgnn Hamiltonian npz: {exc}") from None


def write_shard(path, items: list[tuple[str, dict]]) -> None:
    """Many crystals (id, to_arrays dict) in one compressed npz: every array is concatenated with its lengths."""
    keys = ["positions", "numbers", "pair_i", "pair_j", "pair_R", "H", "S"]
    out = {"ids": np.array([i for i, _ in items]), "cell": np.stack([a["cell"] for _, a in items]),
           "bases": np.array([str(a["bases"]) for _, a in items]), "engine": np.array([str(a["engine"]) for _, a in items]),
           "cutoff": np.array([float(a["cutoff"]) for _, a in items])}
    for k in keys:
        out[k] = np.concatenate([a[k] for _, a in items])
        out[f"len_{k}"] = np.array([len(a[k]) for _, a in items], dtype=np.int64)
    atomic_write_bytes(Path(path), lambda fh: np.savez_compressed(fh, **out))


def read_shard(path) -> dict[str, dict]:
    """id -> to_arrays-style dict of every crystal in a shard."""
    keys = ["positions", "numbers", "pair_i", "pair_j", "pair_R", "H", "S"]
    with np.load(path, allow_pickle=False) as z:
        d = {k: z[k] for k in z.files}
    starts = {k: np.concatenate([[0], np.cumsum(d[f"len_{k}"])]) for k in keys}
    out = {}
    for c, cid in enumerate(d["ids"].tolist()):
        a = {k: d[k][starts[k][c]:starts[k][c + 1]] for k in keys}
        a.update(cell=d["cell"][c], bases=d["bases"][c], engine=d["engine"][c], cutoff=d["cutoff"][c])
        out[str(cid)] = a
    return out
