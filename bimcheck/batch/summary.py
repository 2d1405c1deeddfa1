"""What a batch says of each revision (its row of the dashboard and the
digest), as plain, deterministic data, made from the check report, the
change order and the history's statuses. It is stored with the revision in
the history database, so a reused revision needs no report read back.
"""

from __future__ import annotations

from typing import Any

from bimcheck.packs.schema import SEVERITIES, severity_rank
from bimcheck.report.gatedoc import gate_active

#: Findings of one severity listed by name in a revision's summary (the
#: report has them all).
MAX_LISTED = 50

#: Severities the digest lists by name.
DIGEST_SEVERITIES = ("critical", "high")


def _brief(f: dict[str, Any]) -> dict[str, Any]:
    return {"key": f["key"], "rule": f["rule"], "severity": f["severity"],
            "message": f["message"],
            "elements": [e["global_id"] for e in f.get("elements") or []][:4]}


def check_summary(doc: dict[str, Any]) -> dict[str, Any]:
    """The check part: counts by severity, risk, the gate, and the findings
    new since the previous revision (critical and high by name) and those
    resolved."""
    s = doc["summary"]
    history = doc.get("history") or {}
    statuses = history.get("statuses") or {}
    compared = history.get("previous") is not None
    new = [f for f in doc["findings"] if compared and statuses.get(f["key"]) == "new"]
    new.sort(key=lambda f: (severity_rank(f["severity"]), f["rule"], f["key"]))
    new_by = {sev: sum(1 for f in new if f["severity"] == sev) for sev in SEVERITIES}
    gone = history.get("gone") or []
    resolved = sorted((g for g in gone if g["status"] == "resolved"),
                      key=lambda g: (severity_rank(g["severity"]), g["rule"], g["key"]))
    gate = doc.get("gate") or {}
    return {
        "findings": s["findings"],
        "by_severity": dict(s["by_severity"]),
        "risk": round(float(s["risk"]["total"]), 3),
        "gate": bool(gate.get("passed")) if gate_active(gate) else None,
        "gate_reasons": list(gate.get("reasons") or []),
        "compared_with": (history.get("previous") or {}).get("revision"),
        "new": new_by,
        "new_listed": [_brief(f) for f in new if f["severity"] in DIGEST_SEVERITIES][
            :MAX_LISTED],
        "resolved": len(resolved),
        "resolved_listed": [{"key": g["key"], "rule": g["rule"], "severity": g["severity"],
                             "message": g["message"]} for g in resolved][:MAX_LISTED],
        "unretested": sum(1 for g in gone if g["status"] == "unretested"),
    }


def change_summary(diff: dict[str, Any], order: dict[str, Any]) -> dict[str, Any]:
    """The change part: elements by status, and the change order's totals."""
    totals = order.get("totals") or {}
    priced = bool(order.get("currency"))
    return {
        "statuses": dict(diff["summary"]["statuses"]),
        "causes": len(diff.get("causes") or []),
        "lines": len(order.get("lines") or []),
        "unpriced": len(order.get("unpriced") or []),
        "currency": order.get("currency") or None,
        "totals": {k: totals.get(k) for k in ("added", "removed", "changed", "adjustments",
                                              "net")} if priced else None,
    }
