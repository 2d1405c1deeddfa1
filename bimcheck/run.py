"""Running rules of every kind in one run: :func:`run_checks` → :class:`CheckReport`.

``run_checks(ctx, rules)`` groups the rules by kind (registry order), asks
every kind which elements it needs meshes of (so one tessellation pass
serves them all), then runs each kind on its rules. Every kind returns a
:class:`KindResult`: findings (:class:`~bimcheck.findings.Finding`),
quantity rows, per-rule coverage, named sections (the crane's lifts, the
clash groups) and warnings. The report's :meth:`CheckReport.as_dict` is the
deterministic ``report.json`` of ``bimcheck check`` (docs/check.md).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bimcheck._version import __version__
from bimcheck.context import RunContext
from bimcheck.errors import NoGeometryError
from bimcheck.findings import Finding
from bimcheck.packs.registry import load_kinds, resolve
from bimcheck.packs.schema import SEVERITIES, Rule, severity_rank
from bimcheck.risk import risk_of, risk_summary

log = logging.getLogger(__name__)


@dataclass
class KindResult:
    """What a kind's run returns: findings, quantity rows (plain dicts),
    coverage per rule id (plain dicts), named report sections and warnings."""

    findings: list[Finding] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    coverage: dict[str, dict[str, Any]] = field(default_factory=dict)
    sections: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def model_header(ctx: RunContext) -> list[dict[str, Any]]:
    """The models of a run as every JSON header names them."""
    return [{"path": m.path.name, "digest": m.content_digest, "schema": m.schema_identifier,
             "length_unit": m.length_unit} for m in ctx.models]


def header(ctx: RunContext, command: str, packs: Sequence[Any] = ()) -> dict[str, Any]:
    """The header every JSON document starts with: tool and version, models
    (file digest, schema, length unit), packs (digests) and options."""
    return {
        "tool": {"name": "bimcheck", "version": __version__, "command": command},
        "models": model_header(ctx),
        "packs": [p.header() for p in packs],
        "options": dict(sorted(ctx.options.items())),
    }


@dataclass
class CheckReport:
    """Everything one check run found, measured and looked at."""

    header: dict[str, Any]
    rules: list[Rule]
    findings: list[Finding]
    rows: list[dict[str, Any]]
    coverage: dict[str, dict[str, Any]]
    geometry: list[dict[str, Any]]
    sections: dict[str, Any]
    warnings: list[str]
    timings: dict[str, float] = field(default_factory=dict)
    #: Set by :func:`bimcheck.gate.gate`: the verdict as plain data.
    gate: dict[str, Any] | None = None
    #: Plan views per storey (:func:`bimcheck.views.plan_views`).
    views: list[dict[str, Any]] = field(default_factory=list)
    #: The previous runs' totals, oldest first (the run history fills it in).
    trend: list[dict[str, Any]] = field(default_factory=list)
    #: The run history's section (statuses against the previous run, findings
    #: gone since, review states; :mod:`bimcheck.store`), or ``None``.
    history: dict[str, Any] | None = None

    def counts(self) -> dict[str, Any]:
        """Findings by severity, family, rule, discipline and storey."""
        def count(values: list[str | None]) -> dict[str, int]:
            c = Counter(v or "-" for v in values)
            return dict(sorted(c.items()))

        by_severity = Counter(f.severity for f in self.findings)
        return {
            "findings": len(self.findings),
            "by_severity": {s: by_severity.get(s, 0) for s in SEVERITIES},
            "by_family": count([f.family for f in self.findings]),
            "by_rule": count([f.rule for f in self.findings]),
            "by_discipline": count([f.discipline for f in self.findings]),
            "by_storey": count([f.storey for f in self.findings]),
            "by_status": count([f.status for f in self.findings]),
        }

    def worst_severity(self) -> str | None:
        return min((f.severity for f in self.findings), key=severity_rank, default=None)

    def with_statuses(self, statuses: dict[str, str]) -> CheckReport:
        """A copy whose findings carry ``statuses[key]`` (others unchanged)."""
        findings = [replace(f, status=statuses.get(f.key, f.status)) for f in self.findings]
        return replace(self, findings=findings)

    def as_dict(self, *, timings: bool = False) -> dict[str, Any]:
        """The JSON document (deterministic unless ``timings``)."""
        findings = []
        for f in self.findings:
            d = f.as_dict()
            d["risk"] = round(risk_of(f), 6)
            findings.append(d)
        doc = {
            "header": self.header,
            "rules": [{**r.as_dict(), "family": r.family, "doc": dict(r.doc)} for r in self.rules],
            "findings": findings,
            "quantities": self.rows,
            "coverage": {
                "rules": [self.coverage.get(r.id, {"rule": r.id}) for r in self.rules],
                "geometry": self.geometry,
                "warnings": self.warnings,
            },
            "summary": {**self.counts(), "risk": risk_summary(self.findings)},
            "sections": self.sections,
            "gate": self.gate,
            "views": self.views,
            "trend": self.trend,
            "history": self.history,
        }
        if timings:
            doc["timings"] = dict(sorted(self.timings.items()))
        return doc


def _by_kind(rules: Sequence[Rule]) -> list[tuple[Any, list[Rule]]]:
    """The rules grouped by the run function of their kind, in registry order:
    kinds that share a run function (the three clash kinds, the six health
    kinds...) run together, once, as one family pass."""
    registry = load_kinds()
    order = list(registry.kinds)
    groups: dict[Any, tuple[Any, list[Rule]]] = {}
    for rule in sorted(rules, key=lambda r: order.index(r.kind)):
        kind = registry.kinds[rule.kind]
        key = (kind.run, kind.select)
        if key not in groups:
            groups[key] = (kind, [])
        groups[key][1].append(rule)
    return list(groups.values())


def run_checks(ctx: RunContext, rules: Sequence[Rule], *, packs: Sequence[Any] = (),
               command: str = "check") -> CheckReport:
    """Run every rule on the context's models; see the module docstring.

    Rules whose kind needs a lift plan are skipped with a warning when the
    context has none."""
    t_start = time.monotonic()
    warnings: list[str] = []
    groups = []
    for kind, kind_rules in _by_kind(rules):
        if "lift_plan" in kind.needs and ctx.lift_plan is None:
            warnings.append(f"rule(s) {', '.join(r.id for r in kind_rules)}: kind(s) "
                            f"{', '.join(sorted({r.kind for r in kind_rules}))} need a lift "
                            "plan (--lift-plan); not run")
            continue
        groups.append((kind, kind_rules))
    registry = load_kinds()
    geometric = [r.id for _, rs in groups for r in rs
                 if {"meshes", "gross"} & registry.kinds[r.kind].needs]
    if geometric:
        for model in ctx.models:
            if not model.has_geometry:
                raise NoGeometryError(
                    f"the model has no elements with geometry, which rule(s) "
                    f"{', '.join(geometric[:5])}{' ...' if len(geometric) > 5 else ''} need; "
                    "run rules that need none (IDS, property rules) with --rules",
                    path=model.path)
    t0 = time.monotonic()
    for kind, kind_rules in groups:
        select = resolve(kind.select)
        if select is not None:
            select(ctx, kind_rules)
    ctx.timings["select"] = time.monotonic() - t0
    findings: list[Finding] = []
    rows: list[dict[str, Any]] = []
    coverage: dict[str, dict[str, Any]] = {}
    sections: dict[str, Any] = {}
    for kind, kind_rules in groups:
        run = resolve(kind.run)
        if run is None:
            raise TypeError(f"kind {kind.name} has no run function")
        t0 = time.monotonic()
        result: KindResult = run(ctx, kind_rules)
        ran = "+".join(sorted({r.kind for r in kind_rules}))
        ctx.timings[f"kinds_{kind.family}_{ran}"] = time.monotonic() - t0
        findings.extend(result.findings)
        rows.extend(result.rows)
        coverage.update(result.coverage)
        for name, section in result.sections.items():
            if name in sections and isinstance(section, dict):
                sections[name] = {**sections[name], **section}
            else:
                sections[name] = section
        warnings.extend(result.warnings)
    findings = _unique(findings, warnings)
    for w in warnings:
        log.warning("%s", w)
    findings.sort(key=lambda f: (f.rule, f.key))
    from bimcheck.views import plan_views

    t0 = time.monotonic()
    views = plan_views(ctx)
    ctx.timings["views"] = time.monotonic() - t0
    ctx.timings["total"] = time.monotonic() - t_start
    for index, model in enumerate(ctx.models):  # cache use varies run to run: timings only
        stats = ctx.built(index)[1].stats
        ctx.timings[f"meshes_from_cache[{model.path.name}]"] = float(stats.from_cache)
        ctx.timings[f"meshes_tessellated[{model.path.name}]"] = float(stats.tessellated)
    return CheckReport(
        header=header(ctx, command, packs), rules=list(rules), findings=findings, rows=rows,
        coverage=coverage, geometry=_geometry_coverage(ctx), sections=sections,
        warnings=warnings, timings=dict(ctx.timings), views=views,
    )


def _unique(findings: list[Finding], warnings: list[str]) -> list[Finding]:
    """One finding per key (the first); a second with the same key is a kind's
    bug, told as a warning rather than reported twice."""
    seen: dict[str, Finding] = {}
    for f in findings:
        if f.key in seen:
            warnings.append(f"rule {f.rule}: two findings share the key {f.key}; one kept")
            continue
        seen[f.key] = f
    return list(seen.values())


def unmeshed_ids(ctx: RunContext) -> set[str]:
    """GlobalIds the run asked meshes of and got none (failed or without a
    body), every model."""
    out: set[str] = set()
    for index in range(len(ctx.models)):
        _, geometry = ctx.built(index)
        out.update(f.global_id for f in (*geometry.failures, *geometry.without_body))
    return out


def _geometry_coverage(ctx: RunContext) -> list[dict[str, Any]]:
    """Per model: elements meshed, without a body, failed (from what was built)."""
    out = []
    for index, model in enumerate(ctx.models):
        requested, g = ctx.built(index)
        out.append({
            "model": model.path.name, "requested": requested, "meshed": len(g.meshes),
            "without_body": len(g.without_body), "failed": len(g.failures),
        })
    return out
