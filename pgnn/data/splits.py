"""Deterministic train/val/test split by entry id: the same id lands in the same part on every machine,
whatever the order or subset of the entries."""

from __future__ import annotations

import hashlib

SPLITS = ("train", "val", "test")


def _uniform(key: str) -> float:
    """A number in [0, 1) from sha256(key): the same on every machine."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2.0**64


def split_of(entry_id: str, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int = 0) -> str:
    """"train", "val" or "test" for `entry_id`, from a uniform number in [0, 1) made by sha256(seed:id)."""
    u = _uniform(f"{seed}:{entry_id}")
    total = sum(fractions)
    train, val = fractions[0] / total, fractions[1] / total
    if u < train:
        return "train"
    if u < train + val:
        return "val"
    return "test"


def split_ids(ids: list[str], fractions=(0.8, 0.1, 0.1), seed: int = 0) -> dict[str, list[int]]:
    """{"train"|"val"|"test": positions in `ids`}."""
    out: dict[str, list[int]] = {s: [] for s in SPLITS}
    for k, i in enumerate(ids):
        out[split_of(i, tuple(fractions), seed)].append(k)
    return out


def in_subsample(entry_id: str, fraction: float, seed: int = 0) -> bool:
    """Whether `entry_id` is in the `fraction` (0..1] subsample of its split, for learning curves. Independent of
    the split hash and nested: every id kept at fraction 0.25 is also kept at 0.5."""
    return fraction >= 1.0 or _uniform(f"subsample:{seed}:{entry_id}") < fraction
