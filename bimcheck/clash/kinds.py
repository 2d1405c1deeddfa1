"""The clash kinds (``hard``, ``clearance``, ``duplicate``) as the check engine
runs them: :func:`~bimcheck.clash.run.select_clash` picks their elements, and
:func:`run_clash_rules` turns each :class:`~bimcheck.clash.records.Clash` into a
:class:`~bimcheck.findings.Finding` with the same key.

Measures: ``overlap_volume`` (m³), ``penetration_depth`` (m), ``distance``
(m), and for clearance rules ``clearance_shortfall`` (m): required gap minus
the gap found.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from bimcheck.clash.records import Clash
from bimcheck.clash.run import check_clash
from bimcheck.findings import ElementRef, Finding, Quantity
from bimcheck.packs.schema import Rule


def _label(e: ElementRef) -> str:
    return f"{e.ifc_class} {e.name!r}" if e.name else f"{e.ifc_class} {e.global_id}"


def clash_message(c: Clash, rule: Rule) -> str:
    """One line saying what the clash is, with its magnitude."""
    f = c.found
    pair = f"{_label(c.a)} and {_label(c.b)}"
    if c.kind == "clearance":
        need = float(rule.params["clearance"])
        return f"{pair} are {f.distance:.3f} m apart; {need:g} m clearance required"
    if c.kind == "duplicate":
        return f"{pair} are duplicates (same geometry)"
    if f.relation == "touching":
        return f"{pair} touch"
    if f.overlap_volume is None:
        return f"{pair} intersect (surface test: a mesh is not a closed solid)"
    return (f"{pair} share {f.overlap_volume:.4f} m³, {f.penetration_depth or 0.0:.3f} m deep")


def clash_finding(c: Clash, rule: Rule) -> Finding:
    """The finding of one clash (its key is the clash's key)."""
    f = c.found
    measures = {"distance": Quantity(f.distance, "m")}
    if f.overlap_volume is not None:
        measures["overlap_volume"] = Quantity(f.overlap_volume, "m3")
    if f.penetration_depth is not None:
        measures["penetration_depth"] = Quantity(f.penetration_depth, "m")
    if c.kind == "clearance":
        measures["clearance_shortfall"] = Quantity(
            max(0.0, float(rule.params["clearance"]) - f.distance), "m")
    detail = {"relation": f.relation, "exact": f.exact, "group": c.group,
              "clash_storey": c.storey}
    refs = tuple(sorted((c.a, c.b), key=lambda e: (e.global_id, e.model)))
    return Finding(
        key=c.key, rule=c.rule, kind=c.kind, family="clash", severity=c.severity,
        message=clash_message(c, rule), elements=refs,
        location=tuple(float(v) for v in f.location),  # type: ignore[arg-type]
        measures=measures, detail=detail, at_storey=c.storey,
    )


def run_clash_rules(ctx: Any, rules: Sequence[Rule]) -> Any:
    """Run the clash rules on the context; findings, coverage and the groups."""
    from bimcheck.run import KindResult

    report = check_clash(ctx, rules)
    by_id = {r.id: r for r in rules}
    findings = [clash_finding(c, by_id[c.rule]) for c in report.clashes]
    tests = Counter(report.tests.values())
    coverage = {}
    for cov in report.rule_coverage:
        d = cov.as_dict()
        d["findings"] = d.pop("clashes")
        d["checked"] = cov.a_meshed + cov.b_meshed
        coverage[cov.rule] = d
    section = {
        "groups": [g.as_dict() for g in report.groups],
        "tests": {k: tests.get(k, 0) for k in ("exact", "triangles", "untested")},
        "failed": [f.as_dict() for f in report.failed],
        "without_geometry": report.without_geometry,
    }
    return KindResult(findings=findings, coverage=coverage, sections={"clash": section},
                      warnings=list(report.warnings))
