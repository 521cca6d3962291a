"""End to end: `pgnn fit` a tiny Hamiltonian model on the bundled set, then `pgnn.load(run).predict` on a crystal no
engine has run H on (S from tblite): sisl.Hamiltonian contract, frame and atom-order covariance of eigenvalues and
blocks, `pgnn evaluate` and `pgnn predict --bands`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from tests.hamiltonians.ham_crystals import rocksalt, tblite_or_skip

pytestmark = pytest.mark.slow

TINY = ["data.limit=12", "data.split.fractions=[0.5,0.25,0.25]", "trainer.max_epochs=1", "model.num_layers=1", "model.pair_channels=2",
        "model.pair_hidden=8", "model.radial_hidden=8", "model.num_basis=4", "trainer.enable_progress_bar=false"]


@pytest.fixture(scope="module", params=["pg", "o3"])
def run_dir(request, tmp_path_factory):
    from pgnn.training.config import load_config
    from pgnn.training.fit import fit

    extra = ["model.scalars=4", "model.nonscalars=1"] if request.param == "pg" else \
        ["model.hidden=4x0e+2x1o+2x1e+2x2e+2x2o+1x3o+1x4e"]
    cfg = load_config(f"configs/{request.param}_hamiltonian.yaml", TINY + extra)
    out = tmp_path_factory.mktemp(request.param) / "run"
    return fit(cfg, out=out)


def test_run_folder(run_dir):
    m = json.loads((run_dir / "metrics.json").read_text())
    assert m["n"] >= 1 and m["train_n"] >= 1
    for key in ("hamiltonian_onsite", "hamiltonian_hopping", "hamiltonian_onsite_abs"):
        assert np.isfinite(m["metrics"][key]["mae"]) and m["metrics"][key]["unit"] == "meV"
    assert (run_dir / "checkpoints" / "best.ckpt").is_file() and (run_dir / "metrics.csv").is_file()


def test_predict_is_covariant(run_dir):
    """Rotated (proper and improper) and permuted copies of a crystal give the same eigenvalues (1e-6 eV) at the
    commensurate k-points and the correspondingly rotated blocks."""
    tblite_or_skip()
    import sisl

    import pgnn
    from pgnn.models.hamiltonian_common import slot_rotation
    from pgnn.hamiltonians import eigenvalues, overlap_blocks
    from pgnn.hamiltonians.supercell import commensurate_kpoints

    pred = pgnn.load(run_dir)
    from pymatgen.core import Lattice, Structure

    base = rocksalt(5.6, "Na", "Cl")
    out = []
    for k, (sign, perm) in enumerate(((1, [0, 1]), (1, [1, 0]), (-1, [1, 0]))):
        Rm = np.eye(3) if k == 0 else Rotation.random(random_state=k).as_matrix() * sign
        st = Structure(Lattice(base.lattice.matrix @ Rm.T), [base.species[p] for p in perm],
                       (base.cart_coords @ Rm.T)[perm], coords_are_cartesian=True)
        ov = overlap_blocks(st, max_atoms=16)
        res = pred.predict([st], overlaps=[ov])[0]
        assert isinstance(res["hamiltonian"], sisl.Hamiltonian) and not res["hamiltonian"].orthogonal
        assert res["hamiltonian"].geometry.na == 2
        out.append((Rm, perm, st, res, ov))
    kpts = commensurate_kpoints(np.array(out[0][4].meta["supercell"]))
    e0 = eigenvalues(out[0][3]["hamiltonian"], kpts)
    b0 = out[0][3]["blocks"]
    for Rm, perm, st, res, _ in out[1:]:
        assert np.abs(eigenvalues(res["hamiltonian"], kpts) - e0).max() < 1e-6
        b = res["blocks"]
        inv = np.argsort(perm)
        for i, j, r in ((0, 1, [0, 0, 0]), (0, 0, [1, 0, 0]), (1, 0, [0, 1, -1]), (0, 0, [0, 0, 0])):
            H0, _ = b0.block(i, j, r)
            H1, _ = b.block(inv[i], inv[j], r)
            Di = slot_rotation("".join("spdf"[s.l] for s in b0.bases[int(b0.numbers[i])].shells), Rm)
            Dj = slot_rotation("".join("spdf"[s.l] for s in b0.bases[int(b0.numbers[j])].shells), Rm)
            assert np.abs(Di @ H0 @ Dj.T - H1).max() < 1e-6


def test_cli_evaluate_and_bands(run_dir, tmp_path):
    tblite_or_skip()
    from typer.testing import CliRunner

    from pgnn.cli import app

    r = CliRunner().invoke(app, ["evaluate", str(run_dir), "--data", "mp_hamiltonians_gfn1", "--split", "test",
                                 "--json"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["metrics"]["hamiltonian_hopping"]["unit"] == "meV" and got["n"] >= 1
    cif = tmp_path / "NaCl.cif"
    rocksalt(5.6, "Na", "Cl").to(filename=str(cif))
    png = tmp_path / "bands.png"
    r = CliRunner().invoke(app, ["predict", str(run_dir), str(cif), "--bands", str(png), "--json"])
    assert r.exit_code == 0, r.output
    row = json.loads(r.stdout.strip().splitlines()[-1])[0]
    assert png.is_file() and png.stat().st_size > 1000
    assert row["n_orbitals"] == 13 and row["k_path_points"] > 10  # GFN1: Na 3s 3p (4), Cl 3s 3p 3d (9)
