"""BCF 2.1 topics for the conflicts of a crane report (the dict of
``bimcheck crane``, described in ``docs/crane.md``).

One topic per finding, each keyed by lift (or crane pair) and kind, never by
the plan's file name, so that a later run of the plan, renamed or not, gives
the same topic GUIDs:

* ``collision``: a part of the lift within the clearance of an element (one
  topic per element, at the first conflict; the element selected);
* ``no-path``: the planner found no clear path (the blocking elements
  selected);
* ``capacity``: utilization over 100 % or a radius off the chart;
* ``power-line``: a power line closer than its voltage's clearance;
* ``zone``: an exclusion zone crossed;
* ``wind``: the lift's wind over its limit;
* ``crane-pair``: two cranes in conflict over their shared area.

Priority: ``critical`` for collisions, capacity, power lines, wind and no path;
``high`` for crane pairs; ``medium`` for zones.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bimcheck.report.bcf import topics_bcf


def crane_bcf(doc: dict[str, Any], *, created: datetime | None = None) -> bytes:
    """The BCF zip of the report's findings (see the module docstring)."""
    topics: list[dict[str, Any]] = []
    for lift in doc["lifts"]:
        topics.extend(_lift_topics(lift))
    for pair in doc["crane_pairs"]:
        if pair["conflict"]:
            topics.append(_pair_topic(pair, doc))
    return topics_bcf(topics, [doc["model"]["path"]], when=created, topic_type="Issue")


def _where(lift: dict[str, Any]) -> list[float]:
    path = lift.get("path") or []
    return list(path[-1]) if path else [0.0, 0.0, 0.0]


def _lift_topics(lift: dict[str, Any]) -> list[dict[str, Any]]:
    lid, crane = lift["id"], lift["crane"]
    head = f"Lift {lid} with {crane}"
    out = []
    for c in lift["collisions"]:
        out.append({
            "key": f"crane:{lid}:collision:{c['global_id']}:{c['body']}",
            "title": f"{lid}: {c['body']} {c['distance']:.2f} m from {c['ifc_class']} "
                     f"{c['global_id']}",
            "severity": "critical", "labels": ["crane", "collision", crane],
            "description": f"{head}: the {c['body']} comes {c['distance']:.3f} m from "
                           f"{c['ifc_class']} {c['global_id']} at {c['path_parameter']:.0%} "
                           f"of the path, hook at {_xyz(c['position'])}.",
            "elements": [c["global_id"]], "location": c["position"], "spread": 5.0,
        })
    if lift.get("blocking"):
        out.append({
            "key": f"crane:{lid}:no-path",
            "title": f"{lid}: no clear path",
            "severity": "critical", "labels": ["crane", "planner", crane],
            "description": f"{head}: " + "; ".join(lift.get("problems") or []),
            "elements": list(lift["blocking"]), "location": _where(lift), "spread": 10.0,
        })
    if lift.get("band") in ("fail", "out_of_chart"):
        util = lift.get("utilization_max")
        what = (f"{util:.0%} of the capacity ({lift['capacity_min']:.2f} t) at up to "
                f"{lift['radius_max']:.1f} m" if util is not None
                else f"a radius off the load chart ({lift['radius_min']:.1f}-"
                     f"{lift['radius_max']:.1f} m)")
        out.append({
            "key": f"crane:{lid}:capacity",
            "title": f"{lid}: {'overloaded' if util is not None else 'out of chart'}",
            "severity": "critical", "labels": ["crane", "capacity", crane],
            "description": f"{head}: {lift['total_weight']:.2f} t lifted, {what}.",
            "elements": [], "location": _where(lift), "spread": 10.0,
        })
    for p in lift["power_lines"]:
        if not p["ok"]:
            out.append({
                "key": f"crane:{lid}:power-line:{p['id']}",
                "title": f"{lid}: {p['min_distance']:.2f} m from power line {p['id']}",
                "severity": "critical", "labels": ["crane", "power line", crane],
                "description": f"{head}: the {p['body']} comes {p['min_distance']:.3f} m from "
                               f"the {p['voltage_kv']:g} kV line {p['id']}, which needs "
                               f"{p['required']:g} m.",
                "elements": [], "location": _where(lift), "spread": 10.0,
            })
    for z in lift["zones"]:
        out.append({
            "key": f"crane:{lid}:zone:{z['zone']}",
            "title": f"{lid}: over exclusion zone {z['zone']}",
            "severity": "medium", "labels": ["crane", "exclusion zone", crane],
            "description": f"{head}: the load passes over {z['zone']} from "
                           f"{z['path_parameter']:.0%} of the path, hook at "
                           f"{_xyz(z['position'])}.",
            "elements": [], "location": z["position"], "spread": 10.0,
        })
    wind = lift.get("wind")
    if wind and wind.get("ok") is False:
        out.append({
            "key": f"crane:{lid}:wind",
            "title": f"{lid}: wind {wind['wind_m_s']:g} m/s over the {wind['limit_m_s']:g} m/s "
                     "limit",
            "severity": "critical", "labels": ["crane", "wind", crane],
            "description": f"{head}: {wind.get('message', '')}.",
            "elements": [], "location": _where(lift), "spread": 10.0,
        })
    return out


def _pair_topic(pair: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    why = []
    if pair["vertical_separation"] < doc["plan"]["min_jib_separation"]:
        why.append(f"jibs {pair['vertical_separation']:.2f} m apart (at least "
                   f"{doc['plan']['min_jib_separation']:g} m needed)")
    if pair["simultaneous_lifts"]:
        why.append("lifts at the same time in the shared area: " + ", ".join(
            f"{a} and {b}" for a, b in pair["simultaneous_lifts"]))
    return {
        "key": f"crane:pair:{pair['a']}:{pair['b']}",
        "title": f"Cranes {pair['a']} and {pair['b']}: working areas conflict",
        "severity": "high", "labels": ["crane", "crane pair", pair["a"], pair["b"]],
        "description": f"The working circles of {pair['a']} and {pair['b']} overlap over "
                       f"{pair['overlap_area']:.0f} m²; " + "; ".join(why) + ".",
        "elements": [], "location": [*pair["overlap_centre"], 0.0],
        "spread": max(10.0, pair["overlap_area"] ** 0.5),
    }


def _xyz(p: list[float]) -> str:
    return "(" + ", ".join(f"{v:.2f}" for v in p) + ") m"
