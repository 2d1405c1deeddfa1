"""Cold vs warm tessellation on the largest model in ../shared/ifc.

Run on demand (not part of the test suite):

    .venv/bin/python benchmarks/bench_geometry.py [MODEL.ifc] [--repeat N]

Prints the cold time (empty cache), the warm time (everything cached: the
file's manifest and the cache reads, no parse; the model is opened with
``lazy=True`` in every run), the warm time for the same model re-saved with other
bytes (fingerprints recomputed, as for a revision), and their ratios to the
cold run, with PASS or MISS against the targets: warm / cold ≤ 0.10,
re-saved / cold ≤ 0.25, identical meshes; then ``bimcheck info`` as a user
runs it, cold and on the same bytes again (served from the result cache
without parsing), with info cold / plain iterator ≤ 0.15. Also the plain IfcOpenShell
iterator with its **default** settings (local coordinates, as a caller who
places the shapes itself gets them; ``use-world-coords`` makes the iterator
about 6× slower for the same shapes, which would flatter bimcheck) as the
floor bimcheck's cold run is compared against. Each repeat runs cold, plain,
warm and re-saved in turn (alternating); the figures are medians.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

import ifcopenshell
import ifcopenshell.geom
import numpy as np

from bimcheck.geometry.cache import MeshCache
from bimcheck.geometry.tessellate import tessellate
from bimcheck.model import open_model

SHARED = Path(__file__).resolve().parents[2] / "shared" / "ifc"


def largest_model() -> Path:
    return max((p for p in SHARED.glob("*.ifc")), key=lambda p: p.stat().st_size)


def plain_iterator_seconds(path: Path) -> float:
    t0 = time.perf_counter()
    f = ifcopenshell.open(str(path))
    s = ifcopenshell.geom.settings()  # default settings: local coordinates
    it = ifcopenshell.geom.iterator(s, f, multiprocessing.cpu_count())
    if it.initialize():
        while it.next():
            pass
    return time.perf_counter() - t0


TARGETS = {"warm / cold": 0.10, "re-saved / cold": 0.25, "info cold / plain iterator": 0.15}


def info_seconds(path: Path, cache: Path) -> tuple[float, bool]:
    """Wall time of ``bimcheck info MODEL --json --timings`` in a child process
    (start-up, imports and output included) and whether it was served from
    the result cache."""
    import json
    import subprocess

    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "bimcheck.cli", "-q", "info", str(path),
                           "--json", "--timings", "--cache-dir", str(cache)],
                          capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - t0
    return elapsed, bool(json.loads(proc.stdout)["timings"].get("result_from_cache"))


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", type=Path, nargs="?", default=None)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    path = args.model or largest_model()
    size_mb = path.stat().st_size / 1e6
    print(f"model: {path.name} ({size_mb:.1f} MB), cores: {multiprocessing.cpu_count()}")
    times: dict[str, list[float]] = {"cold": [], "plain": [], "warm": [], "resaved": [],
                                     "info cold": [], "info served": []}
    served_ok = True
    same, tessellated_again = True, 0
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            cold = tessellate(open_model(path, lazy=True), cache=MeshCache(tmp))
            times["cold"].append(time.perf_counter() - t0)
            times["plain"].append(plain_iterator_seconds(path))
            t0 = time.perf_counter()
            warm = tessellate(open_model(path, lazy=True), cache=MeshCache(tmp))
            times["warm"].append(time.perf_counter() - t0)
            # Same model, other bytes (as a revision that changed nothing): the
            # key index does not apply, so every element is fingerprinted again.
            copy = Path(tmp) / f"resaved-{path.name}"
            copy.write_bytes(path.read_bytes() + b"\n")
            t0 = time.perf_counter()
            resaved = tessellate(open_model(copy, lazy=True), cache=MeshCache(tmp))
            times["resaved"].append(time.perf_counter() - t0)
            # The command a user runs: cold on an empty cache, then again on
            # the same bytes, served from the result cache without parsing.
            info_cache = Path(tmp) / "info-cache"
            seconds, served = info_seconds(path, info_cache)
            times["info cold"].append(seconds)
            served_ok = served_ok and not served
            seconds, served = info_seconds(path, info_cache)
            times["info served"].append(seconds)
            served_ok = served_ok and served
        same = same and cold.meshes.keys() == warm.meshes.keys() and all(
            np.array_equal(cold.meshes[k].vertices, warm.meshes[k].vertices)
            and np.array_equal(cold.meshes[k].faces, warm.meshes[k].faces)
            for k in cold.meshes
        )
        tessellated_again = max(tessellated_again, resaved.stats.tessellated)
    m = {k: statistics.median(v) for k, v in times.items()}
    triangles = sum(len(x.faces) for x in cold.meshes.values())
    print(f"elements meshed: {len(cold.meshes)}, triangles: {triangles}, "
          f"failures: {len(cold.failures)}; medians of {args.repeat} alternating runs")
    print(f"cold (open + fingerprint + tessellate + cache write): {m['cold']:8.2f} s")
    print(f"warm (manifest + cache read, not parsed):            {m['warm']:8.2f} s")
    print(f"  warm breakdown (last run): fingerprints {warm.stats.seconds_fingerprint:.2f} s, "
          f"cache reads {warm.stats.seconds_cache:.2f} s")
    print(f"warm, re-saved bytes (fingerprints recomputed):       {m['resaved']:8.2f} s "
          f"(tessellated again: {tessellated_again})")
    print(f"plain IfcOpenShell iterator, default settings (floor): {m['plain']:8.2f} s")
    print(f"bimcheck info, cold (a child process, all included):  {m['info cold']:8.2f} s")
    print(f"bimcheck info, same bytes again (served, not parsed):  {m['info served']:8.2f} s")
    ratios = {"warm / cold": m["warm"] / m["cold"], "re-saved / cold": m["resaved"] / m["cold"],
              "info cold / plain iterator": m["info cold"] / m["plain"]}
    ok = same and tessellated_again == 0 and served_ok
    for name, value in ratios.items():
        hit = value <= TARGETS[name]
        ok = ok and hit
        print(f"{name}: {value:.3f} (target <= {TARGETS[name]:.2f}): {_verdict(hit)}")
    print(f"cold / plain iterator: {m['cold'] / m['plain']:.3f}")
    print(f"info served / info cold: {m['info served'] / m['info cold']:.3f} "
          f"(served from the result cache every time: {_verdict(served_ok)})")
    print(f"identical meshes cold and warm: {_verdict(same)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
