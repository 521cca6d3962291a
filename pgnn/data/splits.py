"""Deterministic train/val/test splits: the same entry lands in the same part on every machine, whatever the order
or subset of the entries.

`data.split.by` says what is hashed: the entry id (`id`, the default), the crystal point group (`point_group`: no
point group is in two parts) or the chemical system (`composition`: the sorted set of elements, e.g. "Cl-Na";
leave-chemistry-out, so no element set, and hence no polymorph of a training crystal, is in two parts).
`data.folds: k` + `data.fold: f` give k-fold cross-validation instead of fractions: the hash puts every key in one
of k folds, fold f is the test part and the validation part is drawn from the other folds by a second hash, with
the share `fractions[1] / (fractions[0] + fractions[1])`. The folds depend on the key and the split seed only, so
every model family sees the same folds."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

SPLITS = ("train", "val", "test")
SPLIT_BY = ("id", "point_group", "composition")


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


def fold_of(key: str, folds: int, seed: int = 0) -> int:
    """The fold (0..folds-1) of a split key: floor(folds * sha256(seed:key) / 2^64)."""
    return min(int(_uniform(f"{seed}:{key}") * folds), folds - 1)


@dataclass(frozen=True)
class SplitSpec:
    """How entries are split. by: id | point_group | composition; folds/fold: k-fold CV (both set) or None."""

    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
    seed: int = 0
    by: str = "id"
    folds: int | None = None
    fold: int | None = None

    def __post_init__(self):
        from pgnn.errors import ConfigError

        if self.by not in SPLIT_BY:
            raise ConfigError(f"data.split.by: unknown value {self.by!r}; valid: {', '.join(SPLIT_BY)}",
                              key="data.split.by", valid=list(SPLIT_BY))
        if (self.folds is None) != (self.fold is None):
            raise ConfigError("data.folds and data.fold: set both (k-fold cross-validation) or neither, got "
                              f"folds={self.folds}, fold={self.fold}", key="data.fold")
        if self.folds is not None and not (self.folds >= 2 and 0 <= self.fold < self.folds):
            raise ConfigError(f"data.fold: must be in 0..{self.folds - 1} for data.folds={self.folds} (and folds "
                              f">= 2), got {self.fold}", key="data.fold")

    @classmethod
    def from_config(cls, data: dict) -> "SplitSpec":
        """The spec of a resolved `data:` section (older run folders without `by`/`folds` split by id)."""
        split = data.get("split") or {}
        return cls(tuple(float(f) for f in split.get("fractions", (0.8, 0.1, 0.1))), int(split.get("seed", 0)),
                   str(split.get("by", "id")), data.get("folds"), data.get("fold"))

    def part(self, key: str) -> str:
        """"train", "val" or "test" of a split key (`split_key` of the entry)."""
        if self.folds is None:
            return split_of(key, self.fractions, self.seed)
        if fold_of(key, self.folds, self.seed) == self.fold:
            return "test"
        train, val = self.fractions[0], self.fractions[1]
        share = val / (train + val) if train + val > 0 else 0.0
        return "val" if _uniform(f"val:{self.seed}:{key}") < share else "train"


def chemical_system(structure) -> str:
    """The sorted element set of a structure (or a pymatgen Composition), joined by '-' ("Cl-Na"): the key of a
    leave-chemistry-out split."""
    return "-".join(sorted({el.symbol for el in getattr(structure, "composition", structure).elements}))


def split_key(entry, by: str) -> str:
    """What a split hashes for `entry` (a `pgnn.structures.records.Entry`): its id, its crystal point group (the
    record's `point_group` field, else spglib) or its chemical system."""
    if by == "id":
        return entry.id
    if by == "point_group":
        from pgnn.data.dataset import entry_point_group

        return "pg:" + entry_point_group(entry)
    if by == "composition":
        return "chem:" + chemical_system(entry.structure)
    raise ValueError(f"unknown split key {by!r}")


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
