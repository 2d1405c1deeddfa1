"""The report of one clash run (see docs/clash.md).

Kept apart from the engine (:mod:`bimcheck.clash.run`): a report served from
the result cache is rebuilt and rendered without importing IfcOpenShell or
the geometry kernels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bimcheck._version import __version__
from bimcheck.clash.records import Clash, Group, RuleCoverage
from bimcheck.geometry.records import Failure
from bimcheck.packs.schema import SEVERITIES, Rule, severity_rank


@dataclass
class ClashReport:
    """Everything one clash run found and looked at (see docs/clash.md)."""

    models: list[dict]
    rules: list[Rule]
    clashes: list[Clash]
    groups: list[Group]
    rule_coverage: list[RuleCoverage]
    tests: dict[str, str]
    without_geometry: list[dict]
    failed: list[Failure]
    warnings: list[str]
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict:
        by_rule: dict[str, int] = {}
        by_severity: dict[str, int] = {}
        for c in self.clashes:
            by_rule[c.rule] = by_rule.get(c.rule, 0) + 1
            by_severity[c.severity] = by_severity.get(c.severity, 0) + 1
        return {
            "clashes": len(self.clashes), "groups": len(self.groups),
            "by_rule": dict(sorted(by_rule.items())),
            "by_severity": {s: by_severity[s] for s in SEVERITIES if s in by_severity},
        }

    def worst_severity(self) -> str | None:
        """The most severe severity among the clashes, or None without clashes."""
        return min((c.severity for c in self.clashes), key=severity_rank, default=None)

    def as_dict(self, *, timings: bool = False) -> dict:
        """The JSON document; deterministic unless ``timings`` is set."""
        doc = {
            "tool": {"name": "bimcheck", "version": __version__, "command": "clash"},
            "models": self.models,
            "rules": [r.as_dict() for r in self.rules],
            "clashes": [c.as_dict() for c in self.clashes],
            "groups": [g.as_dict() for g in self.groups],
            "coverage": {
                "tests": dict(sorted(self.tests.items())),
                "without_geometry": self.without_geometry,
                "failed": [f.as_dict() for f in self.failed],
                "rules": [r.as_dict() for r in self.rule_coverage],
                "warnings": self.warnings,
            },
            "summary": self.summary(),
        }
        if timings:
            doc["timings"] = dict(sorted(self.timings.items()))
        return doc
