"""bimcheck qto against ifc5d 0.9.0: wall time on the largest shared model.

Run on demand (not part of the test suite; about 4 minutes on 2 idle cores
with the default 3 repeats, 5 with ``--also-common``)::

    .venv/bin/python benchmarks/bench_qto.py [--model FILE] [--repeat N] [--also-common]
                                             [--keep DIR] [--json-out FILE]
                                             [--timeout SECONDS]

The model is ``../shared/ifc/revit2012_janesville_restaurant.ifc`` (27 MB,
the largest of the shared models) unless ``--model`` names another. ifc5d is
installed first if missing (:func:`peer_ifc5d.ensure_ifc5d`).

What is compared
    bimcheck's shipped pack ``rules/qto/ifc-base.yaml`` against ifc5d's
    ``IFC4QtoBaseQuantities`` rule set, on the *same elements*: those the
    pack's rules select (the union of every rule's ``a`` selector, elements
    with a GlobalId, as ``run_takeoff`` selects them), listed once by a
    separate child process before the timed runs and handed to ifc5d as
    ``--elements``. Each tool computes what its rules define on those
    elements: ifc5d has no formula for doors, railings, curtain walls or
    building element proxies, so it skips them (and does not tessellate
    them), while bimcheck measures them. The element count by class and both
    tools' value counts are printed.

    ``--also-common`` adds a second measurement, for information (no target):
    the pack cut down (in a temporary copy) to the rules whose quantity set
    ifc5d has at least one formula for, on the elements that cut pack selects,
    so that both tools work on the same classes.

How both tools are run and measured
    Each run is a child process of this script, the same interpreter
    (``sys.executable``):

    * ifc5d: ``python benchmarks/peer_ifc5d.py MODEL -o ifc5d.json --elements
      IDS.json`` (``ifc5d.qto.quantify``, values converted to SI and written
      as JSON; see ``peer_ifc5d.py``);
    * bimcheck cold: ``python -m bimcheck.cli -q qto MODEL -o out.json
      --cache-dir DIR`` (``--rules PACK`` for the cut-down pack) with ``DIR`` a
      new, empty folder;
    * bimcheck warm: the same command again on that same ``DIR`` (the file's
      bytes and the pack are unchanged, so the takeoff is served from the
      result cache without parsing the model).

    Wall time runs from the spawn to the reap (``os.wait4``), so it includes
    interpreter start-up, imports, opening the model, the takeoff and writing
    the JSON, for both tools. bimcheck's modules are byte-compiled first
    (``compileall``), as pip did for ifc5d at install. Every measurement runs
    ``--repeat`` times (default 3), alternating the order of the tools from
    one repeat to the next (ifc5d, cold, warm; then cold, warm, ifc5d; ...) so
    that a slow spell of the machine (this 2-core VM varies by ±20 % from
    minute to minute) hits both; every run is printed and the *medians* are
    compared. Peak RSS (the child's ``ru_maxrss`` from ``os.wait4``; this
    script opens no model, so its own RSS does not inflate it) is printed for
    information; bimcheck tessellates in worker processes, which wait4 does
    not add up, so it is not a target.

    * bimcheck on a revision: ``revision_model.py`` writes the model again
      (the base) and a revision with 5 % of its elements moved 0.1 m; each
      round measures the base into a new cache (not timed), then the revision
      on that cache (timed): its unchanged elements' meshes and quantity rows
      are reused, the rest tessellated and measured. ifc5d measures the
      revision. The revision's rows are checked against a takeoff from an
      empty cache.

Targets (bimcheck / ifc5d wall time, medians)
    cold <= 0.5, warm <= 0.1, revision <= 0.2. The exit status is 1 when any
    is missed.

The machine's load average is printed at the start and the end: other work
on the machine slows both tools, not necessarily equally.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import shutil
import statistics
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from bench_util import load_average, repo_revision
from peer_ifc5d import DEFAULT_SHARED_IFC, RULE_SET, ensure_ifc5d, log_tail, run_child, run_ifc5d
from revision_model import make_revision

DEFAULT_MODEL = "revit2012_janesville_restaurant.ifc"

#: The shipped pack, read (as YAML) only to cut it down for ``--also-common``.
DEFAULT_PACK = Path(__file__).resolve().parents[1] / "rules" / "qto" / "ifc-base.yaml"

#: Targets, bimcheck / ifc5d median wall time (at most).
TARGET_COLD = 0.5
TARGET_WARM = 0.1
TARGET_REVISION = 0.2

#: Share of the elements a revision changes (``revision_model.make_revision``).
REVISION_SHARE = 0.05

#: Lists the elements a pack selects: argv[1] model, argv[2] output JSON (GlobalId ->
#: IFC class), argv[3] the pack (optional). Same selection as ``run_takeoff``.
_SELECT = """\
import json, sys
from bimcheck.model import open_model
from bimcheck.qto.rules import default_qto_pack_path, load_qto_pack
model = open_model(sys.argv[1])
pack = sys.argv[3] if len(sys.argv) > 3 else default_qto_pack_path()
chosen = {}
for rule in load_qto_pack(pack).rules:
    for e in model.select(rule.a):
        if getattr(e, "GlobalId", None):
            chosen[e.GlobalId] = e.is_a()
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump(dict(sorted(chosen.items())), f)
"""


def _say(text: str = "") -> None:
    print(text, flush=True)


def _log(message: str) -> None:
    sys.stderr.write(f"[bench_qto] {message}\n")
    sys.stderr.flush()


@dataclass
class Run:
    """One measured child: which tool, its wall time, peak RSS and value count."""

    tool: str
    index: int
    wall_s: float
    peak_mib: float
    values: int
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"tool": self.tool, "repeat": self.index, "wall_s": round(self.wall_s, 3),
                "peak_rss_mib_wait4": round(self.peak_mib, 1), "values": self.values,
                "detail": self.detail}


@dataclass
class Measurement:
    """Every run of one measurement, and its medians and ratios."""

    name: str
    elements: dict[str, str]
    runs: list[Run] = field(default_factory=list)
    rows_identical: bool = True

    def median(self, tool: str) -> float:
        return float(statistics.median(r.wall_s for r in self.runs if r.tool == tool))

    def values(self, tool: str) -> int:
        return next(r.values for r in self.runs if r.tool == tool)

    @property
    def ratios(self) -> tuple[float, float]:
        peer = self.median("ifc5d")
        return self.median("bimcheck cold") / peer, self.median("bimcheck warm") / peer

    def as_dict(self, targets: bool) -> dict[str, Any]:
        cold, warm = self.ratios
        out: dict[str, Any] = {
            "elements": len(self.elements),
            "elements_by_class": dict(sorted(Counter(self.elements.values()).items())),
            "runs": [r.as_dict() for r in self.runs],
            "medians_s": {t.replace(" ", "_"): round(self.median(t), 3)
                          for t in ("ifc5d", "bimcheck cold", "bimcheck warm")},
            "ratios": {"cold": round(cold, 3), "warm": round(warm, 3)},
            "values": {"ifc5d": self.values("ifc5d"), "bimcheck": self.values("bimcheck cold")},
            "rows_identical": self.rows_identical,
        }
        if targets:
            out["targets"] = {"cold": TARGET_COLD, "warm": TARGET_WARM}
            out["status"] = {"cold": _status(cold, TARGET_COLD),
                             "warm": _status(warm, TARGET_WARM)}
        return out


def select_elements(model: Path, out: Path, timeout: float,
                    pack: Path | None = None) -> dict[str, str]:
    """GlobalId -> class of the elements a pack selects (a child process); also
    writes ``out`` as the JSON list of GlobalIds ifc5d's ``--elements`` reads."""
    log = out.with_suffix(".log")
    cmd = [sys.executable, "-c", _SELECT, str(model), str(out)]
    if pack is not None:
        cmd.append(str(pack))
    child = run_child(cmd, log, timeout)
    if child.returncode != 0 or not out.exists():
        raise RuntimeError(f"selecting elements failed ({child.returncode}):\n{log_tail(log)}")
    chosen: dict[str, str] = json.loads(out.read_text(encoding="utf-8"))
    out.write_text(json.dumps(sorted(chosen)), encoding="utf-8")
    return chosen


def common_pack(out: Path, pack: Path = DEFAULT_PACK, rule_set: str = RULE_SET) -> list[str]:
    """Write ``pack`` cut down to the rules whose item (quantity set) ifc5d's
    ``rule_set`` has at least one formula for; return the rule ids left out.
    Reads ifc5d's rule set as a JSON file (no import: this process stays small)."""
    spec = importlib.util.find_spec("ifc5d")
    if spec is None or spec.origin is None:
        raise RuntimeError("ifc5d is not installed")
    rules = json.loads((Path(spec.origin).parent / f"{rule_set}.json").read_text("utf-8"))
    with_formulas = {
        qto
        for queries in rules["calculators"].values()
        for qtos in queries.values()
        for qto, quantities in qtos.items()
        if any(quantities.values())
    }
    doc = yaml.safe_load(pack.read_text(encoding="utf-8"))
    kept = [r for r in doc["rules"] if r.get("item") in with_formulas]
    dropped = [r["id"] for r in doc["rules"] if r.get("item") not in with_formulas]
    doc["rules"] = kept
    doc["pack"] = f"{doc['pack']}-common"
    out.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return dropped


def run_ifc5d_once(model: Path, work: Path, ids: Path, i: int, timeout: float) -> Run:
    run = run_ifc5d(model, work, elements_file=ids, label=f"ifc5d{i}", timeout=timeout)
    s = run.doc["seconds"]
    detail = (f"inside: import {s['import']:.1f} s, open {s['open']:.1f} s, quantify "
              f"{s['quantify']:.1f} s; {run.doc['quantified']} of {run.doc['elements']} "
              f"elements quantified")
    return Run("ifc5d", i, run.wall_s, run.peak_mib, len(run.doc["rows"]), detail)


def run_bimcheck_once(
    model: Path, work: Path, cache: Path, label: str, i: int, timeout: float,
    pack: Path | None = None,
) -> tuple[Run, dict[str, Any]]:
    out = work / f"{label}.json"
    out.unlink(missing_ok=True)
    log = work / f"{label}.log"
    cmd = [sys.executable, "-m", "bimcheck.cli", "-q", "qto", str(model), "-o", str(out),
           "--cache-dir", str(cache)]
    if pack is not None:
        cmd += ["--rules", str(pack)]
    child = run_child(cmd, log, timeout)
    if child.returncode != 0 or not out.exists():
        raise RuntimeError(f"bimcheck {label} exited {child.returncode} after "
                           f"{child.wall_s:.1f} s:\n{log_tail(log)}")
    doc = json.loads(out.read_text(encoding="utf-8"))
    tool = ("bimcheck cold" if label.startswith("cold") else
            "bimcheck revision" if label.startswith("revision") else "bimcheck warm")
    detail = (f"{len(doc.get('failed', []))} failed, {len(doc.get('skipped', []))} skipped; "
              f"cache {_size_mib(cache):.0f} MiB")
    return Run(tool, i, child.wall_s, child.peak_rss_bytes / 2**20, len(doc["rows"]),
               detail), doc


def _size_mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def _status(ratio: float, target: float) -> str:
    return "PASS" if ratio <= target else "MISS"


def _report(run: Run) -> None:
    _say(f"  run {run.index + 1} {run.tool:<14} {run.wall_s:8.2f} s  peak {run.peak_mib:7.1f} "
         f"MiB  {run.values} values  ({run.detail})")


def measure(
    name: str, model: Path, work: Path, repeat: int, timeout: float, pack: Path | None = None
) -> Measurement:
    """One measurement: select the elements, then ``repeat`` alternating rounds of
    ifc5d and bimcheck cold + warm, each run printed as it ends."""
    work.mkdir(parents=True, exist_ok=True)
    ids = work / "elements.json"
    chosen = select_elements(model, ids, timeout, pack)
    by_class = Counter(chosen.values())
    _say(f"elements: {len(chosen)} selected by the pack's rules (the same list goes to "
         "ifc5d): " + ", ".join(f"{c} {n}" for c, n in sorted(by_class.items())))
    m = Measurement(name, chosen)
    docs: list[dict[str, Any]] = []

    def ifc5d(i: int) -> None:
        m.runs.append(run_ifc5d_once(model, work, ids, i, timeout))
        _report(m.runs[-1])

    def bimcheck(i: int) -> None:
        cache = work / f"cache{i}"
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)
        for label in (f"cold{i}", f"warm{i}"):
            run, doc = run_bimcheck_once(model, work, cache, label, i, timeout, pack)
            m.runs.append(run)
            docs.append(doc)
            _report(run)

    for i in range(repeat):
        order: list[Callable[[int], None]] = [ifc5d, bimcheck] if i % 2 == 0 else [
            bimcheck, ifc5d]
        for step in order:
            step(i)
    m.rows_identical = all(d["rows"] == docs[0]["rows"] for d in docs)
    return m


def measure_revision(model: Path, work: Path, repeat: int, timeout: float) -> Measurement:
    """A revision of ``model`` with :data:`REVISION_SHARE` of its elements
    moved: each round, bimcheck measures the base into a new cache (not
    timed), then the revision on that cache (timed: only what changed is
    tessellated and measured); ifc5d measures the revision. Both files are
    written by IfcOpenShell (``revision_model.py``), so they differ only by
    the change."""
    work.mkdir(parents=True, exist_ok=True)
    base, revision = work / "base.ifc", work / "revision.ifc"
    moved = make_revision(model, base, revision, REVISION_SHARE)
    ids = work / "elements.json"
    chosen = select_elements(revision, ids, timeout)
    _say(f"revision: {len(moved)} element(s) with a body moved 0.1 m ({REVISION_SHARE:.0%}); "
         f"{len(set(moved) & set(chosen))} of them among the {len(chosen)} the pack selects")
    m = Measurement("revision", chosen)
    docs: list[dict[str, Any]] = []

    def ifc5d(i: int) -> None:
        m.runs.append(run_ifc5d_once(revision, work, ids, i, timeout))
        _report(m.runs[-1])

    def bimcheck(i: int) -> None:
        cache = work / f"cache{i}"
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)
        run_bimcheck_once(base, work, cache, f"base{i}", i, timeout)  # warms the cache
        run, doc = run_bimcheck_once(revision, work, cache, f"revision{i}", i, timeout)
        m.runs.append(run)
        docs.append(doc)
        _report(run)

    for i in range(repeat):
        for step in ([ifc5d, bimcheck] if i % 2 == 0 else [bimcheck, ifc5d]):
            step(i)
    fresh_cache = work / "fresh"
    shutil.rmtree(fresh_cache, ignore_errors=True)
    fresh_cache.mkdir()
    _, fresh = run_bimcheck_once(revision, work, fresh_cache, "cold-fresh", 0, timeout)
    m.rows_identical = all(d["rows"] == fresh["rows"] for d in docs)
    return m


def _summarise_revision(m: Measurement) -> float:
    ratio = m.median("bimcheck revision") / m.median("ifc5d")
    _say(f"medians of {sum(r.tool == 'ifc5d' for r in m.runs)} run(s): ifc5d "
         f"{m.median('ifc5d'):.2f} s, bimcheck on the revision "
         f"{m.median('bimcheck revision'):.2f} s")
    _say(f"  revision: bimcheck/ifc5d {ratio:.3f}  target <= {TARGET_REVISION}  "
         f"{_status(ratio, TARGET_REVISION)}")
    _say(f"bimcheck rows on the revision identical to a takeoff from an empty cache: "
         f"{m.rows_identical}")
    return ratio


def _summarise(m: Measurement, targets: bool) -> None:
    cold, warm = m.ratios
    _say(f"medians of {sum(r.tool == 'ifc5d' for r in m.runs)} run(s): ifc5d "
         f"{m.median('ifc5d'):.2f} s, bimcheck cold {m.median('bimcheck cold'):.2f} s, "
         f"bimcheck warm {m.median('bimcheck warm'):.2f} s")
    for label, ratio, target in (("cold", cold, TARGET_COLD), ("warm", warm, TARGET_WARM)):
        verdict = f"target <= {target}  {_status(ratio, target)}" if targets else "(no target)"
        _say(f"  {label}: bimcheck/ifc5d {ratio:.3f}  {verdict}")
    _say(f"values: ifc5d {m.values('ifc5d')}, bimcheck {m.values('bimcheck cold')} (on "
         f"{len(m.elements)} elements); bimcheck rows identical in every cold and warm run: "
         f"{m.rows_identical}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_SHARED_IFC / DEFAULT_MODEL,
                        help=f"IFC model (default ../shared/ifc/{DEFAULT_MODEL})")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each measurement, alternating the tools; medians are "
                             "compared (default 3)")
    parser.add_argument("--also-common", action="store_true",
                        help="also measure the pack cut down to the quantity sets ifc5d has "
                             "formulas for (information, no target)")
    parser.add_argument("--keep", type=Path, help="keep outputs, logs and caches here")
    parser.add_argument("--json-out", type=Path, help="write every run and ratio here")
    parser.add_argument("--timeout", type=float, default=3600.0, help="per child, seconds")
    args = parser.parse_args(argv)
    model = args.model.resolve()
    if not model.is_file():
        parser.error(f"no such model: {model}")
    repeat = max(1, args.repeat)

    version = ensure_ifc5d()
    # ifc5d was byte-compiled by pip at install; give bimcheck (an editable
    # install, and PYTHONDONTWRITEBYTECODE may be set) the same footing.
    compileall.compile_dir(str(Path(__file__).resolve().parents[1] / "bimcheck"), quiet=1)
    revision = repo_revision()
    _say(f"bimcheck {revision} (rules/qto/ifc-base.yaml) vs ifc5d {version} ({RULE_SET}); "
         f"python {sys.version.split()[0]}; {os.cpu_count()} cores; {load_average()} at start")
    _say(f"model {model.name} ({model.stat().st_size / 1e6:.1f} MB); both tools run as child "
         "processes of this script, wall time from spawn to reap")

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench_qto_") as tmp:
        work = args.keep.resolve() if args.keep else Path(tmp)
        _say("\n[1] the shipped pack (ifc-base) on the elements it selects")
        main_m = measure("ifc-base", model, work / "ifc-base", repeat, args.timeout)
        _summarise(main_m, targets=True)
        results["ifc-base"] = main_m.as_dict(targets=True)
        _say(f"\n[2] a revision with {REVISION_SHARE:.0%} of the elements changed, the cache "
             "warm from the base")
        rev_m = measure_revision(model, work / "revision", repeat, args.timeout)
        revision_ratio = _summarise_revision(rev_m)
        results["revision"] = {
            "share": REVISION_SHARE, "elements": len(rev_m.elements),
            "runs": [r.as_dict() for r in rev_m.runs],
            "ratio": round(revision_ratio, 3), "target": TARGET_REVISION,
            "status": _status(revision_ratio, TARGET_REVISION),
            "rows_identical": rev_m.rows_identical,
        }
        if args.also_common:
            (work / "common").mkdir(parents=True, exist_ok=True)
            pack = work / "common" / "ifc-base-common.yaml"
            dropped = common_pack(pack)
            _say(f"\n[3] the pack without the rules ifc5d has no formula for ({', '.join(dropped)})"
                 ", on the elements it selects; for information")
            common_m = measure("common", model, work / "common", repeat, args.timeout, pack)
            _summarise(common_m, targets=False)
            results["common"] = {"dropped_rules": dropped, **common_m.as_dict(targets=False)}
    _say(f"\n{load_average()} at the end")
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps({
            "bimcheck": revision, "ifc5d": version, "rule_set": RULE_SET, "model": model.name,
            "python": sys.version.split()[0], "cpus": os.cpu_count(), "repeat": repeat,
            "measurements": results,
        }, indent=1), encoding="utf-8")
        _log(f"JSON written to {args.json_out}")
    cold, warm = main_m.ratios
    passed = cold <= TARGET_COLD and warm <= TARGET_WARM and revision_ratio <= TARGET_REVISION
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
