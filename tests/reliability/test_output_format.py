"""`pgnn predict` text output: aligned Voigt matrices with units, rounded, 0 where the point group forces it;
`--json` exact; no library warnings on a normal run (issue 14, item 13)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from pgnn.cli.formatting import crystal_operations, format_matrix, format_tensor
from pgnn.tensors import forced_zeros, voigt_to_full

REPO = Path(__file__).resolve().parents[2]


def rocksalt() -> Structure:
    na = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]]
    cl = [[0.5, 0.5, 0.5], [0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5]]
    return Structure(Lattice.cubic(5.64), ["Na"] * 4 + ["Cl"] * 4, na + cl)


def zincblende() -> Structure:
    return Structure.from_spacegroup("F-43m", Lattice.cubic(5.65), ["Ga", "As"], [[0, 0, 0], [0.25, 0.25, 0.25]])


def wurtzite() -> Structure:
    u = 0.382
    coords = [[1 / 3, 2 / 3, 0], [2 / 3, 1 / 3, 0.5], [1 / 3, 2 / 3, u], [2 / 3, 1 / 3, 0.5 + u]]
    return Structure(Lattice.hexagonal(3.25, 5.21), ["Zn", "Zn", "O", "O"], coords)


def triclinic() -> Structure:
    return Structure(Lattice.from_parameters(4.1, 5.3, 6.2, 71, 83, 97), ["Si", "O", "O"],
                     [[0.1, 0.2, 0.3], [0.45, 0.6, 0.2], [0.8, 0.1, 0.7]])


def test_forced_zeros_match_the_textbook_patterns():
    ops, pg = crystal_operations(rocksalt())
    assert pg == "m-3m"
    z = forced_zeros(ops, "elastic")
    allowed = {(a, b) for a in range(3) for b in range(3)} | {(3, 3), (4, 4), (5, 5)}
    assert {(a, b) for a in range(6) for b in range(6) if not z[a, b]} == allowed
    assert forced_zeros(ops, "piezoelectric").all()  # centrosymmetric: no piezoelectricity
    assert (~forced_zeros(ops, "dielectric")).sum() == 3  # isotropic: the diagonal only
    ops, pg = crystal_operations(zincblende())
    assert pg == "-43m"
    assert {(a, b) for a in range(3) for b in range(6) if not forced_zeros(ops, "piezoelectric")[a, b]} == \
        {(0, 3), (1, 4), (2, 5)}  # e14 = e25 = e36
    ops, pg = crystal_operations(wurtzite())
    assert pg == "6mm"  # hexagonal ops contain +-1/2, +-sqrt(3)/2: C11, C12, C13, C33, C44, C66 (C66 = (C11-C12)/2)
    assert (~forced_zeros(ops, "elastic")).sum() == 12
    ops, pg = crystal_operations(triclinic())
    assert pg == "1" and not forced_zeros(ops, "elastic").any()


def test_noise_prints_as_zero_only_where_symmetry_forces_it():
    C = np.array([[47.7628, 16.0360, 16.0360, -2.15e-09, -3.47e-08, 5.2e-08],
                  [16.0360, 47.7628, 16.0360, -7.87e-08, 0, 5.2e-08],
                  [16.0360, 16.0360, 47.7628, 0, 0, 0],
                  [0, 0, 0, 23.9829, 2.3e-08, 0],
                  [0, 0, 0, 0, 23.9829, 0],
                  [0, 0, 0, 0, 0, 23.9829]])
    C = (C + C.T) / 2
    ops, pg = crystal_operations(rocksalt())
    lines = format_tensor("elastic_tensor", voigt_to_full(C, "elastic"), "elastic", "GPa", ops, pg)
    assert lines[0] == "  elastic_tensor (GPa; Voigt 6x6, order xx yy zz yz xz xy):"
    rows = [ln.split() for ln in lines[1:7]]
    assert rows[0] == ["47.76", "16.04", "16.04", "0", "0", "0"]
    assert rows[3] == ["0", "0", "0", "23.98", "0", "0"]
    assert len({len(ln) for ln in lines[1:7]}) == 1  # right-aligned columns
    assert "m-3m" in lines[7]
    # without the point group, noise is rounded, not called zero
    plain = format_matrix(C)
    assert plain[0].split() == ["47.76", "16.04", "16.04", "0.00", "0.00", "0.00"]
    assert "-0.00" not in "".join(plain)
    # a model that breaks the symmetry keeps its number: a 0.5 GPa C14 on a cubic crystal is shown
    broken = C.copy()
    broken[0, 3] = broken[3, 0] = 0.5
    shown = format_tensor("C", voigt_to_full(broken, "elastic"), "elastic", "GPa", ops, pg)
    assert shown[1].split()[3] == "0.50"
    # a tensor the group forbids entirely (piezoelectric, centrosymmetric NaCl): float32 noise is all 0
    e = np.random.default_rng(0).normal(scale=3e-9, size=(3, 6))
    lines = format_tensor("e", voigt_to_full(e, "piezoelectric"), "piezoelectric", "C/m^2", ops, pg)
    assert {x for ln in lines[1:4] for x in ln.split()} == {"0"}


def _pgnn(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    env.pop("PYTHONWARNINGS", None)  # the warnings a user sees: Python's default filters
    return subprocess.run([sys.executable, "-m", "pgnn", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_predict_prints_a_readable_matrix_and_exact_json_without_warnings(tmp_path):
    rocksalt().to(filename=str(tmp_path / "nacl.cif"))
    text = _pgnn("predict", "pg-elastic", "nacl.cif", cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert "Warning" not in text.stderr, text.stderr  # e.g. torch's non-writable-array UserWarning on model load
    lines = text.stdout.splitlines()
    assert lines[0].endswith("point group m-3m")
    matrix = [ln.split() for ln in lines[2:8]]
    assert all(len(r) == 6 for r in matrix)
    assert matrix[0][3:] == ["0", "0", "0"] and matrix[3][:3] == ["0", "0", "0"]
    assert all(len(x.split(".")[-1]) <= 4 for r in matrix for x in r)  # no 17-digit float noise
    js = _pgnn("predict", "pg-elastic", "nacl.cif", "--json", "--voigt", cwd=tmp_path)
    assert js.returncode == 0 and "Warning" not in js.stderr, js.stderr
    C = np.array(json.loads(js.stdout)[0]["elastic_tensor"])
    assert C.shape == (6, 6)
    assert 0 < abs(C[0, 3]) < 1e-5  # --json keeps the exact float32 noise, it is not rounded
    assert f"{C[0, 0]:.2f}" == matrix[0][0]
