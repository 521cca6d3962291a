"""PGConv, its self-interaction and the tensor read-out use complete bases of the equivariant maps: for every
one of the 32 groups the number of independent coupling paths of each triple a (x) b -> c equals
dim Hom(a (x) b, c) = <chi_a chi_b, chi_c> from the characters alone; and on C4 a PGConv fits a target that only
the J-coupled path (U J, J the commutant of the joined complex irrep E) can produce, which a layer built from
`G.coupling` alone (one path per coupling copy) cannot."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pgnn.groups import point_group
from pgnn.groups.layout import PGIrreps
from pgnn.nn.pg_conv import PGConv
from pgnn.nn.pg_edge_features import HarmonicEdgeFeatures
from pgnn.nn.pg_readout import PGTensorReadout
from pgnn.structures.standard_frame import POINT_GROUPS


def _hom_dim(G, a, b, c) -> int:
    chi = G.characters
    ia, ib, ic = (G.irrep_names.index(n) for n in (a, b, c))
    return int(round(float(np.sum(chi[ia] * chi[ib] * chi[ic])) / G.order))


@pytest.mark.parametrize("name", POINT_GROUPS)
def test_pgconv_paths_span_hom_for_every_triple(name):
    G = point_group(name)
    every = PGIrreps(G, [(1, n) for n in G.irrep_names])
    conv = PGConv(every, every, every)
    U = conv.U.numpy()
    for a in G.irrep_names:
        for b in G.irrep_names:
            for c in G.irrep_names:
                ia, ib, ic = G.irrep_names.index(a), G.irrep_names.index(b), G.irrep_names.index(c)
                rows = [p for p, path in enumerate(conv.paths) if path == (ia, ib, ic)]
                expected = _hom_dim(G, a, b, c)
                assert len(rows) == expected, (a, b, c)
                if rows:  # independent: the stacked tensors have full rank
                    assert np.linalg.matrix_rank(U[rows].reshape(len(rows), -1), tol=1e-8) == expected
    # the self-interaction has one weight matrix per element of each irrep's commutant (End_G(c))
    n_self = int(conv.si_in.numel())
    assert n_self == sum(ir.commutant_dim for ir in G.irreps)


@pytest.mark.parametrize("name", ["C4", "T", "C3", "C6h", "Oh"])
def test_tensor_read_out_maps_are_complete(name):
    """Per term of the tensor layout the read-out has commutant_dim(alpha) = dim End_G(alpha) weight matrices."""
    G = point_group(name)
    lay = PGIrreps(G, [(2, n) for n in G.irrep_names])
    ro = PGTensorReadout(lay, "elastic")
    joined = [n for _, n in ro.tensor_irreps.terms if G.irrep(n).commutant_dim == 2]
    assert ro.has_commutant == bool(joined)
    if joined:
        J = ro.J.numpy()
        for t, (_, n) in enumerate(ro.tensor_irreps.terms):
            assert (np.abs(J[t]).max() > 0) == (n in joined)


def _fit(conv, x, ei, ef, length, target, steps=300) -> float:
    opt = torch.optim.Adam(conv.parameters(), lr=0.05)
    for _ in range(steps):
        opt.zero_grad()
        loss = (conv(x, ei, ef, length) - target).pow(2).mean()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return float((conv(x, ei, ef, length) - target).pow(2).mean() / target.pow(2).mean())


def test_c4_pgconv_fits_a_target_that_needs_the_j_coupled_path(monkeypatch):
    """Target: at each atom, J applied to the sum of the in-plane (E) parts of its bond vectors, i.e. that sum turned
    by 90 degrees about z. Equivariant under C4, but not a multiple of the coupling U of A (x) E -> E: only U J
    reaches it. The complete layer fits it; the same layer with `G.coupling` paths only stays at the error of the
    best multiple of U (relative error ~1)."""
    G = point_group("C4")
    J = torch.as_tensor(G.irrep("E").commutant[1])
    ef_layer = HarmonicEdgeFeatures(G, l_max=1).double()
    lay_in, lay_out = PGIrreps(G, "1xA"), PGIrreps(G, "1xE")
    rng = np.random.default_rng(0)
    n, e = 8, 40
    ei = torch.as_tensor(np.stack([rng.integers(0, n, e), rng.integers(0, n, e)]))
    vec = torch.as_tensor(rng.standard_normal((e, 3)))
    vec = 2.0 * vec / vec.norm(dim=1, keepdim=True)  # one bond length: the radial weights cannot help
    ef = ef_layer(vec)
    e_slice = [sl for (m, name), sl in zip(ef_layer.irreps_out.terms, ef_layer.irreps_out.slices()) if name == "E"][0]
    summed = torch.zeros(n, 2, dtype=torch.float64).index_add_(0, ei[1], ef[:, e_slice])
    target = summed @ J  # x_l -> sum_k x_k J[k, l], the commutant acting on the E partners
    x = torch.ones(n, 1, dtype=torch.float64)
    length = vec.norm(dim=1)

    torch.manual_seed(0)
    complete = PGConv(lay_in, ef_layer.irreps_out, lay_out, cutoff=4.0, avg_neighbors=5.0).double()
    assert sum(1 for p in complete.paths if p[2] == 0) == 2  # U and U J
    err_complete = _fit(complete, x, ei, ef, length, target)

    monkeypatch.setattr(type(G), "intertwiners", lambda self, a, b, c: self.coupling(a, b, c))
    torch.manual_seed(0)
    coupling_only = PGConv(lay_in, ef_layer.irreps_out, lay_out, cutoff=4.0, avg_neighbors=5.0).double()
    assert coupling_only.n_paths == 1
    err_old = _fit(coupling_only, x, ei, ef, length, target)
    assert err_complete < 1e-4, err_complete
    assert err_old > 0.5, err_old


@pytest.mark.parametrize("name", POINT_GROUPS)
def test_pgconv_radial_variants_are_equivariant(name):
    """Every way of sharing the radial weights keeps the layer exactly equivariant (float64, random inputs)."""
    G = point_group(name)
    lay = PGIrreps(G, [(3 if n == G.trivial_irrep else 2, n) for n in G.irrep_names])
    ef_layer = HarmonicEdgeFeatures(G, l_max=2).double()
    rng = np.random.default_rng(POINT_GROUPS.index(name))
    n, e = 5, 20
    ei = torch.as_tensor(np.stack([rng.integers(0, n, e), rng.integers(0, n, e)]))
    vec = torch.as_tensor(rng.standard_normal((e, 3)) * 1.5)
    x = torch.as_tensor(rng.standard_normal((n, lay.dim)))
    D = torch.as_tensor(lay.D())
    for radial in ("pair_channel", "path"):
        torch.manual_seed(0)
        conv = PGConv(lay, ef_layer.irreps_out, lay, cutoff=4.0, n_classes=2, radial=radial).double()
        cls = torch.as_tensor(rng.integers(0, 2, n))
        with torch.no_grad():
            y = conv(x, ei, ef_layer(vec), vec.norm(dim=1), cls) - x  # without the residual
            assert y.abs().max() > 1e-3
            for g, R in enumerate(np.asarray(G.elements)):
                vg = vec @ torch.as_tensor(R).T
                yg = conv(x @ D[g].T, ei, ef_layer(vg), vg.norm(dim=1), cls) - x @ D[g].T
                assert (yg - y @ D[g].T).abs().max() < 1e-10, (radial, g)
