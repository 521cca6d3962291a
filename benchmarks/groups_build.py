"""Build time of the point-group tables: all 32 groups, all coupling tensors, subductions l = 0..8.

    PYTHONPATH=. python benchmarks/groups_build.py [--repeat 3]

Prints the cold build (in-memory caches cleared, after imports) and the cache-hit time of the same calls.
"""

from __future__ import annotations

import argparse
import time


def build(lmax: int = 8) -> int:
    from pgnn.groups import list_groups, point_group

    n = 0
    for name in list_groups():
        G = point_group(name)
        n += len(G.coupling_table())
        for l in range(lmax + 1):
            for p in (1, -1):
                G.subduce(l, p)
    return n


def clear_caches() -> None:
    from pgnn.groups import harmonics, matching, registry, subduction

    registry._point_group.cache_clear()
    subduction._lattice_rep.cache_clear()
    harmonics._sample.cache_clear()
    matching._signatures.cache_clear()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--lmax", type=int, default=8)
    args = ap.parse_args()
    t0 = time.perf_counter()
    import pgnn.groups  # noqa: F401

    t_import = time.perf_counter() - t0
    cold, hit = [], []
    for _ in range(args.repeat):
        clear_caches()
        t = time.perf_counter()
        n = build(args.lmax)
        cold.append(time.perf_counter() - t)
        t = time.perf_counter()
        build(args.lmax)
        hit.append(time.perf_counter() - t)
    print(f"import pgnn.groups: {t_import:.3f} s")
    print(f"cold build, 32 groups, {n} coupling tensors, subductions l<={args.lmax} both parities: "
          f"best {min(cold):.3f} s, first {cold[0]:.3f} s (limit 5 s)")
    print(f"cache hit, same calls: best {1000 * min(hit):.1f} ms (limit 50 ms)")


if __name__ == "__main__":
    main()
