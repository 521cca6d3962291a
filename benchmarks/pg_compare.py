"""PGNet variants against the other model families on one task, same data, same split, same epochs.

    OMP_NUM_THREADS=1 nice -n 5 python benchmarks/pg_compare.py dielectric [--limit N] [--epochs E]

Task -> configs: `configs/pg_<task>.yaml` (PGNet holohedry, harmonic edges; also with averaged edges and with
site-class weights), `configs/o3_<task>.yaml`, `configs/cgcnn_voigt_<task>.yaml` (whichever exist). Every run gets
`--set data.limit=N trainer.max_epochs=E`. Columns: test MAE (unit), parameters, median train seconds per epoch,
inference ms per structure (`predict_graphs` on the test structures, featurization excluded), and the Neumann
violation ||avg_H(T) - T|| / ||T|| of the predicted test tensors over each crystal's own point group H (spglib
operations of the input structure, symprec 0.01; median and max). Appends a table to
benchmarks/results/pg_compare.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def variants(task: str) -> dict[str, tuple[str, list[str]]]:
    out = {}
    pg = f"pg_{task}.yaml"
    if (REPO / "configs" / pg).is_file():
        out["PGNet (holohedry, harmonic)"] = (pg, [])
        out["PGNet (holohedry, group-averaged)"] = (pg, ["model.edge=averaged"])
        out["PGNet (holohedry, harmonic, site classes)"] = (pg, ["model.site_classes=true"])
    for name, cfg in (("O3", f"o3_{task}.yaml"), ("CGCNN (Voigt)", f"cgcnn_voigt_{task}.yaml"),
                      ("CGCNN", f"cgcnn_{task}.yaml")):
        if (REPO / "configs" / cfg).is_file():
            out[name] = (cfg, [])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("task", help="dielectric | elastic | piezoelectric | log_kvrh")
    ap.add_argument("--limit", type=int, default=300)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--timeout", type=int, default=1200)
    ap.add_argument("--runs", default=str(REPO / "runs" / "pg_compare"))
    args = ap.parse_args()
    sys.path.insert(0, str(REPO))
    import yaml

    from pgnn.data.dataset import read_entries
    from pgnn.data.splits import split_of
    from pgnn.training.predictor import load_predictor
    from pgnn.training.tensor_metrics import neumann_violations, point_group_operations

    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "PGNN_WORKERS": "1"}
    sets = [f"data.limit={args.limit}", f"trainer.max_epochs={args.epochs}"]
    rows = []
    for label, (cfg, extra) in variants(args.task).items():
        out = Path(args.runs) / args.task / label.replace(" ", "_").replace("(", "").replace(")", "").replace(",", "")
        cmd = [sys.executable, "-m", "pgnn", "fit", "-c", str(REPO / "configs" / cfg), "--out", str(out),
               "--set", *sets, *extra]
        try:
            res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            print(f"{label}: stopped after {args.timeout} s")
            continue
        if res.returncode != 0:
            print(f"{label}: fit failed\n{res.stderr[-1500:]}")
            continue
        metrics = json.loads((out / "metrics.json").read_text())
        config = yaml.safe_load((out / "config.yaml").read_text())
        pred = load_predictor(out)
        n_params = sum(p.numel() for p in pred.module.model.parameters())
        split = config["data"]["split"]
        entries = read_entries(config["data"]["dataset"])[0][: args.limit]
        test = [e for e in entries if split_of(e.id, tuple(split["fractions"]), split["seed"]) == "test"]
        graphs, _ = pred.graphs([e.structure for e in test])
        keep = [i for i, g in enumerate(graphs) if g is not None]
        t0 = time.perf_counter()
        preds = pred.predict_graphs([graphs[i] for i in keep])
        ms = (time.perf_counter() - t0) * 1e3 / max(1, len(keep))
        for tname, m in metrics["metrics"].items():
            kind = next(t.kind for t in pred.targets if t.name == tname)
            viol = ""
            if kind != "scalar":
                ops = [point_group_operations(test[i].structure.lattice.matrix, test[i].structure.frac_coords,
                                              test[i].structure.atomic_numbers) for i in keep]
                v = neumann_violations(np.stack([p[tname] for p in preds]), ops)
                viol = f"{np.median(v):.1e} / {np.max(v):.1e}"
            rows.append(f"| {label} | `{cfg}` {' '.join(extra)} | {tname} | {m['mae']:.4g} {m['unit']} | "
                        f"{metrics['n']} | {n_params} | {metrics.get('epoch_seconds_median', float('nan')):.1f} | "
                        f"{ms:.1f} | {viol} |")
            print(rows[-1], flush=True)
    log = REPO / "benchmarks" / "results" / "pg_compare.md"
    head = "" if log.exists() else "# PGNet against the other families (bounded CPU runs)\n"
    with log.open("a") as fh:
        fh.write(f"{head}\n## {args.task}: `python benchmarks/pg_compare.py {args.task} --limit {args.limit} "
                 f"--epochs {args.epochs}`\n\n| model | config | target | test MAE | test n | parameters | "
                 "train s/epoch | inference ms/structure | Neumann violation (median / max) |\n"
                 "|---|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
