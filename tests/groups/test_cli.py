"""`pgnn groups` JSON shapes."""

import json

import pytest
import typer
from typer.testing import CliRunner

from pgnn.cli.groups_cmd import register


@pytest.fixture(scope="module")
def run():
    app = typer.Typer()

    @app.callback()
    def main():  # keeps `groups` a sub-command as in the full CLI
        pass

    register(app)
    runner = CliRunner()

    def _run(*args):
        res = runner.invoke(app, ["groups", *args])
        return res

    return _run


def test_list(run):
    res = run()
    assert res.exit_code == 0
    assert len([line for line in res.output.splitlines()[1:] if line.strip()]) == 32
    rows = json.loads(run("--json").output)
    assert len(rows) == 32 and rows[-1]["name"] == "Oh"


def test_group_json(run):
    out = json.loads(run("Oh", "--json").output)
    assert (out["name"], out["hm"], out["order"]) == ("Oh", "m-3m", 48)
    assert len(out["elements"]) == 48 and all(len(g) == 3 and all(len(r) == 3 for r in g) for g in out["elements"])
    assert [ir["name"] for ir in out["irreps"]] == ["A1g", "A2g", "Eg", "T1g", "T2g", "A1u", "A2u", "Eu", "T1u", "T2u"]
    assert all(len(ir["characters"]) == 48 for ir in out["irreps"])
    assert sum(ir["dim"] ** 2 for ir in out["irreps"]) == 48
    out = json.loads(run("m-3", "--json").output)
    assert out["name"] == "Th" and any("note" in ir for ir in out["irreps"])


def test_decompose_and_tensor_json(run):
    assert json.loads(run("Oh", "--decompose", "2", "--parity", "even", "--json").output)["irreps"] == {"Eg": 1, "T2g": 1}
    assert json.loads(run("m-3m", "--decompose", "3", "--parity", "odd", "--json").output)["irreps"] == {
        "A2u": 1, "T1u": 1, "T2u": 1}
    out = json.loads(run("6mm", "--tensor", "piezoelectric", "--json").output)
    assert out["independent_components"] == 3 and isinstance(out["irreps"], dict)
    assert json.loads(run("--tensor", "ijk=ikj", "--json", "--", "-43m").output)["independent_components"] == 1
    assert json.loads(run("Oh", "--tensor", "elastic", "--json").output)["independent_components"] == 3


def test_readable_and_errors(run):
    res = run("D6h")
    assert res.exit_code == 0 and "E2u" in res.output
    assert "Eg + T2g" in run("Oh", "--decompose", "2").output
    assert run("Q9").exit_code != 0
    assert run("Oh", "--tensor", "ij=jk").exit_code != 0
