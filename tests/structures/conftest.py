"""Fixtures of tests/structures: known crystals built in code."""

from __future__ import annotations

import pytest
from known_crystals import perovskite, rocksalt, triclinic, wurtzite


@pytest.fixture
def known():
    return {"rocksalt": rocksalt(), "perovskite": perovskite(), "wurtzite": wurtzite(), "triclinic": triclinic()}
