"""Atom pairs of a crystal and a shared orbital layout, for models that predict Hamiltonian blocks.

Pairs. `pair_list(cell, positions, cutoff)`: every ordered pair (i, j, R) with |r_j + R @ cell - r_i| <= cutoff,
the on-site pairs (i, i, 0) included. The list is defined by distances alone, so it keeps or drops whole shells of
equidistant neighbours and does not depend on the order of the atoms; each pair's partner (j, i, -R) is in it.

Slots. A model predicts every block in one padded orbital layout, the "slots" (default "sspd": s, s, p, d = 10
orbitals, enough for GFN1-xTB's bases: H 1s 2s; main-group s p (d); transition metals d s p). `slot_index(basis,
slots)` places each shell of an element's `OrbitalBasis` in the first free slot of its l: a block [n_i, n_j] of the
element pair is block[slot_i][:, slot_j] of the padded one. All orbitals keep e3nn's real-harmonic order.

`crystal_sample(...)`: the numpy arrays a Hamiltonian model and its loss need for one crystal (see its docstring).
"""

from __future__ import annotations

import itertools

import numpy as np

from pgnn.errors import HamiltonianError

__all__ = ["SLOT_LETTERS", "slot_ls", "slot_index", "pair_list", "crystal_sample", "blocks_from_slots"]

SLOT_LETTERS = {"s": 0, "p": 1, "d": 2, "f": 3}
SHELL_TOL = 1e-4  # Angstrom: a pair this close to the cutoff counts as inside (keeps near-equidistant shells whole)


def slot_ls(slots: str) -> list[int]:
    """Angular momenta of the slots, e.g. "sspd" -> [0, 0, 1, 2]."""
    bad = [c for c in slots if c not in SLOT_LETTERS]
    if bad or not slots:
        raise ValueError(f"orbital slots {slots!r}: use letters of 'spdf', e.g. 'sspd'")
    return [SLOT_LETTERS[c] for c in slots]


def slot_offsets(slots: str) -> np.ndarray:
    ls = slot_ls(slots)
    return np.concatenate([[0], np.cumsum([2 * l + 1 for l in ls])]).astype(int)


def slot_index(basis, slots: str, source: str = "") -> np.ndarray:
    """[n_orb] index of each orbital of `basis` (an OrbitalBasis) in the padded slot layout."""
    ls, off = slot_ls(slots), slot_offsets(slots)
    used = [False] * len(ls)
    out = []
    for sh in basis.shells:
        free = [k for k, l in enumerate(ls) if l == sh.l and not used[k]]
        if not free:
            raise HamiltonianError(source or basis.element, f"element {basis.element} has more shells of l={sh.l} "
                                   f"than the model's orbital slots {slots!r} hold")
        k = free[0]
        used[k] = True
        out.extend(range(off[k], off[k] + 2 * sh.l + 1))
    return np.asarray(out, dtype=np.int64)


def pair_list(cell, positions, cutoff: float):
    """(i [P], j [P], R [P, 3] int, vec [P, 3]) of every ordered pair within `cutoff` (Angstrom), sorted by
    (i, j, R). vec = r_j + R @ cell - r_i."""
    cell = np.asarray(cell, dtype=float)
    pos = np.asarray(positions, dtype=float)
    inv = np.linalg.inv(cell)
    # |R| range per lattice direction: the spacing of lattice planes is 1 / |column of inv(cell)|
    frac = pos @ inv
    span = np.ceil(cutoff * np.linalg.norm(inv, axis=0) + np.ptp(frac, axis=0) + 1e-6).astype(int)
    rng = [range(-s, s + 1) for s in span]
    Rs = np.array(list(itertools.product(*rng)), dtype=np.int64)
    d = pos[None, None, :, :] + (Rs @ cell)[:, None, None, :] - pos[None, :, None, :]  # [nR, N(i), N(j), 3]
    dist = np.linalg.norm(d, axis=-1)
    r, i, j = np.nonzero(dist <= cutoff + SHELL_TOL)
    order = np.lexsort((Rs[r, 2], Rs[r, 1], Rs[r, 0], j, i))
    r, i, j = r[order], i[order], j[order]
    return i, j, Rs[r], d[r, i, j]


def crystal_sample(cell, positions, numbers, bases: dict, slots: str, cutoff: float, conv_cutoff: float,
                   blocks=None, source: str = "") -> dict:
    """Arrays of one crystal for a Hamiltonian model (float64 geometry, input frame, atoms in input order):

    z [N]; pair_i, pair_j [P], pair_R [P, 3], pair_vec [P, 3] (Angstrom), partner [P] (index of (j, i, -R)),
    onsite [P] bool; edge_src, edge_dst [E] atom indices and edge_vec [E, 3] of the message-passing graph (pairs
    with 0 < d <= conv_cutoff; edge from neighbour j = src to i = dst); orb_mask [N, n_slot_orb] (the slots the
    element fills); with `blocks` (RealSpaceBlocks of this cell): target [P, n, n] (eV, padded layout) and
    target_S [P, n, n] (the engine's overlap, same layout) and target_mask [P, n, n] (orbitals present and the
    block stored); blocks beyond `cutoff` are left out.
    """
    numbers = np.asarray(numbers, dtype=np.int64)
    i, j, R, vec = pair_list(cell, positions, cutoff)
    if len(numbers) == 0:
        raise HamiltonianError(source, "no atoms")
    key = {(a, b, *r): p for p, (a, b, r) in enumerate(zip(i.tolist(), j.tolist(), R.tolist()))}
    partner = np.array([key[(b, a, *(-np.asarray(r)).tolist())] for a, b, r in zip(i.tolist(), j.tolist(), R.tolist())],
                       dtype=np.int64)
    onsite = (i == j) & np.all(R == 0, axis=1)
    dist = np.linalg.norm(vec, axis=1)
    conv = (~onsite) & (dist <= conv_cutoff + SHELL_TOL)
    n_slot = int(slot_offsets(slots)[-1])
    idx = {int(z): slot_index(bases[int(z)], slots, source) for z in set(numbers.tolist())}
    orb_mask = np.zeros((len(numbers), n_slot), dtype=bool)
    for a, z in enumerate(numbers):
        orb_mask[a, idx[int(z)]] = True
    out = {"z": numbers, "pair_i": i, "pair_j": j, "pair_R": R, "pair_vec": vec, "partner": partner,
           "onsite": onsite, "edge_src": j[conv], "edge_dst": i[conv], "edge_vec": vec[conv], "orb_mask": orb_mask}
    if blocks is not None:
        off = blocks.orbital_offsets()
        target = np.zeros((len(i), n_slot, n_slot))
        target_S = np.zeros((len(i), n_slot, n_slot))
        mask = np.zeros((len(i), n_slot, n_slot), dtype=bool)
        rindex = {tuple(r): a for a, r in enumerate(blocks.R.tolist())}
        for p, (a, b, r) in enumerate(zip(i.tolist(), j.tolist(), R.tolist())):
            ri = rindex.get(tuple(r))
            if ri is None:
                continue
            hb = blocks.H[ri, off[a]:off[a + 1], off[b]:off[b + 1]]
            sb = blocks.S[ri, off[a]:off[a + 1], off[b]:off[b + 1]]
            if not (np.any(hb != 0) or np.any(sb != 0)):
                continue  # not stored by the engine
            ia, ib = idx[int(numbers[a])], idx[int(numbers[b])]
            target[p][np.ix_(ia, ib)] = hb
            target_S[p][np.ix_(ia, ib)] = sb
            mask[p][np.ix_(ia, ib)] = True
        out["target"], out["target_S"], out["target_mask"] = target, target_S, mask
    return out


def blocks_from_slots(sample: dict, pred: np.ndarray, bases: dict, slots: str, cell, positions, S_blocks=None,
                      engine: str = "model"):
    """RealSpaceBlocks of predicted padded blocks `pred` [P, n, n] (eV) of `sample`: H from the prediction, S from
    `S_blocks` (the engine's RealSpaceBlocks of the same cell; zero where it has no block) or zero."""
    from pgnn.hamiltonians.blocks import RealSpaceBlocks

    numbers = sample["z"]
    Rs = sorted({tuple(r) for r in sample["pair_R"].tolist()} | ({tuple(r) for r in S_blocks.R.tolist()}
                                                              if S_blocks is not None else set()))
    Rs = np.array(Rs, dtype=np.int64).reshape(-1, 3)
    rindex = {tuple(r): a for a, r in enumerate(Rs.tolist())}
    n_orb = [bases[int(z)].n_orb for z in numbers]
    off = np.concatenate([[0], np.cumsum(n_orb)]).astype(int)
    H = np.zeros((len(Rs), off[-1], off[-1]))
    S = np.zeros_like(H)
    idx = {int(z): slot_index(bases[int(z)], slots) for z in set(numbers.tolist())}
    for p, (a, b, r) in enumerate(zip(sample["pair_i"].tolist(), sample["pair_j"].tolist(), sample["pair_R"].tolist())):
        ia, ib = idx[int(numbers[a])], idx[int(numbers[b])]
        H[rindex[tuple(r)], off[a]:off[a + 1], off[b]:off[b + 1]] = pred[p][np.ix_(ia, ib)]
    cutoff = float(np.linalg.norm(sample["pair_vec"], axis=1).max()) if len(sample["pair_vec"]) else 0.0
    if S_blocks is not None:
        for a, r in enumerate(S_blocks.R.tolist()):
            S[rindex[tuple(r)]] = S_blocks.S[a]
        cutoff = max(cutoff, float(S_blocks.cutoff))
    return RealSpaceBlocks(np.asarray(cell, float), np.asarray(positions, float), numbers, dict(bases), Rs, H, S,
                           cutoff, engine)
