"""Whole-model speed of PGNet against O3 on the same task, measured in the same run.

    python benchmarks/pg_speed.py [--pg pg-elastic] [--o3 o3-elastic] [--repeats 3] [--train-limit 256]

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", default="pg-elastic")
    ap.add_argument("--o3", default="o3-elastic")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--limit", type=int, default=None, help="at most this many held-out crystals")
    ap.add_argument("--train-limit", type=int, default=256, help="entries of the one-epoch training runs")
    ap.add_argument("--no-train", action="store_true")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "pg_speed.md"))
    args = ap.parse_args()

    entries = held_out(args.limit)
    pg, o3 = pgnn.load(args.pg), pgnn.load(args.o3)
    keep = usable_by_both([pg, o3], [e.structure for e in entries])
    entries = [entries[i] for i in keep]
    structures = [e.structure for e in entries]
    cifs = [str(CifWriter(s)) for s in structures]
    print(f"{len(entries)} held-out {DATASET} crystals usable by both models", flush=True)
    for m in (pg, o3):  # warm-up: imports, first-call allocations
        m.predict(structures[:1])

    times = {("pg", "cif"): [], ("o3", "cif"): [], ("pg", "obj"): [], ("o3", "obj"): []}
    for r in range(args.repeats):
        for key, model in (("pg", pg), ("o3", o3)):
            times[(key, "cif")].append(time_inference(model, cifs=cifs))
            times[(key, "obj")].append(time_inference(model, structures=structures))
        print(f"repeat {r + 1}: " + ", ".join(f"{k[0]} {k[1]} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
    n = len(structures)
    rate = {k: n / statistics.median(v) for k, v in times.items()}

    train = {}
    if not args.no_train:
        with tempfile.TemporaryDirectory(prefix="pg_speed-") as tmp:
            for key, name in (("pg", args.pg), ("o3", args.o3)):
                train[key] = train_epoch_seconds(name, args.train_limit, Path(tmp))

    lines = [
        "# PGNet vs O3, whole model, same run",
        "",
        f"`python benchmarks/pg_speed.py` ({args.pg} vs {args.o3}); {n} held-out crystals (val + test) of "
        f"`{DATASET}`; one torch thread; {platform.processor() or platform.machine()}, {os.cpu_count()} cores "
        f"(shared: absolute figures vary with load, ratios are from the same run). Medians of {args.repeats} "
        "alternating repeats.",
        "",
        "| measure | PG | O3 | PG/O3 |",
        "|---|---|---|---|",
        f"| inference, CIF text -> tensor (structures/s) | {rate[('pg', 'cif')]:.1f} | {rate[('o3', 'cif')]:.1f} | "
        f"{rate[('o3', 'cif')] / rate[('pg', 'cif')]:.2f}x the time |",
        f"| inference, Structure -> tensor (structures/s) | {rate[('pg', 'obj')]:.1f} | {rate[('o3', 'obj')]:.1f} "
        f"| {rate[('o3', 'obj')] / rate[('pg', 'obj')]:.2f}x the time |",
    ]
    if train:
        lines.append(f"| train, one epoch on {args.train_limit} entries (s/epoch, shipped config) | "
                     f"{train['pg']:.2f} | {train['o3']:.2f} | {train['pg'] / train['o3']:.2f}x |")
    text = "\n".join(lines) + "\n"
    print(text)
    inference_ratio = (1 / rate[("pg", "cif")]) / (1 / rate[("o3", "cif")])
    print(f"inference ratio PG/O3 = {inference_ratio:.2f}")
    if train:
        print(f"train s/epoch ratio PG/O3 = {train['pg'] / train['o3']:.2f}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".tmp-", suffix=".md")
    with os.fdopen(fd, "w") as fh:
        fh.write(text + f"\ninference ratio PG/O3 = {inference_ratio:.2f} (time per structure, CIF text in)\n"
                 + (f"train s/epoch ratio PG/O3 = {train['pg'] / train['o3']:.2f}\n" if train else ""))
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
