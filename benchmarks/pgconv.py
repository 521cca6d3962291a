"""Forward+backward time of one PGConv layer (Oh, 64 channels per irrep) against an e3nn O(3) convolution of the
same feature dimension, on the same graph, in the same run.

    PG  : 64xA1g + 64xT1u + 64xEg + 64xT2g  (dim 576), edge features: real SH l <= 2 subduced into Oh
    O(3): 64x0e  + 64x1o  + 64x2e           (dim 576), edge features: real SH l <= 2
(l=0 -> A1g, l=1 -> T1u, l=2 -> Eg + T2g: the same spaces, split further by Oh.) Both layers: radial MLP
(8 Bessel functions -> 32 -> per-path-and-channel weights), "uvu" coupling of node features with edge features,
sum over neighbours, linear mixing per output irrep, self-interaction. FLOPs are counted by
torch.utils.flop_counter (matrix products only) and, for PGConv, also analytically.

Usage: OMP_NUM_THREADS=1 python benchmarks/pgconv.py [--atoms 64] [--neighbors 16] [--repeats 10]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
from e3nn import o3
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from pgnn.graphs import neighbor_list
from pgnn.nn.pg_conv import RADIAL_MODES, PGConv
from pgnn.groups.layout import PGIrreps
from pgnn.nn.pg_edge_features import GroupAveragedEdgeFeatures, HarmonicEdgeFeatures, ProjectedHarmonicEdgeFeatures
from pgnn.nn.radial import BesselBasis, polynomial_cutoff


class E3nnConv(nn.Module):
    """NequIP-style O(3) convolution with the same structure as PGConv (uvu tensor product + linear + self)."""

    def __init__(self, irreps: str, l_max: int = 2, cutoff: float = 5.0, n_basis: int = 8, hidden: int = 32,
                 avg_neighbors: float = 16.0):
        super().__init__()
        self.irreps_in = o3.Irreps(irreps)
        self.irreps_sh = o3.Irreps.spherical_harmonics(l_max)
        mid, instr = [], []
        for i, (mul, ir_in) in enumerate(self.irreps_in):
            for j, (_, ir_sh) in enumerate(self.irreps_sh):
                for ir_out in ir_in * ir_sh:
                    if ir_out in [ir for _, ir in self.irreps_in]:
                        instr.append((i, j, len(mid), "uvu", True))
                        mid.append((mul, ir_out))
        self.irreps_mid = o3.Irreps(mid)
        self.tp = o3.TensorProduct(self.irreps_in, self.irreps_sh, self.irreps_mid, instr,
                                   shared_weights=False, internal_weights=False)
        self.radial = BesselBasis(cutoff, n_basis, unit_argument=True)
        self.cutoff = cutoff
        self.mlp = nn.Sequential(nn.Linear(n_basis, hidden), nn.SiLU(), nn.Linear(hidden, self.tp.weight_numel))
        self.lin = o3.Linear(self.irreps_mid.simplify(), self.irreps_in)
        self.self_int = o3.Linear(self.irreps_in, self.irreps_in)
        self.avg = avg_neighbors
        self.n_paths = len(instr)

    def forward(self, x, edge_index, edge_vec):
        src, dst = edge_index
        sh = o3.spherical_harmonics(self.irreps_sh, edge_vec, normalize=True, normalization="component")
        r = edge_vec.norm(dim=-1)
        w = self.mlp(self.radial(r) * polynomial_cutoff(r, self.cutoff).unsqueeze(-1))
        msg = self.tp(x[src], sh, w)
        agg = x.new_zeros(x.shape[0], msg.shape[1]).index_add_(0, dst, msg) / math.sqrt(self.avg)
        # irreps_mid is not sorted; o3.Linear on simplify() needs the sorted order
        agg = agg[:, self._sort_index(x.device)]
        return self.lin(agg) + self.self_int(x)

    def _sort_index(self, device):
        if not hasattr(self, "_perm"):
            sorted_ = self.irreps_mid.sort()
            inv = sorted_.inv
            slices = self.irreps_mid.slices()
            self._perm = torch.cat([torch.arange(slices[i].start, slices[i].stop) for i in inv]).to(device)
        return self._perm


def random_graph(n_atoms: int, n_neighbors: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    a = (n_atoms * 11.0) ** (1 / 3)  # ~11 A^3 per atom
    cell = np.eye(3) * a + 0.2 * rng.standard_normal((3, 3))
    pos = rng.random((n_atoms, 3)) @ cell
    nb = neighbor_list(pos, cell, cutoff=6.0, max_neighbors=n_neighbors)
    return torch.as_tensor(np.stack([nb.neighbor, nb.center])), torch.as_tensor(nb.vector, dtype=torch.float32)


def time_fb(fns: dict, params: dict, repeats: int) -> dict:
    """Median forward+backward seconds of each function, run interleaved (round-robin) so that a change in
    machine load affects all of them alike."""
    for fn in fns.values():
        fn().square().sum().backward()  # warm-up
    times = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            for p in params[k]:
                p.grad = None
            t0 = time.perf_counter()
            fn().square().sum().backward()
            times[k].append(time.perf_counter() - t0)
    return {k: float(np.median(v)) for k, v in times.items()}


def count_flops(fn) -> int:
    with FlopCounterMode(display=False) as fc:
        fn().square().sum().backward()
    return int(fc.get_total_flops())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--atoms", type=int, default=64)
    ap.add_argument("--neighbors", type=int, default=16)
    ap.add_argument("--channels", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--radial", default="path", choices=RADIAL_MODES,
                    help="the PGConv variant whose time gives the 'ratio PG/e3nn' line")
    ap.add_argument("--compile", action="store_true", help="also time torch.compile of that variant")
    args = ap.parse_args()
    torch.manual_seed(0)
    c = args.channels
    edge_index, vec = random_graph(args.atoms, args.neighbors)
    N, E = args.atoms, edge_index.shape[1]

    pg_layout = PGIrreps("Oh", f"{c}xA1g + {c}xT1u + {c}xEg + {c}xT2g")
    pg_edge = HarmonicEdgeFeatures("Oh", l_max=2)
    x_pg = torch.randn(N, pg_layout.dim, requires_grad=True)
    ef, length = pg_edge(vec), vec.norm(dim=-1)
    layers = {mode: PGConv(pg_layout, pg_edge.irreps_out, pg_layout, cutoff=6.0, avg_neighbors=args.neighbors,
                           radial=mode) for mode in RADIAL_MODES}
    e3 = E3nnConv(f"{c}x0e + {c}x1o + {c}x2e", l_max=2, cutoff=6.0, avg_neighbors=args.neighbors)
    x_e3 = torch.randn(N, e3.irreps_in.dim, requires_grad=True)
    fns = {mode: (lambda m=m: m(x_pg, edge_index, ef, length)) for mode, m in layers.items()}
    params = {mode: list(m.parameters()) + [x_pg] for mode, m in layers.items()}
    fns["e3nn"] = lambda: e3(x_e3, edge_index, vec)
    params["e3nn"] = list(e3.parameters()) + [x_e3]
    if args.compile:
        try:
            compiled = torch.compile(layers[args.radial])
            fns["compiled"] = lambda: compiled(x_pg, edge_index, ef, length)
            params["compiled"] = params[args.radial]
            fns["compiled"]().square().sum().backward()
        except Exception as exc:  # a missing C++ toolchain, an unsupported op: report, do not fail the benchmark
            print(f"torch.compile failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
            fns.pop("compiled", None)
    t = time_fb(fns, params, args.repeats)
    n_par = lambda m: sum(p.numel() for p in m.parameters()) - getattr(m, "n_masked_parameters", lambda: 0)()  # noqa: E731
    print(f"graph: {N} atoms, {E} edges, torch {torch.__version__}, threads {torch.get_num_threads()}, float32")
    print(f"e3nn O(3)  {e3.irreps_in} (dim {e3.irreps_in.dim}), edge {e3.irreps_sh}, paths {e3.n_paths}, "
          f"params {n_par(e3)}: {t['e3nn'] * 1e3:.1f} ms, {count_flops(fns['e3nn']) / 1e9:.3f} GFLOP")
    for mode, m in layers.items():
        print(f"PGConv Oh  {pg_layout} (dim {pg_layout.dim}), edge {pg_edge.irreps_out}, paths {m.n_paths}, "
              f"radial={mode}, params {n_par(m)}: {t[mode] * 1e3:.1f} ms, {count_flops(fns[mode]) / 1e9:.3f} GFLOP, "
              f"PG/e3nn {t[mode] / t['e3nn']:.2f}")
        analytic = m.flops(N, E)
        print("    analytic forward FLOPs: " + ", ".join(f"{k} {v / 1e6:.1f} M" for k, v in analytic.items())
              + f", total {sum(analytic.values()) / 1e9:.3f} GFLOP")
    if "compiled" in t:
        print(f"torch.compile(radial={args.radial}): {t['compiled'] * 1e3:.1f} ms, "
              f"PG/e3nn {t['compiled'] / t['e3nn']:.2f}")
    print(f"forward+backward median of {args.repeats} (interleaved), radial={args.radial}: "
          f"PGConv {t[args.radial] * 1e3:.1f} ms, e3nn {t['e3nn'] * 1e3:.1f} ms")
    print(f"ratio PG/e3nn = {t[args.radial] / t['e3nn']:.2f}")
    edge_features(vec, args.repeats)


def edge_features(vec: torch.Tensor, repeats: int) -> None:
    """Forward+backward of the Oh edge features on the same bonds: harmonic (l <= 3), group-averaged (a learned MLP
    at all 48 images of every bond) and averaged_sh (the same group average of a function band-limited to l = 8,
    one radial MLP per bond)."""
    v = vec.clone().requires_grad_(True)
    mods = {"harmonic": HarmonicEdgeFeatures("Oh", 3),
            "averaged": GroupAveragedEdgeFeatures("Oh", copies=2, cutoff=6.0),
            "averaged_sh": ProjectedHarmonicEdgeFeatures("Oh", copies=2, l_max=8, cutoff=6.0)}
    fns = {k: (lambda m=m: m(v)) for k, m in mods.items()}
    t = time_fb(fns, {k: list(m.parameters()) + [v] for k, m in mods.items()}, repeats)
    print(f"edge features (Oh, {v.shape[0]} bonds, forward+backward): " + ", ".join(
        f"{k} {t[k] * 1e3:.2f} ms (dim {m.irreps_out.dim})" for k, m in mods.items()))
    print(f"edge ratio averaged_sh/averaged = {t['averaged_sh'] / t['averaged']:.3f}, "
          f"averaged_sh/harmonic = {t['averaged_sh'] / t['harmonic']:.2f}")


if __name__ == "__main__":
    main()
