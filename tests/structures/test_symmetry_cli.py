"""`pgnn symmetry FILE... --json`: output shape, order, and the error line for bad files."""

from __future__ import annotations

import json

import typer
from known_crystals import perovskite, rocksalt, write_cif, wurtzite
from typer.testing import CliRunner

from pgnn.cli.symmetry_cmd import register


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:  # keeps `symmetry` a named sub-command even when it is the only one
        pass

    return app


def test_json_shape_and_order(tmp_path):
    write_cif(rocksalt(), tmp_path / "nacl.cif")
    wurtzite().to(filename=str(tmp_path / "POSCAR"), fmt="poscar")
    perovskite().to(filename=str(tmp_path / "sto.vasp"), fmt="poscar")
    files = [str(tmp_path / "POSCAR"), str(tmp_path / "nacl.cif"), str(tmp_path / "sto.vasp")]
    result = CliRunner().invoke(_app(), ["symmetry", *files, "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [o["file"] for o in out] == files
    keys = {"file", "space_group_number", "space_group_symbol", "point_group", "point_group_schoenflies", "sites"}
    assert all(set(o) == keys for o in out)
    assert [(o["space_group_number"], o["space_group_symbol"], o["point_group"], o["point_group_schoenflies"])
            for o in out] == [(186, "P6_3mc", "6mm", "C6v"), (225, "Fm-3m", "m-3m", "Oh"), (221, "Pm-3m", "m-3m", "Oh")]
    sto_sites = out[2]["sites"]
    assert sto_sites[2] == {"species": "O", "wyckoff": "c", "site_symmetry": "4/mm.m", "orbit": 2}
    assert [s["species"] for s in sto_sites] == ["Sr", "Ti", "O", "O", "O"]
    assert all(isinstance(s["orbit"], int) for o in out for s in o["sites"])


def test_bad_file_is_reported_and_others_printed(tmp_path):
    write_cif(rocksalt(), tmp_path / "nacl.cif")
    (tmp_path / "junk.cif").write_text("not a cif")
    files = [str(tmp_path / "junk.cif"), str(tmp_path / "nacl.cif"), str(tmp_path / "missing.cif")]
    result = CliRunner().invoke(_app(), ["symmetry", *files, "--json"])
    assert result.exit_code == 2
    assert [o["file"] for o in json.loads(result.stdout)] == [files[1]]
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"pgnn: error: {files[0]}: unreadable")
    assert lines[1] == f"pgnn: error: {files[2]}: no such file"


def test_table_and_symprec(tmp_path):
    s = rocksalt()
    s.translate_sites([0], [0.002, 0.0, 0.0], frac_coords=True)
    write_cif(s, tmp_path / "nacl.cif")
    loose = CliRunner().invoke(_app(), ["symmetry", str(tmp_path / "nacl.cif"), "--symprec", "0.1"])
    assert loose.exit_code == 0 and "Fm-3m (No. 225)" in loose.stdout and "m-3m (Oh)" in loose.stdout
    tight = CliRunner().invoke(_app(), ["symmetry", str(tmp_path / "nacl.cif"), "--symprec", "0.0001"])
    assert tight.exit_code == 0 and "Fm-3m" not in tight.stdout
