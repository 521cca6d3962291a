"""Periodic neighbour lists, crystal graphs and crystal hypergraphs."""

from pgnn.graphs.crystal_graph import build_crystal_graph, edge_vectors  # noqa: F401
from pgnn.graphs.neighbors import Neighbors, neighbor_list  # noqa: F401
