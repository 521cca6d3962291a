"""First coordination shell ("motif") of every atom by a distance-gap rule, vectorized over all atoms.

Rule (stricter than the bond cutoff): sort the neighbours of atom i by distance d_1 <= d_2 <= ...; consider
candidates with d <= (1 + window) * d_1; the shell ends at the first relative gap d_{n+1} / d_n >= 1 + gap
(the first candidate beyond the window counts as the next distance); if no gap occurs, the shell is every
candidate. Shells larger than `max_size` are cut at the largest gap among the first `max_size` neighbours (extended to the
end of its distance shell when that gap is a tie, so a shell of equidistant neighbours is never split).
Defaults (window 0.5, gap 0.1) give rocksalt 6, diamond 4, CsCl / bcc 8, fcc / hcp 12, and never split
neighbours at equal distance (a cut is only made at a strict gap), so the shell is permutation/rotation invariant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pgnn.graphs.neighbors import TIE_TOLERANCE, Neighbors


@dataclass
class Motifs:
    """First shells of all atoms as a ragged list over the neighbour list.

    center: [N] int64 (atom index, one motif per atom); size: [N] int64 coordination number;
    edge: [sum(size)] int64, indices into the `Neighbors` arrays of the members, grouped by motif (ascending centre).
    vectors: [N, max(size), 3] float64 padded centre -> member vectors (Angstrom); mask: [N, max(size)] bool.
    """

    center: np.ndarray
    size: np.ndarray
    edge: np.ndarray
    vectors: np.ndarray
    mask: np.ndarray


def first_shells(nb: Neighbors, n_atoms: int, window: float = 0.5, gap: float = 0.1, max_size: int = 12) -> Motifs:
    """First coordination shell of each atom from an (uncapped, distance-sorted per centre) neighbour list.

    nb must contain, per centre, every neighbour up to at least (1 + window) * d_1 (plus the next one, to see the
    gap after the last candidate); edges of one centre are contiguous and sorted by distance, as `neighbor_list`
    returns them. Atoms without neighbours get an empty motif (size 0).
    """
    counts = np.bincount(nb.center, minlength=n_atoms)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    d = nb.distance
    E = len(d)
    rank = np.arange(E) - starts[nb.center]
    d1 = d[starts[nb.center]] if E else d
    inwin = d <= (1.0 + window) * d1 * (1.0 + 1e-12) + TIE_TOLERANCE
    # ratio to the next neighbour of the same centre (inf after the last one)
    nxt = np.full(E, np.inf)
    same = np.zeros(E, dtype=bool)
    if E > 1:
        same[:-1] = nb.center[1:] == nb.center[:-1]
        nxt[:-1] = np.where(same[:-1], d[1:], np.inf)
    ratio = nxt / d
    is_gap = inwin & (ratio >= 1.0 + gap)
    is_last_cand = inwin & ~(np.r_[inwin[1:], False] & same) if E else inwin
    cut_here = is_gap | is_last_cand
    # shell size = rank + 1 of the first cut position per centre
    big = np.iinfo(np.int64).max
    first_cut = np.full(n_atoms, big)
    np.minimum.at(first_cut, nb.center[cut_here], rank[cut_here])
    size = np.where(first_cut == big, 0, first_cut + 1)
    over = np.flatnonzero(size > max_size)
    for i in over:  # rare: cut at the largest gap within the first max_size neighbours, never inside a shell
        r = ratio[starts[i]: starts[i] + max_size]
        cut = int(np.argmax(r)) + 1
        di = d[starts[i]: starts[i] + counts[i]]
        while cut < len(di) and di[cut] - di[cut - 1] <= TIE_TOLERANCE:  # all ratios ~1: keep the shell whole
            cut += 1
        size[i] = cut
    member = rank < size[nb.center]
    edge = np.flatnonzero(member)
    K = int(size.max()) if n_atoms and len(size) else 0
    vectors = np.zeros((n_atoms, K, 3))
    mask = np.zeros((n_atoms, K), dtype=bool)
    vectors[nb.center[edge], rank[edge]] = nb.vector[edge]
    mask[nb.center[edge], rank[edge]] = True
    return Motifs(center=np.arange(n_atoms), size=size.astype(np.int64), edge=edge, vectors=vectors, mask=mask)
