"""Recording one run: :func:`record_run` writes a :class:`RunInput` in one
transaction, with the statuses of its findings against the previous run of
the same project and command, and returns what was recorded
(:class:`Recorded`: statuses, the findings gone since, review states, trend).

A run row holds the project, revision label, command, time (UTC), bimcheck
version, the models (file name and content digest), the packs (name and
digest), the totals (findings by severity, risk, net cost...), the rules
that ran and those whose selectors matched nothing, and the GlobalIds of the
models' elements (sorted, newline-separated, zlib-compressed). Its findings
rows are the run's own (``new`` / ``active``) and the previous run's open
findings it did not find (``resolved`` / ``unretested``), each with the run
where its streak began.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bimcheck._version import __version__
from bimcheck.packs.schema import SEVERITIES
from bimcheck.store.db import HistoryDB
from bimcheck.store.query import Review, effective_reviews, trend_points
from bimcheck.store.status import (
    OPEN_STATUSES,
    Comparison,
    FindingRecord,
    OpenFinding,
    compare,
)

#: Commands whose runs are recorded (a run compares with the previous run of
#: the same project and command).
COMMANDS: tuple[str, ...] = ("check", "clash", "qto", "price")

#: :attr:`RunInput.previous` of a run compared with the project's latest run.
LATEST = "latest"


@dataclass
class RunInput:
    """One run to record. ``models`` and ``packs``: ``{"name", "digest"}``;
    ``elements``: the GlobalIds of every model of the run; ``totals``: extra
    totals (``risk``, ``net_cost``, ``currency``...) beside the counts, which
    are computed from ``findings``."""

    project: str
    revision: str
    command: str
    models: list[dict[str, str]]
    packs: list[dict[str, str]] = field(default_factory=list)
    findings: list[FindingRecord] = field(default_factory=list)
    rules_run: Iterable[str] = ()
    rules_empty: Iterable[str] = ()
    elements: Iterable[str] = ()
    totals: Mapping[str, Any] = field(default_factory=dict)
    version: str = __version__
    #: GlobalIds without a mesh in this run (geometry failed, no body), and
    #: the rules that need meshes: their findings on those are unretested.
    unmeshed: Iterable[str] = ()
    mesh_rules: Iterable[str] = ()
    #: The run the statuses are against: :data:`LATEST` (the project's latest
    #: run of the command), a run id, or ``None`` (none: a first run). A
    #: batch names the run of the previous revision it ran.
    previous: int | str | None = LATEST


@dataclass(frozen=True)
class RunInfo:
    """A recorded run as others refer to it."""

    id: int
    project: str
    revision: str
    command: str
    time: str

    def as_dict(self) -> dict[str, Any]:
        return {"run": self.id, "project": self.project, "revision": self.revision,
                "command": self.command, "time": self.time}


@dataclass
class Recorded:
    """What :func:`record_run` wrote and worked out."""

    run: RunInfo
    previous: RunInfo | None
    comparison: Comparison
    #: Review states in force, by key (the run's findings and the unretested ones).
    reviews: dict[str, Review]
    #: Earlier revisions of the project and command, oldest first (this
    #: revision left out: the report shows this run as "this run").
    trend: list[dict[str, Any]]
    #: The database file it was written to.
    db_path: Path | None = None

    @property
    def approved(self) -> set[str]:
        """Keys whose review state in force is ``approved``."""
        return {k for k, r in self.reviews.items() if r.state == "approved"}

    @property
    def previous_open(self) -> set[str]:
        """Keys open after the previous run: those this run found again
        (active) and those gone since (the gate's baseline)."""
        active = {k for k, s in self.comparison.statuses.items() if s == "active"}
        return active | {g.record.key for g in self.comparison.gone}

    def as_dict(self, db_name: str) -> dict[str, Any]:
        """The ``history`` section of a report (deterministic for one database)."""
        c = self.comparison
        return {
            "db": db_name, "project": self.run.project, "revision": self.run.revision,
            "command": self.run.command, "run": self.run.id,
            "previous": None if self.previous is None else self.previous.as_dict(),
            "counts": c.counts(),
            "statuses": dict(sorted(c.statuses.items())),
            "gone": [g.as_dict() for g in c.gone],
            "reviews": {k: self.reviews[k].as_dict() for k in sorted(self.reviews)},
        }


def pack_elements(global_ids: Iterable[str]) -> tuple[bytes, int]:
    """``(zlib of the sorted unique GlobalIds, one a line; their number)``."""
    ids = sorted(set(global_ids))
    return zlib.compress("\n".join(ids).encode("utf-8"), 6), len(ids)


def unpack_elements(blob: bytes) -> list[str]:
    text = zlib.decompress(blob).decode("utf-8")
    return text.split("\n") if text else []


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _record(row: tuple[Any, ...]) -> FindingRecord:
    key, rule, kind, severity, message, elements = row[:6]
    return FindingRecord(key, rule, kind, severity, message, tuple(json.loads(elements)))


def previous_run(conn: sqlite3.Connection, project: str, command: str,
                 before: int | None = None) -> RunInfo | None:
    """The latest run of ``project`` and ``command`` (before run id ``before``)."""
    row = conn.execute(
        "SELECT id, project, revision, command, time FROM runs WHERE project = ? AND "
        "command = ? AND id < ? ORDER BY id DESC LIMIT 1",
        (project, command, before if before is not None else 1 << 62)).fetchone()
    return None if row is None else RunInfo(*row)


def open_findings(conn: sqlite3.Connection, run_id: int) -> dict[str, OpenFinding]:
    """The findings open after run ``run_id`` (new, active, unretested)."""
    marks = ",".join("?" * len(OPEN_STATUSES))
    rows = conn.execute(
        "SELECT key, rule, kind, severity, message, elements, status, first_run FROM findings "
        f"WHERE run_id = ? AND status IN ({marks})", (run_id, *OPEN_STATUSES)).fetchall()
    return {r[0]: OpenFinding(_record(r), r[6], r[7]) for r in rows}


def run_info(conn: sqlite3.Connection, run_id: int) -> RunInfo | None:
    """The run ``run_id`` (``None`` when there is none)."""
    row = conn.execute("SELECT id, project, revision, command, time FROM runs WHERE id = ?",
                       (run_id,)).fetchone()
    return None if row is None else RunInfo(*row)


def record_run(db: HistoryDB, run: RunInput) -> Recorded:
    """Write ``run`` and its findings' statuses in one transaction; see the module."""
    with db.write() as conn:
        return record_in(conn, db, run)


def record_in(conn: sqlite3.Connection, db: HistoryDB, run: RunInput) -> Recorded:
    """:func:`record_run` inside a transaction the caller holds
    (``db.write()``), so that more rows can be committed with the run, or none."""
    findings: dict[str, FindingRecord] = {}
    for f in run.findings:
        findings.setdefault(f.key, f)
    records = sorted(findings.values(), key=lambda f: (f.rule, f.key))
    by_severity = dict.fromkeys(SEVERITIES, 0)
    for f in records:
        by_severity[f.severity] = by_severity.get(f.severity, 0) + 1
    totals = {**dict(run.totals), "findings": len(records), "by_severity": by_severity}
    rules_run, rules_empty = sorted(set(run.rules_run)), sorted(set(run.rules_empty))
    elements = set(run.elements)
    blob, count = pack_elements(elements)
    time = db.now()
    if run.previous == LATEST:
        previous = previous_run(conn, run.project, run.command)
    elif run.previous is None:
        previous = None
    else:
        previous = run_info(conn, int(run.previous))
    before = {} if previous is None else open_findings(conn, previous.id)
    comparison = compare(before, records, rules_run=rules_run, rules_empty=rules_empty,
                         elements=elements, unmeshed=set(run.unmeshed),
                         mesh_rules=set(run.mesh_rules))
    cursor = conn.execute(
        "INSERT INTO runs (project, revision, command, time, version, models, packs, "
        "totals, rules_run, rules_empty, element_count, elements) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (run.project, run.revision, run.command, time, run.version, _dumps(run.models),
         _dumps(run.packs), _dumps(totals), _dumps(rules_run), _dumps(rules_empty),
         count, blob))
    run_id = int(cursor.lastrowid or 0)
    rows = []
    first_runs: dict[str, int] = {}
    for f in records:
        first = comparison.first_run[f.key] or run_id
        first_runs[f.key] = first
        rows.append((run_id, f.key, f.rule, f.kind, f.severity, f.message,
                     _dumps(list(f.elements)), comparison.statuses[f.key], None, first))
    for g in comparison.gone:
        r = g.record
        if g.status == "unretested":
            first_runs[r.key] = g.first_run
        rows.append((run_id, r.key, r.rule, r.kind, r.severity, r.message,
                     _dumps(list(r.elements)), g.status, g.reason, g.first_run))
    conn.executemany(
        "INSERT INTO findings (run_id, key, rule, kind, severity, message, elements, "
        "status, reason, first_run) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    reviews = effective_reviews(conn, run.project, first_runs)
    trend = [p for p in trend_points(conn, run.project, run.command)
             if p["revision"] != run.revision and p["run"] < run_id]
    info = RunInfo(run_id, run.project, run.revision, run.command, time)
    return Recorded(run=info, previous=previous, comparison=comparison, reviews=reviews,
                    trend=trend, db_path=db.path)
