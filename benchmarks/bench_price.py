"""Speed of ``bimcheck price OLD NEW`` against one cold takeoff of OLD (issue 14:
price ≤ 1.2× ``bimcheck qto OLD``).

Run on demand (not part of the test suite; about 10 minutes on 2 busy cores
with the defaults)::

    .venv/bin/python benchmarks/bench_price.py [--model PATH] [-n 3] [--rules PACK]
        [--keep DIR] [--json OUT.json]

1. Makes a benchmark revision of the model (default: the largest shared one,
   ``../shared/ifc/revit2012_janesville_restaurant.ifc``) with
   :func:`bimcheck.testing.revisions.make_benchmark_revision`: 5 % of the
   elements with geometry moved by (0.1, 0.05, 0) m, a property value edited
   on another 5 % (seed 14), as ``benchmarks/bench_diff.py`` does.
2. Times, alternating (qto first on even runs, price first on odd ones),
   ``bimcheck -q qto OLD -o takeoff.json`` and ``bimcheck -q price OLD NEW
   -o change_order.json`` with the same measurement pack (default the
   shipped ``rules/qto/ifc-base.yaml``, ``qto``'s default too), each run in a
   child process with a new, empty ``--cache-dir`` (cold), wall time from
   spawn to reap (:func:`bench_util.run_measured`: interpreter start-up,
   imports, parsing the models and writing the output included). The
   medians and their ratio; PASS when price / qto ≤ 1.2, else MISS (exit 1).
3. Reports what the change order says: a translation changes no base
   quantity and a property edit none either, so the moved and edited
   elements should give no line (``moved_with_a_quantity_change`` lists any);
   elements measured on their parts (curtain walls whose panels moved) do,
   and are listed in ``elements_neither_moved_nor_edited``. Runs are not
   recorded in the run history (``--no-history``).

:func:`measure_price` is the timing part on its own, for another script
(``bench_diff.py``) to call on a pair it made.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_util import load_average, repo_revision, run_measured

TARGET = 1.2
REPO = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = REPO.parent / "shared" / "ifc" / "revit2012_janesville_restaurant.ifc"


def _cmd(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "bimcheck.cli", "-q", *map(str, args), "--no-history"]


def measure_price(old: Path, new: Path, work: Path, *, repeat: int = 3,
                  rules: Path | None = None, timeout: float = 3600.0) -> dict:
    """Medians (s) of alternating cold runs of ``qto OLD`` and ``price OLD NEW``
    and their ratio; raises RuntimeError when a run fails."""
    pack = ["--rules", str(rules)] if rules else []
    times: dict[str, list[float]] = {"qto": [], "price": []}
    rss: dict[str, list[int]] = {"qto": [], "price": []}
    for n in range(repeat):
        order = ("qto", "price") if n % 2 == 0 else ("price", "qto")
        for name in order:
            cache = work / f"cache-{name}-{n}"
            out = work / (f"takeoff-{n}.json" if name == "qto" else f"order-{n}.json")
            if name == "qto":
                cmd = _cmd("qto", old, *pack, "-o", out, "--overwrite", "--cache-dir", cache)
            else:
                cmd = _cmd("price", old, new, *pack, "-o", out, "--overwrite",
                           "--cache-dir", cache)
            code, wall, peak = run_measured(cmd, REPO, work / f"{name}-{n}.log", timeout)
            if code != 0:
                log = (work / f"{name}-{n}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} exited {code}:\n{log}")
            times[name].append(wall)
            rss[name].append(peak)
            print(f"  run {n + 1} {name:<5} {wall:8.2f} s  peak {peak / 2**20:7.0f} MiB",
                  flush=True)
    medians = {k: statistics.median(v) for k, v in times.items()}
    return {"runs": times, "peak_rss": rss, "median": medians,
            "ratio": medians["price"] / medians["qto"], "target": TARGET}


def check_order(order_path: Path, moved: set[str], edited: set[str]) -> dict:
    """What the change order of the benchmark pair says (see the module docstring)."""
    doc = json.loads(order_path.read_text(encoding="utf-8"))
    lines = doc["lines"]
    by_status: dict[str, int] = {}
    for line in lines:
        by_status[line["status"]] = by_status.get(line["status"], 0) + 1
    # Neither moved nor edited itself: an element measured on its parts (a
    # curtain wall whose panels moved) or one the diff found changed otherwise.
    others = sorted({f"{ln['ifc_class']} {ln['global_id']}" for ln in lines
                     if ln["global_id"] not in moved and ln["global_id"] not in edited})
    return {"lines": len(lines), "by_status": by_status,
            "elements_neither_moved_nor_edited": others,
            "moved_with_a_quantity_change": sorted({ln["global_id"] for ln in lines
                                                    if ln["global_id"] in moved}),
            "measured": doc["summary"].get("measured"), "elements": doc["summary"]["elements"],
            "warnings": len(doc.get("warnings", []))}


def main(argv: list[str] | None = None) -> int:
    from bimcheck.testing.revisions import make_benchmark_revision

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("-n", "--repeat", type=int, default=3)
    parser.add_argument("--rules", type=Path, default=None,
                        help="measurement pack (default: rules/qto/ifc-base.yaml)")
    parser.add_argument("--keep", type=Path, default=None, help="work folder to keep")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(argv)
    if not args.model.exists():
        print(f"{args.model} not found", file=sys.stderr)
        return 2
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-price-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"bimcheck {repo_revision()}; {load_average()}")
    new = work / f"{args.model.stem}.rev.ifc"
    rev = make_benchmark_revision(args.model, new)
    moved = set(rev.moved)
    edited = set(rev.detail.get("edited", []))
    print(f"revision: {len(rev.detail.get('moved_requested', []))} moved ({len(moved)} "
          f"products carried), {len(edited)} edited -> {new}")
    result = measure_price(args.model, new, work, repeat=args.repeat, rules=args.rules)
    result["order"] = check_order(work / "order-0.json", moved, edited)
    status = "PASS" if result["ratio"] <= TARGET else "MISS"
    m = result["median"]
    print(f"median qto {m['qto']:.2f} s, price {m['price']:.2f} s: "
          f"price / qto = {result['ratio']:.2f} (target <= {TARGET}) {status}")
    print(f"change order: {json.dumps(result['order'], sort_keys=True)}")
    print(load_average())
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n",
                             encoding="utf-8")
    return 0 if status == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
