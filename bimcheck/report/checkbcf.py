"""BCF 2.1 topics of a check report: one topic per finding (not waived), its
GUID derived from the finding's key, so a later run updates the same topics.

Priority is the finding's severity; labels are the family, the rule and the
discipline; the viewpoint selects the finding's elements and looks at its
location. A finding without a location (a missing property, say) is looked
at where its first element stands in the report's plan views (the centre of
its footprint, :data:`EYE_HEIGHT_M` above its storey), else at the centre of
its first element's storey; with neither, the viewpoint has no camera and
only selects the elements.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from bimcheck.report.bcf import topics_bcf

#: Camera spread (m) around a finding's location.
_SPREAD_M = 5.0
#: Height (m) above its storey's elevation at which a finding without a
#: location is looked at.
EYE_HEIGHT_M = 1.5


def finding_topics(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The BCF topic dicts of the report's findings (waived ones left out)."""
    rules = {r["id"]: r for r in doc["rules"]}
    views = doc.get("views") or []
    footprints = _footprints(views)
    topics = []
    for f in doc["findings"]:
        if f["status"] == "waived":
            continue
        rule = rules.get(f["rule"], {})
        gids = [e["global_id"] for e in f["elements"]]
        doc_text = rule.get("doc", {})
        description = (f"{f['message']}\n\n{rule.get('name', f['rule'])} ({f['rule']}): "
                       f"{doc_text.get('what', '')}\nWhy: {doc_text.get('why', '')}\n"
                       f"Fix: {doc_text.get('fix', '')}\nKey: {f['key']}")
        labels = [x for x in (f["family"], f["rule"], f.get("discipline")) if x]
        topics.append({
            "key": f["key"], "title": f"{f['rule']}: {f['message']}"[:250],
            "severity": f["severity"], "labels": labels, "description": description,
            "elements": gids, **_where(f, views, footprints),
        })
    return topics


def _footprints(views: list[dict[str, Any]]) -> dict[tuple[Any, Any], tuple[Any, Any]]:
    """(model, GlobalId) → (outline, elevation) of the element's first footprint
    with an outline, views and footprints in the report's order."""
    out: dict[tuple[Any, Any], tuple[Any, Any]] = {}
    for view in views:
        for fp in view.get("footprints", []):
            if fp.get("outline"):
                out.setdefault((view.get("model"), fp["global_id"]),
                               (fp["outline"], view.get("elevation")))
    return out


def _where(f: dict[str, Any], views: list[dict[str, Any]],
           footprints: dict[tuple[Any, Any], tuple[Any, Any]]) -> dict[str, Any]:
    """``location`` (m, world, or None) and ``spread`` (m) of a finding's camera
    (``footprints``: :func:`_footprints` of ``views``)."""
    loc = f.get("location")
    if loc and len(loc) == 3 and all(isinstance(v, int | float) for v in loc):
        return {"location": [float(v) for v in loc], "spread": _SPREAD_M}
    for e in f["elements"]:
        found = footprints.get((e.get("model"), e["global_id"]))
        if found is not None:
            outline, elevation = found
            xs = [p[0] for p in outline]
            ys = [p[1] for p in outline]
            return _box_centre(min(xs), min(ys), max(xs), max(ys), elevation)
    storey = next((e.get("storey") for e in f["elements"] if e.get("storey")), None)
    model = next((e.get("model") for e in f["elements"] if e.get("storey")), None)
    for view in views:
        if storey and view.get("storey") == storey and view.get("model") == model:
            return _box_centre(*view["bounds"], view.get("elevation"))
    return {"location": None, "spread": _SPREAD_M}


def _box_centre(x0: float, y0: float, x1: float, y1: float,
                elevation: float | None) -> dict[str, Any]:
    """Camera target at the centre of a plan box, :data:`EYE_HEIGHT_M` above
    ``elevation`` (0 when the storey has none, or the elements are in no storey),
    framing the whole box."""
    half_diagonal = 0.5 * math.hypot(x1 - x0, y1 - y0)
    return {"location": [(x0 + x1) / 2.0, (y0 + y1) / 2.0, float(elevation or 0.0) + EYE_HEIGHT_M],
            "spread": max(_SPREAD_M, half_diagonal)}


def check_bcf(doc: dict[str, Any], *, created: datetime | None = None) -> bytes:
    """The BCF zip of the report's findings."""
    models = [m["path"] for m in doc["header"]["models"]]
    return topics_bcf(finding_topics(doc), models, when=created, topic_type="Issue")
