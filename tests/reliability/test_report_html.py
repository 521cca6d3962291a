"""`pgnn report RUN_DIR` / the end of `pgnn fit`: one self-contained report.html with every figure embedded;
it renders in a headless browser (issue 14, item 11)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[2]
FIGURES = 5  # parity, learning curve, Voigt heat maps, per-component MAE, Neumann histogram


def tiny_tensor_config(cache_dir) -> dict:
    return {
        "seed": 0,
        "data": {"dataset": "mp_elastic_2015", "targets": ["elastic_tensor"], "limit": 30,
                 "split": {"fractions": [0.6, 0.2, 0.2]}, "batch_size": 8, "cache_dir": str(cache_dir), "workers": 1},
        "model": {"name": "pgnet", "l_max": 2, "scalars": 4, "nonscalars": 2, "num_layers": 1, "cutoff": 4.5,
                  "max_neighbors": 8},
        "optim": {"lr": 0.01},
        "trainer": {"max_epochs": 2, "enable_progress_bar": False, "enable_model_summary": False},
    }


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    from pgnn.training.config import load_config
    from pgnn.training.fit import fit

    root = tmp_path_factory.mktemp("report")
    (root / "tiny.yaml").write_text(yaml.safe_dump(tiny_tensor_config(root / "cache")))
    return fit(load_config(root / "tiny.yaml"), out=root / "run")


def _images(page: str) -> list[str]:
    return re.findall(r"<img [^>]*src=\"([^\"]*)\"", page)


@pytest.mark.slow
def test_fit_writes_a_self_contained_report(tiny_run):
    page = (tiny_run / "report.html").read_text()
    srcs = _images(page)
    assert len(srcs) == FIGURES
    assert all(s.startswith("data:image/png;base64,") and len(s) > 5000 for s in srcs)  # embedded, not linked
    assert "<link" not in page and "http://" not in page and "https://" not in page
    assert "elastic_tensor" in page and "GPa" in page and "derived K_VRH_GPa" in page  # metrics with units
    assert all(re.search(rf"{w} mp-\d+ \(MAE [0-9.]+ GPa\)", page) for w in ("best", "median", "worst"))
    assert "name: pgnet" in page  # the config
    import json

    mae = json.loads((tiny_run / "metrics.json").read_text())["metrics"]["elastic_tensor"]["mae"]
    assert f"{mae:.4g}" in page
    preds = np.load(tiny_run / "test_predictions.npz", allow_pickle=False)
    assert preds["pred__elastic_tensor"].shape == (len(preds["ids"]), 3, 3, 3, 3)
    assert (preds["neumann__elastic_tensor"] < 1e-5).all()  # PGNet predictions obey Neumann (float32)


@pytest.mark.slow
def test_report_of_a_shipped_style_folder_predicts_its_test_split(tiny_run, tmp_path):
    """A folder like pgnn/pretrained/<name>/: config.yaml, weights.pt.xz, metrics.json, no metrics.csv and no
    saved predictions. The report recomputes the test predictions and gets the same ones."""
    from pgnn.cli import app
    from pgnn.training.runs import export_weights, load_module

    module, _, _ = load_module(tiny_run)
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    export_weights(module, shipped / "weights.pt.xz")
    for name in ("config.yaml", "metrics.json"):
        shutil.copy(tiny_run / name, shipped / name)
    res = CliRunner().invoke(app, ["report", str(shipped)])
    assert res.exit_code == 0, res.output
    page = (shipped / "report.html").read_text()
    assert len(_images(page)) == FIGURES - 1  # no learning curve without metrics.csv, and the page says so
    assert "no learning curve" in page and "the test split was predicted for this report" in page
    a = np.load(tiny_run / "test_predictions.npz", allow_pickle=False)
    b = np.load(shipped / "test_predictions.npz", allow_pickle=False)
    assert list(a["ids"]) == list(b["ids"])
    np.testing.assert_allclose(b["pred__elastic_tensor"], a["pred__elastic_tensor"], rtol=1e-5, atol=1e-4)
    res = CliRunner().invoke(app, ["report", str(tmp_path / "nowhere")])
    assert res.exit_code != 0 and "not a run folder" in str(res.exception)


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def _browser(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / ('profile-' + str(len(list(tmp_path.glob('profile-*')))))}"]
    return subprocess.run([_chromium(), *flags, *args], capture_output=True, text=True, timeout=180)


@pytest.mark.slow
def test_report_renders_its_figures_in_headless_chromium(tiny_run, tmp_path):
    if _chromium() is None:
        pytest.skip("no chromium browser installed (Debian: apt-get install chromium; scripts/setup.sh does it "
                    "as root): the report's rendering is not checked")
    url = (tiny_run / "report.html").resolve().as_uri()
    dom = _browser(tmp_path, "--virtual-time-budget=5000", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    # the page's own load handler counts the images that decoded (complete and naturalWidth > 0)
    assert f'data-figures-loaded="{FIGURES}/{FIGURES}"' in dom.stdout
    shot = tmp_path / "report.png"
    res = _browser(tmp_path, "--window-size=1200,4200", "--hide-scrollbars", f"--screenshot={shot}", url)
    assert res.returncode == 0 and shot.is_file(), res.stderr[-2000:]
    import matplotlib.image

    img = matplotlib.image.imread(str(shot))[..., :3]  # [H, W, 3] in [0, 1]
    assert img.shape[:2] == (4200, 1200)
    not_white = (img < 0.9).any(-1)
    assert 0.03 < not_white.mean() < 0.9  # neither blank nor a solid block
    colourful = (img.max(-1) - img.min(-1)) > 0.3  # heat maps, plot markers: text and tables are grey
    assert colourful.sum() > 20000
    rows = np.flatnonzero(colourful.any(1))
    assert rows.max() - rows.min() > 1500  # figures all down the page, not one image
