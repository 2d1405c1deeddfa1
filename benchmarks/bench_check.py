"""``bimcheck check`` (rules/default) against its peers run separately on the same work.

Run on demand (not part of the test suite; about 24 minutes on 2 busy cores
for the 7 smaller shared models with the default 3 repeats)::

    .venv/bin/python benchmarks/bench_check.py [--only NAME ...] [--skip-slow] [--repeat N]
                                               [--timeout SECONDS] [--keep DIR]
                                               [--json-out FILE] [--write-doc]

The models are every ``*.ifc`` of ``../shared/ifc`` (``--shared``), each checked
on its own. ``--only`` (repeatable) picks models by file name; ``--skip-slow``
leaves out the two models SOURCES.md and tests/shared call slow
(``revit2012_janesville_restaurant.ifc``, minutes of tessellation for every
tool, and ``ACCA_RFI_Signalling.ifc``, about 12 minutes per tessellation).
ifcclash and ifc5d are installed from PyPI first if missing
(:func:`peer_ifcclash.ensure_ifcclash`, :func:`peer_ifc5d.ensure_ifc5d`);
ifctester is a dependency of the virtualenv.

What runs, per model (each a child process of this script)
    * ``check``: ``python -m bimcheck.cli -q check MODEL --out DIR --overwrite
      --timings --cache-dir NEW`` (the shipped rules/default: the default
      clash pack, six health rules, PR001-PR005, QT001 reconciling the
      declared base quantities with the rules/qto/ifc-base.yaml takeoff,
      QT002), writing report.json, .html, .junit.xml and findings.bcf;
    * ``served``: the same ``check`` again at once, on the cache the run
      before it filled: an unchanged upload checked again, as a CI gate does
      on every push. The check is served from the result cache (no parse, no
      tessellation, no pair test); what remains is reading the cached report,
      the run history and writing the report files. Its findings are checked
      to be the cold run's but for their history status (the second run of the
      project: ``active`` where the first said ``open``), its BCF and JUnit
      files to be the same bytes. For information (no target): served / cold;
    * ``clash``: ``python -m bimcheck.cli -q clash MODEL -o out.json
      --overwrite --timings --cache-dir NEW`` (the default clash pack alone);
    * ``ifcclash``: ``python -m ifcclash clashsets.json -o clashes.json`` on the
      pack's hard and clearance rules translated by
      :func:`bench_clash.pack_clash_sets` (duplicate rules and ``ignore``
      relations have no ifcclash equivalent; a set whose side matches nothing
      is left out, and with no set left ifcclash is not run and counts 0 s);
    * ``ifctester``: ``python -m ifctester rules.ids MODEL -r Json -o out.json``
      on an IDS written here (:func:`write_ids`) with PR001-PR005 as
      specifications;
    * ``ifc5d``: ``python benchmarks/peer_ifc5d.py MODEL -o out.json --elements
      IDS.json`` (``ifc5d.qto.quantify`` with IFC4QtoBaseQuantities) on the
      elements rules/qto/ifc-base.yaml selects (listed once beforehand by
      :func:`bench_qto.select_elements`, as bench_qto.py does).

    Every bimcheck run gets a new, empty ``--cache-dir`` (cold mesh cache).
    Every command runs ``--repeat`` times (default 3), in the order above on
    even repeats and reversed on odd ones, so that a slow spell of the machine
    hits all of them; the *medians* are compared. Times are wall seconds from
    spawn to reap (:func:`bench_clash.run_measured`: a bare launcher spawns the
    command and reaps it with ``os.wait4``), so they include interpreter
    start-up, imports, opening the model and writing the outputs, for every
    tool. bimcheck's modules are byte-compiled first, as pip did for the
    peers at install.

The IDS (closest IDS 1.0 equivalent of the property rules)
    IDS entity facets match one class exactly, while bimcheck's selectors
    match subclasses too; so each applicability lists, as an enumeration, the
    non-abstract classes of the model's schema that are the selector's
    classes or their subclasses (a class the schema lacks is dropped, as
    bimcheck's selector drops it; a specification with no class left is left
    out). PR001/PR002: ``Pset_WallCommon.FireRating`` / ``LoadBearing``
    required on IfcWall and subclasses; PR003: IfcDuctSegment/IfcPipeSegment
    ``partOf`` an IfcSystem (or subclass) with relation IFCRELASSIGNSTOGROUP;
    PR004: attribute ``Name`` required on IfcBuildingElement and
    IfcDistributionElement subclasses; PR005: a material required on IfcBeam,
    IfcColumn, IfcSlab, IfcFooting, IfcPile and subclasses. In IFC2X3
    ifctester also applies a specification to an occurrence whose *type*
    names the class (IfcPipeSegmentType on an IfcFlowSegment); bimcheck does
    not, and in IFC2X3 IfcDuctSegment/IfcPipeSegment do not exist, so PR003
    is left out there.

Targets (medians, cold cache)
    * check / (ifcclash + ifctester + ifc5d) <= 0.4;
    * check / clash <= 1.3.
    The exit status is 1 when a target is missed on a model (or in total).

The machine's load average is printed at the start and at the end: other
work on the machine slows every tool, not necessarily equally.
``--write-doc`` writes (or replaces) the section "## Speed
(benchmarks/bench_check.py)" of docs/check-speed.md; nothing else is written
into the repository.
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ifcopenshell
import ifcopenshell.ifcopenshell_wrapper as wrapper
from bench_clash import ElementIndex, Measured, pack_clash_sets, run_measured, run_peer
from bench_qto import select_elements
from bench_util import load_average, repo_revision
from ifctester import facet as ids_facet
from ifctester import ids as ids_mod
from peer_ifc5d import DEFAULT_SHARED_IFC, ensure_ifc5d, ifc5d_command, log_tail
from peer_ifcclash import ensure_ifcclash

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "check-speed.md"
SECTION = "## Speed (benchmarks/bench_check.py)"

#: Targets (at most).
TARGET_PEERS = 0.4
TARGET_CLASH = 1.3

#: The two models that take minutes (tests/shared/test_shared_models.py ``SLOW``).
SLOW = ("revit2012_janesville_restaurant.ifc", "ACCA_RFI_Signalling.ifc")

TOOLS = ("check", "clash", "ifcclash", "ifctester", "ifc5d")
#: Measured right after each ``check`` run, on its cache.
SERVED = "served"
PEERS = ("ifcclash", "ifctester", "ifc5d")

#: The property rules of rules/default/default.yaml as IDS specifications:
#: (rule id, applicability classes, requirement builder).
PropertyRule = tuple[str, tuple[str, ...], Callable[[], Any]]


def _group_names(schema: str) -> Any:
    return ids_facet.Restriction(
        options={"enumeration": [c.upper() for c in concrete_classes(schema, ("IfcSystem",))]})


PROPERTY_RULES: tuple[PropertyRule, ...] = (
    ("PR001", ("IfcWall",), lambda: ids_facet.Property(
        propertySet="Pset_WallCommon", baseName="FireRating", cardinality="required")),
    ("PR002", ("IfcWall",), lambda: ids_facet.Property(
        propertySet="Pset_WallCommon", baseName="LoadBearing", cardinality="required")),
    ("PR003", ("IfcDuctSegment", "IfcPipeSegment"), lambda: None),  # partOf, per schema
    ("PR004", ("IfcBuildingElement", "IfcDistributionElement"), lambda: ids_facet.Attribute(
        name="Name", cardinality="required")),
    ("PR005", ("IfcBeam", "IfcColumn", "IfcSlab", "IfcFooting", "IfcPile"),
     lambda: ids_facet.Material(cardinality="required")),
)


def _say(text: str = "") -> None:
    print(text, flush=True)


# --------------------------------------------------------------------------- the IDS


def concrete_classes(schema: str, classes: Sequence[str]) -> list[str]:
    """The non-abstract classes of ``schema`` that are one of ``classes`` or a
    subclass of one (sorted; a class the schema lacks contributes nothing)."""
    decls = wrapper.schema_by_name(schema)
    found: set[str] = set()

    def walk(decl: Any) -> None:
        if not decl.is_abstract():
            found.add(decl.name())
        for sub in decl.subtypes():
            walk(sub)

    for name in classes:
        try:
            decl = decls.declaration_by_name(name)
        except (RuntimeError, IndexError):
            continue
        walk(decl)
    return sorted(found)


def write_ids(path: Path, schema: str) -> list[str]:
    """Write PR001-PR005 as an IDS 1.0 file for a ``schema`` model; return notes
    on what was left out (see the module doc)."""
    doc = ids_mod.Ids(title="bimcheck rules/default PR001-PR005", author="bench@bimcheck.invalid",
                      description="The property rules of bimcheck's rules/default, "
                                  "written by benchmarks/bench_check.py")
    notes = []
    for rule_id, classes, requirement in PROPERTY_RULES:
        names = concrete_classes(schema, classes)
        if not names:
            notes.append(f"{rule_id} left out: {', '.join(classes)} not in {schema}")
            continue
        spec = ids_mod.Specification(name=rule_id, ifcVersion=[schema], identifier=rule_id)
        spec.applicability.append(ids_facet.Entity(
            name=ids_facet.Restriction(options={"enumeration": [n.upper() for n in names]})))
        if rule_id == "PR003":
            spec.requirements.append(ids_facet.PartOf(
                name=_group_names(schema), relation="IFCRELASSIGNSTOGROUP",
                cardinality="required"))
        else:
            spec.requirements.append(requirement())
        doc.specifications.append(spec)
    doc.to_xml(str(path))
    return notes


# --------------------------------------------------------------------------- measuring


@dataclass
class Run:
    """One child process of one tool: its measurement and what it found."""

    tool: str
    repeat: int
    wall_s: float | None
    found: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"tool": self.tool, "repeat": self.repeat,
                "wall_s": None if self.wall_s is None else round(self.wall_s, 3),
                "found": self.found, "timings": self.timings, "error": self.error}


@dataclass
class ModelResult:
    """Every run on one model, and the medians."""

    name: str
    notes: list[str] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    peer_skipped: set[str] = field(default_factory=set)

    def median(self, tool: str) -> float | None:
        if tool in self.peer_skipped:
            return 0.0
        walls = [r.wall_s for r in self.runs if r.tool == tool]
        if not walls or any(w is None for w in walls):
            return None
        return float(statistics.median(w for w in walls if w is not None))

    @property
    def peers(self) -> float | None:
        values = [self.median(t) for t in PEERS]
        return None if any(v is None for v in values) else sum(v for v in values if v)

    def ratio(self, which: str) -> float | None:
        check = self.median("check")
        if which == SERVED:
            served = self.median(SERVED)
            return None if served is None or not check else served / check
        other = self.peers if which == "peers" else self.median("clash")
        if check is None or not other:
            return None
        return check / other

    def median_timings(self, tool: str) -> dict[str, float]:
        """Per phase, the median over the runs of ``tool`` (seconds)."""
        runs = [r.timings for r in self.runs if r.tool == tool and r.timings]
        keys = sorted({k for t in runs for k in t})
        return {k: float(statistics.median(t.get(k, 0.0) for t in runs)) for k in keys}

    def timing_line(self, tool: str) -> str:
        """The largest phases of ``tool``'s ``--timings`` and the wall time outside them.

        ``check``'s ``tessellate_net``/``tessellate_gross`` are spent inside the
        pass that first needs the meshes (``kinds_clash_clearance+duplicate+hard``...;
        nested, not added);
        ``total`` is ``run_checks``; outside it are start-up, imports, opening
        the model, loading packs and writing the report files. ``clash`` has no
        ``total``: its phases (select, geometry, check) are added up.
        """
        phases = self.median_timings(tool)
        if not phases:
            return "-"
        total = phases.get("total", sum(phases.values()))
        top = sorted(((v, k) for k, v in phases.items() if k != "total"), reverse=True)[:7]
        wall = self.median(tool)
        outside = "" if wall is None else f"; outside them {wall - total:.2f} s"
        return (f"timed phases {total:.2f} s{outside}; "
                + ", ".join(f"{k} {v:.2f}" for v, k in top))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelResult:
        """Back from :meth:`as_dict` (``--from-json``)."""
        runs = [Run(r["tool"], r["repeat"], r["wall_s"], r["found"], r["timings"], r["error"])
                for r in d["runs"]]
        return cls(d["model"], list(d["notes"]), runs, set(d["peer_not_run"]))

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.name, "notes": self.notes, "peer_not_run": sorted(self.peer_skipped),
            "medians_s": {t: self.median(t) for t in (*TOOLS, SERVED)}, "peers_s": self.peers,
            "ratio_check_peers": self.ratio("peers"), "ratio_check_clash": self.ratio("clash"),
            "ratio_served_check": self.ratio(SERVED),
            "timings_check": self.median_timings("check"),
            "timings_clash": self.median_timings("clash"),
            "runs": [r.as_dict() for r in self.runs],
        }


def _measure(cmd: Sequence[str], cwd: Path, log: Path, timeout: float) -> Measured:
    cwd.mkdir(parents=True, exist_ok=True)
    m = run_measured(cmd, cwd, log, timeout)
    if m.returncode not in (0, 1):  # bimcheck exits 1 only for a gate, never here
        raise RuntimeError(f"exit {m.returncode} after {m.wall_s:.1f} s:\n{log_tail(log)}")
    return m


def _phases(timings: dict[str, Any]) -> dict[str, float]:
    """bimcheck's ``timings`` in seconds: without the mesh and pair counts and
    whether the result came from the cache; clash's ``total_s`` as ``total``."""
    return {("total" if k == "total_s" else k): float(v) for k, v in timings.items()
            if not k.startswith(("meshes_", "pairs_", "elements_")) and k != "result_from_cache"}


@dataclass
class Bench:
    shared: Path
    root: Path
    timeout: float
    repeat: int

    def run_check(self, model: Path, work: Path, i: int) -> Run:
        out = work / f"check{i}"
        cmd = [sys.executable, "-m", "bimcheck.cli", "-q", "check", str(model), "--out",
               str(out), "--overwrite", "--timings", "--cache-dir", str(work / f"cache-check{i}")]
        m = _measure(cmd, work, work / f"check{i}.log", self.timeout)
        doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
        fams = Counter(f["family"] for f in doc["findings"])
        geo = doc["coverage"]["geometry"][0]
        found = (f"{len(doc['findings'])} findings ("
                 + ", ".join(f"{k} {v}" for k, v in sorted(fams.items()))
                 + f"), {len(doc.get('quantities', []))} quantity rows, {geo['meshed']} meshed")
        return Run("check", i, m.wall_s, found, _phases(doc.get("timings", {})))

    def run_served(self, model: Path, work: Path, i: int) -> Run:
        """``check`` again on run ``i``'s cache: the same findings but for
        their history status, the same BCF and JUnit bytes."""
        cold, out = work / f"check{i}", work / f"served{i}"
        cmd = [sys.executable, "-m", "bimcheck.cli", "-q", "check", str(model), "--out",
               str(out), "--overwrite", "--timings", "--cache-dir", str(work / f"cache-check{i}")]
        m = _measure(cmd, work, work / f"served{i}.log", self.timeout)
        docs = [json.loads((d / "report.json").read_text(encoding="utf-8")) for d in (cold, out)]
        findings = [[{k: v for k, v in f.items() if k != "status"} for f in d["findings"]]
                    for d in docs]
        same = findings[0] == findings[1] and all(
            (cold / name).read_bytes() == (out / name).read_bytes()
            for name in ("report.junit.xml", "findings.bcf"))
        if not same:
            raise RuntimeError("the served report differs from the cold run's")
        timings = docs[1].get("timings", {})
        how = "served from the cache" if timings.get("result_from_cache") else "NOT served"
        return Run(SERVED, i, m.wall_s, f"{how}; the same findings, BCF and JUnit",
                   _phases(timings))

    def run_clash(self, model: Path, work: Path, i: int) -> Run:
        out = work / f"clash{i}.json"
        cmd = [sys.executable, "-m", "bimcheck.cli", "-q", "clash", str(model), "-o", str(out),
               "--overwrite", "--timings", "--cache-dir", str(work / f"cache-clash{i}")]
        m = _measure(cmd, work, work / f"clash{i}.log", self.timeout)
        doc = json.loads(out.read_text(encoding="utf-8"))
        return Run("clash", i, m.wall_s, f"{len(doc['clashes'])} clashes",
                   _phases(doc.get("timings", {})))

    def run_ifcclash(self, sets: list[dict[str, Any]], work: Path, i: int) -> Run:
        peer, m = run_peer(sets, work / f"ifcclash{i}", self.timeout)
        per_set = ", ".join(f"{k} {len(v)}" for k, v in peer.pairs.items())
        return Run("ifcclash", i, m.wall_s, f"{peer.count} clashes ({per_set})")

    def run_ifctester(self, ids_path: Path, model: Path, work: Path, i: int) -> Run:
        out = work / f"ifctester{i}.json"
        out.unlink(missing_ok=True)
        cmd = [sys.executable, "-m", "ifctester", str(ids_path), str(model), "-r", "Json",
               "-o", str(out)]
        m = _measure(cmd, work, work / f"ifctester{i}.log", self.timeout)
        if m.returncode != 0 or not out.exists():
            raise RuntimeError(f"ifctester exit {m.returncode}:\n"
                               f"{log_tail(work / f'ifctester{i}.log')}")
        doc = json.loads(out.read_text(encoding="utf-8"))
        specs = ", ".join(
            f"{s['name']} {s.get('total_checks_fail', '?')}/{s.get('total_checks', '?')}"
            for s in doc.get("specifications", []))
        return Run("ifctester", i, m.wall_s, f"failed/checked: {specs}")

    def run_ifc5d(self, model: Path, elements: Path, work: Path, i: int) -> Run:
        out = work / f"ifc5d{i}.json"
        out.unlink(missing_ok=True)
        m = _measure(ifc5d_command(model, out, elements), work, work / f"ifc5d{i}.log",
                     self.timeout)
        if m.returncode != 0 or not out.exists():
            raise RuntimeError(f"ifc5d exit {m.returncode}:\n{log_tail(work / f'ifc5d{i}.log')}")
        doc = json.loads(out.read_text(encoding="utf-8"))
        return Run("ifc5d", i, m.wall_s,
                   f"{len(doc['rows'])} values for {doc['quantified']} of {doc['elements']} "
                   "elements")

    def measure_model(self, name: str, index: ElementIndex) -> ModelResult:
        model = self.shared / name
        work = self.root / Path(name).stem
        work.mkdir(parents=True, exist_ok=True)
        result = ModelResult(name)
        schema = index.file(model).schema_identifier
        sets, notes = pack_clash_sets([model], index)
        result.notes += [f"ifcclash: {n}" for n in notes]
        if not sets:
            result.peer_skipped.add("ifcclash")
            result.notes.append("ifcclash: no clash set left, not run (0 s)")
        ids_path = work / "rules.ids"
        result.notes += [f"ifctester: {n}" for n in write_ids(ids_path, schema)]
        elements = work / "elements.json"
        chosen = select_elements(model, elements, self.timeout)
        result.notes.append(f"ifc5d: {len(chosen)} elements selected by rules/qto/ifc-base.yaml")
        _say(f"\n== {name} ({schema}, {model.stat().st_size / 1e6:.1f} MB); {load_average()}")
        for n in result.notes:
            _say(f"  note: {n}")
        steps: dict[str, Callable[[int], Run]] = {
            "check": lambda i: self.run_check(model, work, i),
            "clash": lambda i: self.run_clash(model, work, i),
            "ifcclash": lambda i: self.run_ifcclash(sets, work, i),
            "ifctester": lambda i: self.run_ifctester(ids_path, model, work, i),
            "ifc5d": lambda i: self.run_ifc5d(model, elements, work, i),
        }
        for i in range(self.repeat):
            order = TOOLS if i % 2 == 0 else tuple(reversed(TOOLS))
            for tool in order:
                if tool in result.peer_skipped:
                    continue
                for name in (tool, SERVED) if tool == "check" else (tool,):
                    if name == SERVED and result.runs[-1].wall_s is None:
                        run = Run(name, i, None, error="not run: the cold check failed")
                    else:
                        try:
                            run = (self.run_served(model, work, i) if name == SERVED
                                   else steps[name](i))
                        except (RuntimeError, OSError, ValueError) as exc:
                            run = Run(name, i, None, error=str(exc))
                    result.runs.append(run)
                    wall = "failed" if run.wall_s is None else f"{run.wall_s:8.2f} s"
                    _say(f"  run {i + 1} {name:<10} {wall}  {run.found or run.error}")
        for tool in ("check", "clash"):
            _say(f"  {tool} --timings (medians): {result.timing_line(tool)}")
        return result


# --------------------------------------------------------------------------- reporting


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _status(ratio: float | None, target: float) -> str:
    if ratio is None:
        return "n/a"
    return "PASS" if ratio <= target else "MISS"


HEADER = ("model", "check s", "clash-only s", "ifcclash s", "ifctester s", "ifc5d s",
          "peers sum s", "served s", "served/check", f"check/peers (<= {TARGET_PEERS})",
          f"check/clash (<= {TARGET_CLASH})")


def table_rows(results: Sequence[ModelResult]) -> list[list[str]]:
    rows = []
    for r in results:
        rp, rc = r.ratio("peers"), r.ratio("clash")
        rows.append([r.name, *(_fmt(r.median(t)) for t in TOOLS), _fmt(r.peers),
                     _fmt(r.median(SERVED)), _fmt(r.ratio(SERVED), 3),
                     f"{_fmt(rp, 3)} {_status(rp, TARGET_PEERS)}",
                     f"{_fmt(rc, 3)} {_status(rc, TARGET_CLASH)}"])
    complete = [r for r in results if r.peers is not None and r.median("clash") is not None
                and r.median("check") is not None]
    if complete:
        sums = {t: sum(r.median(t) or 0.0 for r in complete) for t in (*TOOLS, SERVED)}
        peers = sum(r.peers or 0.0 for r in complete)
        rp = sums["check"] / peers if peers else None
        rc = sums["check"] / sums["clash"] if sums["clash"] else None
        rs = sums[SERVED] / sums["check"] if sums["check"] and sums[SERVED] else None
        rows.append([f"total ({len(complete)} models)", *(_fmt(sums[t]) for t in TOOLS),
                     _fmt(peers), _fmt(sums[SERVED] or None), _fmt(rs, 3),
                     f"{_fmt(rp, 3)} {_status(rp, TARGET_PEERS)}",
                     f"{_fmt(rc, 3)} {_status(rc, TARGET_CLASH)}"])
    return rows


def print_table(rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(HEADER, *rows, strict=True)]
    for line in (list(HEADER), *rows):
        _say("  ".join(str(x).rjust(w) if j else str(x).ljust(w)
                       for j, (x, w) in enumerate(zip(line, widths, strict=True))))


def markdown_section(results: Sequence[ModelResult], rows: list[list[str]],
                     facts: dict[str, str]) -> str:
    lines = [SECTION, "",
             f"Measured {facts['date']} by `.venv/bin/python benchmarks/bench_check.py "
             f"{facts['argv']}` at bimcheck {facts['revision']}; Python {facts['python']}, "
             f"{facts['cpus']} cores; {facts['peers']}. Machine load: {facts['load_start']} at "
             f"the start, {facts['load_end']} at the end (other work was running). Medians of "
             f"{facts['repeat']} alternating run(s), wall seconds spawn to reap, cold mesh "
             "cache for every bimcheck run.", "",
             "| " + " | ".join(HEADER) + " |",
             "|" + "|".join("---" if j == 0 else "---:" for j in range(len(HEADER))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += ["", "Every run (seconds) and what each tool found (first run):", ""]
    for r in results:
        lines.append(f"* **{r.name}**: " + "; ".join(
            f"{t} " + " ".join(_fmt(x.wall_s) for x in r.runs if x.tool == t)
            for t in (*TOOLS, SERVED) if t not in r.peer_skipped) + ".")
        for t in (*TOOLS, SERVED):
            first = next((x for x in r.runs if x.tool == t), None)
            if first is not None:
                lines.append(f"  * {t}: {first.found or first.error}")
        for n in r.notes:
            lines.append(f"  * note: {n}")
        for tool in ("check", "clash"):
            lines.append(f"  * `{tool} --timings` (medians): {r.timing_line(tool)}")
    return "\n".join(lines) + "\n"


def write_doc(section: str, doc: Path = DOC) -> None:
    """Append ``section`` to ``doc``, or replace the section of that title
    (up to the next ``## `` heading)."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# `bimcheck check` speed\n"
    start = text.find(SECTION + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        nxt = text.find("\n## ", start + len(SECTION))
        tail = "" if nxt < 0 else text[nxt + 1:]
        text = text[:start] + section + ("\n" + tail if tail else "")
    tmp = doc.with_suffix(".md.part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, doc)


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED_IFC,
                        help="folder with the shared IFC models (default ../shared/ifc)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="model file name (repeatable; default every *.ifc)")
    parser.add_argument("--skip-slow", action="store_true",
                        help=f"leave out {' and '.join(SLOW)}")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each command, alternating the order (default 3)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="per child, seconds")
    parser.add_argument("--keep", type=Path, help="keep the work folders here")
    parser.add_argument("--json-out", type=Path, help="write every run and ratio here")
    parser.add_argument("--write-doc", action="store_true",
                        help=f"write the section {SECTION!r} of docs/check-speed.md")
    parser.add_argument("--from-json", type=Path, metavar="FILE",
                        help="measure nothing: print (and with --write-doc write) the "
                             "results a --json-out FILE holds")
    args = parser.parse_args(argv)
    if args.from_json:
        saved = json.loads(args.from_json.read_text(encoding="utf-8"))
        results = [ModelResult.from_dict(m) for m in saved["models"]]
        return report(results, {k: v for k, v in saved.items()
                                if k not in ("models", "targets")}, args)
    shared = args.shared.resolve()
    available = sorted(p.name for p in shared.glob("*.ifc"))
    if args.only:
        unknown = [n for n in args.only if n not in available]
        if unknown:
            parser.error(f"no such model in {shared}: {', '.join(unknown)}")
        names = list(dict.fromkeys(args.only))
    else:
        names = available
    if args.skip_slow:
        names = [n for n in names if n not in SLOW]
    if not names:
        parser.error("no model to measure")
    repeat = max(1, args.repeat)

    load_start = load_average()
    _say(f"{load_start} before measuring (other work on this machine slows every tool)")
    clash_version = ensure_ifcclash()
    ifc5d_version = ensure_ifc5d()
    import importlib.metadata

    tester_version = importlib.metadata.version("ifctester")
    compileall.compile_dir(str(REPO / "bimcheck"), quiet=1)
    revision = repo_revision()
    peers = f"ifcclash {clash_version}, ifctester {tester_version}, ifc5d {ifc5d_version}"
    _say(f"bimcheck {revision} vs {peers}; IfcOpenShell {ifcopenshell.version}; python "
         f"{sys.version.split()[0]}; {os.cpu_count()} cores; repeat {repeat}")
    started = time.perf_counter()
    results: list[ModelResult] = []
    with tempfile.TemporaryDirectory(prefix="bench_check_") as tmp:
        root = args.keep.resolve() if args.keep else Path(tmp)
        bench = Bench(shared, root, args.timeout, repeat)
        index = ElementIndex()
        for name in names:
            results.append(bench.measure_model(name, index))
            index = ElementIndex()  # free the model
    load_end = load_average()
    _say(f"\n{time.perf_counter() - started:.0f} s in all; {load_end} at the end")
    facts = {
        "date": datetime.date.today().isoformat(),
        "revision": revision if repo_revision() == revision
        else f"{revision} (at the end: {repo_revision()})",
        "python": sys.version.split()[0], "cpus": str(os.cpu_count()), "peers": peers,
        "load_start": load_start, "load_end": load_end, "repeat": str(repeat),
        "argv": " ".join(argv if argv is not None else sys.argv[1:]),
    }
    return report(results, facts, args)


def report(results: list[ModelResult], facts: dict[str, str], args: argparse.Namespace) -> int:
    """Print the table; write the JSON and the doc section if asked; the exit status."""
    _say(f"\nMedians of {facts['repeat']} run(s), seconds; bimcheck {facts['revision']}; "
         f"{facts['load_start']} at the start, {facts['load_end']} at the end")
    rows = table_rows(results)
    print_table(rows)
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(
            {**facts, "targets": {"check/peers": TARGET_PEERS, "check/clash": TARGET_CLASH},
             "models": [r.as_dict() for r in results]}, indent=1), encoding="utf-8")
        _say(f"details written to {args.json_out}")
    if args.write_doc:
        write_doc(markdown_section(results, rows, facts))
        _say(f"section {SECTION!r} written to {DOC}")
    missed = any(("MISS" in row[-1] or "MISS" in row[-2]) for row in rows)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
