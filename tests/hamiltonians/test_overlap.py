"""`overlap_blocks`: the engine's overlap without self-consistency, on the same pairs, R and basis as compute_blocks."""

from __future__ import annotations

import numpy as np
import pytest

from ham_crystals import rocksalt, tblite_or_skip
from pgnn.errors import HamiltonianError


def test_overlap_equals_compute_blocks(nacl_blocks):
    from pgnn.hamiltonians import overlap_blocks

    ref, _ = nacl_blocks
    ov = overlap_blocks(rocksalt(5.64, "Na", "Cl"), radius=3.0, max_atoms=32)
    assert np.array_equal(ov.R, ref.R)
    assert ov.bases == ref.bases and ov.n_orb == ref.n_orb
    assert np.abs(ov.S - ref.S).max() < 1e-8
    assert np.abs(ov.S).max() > 0.5  # on-site diagonal is 1: the comparison is not of zeros
    assert not ov.H.any()
    assert ov.meta["supercell"] == ref.meta["supercell"]


def test_overlap_with_cutoff_keeps_the_same_pairs():
    tblite_or_skip()
    from pgnn.hamiltonians import compute_blocks, overlap_blocks

    st = rocksalt(5.64, "Na", "Cl")
    ref, _ = compute_blocks(st, radius=3.0, max_atoms=32, cutoff=4.5)
    ov = overlap_blocks(st, radius=3.0, max_atoms=32, cutoff=4.5)
    assert np.array_equal(ov.R, ref.R) and np.abs(ov.S - ref.S).max() < 1e-8 and ov.cutoff == ref.cutoff


def test_overlap_bad_input_named():
    tblite_or_skip()
    from pgnn.hamiltonians import overlap_blocks

    with pytest.raises(HamiltonianError, match="unknown tblite option"):
        overlap_blocks(rocksalt(5.64, "Na", "Cl"), radius=3.0, bogus=1)
    with pytest.raises(HamiltonianError, match="tblite"):
        overlap_blocks(rocksalt(5.64, "Na", "Cl"), engine="vasp")
