"""Every implemented order parameter equals pymatgen's LocalStructOrderParams (same neighbours) to 1e-6."""

import numpy as np
import pytest
from pymatgen.core import Site

from pgnn.graphs.motifs import first_shells
from pgnn.graphs.neighbors import neighbor_list
from pgnn.graphs.order_params import OP_PARAMS, OP_TYPES, order_parameters


def test_default_parameters_are_pymatgens():
    from pymatgen.analysis.local_env import LocalStructOrderParams  # noqa: F401
    from pymatgen.core.local_env import DEFAULT_OP_PARAMS

    renamed = {"lo": 4, "hi": 2, "igw_ep": 5, "igw_tri": 6}
    for t in OP_TYPES:
        ref = DEFAULT_OP_PARAMS[t] or {}
        for k, v in OP_PARAMS[t].items():
            assert float(ref[renamed.get(k, k)]) == pytest.approx(v, abs=1e-12), (t, k)


def test_matches_pymatgen_on_bundled_structures(bundled_records):
    from pymatgen.analysis.local_env import LocalStructOrderParams

    entries = bundled_records("mp_binary_moduli_2025", 30)[::6] + bundled_records("mp_dielectric_2017", 12)[::4]
    ops_of = {t: LocalStructOrderParams([t]) for t in OP_TYPES}  # one type at a time, as defined per type
    checked = 0
    seen_sizes = set()
    for e in entries:
        s = e.structure
        nb = neighbor_list(s.cart_coords, s.lattice.matrix, cutoff=8.0, max_neighbors=None)
        m = first_shells(nb, len(s))
        ours = order_parameters(m.vectors, m.mask)
        for i in range(min(len(s), 2)):
            c = s.cart_coords[i]
            sites = [Site("H", c)] + [Site("H", c + v) for v in m.vectors[i][m.mask[i]]]
            neigh = list(range(1, len(sites)))
            seen_sizes.add(len(neigh))
            for k, t in enumerate(OP_TYPES):
                ref = ops_of[t].get_order_parameters(sites, 0, indices_neighs=neigh)[0]
                if ref is None:
                    assert np.isnan(ours[i, k]), (e.id, i, t)
                else:
                    assert ours[i, k] == pytest.approx(ref, abs=1e-6), (e.id, i, t)
                checked += 1
    assert checked >= 12 * len(OP_TYPES) and len(seen_sizes) >= 3


def test_padding_and_small_motifs():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(3, 5, 3))
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 0, 0, 0, 0]], dtype=bool)
    out = order_parameters(v, mask)
    alone = order_parameters(v[1:2, :2], mask[1:2, :2])
    np.testing.assert_allclose(out[1], alone[0], equal_nan=True)
    assert out[2, OP_TYPES.index("cn")] == 1 and np.isnan(out[2, OP_TYPES.index("tet")])
