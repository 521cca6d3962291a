"""`--set trainer.devices=2 trainer.strategy=ddp` (2 CPU processes, gloo) follows the single-process run.

The batch size is global and both ranks share the epoch permutation, so each DDP step sees the same graphs as
the single-process step and averages the same gradients. On CPU, BatchNorm statistics are computed per process
(over half the batch; torch's SyncBatchNorm needs GPUs), so the two runs are not bit-identical: they follow the
same loss trajectory within that noise.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

import pgnn
from pgnn.data.splits import split_ids

from .conftest import tiny_config


def _limit_with_train_size(n_train: int, fractions) -> int:
    """Smallest record count whose train split has exactly `n_train` entries (so that batches split evenly)."""
    import gzip
    import json

    from pgnn.data.registry import bundled_path

    ids = [r["id"] for r in json.load(gzip.open(bundled_path("mp_binary_moduli_2025"), "rt"))]
    for limit in range(n_train, len(ids)):
        if len(split_ids(ids[:limit], fractions)["train"]) == n_train:
            return limit
    raise AssertionError("no such limit")


def _fit(tmp_path: Path, name: str, sets: list[str]) -> Path:
    config = tiny_config(tmp_path / "cache", max_epochs=3)
    config["data"]["limit"] = _limit_with_train_size(16, config["data"]["split"]["fractions"])
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / name
    env = {**os.environ, "PYTHONPATH": str(Path(pgnn.__file__).resolve().parents[1]), "OMP_NUM_THREADS": "1"}
    env.pop("LOCAL_RANK", None)
    proc = subprocess.run([sys.executable, "-m", "pgnn", "fit", "--config", str(path), "--out", str(out), "--set",
                           *sets], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def _train_losses(run: Path) -> list[float]:
    import csv

    return [float(r["train_loss"]) for r in csv.DictReader(open(run / "metrics.csv")) if r.get("train_loss")]


@pytest.mark.slow
def test_ddp_two_cpu_processes_match_single_process(tmp_path):
    single = _fit(tmp_path, "single", ["trainer.devices=1"])
    ddp = _fit(tmp_path, "ddp", ["trainer.devices=2", "trainer.strategy=ddp"])
    a, b = _train_losses(single), _train_losses(ddp)
    assert len(a) == len(b) == 3
    assert a[0] == pytest.approx(b[0], rel=0.1)  # same initial weights, same first batches
    assert a == pytest.approx(b, rel=0.3)
    assert a[-1] < a[0] and b[-1] < b[0]
    wa = torch.load(single / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
    wb = torch.load(ddp / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
    head = "model.head.weight"
    assert torch.nn.functional.cosine_similarity(wa[head].ravel(), wb[head].ravel(), dim=0) > 0.9
