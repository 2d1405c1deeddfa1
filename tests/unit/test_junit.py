"""report.junit.xml of ``bimcheck check`` as a CI system reads it (junitparser):
one test case per rule, failures exactly the findings over the gate (compared
with report.json), each carrying the finding's message and GlobalIds; without
a gate, every finding neither waived nor info; rules that did not run are
skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from junitparser import Error, Failure, JUnitXml, Skipped

from bimcheck.cli.main import cli
from bimcheck.report.junit import junit_xml
from tests.conftest import REPO, SAMPLES

MODEL, PLAN = SAMPLES / "tower_rev_a.ifc", SAMPLES / "tower.lift.yaml"


def _check(out: Path, *args: object, code: int = 0) -> tuple[JUnitXml, dict]:
    r = CliRunner().invoke(cli, ["-q", "check", str(MODEL), "--out", str(out),
                                 *map(str, args)], catch_exceptions=False)
    assert r.exit_code == code, r.output
    return (JUnitXml.fromfile(str(out / "report.junit.xml")),
            json.loads((out / "report.json").read_text()))


@pytest.fixture(scope="module")
def gated(tmp_path_factory):
    """--fail-on high with the lift plan, and one high finding waived."""
    tmp = tmp_path_factory.mktemp("junit")
    _, doc = _check(tmp / "first", "--lift-plan", PLAN, "--fail-on", "high", code=1)
    waived = next(f for f in doc["findings"] if f["severity"] == "high")
    waivers = tmp / "waivers.yaml"
    waivers.write_text(f"waivers:\n  - key: '{waived['key']}'\n    reason: test\n"
                       "    owner: ci\n    expires: 2999-12-31\n")
    xml, doc = _check(tmp / "out", "--lift-plan", PLAN, "--fail-on", "high",
                      "--waivers", waivers, code=1)
    return xml, doc, waived["key"]


@pytest.fixture(scope="module")
def ungated(tmp_path_factory):
    return _check(tmp_path_factory.mktemp("junit") / "out", "--lift-plan", PLAN)


def _cases(xml: JUnitXml) -> list:
    return [case for suite in xml for case in suite]


def _failures(xml: JUnitXml) -> list[tuple[str, Failure]]:
    """(test case name, failure) of every failure."""
    return [(case.name, r) for case in _cases(xml) for r in case.result if isinstance(r, Failure)]


def _expected_message(f: dict) -> str:
    gids = ", ".join(e["global_id"] for e in f["elements"]) or "-"
    return f"{f['message']} [{gids}]"


def test_one_test_case_per_rule(gated):
    xml, doc, _ = gated
    cases = _cases(xml)
    assert sorted(c.name.split(" ", 1)[0] for c in cases) == sorted(r["id"] for r in doc["rules"])
    names = {r["id"]: f"{r['id']} {r['name']}" for r in doc["rules"]}
    families = {r["id"]: r["family"] for r in doc["rules"]}
    for c in cases:
        rule = c.name.split(" ", 1)[0]
        assert c.name == names[rule]
        assert c.classname == f"bimcheck.{families[rule]}"
    assert {s.name for s in xml} == {f"bimcheck.{r['family']}" for r in doc["rules"]}


def test_failures_are_the_findings_at_or_above_high(gated):
    """Exactly the findings of severity critical or high that are not waived."""
    xml, doc, waived = gated
    expected = [f for f in doc["findings"]
                if f["severity"] in ("critical", "high") and f["status"] != "waived"]
    assert waived not in {f["key"] for f in expected}
    assert any(f["key"] == waived and f["status"] == "waived" for f in doc["findings"])
    assert sorted(f["key"] for f in expected) == sorted(doc["gate"]["failing"])
    got = _failures(xml)
    assert len(got) == len(expected) > 0
    remaining = list(got)
    for f in expected:
        rule_case = next(c.name for c in _cases(xml) if c.name.split(" ", 1)[0] == f["rule"])
        match = next(((n, r) for n, r in remaining
                      if n == rule_case and r.message == _expected_message(f)), None)
        assert match is not None, f
        remaining.remove(match)
        _, failure = match
        assert failure.type == f["severity"]
        assert f["message"] in failure.text and f["key"] in failure.text
        for e in f["elements"]:
            assert e["global_id"] in failure.message and e["global_id"] in failure.text
    assert remaining == []


def test_counts_agree_with_the_cases(gated):
    """tests = rules, failures = rules with a failure, no errors, as junitparser counts."""
    xml, doc, _ = gated
    failing_rules = {f["rule"] for f in doc["findings"] if f["key"] in doc["gate"]["failing"]}
    assert xml.tests == len(doc["rules"])
    assert xml.failures == len(failing_rules)
    assert xml.errors == 0 and not xml.skipped
    for suite in xml:
        cases = list(suite)
        assert suite.tests == len(cases)
        assert suite.failures == sum(any(isinstance(r, Failure) for r in c.result)
                                     for c in cases)
        assert not any(isinstance(r, Error) for c in cases for r in c.result)


def test_rules_without_failures_pass(gated):
    xml, doc, _ = gated
    failing_rules = {f["rule"] for f in doc["findings"] if f["key"] in doc["gate"]["failing"]}
    for case in _cases(xml):
        assert case.is_passed == (case.name.split(" ", 1)[0] not in failing_rules)


def test_without_a_gate_every_finding_not_waived_nor_info_fails(ungated):
    """The documented behaviour of report/junit.py when no gate is given."""
    xml, doc = ungated
    assert not (doc["gate"] or {}).get("policy", {}).get("fail_on")
    expected = [f for f in doc["findings"] if f["status"] != "waived" and f["severity"] != "info"]
    assert sorted(r.message for _, r in _failures(xml)) == sorted(
        _expected_message(f) for f in expected)
    assert {r.type for _, r in _failures(xml)} == {f["severity"] for f in expected}
    assert {f["severity"] for f in expected} >= {"critical", "low"}


def test_a_rule_that_did_not_run_is_skipped(tmp_path):
    """Crane rules without --lift-plan do not run: skipped, not passed."""
    xml, doc = _check(tmp_path / "out", "--rules", REPO / "rules" / "crane",
                      "--rules", REPO / "rules" / "default", "--fail-on", "critical", code=1)
    crane = {r["id"] for r in doc["rules"] if r["family"] == "crane"}
    assert crane and not any(f["rule"] in crane for f in doc["findings"])
    for case in _cases(xml):
        if case.name.split(" ", 1)[0] in crane:
            assert case.is_skipped
            (skipped,) = case.result
            assert isinstance(skipped, Skipped) and "--lift-plan" in skipped.message
        else:
            assert not case.is_skipped
    assert xml.skipped == len(crane)


def test_same_report_same_bytes(gated):
    _, doc, _ = gated
    assert junit_xml(doc) == junit_xml(json.loads(json.dumps(doc)))
    assert b"timestamp" not in junit_xml(doc) and b"hostname" not in junit_xml(doc)


def test_control_characters_in_a_family_or_severity_are_dropped():
    """A pack's family and a finding's severity are written into attributes:
    characters XML forbids are removed there too, so the file still parses."""
    from xml.etree import ElementTree as ET

    doc = {"rules": [{"id": "X1", "name": "odd", "family": "fam\x01ily", "doc": {}}],
           "findings": [{"key": "k" * 32, "rule": "X1", "severity": "hi\x02gh",
                         "message": "m", "status": "open", "elements": []}],
           "gate": {}}
    root = ET.fromstring(junit_xml(doc))
    assert root.find("testsuite").get("name") == "bimcheck.family"
    assert root.find("testsuite/testcase/failure").get("type") == "high"
