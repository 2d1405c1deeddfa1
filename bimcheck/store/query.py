"""Reading the history: runs, trends across revisions, a finding's
timeline, and review states (setting one is the only write here).

Review states (``reviewed``, ``approved``) belong to a project and a finding
key; every event is kept (time, who, note). The state in force is the
latest event made after the finding's current streak began: a finding that
was resolved and came back is new again, and unreviewed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bimcheck.errors import HistoryError
from bimcheck.packs.schema import SEVERITIES
from bimcheck.store.db import HistoryDB

#: Review states ``bimcheck status --set`` accepts.
REVIEW_STATES: tuple[str, ...] = ("reviewed", "approved")
#: Shortest key prefix accepted for a finding key.
MIN_KEY_PREFIX = 6


@dataclass(frozen=True)
class Review:
    """One review event: state, who, note, time (UTC ISO), and the latest run
    of the project when it was set."""

    key: str
    state: str
    who: str
    note: str
    time: str
    run_id: int

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state, "by": self.who, "note": self.note, "time": self.time,
                "run": self.run_id}


def _reviews(conn: sqlite3.Connection, project: str) -> list[Review]:
    rows = conn.execute("SELECT key, state, who, note, time, run_id FROM reviews "
                        "WHERE project = ? ORDER BY id", (project,)).fetchall()
    return [Review(*r) for r in rows]


def effective_reviews(conn: sqlite3.Connection, project: str,
                      first_runs: Mapping[str, int]) -> dict[str, Review]:
    """The review state in force for each key of ``first_runs`` (key → run id
    where its streak began) that has one."""
    out: dict[str, Review] = {}
    for r in _reviews(conn, project):
        first = first_runs.get(r.key)
        if first is not None and r.run_id >= first:
            out[r.key] = r  # later events replace earlier ones
    return out


def _totals(text: str) -> dict[str, Any]:
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def _point(run_id: int, revision: str, time: str, totals: Mapping[str, Any]) -> dict[str, Any]:
    by = totals.get("by_severity") or {}
    return {"run": run_id, "revision": revision, "time": time,
            "findings": int(totals.get("findings") or 0),
            "by_severity": {s: int(by.get(s, 0)) for s in SEVERITIES},
            "risk": totals.get("risk"), "net_cost": totals.get("net_cost"),
            "currency": totals.get("currency")}


def trend_points(conn: sqlite3.Connection, project: str, command: str) -> list[dict[str, Any]]:
    """One point per revision of ``project`` and ``command``: the totals of
    the revision's latest run, revisions in the order they were first run.
    Check and clash points carry the net cost of the latest ``price`` run of
    the same revision, when there is one."""
    rows = conn.execute("SELECT id, revision, time, totals FROM runs WHERE project = ? AND "
                        "command = ? ORDER BY id", (project, command)).fetchall()
    order: list[str] = []
    latest: dict[str, dict[str, Any]] = {}
    for run_id, revision, time, totals in rows:
        if revision not in latest:
            order.append(revision)
        latest[revision] = _point(run_id, revision, time, _totals(totals))
    if command != "price":
        cost = {p["revision"]: p for p in trend_points(conn, project, "price")}
        for revision, p in latest.items():
            if revision in cost and p["net_cost"] is None:
                p["net_cost"] = cost[revision]["net_cost"]
                p["currency"] = cost[revision]["currency"]
    return [latest[r] for r in order]


def list_runs(db: HistoryDB, project: str | None = None) -> list[dict[str, Any]]:
    """Every run (of ``project``), oldest first, with its totals and the
    number of its findings by history status."""
    where, params = ("WHERE r.project = ?", (project,)) if project is not None else ("", ())
    rows = db.query("SELECT r.id, r.project, r.revision, r.command, r.time, r.version, "
                    f"r.models, r.packs, r.totals FROM runs r {where} ORDER BY r.id", params)
    counts: dict[int, dict[str, int]] = {}
    for run_id, status, n in db.query(
            "SELECT f.run_id, f.status, count(*) FROM findings f JOIN runs r ON r.id = f.run_id "
            f"{where} GROUP BY f.run_id, f.status", params):
        counts.setdefault(run_id, {})[status] = n
    out = []
    for run_id, proj, revision, command, time, version, models, packs, totals in rows:
        t = _totals(totals)
        point = _point(run_id, revision, time, t)
        by_status = counts.get(run_id, {})
        out.append({
            **point, "project": proj, "command": command, "version": version,
            "models": json.loads(models), "packs": json.loads(packs),
            "statuses": {s: by_status.get(s, 0) for s in ("new", "active", "resolved",
                                                          "unretested")},
        })
    return out


def trends(db: HistoryDB, project: str | None = None) -> list[dict[str, Any]]:
    """``[{project, command, points}]``: the trend across revisions of each
    project and command (of ``project``), sorted."""
    where, params = ("WHERE project = ?", (project,)) if project is not None else ("", ())
    pairs = db.query(f"SELECT DISTINCT project, command FROM runs {where} "
                     "ORDER BY project, command", params)
    try:
        return [{"project": p, "command": c, "points": trend_points(db.conn, p, c)}
                for p, c in pairs]
    except sqlite3.Error as exc:
        raise db.error(exc) from None


def projects(db: HistoryDB) -> list[str]:
    return [r[0] for r in db.query("SELECT DISTINCT project FROM runs ORDER BY project")]


def resolve_key(db: HistoryDB, key: str, project: str | None) -> tuple[str, str]:
    """``(full key, project)`` of a finding key or unique prefix of one; a
    :class:`~bimcheck.errors.HistoryError` when it is unknown, ambiguous, or in
    several projects and ``project`` is not given."""
    text = key.strip().lower()
    if len(text) < MIN_KEY_PREFIX or any(c not in "0123456789abcdef" for c in text):
        raise HistoryError(f"{key!r} is not a finding key (32 hex characters, or a unique "
                           f"prefix of at least {MIN_KEY_PREFIX})", path=db.path)
    sql = ("SELECT DISTINCT f.key, r.project FROM findings f JOIN runs r ON r.id = f.run_id "
           "WHERE f.key >= ? AND f.key < ?")
    params: tuple[Any, ...] = (text, text + "g")
    if project is not None:
        sql += " AND r.project = ?"
        params += (project,)
    rows = db.query(sql + " ORDER BY f.key, r.project", params)
    where = f" in project {project!r}" if project is not None else ""
    if not rows:
        raise HistoryError(f"no finding with key {text}{where} in the history", path=db.path)
    keys = sorted({k for k, _ in rows})
    if len(keys) > 1:
        raise HistoryError(f"key prefix {text} matches {len(keys)} findings{where} "
                           f"({', '.join(k[:12] for k in keys[:3])}...): give more of it",
                           path=db.path)
    found = sorted({p for _, p in rows})
    if len(found) > 1:
        raise HistoryError(f"key {keys[0]} is in several projects ({', '.join(found)}): "
                           "give --project", path=db.path)
    return keys[0], found[0]


def set_review(db: HistoryDB, key: str, state: str, who: str, note: str,
               project: str | None = None) -> Review:
    """Record a review event for a finding (``reviewed`` or ``approved``)."""
    if state not in REVIEW_STATES:
        raise HistoryError(f"review state must be one of {', '.join(REVIEW_STATES)}, "
                           f"got {state!r}", path=db.path)
    if not who.strip():
        raise HistoryError("a review needs who made it (--by)", path=db.path)
    full, proj = resolve_key(db, key, project)
    with db.write() as conn:
        run_id = conn.execute("SELECT max(id) FROM runs WHERE project = ?", (proj,)).fetchone()[0]
        time = db.now()
        conn.execute("INSERT INTO reviews (project, key, state, who, note, time, run_id) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (proj, full, state, who.strip(), note.strip(), time, int(run_id)))
    return Review(full, state, who.strip(), note.strip(), time, int(run_id))


def finding_timeline(db: HistoryDB, key: str, project: str | None = None) -> dict[str, Any]:
    """A finding's history: each run that holds it (run, revision, command,
    time, status, reason), its review events and the state in force now."""
    full, proj = resolve_key(db, key, project)
    rows = db.query(
        "SELECT r.id, r.revision, r.command, r.time, f.status, f.reason, f.first_run, f.rule, "
        "f.kind, f.severity, f.message, f.elements FROM findings f JOIN runs r ON "
        "r.id = f.run_id WHERE f.key = ? AND r.project = ? ORDER BY r.id", (full, proj))
    runs = [{"run": r[0], "revision": r[1], "command": r[2], "time": r[3], "status": r[4],
             "reason": r[5]} for r in rows]
    last = rows[-1]
    try:
        events = [r for r in _reviews(db.conn, proj) if r.key == full]
        last_by_command = {r[2]: r for r in rows}  # each command's latest run holding it
        first = min((r[6] for r in last_by_command.values()
                     if r[4] in ("new", "active", "unretested")), default=None)
        in_force = effective_reviews(db.conn, proj, {full: first}) if first else {}
    except sqlite3.Error as exc:
        raise db.error(exc) from None
    return {
        "key": full, "project": proj, "rule": last[7], "kind": last[8], "severity": last[9],
        "message": last[10], "elements": json.loads(last[11]), "runs": runs,
        "reviews": [{"key": r.key, **r.as_dict()} for r in events],
        "review": in_force[full].as_dict() if full in in_force else None,
    }
