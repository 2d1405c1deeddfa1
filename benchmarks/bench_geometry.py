"""Cold vs warm tessellation on the largest model in ../shared/ifc.

Run on demand (not part of the test suite):

    .venv/bin/python benchmarks/bench_geometry.py [MODEL.ifc]

Prints the cold time (empty cache), the warm time (everything cached: open,
key index, cache reads), the warm time for the same model re-saved with other
bytes (fingerprints recomputed, as for a revision), and their ratios to the
cold run; target: warm ≤ 10 % of cold, with identical meshes. Also prints
the plain IfcOpenShell iterator's time as the floor that bimcheck's cold run
is compared against.
"""

from __future__ import annotations

import multiprocessing
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
    s = ifcopenshell.geom.settings()
    s.set("use-world-coords", True)
    it = ifcopenshell.geom.iterator(s, f, multiprocessing.cpu_count())
    if it.initialize():
        while it.next():
            pass
    return time.perf_counter() - t0


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else largest_model()
    size_mb = path.stat().st_size / 1e6
    print(f"model: {path.name} ({size_mb:.1f} MB), cores: {multiprocessing.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        cold = tessellate(open_model(path), cache=MeshCache(tmp))
        t_cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm = tessellate(open_model(path), cache=MeshCache(tmp))
        t_warm = time.perf_counter() - t0
        # Same model, other bytes (as a revision that changed nothing): the key
        # index does not apply, so every element is fingerprinted again.
        copy = Path(tmp) / f"resaved-{path.name}"
        copy.write_bytes(path.read_bytes() + b"\n")
        t0 = time.perf_counter()
        resaved = tessellate(open_model(copy), cache=MeshCache(tmp))
        t_resaved = time.perf_counter() - t0
    same = cold.meshes.keys() == warm.meshes.keys() and all(
        np.array_equal(cold.meshes[k].vertices, warm.meshes[k].vertices)
        and np.array_equal(cold.meshes[k].faces, warm.meshes[k].faces)
        for k in cold.meshes
    )
    triangles = sum(len(m.faces) for m in cold.meshes.values())
    print(
        f"elements meshed: {len(cold.meshes)}, triangles: {triangles}, "
        f"failures: {len(cold.failures)}"
    )
    print(f"cold (open + fingerprint + tessellate + cache write): {t_cold:8.2f} s")
    print(f"warm (open + key index + cache read):                 {t_warm:8.2f} s")
    print(f"warm / cold: {t_warm / t_cold:.3f}  (target <= 0.100)  identical meshes: {same}")
    print(f"  warm breakdown: fingerprints {warm.stats.seconds_fingerprint:.2f} s, "
          f"cache reads {warm.stats.seconds_cache:.2f} s")
    print(f"warm, re-saved bytes (fingerprints recomputed):       {t_resaved:8.2f} s")
    print(f"re-saved / cold: {t_resaved / t_cold:.3f}  "
          f"tessellated again: {resaved.stats.tessellated}")
    t_plain = plain_iterator_seconds(path)
    print(f"plain IfcOpenShell iterator (floor):                   {t_plain:8.2f} s")
    print(f"cold / plain iterator: {t_cold / t_plain:.3f}")
    ok = same and t_warm <= 0.1 * t_cold and t_resaved <= 0.1 * t_cold
    return 0 if ok and resaved.stats.tessellated == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
