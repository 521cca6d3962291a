"""Radial bases, element features, CGConv aggregation and pooling."""

import numpy as np
import torch

from pgnn.nn.cgconv import CGConv
from pgnn.nn.embedding import ELEMENT_FEATURE_DIM, AtomEmbedding, element_feature_table
from pgnn.nn.pooling import graph_max, graph_mean, graph_sum
from pgnn.nn.radial import BesselBasis, GaussianBasis, cosine_cutoff, polynomial_cutoff


def test_gaussian_basis_peaks_at_centres():
    rbf = GaussianBasis(0.0, 8.0, 41)
    out = rbf(torch.tensor([0.0, 4.0, 8.0]))
    assert out.shape == (3, 41)
    assert out.argmax(dim=1).tolist() == [0, 20, 40]
    assert torch.allclose(out.max(dim=1).values, torch.ones(3))


def test_bessel_basis_and_cutoffs_vanish_at_cutoff():
    d = torch.tensor([0.5, 2.0, 5.0 - 1e-6])
    assert BesselBasis(5.0, 8)(d).shape == (3, 8)
    assert abs(float(BesselBasis(5.0, 8)(torch.tensor([5.0])).abs().max())) < 1e-6
    assert float(cosine_cutoff(torch.tensor([0.0]), 5.0)) == 1.0
    assert float(cosine_cutoff(torch.tensor([5.0]), 5.0)) == 0.0
    assert float(polynomial_cutoff(torch.tensor([0.0]), 5.0)) == 1.0
    assert abs(float(polynomial_cutoff(torch.tensor([5.0 - 1e-4]), 5.0))) < 1e-6


def test_element_features_one_hot_blocks():
    table = element_feature_table()
    assert table.shape == (101, ELEMENT_FEATURE_DIM)
    assert (table[0] == 0).all()
    # every element has one bit per property it has data for (noble gases lack an electronegativity)
    assert set(np.unique(table[1:].sum(axis=1))) <= {8.0, 9.0}
    assert table[26].sum() == 9  # Fe
    assert not np.array_equal(table[26], table[27])
    emb = AtomEmbedding(16, "both")
    assert emb(torch.tensor([1, 26, 83])).shape == (3, 16)


def test_cgconv_aggregates_messages_into_centres():
    torch.manual_seed(0)
    conv = CGConv(4, 3).eval()
    x = torch.randn(3, 4)
    edge_index = torch.tensor([[1, 2, 0], [0, 0, 1]])  # 1->0, 2->0, 0->1; atom 2 receives nothing
    e = torch.randn(3, 3)
    out = conv(x, edge_index, e)
    assert out.shape == (3, 4)
    # node 2 gets no message: only its own (batch-normalized zero) aggregate
    zero = conv.bn_node(torch.zeros(1, 4))
    assert torch.allclose(out[2], torch.nn.functional.softplus(x[2] + zero[0]))


def test_pooling():
    x = torch.tensor([[1.0], [3.0], [5.0]])
    b = torch.tensor([0, 0, 1])
    assert graph_sum(x, b, 2).ravel().tolist() == [4.0, 5.0]
    assert graph_mean(x, b, 2).ravel().tolist() == [2.0, 5.0]
    assert graph_max(x, b, 2).ravel().tolist() == [3.0, 5.0]
