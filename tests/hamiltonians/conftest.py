"""Fixtures computed once per test run: tiny crystals through tblite."""

from __future__ import annotations

import pytest

from ham_crystals import rocksalt, rutile, tblite_or_skip


@pytest.fixture(scope="session")
def nacl_blocks():
    tblite_or_skip()
    from pgnn.hamiltonians import compute_blocks

    return compute_blocks(rocksalt(5.64, "Na", "Cl"), radius=3.0, max_atoms=32)


@pytest.fixture(scope="session")
def rutile_blocks():
    tblite_or_skip()
    from pgnn.hamiltonians import compute_blocks

    return compute_blocks(rutile(), radius=2.9, max_atoms=48)
