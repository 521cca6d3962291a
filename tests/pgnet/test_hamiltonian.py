"""Symmetry-adapted Hamiltonian blocks: exact equivariance for every group element (float64, 1e-10), and the
crystal-field splitting that symmetry forces on on-site blocks of real crystal sites, with nothing imposed by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pymatgen.core import Lattice, Structure

from pgnn.graphs import build_crystal_graph, edge_vectors
from pgnn.models.pgnet import PGNet, PGNetCore
from pgnn.models.registry import model_options
from pgnn.groups.layout import PGIrreps, get_group
from pgnn.groups.subduction import orbital_basis
from pgnn.nn.pg_hamiltonian import PGHamiltonianBlock, to_orbital_basis


def _wigner(l: int, R: np.ndarray) -> np.ndarray:
    """e3nn's real Wigner matrices of Y_l for O(3) matrices R [N, 3, 3] (Y_l(R x) = W Y_l(x)), fitted on random
    points with e3nn itself: an independent check of the groups module's numpy harmonics."""
    from e3nn import o3

    X = torch.as_tensor(np.random.default_rng(0).standard_normal((4 * l + 8, 3)))
    Y = o3.spherical_harmonics(l, X, normalize=True, normalization="component").numpy()
    YR = o3.spherical_harmonics(l, torch.einsum("gab,nb->gna", torch.as_tensor(np.array(R)), X), normalize=True,
                                normalization="component").numpy()
    return np.einsum("gna,bn->gab", YR, np.linalg.pinv(Y))


@pytest.mark.parametrize("name", ["Oh", "D6h", "C4", "Th", "C3i", "D2d", "Cs"])
def test_blocks_transform_as_rows_x_cols(name):
    G = get_group(name)
    rng = np.random.default_rng(0)
    feats = PGIrreps(G, [(2, ir.name) for ir in G.irreps])
    rows, _ = orbital_basis(G, "spd")
    cols, _ = orbital_basis(G, "sp")
    torch.manual_seed(0)
    block = PGHamiltonianBlock(feats, rows, cols).double()
    x = torch.as_tensor(rng.normal(size=(5, feats.dim)))
    H = block(x)
    assert H.shape == (5, rows.dim, cols.dim) and H.abs().max() > 1e-3
    Din, Dr, Dc = (torch.as_tensor(lay.D()) for lay in (feats, rows, cols))
    for g in range(G.order):
        Hg = block(x @ Din[g].T)
        assert torch.allclose(Hg, Dr[g] @ H @ Dc[g].T, atol=1e-10, rtol=0), (name, g)


def test_orbital_basis_intertwines_the_wigner_matrices():
    """Q maps the real-harmonic orbitals (e3nn's Wigner matrices of (l, (-1)^l), per shell) to the irrep basis."""
    G = get_group("Oh")
    lay, Q = orbital_basis(G, "spdf")
    elements = np.asarray(G.elements, dtype=np.float64)
    W = np.zeros((G.order, 16, 16))
    i = 0
    for l in range(4):
        W[:, i : i + 2 * l + 1, i : i + 2 * l + 1] = _wigner(l, elements)
        i += 2 * l + 1
    assert np.abs(np.einsum("ab,gbc,dc->gad", Q, W, Q) - lay.D()).max() < 1e-10
    # s -> A1g, p -> T1u, d -> Eg + T2g, f -> A2u + T1u + T2u
    counts = {n: lay.count(n) for n in ("A1g", "T1u", "Eg", "T2g", "A2u", "T2u")}
    assert counts == {"A1g": 1, "T1u": 2, "Eg": 1, "T2g": 1, "A2u": 1, "T2u": 1} and lay.dim == 16


def _site_block(structure: Structure, group: str, shells: str):
    """On-site block of atom 0 from the features of a random PGNet core (crystal given in the group's standard
    orientation), in the real-orbital basis."""
    torch.manual_seed(1)
    options = model_options(PGNet, {"scalars": 6, "nonscalars": 3, "num_layers": 2, "cutoff": 4.5, "l_max": 3})
    core = PGNetCore(group, options, []).double()
    data = build_crystal_graph(structure, cutoff=4.5, max_neighbors=None)
    data.pos = torch.as_tensor(structure.cart_coords)  # float64 (crystal graphs store float32)
    data.cell = torch.as_tensor(structure.lattice.matrix).unsqueeze(0)
    vec = edge_vectors(data)
    with torch.no_grad():
        x = core.features(data.z, data.edge_index, vec)
    rows, Q = orbital_basis(group, shells)
    block = PGHamiltonianBlock(core.irreps_out, rows, rows, symmetric=True).double()
    with torch.no_grad():
        return to_orbital_basis(block(x[:1]), Q, Q)[0]


def test_octahedral_site_splits_d_into_eg_and_t2g():
    """Na in rocksalt (site symmetry m-3m): the p block is a multiple of 1, the d block has one twofold (e_g) and
    one threefold (t_2g) eigenvalue, s-d coupling vanishes (no A1g in d) and s-p, p-d vanish (parity)."""
    s = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    H = _site_block(s.get_primitive_structure(), "Oh", "spd")  # order s | p (3) | d (5)
    p, d = H[1:4, 1:4], H[4:9, 4:9]
    assert torch.allclose(p, p[0, 0] * torch.eye(3, dtype=H.dtype), atol=1e-10)
    ev = torch.linalg.eigvalsh(d)
    gaps = sorted(torch.diff(ev).abs().tolist())
    assert gaps[0] < 1e-10 and gaps[1] < 1e-10 and gaps[2] < 1e-10 and gaps[3] > 1e-6  # 2 + 3 degenerate levels
    assert H[0, 1:].abs().max() < 1e-10 and H[1:4, 4:9].abs().max() < 1e-10


def test_trigonal_site_splits_p_into_pz_and_pxpy():
    """Zn in wurtzite (site symmetry 3m, D6h model): p splits into p_z and a degenerate (p_x, p_y) pair, and
    s-p_z mixing is allowed (no inversion at the site)."""
    s = Structure.from_spacegroup("P6_3mc", Lattice.hexagonal(3.25, 5.21), ["Zn", "O"],
                                  [[1 / 3, 2 / 3, 0], [1 / 3, 2 / 3, 0.382]])
    H = _site_block(s, "D6h", "sp")
    ev = torch.linalg.eigvalsh(H[1:4, 1:4])
    gaps = sorted(torch.diff(ev).abs().tolist())
    assert gaps[0] < 1e-10 and gaps[1] > 1e-6
    assert H[0, 1:].abs().max() > 1e-6  # allowed by 3m, so a random model produces it


def test_blocks_float32():
    G = get_group("Oh")
    feats = PGIrreps(G, [(3, ir.name) for ir in G.irreps])
    rows, _ = orbital_basis(G, "spd")
    torch.manual_seed(0)
    block = PGHamiltonianBlock(feats, rows, rows, symmetric=True)
    x = torch.randn(4, feats.dim)
    H = block(x)
    assert torch.allclose(H, H.transpose(1, 2))
    Din, Dr = (torch.as_tensor(lay.D(), dtype=torch.float32) for lay in (feats, rows))
    for g in range(G.order):
        assert torch.allclose(block(x @ Din[g].T), Dr[g] @ H @ Dr[g].T, atol=1e-5, rtol=0)
