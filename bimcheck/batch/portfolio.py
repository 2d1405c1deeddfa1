"""The portfolio document of a batch (``batch.json``): every project with
its revisions' summaries, oldest first, what is new since the previous
batch, and the failures. The dashboard and the digest are made from it
alone. Deterministic: the same batch gives the same bytes, whichever engine
ran it and however often it was stopped and resumed (the run statistics,
which do differ, are not in it).
"""

from __future__ import annotations

from typing import Any

from bimcheck._version import __version__
from bimcheck.packs.schema import SEVERITIES

#: Version of the portfolio document's layout.
PORTFOLIO_VERSION = 1


def portfolio(result: Any, *, db_name: str) -> dict[str, Any]:
    """The document of a :class:`~bimcheck.batch.runner.BatchResult`."""
    batch = result.batch
    projects: dict[str, dict[str, Any]] = {}
    for s in result.items:
        p = projects.setdefault(s["project"], {"name": s["project"], "revisions": []})
        p["revisions"].append({**s, "new": s["batch"] == batch.id})
    failed = []
    new_items = []
    for p in projects.values():
        revs = p["revisions"]
        latest = revs[-1]
        p["latest"] = latest["revision"]
        p["gate"] = None if latest["status"] != "ok" else latest["check"]["gate"]
        p["latest_status"] = latest["status"]
        p["gate_failed"] = any(g.startswith(f"{p['name']}: ") for g in result.gate_failed)
        priced = [r for r in revs if (r.get("change") or {}).get("totals")]
        p["latest_change_order"] = None
        if priced:
            r = priced[-1]
            p["latest_change_order"] = {"revision": r["revision"],
                                        "against": r["change"]["against"],
                                        "currency": r["change"]["currency"],
                                        "net": r["change"]["totals"]["net"]}
        for r in revs:
            if r["status"] != "ok":
                failed.append({"project": p["name"], "revision": r["revision"],
                               "failure": r["failure"], "error": r["error"],
                               "folder": r["folder"]})
            elif (r.get("change") or {}).get("status") not in (None, "ok"):
                failed.append({"project": p["name"], "revision": r["revision"],
                               "failure": r["change"]["status"], "error": r["change"]["error"],
                               "folder": r["folder"]})
            if r["new"]:
                new_items.append({"project": p["name"], "revision": r["revision"]})
    new_by = dict.fromkeys(SEVERITIES, 0)
    for p in projects.values():
        for r in p["revisions"]:
            if r["new"] and r["status"] == "ok":
                for sev, n in r["check"]["new"].items():
                    new_by[sev] = new_by.get(sev, 0) + n
    return {
        "header": {"tool": {"name": "bimcheck", "version": __version__, "command": "batch"},
                   "format": PORTFOLIO_VERSION, "batch": batch.id,
                   "previous_batch": batch.previous, "started": batch.started,
                   "db": db_name},
        "summary": {"projects": len(projects), "revisions": len(result.items),
                    "failed": len(failed), "new_revisions": len(new_items),
                    "new_findings": new_by, "gate_failed": list(result.gate_failed)},
        "new_since_previous_batch": new_items,
        "failed": failed,
        "projects": list(projects.values()),
    }


def portfolio_files(doc: dict[str, Any]) -> dict[str, str]:
    """``batch.json``, ``dashboard.html`` and ``digest.md`` of a portfolio document."""
    from bimcheck.report.dashboard import dashboard_html
    from bimcheck.report.digest import digest_md
    from bimcheck.report.jsonout import dumps

    return {"batch.json": dumps(doc, inline_from=5), "dashboard.html": dashboard_html(doc),
            "digest.md": digest_md(doc)}
