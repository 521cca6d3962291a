"""The graph cache: a second run builds nothing, an interrupted run builds only what is missing."""

import pytest
import torch

from pgnn.data import featurize as fz
from pgnn.data.dataset import load_dataset
from pgnn.data.targets import TARGETS


@pytest.fixture
def counting_builder(monkeypatch):
    calls = []
    original = fz.GRAPH_BUILDERS["crystal_graph"]

    def build(structure, options, source):
        calls.append(source)
        return original.build(structure, options, source)

    monkeypatch.setitem(fz.GRAPH_BUILDERS, "crystal_graph", fz.GraphBuilder(build, original.version))
    return calls


def test_cache_hit_and_resume(tmp_path, bundled_records, counting_builder):
    entries = bundled_records("mp_binary_moduli_2025", 12)
    structures = [e.structure for e in entries]
    opts = {"cutoff": 6.0, "max_neighbors": 12}
    graphs, skipped = fz.featurize(structures[:5], "crystal_graph", opts, cache_dir=tmp_path, workers=1,
                                   chunk_size=2, progress=False)
    assert len(counting_builder) == 5 and not skipped
    # "interrupted" after 5 structures: the next run builds only the 7 missing ones
    graphs, _ = fz.featurize(structures, "crystal_graph", opts, cache_dir=tmp_path, workers=1, chunk_size=2,
                             progress=False)
    assert len(counting_builder) == 12
    assert len(list(tmp_path.glob("*/chunk-*.pt"))) == 3 + 4
    # full cache hit, and the cached graphs equal freshly built ones
    again, _ = fz.featurize(structures, "crystal_graph", opts, cache_dir=tmp_path, workers=1, progress=False)
    assert len(counting_builder) == 12
    fresh, _ = fz.featurize(structures, "crystal_graph", opts, cache_dir=None, workers=1, progress=False)
    for a, b in zip(again, fresh):
        assert (a.edge_index == b.edge_index).all() and (a.pos == b.pos).all()
    # other settings -> other cache entries
    before = len(counting_builder)
    fz.featurize(structures[:2], "crystal_graph", {"cutoff": 5.0, "max_neighbors": 12}, cache_dir=tmp_path,
                 workers=1, progress=False)
    assert len(counting_builder) == before + 2
    assert fz.settings_key("crystal_graph", opts) != fz.settings_key("crystal_graph", {**opts, "cutoff": 5.0})


def test_parallel_workers_match_serial(tmp_path, bundled_records):
    structures = [e.structure for e in bundled_records("mp_binary_moduli_2025", 8)]
    par, _ = fz.featurize(structures, "crystal_graph", {}, workers=2, chunk_size=3, progress=False)
    ser, _ = fz.featurize(structures, "crystal_graph", {}, workers=1, progress=False)
    assert all((a.edge_index == b.edge_index).all() for a, b in zip(par, ser))


def test_parallel_hypergraphs_match_serial(bundled_records):
    """Hypergraphs (HeteroData, many tensors each) come back from worker processes intact."""
    structures = [e.structure for e in bundled_records("mp_binary_moduli_2025", 6)]
    opts = {"hyperedges": ["bond", "triplet", "motif"]}
    par, _ = fz.featurize(structures, "hypergraph", opts, workers=2, chunk_size=2, progress=False)
    ser, _ = fz.featurize(structures, "hypergraph", opts, workers=1, progress=False)
    for a, b in zip(par, ser):
        assert a.node_types == b.node_types
        for t in ("bond", "triplet", "motif"):
            assert torch.equal(a[t].x, b[t].x)


def test_dataset_skips_with_reasons(tmp_path):
    import gzip
    import json

    from pgnn.data.registry import bundled_path

    recs = json.load(gzip.open(bundled_path("mp_binary_moduli_2025"), "rt"))[:6]
    recs[0]["K_VRH_GPa"] = 0.0
    recs[1].pop("K_VRH_GPa")
    recs[2]["structure"] = {"bad": 1}
    path = tmp_path / "few.json"
    path.write_text(json.dumps(recs))
    gs = load_dataset(path, [TARGETS["log10_K_VRH"]], "crystal_graph", {}, cache_dir=tmp_path / "c", progress=False)
    assert len(gs.graphs) == 3 and len(gs.skipped) == 3
    reasons = " | ".join(f"{s}: {r}" for s, r in gs.skipped)
    assert "<= 0" in reasons and "missing field 'K_VRH_GPa'" in reasons and "structure" in reasons
    assert all(recs[k]["id"] in reasons for k in range(3))
    assert gs.graphs[0].y_log10_K_VRH.shape == (1,) and gs.graphs[0].entry_id == recs[3]["id"]
