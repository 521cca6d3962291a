"""Optional on-disk cache of a group's tables (irreps, coupling tensors, subductions l <= 8).

Off unless the environment variable ``PGNN_GROUPS_DISK_CACHE`` is 1/true/yes. Files live in
``$PGNN_CACHE_DIR/groups`` (default ``~/.cache/pgnn/groups``), one ``.npz`` per group, named with a hash
of this package's source and of the numpy version, so a code change never reads stale tables.
Files are written to a temporary name and renamed (atomic on POSIX); an unreadable file is rebuilt.
The in-memory cache (``registry.point_group``) is what makes repeated calls cheap; this one only
saves the cold build (about 0.3 s for Oh) in new processes.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["enabled", "cache_dir", "cache_path", "load", "save", "LMAX"]

LMAX = 8


def enabled() -> bool:
    return os.environ.get("PGNN_GROUPS_DISK_CACHE", "").strip().lower() in ("1", "true", "yes", "on")


def cache_dir() -> Path:
    return Path(os.environ.get("PGNN_CACHE_DIR", "~/.cache/pgnn")).expanduser() / "groups"


@lru_cache(maxsize=1)
def _version_key() -> str:
    h = hashlib.sha256(np.__version__.encode())
    for f in sorted(Path(__file__).parent.glob("*.py")):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def cache_path(name: str) -> Path:
    return cache_dir() / f"{name}-{_version_key()}.npz"


def _pkey(p: int) -> str:
    return "e" if p == 1 else "o"


def _pack(arrays: list[np.ndarray]) -> tuple[np.ndarray, list]:
    """Concatenate arrays into (flat float data, [[offset, shape], ...])."""
    flat = np.concatenate([a.ravel() for a in arrays]) if arrays else np.zeros(0)
    offsets = np.cumsum([0] + [a.size for a in arrays]).tolist()
    return flat, [[offsets[i], list(a.shape)] for i, a in enumerate(arrays)]


def _unpack(flat: np.ndarray, index: list) -> list[np.ndarray]:
    out = []
    for off, shape in index:
        a = flat[off : off + int(np.prod(shape))].reshape(shape)
        a.setflags(write=False)
        out.append(a)
    return out


def save(G) -> Path:
    """Build all tables of G (if not yet built) and write them atomically; returns the file path.

    File: ``meta`` (one JSON string: irreps, coupling keys, subduction terms, array index) and three
    flat float64 arrays ``irrep``, ``coupling``, ``sub``."""
    irreps = G.irreps
    paths = G.coupling_paths()
    subs = [(l, p, *G.subduce(l, p)) for l in range(LMAX + 1) for p in (1, -1)]
    meta = {
        "group": G.name,
        "irreps": [[ir.name, ir.kind, ir.commutant_dim, ir.note, list(ir.source)] for ir in irreps],
        "coupling_keys": [[a, b, c] for a, b, c, _ in paths],
        "subductions": [[l, p, [[n, m] for n, m in out]] for l, p, out, _ in subs],
    }
    arrays = {}
    for tag, arrs in (("irrep", [ir.matrices for ir in irreps]), ("coupling", [U for *_, U in paths]),
                      ("sub", [Q for *_, Q in subs])):
        arrays[tag], meta[tag + "_index"] = _pack(arrs)
    arrays["meta"] = np.array(json.dumps(meta))
    path = cache_path(G.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{G.name}-", suffix=".npz", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def load(G) -> bool:
    """Fill G's caches from its file; False (and G untouched) when there is no usable file."""
    from pgnn.groups.irreps import Irrep

    path = cache_path(G.name)
    if not path.is_file():
        return False
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            flat = {k: z[k] for k in ("irrep", "coupling", "sub")}
        if meta["group"] != G.name:
            return False
        mats = _unpack(flat["irrep"], meta["irrep_index"])
        if any(M.shape[0] != G.order for M in mats):
            return False
        irreps = [Irrep(name=name, dim=M.shape[1], matrices=M, kind=kind, commutant_dim=int(c), note=note,
                        index=i, source=tuple(src))
                  for i, ((name, kind, c, note, src), M) in enumerate(zip(meta["irreps"], mats))]
        Us = _unpack(flat["coupling"], meta["coupling_index"])
        couplings = {(a, b, c, "dirl"): U for (a, b, c), U in zip(meta["coupling_keys"], Us)}
        Qs = _unpack(flat["sub"], meta["sub_index"])
        subductions = {(l, p): ([(n, int(m)) for n, m in out], Q) for (l, p, out), Q in zip(meta["subductions"], Qs)}
    except Exception:  # unreadable or from an incompatible writer: rebuild
        return False
    G.__dict__["irreps"] = irreps
    G._coupling_cache.update(couplings)
    G._subduction_cache.update(subductions)
    return True
