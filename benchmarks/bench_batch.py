"""Speed of ``bimcheck batch DIR`` on the shared models: local workers (``-j 1``,
``-j 2``) against the Dask engine (``--engine dask --scheduler local:2``;
target: Dask / ``-j 2`` ≤ 1.10), whether every engine writes the same
``batch.json``, a warm re-run that should do no work, and a projection to a
portfolio of 100 projects × 50 revisions.

Run on demand (not part of the test suite; about 20-40 minutes on 2 busy
cores with the defaults)::

    .venv/bin/python benchmarks/bench_batch.py [--models DIR] [-n 2] [--keep DIR]
        [--run-timeout 7200] [--json OUT.json]

1. Builds a batch folder ``DIR/<project>/<revision>.ifc`` in a work folder
   (a new temporary one, or ``--keep``): one project per ``*.ifc`` of
   ``--models`` (default ``../shared/ifc``, read in place, never copied into
   the repository), its name the file's stem with every character outside
   ``[A-Za-z0-9._-]`` made ``_``. Revision ``r1`` is a symbolic link to the
   model, ``r2`` a benchmark revision made once, before any timing, with
   :func:`bimcheck.testing.revisions.make_benchmark_revision` (5 % of the
   elements with geometry moved by (0.1, 0.05, 0) m, a property value edited
   on another 5 %, seed 14, as ``bench_diff.py`` and ``bench_price.py`` do).
   A model with no element that has a property to edit (ACCA signalling, the
   great court roof) gets the moves only (``fraction_props=0``), said so.
2. Times ``bimcheck -q batch DIR --out OUT --db OUT/h.sqlite --cache-dir
   CACHE`` in three configurations, each run in a child process with a new
   ``OUT`` and a new, empty ``CACHE`` (cold: new mesh cache, new history
   database), ``BIMCHECK_NO_HISTORY`` unset, wall time from spawn to reap
   (:func:`bench_util.run_measured`): a. ``-j 1``, b. ``-j 2``, c. ``--engine
   dask --scheduler local:2``; ``-n`` rounds, the order of the three rotated
   every round. Reports each configuration's median, its throughput
   (revisions per hour, 2 revisions per project), the Dask overhead
   median(c) / median(b) (PASS when ≤ 1.10, else MISS: exit 1), the speed-up
   of ``-j 2`` over ``-j 1``, each configuration's failed revisions
   (``batch.json`` ``summary.failed``), and whether every run's
   ``batch.json`` is byte-identical once ``header.started`` (the only field
   expected to differ: each run has its own database) is replaced with a
   fixed string; the first differing lines otherwise. An exit code other
   than 0 (1 would need a failing gate, and there is none) is a failure of
   the benchmark too (exit 1).
3. Runs configuration b once more on the ``--out``, ``--db`` and
   ``--cache-dir`` of its last run (warm): every revision should be reused
   (``no work done``); its time.
4. Projects 100 projects × 50 revisions (5000 revisions) on N workers (1, 2,
   8, 32, 128): 5000 × (median ``-j 1`` seconds / revisions of the batch) /
   (N × e), the parallel efficiency e = (t_j1 / t_j2) / 2 capped at 1 (e = 1
   for N = 1, the configuration the seconds per revision were measured on).
   The seconds per revision include each run's fixed costs (start-up, the
   portfolio files), so the projection errs high.

Everything printed is also in the ``--json`` output.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib.util
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_util import load_average, repo_revision, run_measured

TARGET = 1.10
REPO = Path(__file__).resolve().parents[1]
DEFAULT_MODELS = REPO.parent / "shared" / "ifc"
#: The three timed configurations: name → the batch options that make it.
CONFIGS: dict[str, list[str]] = {
    "j1": ["-j", "1"],
    "j2": ["-j", "2"],
    "dask": ["--engine", "dask", "--scheduler", "local:2"],
}
LABELS = {"j1": "-j 1", "j2": "-j 2", "dask": "--engine dask --scheduler local:2"}
#: Portfolio of the projection: projects × revisions, and the worker counts.
PROJECTION_REVISIONS = 100 * 50
PROJECTION_WORKERS = (1, 2, 8, 32, 128)
FIXED_STARTED = "<started>"
_BAD = re.compile(r"[^A-Za-z0-9._-]")


def project_name(stem: str, taken: set[str]) -> str:
    """A project folder name ``^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`` from a file
    stem, not one of ``taken``."""
    name = _BAD.sub("_", stem)
    if not name or not name[0].isalnum() or not name[0].isascii():
        name = "m" + name
    name = name[:128]
    base, k = name, 2
    while name in taken:
        suffix = f"-{k}"
        name = base[:128 - len(suffix)] + suffix
        k += 1
    taken.add(name)
    return name


@contextlib.contextmanager
def stdout_to(path: Path) -> Iterator[None]:
    """File descriptor 1 (IfcOpenShell's C++ diagnostics too) to ``path``."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(path, "ab") as fh:
        os.dup2(fh.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


def build_batch(models: list[Path], root: Path, log: Path) -> list[dict]:
    """``root/<project>/r1.ifc`` (a link to the model) and ``r2.ifc`` (its
    benchmark revision) per model; what each revision changed."""
    from bimcheck.testing.revisions import RevisionError, make_benchmark_revision

    root.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    made = []
    for model in models:
        name = project_name(model.stem, taken)
        folder = root / name
        folder.mkdir()
        (folder / "r1.ifc").symlink_to(model.resolve())
        props = 0.05
        with stdout_to(log):
            try:
                rev = make_benchmark_revision(model, folder / "r2.ifc")
            except RevisionError:
                props = 0.0
                rev = make_benchmark_revision(model, folder / "r2.ifc", fraction_props=0.0)
        d = rev.detail
        made.append({"project": name, "model": str(model), "fraction_props": props,
                     "elements_with_geometry": d["elements_with_geometry"],
                     "moved": len(d["moved_requested"]), "edited": len(d["edited"])})
        note = "" if props else " (no element has a property to edit: moves only)"
        print(f"  {name}: r2 moves {len(d['moved_requested'])} of "
              f"{d['elements_with_geometry']} elements, edits {len(d['edited'])}{note}",
              flush=True)
    return made


def batch_cmd(batch_dir: Path, out: Path, cache: Path, options: list[str]) -> list[str]:
    return [sys.executable, "-m", "bimcheck.cli", "-q", "batch", str(batch_dir),
            "--out", str(out), "--db", str(out / "h.sqlite"), "--cache-dir", str(cache),
            *options]


def summary_line(log: Path) -> str | None:
    """The batch's own first summary line (``batch 1: 18 revision(s) ...``)."""
    for line in log.read_text(errors="replace").splitlines():
        if re.match(r"^batch \d+", line):
            return line.strip()
    return None


def normalised(batch_json: Path) -> str | None:
    """``batch.json``'s text with ``header.started`` replaced by a fixed string
    (``None`` when there is no such file)."""
    if not batch_json.is_file():
        return None
    text = batch_json.read_text(encoding="utf-8")
    started = json.loads(text)["header"]["started"]
    old = f'"started": {json.dumps(started)}'
    if old not in text:
        raise RuntimeError(f"{batch_json}: header.started not found as {old}")
    return text.replace(old, f'"started": {json.dumps(FIXED_STARTED)}', 1)


def first_differences(a: str, b: str, name_a: str, name_b: str, limit: int = 20) -> list[str]:
    lines = list(difflib.unified_diff(a.splitlines(), b.splitlines(), name_a, name_b,
                                      n=1, lineterm=""))
    return lines[:limit]


def run_one(batch_dir: Path, work: Path, tag: str, options: list[str], timeout: float,
            out: Path | None = None, cache: Path | None = None) -> dict:
    """One measured batch run; a new ``out`` and empty ``cache`` unless given."""
    out = out or work / "runs" / tag / "out"
    cache = cache or work / "runs" / tag / "cache"
    out.mkdir(parents=True, exist_ok=True)
    cache.mkdir(parents=True, exist_ok=True)
    log = out.parent / f"{out.name}.{'warm' if tag.endswith('warm') else 'cold'}.log"
    cmd = batch_cmd(batch_dir, out, cache, options)
    code, wall, peak = run_measured(cmd, REPO, log, timeout)
    run = {"tag": tag, "command": cmd, "exit": code, "seconds": wall, "peak_rss": peak,
           "out": str(out), "cache": str(cache), "log": str(log),
           "summary_line": summary_line(log), "failed": None, "failed_items": []}
    doc_path = out / "batch.json"
    if doc_path.is_file():
        doc = json.loads(doc_path.read_text(encoding="utf-8"))
        run["failed"] = doc["summary"]["failed"]
        run["failed_items"] = doc["failed"]
        run["new_revisions"] = doc["summary"]["new_revisions"]
        run["revisions"] = doc["summary"]["revisions"]
    return run


def projection(t_j1: float, t_j2: float, revisions: int) -> dict:
    per_revision = t_j1 / revisions
    efficiency = min(1.0, (t_j1 / t_j2) / 2)
    hours = {}
    for n in PROJECTION_WORKERS:
        e = 1.0 if n == 1 else efficiency
        hours[str(n)] = PROJECTION_REVISIONS * per_revision / (n * e) / 3600
    return {"revisions": PROJECTION_REVISIONS, "seconds_per_revision_j1": per_revision,
            "parallel_efficiency": efficiency, "hours_by_workers": hours}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=Path, default=DEFAULT_MODELS,
                        help="folder of the models (every *.ifc in it)")
    parser.add_argument("-n", "--rounds", type=int, default=2,
                        help="rounds of the three configurations (median)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="work folder to keep (default: a temporary one, removed)")
    parser.add_argument("--run-timeout", type=float, default=7200.0,
                        help="kill a batch run after this many seconds")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(argv)
    models = sorted(p for p in args.models.glob("*.ifc") if p.is_file())
    if not models:
        print(f"no *.ifc in {args.models}", file=sys.stderr)
        return 2
    if importlib.util.find_spec("distributed") is None:
        print("the Dask configuration needs dask.distributed: pip install "
              "'bimcheck[dask]'", file=sys.stderr)
        return 2
    os.environ.pop("BIMCHECK_NO_HISTORY", None)
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-batch-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return _bench(args, models, work)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def _bench(args: argparse.Namespace, models: list[Path], work: Path) -> int:
    print(f"# bench_batch: {len(models)} models of {args.models}, bimcheck {repo_revision()}, "
          f"{len(os.sched_getaffinity(0))} cores, {load_average()}", flush=True)
    batch_dir = work / "batch"
    print(f"making the batch folder {batch_dir}:", flush=True)
    made = build_batch(models, batch_dir, work / "revisions.log")
    revisions = 2 * len(made)
    result: dict = {"models": [str(m) for m in models], "projects": made,
                    "revisions": revisions, "rounds": args.rounds, "target": TARGET,
                    "commit": repo_revision(), "load_before": load_average(),
                    "configs": {k: " ".join(v) for k, v in CONFIGS.items()}, "runs": []}
    names = list(CONFIGS)
    runs: dict[str, list[dict]] = {k: [] for k in names}
    ok = True
    for r in range(args.rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            run = run_one(batch_dir, work, f"{name}-{r + 1}", CONFIGS[name], args.run_timeout)
            runs[name].append(run)
            result["runs"].append({"config": name, "round": r + 1, **run})
            failed = "?" if run["failed"] is None else run["failed"]
            print(f"  round {r + 1} {LABELS[name]:<34} {run['seconds']:8.1f} s  exit "
                  f"{run['exit']}  failed {failed}  peak {run['peak_rss'] / 2**20:6.0f} MiB  "
                  f"{load_average()}", flush=True)
            if run["exit"] != 0:
                ok = False
                tail = Path(run["log"]).read_text(errors="replace")[-3000:]
                print(f"  exit {run['exit']} (expected 0: there is no gate); end of "
                      f"{run['log']}:\n{tail}", flush=True)
    medians = {k: statistics.median(x["seconds"] for x in v) for k, v in runs.items()}
    result["median_s"] = medians
    result["revisions_per_hour"] = {k: revisions / v * 3600 for k, v in medians.items()}
    print(f"batch of {len(made)} projects, {revisions} revisions; medians of {args.rounds} "
          "cold run(s):")
    for k in names:
        print(f"  {LABELS[k]:<34} {medians[k]:8.1f} s  "
              f"{result['revisions_per_hour'][k]:7.1f} revisions/hour  (last run: "
              f"{runs[k][-1]['summary_line']})")
    for k in names:
        print(f"  failed revisions {LABELS[k]}: "
              f"{', '.join('?' if x['failed'] is None else str(x['failed']) for x in runs[k])}")
        for f in runs[k][-1]["failed_items"]:
            print(f"    {f['project']}/{f['revision']}: {f['failure']}: {f['error']}")

    # batch.json: one text per run, the first run of j1 the reference.
    texts = [(f"{k}-{i + 1}", normalised(Path(x["out"]) / "batch.json"))
             for k in names for i, x in enumerate(runs[k])]
    ref_name, ref = texts[0]
    identical = ref is not None and all(t == ref for _, t in texts)
    differences: list[str] = []
    missing = [n for n, t in texts if t is None]
    if missing:
        differences.append(f"no batch.json in run(s) {', '.join(missing)}")
    elif not identical:
        other_name, other = next((n, t) for n, t in texts if t != ref)
        differences = first_differences(ref, other, ref_name, other_name)
    result["batch_json_identical"] = identical
    result["batch_json_differences"] = differences
    print(f"batch.json identical: {'yes' if identical else 'no'} ({len(texts)} runs, "
          f"header.started set to {FIXED_STARTED!r})")
    for line in differences:
        print(f"  {line}")

    ratio = medians["dask"] / medians["j2"]
    speedup = medians["j1"] / medians["j2"]
    status = "PASS" if ratio <= TARGET else "MISS"
    result["dask_overhead"] = ratio
    result["speedup_j2_vs_j1"] = speedup
    result["status"] = status
    print(f"Dask overhead: median(dask) / median(-j 2) = {medians['dask']:.1f} / "
          f"{medians['j2']:.1f} = {ratio:.3f} (target <= {TARGET:.2f}) {status}")
    print(f"speed-up -j 2 vs -j 1: {medians['j1']:.1f} / {medians['j2']:.1f} = {speedup:.2f}x")

    last = runs["j2"][-1]
    warm = run_one(batch_dir, work, "j2-warm", CONFIGS["j2"], args.run_timeout,
                   out=Path(last["out"]), cache=Path(last["cache"]))
    no_work = bool(warm["summary_line"]) and "no work done" in warm["summary_line"]
    warm["no_work_done"] = no_work
    result["warm"] = warm
    print(f"warm re-run of -j 2 on {last['out']}: {warm['seconds']:.1f} s, exit "
          f"{warm['exit']}, no work done: {'yes' if no_work else 'no'} "
          f"({warm['summary_line']})")
    if warm["exit"] != 0 or not no_work:
        ok = False
        if warm["exit"] != 0:
            tail = Path(warm["log"]).read_text(errors="replace")[-3000:]
            print(f"  end of {warm['log']}:\n{tail}")

    proj = projection(medians["j1"], medians["j2"], revisions)
    result["projection"] = proj
    print(f"projection, 100 projects x 50 revisions = {PROJECTION_REVISIONS} revisions, "
          f"on {proj['seconds_per_revision_j1']:.1f} s per revision at -j 1 "
          f"({medians['j1']:.1f} s / {revisions}) and a parallel efficiency of "
          f"{proj['parallel_efficiency']:.2f} ((t_j1 / t_j2) / 2, at most 1; 1 on 1 worker):")
    for n, h in proj["hours_by_workers"].items():
        print(f"  {n:>4} worker(s): {h:8.2f} h ({h * 60:8.1f} min)")
    result["load_after"] = load_average()
    print(result["load_after"])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n",
                             encoding="utf-8")
        print(f"wrote {args.json}")
    return 0 if status == "PASS" and ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
