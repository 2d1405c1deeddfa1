"""The risk score of docs/risk.md, worked by hand."""

from __future__ import annotations

import pytest

from bimcheck.findings import ElementRef, Finding, Quantity
from bimcheck.risk import risk_of, risk_summary


def finding(severity: str, key: str = "k", rule: str = "R", discipline: str = "hvac",
            **measures: float) -> Finding:
    ref = ElementRef("g" + key, "IfcWall", None, "Level 1", discipline, "m.ifc")
    return Finding(key=key, rule=rule, kind="hard", family="clash", severity=severity,
                   message="m", elements=(ref,),
                   measures={k: Quantity(v, "m") for k, v in measures.items()})


@pytest.mark.parametrize(("severity", "measures", "expected"), [
    ("critical", {"overlap_volume": 0.015, "penetration_depth": 0.15}, 25.0),
    ("high", {"overlap_volume": 0.002, "penetration_depth": 0.10}, 10.0),
    ("critical", {"utilization": 1.3125}, 30.0),     # term 2.25, capped at 2
    ("critical", {"utilization": 0.70}, 10.0),       # below 0.75: no term
    ("medium", {}, 2.0),
    ("low", {"clearance_shortfall": 0.025}, 1.5),
    ("high", {"deviation": -0.05}, 7.5),             # |deviation| counts
    ("info", {"overlap_volume": 1.0}, 0.0),
])
def test_risk_of(severity, measures, expected):
    assert risk_of(finding(severity, **measures)) == pytest.approx(expected)


def test_summary_sums_by_discipline_storey_and_rule():
    fs = [finding("critical", "a", "R1", "hvac", penetration_depth=0.3),
          finding("low", "b", "R2", "structure"), finding("medium", "c", "R1", "hvac")]
    s = risk_summary(fs)
    assert s["total"] == pytest.approx(30 + 1 + 2)
    assert s["by_discipline"] == {"hvac": 32.0, "structure": 1.0}
    assert s["by_rule"] == {"R1": 32.0, "R2": 1.0}
    assert s["by_storey"] == {"Level 1": 33.0}
    assert [t["key"] for t in s["top"]] == ["a", "c", "b"]
