"""Shared fixtures. Tests read the bundled data shipped in the package; tests that need the larger
`../shared/data` folder skip with a clear message when it is absent."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

warnings.filterwarnings("ignore", module="torch_geometric")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("PGNN_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent (set PGNN_SHARED_DATA to point at it)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def bundled_records():
    """Loader: bundled_records(name, n) -> first n Entry objects of a bundled dataset (cached per name)."""
    from pgnn.data.registry import bundled_path
    from pgnn.structures.records import entry_from_record, load_json_records

    cache: dict[str, list] = {}

    def get(name: str, n: int | None = None):
        if name not in cache:
            cache[name] = load_json_records(bundled_path(name))
        recs = cache[name] if n is None else cache[name][:n]
        return [entry_from_record(r, name) for r in recs]

    return get
