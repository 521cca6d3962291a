"""Targets derived from records (with the reasons entries are skipped) and the split by id."""

import math
import random

import pytest

from pgnn.data.splits import split_ids, split_of
from pgnn.data.targets import TARGETS, TargetSpec, resolve_target
from pgnn.errors import ConfigError, TargetError


def test_log10_modulus():
    t = TARGETS["log10_K_VRH"]
    assert t.field == "K_VRH_GPa" and t.unit == "log10(GPa)"
    assert float(t.derive({"K_VRH_GPa": 100.0}, "f#mp-1")) == pytest.approx(2.0)


@pytest.mark.parametrize(
    "fields, words",
    [
        ({"K_VRH_GPa": 0.0}, ["mp-1", "<= 0", "log10"]),
        ({"K_VRH_GPa": -3.0}, ["mp-1", "<= 0"]),
        ({}, ["mp-1", "missing", "K_VRH_GPa"]),
        ({"K_VRH_GPa": None}, ["missing"]),
        ({"K_VRH_GPa": float("nan")}, ["non-finite"]),
        ({"K_VRH_GPa": "abc"}, ["not a number"]),
        ({"K_VRH_GPa": [1.0, 2.0]}, ["scalar"]),
    ],
)
def test_unusable_values_raise_with_reason(fields, words):
    with pytest.raises(TargetError) as err:
        TARGETS["log10_K_VRH"].derive(fields, "f#mp-1")
    assert all(w in str(err.value) for w in words), str(err.value)


def test_named_and_custom_targets():
    assert float(TARGETS["band_gap"].derive({"band_gap_eV": 1.5})) == 1.5
    assert TARGETS["formation_energy"].unit == "eV/atom"
    assert TARGETS["corrected_formation_energy"].field == "corrected_formation_energy_eV_per_atom"
    custom = resolve_target({"name": "n", "field": "refractive_index", "unit": ""})
    assert isinstance(custom, TargetSpec) and math.isclose(float(custom.derive({"refractive_index": 2.0})), 2.0)
    with pytest.raises(ConfigError):
        resolve_target("no_such_target")


def test_split_is_deterministic_and_order_free():
    ids = [f"mp-{i}" for i in range(3000)]
    parts = {i: split_of(i) for i in ids}
    shuffled = ids[:]
    random.Random(1).shuffle(shuffled)
    assert {i: split_of(i) for i in shuffled} == parts
    counts = {s: sum(v == s for v in parts.values()) for s in ("train", "val", "test")}
    assert abs(counts["train"] / 3000 - 0.8) < 0.03 and abs(counts["test"] / 3000 - 0.1) < 0.02
    pos = split_ids(ids[:100])
    assert sorted(sum(pos.values(), [])) == list(range(100))
    assert split_of("mp-1", seed=1) in ("train", "val", "test")


def test_split_reference_values():
    # fixed values: the split must not change across machines, orderings or versions
    got = {i: split_of(f"mp-{i}") for i in (0, 1, 11, 27, 33)}
    assert got == {0: "test", 1: "train", 11: "test", 27: "val", 33: "val"}


def test_train_subsample_is_nested_and_about_the_right_size():
    from pgnn.data.splits import in_subsample

    ids = [f"mp-{k}" for k in range(4000)]
    quarter = {i for i in ids if in_subsample(i, 0.25)}
    half = {i for i in ids if in_subsample(i, 0.5)}
    assert quarter < half and all(in_subsample(i, 1.0) for i in ids)
    assert abs(len(quarter) / 4000 - 0.25) < 0.03 and abs(len(half) / 4000 - 0.5) < 0.03
    # independent of the train/val/test hash: a quarter of the training part, not a biased corner of it
    train = [i for i in ids if split_of(i) == "train"]
    assert abs(sum(i in quarter for i in train) / len(train) - 0.25) < 0.03


def test_partition_keeps_val_and_test_whole():
    from pgnn.data.dataset import GraphSet, partition

    ids = [f"mp-{k}" for k in range(500)]
    full = partition(GraphSet(graphs=list(ids), ids=list(ids)))
    part = partition(GraphSet(graphs=list(ids), ids=list(ids)), train_fraction=0.5)
    assert part["val"].ids == full["val"].ids and part["test"].ids == full["test"].ids
    assert set(part["train"].ids) < set(full["train"].ids)
    with pytest.raises(ConfigError, match="train_fraction"):
        partition(GraphSet(graphs=list(ids), ids=list(ids)), train_fraction=0.0)


def test_point_group_subset_uses_the_record_field_or_spglib():
    from pymatgen.core import Lattice, Structure

    from pgnn.data.dataset import select_point_groups
    from pgnn.structures.records import Entry

    rocksalt = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    tetragonal = Structure(Lattice.tetragonal(4.0, 5.0), ["Ti", "O"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    entries = [Entry("a", rocksalt, {}, "x#a"), Entry("b", tetragonal, {}, "x#b"),
               Entry("c", tetragonal, {"point_group": "m-3m"}, "x#c")]  # the record's stated group wins
    assert [e.id for e in select_point_groups(entries, ["Oh"])] == ["a", "c"]
    assert [e.id for e in select_point_groups(entries, ["4/mmm"])] == ["b"]
    with pytest.raises(ConfigError, match="unknown point group"):
        select_point_groups(entries, ["m3m3"])
