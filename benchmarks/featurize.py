"""Graph construction speed: `pgnn.graphs.build_crystal_graph(s)` against the original CGCNN featurization.

Both pipelines start from the same pymatgen Structures of a bundled dataset (default: all 3363 of
`mp_binary_moduli_2025`, each pipeline on its own freshly parsed copy) and produce the same information: the 12
nearest neighbours within 8 A of every atom and a Gaussian expansion of their distances (0..8 A, step 0.2 A, as
CGCNN's defaults).

- CGCNN original (cgcnn/data.py): `structure.get_all_neighbors(r=8)`, a Python loop that sorts each atom's
  neighbours by distance, takes 12 and pads, then `GaussianDistance.expand` in numpy.
- pgnn: `build_crystal_graphs(structures, cutoff=8, max_neighbors=12)` on chunks of 64 structures (deterministic
  ties, lattice shifts kept), with the Gaussian expansion of the edge lengths done batched as the models do;
  also `build_crystal_graph` one structure per call, with and without a per-structure Gaussian.

Parsing (`Structure.from_dict`) is timed separately and added to both for the end-to-end ratio.
Run:  python benchmarks/featurize.py [--dataset NAME] [--limit N] [--cgcnn-sample N] [--chunk C] [--workers W]
Prints a markdown table and writes it to benchmarks/results/featurize.md.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from pymatgen.core import Structure  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pgnn.data.registry import bundled_path  # noqa: E402
from pgnn.graphs import build_crystal_graph, edge_vectors  # noqa: E402
from pgnn.graphs.crystal_graph import build_crystal_graphs  # noqa: E402
from pgnn.structures.records import load_json_records  # noqa: E402

RADIUS = 8.0
MAX_NBR = 12
DMIN, STEP = 0.0, 0.2
CENTERS = np.arange(DMIN, RADIUS + STEP, STEP)
CENTERS_T = torch.tensor(CENTERS, dtype=torch.float32)


def cgcnn_featurize(crystal: Structure):
    """The original CGCNN neighbour features (cgcnn/data.py, CIFData.__getitem__), Gaussian-expanded."""
    all_nbrs = crystal.get_all_neighbors(RADIUS, include_index=True)
    all_nbrs = [sorted(nbrs, key=lambda x: x[1]) for nbrs in all_nbrs]
    nbr_fea_idx, nbr_fea = [], []
    for nbr in all_nbrs:
        if len(nbr) < MAX_NBR:
            nbr_fea_idx.append(list(map(lambda x: x[2], nbr)) + [0] * (MAX_NBR - len(nbr)))
            nbr_fea.append(list(map(lambda x: x[1], nbr)) + [RADIUS + 1.0] * (MAX_NBR - len(nbr)))
        else:
            nbr_fea_idx.append(list(map(lambda x: x[2], nbr[:MAX_NBR])))
            nbr_fea.append(list(map(lambda x: x[1], nbr[:MAX_NBR])))
    nbr_fea_idx, nbr_fea = np.array(nbr_fea_idx), np.array(nbr_fea)
    nbr_fea = np.exp(-((nbr_fea[..., np.newaxis] - CENTERS) ** 2) / STEP**2)  # GaussianDistance.expand
    return nbr_fea_idx, nbr_fea


def pgnn_graph(structure: Structure):
    """pgnn crystal graph (12 nearest neighbours within 8 A, lattice shifts kept)."""
    return build_crystal_graph(structure, cutoff=RADIUS, max_neighbors=MAX_NBR)


def gaussian(data) -> torch.Tensor:
    """Gaussian expansion of the edge lengths of a graph or batch, [E, len(CENTERS)] float32."""
    d = edge_vectors(data).norm(dim=1)
    return torch.exp(-((d[:, None] - CENTERS_T) ** 2) / STEP**2)


def pgnn_featurize(structure: Structure):
    """Graph plus the Gaussian expansion of its edges, per structure (what CGCNN's __getitem__ returns)."""
    data = pgnn_graph(structure)
    data.edge_attr = gaussian(data)
    return data


def _worker_chunk(records: list[dict]) -> int:
    torch.set_num_threads(1)
    graphs, _ = build_crystal_graphs([Structure.from_dict(r["structure"]) for r in records], RADIUS, MAX_NBR)
    return len(graphs)


def parallel_parse_and_featurize(records: list[dict], workers: int) -> float:
    """Wall seconds to parse and build the graph of every record with a pool of `workers` processes."""
    chunks = [records[k:k + 64] for k in range(0, len(records), 64)]
    start = time.perf_counter()
    with mp.get_context("fork").Pool(workers) as pool:
        done = sum(pool.map(_worker_chunk, chunks))
    assert done == len(records)
    return time.perf_counter() - start


def _row(name: str, n: int, total: float, per: list[float] | None) -> str:
    med = f"{1e3 * statistics.median(per):.2f}" if per else "-"
    return f"| {name} | {n} | {total:.2f} | {n / total:.1f} | {med} |"


def _stats(per: list[float]) -> str:
    return f"{1e3 * statistics.median(per):.2f}" if per else "-"


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mp_binary_moduli_2025")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N records (0: all)")
    parser.add_argument("--cgcnn-sample", type=int, default=0,
                        help="time the CGCNN pipeline on an evenly spaced sample of N structures (0: all)")
    parser.add_argument("--chunk", type=int, default=64, help="structures per build_crystal_graphs call")
    parser.add_argument("--workers", type=int, default=0, help="also time parse + graphs with W processes")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "featurize.md"))
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    from torch_geometric.data import Batch

    records = load_json_records(bundled_path(args.dataset))
    if args.limit:
        records = records[: args.limit]
    n = len(records)
    wall, cpu = time.perf_counter, time.process_time
    per_parse = []
    for r in records:
        t = wall()
        Structure.from_dict(r["structure"])
        per_parse.append(wall() - t)
    if args.cgcnn_sample and args.cgcnn_sample < n:
        sample = set(np.linspace(0, n - 1, args.cgcnn_sample).round().astype(int).tolist())
    else:
        sample = set(range(n))

    warm = Structure.from_dict(records[0]["structure"])
    for fn in (pgnn_graph, pgnn_featurize, cgcnn_featurize):  # imports and first-call costs
        fn(warm)
    build_crystal_graphs([warm])

    # Chunk by chunk, every pipeline runs on the same freshly parsed structures, interleaved so that the load of
    # a shared machine hits all of them alike. Wall and CPU (process) time are both recorded.
    T = {k: [0.0, 0.0] for k in ("batched", "single", "gauss", "single_s", "full_s", "cgcnn")}
    per_single, per_full, per_cg, n_atoms = [], [], [], []
    skipped = 0
    for c0 in range(0, n, args.chunk):
        ks = list(range(c0, min(n, c0 + args.chunk)))
        chunk = [Structure.from_dict(records[k]["structure"]) for k in ks]
        n_atoms += [len(s) for s in chunk]
        in_sample = [k in sample for k in ks]
        t, tc = wall(), cpu()
        graphs, bad = build_crystal_graphs(chunk, cutoff=RADIUS, max_neighbors=MAX_NBR)
        T["batched"][0] += wall() - t
        T["batched"][1] += cpu() - tc
        skipped += len(bad)
        batch = Batch.from_data_list([g for g in graphs if g is not None])
        t, tc = wall(), cpu()
        gaussian(batch)
        T["gauss"][0] += wall() - t
        T["gauss"][1] += cpu() - tc
        for k, use in zip(ks, in_sample):
            # each pipeline gets its own freshly parsed copy (pymatgen caches Cartesian coordinates per site)
            s1 = Structure.from_dict(records[k]["structure"])
            t, tc = wall(), cpu()
            pgnn_graph(s1)
            dt, dc = wall() - t, cpu() - tc
            per_single.append(dt)
            T["single"][0] += dt
            T["single"][1] += dc
            if use:
                T["single_s"][0] += dt
                T["single_s"][1] += dc
                s2, s3 = (Structure.from_dict(records[k]["structure"]) for _ in range(2))
                t, tc = wall(), cpu()
                pgnn_featurize(s2)
                per_full.append(wall() - t)
                T["full_s"][0] += per_full[-1]
                T["full_s"][1] += cpu() - tc
                t, tc = wall(), cpu()
                cgcnn_featurize(s3)
                per_cg.append(wall() - t)
                T["cgcnn"][0] += per_cg[-1]
                T["cgcnn"][1] += cpu() - tc
    m = len(per_cg)
    n_atoms = np.array(n_atoms)
    share = m / n  # the batched builder is timed per chunk; the sample is charged its share by count
    t_batched = [T["batched"][q] + T["gauss"][q] for q in (0, 1)]
    rate = lambda count, secs: count / secs if secs > 0 else float("inf")  # noqa: E731
    speed = [T["cgcnn"][q] / (t_batched[q] * share) for q in (0, 1)]
    speed_single = [T["cgcnn"][q] / T["single_s"][q] for q in (0, 1)]
    speed_strict = [T["cgcnn"][q] / T["full_s"][q] for q in (0, 1)]
    t_parse = float(np.sum(per_parse))
    e2e = (T["cgcnn"][0] + t_parse * share) / (t_batched[0] * share + t_parse * share)
    some = " [sample]" if m < n else ""

    def row(name, count, secs, per=None):
        return (f"| {name} | {count} | {secs[0]:.2f} | {rate(count, secs[0]):.1f} | {rate(count, secs[1]):.1f} "
                f"| {_stats(per or [])} |")

    lines = [
        f"# Graph construction speed ({args.dataset}, {n} structures, "
        f"{n_atoms.mean():.1f} atoms on average, max {n_atoms.max()})",
        "",
        f"cutoff {RADIUS} A, {MAX_NBR} neighbours, Gaussian expansion {DMIN}..{RADIUS} A step {STEP} A "
        f"({len(CENTERS)} centres). One process, 1 thread; pipelines interleaved chunk by chunk on freshly parsed "
        f"structures; {platform.machine()}, {os.cpu_count()} CPUs visible, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f} at the end (CPU time is the time this process ran).",
        "",
        "| pipeline | structures | wall s | structures/s (wall) | structures/s (CPU) | median ms/structure |",
        "|---|---|---|---|---|---|",
        row("parse: Structure.from_dict (same for both, not in the rows below)", n, [t_parse, t_parse], per_parse),
        row(f"pgnn build_crystal_graphs, {args.chunk} structures per call", n, T["batched"]),
        row("pgnn Gaussian of edge lengths, batched per chunk as in the model", n, T["gauss"]),
        row("pgnn build_crystal_graph, one structure per call", n, T["single"], per_single),
        row("pgnn build_crystal_graph + Gaussian, one structure per call" + some, m, T["full_s"], per_full),
        row("CGCNN original: get_all_neighbors + Python loop + Gaussian" + some, m, T["cgcnn"], per_cg),
        "",
        f"**Speed-up: {speed[0]:.1f}x** (wall; {speed[1]:.1f}x in CPU time): CGCNN featurization vs pgnn "
        f"build_crystal_graphs + batched Gaussian ({rate(n, t_batched[0]):.0f} vs {rate(m, T['cgcnn'][0]):.1f} "
        "structures/s).",
        f"One structure per call: {speed_single[0]:.1f}x (CPU {speed_single[1]:.1f}x); with the Gaussian computed "
        f"per structure as CGCNN does: {speed_strict[0]:.1f}x (CPU {speed_strict[1]:.1f}x); ratio of medians "
        f"{statistics.median(per_cg) / statistics.median(per_single):.1f}x.",
        f"With parsing added to both ({1e3 * statistics.median(per_parse):.2f} ms/structure median): {e2e:.1f}x.",
    ]
    if skipped:
        lines.append(f"{skipped} structures could not be made into graphs (reported, not timed twice).")
    if m < n:
        lines.append(f"The CGCNN pipeline ran on an evenly spaced sample of {m} of the {n} structures "
                     "(it is slow); pgnn ran on all of them and the sample is charged its share of the batched time "
                     "by count.")
    if args.workers:
        t_par = parallel_parse_and_featurize(records, args.workers)
        lines.append(f"Parse + pgnn graphs with {args.workers} worker processes: {t_par:.2f} s, "
                     f"{n / t_par:.0f} structures/s ({os.cpu_count()} CPUs visible, shared with other jobs).")
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    return text


if __name__ == "__main__":
    main()
