"""Performance of ``bimcheck diff`` against ifcdiff 0.9.0 (issue 14: diff ≤ 0.2× ifcdiff).

Run on demand (not part of the test suite)::

    .venv/bin/python benchmarks/bench_diff.py [--model PATH] [-n 3] [--ifcdiff-timeout 1800]
        [--keep DIR] [--json OUT.json]

1. Makes a benchmark revision of the model (default: the largest shared one,
   ``../shared/ifc/revit2012_janesville_restaurant.ifc``) with
   :func:`bimcheck.testing.revisions.make_benchmark_revision`: 5 % of the
   elements with geometry moved by (0.1, 0.05, 0) m, a property value edited
   on another 5 % (seed 14).
2. Times, alternating, ``bimcheck diff OLD NEW -o diff.json`` (cold: an empty
   mesh cache of its own each run) and ifcdiff's command line with its default
   checks (attributes, geometry), ``n`` runs each (ifcdiff only once if its
   first run takes longer than ``--ifcdiff-repeat-below`` seconds), each in a
   child process, wall time from spawn to reap; the medians and their ratio,
   PASS when bimcheck / ifcdiff ≤ 0.2, else MISS. ifcdiff is killed after
   ``--ifcdiff-timeout`` seconds (then the ratio is an upper bound).
3. Compares what each found with what the revision changed: every moved
   element (and those carried by a moved placement) and every edited one
   must be changed in bimcheck's result; ifcdiff's default checks never look
   at property sets, so it cannot find the edits.

Revit's IFC2X3 files (the default model among them) have no Body/MODEL_VIEW
subcontext, so ifcdiff as shipped compares no geometry on them and finds none
of the moves: its time is then loading and an attribute comparison. There
the benchmark also times ifcdiff with its geometry check forced to see the
Body representations (``ifcdiff_peer.py --force-body``) and prints a second
ratio; the verdict line is against ifcdiff as shipped.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_util import load_average, repo_revision
from diff_report import has_body_subcontext, run_bimcheck, scopes
from ifcdiff_peer import DEFAULT_CHECKS, ensure_ifcdiff, run_ifcdiff

from bimcheck.testing.revisions import make_benchmark_revision

TARGET = 0.2
DEFAULT_MODEL = (Path(__file__).resolve().parents[2] / "shared" / "ifc"
                 / "revit2012_janesville_restaurant.ifc")


def compare(expected_moved: set[str], expected_edited: set[str], bim, peer,
            elements: dict[str, str], compared: set[str]) -> dict:
    """What each tool found of the revision's changes (elements only)."""
    moved = {g for g in expected_moved if g in elements}
    edited = {g for g in expected_edited if g in elements}
    expected = moved | edited
    bim_changed = {g for g, v in bim.entries.items() if v[0] in ("modified", "moved")}
    bim_moved = {g for g, v in bim.entries.items() if "placement" in v[1]}
    bim_props = {g for g, v in bim.entries.items() if "properties" in v[1]}
    out = {
        "expected": {"moved": len(moved), "edited": len(edited), "changed": len(expected)},
        "bimcheck": {
            "changed": len(bim_changed), "found": len(expected & bim_changed),
            "missed": sorted(expected - bim_changed), "false": sorted(bim_changed - expected),
            "moved_found": len(moved & bim_moved), "edited_found": len(edited & bim_props),
            "statuses": bim.statuses,
        },
    }
    if peer is not None and not peer.timed_out:
        flagged = set(peer.changed)
        in_scope = expected & compared
        out["ifcdiff"] = {
            "changed": len(flagged), "found": len(in_scope & flagged),
            "compared_expected": len(in_scope),
            "moved_found": len(moved & flagged), "edited_found": len(edited & flagged),
            "missed": len(in_scope - flagged), "false": len(flagged - expected),
            "added": len(peer.added), "deleted": len(peer.deleted),
            "flags": peer.flag_counts(),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="bimcheck diff against ifcdiff on a big revision")
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    ap.add_argument("-n", type=int, default=3, help="runs of each tool (median)")
    ap.add_argument("--ifcdiff-timeout", type=float, default=1800.0)
    ap.add_argument("--ifcdiff-repeat-below", type=float, default=600.0,
                    help="repeat ifcdiff only if its first run took less (s)")
    ap.add_argument("--keep", type=Path, help="write the revision and outputs here")
    ap.add_argument("--json", type=Path, help="save the measurements")
    args = ap.parse_args(argv)
    if not args.model.exists():
        print(f"{args.model} not available", file=sys.stderr)
        return 2
    ensure_ifcdiff(print)
    print(f"# bench_diff: {args.model.name}, commit {repo_revision()}, "
          f"{len(os.sched_getaffinity(0))} cores, {load_average()}")
    with tempfile.TemporaryDirectory(prefix="bench-diff-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        new = work / (args.model.stem + "_bench_rev.ifc")
        rev = make_benchmark_revision(args.model, new)
        d = rev.detail
        print(f"revision: {len(d['moved_requested'])} of {d['elements_with_geometry']} elements "
              f"moved by {d['vector_m']} m ({len(rev.moved)} products moved with carried ones), "
              f"{len(d['edited'])} with a property edited -> {new}")
        elements, compared = scopes(new)
        forced = not has_body_subcontext(args.model)
        if forced:
            print("the model has no Body/MODEL_VIEW subcontext: ifcdiff as shipped compares no "
                  "geometry; also timing it with its geometry check forced (--force-body)")
        modes = [False, True] if forced else [False]
        bim_times: list[float] = []
        peer_times: dict[bool, list[float]] = {m: [] for m in modes}
        peers: dict[bool, object] = {}
        bim = None
        for i in range(args.n):
            bim = run_bimcheck(args.model, new, work)
            bim_times.append(bim.seconds)
            print(f"run {i + 1}: bimcheck diff {bim.seconds:.1f} s")
            for mode in modes:
                last = peers.get(mode)
                if last is not None and (last.timed_out
                                         or peer_times[mode][0] >= args.ifcdiff_repeat_below):
                    continue
                peer = run_ifcdiff(args.model, new, DEFAULT_CHECKS, timeout=args.ifcdiff_timeout,
                                   workdir=work / "ifcdiff", force_body=mode)
                peers[mode] = peer
                peer_times[mode].append(peer.seconds)
                print(f"run {i + 1}: ifcdiff{' (geometry forced)' if mode else ''} "
                      f"{peer.seconds:.1f} s" + (" (timed out)" if peer.timed_out else
                      f" (load {peer.load_seconds} s, diff {peer.diff_seconds} s)"))
        found = {("ifcdiff_forced" if m else "ifcdiff_shipped"):
                 compare(set(rev.moved), set(d["edited"]), bim, peers[m], elements, compared)
                 for m in modes}
    b = statistics.median(bim_times)
    ratios = {}
    for mode in modes:
        p = statistics.median(peer_times[mode])
        ratios[mode] = b / p
        name = "ifcdiff with its geometry check forced" if mode else "ifcdiff as shipped"
        bound = " (upper bound: ifcdiff timed out)" if peers[mode].timed_out else ""
        print(f"{name}: median {p:.2f} s of {len(peer_times[mode])}; bimcheck diff median "
              f"{b:.2f} s of {len(bim_times)}: ratio {ratios[mode]:.3f}{bound} "
              f"(target <= {TARGET}): {'PASS' if ratios[mode] <= TARGET else 'MISS'}")
    print(json.dumps(found, indent=1, sort_keys=True))
    res = next(iter(found.values()))
    print(f"bimcheck found {res['bimcheck']['found']}/{res['expected']['changed']} changed "
          f"elements ({len(res['bimcheck']['missed'])} missed, "
          f"{len(res['bimcheck']['false'])} false)")
    verdict = "PASS" if ratios[False] <= TARGET else "MISS"
    if args.json:
        args.json.write_text(json.dumps({
            "model": str(args.model), "commit": repo_revision(), "load": load_average(),
            "bimcheck_seconds": bim_times,
            "ifcdiff_seconds": {("forced" if m else "shipped"): t for m, t in peer_times.items()},
            "ifcdiff_timed_out": {("forced" if m else "shipped"): peers[m].timed_out
                                  for m in modes},
            "ratio": {("forced" if m else "shipped"): r for m, r in ratios.items()},
            "target": TARGET,
            "verdict": verdict, "revision": rev.detail | {"moved_products": len(rev.moved)},
            "results": found,
        }, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
