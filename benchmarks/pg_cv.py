"""k-fold cross-validation of `pg_results.py` (`--cv K`): every model family on the same folds, mean ± standard
error over folds, paired per-fold comparisons of PGNet against the other families, learning curves with error bars,
and the piezoelectric ideas (log-norm loss, norm x direction read-out, seed ensembles) on the same folds.

    OMP_NUM_THREADS=1 python benchmarks/pg_results.py --cv 5 [--tasks dielectric] [--families O3 "PGNet averaged"]
        [--max-epochs 200] [--patience 20] [--limit-folds 2] [--fractions 0.25 0.5 1] [--ideas] [--ensemble 3]

Folds: `data.folds=K`, `data.fold=f` (fold by sha256 of the entry id; the test part is fold f, validation is drawn
from the other folds), so every family and variant sees the same crystals in every fold. Training: early stopping
on the validation score (`training.early_stopping_patience`) with an epoch cap; the best checkpoint is scored.
Each run's result is one JSON file, benchmarks/results/pg_cv_runs/cv<K>/<task>/<variant>/fold<f>[-f<fraction>]
[-seed<s>].json (committed; the run folder itself is runs/pg_results/cv<K>/...), written atomically when the run is
summarized; a rerun skips every run whose file exists, on any machine. Tables:
benchmarks/results/pg_cv.md and pg_cv.json; plot: benchmarks/results/pg_cv_learning_curves.png.

Statistics: mean over folds ± s.e. = sample standard deviation (ddof 1) / sqrt(folds). Paired comparison: for each
fold d_f = MAE(other) - MAE(PGNet variant) on the same test crystals; mean ± s.e. of d_f (positive: PGNet better)
and the number of folds PGNet wins. Piezoelectric extras per fold: the MAE of predicting zeros on the same test
crystals, and the share of test crystals with a non-zero tensor whose relative error ||T_pred - T|| / ||T||
(Frobenius norm of the Voigt matrix) is below 25 % (zeros scores 0 % by construction, since its relative error is
exactly 1).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import pg_results as pr

REPO, RUNS, RESULTS = pr.REPO, pr.RUNS, pr.RESULTS
STORE = RESULTS / "pg_cv_runs"
# task -> suite whose subset and PGNet group the CV runs use (m-3m tasks: Oh; piezoelectric: the full set)
CV_TASKS = {"moduli": "oh", "elastic": "oh", "dielectric": "oh", "piezoelectric": "full"}
CURVE_TASKS = ("elastic", "dielectric")
CURVE_FAMILIES = ("PGNet harmonic", "PGNet averaged", "PGNet harmonic + site classes", "O3")
# ideas for tensors: each a list of --set overrides, off by default; applied as "<family> | <idea>"
IDEAS = {
    "log-norm loss": ["training.norm_loss_weight=1.0"],
    "norm x direction": ["model.norm_direction=true"],
}
IDEA_TASKS = ("piezoelectric",)
# with folds only the train : val ratio counts: validation = 20 % of the other folds (early stopping needs more than
# the ~10 crystals a 10 % share leaves of the 141-crystal m-3m dielectric set)
CV_FRACTIONS = "[0.8,0.2,0.0]"
ENSEMBLE = "ensemble of {m} seeds"


@dataclass
class CVPlan:
    """What `--cv` runs. folds: K; run_folds: the folds actually run (`--limit-folds`)."""

    folds: int = 5
    max_epochs: int = 200
    patience: int = 20
    run_folds: tuple = ()
    tasks: tuple = tuple(CV_TASKS)
    families: tuple = tuple(pr.FAMILIES) + tuple(pr.CV_ONLY_FAMILIES)
    fractions: tuple = (0.25, 0.5, 1.0)
    curve_families: tuple = CURVE_FAMILIES
    ideas: tuple = ()
    idea_families: tuple = ("PGNet harmonic", "O3")
    ensemble: int = 1
    ensemble_families: tuple = ("PGNet harmonic", "O3")

    def __post_init__(self):
        if not self.run_folds:
            self.run_folds = tuple(range(self.folds))


def variant_dir(k: int, task: str, variant: str) -> Path:
    return RUNS / f"cv{k}" / task / pr.slug(variant).replace("|", "").replace("__", "_")


def result_dir(k: int, task: str, variant: str) -> Path:
    """Where the per-run result JSONs live: in the repository (benchmarks/results/pg_cv_runs/, a few kB each), so
    the tables can be rebuilt and a CV resumed on another machine; the run folders stay under runs/."""
    return STORE / f"cv{k}" / task / pr.slug(variant).replace("|", "").replace("__", "_")


def run_name(fold: int, fraction: float = 1.0, seed: int = 0) -> str:
    return f"fold{fold}" + (f"-f{fraction:g}" if fraction < 1.0 else "") + (f"-seed{seed}" if seed else "")


def cv_job(plan: CVPlan, task: str, variant: str, fold: int, fraction: float = 1.0, seed: int = 0) -> dict:
    """One CV run: the `pgnn fit` command of fold `fold` and the path of its result JSON."""
    idea = variant.split(" | ")[1] if " | " in variant else None
    more = [f"data.folds={plan.folds}", f"data.fold={fold}", f"data.split.fractions={CV_FRACTIONS}",
            *(IDEAS[idea] if idea else [])]
    if seed:
        more.append(f"seed={seed}")
    out = variant_dir(plan.folds, task, variant) / run_name(fold, fraction, seed)
    j = pr.job(CV_TASKS[task], task, variant, fraction, epochs=plan.max_epochs, patience=plan.patience,
               more=tuple(more), out=out)
    j.update(fold=fold, seed=seed, variant=variant, result=result_dir(plan.folds, task, variant) / f"{out.name}.json")
    return j


def cv_jobs(plan: CVPlan) -> list[dict]:
    """Main runs (every task x family x fold), then learning-curve fractions, idea variants, ensemble seeds."""
    jobs = [cv_job(plan, t, f, k) for t in plan.tasks for f in plan.families for k in plan.run_folds]
    jobs += [cv_job(plan, t, f, k, fr) for t in plan.tasks if t in CURVE_TASKS for fr in sorted(plan.fractions)
             if fr < 1.0 for f in plan.curve_families for k in plan.run_folds]  # smallest fraction first
    jobs += [cv_job(plan, t, f, k) for t in plan.tasks if t in CURVE_TASKS for f in plan.curve_families
             if f not in plan.families for k in plan.run_folds]  # 100 % points of the curves
    jobs += [cv_job(plan, t, f"{f} | {idea}", k) for t in plan.tasks if t in IDEA_TASKS for idea in plan.ideas
             for f in plan.idea_families for k in plan.run_folds]
    jobs += [cv_job(plan, t, f, k, seed=s) for t in plan.tasks if t in IDEA_TASKS for f in plan.ensemble_families
             for s in range(1, plan.ensemble) for k in plan.run_folds]
    jobs += [cv_job(plan, t, f, k) for t in plan.tasks if t in IDEA_TASKS and plan.ensemble > 1
             for f in plan.ensemble_families if f not in plan.families for k in plan.run_folds]
    seen, out = set(), []
    for j in jobs:
        if j["result"] not in seen:
            seen.add(j["result"])
            out.append(j)
    return out


# ------------------------------------------------------------------------------------------------ per-fold results
def tensor_extras(npz_path: Path, kinds: dict[str, str]) -> dict:
    """{target: {zeros_mae, within25, n_nonzero, zero_ok}} of a run's test predictions (tensor targets only)."""
    import numpy as np

    data = np.load(npz_path, allow_pickle=False)
    out = {}
    for name, kind in kinds.items():
        if kind == "scalar" or f"pred__{name}" not in data:
            continue
        out[name] = tensor_scores(data[f"pred__{name}"], data[f"true__{name}"], kind)
    return out


def tensor_scores(pred, true, kind: str) -> dict:
    """Zeros-baseline MAE and relative-error share of Cartesian tensors pred, true [n, 3, ..., 3] (data units)."""
    import numpy as np

    from pgnn.tensors.voigt import full_to_voigt

    pv = np.stack([full_to_voigt(p, kind, project=False) for p in pred]).reshape(len(pred), -1)
    tv = np.stack([full_to_voigt(t, kind, project=False) for t in true]).reshape(len(true), -1)
    norm = np.linalg.norm(tv, axis=1)
    nonzero = norm > 1e-6
    rel = np.linalg.norm(pv - tv, axis=1)[nonzero] / norm[nonzero]
    zero_pred = np.linalg.norm(pv, axis=1)[~nonzero]
    return {"mae": float(np.abs(pv - tv).mean()), "zeros_mae": float(np.abs(tv).mean()),
            "within25": float((rel < 0.25).mean()) if nonzero.any() else None, "n_nonzero": int(nonzero.sum()),
            "n_zero": int((~nonzero).sum()), "zero_ok": int((zero_pred < 1e-6).sum())}


def write_result(j: dict) -> dict:
    """The fold's result JSON from the run's metrics.json, test predictions and weights, written atomically
    (the CV tables need no Neumann or inference timing, so no `--summarize` pass)."""
    import yaml

    from pgnn.atomic import atomic_write_text
    from pgnn.data.targets import resolve_target
    from pgnn.training.predictor import load_predictor

    out = j["out"]
    metrics = json.loads((out / "metrics.json").read_text())
    config = yaml.safe_load((out / "config.yaml").read_text())
    kinds = {resolve_target(t).name: resolve_target(t).kind for t in config["data"]["targets"]}
    extras = tensor_extras(out / "test_predictions.npz", kinds)
    targets = {}
    for name, m in metrics["metrics"].items():
        targets[name] = {"mae": m["mae"], "unit": m["unit"], "n": m.get("n", metrics["n"]),
                         **{k: v for k, v in extras.get(name, {}).items() if k != "mae"}}
    summary = {"targets": targets, "parameters": pr.count_parameters(load_predictor(out).module.model),
               "command": " ".join(j["cmd"]),
               **{k: metrics.get(k) for k in ("epoch_seconds_median", "train_n", "epochs_run", "max_epochs",
                                              "best_epoch", "early_stopped", "train_seconds")}}
    result = {"task": j["task"], "variant": j["variant"], "fold": j["fold"], "seed": j["seed"],
              "fraction": j["fraction"], "run": str(out.relative_to(REPO)), **summary}
    j["result"].parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(j["result"], json.dumps(result, indent=1))
    return result


def run_cv_job(j: dict, timeout: int) -> str:
    """Run, summarize and record one CV run; a run whose result JSON exists is skipped."""
    label = f"{j['task']} | {j['variant']} | {run_name(j['fold'], j['fraction'], j['seed'])}"
    if j["result"].is_file():
        return f"done before: {label}"
    out = j["out"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "PGNN_WORKERS": "1"}
    t0 = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    log = out.parent / f"{out.name}.log"
    with log.open("w") as fh:
        if not (out / "metrics.json").is_file() or not (out / "test_predictions.npz").is_file():
            cmd = [sys.executable, *j["cmd"][1:]] + (["--overwrite"] if out.exists() else [])
            try:
                res = subprocess.run(cmd, env=env, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout)
            except subprocess.TimeoutExpired:
                return f"TIMEOUT after {timeout} s: {label} (log {log.relative_to(REPO)})"
            if res.returncode != 0:
                return f"FAILED: {label} (log {log.relative_to(REPO)})"
    try:
        r = write_result(j)
    except Exception as exc:  # noqa: BLE001 - one bad run must not stop the others
        return f"RESULT FAILED: {label}: {exc}"
    maes = ", ".join(f"{n} {t['mae']:.4g} {t['unit']}" for n, t in r["targets"].items())
    return (f"{time.perf_counter() - t0:6.0f} s  {label}: {maes}; best epoch {r.get('best_epoch')} of "
            f"{r.get('epochs_run')} (cap {r.get('max_epochs')}), {r.get('epoch_seconds_median')} s/epoch")


def write_ensembles(plan: CVPlan) -> None:
    """Result JSONs of "<family> | ensemble of m seeds": the mean of the test predictions of seeds 0..m-1."""
    import numpy as np

    from pgnn.atomic import atomic_write_text

    if plan.ensemble < 2:
        return
    for task in plan.tasks:
        if task not in IDEA_TASKS:
            continue
        for family in plan.ensemble_families:
            variant = f"{family} | {ENSEMBLE.format(m=plan.ensemble)}"
            for fold in plan.run_folds:
                members = [cv_job(plan, task, family, fold, seed=s) for s in range(plan.ensemble)]
                if not all(m["result"].is_file() for m in members):
                    continue
                preds = [np.load(m["out"] / "test_predictions.npz", allow_pickle=False) for m in members]
                base = json.loads(members[0]["result"].read_text())
                ids = [str(i) for i in preds[0]["ids"]]
                if any([str(i) for i in p["ids"]] != ids for p in preds):
                    raise RuntimeError(f"{task} {family} fold {fold}: seed runs tested different crystals")
                targets = {}
                for name, row in base["targets"].items():
                    kind = TASK_KIND.get(task, "scalar")
                    mean = np.mean([p[f"pred__{name}"] for p in preds], axis=0)
                    scores = tensor_scores(mean, preds[0][f"true__{name}"], kind)
                    targets[name] = {**row, **scores}
                members_r = [json.loads(m["result"].read_text()) for m in members]
                result = {**base, "variant": variant, "targets": targets, "members": [m["run"] for m in members_r],
                          "epoch_seconds_median": base.get("epoch_seconds_median")}
                path = result_dir(plan.folds, task, variant) / f"{run_name(fold)}.json"
                path.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_text(path, json.dumps(result, indent=1))


TASK_KIND = {"elastic": "elastic", "dielectric": "dielectric", "piezoelectric": "piezoelectric"}


# ------------------------------------------------------------------------------------------------------ statistics
def mean_se(values) -> tuple[float, float]:
    """(mean, standard error = sample std / sqrt(n)); s.e. is nan for fewer than 2 values."""
    xs = [float(v) for v in values]
    if not xs:
        return math.nan, math.nan
    m = sum(xs) / len(xs)
    if len(xs) < 2:
        return m, math.nan
    var = sum((x - m) ** 2 for x in xs) / (len(xs) - 1)
    return m, math.sqrt(var / len(xs))


def paired(pg: dict[int, float], other: dict[int, float]) -> dict:
    """Per-fold difference other - PGNet on the folds both have: mean, s.e., PGNet wins, folds."""
    folds = sorted(set(pg) & set(other))
    d = [other[f] - pg[f] for f in folds]
    m, se = mean_se(d)
    return {"mean": m, "se": se, "wins": sum(x > 0 for x in d), "n": len(folds), "folds": folds}


def load_results(k: int) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((STORE / f"cv{k}").glob("*/*/*.json"))]


def _pm(m: float, se: float, digits: int = 4) -> str:
    if math.isnan(m):
        return "n/a"
    return f"{m:.{digits}g} ± {se:.2g}" if not math.isnan(se) else f"{m:.{digits}g} (1 fold)"


def aggregate(results: list[dict]) -> dict:
    """{task: {variant: {fraction: {target: {"mae": {fold: x}, ...}}}}} of the seed-0 runs (and ensembles)."""
    agg: dict = {}
    for r in results:
        if r.get("seed"):
            continue
        for name, t in r["targets"].items():
            cell = agg.setdefault(r["task"], {}).setdefault(r["variant"], {}).setdefault(
                float(r["fraction"]), {}).setdefault(name, {"mae": {}, "unit": t["unit"], "n": {}, "rows": {}})
            cell["mae"][r["fold"]] = t["mae"]
            cell["n"][r["fold"]] = t["n"]
            cell["rows"][r["fold"]] = {**t, **{k: r.get(k) for k in (
                "best_epoch", "epochs_run", "max_epochs", "epoch_seconds_median", "train_n", "parameters")}}
    return agg


def _shown(variant: str) -> str:
    """A variant name for a markdown cell ("PGNet harmonic | log-norm loss" -> "PGNet harmonic with log-norm loss")."""
    return variant.replace(" | ", " with ")


def _median(xs):
    xs = sorted(x for x in xs if x is not None)
    return xs[len(xs) // 2] if xs else None


def tables(k: int) -> tuple[str, dict]:
    """Markdown and JSON of every finished CV result."""
    agg = aggregate(load_results(k))
    js: dict = {"folds": k, "tasks": {}}
    lines = [f"# {k}-fold cross-validation: PGNet against CGCNN, CHGCNN and the O(3) model", "",
             f"Reproduce: `OMP_NUM_THREADS=1 python benchmarks/pg_results.py --cv {k}` (see `benchmarks/pg_cv.py` "
             "for the options; finished runs are kept).",
             "Folds by sha256 of the entry id (`data.folds`, `data.fold`): the same test crystals for every model. "
             "Each family keeps its own architecture, batch size and learning rate from configs/; every run stops "
             "early on the validation score, and the best checkpoint is scored. Mean ± standard error over folds "
             "(sample std / sqrt(folds)). No hyperparameter search was run: every family has the same budget, one "
             "trial (its shipped config).", ""]
    missing = [t for t in CV_TASKS if t not in agg]
    if missing:
        lines += [f"Tasks with no finished run yet (not measured here): {', '.join(missing)}.", ""]
    lines += ["## Test MAE per model", "",
              "| task | target | model | MAE mean ± s.e. | folds | test n (sum) | best epoch / epochs run (median, cap) "
              "| s/epoch (median) | parameters |", "|---|---|---|---|---|---|---|---|---|"]
    for task, variants in agg.items():
        js["tasks"][task] = {}
        for variant, fracs in variants.items():
            for name, cell in fracs.get(1.0, {}).items():
                m, se = mean_se(cell["mae"].values())
                rows = list(cell["rows"].values())
                cap = _median(r.get("max_epochs") for r in rows)
                lines.append(
                    f"| {task} | {name} ({cell['unit']}) | {_shown(variant)} | {_pm(m, se)} | {len(cell['mae'])} | "
                    f"{sum(cell['n'].values())} | {_median(r.get('best_epoch') for r in rows)} / "
                    f"{_median(r.get('epochs_run') for r in rows)} ({cap}) | "
                    f"{_median(r.get('epoch_seconds_median') for r in rows)} | "
                    f"{_median(r.get('parameters') for r in rows) or ''} |")
                js["tasks"][task].setdefault(variant, {})[name] = {
                    "mae_mean": m, "mae_se": se, "folds": cell["mae"], "unit": cell["unit"], "rows": cell["rows"]}
    lines += ["", "## Paired per-fold comparison", "",
              "d = MAE(other) - MAE(PGNet variant) on the same fold; mean ± s.e. over folds (positive: PGNet "
              "better), and the folds PGNet wins.", "",
              "| task | target | PGNet variant | other model | d mean ± s.e. | PGNet wins |", "|---|---|---|---|---|---|"]
    js["paired"] = []
    for task, variants in agg.items():
        pg_variants = [v for v in variants if v.startswith("PGNet") and " | " not in v]
        others = [v for v in variants if not v.startswith("PGNet") and " | " not in v]
        for pgv in pg_variants:
            for name, cell in variants[pgv].get(1.0, {}).items():
                for other in others:
                    oc = variants[other].get(1.0, {}).get(name)
                    if oc is None:
                        continue
                    p = paired(cell["mae"], oc["mae"])
                    if not p["n"]:
                        continue
                    lines.append(f"| {task} | {name} | {pgv} | {other} | {_pm(p['mean'], p['se'], 3)} | "
                                 f"{p['wins']}/{p['n']} |")
                    js["paired"].append({"task": task, "target": name, "pgnet": pgv, "other": other, **p})
    lines += ["", "## Learning curves (mean ± s.e. over folds)", "",
              "Fraction of the training part of each fold (`data.train_fraction`, nested id-hashed subsample; "
              "validation and test unchanged).", "", "| task | model | " + " | ".join(
                  f"{int(f * 100)} %" for f in (0.25, 0.5, 1.0)) + " |", "|---|---|---|---|---|"]
    js["curves"] = {}
    for task in CURVE_TASKS:
        for variant in CURVE_FAMILIES:
            fracs = agg.get(task, {}).get(variant)
            if not fracs or len(fracs) < 2:
                continue
            cells = []
            for fr in (0.25, 0.5, 1.0):
                cell = next(iter(fracs.get(fr, {}).values()), None)
                if cell is None:
                    cells.append("not run")
                    continue
                m, se = mean_se(cell["mae"].values())
                n_train = _median(r.get("train_n") for r in cell["rows"].values())
                cells.append(f"{_pm(m, se)} (train n {n_train}, {len(cell['mae'])} folds)")
                js["curves"].setdefault(task, {}).setdefault(variant, {})[fr] = {
                    "mae_mean": m, "mae_se": se, "train_n": n_train, "folds": cell["mae"]}
            lines.append(f"| {task} | {variant} | " + " | ".join(cells) + " |")
    lines += ["", "![learning curves](pg_cv_learning_curves.png)", ""]
    piezo = agg.get("piezoelectric", {})
    if piezo:
        lines += ["## Piezoelectric tensors: the ideas", "",
                  "Per fold: MAE over the 18 Voigt components (C/m^2), the MAE of predicting zeros on the same test "
                  "crystals, and the share of test crystals with a non-zero tensor within 25 % relative error "
                  "(||T_pred - T|| / ||T||; zeros: 0 % by construction). Zero tensors predicted zero: test crystals "
                  "whose tensor is zero and whose prediction has norm < 1e-6.", "",
                  "| model | MAE mean ± s.e. | zeros MAE | MAE / zeros | within 25 % | zero tensors predicted zero "
                  "| folds |", "|---|---|---|---|---|---|---|"]
        js["piezoelectric"] = {}
        for variant, fracs in piezo.items():
            for name, cell in fracs.get(1.0, {}).items():
                rows = list(cell["rows"].values())
                m, se = mean_se(cell["mae"].values())
                zm, zse = mean_se(r["zeros_mae"] for r in rows if r.get("zeros_mae") is not None)
                ratio, rse = mean_se(r["mae"] / r["zeros_mae"] for r in rows if r.get("zeros_mae"))
                w, wse = mean_se(r["within25"] for r in rows if r.get("within25") is not None)
                zok = f"{sum(r.get('zero_ok', 0) for r in rows)}/{sum(r.get('n_zero', 0) for r in rows)}"
                lines.append(f"| {_shown(variant)} | {_pm(m, se)} | {_pm(zm, zse)} | {_pm(ratio, rse, 3)} | "
                             f"{_pm(100 * w, 100 * wse, 3)} % | {zok} | {len(rows)} |")
                js["piezoelectric"][variant] = {"mae_mean": m, "mae_se": se, "zeros_mae_mean": zm,
                                                "ratio_mean": ratio, "ratio_se": rse, "within25_mean": w,
                                                "within25_se": wse, "zero_ok": zok, "folds": len(rows)}
        lines.append("")
    lines += ["Commands (the first fold of each run; the other folds differ only in `data.fold`):", ""]
    results = load_results(k)
    first = min((r["fold"] for r in results), default=0)
    commands = dict.fromkeys(r["command"] for r in results if r["fold"] == first and r.get("command"))
    lines += [f"- `{c}`" for c in commands]
    return "\n".join(lines) + "\n", js


def plot_curves(js: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = js.get("curves", {})
    if not curves:
        return
    fig, axes = plt.subplots(1, len(curves), figsize=(5.2 * len(curves), 3.9), squeeze=False)
    for ax, (task, variants) in zip(axes[0], curves.items()):
        for (variant, pts), marker in zip(variants.items(), "osd^v"):
            frs = sorted(pts, key=float)
            xs = [pts[f]["train_n"] for f in frs]
            ys = [pts[f]["mae_mean"] for f in frs]
            es = [0.0 if math.isnan(pts[f]["mae_se"]) else pts[f]["mae_se"] for f in frs]
            ax.errorbar(xs, ys, yerr=es, marker=marker, capsize=3, label=variant)
        ax.set_xscale("log")
        ax.set_xlabel("training crystals per fold (m-3m subset)")
        ax.set_ylabel("test MAE, mean ± s.e. over folds")
        ax.set_title(f"{task} tensor, m-3m, {js['folds']}-fold CV", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def write_tables(k: int) -> str:
    from pgnn.atomic import atomic_write_text

    RESULTS.mkdir(parents=True, exist_ok=True)
    text, js = tables(k)
    atomic_write_text(RESULTS / "pg_cv.md", text)
    atomic_write_text(RESULTS / "pg_cv.json", json.dumps(js, indent=1, default=str))
    plot_curves(js, RESULTS / "pg_cv_learning_curves.png")
    return text


def run(plan: CVPlan, jobs: int, timeout: int, table_only: bool = False) -> None:
    if not table_only:
        todo = cv_jobs(plan)
        print(f"{len(todo)} CV runs ({plan.folds} folds, running {list(plan.run_folds)}; max {plan.max_epochs} "
              f"epochs, patience {plan.patience}), {jobs} at a time", flush=True)
        with ThreadPoolExecutor(jobs) as pool:
            futures = [pool.submit(run_cv_job, j, timeout) for j in todo]
            for i, fut in enumerate(as_completed(futures), 1):
                print(f"[{i}/{len(todo)}] {fut.result()}", flush=True)
        write_ensembles(plan)
    print(write_tables(plan.folds))
