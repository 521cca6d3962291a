"""Hamiltonian data: engine timings, the band error of truncated blocks against the cutoff, the decay of block
norms with distance per element pair, and a band structure plotted from the sisl object.

    python benchmarks/hamiltonian_data.py                      # NaCl, MgO, ScF3 (about 5 min on one free core)
    python benchmarks/hamiltonian_data.py --records DIR ...    # also summarize built datasets' records

1. seconds per crystal: tblite GFN1-xTB at two supercell sizes, and (from --records) the medians of the dataset
   builds per engine; ratios against the 64-atom tblite time measured in this run.
2. truncation: the blocks of the largest supercell, cut at each cutoff, folded to the supercell's commensurate
   k-points and compared with its Gamma levels up to 3 eV above the highest occupied one (meV, absolute and after
   the best constant shift); "not PD" where the truncated S(k) is not positive definite.
3. decay: max |H_ij(R)| and max |S_ij(R)| of every atom pair against its distance, per element pair (PNG).
4. bands of ScF3 along the standard path from the `sisl.Hamiltonian`, VBM at 0 (PNG).

Writes benchmarks/results/hamiltonian_data.md, hamiltonian_decay.png, hamiltonian_bands.png.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
RESULTS = REPO / "benchmarks" / "results"


def crystals():
    from pymatgen.core import Lattice, Structure

    fcc = np.array([[0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
    return {
        "NaCl": Structure(Lattice(fcc * 5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]]),
        "MgO": Structure(Lattice(fcc * 4.21), ["Mg", "O"], [[0, 0, 0], [0.5, 0.5, 0.5]]),
        "ScF3": Structure(Lattice.cubic(4.05), ["Sc", "F", "F", "F"],
                          [[0, 0, 0], [0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5]]),
    }


def truncation_table(blocks, info, cutoffs):
    from pgnn.hamiltonians.checks import band_errors
    from pgnn.hamiltonians.supercell import commensurate_kpoints

    k = commensurate_kpoints(np.array(info["supercell"]))
    ref = np.sort(blocks.eigenvalues(k).ravel())  # = the supercell's levels (folded check below 0.1 meV)
    rows = []
    for c in cutoffs:
        try:
            err = band_errors(blocks.truncated(c).eigenvalues(k), ref, info["homo_eV"])
            rows.append((c, err["mean_meV"], err["max_meV"], err["mean_shifted_meV"], err["max_shifted_meV"]))
        except np.linalg.LinAlgError:
            rows.append((c, None, None, None, None))
    return rows


def decay_plot(all_blocks, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from pymatgen.core.periodic_table import Element

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, b in all_blocks.items():
        i, j, r, d = b.pairs()
        off = b.orbital_offsets()
        pairs = {}
        for ii, jj, rr, dd in zip(i, j, r, d):
            if dd < 1e-6:
                continue
            zi, zj = sorted((int(b.numbers[ii]), int(b.numbers[jj])))
            h = np.abs(b.H[rr, off[ii]:off[ii + 1], off[jj]:off[jj + 1]]).max()
            s = np.abs(b.S[rr, off[ii]:off[ii + 1], off[jj]:off[jj + 1]]).max()
            pairs.setdefault((zi, zj), []).append((dd, h, s))
        for (zi, zj), v in sorted(pairs.items()):
            v = np.array(v)
            lab = f"{name}: {Element.from_Z(zi).symbol}-{Element.from_Z(zj).symbol}"
            axes[0].semilogy(v[:, 0], v[:, 1], "o", ms=3, label=lab)
            axes[1].semilogy(v[:, 0], v[:, 2], "o", ms=3, label=lab)
    axes[0].set_ylabel("max |H_ij(R)| (eV)")
    axes[1].set_ylabel("max |S_ij(R)|")
    for ax in axes:
        ax.set_xlabel("distance |r_j + R - r_i| (Å)")
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=7, ncol=2)
    fig.suptitle("GFN1-xTB (tblite) block norms against distance, minimum images of the supercell")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def band_plot(H, title, homo, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pgnn.hamiltonians import bands

    x, e, ticks = bands(H, n_points=150)
    vbm = homo
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.plot(x, e - vbm, color="k", lw=1)
    ax.axhline(0.0, color="tab:red", ls="--", lw=1, label="VBM (highest occupied level of the supercell)")
    for xt, _ in ticks:
        ax.axvline(xt, color="0.6", lw=0.6)
    ax.set_xticks([t[0] for t in ticks])
    ax.set_xticklabels([t[1] for t in ticks])
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(-12, 10)
    ax.set_ylabel("E - E_VBM (eV)")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def records_summary(folder):
    out = []
    for f in sorted(Path(folder).glob("*.records.json.gz")):
        with gzip.open(f, "rt") as fh:
            p = json.load(fh)
        recs = p["records"]
        if not recs:
            continue
        t = np.array([r["seconds_total"] for r in recs])
        fold = np.array([r["folded_full"]["mean_meV"] for r in recs])
        f32 = np.array([r["float32_band_error"]["max_meV"] for r in recs])
        out.append({"name": p["name"], "engine": recs[0]["engine"], "n": len(recs), "skipped": len(p["skipped"]),
                    "median_s": float(np.median(t)), "median_folded_mean_meV": float(np.median(fold)),
                    "max_float32_meV": float(f32.max()),
                    "bytes": int(sum(s.stat().st_size for s in Path(folder).glob(f"{p['name']}-*.npz")))})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", nargs="*", default=[str(REPO / "pgnn/data/bundled/mp_hamiltonians_gfn1")])
    ap.add_argument("--big", type=int, default=128, help="atoms of the largest tblite supercell")
    args = ap.parse_args()
    from pgnn.hamiltonians import compute_blocks, to_sisl

    lines = ["# Hamiltonian data (tblite GFN1-xTB, PySCF PBE)", "", f"Command: `python benchmarks/hamiltonian_data.py`", ""]
    lines += ["## Seconds per crystal (tblite, one core, this run)", "",
              "| crystal | supercell atoms | inscribed radius (Å) | seconds | ratio to the 64-atom run | folded check max (meV) | gap (eV) |",
              "|---|---|---|---|---|---|---|"]
    big = {}
    for name, st in crystals().items():
        base = None
        for max_atoms in (64, args.big):
            t0 = time.perf_counter()
            b, info = compute_blocks(st, max_atoms=max_atoms, radius=8.0)
            dt = time.perf_counter() - t0
            base = base or dt
            lines.append(f"| {name} | {info['n_supercell_atoms']} | {info['inscribed_radius_A']:.2f} | {dt:.1f} | "
                         f"{dt / base:.2f} | {info['folded_full']['max_meV']:.4f} | {info['gap_eV']:.2f} |")
            print(lines[-1], flush=True)
        big[name] = (b, info)
    lines += ["", "## Band error of truncated blocks against the cutoff (largest supercell)", "",
              "Levels up to 3 eV above the highest occupied one at the supercell's commensurate k-points; "
              "'not PD': S(k) of the truncated blocks is not positive definite.", "",
              "| crystal | cutoff (Å) | mean (meV) | max (meV) | mean after shift (meV) | max after shift (meV) |",
              "|---|---|---|---|---|---|"]
    for name, (b, info) in big.items():
        cuts = [c for c in (2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0, 8.0) if c <= info["inscribed_radius_A"] + 1e-6] + [float("inf")]
        for c, m, mx, ms, mxs in truncation_table(b, info, cuts):
            cs = "all images" if c == float("inf") else f"{c:.1f}"
            if m is None:
                lines.append(f"| {name} | {cs} | not PD | not PD | not PD | not PD |")
            else:
                lines.append(f"| {name} | {cs} | {m:.1f} | {mx:.1f} | {ms:.1f} | {mxs:.1f} |")
            print(lines[-1], flush=True)
    decay_plot({n: v[0] for n, v in big.items()}, RESULTS / "hamiltonian_decay.png")
    b, info = big["ScF3"]
    H = to_sisl(b)
    band_plot(H, f"ScF3 (Pm-3m): GFN1-xTB blocks of a {info['n_supercell_atoms']}-atom supercell\n"
              "bands of the sisl.Hamiltonian",
              info["homo_eV"], RESULTS / "hamiltonian_bands.png")
    lines += ["", "![decay](hamiltonian_decay.png)", "", "![bands](hamiltonian_bands.png)", ""]
    summ = []
    for folder in args.records:
        if Path(folder).exists():
            summ += records_summary(folder)
    if summ:
        lines += ["## Built datasets (records)", "",
                  "| dataset | engine | crystals | skipped | median s/crystal | median folded-band error (meV) | max float32 error (meV) | MB |",
                  "|---|---|---|---|---|---|---|---|"]
        for s in summ:
            lines.append(f"| {s['name']} | {s['engine']} | {s['n']} | {s['skipped']} | {s['median_s']:.1f} | "
                         f"{s['median_folded_mean_meV']:.4f} | {s['max_float32_meV']:.3f} | {s['bytes'] / 1e6:.1f} |")
    (RESULTS / "hamiltonian_data.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[-len(summ) - 3:]) if summ else "")


if __name__ == "__main__":
    main()
