"""The risk score of a finding, and risk summed per discipline, storey and rule.

``risk = severity weight × magnitude factor`` (docs/risk.md):

* severity weight: :data:`SEVERITY_WEIGHTS` (critical 10 … info 0);
* magnitude factor: ``1 + min(2, max(term))`` over the finding's measures,
  each term its measure over a reference size (:data:`REFERENCES`): an overlap
  of 10 litres, a penetration of 0.10 m, a clearance short by 0.05 m, a crane
  utilization 0.25 above the 0.75 critical line, a quantity 10 % off each add
  1. A finding without measures has factor 1; the factor is at most 3.

The same findings always give the same scores (no randomness, no time).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bimcheck.findings import Finding

#: Weight of each severity.
SEVERITY_WEIGHTS: dict[str, float] = {"critical": 10.0, "high": 5.0, "medium": 2.0,
                                      "low": 1.0, "info": 0.0}

#: measure name -> (offset, reference): term = max(0, |value| - offset) / reference.
#: Units: m³, m, m, 1 (utilization), 1 (relative deviation).
REFERENCES: dict[str, tuple[float, float]] = {
    "overlap_volume": (0.0, 0.01),
    "penetration_depth": (0.0, 0.10),
    "clearance_shortfall": (0.0, 0.05),
    "utilization": (0.75, 0.25),
    "deviation": (0.0, 0.10),
}

#: Most the magnitude can add to the factor.
MAX_MAGNITUDE = 2.0

#: Findings listed among the top risks.
TOP_RISKS = 10


def magnitude_factor(finding: Finding) -> float:
    """``1 + min(2, largest term)`` of the finding's measures (see the module)."""
    terms = [0.0]
    for name, (offset, reference) in REFERENCES.items():
        q = finding.measures.get(name)
        if q is not None and q.value == q.value:  # not NaN
            terms.append(max(0.0, abs(q.value) - offset) / reference)
    return 1.0 + min(MAX_MAGNITUDE, max(terms))


def risk_of(finding: Finding) -> float:
    """The finding's risk score (0 for ``info``; at most 30)."""
    return SEVERITY_WEIGHTS.get(finding.severity, 0.0) * magnitude_factor(finding)


def risk_summary(findings: Iterable[Finding]) -> dict[str, Any]:
    """Total risk, and risk summed by discipline, storey and rule (sorted by
    name), and the top risks (highest first, then by rule and key)."""
    total = 0.0
    by: dict[str, dict[str, float]] = {"discipline": {}, "storey": {}, "rule": {}}
    scored = []
    for f in findings:
        r = risk_of(f)
        total += r
        for name, value in (("discipline", f.discipline), ("storey", f.storey),
                            ("rule", f.rule)):
            label = value or "-"
            by[name][label] = by[name].get(label, 0.0) + r
        scored.append((r, f))
    scored.sort(key=lambda x: (-x[0], x[1].rule, x[1].key))
    return {
        "total": round(total, 6),
        "by_discipline": {k: round(v, 6) for k, v in sorted(by["discipline"].items())},
        "by_storey": {k: round(v, 6) for k, v in sorted(by["storey"].items())},
        "by_rule": {k: round(v, 6) for k, v in sorted(by["rule"].items())},
        "top": [{"key": f.key, "rule": f.rule, "severity": f.severity, "message": f.message,
                 "risk": round(r, 6)} for r, f in scored[:TOP_RISKS] if r > 0],
    }
