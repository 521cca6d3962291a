"""In-memory cache hits and the optional disk cache."""

import time

import numpy as np

from pgnn.groups import cache, point_group


def test_memory_cache_hit_is_fast():
    G = point_group("Oh")
    G.coupling_table()
    G.subduce(8, "odd")
    t = time.perf_counter()
    for _ in range(10):
        assert point_group("m-3m") is G
        G.coupling_table()
        G.subduce(8, "odd")
    assert (time.perf_counter() - t) / 10 < 0.05


def test_disk_cache_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("PGNN_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("PGNN_GROUPS_DISK_CACHE", "1")
    from pgnn.groups.group import PointGroup

    ref = PointGroup("C3h")
    path = cache.save(ref)
    assert path.is_file() and path.parent == tmp_path / "groups"
    assert not list(path.parent.glob(".*"))  # no temporary files left
    G = PointGroup("C3h")
    assert cache.load(G)
    assert [ir.name for ir in G.irreps] == [ir.name for ir in ref.irreps]
    assert [ir.note for ir in G.irreps] == [ir.note for ir in ref.irreps]
    for a, b in zip(G.irreps, ref.irreps):
        assert np.array_equal(a.matrices, b.matrices) and a.kind == b.kind and a.commutant_dim == b.commutant_dim
    for k, U in ref.coupling_table().items():
        assert np.array_equal(G.coupling(*k), U)
    for l in range(cache.LMAX + 1):
        assert G.subduce(l, "even")[0] == ref.subduce(l, "even")[0]
        assert np.array_equal(G.subduce(l, "odd")[1], ref.subduce(l, "odd")[1])
    # a corrupt file is ignored
    path.write_bytes(b"not a zip")
    assert not cache.load(PointGroup("C3h"))
