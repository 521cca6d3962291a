"""Hamiltonian models (pg_hamiltonian, o3_hamiltonian): equivariance of the predicted blocks, exact Hermiticity,
frame and atom-order covariance, the crystal-field form of on-site blocks, configs and the split."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from pgnn.groups import point_group
from pgnn.groups.registry import list_groups
from pgnn.hamiltonians.basis import OrbitalBasis, Shell
from pgnn.models import hamiltonian_common as hc
from pgnn.models.pg_hamiltonian import PGHamiltonianCore
from pgnn.models.registry import build_model, model_options
from pgnn.models.pg_hamiltonian import PGHamiltonian

TINY_PG = {"name": "pg_hamiltonian", "scalars": 4, "nonscalars": 1, "num_layers": 1, "pair_channels": 2,
           "pair_hidden": 8, "radial_hidden": 8, "num_basis": 4, "cutoff": 4.0, "conv_cutoff": 3.5}
TINY_O3 = {"name": "o3_hamiltonian", "hidden": "4x0e+2x0o+2x1o+2x1e+2x2e+2x2o+1x3o+1x3e+1x4e+1x4o",
           "num_layers": 1, "pair_channels": 2, "pair_hidden": 8, "radial_hidden": 8, "num_basis": 4,
           "cutoff": 4.0, "conv_cutoff": 3.5}
# GFN1-like bases: main group s p, transition metal d s p, hydrogen s s
BASES = {8: OrbitalBasis("O", (Shell(2, 0), Shell(2, 1))), 22: OrbitalBasis("Ti", (Shell(3, 2), Shell(4, 0), Shell(4, 1))),
         1: OrbitalBasis("H", (Shell(1, 0), Shell(2, 0)))}


def random_crystal(seed: int, n: int = 3):
    """A random non-symmetric periodic cell (Angstrom) with atoms O, Ti, H."""
    rng = np.random.default_rng(seed)
    cell = np.diag([2.9, 3.1, 3.3]) + rng.normal(0, 0.25, (3, 3))
    frac = rng.random((n, 3))
    z = np.array([8, 22, 1, 8, 22][:n])
    return cell, frac @ cell, z


def _pair_map(s1, s2, perm_inv):
    key = {(a, b, *r): p for p, (a, b, r) in enumerate(zip(s2["pair_i"].tolist(), s2["pair_j"].tolist(),
                                                            s2["pair_R"].tolist()))}
    return np.array([key[(perm_inv[a], perm_inv[b], *r)] for a, b, r in zip(s1["pair_i"].tolist(),
                                                                            s1["pair_j"].tolist(),
                                                                            s1["pair_R"].tolist())])


@pytest.mark.parametrize("name", list_groups())
def test_pg_core_equivariant_all_groups(name):
    """For every point group, on random non-symmetric periodic inputs (float64):
    H(g r) = D(g) H(r) D(g)^T for every group element, to 1e-10 of the block scale."""
    torch.manual_seed(0)
    G = point_group(name)
    cfg = model_options(PGHamiltonian, {**TINY_PG, "group": G.name})
    core = PGHamiltonianCore(G.name, cfg).double()
    for p in core.parameters():  # non-trivial weights everywhere (some are initialised to zero)
        torch.nn.init.normal_(p, std=0.5)
    cell, pos, z = random_crystal(1)
    s = hc.crystal_sample(cell, pos, z, BASES, cfg["slots"], cfg["cutoff"], cfg["conv_cutoff"])
    t = {k: torch.as_tensor(v) for k, v in s.items()}
    ei = torch.stack([t["edge_src"], t["edge_dst"]])

    def run(R):
        R = torch.as_tensor(R)
        return core(t["z"], ei, t["edge_vec"] @ R.T, t["pair_i"], t["pair_j"], t["pair_vec"] @ R.T, t["partner"],
                    t["onsite"])

    H = run(np.eye(3))
    scale = float(H.abs().max())
    assert scale > 1e-3
    elements = np.asarray(G.elements)
    for g in elements[:: max(1, len(elements) // 8)]:  # up to 8 elements spread over the group
        D = torch.as_tensor(hc.slot_rotation(cfg["slots"], g))
        err = float((run(g) - D @ H @ D.T).abs().max())
        assert err <= 1e-10 * scale, (name, err)
    assert torch.equal(H[t["partner"]].transpose(1, 2), H)  # Hermitian: H_ji(-R) = H_ij(R)^T exactly


@pytest.mark.parametrize("edge", ["averaged", "averaged_sh"])
def test_pg_core_group_averaged_edges(edge):
    torch.manual_seed(1)
    cfg = model_options(PGHamiltonian, {**TINY_PG, "group": "Oh", "edge": edge, "edge_copies": 1, "edge_l_max": 4})
    core = PGHamiltonianCore("Oh", cfg).double()
    cell, pos, z = random_crystal(2)
    s = hc.crystal_sample(cell, pos, z, BASES, cfg["slots"], cfg["cutoff"], cfg["conv_cutoff"])
    t = {k: torch.as_tensor(v) for k, v in s.items()}
    ei = torch.stack([t["edge_src"], t["edge_dst"]])
    run = lambda R: core(t["z"], ei, t["edge_vec"] @ R.T, t["pair_i"], t["pair_j"], t["pair_vec"] @ R.T,
                         t["partner"], t["onsite"])
    H = run(torch.eye(3, dtype=torch.float64))
    for g in np.asarray(point_group("Oh").elements)[::6]:
        D = torch.as_tensor(hc.slot_rotation(cfg["slots"], g))
        assert float((run(torch.as_tensor(g)) - D @ H @ D.T).abs().max()) <= 1e-10 * float(H.abs().max())


def _model(cfg, seed=0):
    torch.manual_seed(seed)
    m = build_model(cfg, []).double()
    with torch.no_grad():
        m.level.weight.normal_(0, 1.0)
    return m.eval()


@pytest.mark.parametrize("cfg", [TINY_PG, TINY_O3], ids=["pg", "o3"])
@pytest.mark.parametrize("improper", [False, True])
def test_model_frame_and_atom_order(cfg, improper):
    """A rotated (proper or improper) and permuted copy of a random crystal gives the rotated blocks of the
    corresponding pairs (float64, 1e-10 of the block scale) and exactly Hermitian blocks."""
    m = _model(cfg)
    cell, pos, z = random_crystal(3, n=4)
    Rm = Rotation.random(random_state=7).as_matrix() * (-1.0 if improper else 1.0)
    perm = np.array([2, 0, 3, 1])
    s1 = m.prepare(cell, pos, z, BASES)
    s2 = m.prepare(cell @ Rm.T, (pos @ Rm.T)[perm], z[perm], BASES)
    with torch.no_grad():
        H1, H2 = m(hc.collate([s1])), m(hc.collate([s2]))
    q = _pair_map(s1, s2, np.argsort(perm))
    D = torch.as_tensor(hc.slot_rotation(m.config["slots"], Rm))
    scale = float(H1.abs().max())
    assert float((D @ H1 @ D.T - H2[q]).abs().max()) <= 1e-10 * scale
    for H, s in ((H1, s1), (H2, s2)):
        assert torch.equal(H[torch.as_tensor(s["partner"])].transpose(1, 2), H)


def test_o3_head_random_rotations_and_inversion():
    m = _model(TINY_O3, seed=3)
    cell, pos, z = random_crystal(5)
    s = m.prepare(cell, pos, z, BASES)
    with torch.no_grad():
        H = m(hc.collate([s]))
    for k in range(4):
        Rm = Rotation.random(random_state=10 + k).as_matrix() * (-1.0 if k % 2 else 1.0)
        s2 = m.prepare(cell @ Rm.T, pos @ Rm.T, z, BASES)
        with torch.no_grad():
            H2 = m(hc.collate([s2]))
        D = torch.as_tensor(hc.slot_rotation("sspd", Rm))
        assert float((D @ H @ D.T - H2).abs().max()) <= 1e-10 * float(H.abs().max())
    # inversion alone: s and d blocks even, p odd
    s3 = m.prepare(-cell, -pos, z, BASES)
    with torch.no_grad():
        H3 = m(hc.collate([s3]))
    par = torch.as_tensor(np.concatenate([[1, 1], [-1] * 3, [1] * 5]).astype(float))
    assert float((par[:, None] * H * par[None, :] - H3).abs().max()) <= 1e-10 * float(H.abs().max())


@pytest.mark.parametrize("cfg", [TINY_PG, TINY_O3], ids=["pg", "o3"])
def test_onsite_d_block_at_oh_site_splits_eg_t2g(cfg):
    """Rocksalt TiO (Ti on an O_h site), in a random orientation: the predicted Ti 3d on-site block has two
    levels only, a doubly (e_g) and a triply (t_2g) degenerate one, with untrained random weights."""
    from pymatgen.core import Lattice, Structure

    st = Structure.from_spacegroup("Fm-3m", Lattice.cubic(4.18), ["Ti", "O"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    st = st.get_primitive_structure()
    Rm = Rotation.random(random_state=4).as_matrix()
    m = _model(cfg, seed=5)
    s = m.prepare(st.lattice.matrix @ Rm.T, st.cart_coords @ Rm.T, np.array(st.atomic_numbers), BASES)
    with torch.no_grad():
        H = m(hc.collate([s])).numpy()
    ti = int(np.nonzero(s["z"] == 22)[0][0])
    p = int(np.nonzero(s["onsite"] & (s["pair_i"] == ti))[0][0])
    ev = np.linalg.eigvalsh(H[p][5:10, 5:10])  # the d slot
    spread = ev[-1] - ev[0]
    assert spread > 1e-4  # crystal-field split, not degenerate
    groups = [ev[:2], ev[2:]] if ev[2] - ev[1] > ev[3] - ev[2] else [ev[:3], ev[3:]]
    assert {len(g) for g in groups} == {2, 3}
    assert max(float(np.ptp(g)) for g in groups) <= 1e-9 * max(spread, 1.0)
    # the p block (O_h: T1u) is a multiple of the identity
    pb = H[p][2:5, 2:5]
    assert np.abs(pb - np.eye(3) * np.trace(pb) / 3).max() <= 1e-9 * max(np.abs(pb).max(), 1.0)


def test_config_overrides_and_split():
    """The options the benchmark sets are accepted; the split is by id and nested in train_fraction."""
    from pgnn.training.config import load_config
    from pgnn.training.hamiltonian_fit import hamiltonian_split

    pg = load_config("configs/pg_hamiltonian.yaml", ["model.edge=averaged", "data.train_fraction=0.25"])
    assert pg["model"]["edge"] == "averaged" and pg["data"]["train_fraction"] == 0.25
    o3c = load_config("configs/o3_hamiltonian.yaml", ["model.l_max=2"])
    m = build_model(o3c["model"], [])
    assert max(ir.l for _, ir in m.pair.irreps_out) == 2
    from pgnn.errors import ConfigError

    with pytest.raises(ConfigError, match="valid keys"):
        load_config("configs/pg_hamiltonian.yaml", ["model.no_such_key=1"])
    recs = [{"id": f"mp-{k}"} for k in range(400)]
    full = hamiltonian_split(recs, pg | {"data": {**pg["data"], "train_fraction": 1.0}})
    quarter = hamiltonian_split(recs, pg)
    assert set(quarter["train"]) <= set(full["train"]) and quarter["test"] == full["test"]
    assert 0.15 < len(quarter["train"]) / len(full["train"]) < 0.35
