"""Hyperedge ablation of CHGCNN against CGCNN: test MAE on the bundled 80/10/10 split, same seed and epochs.

Variants: cgcnn, chgcnn bond-only, bond+triplet, bond+motif, bond+triplet+motif, on log10 K_VRH and log10 G_VRH
(mp_binary_moduli_2025) and band gap (mp_dielectric_2017). Every run goes through `pgnn.training.fit.fit` with the
configs in `configs/` (CGCNN: configs/cgcnn_log_kvrh.yaml with the target swapped; CHGCNN: configs/chgcnn_*.yaml
with `model.hyperedges` set per variant), `trainer.max_epochs` = --epochs for all.

    python benchmarks/chgcnn_ablation.py --epochs 8 --out runs/ablation
    python benchmarks/chgcnn_ablation.py --targets log10_K_VRH --variants cgcnn,all   # a subset

Writes benchmarks/results/chgcnn_ablation.md (table + the command) and <out>/ablation.json; a finished run
(metrics.json present) is reused, so an interrupted ablation resumes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TARGETS = {
    "log10_K_VRH": ("mp_binary_moduli_2025", "configs/chgcnn_log_kvrh.yaml"),
    "log10_G_VRH": ("mp_binary_moduli_2025", "configs/chgcnn_log_gvrh.yaml"),
    "band_gap": ("mp_dielectric_2017", "configs/chgcnn_band_gap.yaml"),
}
VARIANTS = {
    "cgcnn": None,
    "bond": ["bond"],
    "bond+triplet": ["bond", "triplet"],
    "bond+motif": ["bond", "motif"],
    "all": ["bond", "triplet", "motif"],
}


def config_for(target: str, variant: str, epochs: int, seed: int, cache_dir: str | None = None,
               limit: int | None = None, workers: int | None = None) -> dict:
    from pgnn.training.config import load_config

    dataset, chg_config = TARGETS[target]
    if variant == "cgcnn":
        cfg = load_config(REPO / "configs" / "cgcnn_log_kvrh.yaml")
        cfg["data"]["dataset"] = dataset
        cfg["data"]["targets"] = [target]
    else:
        cfg = load_config(REPO / chg_config)
        cfg["model"]["hyperedges"] = VARIANTS[variant]
        cfg["model"]["featurize_hyperedges"] = VARIANTS["all"]  # one featurization shared by every variant
    cfg["seed"] = seed
    cfg["trainer"]["max_epochs"] = epochs
    cfg["trainer"]["enable_progress_bar"] = False
    cfg["training"]["early_stopping_patience"] = None
    cfg["data"]["cache_dir"] = cache_dir
    cfg["data"]["limit"] = limit
    cfg["data"]["workers"] = workers
    return cfg


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--targets", default=",".join(TARGETS))
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--out", default="runs/ablation")
    ap.add_argument("--cache-dir", default=None, help="graph cache (default: the featurizer's default)")
    ap.add_argument("--limit", type=int, default=None,
                    help="use only the first N entries of each dataset (then split 80/10/10 as usual)")
    ap.add_argument("--workers", type=int, default=None, help="featurization processes (default: the featurizer's)")
    ap.add_argument("--results", default=str(REPO / "benchmarks" / "results" / "chgcnn_ablation.md"))
    args = ap.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from pgnn.training.fit import fit

    out = Path(args.out)
    results: dict = {}
    summary = out / "ablation.json"
    if summary.is_file():
        results = json.loads(summary.read_text())
    for target in args.targets.split(","):
        for variant in args.variants.split(","):
            run = out / f"{target}-{variant}"
            if not (run / "metrics.json").is_file():
                t0 = time.perf_counter()
                fit(config_for(target, variant, args.epochs, args.seed, args.cache_dir, args.limit, args.workers),
                    out=run, name=f"{target}-{variant}")
                print(f"{target} {variant}: {time.perf_counter() - t0:.0f} s", flush=True)
            m = json.loads((run / "metrics.json").read_text())
            results.setdefault(target, {})[variant] = {
                "mae": m["metrics"][target]["mae"], "unit": m["metrics"][target]["unit"], "n": m["n"],
                "epochs": m.get("epochs"), "train_seconds": m.get("train_seconds"), "run": str(run),
            }
            out.mkdir(parents=True, exist_ok=True)
            summary.write_text(json.dumps(results, indent=2))
    write_table(results, args, Path(args.results))
    return 0


def write_table(results: dict, args, path: Path) -> None:
    cols = [v for v in VARIANTS if any(v in r for r in results.values())]
    lines = [
        "# CHGCNN hyperedge ablation vs CGCNN",
        "",
        f"Test MAE on the bundled 80/10/10 split (split seed 0), training seed {args.seed}, "
        f"{args.epochs} epochs for every model (cosine schedule, no early stopping), CPU"
        + (f"; only the first {args.limit} entries of each dataset." if args.limit else "."),
        "",
        "| target | unit | n test | " + " | ".join(cols) + " | best CHGCNN vs CGCNN |",
        "|---|---|---|" + "---|" * len(cols) + "---|",
    ]
    for target, r in results.items():
        unit = next(iter(r.values()))["unit"]
        n = next(iter(r.values()))["n"]
        cells = [f"{r[c]['mae']:.4f}" if c in r else "" for c in cols]
        chg = {c: r[c]["mae"] for c in cols if c != "cgcnn" and c in r}
        rel = ""
        if chg and "cgcnn" in r:
            best = min(chg, key=chg.get)
            rel = f"{best}: {100 * (chg[best] / r['cgcnn']['mae'] - 1):+.1f}%"
        lines.append(f"| {target} | {unit} | {n} | " + " | ".join(cells) + f" | {rel} |")
    lines += [
        "",
        "Training time per run (s): " + "; ".join(
            f"{t} {c} {r[c]['train_seconds']}" for t, r in results.items() for c in cols if c in r),
        "",
        "Reproduce:",
        "",
        "```",
        f"OMP_NUM_THREADS=1 python benchmarks/chgcnn_ablation.py --epochs {args.epochs} --seed {args.seed} "
        f"--targets {args.targets} --variants {args.variants} --out {args.out}"
        + (f" --limit {args.limit}" if args.limit else ""),
        "```",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
