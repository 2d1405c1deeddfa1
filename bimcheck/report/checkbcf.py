"""BCF 2.1 topics of a check report: one topic per finding (not waived), its
GUID derived from the finding's key, so a later run updates the same topics.

Priority is the finding's severity; labels are the family, the rule and the
discipline; the viewpoint selects the finding's elements and looks at its
location (the first element's storey when it has none).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bimcheck.report.bcf import topics_bcf

#: Camera spread (m) around a finding's location.
_SPREAD_M = 5.0


def finding_topics(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The BCF topic dicts of the report's findings (waived ones left out)."""
    rules = {r["id"]: r for r in doc["rules"]}
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
            "elements": gids, "location": f["location"] or [0.0, 0.0, 0.0],
            "spread": _SPREAD_M,
        })
    return topics


def check_bcf(doc: dict[str, Any], *, created: datetime | None = None) -> bytes:
    """The BCF zip of the report's findings."""
    models = [m["path"] for m in doc["header"]["models"]]
    return topics_bcf(finding_topics(doc), models, when=created, topic_type="Issue")
