"""JUnit XML of a check report (the dict of ``bimcheck check``), as CI systems
read it: one ``testsuite`` per rule family, one ``testcase`` per rule, and a
``failure`` per finding over the gate, carrying its message and GlobalIds.

With an active gate (``--fail-on`` or ``--gate``), the findings the gate
failed on are the failures; without one, every finding that is neither
waived nor ``info`` is. A rule that did not run (a crane rule without
``--lift-plan``: no coverage in the report) is ``skipped``, with the
report's warning as its message, rather than passing unseen. The
``failures`` and ``skipped`` counts are of test cases (rules), so they never
exceed ``tests``; ``skipped`` is written only when some are. Deterministic:
no timestamps, no host name.
"""

from __future__ import annotations

import re
from typing import Any

from bimcheck.report.bcf import xml_safe
from bimcheck.report.gatedoc import gate_active
from bimcheck.report.xmlout import Element, sub, to_string


def _failing(doc: dict[str, Any]) -> set[str]:
    gate = doc.get("gate") or {}
    if gate_active(gate):
        return set(gate.get("failing", []))
    return {f["key"] for f in doc["findings"]
            if f["status"] != "waived" and f["severity"] != "info"}


def _not_run(doc: dict[str, Any]) -> dict[str, str]:
    """Rule id → why it did not run, for the rules without coverage (every
    kind that runs a rule reports at least how many elements it checked). A
    document without a coverage section says nothing of it: every rule ran."""
    if not (doc.get("coverage") or {}).get("rules"):
        return {}
    covered = {c["rule"] for c in (doc.get("coverage") or {}).get("rules", [])
               if set(c) - {"rule"}}
    warnings = (doc.get("coverage") or {}).get("warnings", [])
    out = {}
    for rule in doc["rules"]:
        if rule["id"] in covered:
            continue
        out[rule["id"]] = next(
            (w for w in warnings
             if rule["id"] in re.split(r"[ ,]+", w.split(":", 1)[0].removeprefix("rule(s)"))),
            "not run")
    return out


def junit_xml(doc: dict[str, Any]) -> bytes:
    """The JUnit XML document (UTF-8 bytes)."""
    failing = _failing(doc)
    not_run = _not_run(doc)
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for f in doc["findings"]:
        by_rule.setdefault(f["rule"], []).append(f)
    families: dict[str, list[dict[str, Any]]] = {}
    for rule in doc["rules"]:
        families.setdefault(rule.get("family") or "other", []).append(rule)
    root = Element("testsuites", {"name": "bimcheck"})
    total_tests = total_failures = total_skipped = 0
    for family in sorted(families):
        rules = families[family]
        suite = sub(root, "testsuite", {"name": xml_safe(f"bimcheck.{family}")})
        n_fail = n_skipped = 0
        for rule in rules:
            case = sub(suite, "testcase", {"classname": xml_safe(f"bimcheck.{family}"),
                                           "name": xml_safe(f"{rule['id']} {rule['name']}"),
                                           "time": "0"})
            if rule["id"] in not_run:
                sub(case, "skipped", {"message": xml_safe(not_run[rule["id"]])})
                n_skipped += 1
                continue
            found = by_rule.get(rule["id"], [])
            bad = [f for f in found if f["key"] in failing]
            for f in bad:
                gids = ", ".join(e["global_id"] for e in f["elements"]) or "-"
                failure = sub(case, "failure", {"type": xml_safe(f["severity"]),
                                                "message": xml_safe(f"{f['message']} [{gids}]")})
                failure.text = xml_safe(
                    f"{rule['id']} {f['severity']}: {f['message']}\nGlobalIds: {gids}\n"
                    f"key: {f['key']}\nstorey: {f.get('storey') or '-'}\n"
                    f"fix: {rule.get('doc', {}).get('fix', '')}")
            if bad:
                n_fail += 1
            others = len(found) - len(bad)
            if others:
                sub(case, "system-out").text = (
                    f"{others} finding(s) below the gate or waived")
        suite.set("tests", str(len(rules)))
        suite.set("failures", str(n_fail))
        suite.set("errors", "0")
        if n_skipped:  # only when there are some: reports without skips keep their bytes
            suite.set("skipped", str(n_skipped))
        total_tests += len(rules)
        total_failures += n_fail
        total_skipped += n_skipped
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    if total_skipped:
        root.set("skipped", str(total_skipped))
    # As ElementTree.tostring(encoding="utf-8", xml_declaration=True) writes it.
    return ("<?xml version='1.0' encoding='utf-8'?>\n" + to_string(root) + "\n").encode(
        "utf-8", "xmlcharrefreplace")
