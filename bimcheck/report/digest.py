"""The daily digest of a batch (``digest.md``, and ``--digest-json``): one
page for chat or e-mail, made from the portfolio document alone.

Per project, what the revisions new in this batch brought: new critical
and high findings (by name, up to :data:`LISTED` each), findings resolved,
the net cost of the latest change order, and the models that failed. Text
from models is written as inline code, so no name can break the Markdown.
"""

from __future__ import annotations

import json
from typing import Any

#: Findings listed by name per project and list (the rest are counted).
LISTED = 10


def _code(text: Any) -> str:
    """``text`` as Markdown inline code, whatever backticks it holds, on one line."""
    s = " ".join(str(text).split())[:200]
    fence = "`"
    while fence in s:
        fence += "`"
    pad = " " if s.startswith("`") or s.endswith("`") or not s else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def signed_money(net: Any, currency: Any) -> str:
    """A cost delta with its sign and thousands separators, ``+3,525.56 CNY``
    (``unpriced`` for ``None``)."""
    if net is None:
        return "unpriced"
    return f"{net:+,.2f} {currency or ''}".rstrip()


def digest_doc(doc: dict[str, Any]) -> dict[str, Any]:
    """The digest as data (``--digest-json``)."""
    projects = []
    for p in doc["projects"]:
        new_revs = [r for r in p["revisions"] if r["new"]]
        found, resolved = [], []
        for r in new_revs:
            if r["status"] != "ok":
                continue
            for f in r["check"]["new_listed"]:
                found.append({**f, "revision": r["revision"]})
            for g in r["check"]["resolved_listed"]:
                resolved.append({**g, "revision": r["revision"]})
        projects.append({
            "name": p["name"], "latest": p["latest"], "gate": p["gate"],
            "gate_failed": p["gate_failed"],
            "new_revisions": [r["revision"] for r in new_revs],
            "checked": sum(1 for r in new_revs if r["status"] == "ok"),
            "new_critical_high": found,
            "resolved": resolved,
            "resolved_count": sum(r["check"]["resolved"] for r in new_revs
                                  if r["status"] == "ok"),
            "latest_change_order": p["latest_change_order"],
            "failed": [f for f in doc["failed"] if f["project"] == p["name"]],
        })
    h = doc["header"]
    return {"batch": h["batch"], "started": h["started"], "summary": doc["summary"],
            "projects": projects}


def digest_json(doc: dict[str, Any]) -> str:
    return json.dumps(digest_doc(doc), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def digest_md(doc: dict[str, Any]) -> str:
    """The digest as Markdown."""
    d = digest_doc(doc)
    s = d["summary"]
    lines = [f"# bimcheck digest: batch {d['batch']}, {d['started']}", ""]
    new = s["new_findings"]
    lines.append(f"{s['projects']} project(s), {s['revisions']} revision(s); "
                 f"{s['new_revisions']} new since the previous batch; "
                 f"{new.get('critical', 0)} new critical, {new.get('high', 0)} new high; "
                 f"{s['failed']} failed.")
    if s["gate_failed"]:
        lines.append("")
        lines.append("**Gate failed:** " + "; ".join(_code(g) for g in s["gate_failed"]))
    for p in d["projects"]:
        lines += ["", f"## {_code(p['name'])} (latest {_code(p['latest'])})", ""]
        if not p["new_revisions"]:
            lines.append("- nothing new since the previous batch")
        else:
            lines.append("- new revisions: " + ", ".join(_code(r) for r in p["new_revisions"]))
        found = p["new_critical_high"]
        if found:
            lines.append(f"- **{len(found)} new critical/high finding(s):**")
            for f in found[:LISTED]:
                lines.append(f"  - {f['severity']} {f['rule']} in {_code(f['revision'])}: "
                             f"{_code(f['message'])}")
            if len(found) > LISTED:
                lines.append(f"  - ... {len(found) - LISTED} more in the reports")
        elif p["checked"]:
            lines.append("- no new critical or high finding")
        if p["resolved_count"]:
            lines.append(f"- {p['resolved_count']} finding(s) resolved:")
            for g in p["resolved"][:LISTED]:
                lines.append(f"  - {g['severity']} {g['rule']} in {_code(g['revision'])}: "
                             f"{_code(g['message'])}")
            if p["resolved_count"] > min(LISTED, len(p["resolved"])):
                lines.append(f"  - ... {p['resolved_count'] - min(LISTED, len(p['resolved']))}"
                             " more in the reports")
        co = p["latest_change_order"]
        if co is not None:
            net = signed_money(co["net"], co["currency"])
            lines.append(f"- latest change order: {_code(co['against'])} → "
                         f"{_code(co['revision'])}, net **{net}**")
        for f in p["failed"]:
            lines.append(f"- **failed** {_code(f['revision'])} ({f['failure']}): "
                         f"{_code(f['error'])}")
        if p["gate"] is not None or p["gate_failed"]:
            lines.append(f"- gate on {_code(p['latest'])}: "
                         f"{'FAIL' if p['gate_failed'] else 'PASS'}")
    return "\n".join(lines) + "\n"
