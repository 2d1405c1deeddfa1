"""Time the broad phase (bimcheck.geometry.index) on 50,000 boxes.

Run: ``python benchmarks/bench_index.py [N]``. Prints seconds per call for
self pairs and A-B pairs, for two box distributions, next to a bulk-loaded
rtree queried with ``intersection_v`` (the alternative considered), and checks
both give the same pairs. Not part of the test suite.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from rtree import index as rindex

from bimcheck.geometry.index import candidate_pairs


def random_boxes(n: int, seed: int = 0) -> np.ndarray:
    """Boxes 0.1-3 m in a 200 × 200 × 60 m site, 2 % long (10-30 m) members."""
    rng = np.random.default_rng(seed)
    lo = rng.uniform([0, 0, 0], [200, 200, 60], (n, 3))
    size = rng.uniform(0.1, 3.0, (n, 3))
    long = rng.random(n) < 0.02
    size[long, rng.integers(0, 3, long.sum())] = rng.uniform(10, 30, long.sum())
    return np.stack([lo, lo + size], axis=1)


def building_boxes(n: int, seed: int = 0) -> np.ndarray:
    """20 storeys of 3 m: slabs 40 × 40 m, walls, columns, beams and small items."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(5, n, p=[0.02, 0.3, 0.1, 0.18, 0.4])
    lo = np.c_[rng.uniform(0, 200, n), rng.uniform(0, 200, n), rng.integers(0, 20, n) * 3.0]
    size = np.empty((n, 3))
    size[kind == 0] = [40, 40, 0.3]
    for k, section, lengths in ((1, [0.2, 0.2, 3.0], (2, 12)), (3, [0.3, 0.3, 0.5], (4, 15))):
        sel = kind == k
        s = np.tile(section, (sel.sum(), 1))
        s[np.arange(sel.sum()), rng.integers(0, 2, sel.sum())] = rng.uniform(*lengths, sel.sum())
        size[sel] = s
    size[kind == 2] = [0.4, 0.4, 3.0]
    size[kind == 4] = rng.uniform(0.05, 1.0, ((kind == 4).sum(), 3))
    return np.stack([lo, lo + size], axis=1)


def rtree_self_pairs(bounds: np.ndarray, expand: float) -> np.ndarray:
    n = len(bounds)
    idx = rindex.Index(
        (np.arange(n), bounds[:, 0], bounds[:, 1]), properties=rindex.Property(dimension=3)
    )
    ids, counts = idx.intersection_v(bounds[:, 0] - expand, bounds[:, 1] + expand)
    i = np.repeat(np.arange(n), counts.astype(np.int64))
    keep = i < ids
    pairs = np.stack([i[keep], ids[keep]], axis=1)
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


def best_of(fn, repeat: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    for name, make in (("random", random_boxes), ("building", building_boxes)):
        bounds = make(n)
        for expand in (0.0, 0.5):
            t_self, pairs = best_of(lambda b=bounds, e=expand: candidate_pairs(b, expand=e))
            half = n // 2
            t_two, _ = best_of(
                lambda b=bounds, e=expand, h=half: candidate_pairs(b[:h], b[h:], expand=e)
            )
            t_rtree, ref = best_of(lambda b=bounds, e=expand: rtree_self_pairs(b, e))
            same = np.array_equal(pairs, ref)
            print(
                f"{name:8s} n={n} expand={expand:.1f} m  pairs={len(pairs):7d}  "
                f"self {t_self:.3f} s  A-B {t_two:.3f} s  rtree(self) {t_rtree:.3f} s  "
                f"ratio {t_rtree / t_self:.1f}x  same={same}"
            )


if __name__ == "__main__":
    main()
