"""BCF 2.1 topics for a revision diff: one per cause (its elements selected)
and one per changed element that no cause explains.

Topic keys are made of the two models' digests and the cause's kind and
subject, or the element's GlobalId, so the same pair of files always gives
the same topic GUIDs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bimcheck.report.bcf import topics_bcf


def _centre(points: list[list[float]]) -> list[float] | None:
    if not points:
        return None
    return [sum(p[i] for p in points) / len(points) for i in range(3)]


def _text(change: dict[str, Any]) -> str:
    kind = change.get("kind")
    if kind in ("attributes", "properties"):
        return "; ".join(
            f"{v.get('attribute') or str(v.get('pset')) + '.' + str(v.get('property'))}: "
            f"{v.get('old')} -> {v.get('new')}" for v in change.get("values") or [])
    if kind == "placement":
        return f"moved {change.get('translation')} m, turned {change.get('rotation_deg')}°"
    if kind == "geometry":
        return f"volume {(change.get('old') or {}).get('volume')} -> " \
               f"{(change.get('new') or {}).get('volume')} m³"
    if kind == "openings":
        return f"openings area {change.get('area_delta')} m²"
    return f"{change.get('old')} -> {change.get('new')}"


def diff_topics(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The topics as plain dicts for :func:`~bimcheck.report.bcf.topics_bcf`."""
    models = doc["header"]["models"]
    pair = ":".join(str(m.get("digest", ""))[:16] for m in models)
    by_id = {e["global_id"]: e for e in doc["elements"]}
    topics = []
    for c in doc["causes"]:
        members = [by_id[g] for g in c["elements"] if g in by_id]
        subject = c["subject"]
        name = subject.get("name") or subject.get("global_id")
        detail = {k: v for k, v in c.items() if k not in ("id", "kind", "subject", "elements")}
        topics.append({
            "key": f"diff:{pair}:cause:{c['kind']}:{subject.get('global_id') or name}",
            "title": f"{c['kind']} {name}: {len(members)} element(s) changed with it",
            "severity": None, "labels": ["diff", "cause", c["kind"]],
            "description": f"Cause {c['id']} ({c['kind']} {name}) explains the changes of "
                           f"{len(members)} element(s). {detail}",
            "elements": [m["global_id"] for m in members],
            "location": _centre([m["location"] for m in members if m.get("location")]),
            "spread": 10.0,
        })
    for e in doc["elements"]:
        if e["status"] == "unchanged" or e.get("cause"):
            continue
        changes = "; ".join(f"{c['kind']}: {_text(c)}" for c in e["changes"])
        topics.append({
            "key": f"diff:{pair}:element:{e['global_id']}",
            "title": f"{e['status']}: {e['ifc_class']} {e.get('name') or e['global_id']}",
            "severity": None,
            "labels": ["diff", e["status"], *sorted({c["kind"] for c in e["changes"]})],
            "description": f"{e['ifc_class']} {e.get('name')} ({e['global_id']}) on "
                           f"{e.get('storey')}: {e['status']}. {changes}".strip(),
            "elements": [e["global_id"]] if e["status"] != "removed" else [],
            "location": e.get("location"), "spread": 5.0,
        })
    return topics


def diff_bcf(doc: dict[str, Any], *, created: datetime | None = None) -> bytes:
    """The BCF zip of a diff JSON document (see the module docstring)."""
    models = [str(m.get("path")) for m in doc["header"]["models"]]
    return topics_bcf(diff_topics(doc), models, when=created, topic_type="Request")
