"""Issue item 8: under a launcher that starts every process itself (SLURM's srun), rank 0 alone chooses and
writes the run folder and hands its name to the others. Simulated: two CPU processes with SLURM variables,
gloo, one node; rank 1 starts 1.5 s later so that a per-process timestamp would give a second folder."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
import yaml

from .conftest import REPO, tiny_config


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_srun_style_ranks_write_one_run_folder(tmp_path):
    config = tiny_config(tmp_path / "cache", max_epochs=2, devices=2, strategy="ddp", num_nodes=1)
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(config))
    port = _free_port()
    procs = []
    for rank in (0, 1):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "LOCAL_RANK", "NODE_RANK",
                                                                          "RANK", "WORLD_SIZE", "PGNN_RUN_DIR"))}
        env.update({
            "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1",
            "SLURM_JOB_ID": "4242", "SLURM_JOB_NAME": "pgnn-fit", "SLURM_NTASKS": "2", "SLURM_NTASKS_PER_NODE": "2",
            "SLURM_NNODES": "1", "SLURM_NODEID": "0", "SLURM_PROCID": str(rank), "SLURM_LOCALID": str(rank),
            "SLURM_NODELIST": "localhost", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port),
        })
        procs.append(subprocess.Popen([sys.executable, "-m", "pgnn", "fit", "--config", "tiny.yaml"], cwd=tmp_path,
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        time.sleep(1.5)
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    runs = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert len(runs) == 1 and runs[0].startswith("tiny-"), runs
    run = tmp_path / "runs" / runs[0]
    assert (run / "metrics.json").is_file() and (run / "checkpoints" / "last.ckpt").is_file()
    assert f"run folder: runs/{runs[0]}" in outs[0][0]
    assert "run folder" not in outs[1][0]  # rank 1 writes and reports nothing
