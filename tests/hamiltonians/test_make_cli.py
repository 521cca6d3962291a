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


def test_unpack_then_pack_reproduces_the_bundled_dataset(tmp_path):
    """`pgnn hamiltonians unpack` turns the packed set back into a build folder (so `make` extends it without
    recomputing); packing that folder again gives the same shards and records, bit for bit."""
    from pgnn.cli import app
    from pgnn.data.hamiltonians import BUNDLED_HAM

    name = "mp_hamiltonians_pbe_szv"  # the small one: the same code path as the GFN1 set
    if not (BUNDLED_HAM / f"{name}.records.json.gz").exists():
        import pytest

        pytest.skip(f"{name} is not bundled")
    build = tmp_path / "build"
    res = CliRunner().invoke(app, ["hamiltonians", "unpack", str(build), "--name", name])
    assert res.exit_code == 0, res.output
    with gzip.open(BUNDLED_HAM / f"{name}.records.json.gz", "rt") as fh:
        original = json.load(fh)
    assert len(list((build / "crystals").glob("*.npz"))) == len(original["records"])
    res = CliRunner().invoke(app, ["hamiltonians", "pack", str(build), "--name", name, "--dest", str(tmp_path / "re")])
    assert res.exit_code == 0, res.output
    with gzip.open(tmp_path / "re" / f"{name}.records.json.gz", "rt") as fh:
        again = json.load(fh)
    assert [r["id"] for r in again["records"]] == sorted(r["id"] for r in original["records"])
    assert sorted(again["records"], key=lambda r: r["id"]) == sorted(original["records"], key=lambda r: r["id"])
    for shard in {r["shard"] for r in original["records"]}:
        with np.load(BUNDLED_HAM / shard) as a:
            a_ids = list(a["ids"])
        with np.load(tmp_path / "re" / shard) as b:
            assert sorted(list(b["ids"])) == sorted(a_ids)


def test_unknown_engine_option_is_refused_before_any_work(tmp_path):
    from pgnn.cli import app
    from pgnn.errors import ConfigError

    res = CliRunner().invoke(app, ["hamiltonians", "make", str(tmp_path), "--out", str(tmp_path / "o"),
                                   "--engine", "pyscf", "--option", "max_cycles=10"])
    assert isinstance(res.exception, ConfigError)
    assert "max_cycles" in str(res.exception) and "max_cycle," in str(res.exception)  # names the valid ones
    assert not (tmp_path / "o").exists()
    res = CliRunner().invoke(app, ["hamiltonians", "make", str(tmp_path), "--out", str(tmp_path / "o"),
                                   "--option", "radius"])
    assert isinstance(res.exception, ConfigError) and "KEY=VALUE" in str(res.exception)
