"""`data.split.by` (id | point_group | composition) and k-fold cross-validation (`data.folds`, `data.fold`)."""

import random

import pytest
from pymatgen.core import Lattice, Structure

from pgnn.data.dataset import GraphSet, partition
from pgnn.data.splits import SplitSpec, chemical_system, fold_of, split_key, split_of
from pgnn.errors import ConfigError
from pgnn.structures.records import Entry


def _cubic(a, species):
    return Structure(Lattice.cubic(a), species, [[0, 0, 0], [0.5, 0.5, 0.5]][: len(species)])


def test_default_spec_is_the_old_split_by_id():
    ids = [f"mp-{k}" for k in range(400)]
    spec = SplitSpec()
    assert all(spec.part(i) == split_of(i) for i in ids)
    assert [spec.part(i) for i in ids] == [SplitSpec(seed=0, by="id").part(i) for i in ids]


def test_folds_cover_every_id_once_and_are_the_same_for_any_order():
    ids = [f"mp-{k}" for k in range(2000)]
    tests = []
    for f in range(5):
        spec = SplitSpec(folds=5, fold=f)
        parts = {i: spec.part(i) for i in ids}
        shuffled = ids[:]
        random.Random(f).shuffle(shuffled)
        assert {i: spec.part(i) for i in shuffled} == parts
        test = {i for i, p in parts.items() if p == "test"}
        val = {i for i, p in parts.items() if p == "val"}
        assert abs(len(test) / 2000 - 0.2) < 0.03
        # validation: fractions[1] / (fractions[0] + fractions[1]) = 1/9 of the other folds
        assert abs(len(val) / (2000 - len(test)) - 1 / 9) < 0.03
        assert test == {i for i in ids if fold_of(i, 5) == f}
        tests.append(test)
    assert set().union(*tests) == set(ids) and sum(map(len, tests)) == len(ids)
    assert SplitSpec(folds=5, fold=0, seed=1).part("mp-3") in ("train", "val", "test")


def test_point_group_and_composition_keys_never_straddle():
    nacl = _cubic(5.64, ["Na", "Cl"])
    entries = [Entry(f"a{k}", nacl, {"point_group": pg}, f"x#a{k}") for k, pg in
               enumerate(["m-3m", "4/mmm", "m-3m", "-43m", "6/mmm", "mmm", "m-3m", "4/mmm", "-1", "2/m"])]
    keys = {e.id: split_key(e, "point_group") for e in entries}
    assert keys["a0"] == keys["a2"] == "pg:m-3m"
    for spec in [SplitSpec(by="point_group", fractions=(0.5, 0.25, 0.25))] + \
            [SplitSpec(by="point_group", folds=3, fold=f) for f in range(3)]:
        part_of_key = {}
        for e in entries:
            part_of_key.setdefault(keys[e.id], set()).add(spec.part(keys[e.id]))
        assert all(len(p) == 1 for p in part_of_key.values())
    # composition: element set, so two polymorphs (or formulas) of Na-Cl share a key; Na-Br does not
    nacl2 = Structure(Lattice.cubic(3.4), ["Na", "Cl", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5], [0.25, 0.25, 0.25]])
    assert chemical_system(nacl) == chemical_system(nacl2) == "Cl-Na"
    assert split_key(Entry("b", nacl2, {}, "x#b"), "composition") == "chem:Cl-Na"
    assert split_key(Entry("c", _cubic(6.0, ["Na", "Br"]), {}, "x#c"), "composition") == "chem:Br-Na"


def test_partition_uses_the_keys_of_the_graph_set():
    ids = [f"mp-{k}" for k in range(300)]
    keys = {i: f"chem:{k % 7}" for k, i in enumerate(ids)}  # 7 chemical systems
    gs = GraphSet(graphs=list(ids), ids=list(ids), keys=keys)
    for f in range(3):
        parts = partition(gs, spec=SplitSpec(by="composition", folds=3, fold=f))
        seen = {s: {keys[i] for i in parts[s].ids} for s in ("train", "val", "test")}
        assert not (seen["test"] & seen["train"]) and not (seen["test"] & seen["val"])
        assert not (seen["train"] & seen["val"])
        assert sum(len(p.ids) for p in parts.values()) == 300


@pytest.mark.parametrize("data, words", [
    ({"split": {"by": "formula"}}, ["data.split.by", "id", "point_group", "composition"]),
    ({"fold": 1}, ["data.fold", "folds"]),
    ({"folds": 5, "fold": 5}, ["data.fold", "0..4"]),
    ({"folds": 1, "fold": 0}, ["data.folds"]),
    ({"split": {"by": "id", "fold": 0}}, ["data.split.fold", "valid keys"]),
])
def test_bad_split_settings_are_refused_with_the_valid_values(data, words):
    from pgnn.training.config import resolve_config

    raw = {"data": {"dataset": "mp_binary_moduli_2025", "targets": ["log10_K_VRH"], **data}}
    with pytest.raises(ConfigError) as err:
        resolve_config(raw, "cfg.yaml")
    assert all(w in str(err.value) for w in words), str(err.value)


def test_resolved_config_holds_the_split_settings():
    from pgnn.training.config import resolve_config

    cfg = resolve_config({"data": {"dataset": "d", "targets": ["log10_K_VRH"], "folds": 5, "fold": 2,
                                   "split": {"by": "composition"}}})
    assert cfg["data"]["split"]["by"] == "composition" and (cfg["data"]["folds"], cfg["data"]["fold"]) == (5, 2)
    assert SplitSpec.from_config(cfg["data"]) == SplitSpec((0.8, 0.1, 0.1), 0, "composition", 5, 2)
    assert resolve_config(cfg) == cfg
