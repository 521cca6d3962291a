"""Logs a person can read: with stdout not a terminal, `pgnn fit` writes one line per epoch and one summary line,
no carriage-return progress frames (issue 14, item 12)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from lightning.pytorch.callbacks import TQDMProgressBar

from pgnn.training.callbacks import EpochLineProgress, progress_callback

REPO = Path(__file__).resolve().parents[2]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_is_chosen_by_whether_stdout_is_a_terminal():
    assert isinstance(progress_callback(_Terminal()), TQDMProgressBar)
    assert isinstance(progress_callback(io.StringIO()), EpochLineProgress)


@pytest.mark.slow
def test_fit_to_a_log_file_writes_one_line_per_epoch(tmp_path):
    config = {
        "seed": 0,
        "data": {"dataset": "mp_binary_moduli_2025", "targets": ["log10_K_VRH"], "limit": 24,
                 "split": {"fractions": [0.6, 0.2, 0.2]}, "batch_size": 4, "cache_dir": str(tmp_path / "cache"),
                 "workers": 1},
        "model": {"name": "cgcnn", "hidden": 8, "num_layers": 1, "head_hidden": 16, "num_basis": 12},
        "optim": {"lr": 0.01},
        "trainer": {"max_epochs": 4, "enable_progress_bar": True, "enable_model_summary": False},
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    with open(tmp_path / "log", "w") as out, open(tmp_path / "err", "w") as err:  # files: not terminals
        rc = subprocess.run([sys.executable, "-m", "pgnn", "fit", "--config", "c.yaml", "--out", "run"],
                            cwd=tmp_path, env=env, stdout=out, stderr=err, timeout=600).returncode
    log, errlog = (tmp_path / "log").read_text(), (tmp_path / "err").read_text()
    assert rc == 0, errlog
    assert "\r" not in log and "\r" not in errlog  # no tqdm frames, neither training nor featurization
    lines = log.splitlines()
    epochs = [ln for ln in lines if ln.startswith("epoch ")]
    assert [ln.split()[1] for ln in epochs] == ["1/4", "2/4", "3/4", "4/4"]
    assert all("train_loss" in ln and "val_loss" in ln and "val_mae_log10_K_VRH" in ln for ln in epochs)
    summary = [ln for ln in lines if ln.startswith("trained ")]
    assert len(summary) == 1 and summary[0].startswith("trained 4 epochs in ") and "best val_score" in summary[0]
    assert len(log.encode()) < 150 * 12  # ~100 bytes a line; a tqdm bar wrote ~2 KB per epoch
