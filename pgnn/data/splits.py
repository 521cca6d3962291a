"""Deterministic train/val/test split by entry id: the same id lands in the same part on every machine,
whatever the order or subset of the entries."""

from __future__ import annotations

import hashlib

SPLITS = ("train", "val", "test")


def split_of(entry_id: str, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int = 0) -> str:
    """"train", "val" or "test" for `entry_id`, from a uniform number in [0, 1) made by sha256(seed:id)."""
    h = hashlib.sha256(f"{seed}:{entry_id}".encode()).digest()
    u = int.from_bytes(h[:8], "big") / 2.0**64
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
