"""Ship the pretrained PGNet models from the runs of `benchmarks/pg_results.py` (same data, splits and epochs as
the results table).

    python benchmarks/pg_results.py          # first: trains every run
    python benchmarks/pg_pretrain.py [NAME ...]

For each name, the PGNet variant (harmonic, group-averaged, harmonic + site classes) with the best validation score
on its task is exported to `pgnn/pretrained/<name>/` (weights.pt.xz, config.yaml, metrics.json, parity plots,
command.txt with the exact `pgnn fit` command). The choice uses the validation split only; the test MAE shipped in
metrics.json is the one in the results table. A line per model goes to benchmarks/results/pg_pretrained.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO))

from pg_results import FAMILIES, job  # noqa: E402

MAX_MB = 5  # compressed weights per shipped model
MODELS = {  # name -> (suite, task)
    "pg-oh-log-kvrh": ("oh", "moduli"),
    "pg-oh-elastic": ("oh", "elastic"),
    "pg-oh-dielectric": ("oh", "dielectric"),
    "pg-elastic": ("full", "elastic"),
    "pg-dielectric": ("full", "dielectric"),
    "pg-piezoelectric": ("full", "piezoelectric"),
}


def _shipped_val_score(name: str, run_dir: Path) -> float | None:
    """Validation score of the shipped model when it was trained on the same data, subset and targets as the run
    (so the scores compare), else None."""
    import yaml

    folder = REPO / "pgnn" / "pretrained" / name
    if not (folder / "metrics.json").is_file():
        return None
    old = yaml.safe_load((folder / "config.yaml").read_text())["data"]
    new = yaml.safe_load((run_dir / "config.yaml").read_text())["data"]
    for d in (old, new):
        d["train_fraction"] = float(d.get("train_fraction") or 1.0)
    keys = ("dataset", "targets", "split", "limit", "point_groups", "train_fraction")
    if any(old.get(k) != new.get(k) for k in keys):
        return None
    return json.loads((folder / "metrics.json").read_text()).get("best_val_score")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("names", nargs="*", default=list(MODELS))
    args = ap.parse_args()
    from pgnn.training.runs import export_pretrained

    lines = []
    for name in args.names:
        suite, task = MODELS[name]
        runs = []
        for family in (f for f in FAMILIES if f.startswith("PGNet")):
            j = job(suite, task, family)
            if (j["out"] / "summary.json").is_file():
                m = json.loads((j["out"] / "metrics.json").read_text())
                runs.append((m["best_val_score"], family, j))
        if not runs:
            print(f"{name}: no finished PGNet run of {suite}/{task}; run benchmarks/pg_results.py first")
            continue
        runs.sort(key=lambda r: r[0])
        val, family, j = runs[0]
        shipped = _shipped_val_score(name, j["out"])
        if shipped is not None and shipped <= val:
            print(f"{name}: kept the shipped model (validation score {shipped:.4g} on the same data and targets, "
                  f"against {val:.4g} for {family})")
            kept = json.loads((REPO / "pgnn" / "pretrained" / name / "metrics.json").read_text())
            maes = "; ".join(f"{k}: {v['mae']:.4g} {v['unit']} (n={kept['n']})" for k, v in kept["metrics"].items())
            lines.append(f"| {name} | {suite}/{task} | kept: validates better than every run here | {maes} | "
                         f"see `pgnn/pretrained/{name}/` |")
            continue
        for val, family, j in runs:  # best validation score whose weights fit the size limit
            summary = json.loads((j["out"] / "summary.json").read_text())
            command = (f"# {family}, chosen among the PGNet variants by validation score ({val:.4g}) within "
                       f"{MAX_MB} MB of weights; from the repository root, with the bundled data:\n"
                       f"OMP_NUM_THREADS=1 {summary['command']}\n# then shipped with python benchmarks/pg_pretrain.py {name}")
            folder = export_pretrained(j["out"], name, command)
            size = (folder / "weights.pt.xz").stat().st_size / 2**20
            if size <= MAX_MB:
                break
            print(f"{name}: {family} weights are {size:.0f} MB (site-class weight sets for all 32 types); next variant")
        maes = "; ".join(f"{k}: {v['mae']:.4g} {v['unit']} (n={v['n']})" for k, v in summary["targets"].items())
        lines.append(f"| {name} | {suite}/{task} | {family} | {maes} | `{summary['command']}` |")
        print(lines[-1])
    log = REPO / "benchmarks" / "results" / "pg_pretrained.md"
    text = ("# Shipped PGNet models\n\nExported by `python benchmarks/pg_pretrain.py` from the runs of "
            "`benchmarks/pg_results.py` (variant chosen by validation score).\n\n"
            "| model | suite/task | variant | test MAE | command |\n|---|---|---|---|---|\n" + "\n".join(lines) + "\n")
    tmp = log.with_suffix(".md.tmp")
    tmp.write_text(text)
    os.replace(tmp, log)


if __name__ == "__main__":
    main()
