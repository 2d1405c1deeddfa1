"""The crane report as a standalone HTML page: a table of the lifts, a plan
view and an elevation view (inline SVG, no scripts, no external files).

Plan view (x right, y up): the model as the union of its elements' plan
bounds, exclusion zones, power lines, each crane's working circle, the
overlaps of crane pairs (red when in conflict), every lift's path from pick
(circle) to set (square), and the first conflict of each lift (red cross).
Elevation view, seen from the south (x right, z up): the model's x-z
outline, each crane's mast and jib (or boom at its lowest angle), the lift
paths and conflicts. Every text that comes from the model or the plan is
HTML-escaped. Coordinates in metres.
"""

from __future__ import annotations

import html
import math
from typing import Any

import shapely

from bimcheck.crane.overlap import working_circle
from bimcheck.crane.run import CraneReport

_COLOURS = {"ok": "#2e7d32", "warning": "#ef6c00", "fail": "#c62828"}
_WIDTH_PX = 900


def crane_html(report: CraneReport) -> str:
    """The page (UTF-8 text)."""
    doc = report.as_dict()
    e = html.escape
    rows = []
    for lift in doc["lifts"]:
        util = lift["utilization_max"]
        rows.append(
            "<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in (
                lift["id"], lift["crane"],
                f"{lift['total_weight']:.2f}" if lift["total_weight"] is not None else "-",
                f"{lift['radius_min']:.1f}-{lift['radius_max']:.1f}"
                if lift["radius_min"] is not None else "-",
                f"{util:.0%}" if util is not None else "-", lift["band"] or "-",
                f"{lift['min_clearance']:.2f}" if lift["min_clearance"] is not None else "-",
                lift["min_clearance_element"] or "-",
                ", ".join(z["zone"] for z in lift["zones"]) or "-",
                ", ".join(p["id"] for p in lift["power_lines"] if not p["ok"]) or "-",
                "yes" if lift["planned"] else "no",
                f"{lift['duration_s']:.0f}" if lift["duration_s"] is not None else "-",
            )) + f"<td style=\"color:{_COLOURS[lift['result']]};font-weight:bold\">"
            f"{e(lift['result'])}</td></tr>")
        for problem in lift["problems"]:
            rows.append(f"<tr><td></td><td colspan=\"12\">{e(problem)}</td></tr>")
    pairs = "".join(
        f"<li>{e(p['a'])} / {e(p['b'])}: overlap {p['overlap_area']:.0f} m², jibs "
        f"{p['vertical_separation']:.2f} m apart"
        + (" — <b style=\"color:#c62828\">conflict</b>" if p["conflict"] else "") + "</li>"
        for p in doc["crane_pairs"])
    counts = ", ".join(f"{v} {k}" for k, v in doc["counts"].items())
    head = ["lift", "crane", "weight t", "radius m", "utilization", "band", "clearance m",
            "nearest element", "zones", "power lines", "planned", "time s", "result"]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Lifts: {e(doc['plan']['path'])} on {e(doc['model']['path'])}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 3px 6px; }}
svg {{ border: 1px solid #ccc; background: #fafafa; }}
</style></head><body>
<h1>Lift checks</h1>
<p>Model <b>{e(doc['model']['path'])}</b>, lift plan <b>{e(doc['plan']['path'])}</b>,
required clearance {doc['plan']['clearance']:g} m. Lifts: {e(counts)}.</p>
<table><tr>{''.join(f'<th>{h}</th>' for h in head)}</tr>
{''.join(rows)}</table>
<h2>Crane pairs</h2><ul>{pairs or '<li>no working circles overlap</li>'}</ul>
<h2>Plan</h2>
{plan_svg(report)}
<h2>Elevation, seen from the south</h2>
{elevation_svg(report)}
</body></html>
"""


def _frame(geoms: list[Any], pad: float = 5.0) -> tuple[float, float, float, float]:
    bounds = [g.bounds for g in geoms if g is not None and not g.is_empty]
    if not bounds:
        return (-10.0, -10.0, 10.0, 10.0)
    x0 = min(b[0] for b in bounds) - pad
    y0 = min(b[1] for b in bounds) - pad
    x1 = max(b[2] for b in bounds) + pad
    y1 = max(b[3] for b in bounds) + pad
    return x0, y0, x1, y1


def _path_d(geom: Any) -> str:
    """SVG path data of a (multi)polygon, y flipped."""
    out = []
    for poly in getattr(geom, "geoms", [geom]):
        if not isinstance(poly, shapely.Polygon) or poly.is_empty:
            continue
        for ring in (poly.exterior, *poly.interiors):
            pts = list(ring.coords)
            out.append("M" + " L".join(f"{x:.2f},{-y:.2f}" for x, y in pts) + " Z")
    return " ".join(out)


def _svg(frame: tuple[float, float, float, float], body: list[str]) -> str:
    x0, y0, x1, y1 = frame
    w, h = x1 - x0, y1 - y0
    height = max(200, int(_WIDTH_PX * h / max(w, 1e-9)))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH_PX}" height="{height}" '
            f'viewBox="{x0:.2f} {-y1:.2f} {w:.2f} {h:.2f}">' + "".join(body) + "</svg>")


def plan_svg(report: CraneReport) -> str:
    """The plan view (see the module docstring)."""
    e = html.escape
    circles = {cid: working_circle(c) for cid, c in report.plan.cranes.items()}
    zones = [shapely.Polygon(z.polygon) for z in report.plan.site.exclusion_zones]
    frame = _frame([report.footprint, *circles.values(), *zones])
    stroke = max(frame[2] - frame[0], frame[3] - frame[1]) / 400
    body = []
    if report.footprint is not None and not report.footprint.is_empty:
        body.append(f'<path d="{_path_d(report.footprint)}" fill="#b0bec5" '
                    f'stroke="#607d8b" stroke-width="{stroke:.3f}"><title>model</title></path>')
    for z, poly in zip(report.plan.site.exclusion_zones, zones, strict=True):
        body.append(f'<path d="{_path_d(poly)}" fill="#ffcc80" fill-opacity="0.6" '
                    f'stroke="#ef6c00" stroke-width="{stroke:.3f}">'
                    f'<title>zone {e(z.id)}</title></path>')
    for line in report.plan.site.power_lines:
        pts = " ".join(f"{x:.2f},{-y:.2f}" for x, y, _ in line.points)
        body.append(f'<polyline points="{pts}" fill="none" stroke="#6a1b9a" '
                    f'stroke-width="{2 * stroke:.3f}" stroke-dasharray="{4 * stroke:.3f}">'
                    f'<title>power line {e(line.id)} {line.voltage_kv:g} kV</title></polyline>')
    for pair in report.pairs:
        colour = "#c62828" if pair.conflict else "#90a4ae"
        body.append(f'<path d="{_path_d(pair.overlap)}" fill="{colour}" fill-opacity="0.25" '
                    f'stroke="none"><title>{e(pair.a)} / {e(pair.b)}</title></path>')
    for cid, crane in report.plan.cranes.items():
        x, y, _ = crane.base
        body.append(f'<circle cx="{x:.2f}" cy="{-y:.2f}" r="{crane.working_radius:.2f}" '
                    f'fill="none" stroke="#1565c0" stroke-width="{stroke:.3f}"/>'
                    f'<circle cx="{x:.2f}" cy="{-y:.2f}" r="{3 * stroke:.3f}" fill="#1565c0">'
                    f'<title>{e(cid)}</title></circle>'
                    f'<text x="{x:.2f}" y="{-y - 4 * stroke:.2f}" font-size="{12 * stroke:.2f}" '
                    f'fill="#1565c0">{e(cid)}</text>')
    body.extend(_paths(report, (0, 1), stroke))
    return _svg(frame, body)


def elevation_svg(report: CraneReport) -> str:
    """The elevation view from the south (x right, z up)."""
    e = html.escape
    geoms = [report.elevation]
    for crane in report.plan.cranes.values():
        x, _, z = crane.base
        geoms.append(shapely.box(x - crane.working_radius, z, x + crane.working_radius,
                                 crane.top_elevation + 2))
    frame = _frame(geoms)
    stroke = max(frame[2] - frame[0], frame[3] - frame[1]) / 400
    body = []
    if report.elevation is not None and not report.elevation.is_empty:
        body.append(f'<path d="{_path_d(report.elevation)}" fill="#b0bec5" stroke="#607d8b" '
                    f'stroke-width="{stroke:.3f}"><title>model</title></path>')
    for cid, crane in report.plan.cranes.items():
        x, _, z = crane.base
        if crane.is_tower:
            assert crane.jib_elevation is not None and crane.jib_length is not None
            top = crane.jib_elevation
            body.append(f'<line x1="{x:.2f}" y1="{-z:.2f}" x2="{x:.2f}" y2="{-top:.2f}" '
                        f'stroke="#1565c0" stroke-width="{2 * stroke:.3f}"/>'
                        f'<line x1="{x - crane.counter_jib_length:.2f}" y1="{-top:.2f}" '
                        f'x2="{x + crane.jib_length:.2f}" y2="{-top:.2f}" stroke="#1565c0" '
                        f'stroke-width="{2 * stroke:.3f}"><title>{e(cid)}</title></line>')
        else:
            assert crane.boom_length is not None and crane.boom_angle is not None
            a = math.radians(crane.boom_angle[0])
            px, pz = x + crane.boom_pivot_offset, z + crane.boom_pivot_height
            tx, tz = px + crane.boom_length * math.cos(a), pz + crane.boom_length * math.sin(a)
            body.append(f'<line x1="{px:.2f}" y1="{-pz:.2f}" x2="{tx:.2f}" y2="{-tz:.2f}" '
                        f'stroke="#1565c0" stroke-width="{2 * stroke:.3f}">'
                        f'<title>{e(cid)}</title></line>')
    body.extend(_paths(report, (0, 2), stroke))
    return _svg(frame, body)


def _paths(report: CraneReport, axes: tuple[int, int], stroke: float) -> list[str]:
    e = html.escape
    a, b = axes
    out = []
    for r in report.lifts:
        if not r.trace:
            continue
        colour = _COLOURS[r.result]
        pts = " ".join(f"{p[a]:.2f},{-p[b]:.2f}" for p in r.trace)
        first, last = r.trace[0], r.trace[-1]
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" '
                   f'stroke-width="{1.5 * stroke:.3f}"><title>{e(r.lift.id)}</title></polyline>'
                   f'<circle cx="{first[a]:.2f}" cy="{-first[b]:.2f}" r="{3 * stroke:.3f}" '
                   f'fill="{colour}"/>'
                   f'<rect x="{last[a] - 3 * stroke:.2f}" y="{-last[b] - 3 * stroke:.2f}" '
                   f'width="{6 * stroke:.3f}" height="{6 * stroke:.3f}" fill="{colour}"/>')
        if r.clearance is not None and r.clearance.conflicts:
            c = r.clearance.first
            assert c is not None
            x, y = c.position[a], c.position[b]
            d = 5 * stroke
            out.append(f'<path d="M{x - d:.2f},{-y - d:.2f} L{x + d:.2f},{-y + d:.2f} '
                       f'M{x - d:.2f},{-y + d:.2f} L{x + d:.2f},{-y - d:.2f}" stroke="#c62828" '
                       f'stroke-width="{2 * stroke:.3f}"><title>{e(r.lift.id)}: '
                       f'{e(c.ifc_class)} {e(c.global_id)}</title></path>')
    return out
