"""Crystal graphs for point-group models (graph kind "pg_crystal_graph").

The graph of the idealized standardized primitive cell (`pgnn.structures.standard_frame`) in the input orientation,
with complete neighbour shells, so that a symmetric crystal gives an exactly symmetric graph:

    pos [N, 3] float64 (Angstrom, input frame), cell [1, 3, 3] float64, edge_index [2, E] (row 0 neighbour,
    row 1 receiving atom), edge_shift [E, 3] (cell shifts of the neighbour), z [N],
    pg_rot [1, 3, 3] float64: Q with r_standard = Q r_input,
    pg_group [1] long: index of the fitting group in `options["pg_groups"]`,
    site_class [N] long: site-symmetry type of every atom (index in `standard_frame.POINT_GROUPS`),
    point_group: Schoenflies name of the crystal's point group.
"""

from __future__ import annotations

import torch

from pgnn.graphs.crystal_graph import build_crystal_graph, edge_vectors

DEFAULT_OPTIONS = {"cutoff": 5.0, "max_neighbors": 16, "pg_groups": ["Oh", "D6h"], "symprec": 0.01}


def shell_complete_cap(data, k: int | None, tol: float = 1e-6):
    """Keep, for every receiving atom, all edges not longer than its k-th shortest (complete shells, symmetric)."""
    if k is None:
        return data
    d = torch.linalg.norm(edge_vectors(data).double(), dim=-1)
    dst = data.edge_index[1]
    keep = torch.zeros_like(d, dtype=torch.bool)
    for i in range(int(data.num_nodes)):
        m = dst == i
        di = d[m]
        if di.numel() == 0:
            continue
        kth = torch.sort(di).values[min(k, di.numel()) - 1]
        keep[m] = di <= kth + tol
    data.edge_index = data.edge_index[:, keep]
    data.edge_shift = data.edge_shift[keep]
    return data


def build_pg_crystal_graph(structure, options: dict | None = None, source: str = ""):
    """Graph of a pymatgen Structure for a point-group model (see module docstring).

    options: cutoff (Angstrom), max_neighbors (shell-complete cap, or None), pg_groups (model groups, tried in
    order), symprec (spglib tolerance, Angstrom); defaults in DEFAULT_OPTIONS. Raises SymmetryError when the
    crystal fits none of the groups, StructureError for a bad structure.
    """
    from pymatgen.core import Lattice, Structure

    from pgnn.structures.standard_frame import standard_frame

    cfg = {**DEFAULT_OPTIONS, **(options or {})}
    fr = standard_frame(structure, list(cfg["pg_groups"]), symprec=cfg["symprec"], source=source)
    ideal = Structure(Lattice(fr.lattice), [int(n) for n in fr.numbers], fr.positions, coords_are_cartesian=True)
    data = build_crystal_graph(ideal, cutoff=cfg["cutoff"], max_neighbors=None, source=source)
    # float64 (not the float32 of plain crystal graphs): the standard-frame cell must be symmetric to ~1e-15, and
    # the shell cap must compare float64 distances (float32 ones split equidistant shells at its 1e-6 tolerance)
    data.pos = torch.as_tensor(fr.positions, dtype=torch.float64)
    data.cell = torch.as_tensor(fr.lattice, dtype=torch.float64).unsqueeze(0)
    data = shell_complete_cap(data, cfg["max_neighbors"])
    data.pg_rot = torch.as_tensor(fr.rotation, dtype=torch.float64).unsqueeze(0)
    data.pg_group = torch.tensor([fr.group_index], dtype=torch.long)
    data.site_class = torch.as_tensor(fr.site_class, dtype=torch.long)
    data.point_group = fr.point_group
    return data
