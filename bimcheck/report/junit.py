"""JUnit XML of a check report (the dict of ``bimcheck check``), as CI systems
read it: one ``testsuite`` per rule family, one ``testcase`` per rule, and a
``failure`` per finding over the gate, carrying its message and GlobalIds.

With an active gate (``--fail-on`` or ``--gate``), the findings the gate
failed on are the failures; without one, every finding that is neither
waived nor ``info`` is. Deterministic: no timestamps, no host name.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from bimcheck.report.bcf import xml_safe


def _failing(doc: dict[str, Any]) -> set[str]:
    gate = doc.get("gate") or {}
    policy = gate.get("policy") or {}
    if policy.get("fail_on") or policy.get("max_per_rule"):
        return set(gate.get("failing", []))
    return {f["key"] for f in doc["findings"]
            if f["status"] != "waived" and f["severity"] != "info"}


def junit_xml(doc: dict[str, Any]) -> bytes:
    """The JUnit XML document (UTF-8 bytes)."""
    failing = _failing(doc)
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for f in doc["findings"]:
        by_rule.setdefault(f["rule"], []).append(f)
    families: dict[str, list[dict[str, Any]]] = {}
    for rule in doc["rules"]:
        families.setdefault(rule.get("family") or "other", []).append(rule)
    root = ET.Element("testsuites", name="bimcheck")
    total_tests = total_failures = 0
    for family in sorted(families):
        rules = families[family]
        suite = ET.SubElement(root, "testsuite", name=f"bimcheck.{family}")
        n_fail = 0
        for rule in rules:
            case = ET.SubElement(suite, "testcase", classname=f"bimcheck.{family}",
                                 name=xml_safe(f"{rule['id']} {rule['name']}"), time="0")
            found = by_rule.get(rule["id"], [])
            bad = [f for f in found if f["key"] in failing]
            for f in bad:
                gids = ", ".join(e["global_id"] for e in f["elements"]) or "-"
                failure = ET.SubElement(case, "failure", type=f["severity"],
                                        message=xml_safe(f"{f['message']} [{gids}]"))
                failure.text = xml_safe(
                    f"{rule['id']} {f['severity']}: {f['message']}\nGlobalIds: {gids}\n"
                    f"key: {f['key']}\nstorey: {f.get('storey') or '-'}\n"
                    f"fix: {rule.get('doc', {}).get('fix', '')}")
            if bad:
                n_fail += 1
            others = len(found) - len(bad)
            if others:
                ET.SubElement(case, "system-out").text = (
                    f"{others} finding(s) below the gate or waived")
        suite.set("tests", str(len(rules)))
        suite.set("failures", str(n_fail))
        suite.set("errors", "0")
        total_tests += len(rules)
        total_failures += n_fail
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
