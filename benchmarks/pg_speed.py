"""Whole-model speed of PGNet against O3 on the same task, measured in the same run.

    python benchmarks/pg_speed.py [--pg pg-elastic pg-elastic-fast] [--o3 o3-elastic] [--repeats 3] [--train-limit 256]

Data: the held-out crystals (val + test splits by id, fractions 0.8/0.1/0.1, seed 0) of the bundled
`mp_elastic_2015`, on which both shipped models were evaluated.

- Inference, end to end, file in -> tensor out: every crystal as CIF text (written once, outside the timing) is
  parsed with pymatgen, validated, featurized (symmetry analysis and standard frame included for PGNet) and
  predicted by `pgnn.load(name).predict(structures)`, one thread; also from Structure objects (no parsing).
  Models are loaded and warmed up on one crystal first; PG and O3 alternate, `--repeats` times, medians reported.
- Training: one short epoch (`pgnn fit` with the shipped config.yaml, `data.limit`, `trainer.max_epochs=1`, a
  fresh graph cache) of each model on the same entries; the run's median epoch seconds (featurization excluded).

Only public entry points are used (`pgnn.load`, `pgnn fit`), so the script does not depend on model internals.
Prints `inference ratio PG/O3 = X` and `train s/epoch ratio PG/O3 = X` on their own lines and writes
benchmarks/results/pg_speed.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

torch.set_num_threads(1)

from pymatgen.core import Structure  # noqa: E402
from pymatgen.io.cif import CifWriter  # noqa: E402

import pgnn  # noqa: E402
from pgnn.data.dataset import read_entries  # noqa: E402
from pgnn.data.splits import split_of  # noqa: E402
from pgnn.errors import PgnnError  # noqa: E402

DATASET = "mp_elastic_2015"


def held_out(limit: int | None):
    entries, _ = read_entries(DATASET)
    out = [e for e in entries if split_of(e.id) != "train"]
    return out[:limit] if limit else out


def usable_by_both(models, structures):
    """Indices of the structures both models accept (a crystal outside PGNet's groups would raise)."""
    keep = []
    for i, s in enumerate(structures):
        try:
            if all(not m.graphs([s])[1] for m in models):
                keep.append(i)
        except PgnnError:
            continue
    return keep


def time_inference(model, cifs=None, structures=None) -> float:
    t = time.perf_counter()
    if cifs is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            structures = [Structure.from_str(c, fmt="cif") for c in cifs]
    out = model.predict(structures)
    assert len(out) == len(structures)
    return time.perf_counter() - t


def train_epoch_seconds(name: str, limit: int, workdir: Path) -> float:
    """Median epoch seconds of a 1-epoch `pgnn fit` with the shipped config of `name` on `limit` entries."""
    config = REPO / "pgnn" / "pretrained" / name / "config.yaml"
    out = workdir / name
    cmd = [sys.executable, "-m", "pgnn", "fit", "--config", str(config), "--out", str(out), "--set",
           f"data.limit={limit}", "trainer.max_epochs=1", "trainer.enable_progress_bar=false",
           f"data.cache_dir={workdir / 'cache'}"]
    print("+", " ".join(cmd), flush=True)
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    subprocess.run(cmd, check=True, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return float(json.loads((out / "metrics.json").read_text())["epoch_seconds_median"])


def time_stages(model, structures) -> tuple[float, float]:
    """(featurize s, model s) of `model.predict(structures)`: graphs (validation, symmetry analysis and standard
    frame for PGNet) and the network's forward pass (float64, as `predict` runs it)."""
    t = time.perf_counter()
    graphs, _ = model.graphs(structures)
    t_feat = time.perf_counter() - t
    t = time.perf_counter()
    model.predict_graphs(graphs)
    return t_feat, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", nargs="+", default=["pg-elastic", "pg-elastic-fast"], help="one or more PGNet models")
    ap.add_argument("--o3", default="o3-elastic")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--limit", type=int, default=None, help="at most this many held-out crystals")
    ap.add_argument("--train-limit", type=int, default=256, help="entries of the one-epoch training runs")
    ap.add_argument("--no-train", action="store_true")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "pg_speed.md"))
    args = ap.parse_args()

    entries = held_out(args.limit)
    models = {name: pgnn.load(name) for name in [*args.pg, args.o3]}
    keep = usable_by_both(list(models.values()), [e.structure for e in entries])
    entries = [entries[i] for i in keep]
    structures = [e.structure for e in entries]
    cifs = [str(CifWriter(s)) for s in structures]
    print(f"{len(entries)} held-out {DATASET} crystals usable by every model", flush=True)
    for m in models.values():  # warm-up: imports, first-call allocations
        m.predict(structures[:1])

    times = {(name, kind): [] for name in models for kind in ("cif", "obj", "feat", "net")}
    for r in range(args.repeats):
        for name, model in models.items():
            times[(name, "cif")].append(time_inference(model, cifs=cifs))
            times[(name, "obj")].append(time_inference(model, structures=structures))
            feat, net = time_stages(model, structures)
            times[(name, "feat")].append(feat)
            times[(name, "net")].append(net)
        print(f"repeat {r + 1}: " + ", ".join(f"{k[0]} {k[1]} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
    n = len(structures)
    med = {k: statistics.median(v) for k, v in times.items()}

    train = {}
    if not args.no_train:
        with tempfile.TemporaryDirectory(prefix="pg_speed-") as tmp:
            for name in models:
                train[name] = train_epoch_seconds(name, args.train_limit, Path(tmp))

    o3 = args.o3
    header = "| measure | " + " | ".join(f"`{m}`" for m in models) + " | " + \
        " | ".join(f"{p}/O3" for p in args.pg) + " |"
    lines = [
        "# PGNet vs O3, whole model, same run",
        "",
        f"`python benchmarks/pg_speed.py --pg {' '.join(args.pg)} --o3 {o3}"
        + (f" --limit {args.limit}" if args.limit else "") + f" --repeats {args.repeats}"
        + (f" --train-limit {args.train_limit}" if train else " --no-train") + f"`; {n} held-out crystals (val + "
        f"test) of `{DATASET}`; one torch thread, models run in float64 as `predict` runs them; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared: absolute figures vary with "
        f"load, ratios are from the same run). Medians of {args.repeats} alternating repeats.",
        "",
        header,
        "|---|" + "---|" * (len(models) + len(args.pg)),
    ]

    def row(label, kind, rate: bool):
        vals = [(n / med[(m, kind)]) if rate else 1e3 * med[(m, kind)] / n for m in models]
        ratios = [med[(p, kind)] / med[(o3, kind)] for p in args.pg]
        return (f"| {label} | " + " | ".join(f"{v:.1f}" for v in vals) + " | "
                + " | ".join(f"{r:.2f}x the time" for r in ratios) + " |")

    lines += [row("inference, CIF text -> tensor (structures/s)", "cif", True),
              row("inference, Structure -> tensor (structures/s)", "obj", True),
              row("of which graphs: validation, symmetry analysis, frame (ms/structure)", "feat", False),
              row("of which the network (ms/structure)", "net", False)]
    if train:
        lines.append(f"| train, one epoch on {args.train_limit} entries (s/epoch, shipped config) | "
                     + " | ".join(f"{train[m]:.2f}" for m in models) + " | "
                     + " | ".join(f"{train[p] / train[o3]:.2f}x" for p in args.pg) + " |")
    tail = []
    for p in args.pg:
        tail.append(f"inference ratio PG/O3 = {med[(p, 'cif')] / med[(o3, 'cif')]:.2f} ({p}, time per structure, "
                    "CIF text in)")
        if train:
            tail.append(f"train s/epoch ratio PG/O3 = {train[p] / train[o3]:.2f} ({p})")
    text = "\n".join(lines) + "\n\n" + "\n".join(tail) + "\n"
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".tmp-", suffix=".md")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
