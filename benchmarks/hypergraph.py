"""Speed of crystal hypergraph construction (bond + triplet + motif) against the reference-style pipeline.

pgnn: `build_crystal_hypergraphs` on every structure of the bundled mp_binary_moduli_2025 (3363 structures),
in batches of --batch structures (motif features of a batch in one vectorized pass), one process, one thread;
also the one-structure-at-a-time path (`build_crystal_hypergraph`, what the parallel featurizer calls) on a subset.

Reference style (pymatgen, per site, as the published CHGCNN code does it): VoronoiNN bonds, CrystalNN first shell,
LocalStructOrderParams (all of pymatgen's types that need no extra parameters) on that shell, and ChemEnv's
LocalGeometryFinder continuous symmetry measures of that shell against every ideal polyhedron of its size;
run on an evenly spaced sample of --ref-n structures, stopping after --ref-seconds.

Both are timed in the same run, on the same machine. Prints structures/s of each and the ratio, and writes
benchmarks/results/hypergraph.md.

    OMP_NUM_THREADS=1 python benchmarks/hypergraph.py            # full run
    OMP_NUM_THREADS=1 python benchmarks/hypergraph.py --limit 300 --ref-n 5   # quick
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

REF_TYPES = ["cn", "sgl_bd", "bent", "tri_plan", "tri_plan_max", "reg_tri", "sq_plan", "sq_plan_max", "pent_plan",
             "pent_plan_max", "sq", "tet", "tet_max", "tri_pyr", "sq_pyr", "sq_pyr_legacy", "tri_bipyr", "sq_bipyr",
             "oct", "oct_legacy", "pent_pyr", "hex_pyr", "pent_bipyr", "hex_bipyr", "T", "cuboct", "cuboct_max",
             "see_saw_rect", "bcc", "q2", "q4", "q6", "oct_max", "hex_plan_max", "sq_face_cap_trig_pris"]


def reference_hypergraph(structure, lsop, lgf, voronoi, crystalnn):
    """Bonds, triplets and motif features of one structure, the reference way (pymatgen per site)."""
    bonds = voronoi.get_all_nn_info(structure)
    triplets = sum(len(b) * (len(b) - 1) // 2 for b in bonds)
    lgf.setup_structure(structure)
    feats = []
    for i in range(len(structure)):
        shell = crystalnn.get_nn_info(structure, i)
        sites = [structure[i]] + [nn["site"] for nn in shell]
        ops = lsop.get_order_parameters(sites, 0, indices_neighs=list(range(1, len(sites))))
        csms = {}
        if 1 <= len(shell) <= 12:
            lgf.setup_local_geometry(i, [nn["site"].coords for nn in shell])
            csms = lgf.get_coordination_symmetry_measures()
        feats.append((ops, csms))
    return len(bonds), triplets, feats


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="only the first N structures for pgnn")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--single-n", type=int, default=200, help="structures for the one-at-a-time pgnn timing")
    ap.add_argument("--ref-n", type=int, default=12)
    ap.add_argument("--ref-seconds", type=float, default=240.0)
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "hypergraph.md"))
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    import torch

    torch.set_num_threads(1)
    from pgnn.data.registry import bundled_path
    from pgnn.graphs.hypergraph import build_crystal_hypergraph, build_crystal_hypergraphs
    from pgnn.structures.records import entry_from_record, load_json_records

    records = load_json_records(bundled_path("mp_binary_moduli_2025"))
    structures = [entry_from_record(r, "mp_binary_moduli_2025").structure for r in records]
    total = len(structures)
    if args.limit:
        structures = structures[: args.limit]
    n = len(structures)
    atoms = sum(len(s) for s in structures)
    load_before = os.getloadavg()[0]

    # warm-up (imports, cached ideal polyhedra)
    build_crystal_hypergraphs(structures[:4])
    t0 = time.perf_counter()
    counts = {"bond": 0, "triplet": 0, "motif": 0}
    skipped = 0
    for s0 in range(0, n, args.batch):
        for g in build_crystal_hypergraphs(structures[s0: s0 + args.batch]):
            if isinstance(g, Exception):
                skipped += 1
                continue
            for t in counts:
                counts[t] += g[t].num_nodes
    ours_s = time.perf_counter() - t0
    ours_rate = n / ours_s
    print(f"pgnn batched: {n} structures ({atoms} atoms) in {ours_s:.1f} s = {ours_rate:.1f} structures/s; "
          f"hyperedges {counts}, skipped {skipped}", flush=True)

    single = structures[:: max(1, n // args.single_n)][: args.single_n]
    t0 = time.perf_counter()
    for s in single:
        build_crystal_hypergraph(s)
    single_rate = len(single) / (time.perf_counter() - t0)
    print(f"pgnn one at a time: {len(single)} structures, {single_rate:.1f} structures/s", flush=True)

    from pymatgen.analysis.chemenv.coordination_environments.coordination_geometry_finder import (
        LocalGeometryFinder,
    )
    from pymatgen.analysis.local_env import CrystalNN, LocalStructOrderParams, VoronoiNN

    lsop = LocalStructOrderParams(REF_TYPES)
    lgf = LocalGeometryFinder()
    lgf.setup_parameters(centering_type="standard", structure_refinement="none")
    voronoi, crystalnn = VoronoiNN(), CrystalNN()
    sample = structures[:: max(1, n // args.ref_n)][: args.ref_n]
    times = []
    t_start = time.perf_counter()
    for s in sample:
        t0 = time.perf_counter()
        reference_hypergraph(s, lsop, lgf, voronoi, crystalnn)
        times.append(time.perf_counter() - t0)
        print(f"  reference: {s.composition.reduced_formula} ({len(s)} atoms) {times[-1]:.2f} s", flush=True)
        if time.perf_counter() - t_start > args.ref_seconds:
            break
    ref_rate = len(times) / sum(times)
    ref_atoms = sum(len(s) for s in sample[: len(times)])
    # the sample's atoms per structure differ from the full set's: also compare per atom
    ratio = ours_rate / ref_rate
    ratio_atoms = (atoms / ours_s) / (ref_atoms / sum(times))
    load_after = os.getloadavg()[0]
    print(f"reference: {len(times)} structures, {ref_rate:.3f} structures/s "
          f"(median {statistics.median(times):.2f} s, mean {statistics.mean(times):.2f} s, max {max(times):.2f} s)")
    print(f"speed-up: {ratio:.0f}x per structure ({ratio_atoms:.0f}x per atom); "
          f"one-at-a-time path {single_rate / ref_rate:.0f}x")

    lines = [
        "# Crystal hypergraph construction speed",
        "",
        f"bond + triplet + motif hypergraphs of the bundled mp_binary_moduli_2025 ({n} of its {total} structures, "
        f"{atoms} atoms), "
        "one process, one thread, both pipelines timed in the same run.",
        "",
        "| pipeline | structures | structures/s | s/structure |",
        "|---|---|---|---|",
        f"| pgnn `build_crystal_hypergraphs` (batches of {args.batch}) | {n} | {ours_rate:.1f} | {1 / ours_rate:.4f} |",
        f"| pgnn `build_crystal_hypergraph` (one at a time) | {len(single)} | {single_rate:.1f} | {1 / single_rate:.4f} |",
        f"| reference style (VoronoiNN + CrystalNN + LocalStructOrderParams + ChemEnv) | {len(times)} (sample) | "
        f"{ref_rate:.3f} | median {statistics.median(times):.2f}, mean {statistics.mean(times):.2f}, "
        f"max {max(times):.2f} |",
        "",
        f"Speed-up: **{ratio:.0f}x** structures/s (batched), {ratio_atoms:.0f}x per atom "
        f"(the sample has {ref_atoms / len(times):.1f} atoms/structure, the full set {atoms / n:.1f}); "
        f"one structure at a time: {single_rate / ref_rate:.0f}x.",
        "",
        f"Hyperedges built: {counts}; skipped structures: {skipped}.",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other jobs; 1-min load average "
        f"{load_before:.1f} before, {load_after:.1f} after (timings under load, both pipelines equally).",
        "",
        "Reproduce: `OMP_NUM_THREADS=1 python benchmarks/hypergraph.py " + " ".join(sys.argv[1:]) + "`",
        "",
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
