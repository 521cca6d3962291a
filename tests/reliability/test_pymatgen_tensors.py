"""`predict(..., as_pymatgen=True)` returns pymatgen tensor objects; `pgnn predict --derived` prints their derived
properties (issue 14, item 10)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pymatgen.analysis.elasticity import ElasticTensor
from pymatgen.analysis.piezo import PiezoTensor
from pymatgen.core import Lattice, Structure
from pymatgen.core.tensors import Tensor
from typer.testing import CliRunner

from pgnn.tensors import bulk_shear_moduli, voigt_to_full
from pgnn.tensors.pymatgen_tensors import derived_properties, to_pymatgen


def rutile() -> Structure:
    return Structure.from_spacegroup("P4_2/mnm", Lattice.tetragonal(4.59, 2.96), ["Ti", "O"],
                                     [[0, 0, 0], [0.305, 0.305, 0]])


def test_conversion_and_derived_properties_of_known_tensors():
    C = np.array([[165.7, 63.9, 63.9, 0, 0, 0], [63.9, 165.7, 63.9, 0, 0, 0], [63.9, 63.9, 165.7, 0, 0, 0],
                  [0, 0, 0, 79.6, 0, 0], [0, 0, 0, 0, 79.6, 0], [0, 0, 0, 0, 0, 79.6]])  # Si, GPa
    et = to_pymatgen(voigt_to_full(C, "elastic"), "elastic")
    assert isinstance(et, ElasticTensor) and np.allclose(et.voigt, C)
    d = derived_properties(et, "elastic")
    ours = bulk_shear_moduli(C)
    assert d["K_VRH"] == pytest.approx(float(ours["K_VRH"]), rel=1e-12)
    assert d["K_VRH"] == pytest.approx((165.7 + 2 * 63.9) / 3, rel=1e-12)  # cubic: K = (C11 + 2 C12) / 3
    assert d["G_VRH"] == pytest.approx(float(ours["G_VRH"]), rel=1e-12)
    AU = 5 * ours["G_V"] / ours["G_R"] + ours["K_V"] / ours["K_R"] - 6  # Ranganathan & Ostoja-Starzewski 2008
    assert d["universal_anisotropy"] == pytest.approx(float(AU), rel=1e-9) and d["universal_anisotropy"] > 0.1
    e = np.zeros((3, 6))
    e[0, 3] = e[1, 4] = e[2, 5] = -0.16  # GaAs-like -43m
    pt = to_pymatgen(voigt_to_full(e, "piezoelectric"), "piezoelectric")
    assert isinstance(pt, PiezoTensor) and np.allclose(pt.voigt, e)
    assert derived_properties(pt, "piezoelectric")["max_abs_eij"] == pytest.approx(0.16)
    eps = np.array([[7.0, 0.5, 0], [0.5, 7.0, 0], [0, 0, 9.0]])
    dt = to_pymatgen(eps, "dielectric")
    assert isinstance(dt, Tensor) and dt.shape == (3, 3)
    assert derived_properties(dt, "dielectric")["eigenvalues"] == pytest.approx([6.5, 7.5, 9.0])


@pytest.mark.slow
def test_predictor_returns_pymatgen_objects_and_cli_prints_them(tmp_path):
    import pgnn
    from pgnn.cli import app

    s = rutile()
    model = pgnn.load("pg-elastic")
    [raw] = model.predict([s])
    [obj] = model.predict([s], as_pymatgen=True)
    et = obj["elastic_tensor"]
    assert isinstance(et, ElasticTensor)
    assert np.allclose(np.asarray(et), raw["elastic_tensor"], atol=1e-5)
    assert et.k_vrh == pytest.approx(float(bulk_shear_moduli(np.asarray(et.voigt))["K_VRH"]), rel=1e-10)
    assert et.is_fit_to_structure(s, tol=1e-3)  # pymatgen's own Neumann check on the 4/mmm crystal

    s.to(filename=str(tmp_path / "rutile.cif"))
    runner = CliRunner()
    res = runner.invoke(app, ["predict", "pg-elastic", str(tmp_path / "rutile.cif"), "--derived", "--json"])
    assert res.exit_code == 0, res.output
    derived = json.loads(res.stdout.splitlines()[-1])[0]["derived"]["elastic_tensor"]
    assert derived["K_VRH"] == pytest.approx(et.k_vrh, rel=1e-6)
    assert derived["universal_anisotropy"] == pytest.approx(et.universal_anisotropy, rel=1e-6)
    res = runner.invoke(app, ["predict", "pg-elastic", str(tmp_path / "rutile.cif"), "--derived"])
    assert res.exit_code == 0, res.output
    line = [ln for ln in res.stdout.splitlines() if "derived:" in ln][0]
    assert f"K_VRH = {et.k_vrh:.4g} GPa" in line and "G_VRH = " in line and "universal_anisotropy = " in line


@pytest.mark.slow
def test_dielectric_predictions_become_tensors_with_eigenvalues():
    import pgnn

    s = rutile()
    [obj] = pgnn.load("pg-dielectric").predict([s], as_pymatgen=True)
    eps = obj["dielectric_tensor"]
    assert isinstance(eps, Tensor) and eps.shape == (3, 3)
    w = derived_properties(eps, "dielectric")["eigenvalues"]
    assert w == sorted(w) and w == pytest.approx(np.linalg.eigvalsh(np.asarray(eps)).tolist())
    assert w[0] == pytest.approx(w[1], abs=1e-4)  # tetragonal: eps_xx = eps_yy in this (axis-aligned) frame
