"""Train and ship the PGNet pretrained models with bounded CPU runs, and record exactly what was run.

    OMP_NUM_THREADS=1 nice -n 5 python benchmarks/pg_pretrain.py [--limit N] [--epochs E] [--timeout S] [NAME ...]

For each model: `pgnn fit -c configs/<config> --set data.limit=N trainer.max_epochs=E`, then the best checkpoint's
weights (xz-compressed float32 state dict), the resolved config.yaml and the test metrics.json are copied to
`pgnn/pretrained/<name>/`, and a line is appended to `benchmarks/results/pg_pretrained.md`.
`data.limit` takes the first N records of the dataset before the 80/10/10 split by id, so small N means a small
training set: the shipped models are bounded demonstrations, not converged results.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODELS = {
    "pg-oh-log-kvrh": "pg_oh_log_kvrh.yaml",
    "pg-oh-elastic": "pg_oh_elastic.yaml",
    "pg-oh-dielectric": "pg_oh_dielectric.yaml",
    "pg-elastic": "pg_elastic.yaml",
    "pg-dielectric": "pg_dielectric.yaml",
    "pg-piezoelectric": "pg_piezoelectric.yaml",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("names", nargs="*", default=list(MODELS))
    ap.add_argument("--limit", type=int, default=300)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--timeout", type=int, default=1200, help="seconds per run")
    ap.add_argument("--runs", default=str(REPO / "runs" / "pg_pretrain"))
    ap.add_argument("--export-only", action="store_true", help="ship existing run folders without fitting")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO))
    from pgnn.training.runs import export_weights, load_module

    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "PGNN_WORKERS": "1"}
    log = REPO / "benchmarks" / "results" / "pg_pretrained.md"
    for name in args.names:
        cfg = REPO / "configs" / MODELS[name]
        out = Path(args.runs) / name
        sets = [f"data.limit={args.limit}", f"trainer.max_epochs={args.epochs}"]
        cmd = [sys.executable, "-m", "pgnn", "fit", "-c", str(cfg), "--out", str(out), "--set", *sets]
        if args.export_only:
            cfg_run = (out / "config.yaml").read_text()
            sets = [f"data.limit={_find(cfg_run, 'limit')}", f"trainer.max_epochs={_find(cfg_run, 'max_epochs')}"]
        else:
            try:
                res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=args.timeout)
            except subprocess.TimeoutExpired:
                print(f"{name}: fit stopped after {args.timeout} s, not shipped")
                continue
            if res.returncode != 0:
                print(f"{name}: fit failed\n{res.stderr[-2000:]}")
                continue
        module, _, _ = load_module(out)
        dest = REPO / "pgnn" / "pretrained" / name
        dest.mkdir(parents=True, exist_ok=True)
        export_weights(module, dest / "weights.pt.xz")
        shutil.copy(out / "config.yaml", dest / "config.yaml")
        shutil.copy(out / "metrics.json", dest / "metrics.json")
        metrics = json.loads((out / "metrics.json").read_text())
        maes = "; ".join(f"{k}: {v['mae']:.4g} {v['unit']}" for k, v in metrics["metrics"].items())
        epochs = _epoch_times(out / "metrics.csv")
        line = (f"| {name} | `pgnn fit -c configs/{MODELS[name]} --set {' '.join(sets)}` | {metrics['n']} | "
                f"{maes} | {len(epochs)} epochs, median {sorted(epochs)[len(epochs) // 2] if epochs else 0:.0f} s |")
        print(line)
        if not log.exists():
            log.write_text("# PGNet pretrained models (bounded CPU runs)\n\n"
                           "| model | command | test n | test MAE | epochs (time per epoch) |\n|---|---|---|---|---|\n")
        with log.open("a") as fh:
            fh.write(line + "\n")


def _find(config_text: str, key: str):
    import yaml

    def walk(d):
        for k, v in d.items():
            if k == key:
                return v
            if isinstance(v, dict):
                found = walk(v)
                if found is not None:
                    return found
        return None

    return walk(yaml.safe_load(config_text))


def _epoch_times(csv_path: Path) -> list[float]:
    import csv

    with csv_path.open() as fh:
        return [float(r["epoch_time_s"]) for r in csv.DictReader(fh) if r.get("epoch_time_s")]


if __name__ == "__main__":
    main()
