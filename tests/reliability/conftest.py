"""Helpers of the reliability tests: poisoned files that would run a command when loaded unsafely, real
structure files, and a CLI runner that returns (exit code, stdout, stderr)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


class Poison:
    """Unpickling this object runs `touch <marker>` (what a malicious checkpoint or cache file would do)."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def marker(tmp_path) -> Path:
    path = tmp_path / "PWNED"
    assert not path.exists()
    return path


@pytest.fixture
def nacl_cif(tmp_path) -> Path:
    """Rock-salt NaCl as a CIF written by pymatgen (conventional cell, 8 atoms)."""
    from pymatgen.core import Lattice, Structure
    from pymatgen.io.cif import CifWriter

    s = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    path = tmp_path / "nacl.cif"
    CifWriter(s).write_file(str(path))
    return path


@pytest.fixture
def copy_model(tmp_path):
    """copy_model(name) -> a copy of a shipped model's folder (config.yaml + weights) under tmp_path."""
    from pgnn.training.runs import PRETRAINED_DIR

    def copy(name: str) -> Path:
        dst = tmp_path / f"copy-{name}"
        shutil.copytree(PRETRAINED_DIR / name, dst)
        return dst

    return copy


def run_cli(*args, cwd: Path | None = None, env: dict | None = None, timeout: int = 300):
    """`python -m pgnn ARGS...` in a subprocess: (exit code, stdout, stderr)."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "pgnn", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=full_env, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def tiny_config(cache_dir, **trainer) -> dict:
    """A CGCNN config on 24 bundled structures: seconds per fit."""
    return {
        "seed": 0,
        "data": {"dataset": "mp_binary_moduli_2025", "targets": ["log10_K_VRH"], "limit": 24,
                 "split": {"fractions": [0.6, 0.2, 0.2]}, "batch_size": 8, "cache_dir": str(cache_dir), "workers": 1},
        "model": {"name": "cgcnn", "hidden": 8, "num_layers": 1, "head_hidden": 16, "num_basis": 12},
        "optim": {"lr": 0.01},
        "trainer": {"max_epochs": 2, "enable_progress_bar": False, "enable_model_summary": False, **trainer},
    }


def invoke(*args):
    """The CLI in-process: (exit code, output, exception or None); pgnn errors come back as the exception."""
    from typer.testing import CliRunner

    from pgnn.cli import app

    res = CliRunner().invoke(app, [str(a) for a in args])
    exc = res.exception if not isinstance(res.exception, SystemExit) else None
    return res.exit_code, res.output, exc
