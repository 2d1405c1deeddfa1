"""The risk report page (bimcheck.report.checkhtml) from report.json documents
built by hand: escaping of hostile text everywhere, determinism, the summary's
numbers, markers where the findings are, the gate's states."""

from __future__ import annotations

import base64
import copy
import hashlib
import html
import json
import re
from typing import Any

import pytest

from bimcheck.report.checkhtml import check_html, gate_state, script_json
from bimcheck.report.checkhtml_svg import crane_drawing, finding_storey, locate_findings
from tests.conftest import REPO

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
CLOSE = "</script><script>alert(1)</script>"
HOSTILE = (SCRIPT, IMG, CLOSE)


def element(gid: str, name: str, storey: str | None, discipline: str = "architecture",
            ifc_class: str = "IfcWall") -> dict[str, Any]:
    return {"global_id": gid, "ifc_class": ifc_class, "name": name, "storey": storey,
            "discipline": discipline, "model": "m.ifc"}


def finding(key: str, rule: str, severity: str, message: str, elements: list[dict[str, Any]],
            location: list[float] | None = None, family: str = "property",
            detail: dict[str, Any] | None = None, risk: float = 1.0) -> dict[str, Any]:
    return {"key": key, "rule": rule, "kind": "hard" if family == "clash" else "property",
            "family": family, "severity": severity, "message": message, "elements": elements,
            "location": location, "measures": {}, "detail": detail or {}, "status": "open",
            "storey": next((x["storey"] for x in elements if x["storey"]), None),
            "discipline": elements[0]["discipline"] if elements else None, "risk": risk}


def square(x: float, y: float, size: float = 1.0) -> list[list[float]]:
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size]]


@pytest.fixture()
def doc() -> dict[str, Any]:
    """A report.json with markup in every text that a model, pack or plan gives."""
    k = [f"{i:032x}" for i in range(1, 6)]
    findings = [
        finding(k[0], "CL001", "critical", f"{SCRIPT} and {IMG} share 0.1 m³",
                [element("A" * 22, SCRIPT, "L0"), element("B" * 22, IMG, "L0", "structure")],
                [2.0, 2.0, 1.0], "clash", {"clash_storey": "L1", "group": CLOSE}, 25.0),
        finding(k[1], "PR\u2028<marquee>", "low", f"missing \u2028{CLOSE}",
                [element("C" * 22, CLOSE, "L0")], None),
        finding(k[2], "PR001", "medium", "fire rating", [element("D" * 22, "W", "L0")],
                [5.0, 5.0, 0.0]),
        finding(k[3], "CR001", "high", f"lift {SCRIPT} overloaded", [], [30.0, 0.0, 0.0],
                "crane", {"lift": SCRIPT}, 15.0),
        finding(k[4], "PR001", "medium", "outside", [element("E" * 22, "W2", None)],
                [1.0, 1.0, 0.0]),
    ]
    return {
        "header": {"tool": {"name": "bimcheck", "version": "0.1.0", "command": "check"},
                   "models": [{"path": f"{SCRIPT}.ifc", "digest": "0" * 40, "schema": "IFC4",
                               "length_unit": "m"}],
                   "packs": [{"name": IMG, "path": "p.yaml", "digest": "1" * 40,
                              "rules": []}],
                   "options": {"lift_plan": f"{IMG}.yaml", "baseline": None}},
        "rules": [{"id": "CL001", "name": SCRIPT, "kind": "hard", "family": "clash",
                   "severity": "critical", "doc": {"what": IMG, "why": CLOSE, "fix": SCRIPT}},
                  {"id": "PR001", "name": "fire", "kind": "property", "family": "property",
                   "severity": "medium", "doc": {"what": "w", "why": "y", "fix": "f"}}],
        "findings": findings,
        "quantities": [],
        "coverage": {"rules": [{"rule": "CL001", "checked": 4, "findings": 1, "note": IMG},
                               {"rule": "PR001"}],
                     "geometry": [{"model": SCRIPT, "requested": 10, "meshed": 8,
                                   "without_body": 1, "failed": 1}],
                     "warnings": [f"rule {SCRIPT}: warned", f"rule {SCRIPT}: warned"]},
        "summary": {"findings": 5,
                    "by_severity": {"critical": 1, "high": 1, "medium": 2, "low": 1, "info": 0},
                    "by_discipline": {"-": 1, "architecture": 4},
                    "by_family": {"clash": 1, "crane": 1, "property": 3},
                    "by_rule": {"CL001": 1, "CR001": 1, "PR001": 2, "PR\u2028<marquee>": 1},
                    "by_storey": {"-": 2, "L0": 3}, "by_status": {"open": 5},
                    "risk": {"total": 44.0, "by_discipline": {IMG: 25.0, "-": 15.0},
                             "by_storey": {SCRIPT: 40.0}, "by_rule": {"CL001": 25.0},
                             "top": [{"key": k[0], "rule": "CL001", "severity": "critical",
                                      "message": f"{SCRIPT}{IMG}", "risk": 25.0}]}},
        "sections": {"crane": {
            "model": {"path": "m.ifc"}, "plan": {"path": IMG, "clearance": 0.5},
            "counts": {"ok": 0, "warning": 0, "fail": 1}, "failed": [SCRIPT],
            "crane_pairs": [{"a": SCRIPT, "b": IMG, "overlap_area": 3.0,
                             "vertical_separation": 1.0, "conflict": True}],
            "lifts": [{"id": SCRIPT, "crane": IMG, "result": "fail", "problems": [CLOSE],
                       "zones": [{"zone": IMG}], "power_lines": [{"id": SCRIPT, "ok": False}],
                       "min_clearance_element": CLOSE, "path": [[0, 0, 0], [30, 0, 2]],
                       "collisions": [{"position": [10, 0, 1], "ifc_class": SCRIPT,
                                       "global_id": IMG}]}]}},
        "gate": {"passed": False, "verdict": "fail",
                 "policy": {"fail_on": "high", "max_per_rule": {SCRIPT: 1}, "new_only": False},
                 "reasons": [f"{SCRIPT} failed"], "failing": [k[0]], "counted": 5,
                 "waived": [k[2]], "baseline": False, "new": 0, "existing": 0,
                 "expired_waivers": [{"key": k[0], "reason": IMG, "owner": SCRIPT,
                                      "expires": "2020-01-01"}],
                 "stale_waivers": [{"key": "f" * 32, "reason": CLOSE, "owner": IMG,
                                    "expires": "2030-01-01"}]},
        "views": [
            {"model": "m.ifc", "storey": "L0", "elevation": 0.0, "bounds": [0, 0, 10, 10],
             "footprints": [{"global_id": SCRIPT, "ifc_class": IMG, "outline": square(0, 0)}],
             "omitted": 0},
            {"model": "m.ifc", "storey": "L1", "elevation": 3.0, "bounds": [0, 0, 10, 10],
             "footprints": [{"global_id": "F" * 22, "ifc_class": "IfcSlab",
                             "outline": square(0, 0, 10)}], "omitted": 0},
            {"model": "m.ifc", "storey": "-", "elevation": None, "bounds": [0, 0, 40, 10],
             "footprints": [{"global_id": "G" * 22, "ifc_class": "IfcWall",
                             "outline": square(0, 0, 2)}], "omitted": 0},
        ],
        "trend": [],
    }


def test_hostile_text_is_escaped_everywhere(doc: dict[str, Any]) -> None:
    page = check_html(doc)
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert "<img" not in page and "<marquee" not in page
    assert 'onerror="' not in page
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in page
    # in attributes too (rule doc in a title, footprint ids, data attributes)
    assert 'data-rule="PR\u2028&lt;marquee&gt;"' in page
    assert "CL001 critical: &lt;script&gt;" in page  # a marker's title


def test_embedded_json_cannot_close_its_script(doc: dict[str, Any]) -> None:
    page = check_html(doc)
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page,
                  re.S)
    assert m
    text = m.group(1)
    for char in ("<", ">", "&", "\u2028", "\u2029"):
        assert char not in text
    data = json.loads(text)
    assert data["summary"] == doc["summary"]
    assert data["severities"] == ["critical", "high", "medium", "low", "info"]
    assert script_json({"a": "</script>\u2029&"}) == (
        '{"a":"\\u003c/script\\u003e\\u2029\\u0026"}')


def test_only_the_page_s_own_script_may_run(doc: dict[str, Any]) -> None:
    page = check_html(doc)
    script = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(script) == 1
    digest = base64.b64encode(hashlib.sha256(script[0].encode()).digest()).decode()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    assert f"script-src &#x27;sha256-{digest}&#x27;" in csp
    assert "default-src &#x27;none&#x27;" in csp


def test_same_doc_same_bytes(doc: dict[str, Any]) -> None:
    assert check_html(doc) == check_html(copy.deepcopy(doc))
    committed = json.loads((REPO / "reports" / "tower_rev_a" / "report.json").read_text())
    assert check_html(committed) == check_html(copy.deepcopy(committed))


def test_summary_numbers_are_the_doc_s(doc: dict[str, Any]) -> None:
    page = check_html(doc)

    def number(element_id: str) -> str:
        return re.search(rf'id="{element_id}">([^<]*)<', page).group(1)

    assert number("sum-total") == "5"
    for severity, n in doc["summary"]["by_severity"].items():
        assert number(f"sum-{severity}") == str(n)
    assert number("shown-count") == number("total-count") == "5"
    assert page.count('<tr id="f-') == 5
    assert (number("cov-meshed"), number("cov-without-body"), number("cov-rules")) == (
        "8", "1", "1")
    assert 'id="cov-not-run">1 not run' in page


def test_markers_where_the_findings_are(doc: dict[str, Any]) -> None:
    page = check_html(doc)
    keys = [f["key"] for f in doc["findings"]]
    # the clash is drawn on its clash storey L1, not on its elements' L0
    assert finding_storey(doc["findings"][0]) == "L1"
    located = locate_findings(doc)
    assert {i: [n for n, _ in v] for i, v in located.items()} == {0: [3], 1: [1], 2: [4, 5]}
    plans = re.split(r'<div class="planbox"', page)[1:]
    assert f'id="m-{keys[0]}"' in plans[1] and f'id="m-{keys[2]}"' in plans[0]
    assert f'id="m-{keys[4]}"' in plans[2] and f'id="m-{keys[3]}"' in plans[2]
    assert f'id="m-{keys[1]}"' not in page  # no location, no marker
    assert f'id="mc-{keys[3]}"' in page  # the crane finding on the crane plan too
    # each marked row links to its marker; every row has its data attributes
    assert f'href="#m-{keys[0]}" data-marker="{keys[0]}"' in page
    row = re.search(rf'<tr id="f-{keys[3]}"[^>]*>', page).group(0)
    assert 'data-severity="high"' in row and 'data-discipline="-"' in row
    assert 'data-rule="CR001"' in row and 'data-n="4"' in row


def test_gate_states(doc: dict[str, Any]) -> None:
    assert gate_state(doc["gate"]) == "fail"
    assert 'data-verdict="fail"' in check_html(doc)
    assert 'class="failing"' in check_html(doc)
    doc["gate"]["passed"] = True
    assert gate_state(doc["gate"]) == "pass"
    doc["gate"]["policy"] = {"fail_on": None, "max_per_rule": {}, "new_only": False}
    assert gate_state(doc["gate"]) == "nogate"
    doc["gate"] = None
    page = check_html(doc)
    assert 'data-verdict="nogate"' in page and "No gate was evaluated" in page


def test_gate_section_lists_reasons_and_waivers(doc: dict[str, Any]) -> None:
    page = check_html(doc)
    gate = page[page.index('<section id="gate">'):]
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt; failed" in gate
    assert 'id="gate-expired"' in gate and "2020-01-01" in gate
    assert 'id="gate-stale"' in gate and "f" * 32 in gate
    assert f'data-row="{doc["findings"][2]["key"]}"' in gate  # the waived finding


def test_crane_section_from_the_report_data(doc: dict[str, Any]) -> None:
    drawing = crane_drawing(doc["sections"]["crane"], doc["views"])
    assert drawing["derived"] and drawing["footprint"] and drawing["elevation"]
    assert drawing["lifts"][0]["trace"] == [[0, 0, 0], [30, 0, 2]]
    assert drawing["lifts"][0]["conflict"]["position"] == [10, 0, 1]
    page = check_html(doc)
    crane = page[page.index('<section id="crane">'):page.index('<section id="gate">')]
    assert crane.count("<svg") == 2 and "result-fail" in crane
    doc["sections"] = {}
    assert '<section id="crane">' not in check_html(doc)


def test_crane_section_draws_the_report_s_drawing_with_legend_north_and_names(
        doc: dict[str, Any]) -> None:
    crane = doc["sections"]["crane"]
    crane["lifts"][0]["min_clearance_element"] = "A" * 22
    crane["drawing"] = {
        "footprint": [[square(0, 0, 10)]], "elevation": [[square(0, 0, 10)]],
        "lifts": [{"id": SCRIPT, "result": "fail", "trace": [[0, 0, 0], [30, 0, 2]],
                   "conflict": {"position": [10, 0, 1], "label": f"IfcWall '{SCRIPT}'"}}],
        "north": {"direction": [1.0, 0.0], "true": True},
        "names": {"A" * 22: f"IfcWall '{IMG}' ({'A' * 22})"}}
    page = check_html(doc)
    section = page[page.index('<section id="crane">'):page.index('<section id="gate">')]
    assert 'data-view="plan"' in section and 'data-view="elevation"' in section
    assert section.count('<g class="scalebar">') == 2
    assert "rotate(90.00)" in section and "N: true north" in section
    assert f"<td>IfcWall &#x27;{html.escape(IMG)}&#x27; ({'A' * 22})</td>" in section
    assert "<script>" not in section and "<img" not in section


def test_trend_and_empty_report(doc: dict[str, Any]) -> None:
    assert 'id="trend-empty"' in check_html(doc)
    doc["trend"] = [{"label": SCRIPT, "findings": 9}, {"findings": 7}]
    page = check_html(doc)
    assert 'id="trend-empty"' not in page and 'class="trend"' in page
    empty = {"header": {}, "rules": [], "findings": [], "coverage": {}, "summary": {},
             "sections": {}, "gate": None, "views": [], "trend": []}
    page = check_html(empty)
    assert "No plan views" in page and "No findings." in page


def test_markers_spread_without_covering_each_other():
    """Markers moved aside never cover each other (unless no ring spot is
    free, when a marker stays on its point), checked pair by pair."""
    import random

    from bimcheck.report.checkhtml_svg import _spread

    rnd = random.Random(7)
    points = [(rnd.uniform(0, 40), rnd.uniform(0, 25)) for _ in range(600)]
    radius = 0.8
    spots = _spread(points, radius)
    limit = (2 * radius) ** 2 * 0.98
    for n, (sx, sy) in enumerate(spots):
        if (sx, sy) == points[n]:
            continue  # at its own point (free there, or nowhere free)
        assert all((sx - px) ** 2 + (sy - py) ** 2 >= limit for px, py in spots[:n])
