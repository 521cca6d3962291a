"""O3 vs the invariant CGCNN baseline on the three material tensors, on the bundled test splits.

    python benchmarks/o3_tensors.py [--runs runs/o3_tensors] [--train] [--out benchmarks/results/o3_tensors.md]

With --train, every missing run folder `<runs>/<config name>` is trained first with `pgnn fit -c configs/<name>.yaml`
(configs o3_{elastic,dielectric,piezoelectric} and cgcnn_voigt_{...}: same data, split, batch, optimizer, epochs).
Then, for each run, on the test split: MAE over all Voigt components, per-component MAE, MAE of derived scalars,
the Neumann violation ||avg_G(T) - T|| / max(||T||, 1e-3 x median ||T_true||) of the predictions on crystals with a
point group larger than 1,
both on the structures as given (operations from spglib, symprec 0.01) and on the same structures idealized by
spglib (standardize_cell(no_idealize=False), rotated back to the input frame with std_rotation_matrix), parameters,
median training seconds per epoch (from the run) and inference milliseconds per structure (batches of 32, one
thread). Writes the markdown table and a JSON file with everything next to it.
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
import spglib
import torch
from pymatgen.core import Lattice, Structure

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pgnn.data.dataset import load_dataset, read_entries  # noqa: E402
from pgnn.data.splits import split_of  # noqa: E402
from pgnn.errors import PgnnError  # noqa: E402
from pgnn.graphs.crystal_graph import build_crystal_graph  # noqa: E402
from pgnn.tensors import full_to_voigt, voigt_labels  # noqa: E402
from pgnn.training.evaluation import predict_graphs, true_values  # noqa: E402
from pgnn.training.runs import load_module  # noqa: E402
from pgnn.training.tensor_metrics import neumann_violations, point_group_operations, tensor_errors  # noqa: E402

KINDS = ["elastic", "dielectric", "piezoelectric"]
MODELS = [("o3", "O3 (equivariant)"), ("cgcnn_voigt", "CGCNN-Voigt (invariant)")]
TRIVIAL = {"elastic": "train-mean tensor", "dielectric": "train-median tensor", "piezoelectric": "zeros"}


def train_missing(runs: Path) -> None:
    for kind in KINDS:
        for model, _ in MODELS:
            name = f"{model}_{kind}"
            if (runs / name / "metrics.json").is_file():
                continue
            cmd = [sys.executable, "-m", "pgnn", "fit", "-c", str(REPO / "configs" / f"{name}.yaml"),
                   "-o", str(runs / name), "--set", "trainer.enable_progress_bar=false"]
            if model == "o3":  # this table was trained with the learned element table (the config default since
                cmd.append("model.atom_embedding=learned")  # is element properties; see pg_results.py)
            print("+", " ".join(cmd), flush=True)
            subprocess.run(cmd, check=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})


def idealized(structure: Structure):
    """(idealized structure rotated back to the input frame, its Cartesian point-group operations) or None."""
    cell = (structure.lattice.matrix, structure.frac_coords, structure.atomic_numbers)
    ds = spglib.get_symmetry_dataset(cell, symprec=0.01)
    std = spglib.standardize_cell(cell, to_primitive=False, no_idealize=False, symprec=0.01)
    if ds is None or std is None:
        return None
    lattice, frac, numbers = std
    R = np.asarray(ds.std_rotation_matrix)  # input Cartesian frame -> idealized standard frame
    back = np.asarray(lattice) @ R  # rows: v_input = R^T v_std
    s = Structure(Lattice(back), [int(z) for z in numbers], frac)
    return s, point_group_operations(back, frac, numbers, symprec=1e-5)


def graphs_of(structures, options: dict):
    out, bad = [], 0
    for s in structures:
        try:
            out.append(build_crystal_graph(s, cutoff=float(options.get("cutoff", 8.0)),
                                           max_neighbors=options.get("max_neighbors", 12)))
        except PgnnError:
            out.append(None)
            bad += 1
    return out, bad


def stats(v: np.ndarray) -> dict:
    return {"median": float(np.median(v)), "max": float(np.max(v)), "n": int(len(v))} if len(v) else {"n": 0}


def evaluate_run(folder: Path, structures: dict) -> dict:
    module, config, _ = load_module(folder)
    torch.set_num_threads(1)
    target = module.targets[0]
    kind = target.kind
    data = config["data"]
    fractions, seed = data["split"]["fractions"], int(data["split"].get("seed", 0))
    model_cls = type(module.model)
    options = model_cls.graph_options(config["model"])
    test = load_dataset(data["dataset"], module.targets, model_cls.graph_kind, options, split="test",
                        fractions=fractions, seed=seed, progress=False,
                        cache_dir=os.environ.get("PGNN_CACHE_DIR") or None)
    predict_graphs(module, test.graphs[:4], batch_size=32)  # warm-up
    t0 = time.perf_counter()
    pred = predict_graphs(module, test.graphs, batch_size=32)[target.name]
    infer_ms = (time.perf_counter() - t0) / len(test.graphs) * 1000
    true = true_values(module, test.graphs)[target.name]
    result = {"kind": kind, "unit": target.unit, "n_test": len(test.graphs), "skipped": len(test.skipped),
              "params": sum(p.numel() for p in module.model.parameters()), "infer_ms_per_structure": infer_ms}
    result.update(tensor_errors(pred, true, kind))
    metrics = json.loads((folder / "metrics.json").read_text()) if (folder / "metrics.json").is_file() else {}
    result["epochs"] = metrics.get("epochs", config["trainer"].get("max_epochs"))
    result["train_s_per_epoch"] = metrics.get("epoch_seconds_median")
    # Neumann violations on symmetric crystals, as given and idealized
    given_ops, ideal, ideal_ops, keep = [], [], [], []
    for k, i in enumerate(test.ids):
        s = structures[i]
        ops = point_group_operations(s.lattice.matrix, s.frac_coords, s.atomic_numbers, symprec=0.01)
        if len(ops) < 2:
            continue
        idl = idealized(s)
        keep.append(k)
        given_ops.append(ops)
        ideal.append(idl[0] if idl else None)
        ideal_ops.append(idl[1] if idl else None)
    floor = 1e-3 * float(np.median(np.sqrt((true**2).reshape(len(true), -1).sum(1))))
    result["neumann_floor"] = floor
    v_given = neumann_violations(pred[keep], given_ops, floor)
    ideal_graphs, _ = graphs_of([s for s in ideal if s is not None], options)
    ok = [g is not None for g in ideal_graphs]
    ideal_pred = predict_graphs(module, [g for g in ideal_graphs if g is not None], batch_size=32)[target.name]
    ops_ok = [o for o, s in zip(ideal_ops, ideal) if s is not None]
    ops_ok = [o for o, good in zip(ops_ok, ok) if good]
    v_ideal = neumann_violations(ideal_pred, ops_ok, floor)
    # the same idealized crystals in float64 end to end (positions straight from the structure), which separates
    # the model's symmetry from float32 round-off
    good_structs = [s for s, good in zip([s for s in ideal if s is not None], ok) if good]
    graphs64 = []
    for s, g in zip(good_structs, [g for g in ideal_graphs if g is not None]):
        g = g.clone()
        g.pos = torch.tensor(s.cart_coords, dtype=torch.float64)
        g.cell = torch.tensor(s.lattice.matrix, dtype=torch.float64).unsqueeze(0)
        graphs64.append(g)
    module.double()
    ideal_pred64 = predict_graphs(module, graphs64, batch_size=32)[target.name]
    module.float()
    v_ideal64 = neumann_violations(ideal_pred64, ops_ok, floor)
    result["neumann_given"] = stats(v_given)
    result["neumann_idealized"] = stats(v_ideal)
    result["neumann_idealized_float64"] = stats(v_ideal64)
    result["neumann_idealized_abs_max"] = float(np.max(v_ideal * np.maximum(
        np.sqrt((ideal_pred**2).reshape(len(ideal_pred), -1).sum(1)), floor))) if len(v_ideal) else None
    result["neumann_idealized_failed"] = int(len(keep) - len(v_ideal))
    return result


def trivial(kind: str, dataset: str, spec, fractions, seed) -> dict:
    entries, _ = read_entries(dataset)
    train, test = [], []
    for e in entries:
        try:
            v = spec.derive(e.fields, e.source)
        except PgnnError:
            continue
        part = split_of(e.id, tuple(fractions), seed)
        (train if part == "train" else test if part == "test" else []).append(v)
    train, test = np.stack(train), np.stack(test)
    if kind == "elastic":
        ref = train.mean(0)
    elif kind == "dielectric":
        ref = np.median(train, axis=0)
    else:
        ref = np.zeros_like(train[0])
    pred = np.broadcast_to(ref, test.shape)
    return tensor_errors(pred, test, kind)


def export(folder: Path, dest: Path, result: dict) -> None:
    """pgnn/pretrained/<name>/: weights.pt.xz (float32 state dict, xz), config.yaml, metrics.json (test split,
    the run's format plus per-component, derived and Neumann figures), COMMAND.md (how it was trained)."""
    import shutil

    from pgnn.training.runs import WEIGHTS_FILE, export_weights

    module, config, _ = load_module(folder)
    dest.mkdir(parents=True, exist_ok=True)
    export_weights(module, dest / WEIGHTS_FILE)
    shutil.copy(folder / "config.yaml", dest / "config.yaml")
    run_metrics = json.loads((folder / "metrics.json").read_text())
    target = module.targets[0].name
    keep = ("mae", "per_component_mae", "derived_mae", "neumann_given", "neumann_idealized",
            "neumann_idealized_float64", "params", "infer_ms_per_structure")
    run_metrics["metrics"][target].update({k: result[k] for k in keep if k in result})
    (dest / "metrics.json").write_text(json.dumps(run_metrics, indent=2))
    name = folder.name
    (dest / "COMMAND.md").write_text(
        f"# {dest.name}\n\nTrained on the train split (80/10/10 by id, seed 0) of `{config['data']['dataset']}` with\n\n"
        f"```\nOMP_NUM_THREADS=1 pgnn fit -c configs/{name}.yaml -o runs/o3_tensors/{name}\n```\n\n"
        f"({run_metrics.get('epochs')} epochs, median {run_metrics.get('epoch_seconds_median')} s per epoch on a shared "
        f"2-core CPU, one torch thread). Exported with `python benchmarks/o3_tensors.py --export`. Test MAE over all "
        f"Voigt components: {result['mae']:.4g} {result['unit']} (n={result['n_test']}).\n")
    size = (dest / WEIGHTS_FILE).stat().st_size
    print(f"exported {dest} ({size / 1e6:.2f} MB weights)")


def fmt(x, digits=3):
    if x is None:
        return "-"
    if isinstance(x, float) and (abs(x) < 1e-3 and x != 0):
        return f"{x:.1e}"
    return f"{x:.{digits}g}" if isinstance(x, float) else str(x)


def markdown(results: dict) -> str:
    lines = ["# O3 vs invariant CGCNN on material tensors (bundled test splits)", "",
             "Produced by `python benchmarks/o3_tensors.py` (see its docstring). MAE over all Voigt components "
             "(36 elastic, 18 piezoelectric, 9 dielectric) in the unit of the data. Neumann violation "
             "||avg_G(T) - T|| / max(||T||, 1e-3 x median true-tensor norm) of the predicted tensor over the "
             "crystal's point group (the floor only matters for a tensor the group forbids), on test crystals "
             "with a point group larger than 1: as given (spglib, symprec 0.01) and idealized (spglib standardized "
             "cell, rotated back to the input frame). Train s/epoch: median wall time per epoch on a shared, "
             "loaded 2-core CPU (one torch thread); inference: batches of 32, one thread. The float64 column runs the "
             "same model in float64 on the idealized crystals: it separates the model's symmetry from float32 "
             "round-off, which dominates the float32 column where a predicted tensor is small (a tensor predicted "
             "as zero to round-off counts against the floor).", ""]
    header = ("| tensor | model | params | epochs | train s/epoch | infer ms/structure | MAE all components | "
              "derived-scalar MAE | Neumann as given (median / max) | Neumann idealized (median / max) | "
              "idealized, float64 (median / max) |")
    lines += [header, "|" + "---|" * 11]
    for kind in KINDS:
        if kind not in results:
            continue
        r = results[kind]
        unit = next(iter(r["runs"].values()))["unit"] if r["runs"] else ""
        for model, label in MODELS:
            m = r["runs"].get(model)
            if m is None:
                continue
            derived = ", ".join(f"{k} {fmt(v)}" for k, v in m["derived_mae"].items())
            ng, ni, n64 = m["neumann_given"], m["neumann_idealized"], m.get("neumann_idealized_float64", {"n": 0})
            lines.append(
                f"| {kind} ({unit}) | {label} | {m['params']:,} | {m['epochs']} | {fmt(m['train_s_per_epoch'])} | "
                f"{m['infer_ms_per_structure']:.2f} | **{m['mae']:.4g}** | {derived} | "
                f"{fmt(ng.get('median'))} / {fmt(ng.get('max'))} (n={ng['n']}) | "
                f"{fmt(ni.get('median'))} / {fmt(ni.get('max'))} (n={ni['n']}) | "
                f"{fmt(n64.get('median'))} / {fmt(n64.get('max'))} |")
        t = r["trivial"]
        derived = ", ".join(f"{k} {fmt(v)}" for k, v in t["derived_mae"].items())
        lines.append(f"| {kind} ({unit}) | trivial: {TRIVIAL[kind]} | 0 | - | - | - | {t['mae']:.4g} | {derived} | - | - | - |")
    for kind in KINDS:
        if kind not in results:
            continue
        lines += ["", f"## Per-component MAE, {kind} ({next(iter(results[kind]['runs'].values()))['unit']})", "",
                  "Each cell: O3 / CGCNN-Voigt / trivial."]
        labels = voigt_labels(kind)
        cols = len(labels[0])
        lines += ["", "| | " + " | ".join(str(c + 1) for c in range(cols)) + " |", "|" + "---|" * (cols + 1)]
        runs = results[kind]["runs"]
        for a, row in enumerate(labels):
            cells = []
            for lab in row:
                vals = [runs[m]["per_component_mae"][lab] if m in runs else None for m, _ in MODELS]
                vals.append(results[kind]["trivial"]["per_component_mae"][lab])
                cells.append(" / ".join(fmt(v) for v in vals))
            lines.append(f"| {a + 1} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=Path, default=REPO / "runs" / "o3_tensors")
    ap.add_argument("--train", action="store_true", help="train the missing runs first")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "o3_tensors.md")
    ap.add_argument("--kinds", nargs="*", default=KINDS)
    ap.add_argument("--export", action="store_true",
                    help="also ship each O3 run as pgnn/pretrained/o3-<kind>/ (weights, config, metrics, command)")
    args = ap.parse_args()
    if args.train:
        train_missing(args.runs)
    results = {}
    for kind in args.kinds:
        runs, cache = {}, {}
        for model, _ in MODELS:
            folder = args.runs / f"{model}_{kind}"
            if not (folder / "config.yaml").is_file():
                print(f"missing run {folder}; skipped")
                continue
            config_data = __import__("yaml").safe_load((folder / "config.yaml").read_text())["data"]
            if config_data["dataset"] not in cache:
                entries, _ = read_entries(config_data["dataset"])
                cache[config_data["dataset"]] = {e.id: e.structure for e in entries}
            runs[model] = evaluate_run(folder, cache[config_data["dataset"]])
            print(f"{kind} {model}: MAE {runs[model]['mae']:.4g} {runs[model]['unit']}, "
                  f"Neumann idealized median {runs[model]['neumann_idealized'].get('median')}", flush=True)
        if not runs:
            continue
        module_cfg = __import__("yaml").safe_load((args.runs / f"{next(iter(runs))}_{kind}" / "config.yaml").read_text())
        from pgnn.data.targets import resolve_target

        spec = resolve_target(module_cfg["data"]["targets"][0])
        split = module_cfg["data"]["split"]
        results[kind] = {"runs": runs, "trivial": trivial(kind, module_cfg["data"]["dataset"], spec,
                                                          split["fractions"], int(split.get("seed", 0)))}
    if args.export:
        for kind in results:
            export(args.runs / f"o3_{kind}", REPO / "pgnn" / "pretrained" / f"o3-{kind}", results[kind]["runs"]["o3"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown(results))
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=2))
    print(markdown(results))
    print(f"wrote {args.out} and {args.out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
