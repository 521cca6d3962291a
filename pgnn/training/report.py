"""`write_report(run_dir)`: one self-contained report.html of a run (every figure embedded as a PNG data URI).

Sections: test metrics with units; parity plots; the learning curve (from metrics.csv); for tensor targets, heat
maps of the true and predicted Voigt matrices of the best, median and worst test crystals (by their Voigt MAE),
the per-component MAE, and the histogram of the Neumann violation ||avg_G(T) - T|| / ||T|| of the predictions
over each test crystal's point group (spglib, symprec 0.01 Angstrom, in the graph's frame); the config.

Predictions come from `test_predictions.npz` in the run folder (written by `pgnn fit`; plain arrays, loaded with
allow_pickle=False). A folder without it (a shipped model, an older run) gets them computed on its test split,
rebuilt from its config exactly as in training (cached graphs make this seconds; featurizing ~100 crystals from
scratch takes ~10 s on one core), and cached there when the report is written into that folder.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from pgnn.atomic import atomic_write_bytes
from pgnn.errors import PgnnError

PREDICTIONS_FILE = "test_predictions.npz"
REPORT_FILE = "report.html"


# ---------------------------------------------------------------------------------------------- test predictions
def _atoms(graph):
    """(lattice rows [3, 3], fractional coords [N, 3], atomic numbers [N]) of a crystal graph or hypergraph."""
    store = graph["atom"] if "atom" in getattr(graph, "node_types", []) else graph
    cell = np.asarray(graph.cell if "cell" in graph else store.cell, dtype=np.float64).reshape(3, 3)
    pos = np.asarray(store.pos, dtype=np.float64)
    return cell, pos @ np.linalg.inv(cell), np.asarray(store.z).tolist()


def crystal_symmetry(graph, symprec: float = 0.01) -> tuple[np.ndarray, str]:
    """(Cartesian point-group operations [n, 3, 3] in the graph's frame, HM point group) from spglib."""
    import spglib

    from pgnn.tensors import cartesian_operations

    cell, frac, z = _atoms(graph)
    ds = spglib.get_symmetry_dataset((cell, frac, z), symprec=symprec)
    if ds is None:
        return np.eye(3)[None], "1"
    return cartesian_operations(ds.rotations, cell), str(ds.pointgroup)


def save_test_predictions(path: Path, targets, graphs, ids: list[str], pred: dict, true: dict) -> None:
    """Write the test split's ids, predictions, truths, and (tensor targets) point groups and Neumann violations
    to `path` (.npz of plain arrays, via a unique temporary file + os.replace)."""
    from pgnn.training.tensor_metrics import neumann_violations

    arrays = {"ids": np.asarray(ids, dtype=str)}
    tensors = [t for t in targets if t.kind != "scalar"]
    if tensors and graphs:
        sym = [crystal_symmetry(g) for g in graphs]
        arrays["point_groups"] = np.asarray([pg for _, pg in sym], dtype=str)
    for t in targets:
        arrays[f"pred__{t.name}"] = np.asarray(pred[t.name], dtype=np.float64)
        arrays[f"true__{t.name}"] = np.asarray(true[t.name], dtype=np.float64)
        if t.kind != "scalar" and graphs:
            tv = arrays[f"true__{t.name}"].reshape(len(graphs), -1)
            floor = 1e-3 * float(np.median(np.linalg.norm(tv, axis=1))) if len(tv) else 0.0
            arrays[f"neumann__{t.name}"] = neumann_violations(arrays[f"pred__{t.name}"], [o for o, _ in sym], floor)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())


def load_test_predictions(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def compute_test_predictions(folder: Path, path: Path, progress: bool = False) -> float:
    """Predict the test split of the run in `folder` (config.yaml + weights) and save them to `path`; seconds."""
    from pgnn.data.dataset import load_dataset
    from pgnn.data.splits import SplitSpec
    from pgnn.data.featurize import default_cache_dir
    from pgnn.training.evaluation import score
    from pgnn.training.runs import load_module

    t0 = time.perf_counter()
    module, config, _ = load_module(folder)
    model_cls = type(module.model)
    data = config["data"]
    graphs = load_dataset(data["dataset"], module.targets, model_cls.graph_kind,
                          model_cls.graph_options(config["model"]), split="test",
                          spec=SplitSpec.from_config(data),
                          cache_dir=data.get("cache_dir") or default_cache_dir(), workers=1, progress=progress,
                          limit=data.get("limit"), point_groups=data.get("point_groups"))
    _, pred, true = score(module, graphs)
    save_test_predictions(path, module.targets, graphs.graphs, graphs.ids, pred, true)
    return time.perf_counter() - t0


# ------------------------------------------------------------------------------------------------------ figures
def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _file_png(draw, *args) -> str:
    """A figure drawn by a pgnn.training.plots function that saves to a path-like (a BytesIO here)."""
    buf = io.BytesIO()
    draw(*args, buf)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _heat(ax, m: np.ndarray, labels_r, labels_c, vmax: float, cmap: str, fmt: str, title: str):
    im = ax.imshow(m, cmap=cmap, vmin=-vmax if cmap == "RdBu_r" else 0.0, vmax=vmax)
    ax.set_xticks(range(m.shape[1]), labels_c, fontsize=7)
    ax.set_yticks(range(m.shape[0]), labels_r, fontsize=7)
    ax.set_title(title, fontsize=8)
    for a in range(m.shape[0]):
        for b in range(m.shape[1]):
            v = m[a, b]
            dark = abs(v) > 0.6 * vmax if cmap == "RdBu_r" else v < 0.55 * vmax  # viridis is dark at its low end
            text = format(v, fmt)
            text = text[1:] if text.startswith("-") and float(text) == 0.0 else text  # no "-0.0"
            ax.text(b, a, text, ha="center", va="center", fontsize=6.5 if m.shape[1] > 3 else 8,
                    color="white" if dark else "black")
    return im


def _fmt(vmax: float) -> str:
    return ".0f" if vmax >= 100 else ".1f" if vmax >= 10 else ".2f" if vmax >= 1 else ".3f"


def voigt_heatmaps(pred: np.ndarray, true: np.ndarray, ids, kind: str, unit: str) -> tuple[str, list[dict]]:
    """Figure: true, predicted and predicted - true Voigt matrices of the best, median and worst test crystals."""
    import matplotlib.pyplot as plt

    from pgnn.tensors import full_to_voigt, tensor_kind

    k = tensor_kind(kind)
    pv, tv = full_to_voigt(pred, k), full_to_voigt(true, k)
    mae = np.abs(pv - tv).reshape(len(pv), -1).mean(1)
    order = np.argsort(mae, kind="stable")
    picks = [("best", order[0]), ("median", order[len(order) // 2]), ("worst", order[-1])]
    rows, cols = k.voigt_shape
    lr, lc = [str(i + 1) for i in range(rows)], [str(i + 1) for i in range(cols)]
    w = 2.9 if cols == 6 else 2.2
    fig, axes = plt.subplots(3, 3, figsize=(3 * w + 1.6, 3 * (w * rows / cols + 0.5)), dpi=110, squeeze=False,
                             layout="constrained")
    chosen = []
    for r, (label, i) in enumerate(picks):
        vmax = float(max(np.abs(tv[i]).max(), np.abs(pv[i]).max())) or 1.0
        f = _fmt(vmax)
        _heat(axes[r, 0], tv[i], lr, lc, vmax, "RdBu_r", f, f"{label}: {ids[i]}  true")
        im = _heat(axes[r, 1], pv[i], lr, lc, vmax, "RdBu_r", f, f"predicted (MAE {mae[i]:.3g} {unit})")
        fig.colorbar(im, ax=axes[r, :2].tolist(), shrink=0.8, label=unit)
        emax = float(np.abs(pv[i] - tv[i]).max()) or 1.0
        im = _heat(axes[r, 2], pv[i] - tv[i], lr, lc, emax, "RdBu_r", _fmt(emax), "predicted - true")
        fig.colorbar(im, ax=axes[r, 2], shrink=0.8, label=unit)
        chosen.append({"which": label, "id": str(ids[i]), "mae": float(mae[i])})
    return _png(fig), chosen


def component_mae_heatmap(pred: np.ndarray, true: np.ndarray, kind: str, unit: str) -> str:
    import matplotlib.pyplot as plt

    from pgnn.tensors import full_to_voigt, tensor_kind, voigt_labels

    k = tensor_kind(kind)
    m = np.abs(full_to_voigt(pred, k) - full_to_voigt(true, k)).mean(0)
    rows, cols = k.voigt_shape
    symbol = voigt_labels(k)[0][0][:-2]
    fig, ax = plt.subplots(figsize=(1.6 + 0.75 * cols, 0.9 + 0.7 * rows), dpi=110, layout="constrained")
    vmax = float(m.max()) or 1.0
    im = _heat(ax, m, [str(i + 1) for i in range(rows)], [str(i + 1) for i in range(cols)], vmax, "viridis",
               _fmt(vmax), f"MAE of each Voigt component {symbol}_ij ({unit}), {len(pred)} test crystals")
    ax.set_ylabel("i", fontsize=8)
    ax.set_xlabel("j", fontsize=8)
    fig.colorbar(im, ax=ax, label=unit)
    return _png(fig)


def neumann_histogram(violations: np.ndarray, point_groups, name: str) -> str:
    import matplotlib.pyplot as plt

    v = np.asarray(violations, dtype=np.float64)
    logv = np.log10(np.maximum(v, 1e-16))
    fig, ax = plt.subplots(figsize=(5.2, 3.3), dpi=110)
    lo, hi = min(-16.0, float(logv.min())), max(0.0, float(logv.max()))
    ax.hist(logv, bins=np.linspace(lo, hi, 33), color="#4878a8", edgecolor="white")
    ax.set_xlabel("log10 Neumann violation ||avg_G(T) - T|| / ||T||  (1e-16 floor)")
    ax.set_ylabel("test crystals")
    groups = sorted(set(point_groups)) if point_groups is not None else []
    ax.set_title(f"{name}: median {np.median(v):.2g}, max {v.max():.2g}; {len(v)} crystals, "
                 f"{len(groups)} point groups", fontsize=8)
    fig.tight_layout()
    return _png(fig)


# --------------------------------------------------------------------------------------------------------- html
_CSS = """body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1100px;
color:#222;padding:0 1em}h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ddd;padding-bottom:.2em;
margin-top:1.6em}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;
text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}figure{display:inline-block;
margin:.5em 1em .5em 0;vertical-align:top}figcaption{font-size:.85em;color:#555;max-width:60em}img{max-width:100%}
pre{background:#f7f7f7;padding:.8em;overflow:auto;font-size:.85em}.note{color:#666;font-size:.9em}"""

# Marks <html data-figures-loaded="k/n"> once the page has loaded: how many of its n images decoded (a check
# for people and for the headless-browser test).
_SCRIPT = """window.addEventListener("load",function(){var im=document.images,ok=0;for(var i=0;i<im.length;i++)
{if(im[i].complete&&im[i].naturalWidth>0)ok++;}document.documentElement.setAttribute("data-figures-loaded",
ok+"/"+im.length);});"""


def _figure(b64: str, alt: str, caption: str) -> str:
    return (f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{b64}">'
            f"<figcaption>{caption}</figcaption></figure>")


def _num(v, digits: int = 4) -> str:
    return "n/a" if v is None or (isinstance(v, float) and not np.isfinite(v)) else format(v, f".{digits}g")


def _metrics_table(metrics: dict) -> str:
    rows = ["<table><tr><th>target</th><th>test MAE</th><th>unit</th></tr>"]
    for name, m in metrics.get("metrics", {}).items():
        rows.append(f"<tr><td>{html.escape(name)}</td><td>{_num(m.get('mae'))}</td>"
                    f"<td>{html.escape(m.get('unit') or '1')}</td></tr>")
        for d, v in (m.get("derived_mae") or {}).items():
            unit = "GPa" if d.endswith("_GPa") else "C/m^2" if d.endswith("_Cm2") else "1"
            rows.append(f"<tr><td>&nbsp;&nbsp;derived {html.escape(d)}</td><td>{_num(v)}</td><td>{unit}</td></tr>")
    rows.append("</table>")
    labels = {"n": "test crystals", "skipped": "test entries skipped", "train_n": "training crystals",
              "epochs": "epochs", "best_val_score": "best validation score (normalized loss units)",
              "featurize_seconds": "featurization (s)", "train_seconds": "training (s)",
              "epoch_seconds_median": "median epoch (s)"}
    info = [(label, metrics[k]) for k, label in labels.items() if metrics.get(k) is not None]
    rows.append("<table>" + "".join(f"<tr><td>{k}</td><td>{_num(v) if isinstance(v, float) else v}</td></tr>"
                                    for k, v in info) + "</table>")
    return "\n".join(rows)


def _has_curve(csv_path: Path) -> bool:
    if not csv_path.is_file():
        return False
    return any(r.get("epoch") for r in csv.DictReader(open(csv_path)))


def write_report(run_dir: str | Path, out: str | Path | None = None, progress: bool = False) -> Path:
    """Write the report of a run folder (or a shipped model's folder) to `out` (default RUN_DIR/report.html)."""
    from pgnn.data.targets import resolve_target
    from pgnn.tensors import full_to_voigt
    from pgnn.training.plots import learning_curve, parity_plot
    from pgnn.training.runs import resolve_run

    folder = resolve_run(run_dir)
    out = Path(out) if out is not None else folder / REPORT_FILE
    if not out.parent.is_dir():
        raise PgnnError(f"{out}: the folder {out.parent} does not exist")
    config = yaml.safe_load((folder / "config.yaml").read_text())
    metrics_path = folder / "metrics.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    targets = [resolve_target(t) for t in config["data"]["targets"]]
    notes = []
    preds_path = folder / PREDICTIONS_FILE
    if preds_path.is_file():
        preds = load_test_predictions(preds_path)
    else:
        cache = preds_path if out.parent.resolve() == folder.resolve() else \
            Path(tempfile.mkdtemp(prefix="pgnn-report-")) / PREDICTIONS_FILE
        seconds = compute_test_predictions(folder, cache, progress)
        preds = load_test_predictions(cache)
        notes.append(f"{folder.name} had no {PREDICTIONS_FILE}: the test split was predicted for this report "
                     f"({len(preds['ids'])} crystals, {seconds:.1f} s).")
        if cache != preds_path:
            cache.unlink()
            cache.parent.rmdir()

    parts = [f"<h1>pgnn run report: {html.escape(folder.name)}</h1>",
             f'<p class="note">{html.escape(str(folder.resolve()))}; model {html.escape(config["model"]["name"])}, '
             f'dataset {html.escape(str(config["data"]["dataset"]))}</p>']
    parts += [f'<p class="note">{html.escape(n)}</p>' for n in notes]
    parts.append("<h2>Test metrics</h2>")
    parts.append(_metrics_table(metrics) if metrics else '<p class="note">no metrics.json in this folder</p>')

    parts.append("<h2>Parity plots (test split)</h2>")
    n = len(preds["ids"])
    for t in targets:
        p, tr = preds[f"pred__{t.name}"], preds[f"true__{t.name}"]
        if not n:
            parts.append('<p class="note">the test split is empty</p>')
            break
        if t.kind != "scalar":  # the independent entries as Voigt components, as in the reported MAE
            p, tr = full_to_voigt(p, t.kind), full_to_voigt(tr, t.kind)
        b64 = _file_png(parity_plot, tr, p, t.name, t.unit, float(np.abs(p - tr).mean()))
        parts.append(_figure(b64, f"parity {t.name}", f"{html.escape(t.name)}: predicted vs true "
                                                      f"({'Voigt components' if t.kind != 'scalar' else 'value'})."))

    parts.append("<h2>Learning curve</h2>")
    if _has_curve(folder / "metrics.csv"):
        parts.append(_figure(_file_png(learning_curve, folder / "metrics.csv"), "learning curve",
                             "Loss per epoch (normalized targets) and validation MAE (target units)."))
    else:
        parts.append('<p class="note">no per-epoch metrics.csv in this folder (shipped models keep only their '
                     "final test metrics), so there is no learning curve.</p>")

    for t in targets:
        if t.kind == "scalar" or not n:
            continue
        p, tr = preds[f"pred__{t.name}"], preds[f"true__{t.name}"]
        parts.append(f"<h2>{html.escape(t.name)}: Voigt matrices</h2>")
        b64, chosen = voigt_heatmaps(p, tr, preds["ids"], t.kind, t.unit)
        which = ", ".join(f"{c['which']} {html.escape(c['id'])} (MAE {c['mae']:.3g} {t.unit})" for c in chosen)
        parts.append(_figure(b64, f"voigt heat maps {t.name}",
                             f"True, predicted and predicted - true Voigt matrices (order xx, yy, zz, yz, xz, xy) of "
                             f"the best, median and worst test crystals by MAE over the Voigt components: {which}."))
        parts.append(_figure(component_mae_heatmap(p, tr, t.kind, t.unit), f"component mae {t.name}",
                             "Mean absolute error of each Voigt component over the test split."))
        key = f"neumann__{t.name}"
        if key in preds:
            parts.append(f"<h2>{html.escape(t.name)}: Neumann violation</h2>")
            parts.append(_figure(neumann_histogram(preds[key], preds.get("point_groups"), t.name),
                                 f"neumann {t.name}",
                                 "How far each predicted tensor is from invariance under its crystal's point group "
                                 "(spglib, symprec 0.01 Angstrom): 0 for an exact symmetric prediction, ~1e-7 is "
                                 "float32 rounding."))
    parts.append("<h2>Config</h2>")
    parts.append(f"<pre>{html.escape((folder / 'config.yaml').read_text())}</pre>")
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>pgnn report: '
            f"{html.escape(folder.name)}</title><style>{_CSS}</style><script>{_SCRIPT}</script></head>\n<body>\n"
            + "\n".join(parts) + "\n</body></html>\n")
    atomic_write_bytes(out, page.encode("utf-8"))
    return out

