"""`pgnn hamiltonians make` on a folder of POSCAR files: writes shards and records, resumes, reports skips."""

from __future__ import annotations

import gzip
import json

import numpy as np
from typer.testing import CliRunner

from ham_crystals import rocksalt, tblite_or_skip


def test_make_folder_resume_and_skip(tmp_path):
    tblite_or_skip()
    from pymatgen.core import Lattice, Structure

    from pgnn.cli import app
    from pgnn.data.hamiltonians import load_dataset

    data = tmp_path / "data"
    data.mkdir()
    rocksalt(5.64, "Na", "Cl").to(filename=str(data / "NaCl.vasp"), fmt="poscar")
    Structure(Lattice.cubic(3.0), ["U", "O"], [[0, 0, 0], [0.5, 0.5, 0.5]]).to(filename=str(data / "UO.vasp"), fmt="poscar")
    out = tmp_path / "out"
    args = ["hamiltonians", "make", str(data), "--out", str(out), "--name", "tiny", "--radius", "3.0",
            "--supercell-atoms", "32", "--workers", "1", "--json"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output[res.output.index("{"):])
    assert summary["n"] == 1 and summary["skipped"] == 1
    assert any("UO" in s["id"] and "no parameters for U" in s["reason"] for s in summary["skipped_reasons"])
    assert (out / "tiny-000.npz").exists()
    with gzip.open(out / "tiny.records.json.gz", "rt") as fh:
        rec = json.load(fh)["records"][0]
    assert rec["folded_full"]["max_meV"] < 0.1 and rec["float32_band_error"]["max_meV"] < 1.0
    mtime = (out / "crystals" / "NaCl.npz").stat().st_mtime_ns
    res = CliRunner().invoke(app, args)  # resumes: nothing recomputed
    assert res.exit_code == 0 and (out / "crystals" / "NaCl.npz").stat().st_mtime_ns == mtime
    recs, loaders = load_dataset(out)
    b = loaders["NaCl"]()
    assert b.hermiticity_error() == 0.0  # the Hermitian half is stored: exact by construction
    assert np.allclose(b.cell, rocksalt(5.64, "Na", "Cl").lattice.matrix)
