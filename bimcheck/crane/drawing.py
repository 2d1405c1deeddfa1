"""The drawing of a crane report as plain data (metres): the model's outline in
plan and elevation, cranes (base, radius, jib or boom), exclusion zones,
power lines, crane-pair overlaps and each lift's traced hook path. The crane
HTML page and the check report's crane section draw from it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import shapely

if TYPE_CHECKING:
    from bimcheck.crane.run import CraneReport


def _rings(geom: Any) -> list[list[list[list[float]]]]:
    """A (multi)polygon as polygons of rings of [x, y] (m, 2 decimals)."""
    out = []
    if geom is None or geom.is_empty:
        return out
    for poly in getattr(geom, "geoms", [geom]):
        if not isinstance(poly, shapely.Polygon) or poly.is_empty:
            continue
        out.append([[[round(x, 2), round(y, 2)] for x, y in ring.coords]
                    for ring in (poly.exterior, *poly.interiors)])
    return out


def drawing_data(report: CraneReport) -> dict[str, Any]:
    """The drawing of a crane report (see the module docstring), plain data."""
    cranes = []
    for cid, crane in report.plan.cranes.items():
        x, _, z = crane.base
        jib = boom = None
        if crane.is_tower and crane.jib_elevation is not None and crane.jib_length is not None:
            jib = [x - crane.counter_jib_length, x + crane.jib_length, crane.jib_elevation]
        elif crane.boom_length is not None and crane.boom_angle is not None:
            a = math.radians(crane.boom_angle[0])
            px, pz = x + crane.boom_pivot_offset, z + crane.boom_pivot_height
            boom = [[px, pz], [px + crane.boom_length * math.cos(a),
                               pz + crane.boom_length * math.sin(a)]]
        cranes.append({"id": cid, "base": list(crane.base),
                       "working_radius": crane.working_radius, "top": crane.top_elevation,
                       "jib": jib, "boom": boom})
    lifts = []
    for r in report.lifts:
        conflict = None
        if r.clearance is not None and r.clearance.conflicts and r.clearance.first is not None:
            c = r.clearance.first
            conflict = {"position": list(c.position), "label": f"{c.ifc_class} {c.global_id}"}
        lifts.append({"id": r.lift.id, "result": r.result,
                      "trace": [list(p) for p in r.trace], "conflict": conflict})
    site = report.plan.site
    return {
        "footprint": _rings(report.footprint),
        "elevation": _rings(report.elevation),
        "zones": [{"id": z.id, "polygons": _rings(shapely.Polygon(z.polygon))}
                  for z in site.exclusion_zones],
        "power_lines": [{"id": p.id, "voltage_kv": p.voltage_kv,
                         "points": [list(q) for q in p.points]} for p in site.power_lines],
        "overlaps": [{"a": p.a, "b": p.b, "conflict": p.conflict,
                      "polygons": _rings(p.overlap)} for p in report.pairs],
        "cranes": cranes,
        "lifts": lifts,
    }


# -- drawing ------------------------------------------------------------------------------
