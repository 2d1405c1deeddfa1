"""The drawing of a crane report as plain data (metres): the model's outline in
plan and elevation, cranes (base, radius, jib or boom; a luffing tower's
jib at its lowest angle, its mast and counter-jib), exclusion zones,
power lines, crane-pair overlaps, each lift's traced hook path, the plan's
north and the names of the elements the lifts meet. The crane HTML page and
the check report's crane section draw from it.

**North.** The plan's +y is north unless the model's geometric
representation context (``IfcGeometricRepresentationContext.TrueNorth``, a
direction in the plan's x-y plane) says otherwise: the drawing's ``north`` is
``{"direction": [dx, dy], "true": bool}``, a unit vector in plan, ``true``
when it is the model's TrueNorth.

**Names.** ``names`` maps every element a lift names (its nearest element,
collisions, blocking elements) to a label: ``IfcWall 'Basic Wall:Exterior
300' (2O2Fr$t4X7Zf8NOew3FLOH)`` for a model element (class, Name, GlobalId),
``neighbouring building 'N1'`` for ``neighbour:N1`` and ``power line 'PL1'
(span 0)`` for ``PL1#0``. Labels are plain text (the HTML escapes them).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import shapely

from bimcheck.errors import ModelError

if TYPE_CHECKING:
    from bimcheck.crane.run import CraneReport
    from bimcheck.model import Model

#: The north of a model that gives no TrueNorth: the plan's +y.
PLAN_NORTH: dict[str, Any] = {"direction": [0.0, 1.0], "true": False}


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


def read_north(model: Model) -> dict[str, Any]:
    """The plan's north (see the module docstring): the TrueNorth of the
    model's first geometric representation context that gives one (a
    ``Model`` context first, then in file order), else :data:`PLAN_NORTH`.
    A zero or non-finite TrueNorth counts as none. TrueNorth is taken as
    given, in the plan's x-y (a context's WorldCoordinateSystem is assumed
    not turned about z)."""
    contexts = model.file.by_type("IfcGeometricRepresentationContext", include_subtypes=False)
    contexts = sorted(contexts, key=lambda c: (c.ContextType != "Model", c.id()))
    for ctx in contexts:
        north = getattr(ctx, "TrueNorth", None)
        ratios = list(getattr(north, "DirectionRatios", None) or ())[:2]
        if len(ratios) < 2 or not all(math.isfinite(float(v)) for v in ratios):
            continue
        dx, dy = float(ratios[0]), float(ratios[1])
        length = math.hypot(dx, dy)
        if length < 1e-9:
            continue
        return {"direction": [round(dx / length, 7) + 0.0, round(dy / length, 7) + 0.0],
                "true": True}
    return {"direction": list(PLAN_NORTH["direction"]), "true": False}


def element_label(model: Model | None, ref: str) -> str:
    """The label of an element a lift names (see the module docstring): the
    model's class, Name and GlobalId; a neighbour or a power line span by its
    plan id; ``ref`` itself when the model has no such element."""
    if ref.startswith("neighbour:"):
        return f"neighbouring building '{ref[len('neighbour:'):]}'"
    line, sep, span = ref.rpartition("#")  # "#" is not a GlobalId character
    if sep and line and span.isdigit():
        return f"power line '{line}' (span {span})"
    if model is None:
        return ref
    try:
        element = model.element(ref)
    except ModelError:
        return ref
    name = getattr(element, "Name", None)
    if name:
        return f"{element.is_a()} '{name}' ({ref})"
    return f"{element.is_a()} ({ref})"


def _named(report: CraneReport) -> Iterable[str]:
    for r in report.lifts:
        if r.clearance is not None:
            if r.clearance.min_element:
                yield r.clearance.min_element
            yield from (c.global_id for c in r.clearance.conflicts)
        yield from r.blocking


def drawing_data(report: CraneReport) -> dict[str, Any]:
    """The drawing of a crane report (see the module docstring), plain data."""
    names = {ref: element_label(report.model, ref) for ref in sorted(set(_named(report)))}
    cranes = []
    for cid, crane in report.plan.cranes.items():
        x, _, z = crane.base
        jib = boom = mast = counter = None
        if crane.is_tower and crane.jib_elevation is not None and crane.jib_length is not None:
            jib = [x - crane.counter_jib_length, x + crane.jib_length, crane.jib_elevation]
        elif crane.boom_length is not None and crane.boom_angle is not None:
            a = math.radians(crane.boom_angle[0])
            px, pz = x + crane.boom_pivot_offset, z + crane.boom_pivot_height
            boom = [[px, pz], [px + crane.boom_length * math.cos(a),
                               pz + crane.boom_length * math.sin(a)]]
            if crane.type == "luffing-tower":  # its mast up to the jib's foot pin
                mast = pz
                if crane.counter_jib_length > 0:
                    counter = [x - crane.counter_jib_length, x, pz]
        cranes.append({"id": cid, "base": list(crane.base),
                       "working_radius": crane.working_radius, "top": crane.top_elevation,
                       "jib": jib, "boom": boom, "mast": mast, "counter_jib": counter})
    lifts = []
    for r in report.lifts:
        conflict = None
        if r.clearance is not None and r.clearance.conflicts and r.clearance.first is not None:
            c = r.clearance.first
            conflict = {"position": list(c.position),
                        "label": names.get(c.global_id, f"{c.ifc_class} ({c.global_id})")}
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
        "north": read_north(report.model),
        "names": names,
    }
