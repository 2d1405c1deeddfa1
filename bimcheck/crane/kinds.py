"""The crane kinds (family ``crane``) as the check engine runs them.

Every lift of the run's lift plan (``bimcheck check --lift-plan``) is checked
once against the first model (:func:`~bimcheck.crane.run.run_lifts`, sharing
the run's meshes); each kind turns one part of the result into findings:

* ``lift_capacity``: a lift whose capacity band is in ``bands`` (severity
  per band from ``band_severity``; measure ``utilization``);
* ``lift_clearance``: a part of a lift (load, hook block, hoist line, jib or
  boom) within the plan's clearance of an element or a neighbour, one finding
  per element and part (measures ``distance``, ``clearance_shortfall``, m);
* ``lift_path``: a lift that cannot be made or checked (out of reach, no
  clear path, a load element not in the model), with the blocking elements;
* ``lift_power_line``: a power line closer than its voltage's clearance;
* ``lift_zone``: an exclusion zone crossed by the load;
* ``lift_wind``: a lift whose wind (its own or the forecast over its window)
  is over its limit (measures ``wind_speed``, ``wind_limit``, m/s);
* ``crane_pair``: two cranes in conflict over their shared area.

Keys are made of the rule, the kind, the elements' GlobalIds and the lift id
(and part, line, zone or crane pair): never the plan's file name, so renaming
the plan keeps every key. The pack-level ``lift_policy``
(:mod:`bimcheck.crane.policy`) sets the bands and what makes a lift fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bimcheck.crane.policy import LiftPolicy, parse_policy
from bimcheck.findings import Finding, Quantity, make_finding
from bimcheck.packs.registry import REGISTRY
from bimcheck.packs.schema import SEVERITIES, Kind, PackField, Param, Rule

_RUN = "bimcheck.crane.kinds:run_crane_rules"
_BANDS = ("critical", "high", "fail", "out_of_chart")


def _check_band_list(value: tuple[str, ...]) -> tuple[str, ...]:
    bad = [v for v in value if v not in _BANDS]
    if bad:
        raise ValueError(f"unknown band {bad[0]!r}; expected {', '.join(_BANDS)}")
    return value


def _check_band_severity(value: dict) -> dict:
    out = {}
    for band, severity in value.items():
        if band not in _BANDS:
            raise ValueError(f"unknown band {band!r}; expected {', '.join(_BANDS)}")
        if severity not in SEVERITIES:
            raise ValueError(f"{band}: severity must be one of {', '.join(SEVERITIES)}")
        out[str(band)] = severity
    return out


_DEFAULT_BAND_SEVERITY = {"critical": "medium", "high": "high", "fail": "critical",
                          "out_of_chart": "critical"}

for _name, _doc, _params in (
    ("lift_capacity", "a lift near or over its crane's capacity", {
        "bands": Param(list, _BANDS, "bands reported", check=_check_band_list),
        "band_severity": Param(dict, dict(_DEFAULT_BAND_SEVERITY), "severity of each band",
                               check=_check_band_severity),
    }),
    ("lift_clearance", "a part of a lift within the clearance of an element", {}),
    ("lift_path", "a lift that cannot be made or checked", {}),
    ("lift_power_line", "a lift closer to a power line than its clearance", {}),
    ("lift_zone", "a lift over an exclusion zone", {}),
    ("lift_wind", "a lift in more wind than its limit", {}),
    ("crane_pair", "two cranes in conflict over their shared area", {}),
):
    REGISTRY.register(Kind(_name, doc=_doc, params=_params, family="crane", a_selector="none",
                           b_selector=False, needs=frozenset({"meshes", "lift_plan"}), run=_RUN))


def _apply_policy(extra: dict, policy: LiftPolicy, rule: Rule) -> None:
    extra["lift_policy"] = policy


REGISTRY.register_pack_field(PackField("lift_policy", "crane", parse_policy, _apply_policy,
                                       default=LiftPolicy()))


def run_crane_rules(ctx: Any, rules: Sequence[Rule]) -> Any:
    """Findings of the crane rules (every crane kind of the run in this one
    pass, over one :func:`~bimcheck.crane.run.run_lifts`), and the crane report
    as a section."""
    from bimcheck.crane.drawing import drawing_data
    from bimcheck.crane.run import run_lifts
    from bimcheck.run import KindResult

    policies = {r.extra.get("lift_policy", LiftPolicy()) for r in rules}
    policy = next(iter(policies)) if len(policies) == 1 else LiftPolicy()
    warnings = [] if len(policies) <= 1 else [
        "crane rules of several packs with different lift policies: the default one is used"]
    report = run_lifts(ctx.models[0], ctx.lift_plan, policy=policy, context=ctx, index=0)
    out = KindResult(warnings=warnings)
    for rule in rules:
        found = _CONVERT[rule.kind](ctx, rule, report)
        out.findings.extend(found)
        out.coverage[rule.id] = {"rule": rule.id, "checked": len(report.lifts),
                                 "findings": len(found)}
    out.sections["crane"] = {**report.as_dict(), "drawing": drawing_data(report)}
    return out


def _refs(ctx: Any, gids: Sequence[str]) -> list[Any]:
    model = ctx.models[0]
    out = []
    for gid in gids:
        try:
            out.append(ctx.ref(0, model.file.by_guid(gid)))
        except RuntimeError:  # a neighbour or power line, not an element
            continue
    return out


def _where(r: Any) -> tuple[float, float, float] | None:
    return tuple(r.waypoints[-1]) if r.waypoints else None


def _capacity(ctx: Any, rule: Rule, report: Any) -> list[Finding]:
    out = []
    for r in report.lifts:
        cap = r.capacity
        if cap is None or cap.band not in rule.params["bands"]:
            continue
        measures = {"utilization": Quantity(cap.utilization_max, "1")} if (
            cap.utilization_max is not None) else {}
        what = (f"{cap.utilization_max:.0%} of the capacity ({cap.capacity_min:.2f} t) at up "
                f"to {cap.radius_max:.1f} m" if cap.utilization_max is not None else
                f"a radius off the load chart ({cap.radius_min:.1f}-{cap.radius_max:.1f} m)")
        elements = _refs(ctx, [r.lift.load.element] if r.lift.load.element else [])
        out.append(make_finding(
            rule, rule.kind, f"lift {r.lift.id} with {r.crane}: {cap.total_weight:.2f} t, {what}"
            f" (band {cap.band})", elements, discriminator=f"lift:{r.lift.id}",
            severity=rule.params["band_severity"].get(cap.band, rule.severity),
            location=_where(r), measures=measures,
            detail={"lift": r.lift.id, "crane": r.crane, "band": cap.band}))
    return out


def _clearance(ctx: Any, rule: Rule, report: Any) -> list[Finding]:
    out = []
    need = report.plan.clearance
    for r in report.lifts:
        if r.clearance is None:
            continue
        firsts: dict[tuple[str, str], Any] = {}
        for c in r.clearance.conflicts:
            firsts.setdefault((c.global_id, c.body), c)
        for (gid, body), c in sorted(firsts.items()):
            out.append(make_finding(
                rule, rule.kind,
                f"lift {r.lift.id}: the {body} comes {c.distance:.2f} m from {c.ifc_class} "
                f"{gid} at {c.path_parameter:.0%} of the path ({need:g} m required)",
                _refs(ctx, [gid]), discriminator=f"lift:{r.lift.id}:{body}:{gid}",
                location=c.position,
                measures={"distance": Quantity(c.distance, "m"),
                          "clearance_shortfall": Quantity(max(0.0, need - c.distance), "m")},
                detail={"lift": r.lift.id, "crane": r.crane, "body": body, "obstacle": gid}))
    return out


def _path(ctx: Any, rule: Rule, report: Any) -> list[Finding]:
    return [make_finding(
        rule, rule.kind, f"lift {r.lift.id} with {r.crane}: " + "; ".join(r.problems),
        _refs(ctx, r.blocking[:20]), discriminator=f"lift:{r.lift.id}", location=_where(r),
        detail={"lift": r.lift.id, "crane": r.crane, "blocking": list(r.blocking)})
        for r in report.lifts if r.problems]


def _power(ctx: Any, rule: Rule, report: Any) -> list[Finding]:
    out = []
    for r in report.lifts:
        for p in r.power_lines:
            if p.ok:
                continue
            out.append(make_finding(
                rule, rule.kind, f"lift {r.lift.id}: the {p.body} comes {p.min_distance:.2f} m "
                f"from the {p.voltage_kv:g} kV line {p.line} ({p.required:g} m required)",
                discriminator=f"lift:{r.lift.id}:line:{p.line}", location=_where(r),
                measures={"distance": Quantity(p.min_distance, "m"),
                          "clearance_shortfall": Quantity(p.required - p.min_distance, "m")},
                detail={"lift": r.lift.id, "crane": r.crane, "line": p.line}))
    return out


def _zone(ctx: Any, rule: Rule, report: Any) -> list[Finding]:
    return [make_finding(
        rule, rule.kind, f"lift {r.lift.id}: the load passes over exclusion zone {z.zone} from "
        f"{z.path_parameter:.0%} of the path", discriminator=f"lift:{r.lift.id}:zone:{z.zone}",
        location=z.position, detail={"lift": r.lift.id, "crane": r.crane, "zone": z.zone})
        for r in report.lifts for z in r.zones]


def _pairs(ctx: Any, rule: Rule, report: Any) -> list[Finding]:
    out = []
    for p in report.pairs:
        if not p.conflict:
            continue
        d = p.as_dict()
        out.append(make_finding(
            rule, rule.kind, f"cranes {p.a} and {p.b}: working circles overlap over "
            f"{p.overlap_area:.0f} m², jibs {p.vertical_separation:.2f} m apart",
            discriminator=f"pair:{p.a}:{p.b}",
            location=(*d["overlap_centre"], 0.0),
            measures={"overlap_area": Quantity(p.overlap_area, "m2"),
                      "vertical_separation": Quantity(p.vertical_separation, "m")},
            detail={"cranes": [p.a, p.b],
                    "simultaneous_lifts": [list(x) for x in p.simultaneous_lifts]}))
    return out


def _wind(ctx: Any, rule: Rule, report: Any) -> list[Finding]:
    return [make_finding(
        rule, rule.kind, f"lift {r.lift.id}: {r.wind.message}",
        _refs(ctx, [r.lift.load.element] if r.lift.load.element else []),
        discriminator=f"lift:{r.lift.id}:wind", location=_where(r) or r.lift.pick,
        measures={"wind_speed": Quantity(r.wind.wind_m_s, "m/s"),
                  "wind_limit": Quantity(r.wind.limit_m_s, "m/s")},
        detail={"lift": r.lift.id, "crane": r.crane, "source": r.wind.source,
                "limit_from": r.wind.limit_from})
        for r in report.lifts if r.wind is not None and not r.wind.ok]


_CONVERT = {"lift_capacity": _capacity, "lift_clearance": _clearance, "lift_path": _path,
            "lift_power_line": _power, "lift_zone": _zone, "lift_wind": _wind,
            "crane_pair": _pairs}
