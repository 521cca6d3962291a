"""Exact G-equivariance of PGConv stacks and of the full PGNet, for each of the 32 crystallographic point groups.

A random non-symmetric periodic structure is mapped by every element g of G (positions and cell, proper or improper)
and its atoms are permuted; node features at the image of atom a must equal D(g) times the features at a, scalars
must not change and Cartesian tensors must transform as tensors: to 1e-10 in float64 and 1e-5 in float32.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pgnn.models.pgnet import PGNet, PGNetCore
from pgnn.models.registry import model_options
from pgnn.structures.standard_frame import POINT_GROUPS
from tests.pgnet.helpers import batch_of, edge_vec, random_crystal_graph, rotate, transformed

TARGETS = [("k", "scalar"), ("eps", "dielectric"), ("e", "piezoelectric"), ("C", "elastic")]
CFG = dict(scalars=4, nonscalars=2, num_layers=2, l_max=2, cutoff=3.2, num_basis=4, radial_hidden=8, edge_copies=1,
           max_neighbors=6)


def _group(name):
    from pgnn.groups import point_group

    return point_group(name)


def _check_features(core, G, data, dtype, tol):
    core = core.to(dtype)
    n = data.num_nodes
    perm = np.random.default_rng(1).permutation(n)
    copies = [transformed(data, R, perm) for R in np.asarray(G.elements)]
    big = batch_of(*copies)
    with torch.no_grad():
        x = core.features(data.z, data.edge_index, edge_vec(data).to(dtype), data.site_class)
        xs = core.features(big.z, big.edge_index, edge_vec(big).to(dtype), big.site_class)
    D = torch.as_tensor(core.irreps_out.D(), dtype=dtype)
    expected = torch.einsum("gij,nj->gni", D, x[torch.as_tensor(perm)]).reshape(-1, x.shape[1])
    scale = x.abs().max().item()
    assert scale > 1e-3
    # the terms carry signal, so the check is not vacuous (a few irreps can be unreachable from scalars in two
    # layers with l_max = 2 edges, e.g. A1u of Oh, and are then exactly zero)
    alive = [x[:, sl].abs().max().item() > 1e-9 * scale for sl in core.irreps_out.slices()]
    assert sum(alive) >= 0.75 * len(alive)
    err = (xs - expected).abs().max().item()
    assert err < tol * max(1.0, scale), err


@pytest.mark.parametrize("name", POINT_GROUPS)
def test_pgconv_stack_equivariant_float64(name):
    G = _group(name)
    data = random_crystal_graph(seed=POINT_GROUPS.index(name))
    for edge, classes in (("harmonic", False), ("averaged", True), ("averaged_sh", False)):
        torch.manual_seed(0)
        core = PGNetCore(G, model_options(PGNet, {**CFG, "edge": edge, "site_classes": classes, "edge_l_max": 6}),
                         TARGETS)
        _check_features(core, G, data, torch.float64, 1e-10)


@pytest.mark.parametrize("name", ["Oh", "D6h", "C3i", "Th"])
def test_pgconv_stack_equivariant_float32(name):
    G = _group(name)
    data = random_crystal_graph(seed=7)
    torch.manual_seed(0)
    core = PGNetCore(G, model_options(PGNet, {**CFG, "edge": "harmonic"}), TARGETS)
    _check_features(core, G, data, torch.float32, 1e-5)


@pytest.mark.parametrize("name", POINT_GROUPS)
def test_pgnet_outputs_transform_as_tensors(name):
    G = _group(name)
    torch.manual_seed(0)
    model = PGNet({**CFG, "group": name, "site_classes": True}, TARGETS).double().eval()
    graphs = [random_crystal_graph(seed=s, n_atoms=2 + s) for s in (11, 12)]
    with torch.no_grad():
        ref = model(batch_of(*graphs))
        rng = np.random.default_rng(2)
        for R in np.asarray(G.elements):
            moved = [transformed(g, R, rng.permutation(g.num_nodes)) for g in graphs]
            out = model(batch_of(*moved))
            for key, kind in TARGETS:
                expected = ref[key] if kind == "scalar" else rotate(ref[key], R)
                scale = ref[key].abs().max().item()
                assert scale > 1e-6
                assert (out[key] - expected).abs().max().item() < 1e-10 * max(1.0, scale)
