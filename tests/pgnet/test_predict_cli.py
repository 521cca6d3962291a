"""End to end through the CLI: a tiny PGNet run (holohedry, piezoelectric tensor) is fitted,
then `pgnn predict` on a crystal and on a copy rotated by a random proper or improper rotation with permuted atoms
must give the correspondingly rotated tensor (to 1e-4)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure
from scipy.spatial.transform import Rotation

from tests.conftest import REPO


def _run(args, cwd):
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "PGNN_WORKERS": "1"}
    res = subprocess.run([sys.executable, "-m", "pgnn", *args], cwd=cwd, env=env, capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    return res.stdout


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pgrun")
    out = tmp / "run"
    _run(["fit", "-c", str(REPO / "configs" / "pg_piezoelectric.yaml"), "--out", str(out), "--set",
          "data.limit=16", "data.split.fractions=[0.5,0.25,0.25]", "trainer.max_epochs=1", "data.batch_size=4", f"data.cache_dir={tmp / 'cache'}",
          "model.scalars=8", "model.nonscalars=2", "model.num_layers=2", "model.l_max=2",
          "data.targets=[piezoelectric_tensor]"], cwd=tmp)
    return out


def _rotated_copy(s: Structure, R: np.ndarray, perm: np.ndarray) -> Structure:
    """Every Cartesian vector mapped by R, atoms reordered; for improper R the lattice vectors are negated (the same
    lattice) so that the cell stays right-handed, as POSCAR files expect."""
    lattice = s.lattice.matrix @ R.T * np.sign(np.linalg.det(R))
    return Structure(Lattice(lattice), [s.species[i] for i in perm], s.cart_coords[perm] @ R.T,
                     coords_are_cartesian=True)


def _rot(t: np.ndarray, R: np.ndarray) -> np.ndarray:
    for k in range(t.ndim):
        t = np.moveaxis(np.tensordot(R, t, axes=([1], [k])), 0, k)
    return t


def test_predict_rotated_permuted(run_dir, tmp_path):
    s = Structure.from_spacegroup("P6_3mc", Lattice.hexagonal(3.25, 5.21), ["Zn", "O"],
                                  [[1 / 3, 2 / 3, 0], [1 / 3, 2 / 3, 0.382]])
    s = _rotated_copy(s, Rotation.from_euler("zyx", [0.2, 0.5, -0.3]).as_matrix(), np.arange(len(s)))
    rotations = [Rotation.random(random_state=5).as_matrix(), -Rotation.random(random_state=6).as_matrix()]
    rng = np.random.default_rng(3)
    # POSCAR keeps the Cartesian lattice vectors (a CIF stores only lattice parameters, so it would not)
    s.to(filename=str(tmp_path / "a.vasp"), fmt="poscar")
    for k, R in enumerate(rotations):
        _rotated_copy(s, R, rng.permutation(len(s))).to(filename=str(tmp_path / f"r{k}.vasp"), fmt="poscar")
    rows = json.loads(_run(["predict", str(run_dir), "a.vasp", "r0.vasp", "r1.vasp", "--json"], cwd=tmp_path))
    a = rows[0]
    for R, b in zip(rotations, rows[1:]):
        for key in a["units"]:
            ta, tb = np.asarray(a[key]), np.asarray(b[key])
            scale = max(1e-3, np.abs(ta).max())
            assert np.abs(tb - _rot(ta, R)).max() < 1e-4 * scale, (key, np.linalg.det(R))
            assert np.abs(ta).max() > 0  # wurtzite (6mm) allows piezoelectricity; not vacuous


def test_predict_voigt_output_file(run_dir, tmp_path):
    """--voigt gives the 3x6 matrix of the full tensor; --out writes the same rows to a file."""
    from pgnn.tensors import full_to_voigt

    s = Structure.from_spacegroup("P6_3mc", Lattice.hexagonal(3.25, 5.21), ["Zn", "O"],
                                  [[1 / 3, 2 / 3, 0], [1 / 3, 2 / 3, 0.382]])
    s.to(filename=str(tmp_path / "a.vasp"), fmt="poscar")
    full = json.loads(_run(["predict", str(run_dir), "a.vasp", "--json"], cwd=tmp_path))[0]
    stdout = _run(["predict", str(run_dir), "a.vasp", "--json", "--voigt", "--out", "p.json"], cwd=tmp_path)
    voigt = json.loads(stdout)[0]
    assert json.loads((tmp_path / "p.json").read_text()) == json.loads(stdout)
    import torch

    want = full_to_voigt(torch.as_tensor(full["piezoelectric_tensor"], dtype=torch.float64), "piezoelectric")
    assert np.asarray(voigt["piezoelectric_tensor"]).shape == (3, 6)
    assert np.allclose(voigt["piezoelectric_tensor"], want.numpy(), rtol=0, atol=1e-12)
