"""The crane report as a standalone HTML page: a table of the lifts, a plan
view and an elevation view (inline SVG, no scripts, no external files).

The views are drawn from plain data, a *drawing* (:func:`drawing_data` makes
one of a :class:`~bimcheck.crane.run.CraneReport`; the check report makes one
of its ``report.json``), so that ``bimcheck crane --html`` and the risk report
of ``bimcheck check`` draw the same pictures. A drawing is a dict::

    footprint    the model in plan: a list of polygons, each a list of rings [[x, y], ...]
    elevation    the model seen from the south, the same in x-z
    zones        [{"id", "polygons"}]  exclusion zones in plan
    power_lines  [{"id", "voltage_kv", "points": [[x, y, z], ...]}]
    overlaps     [{"a", "b", "conflict", "polygons"}]  crane pairs' overlaps in plan
    cranes       [{"id", "base": [x, y, z], "working_radius", "top",
                   "jib": [x_from, x_to, z] or None, "boom": [[x, z], [x, z]] or None}]
    lifts        [{"id", "result", "trace": [[x, y, z], ...], "conflict":
                   {"position": [x, y, z], "label"} or None, "dashed": bool (optional:
                   a path known only by its waypoints)}]

Every key may be missing or empty. Plan view (x right, y up): the model,
exclusion zones, power lines, each crane's working circle, the overlaps of
crane pairs (red when in conflict), every lift's path from pick (circle) to set
(square), and the first conflict of each lift (red cross). Elevation view,
seen from the south (x right, z up): the model's x-z outline, each crane's
mast and jib (or boom at its lowest angle), the lift paths and conflicts.
Every text that comes from the model or the plan is HTML-escaped. Coordinates
in metres.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bimcheck.crane.drawing import drawing_data

if TYPE_CHECKING:  # the check report draws from plain data without the crane modules
    from bimcheck.crane.run import CraneReport

#: Colour of each lift result.
COLOURS = {"ok": "#2e7d32", "warning": "#ef6c00", "fail": "#c62828"}

_WIDTH_PX = 900

#: Column heads of the lifts table.
LIFT_HEADS = ("lift", "crane", "weight t", "radius m", "utilization", "band", "clearance m",
              "nearest element", "zones", "power lines", "planned", "time s", "result")

Frame = tuple[float, float, float, float]
#: Draws extra SVG over a view, given the view's stroke unit (m).
Overlay = Callable[[float], list[str]]


def crane_html(report: CraneReport) -> str:
    """The page (UTF-8 text)."""
    doc = report.as_dict()
    e = html.escape
    drawing = drawing_data(report)
    counts = ", ".join(f"{v} {k}" for k, v in doc["counts"].items())
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
{lifts_table(doc['lifts'])}
<h2>Crane pairs</h2>{pairs_list(doc['crane_pairs'])}
<h2>Plan</h2>
{plan_svg(drawing)}
<h2>Elevation, seen from the south</h2>
{elevation_svg(drawing)}
</body></html>
"""


def lifts_table(lifts: Sequence[Mapping[str, Any]], *, css_class: str = "") -> str:
    """The lifts of a crane report (its ``lifts`` dicts) as an HTML table:
    one row per lift, and one row per problem of a lift."""
    e = html.escape
    rows = []
    for lift in lifts:
        util = lift.get("utilization_max")
        weight = lift.get("total_weight")
        rmin, rmax = lift.get("radius_min"), lift.get("radius_max")
        clearance = lift.get("min_clearance")
        duration = lift.get("duration_s")
        result = str(lift.get("result") or "-")
        cells = (
            lift.get("id"), lift.get("crane"),
            f"{weight:.2f}" if weight is not None else "-",
            f"{rmin:.1f}-{rmax:.1f}" if rmin is not None and rmax is not None else "-",
            f"{util:.0%}" if util is not None else "-", lift.get("band") or "-",
            f"{clearance:.2f}" if clearance is not None else "-",
            lift.get("min_clearance_element") or "-",
            ", ".join(str(z.get("zone")) for z in lift.get("zones") or ()) or "-",
            ", ".join(str(p.get("id")) for p in lift.get("power_lines") or ()
                      if not p.get("ok")) or "-",
            "yes" if lift.get("planned") else "no",
            f"{duration:.0f}" if duration is not None else "-",
        )
        colour = COLOURS.get(result, "#333")
        rows.append("<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in cells)
                    + f"<td class=\"result result-{e(result)}\" style=\"color:{colour};"
                    f"font-weight:bold\">{e(result)}</td></tr>")
        for problem in lift.get("problems") or ():
            rows.append(f"<tr><td></td><td colspan=\"12\">{e(str(problem))}</td></tr>")
    cls = f' class="{e(css_class)}"' if css_class else ""
    head = "".join(f"<th>{h}</th>" for h in LIFT_HEADS)
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>\n{''.join(rows)}</tbody></table>"


def pairs_list(pairs: Sequence[Mapping[str, Any]]) -> str:
    """The crane pairs (``crane_pairs`` dicts) as an HTML list."""
    e = html.escape
    items = "".join(
        f"<li>{e(str(p['a']))} / {e(str(p['b']))}: overlap {p['overlap_area']:.0f} m², jibs "
        f"{p['vertical_separation']:.2f} m apart"
        + (" — <b style=\"color:#c62828\">conflict</b>" if p.get("conflict") else "") + "</li>"
        for p in pairs)
    return f"<ul>{items or '<li>no working circles overlap</li>'}</ul>"


# -- plain data of a crane report ---------------------------------------------------------

def _points(polygons: Iterable[Sequence[Sequence[Sequence[float]]]]) -> list[Sequence[float]]:
    return [p for poly in polygons for ring in poly for p in ring]


def frame_of(points: Iterable[Sequence[float]], pad: float = 5.0) -> Frame:
    """``(x0, y0, x1, y1)``: the box of ``points`` grown by ``pad`` (m);
    a 20 m square round the origin when there are none."""
    pts = list(points)
    if not pts:
        return (-10.0, -10.0, 10.0, 10.0)
    return (min(p[0] for p in pts) - pad, min(p[1] for p in pts) - pad,
            max(p[0] for p in pts) + pad, max(p[1] for p in pts) + pad)


def path_d(polygons: Iterable[Sequence[Sequence[Sequence[float]]]]) -> str:
    """SVG path data of polygons (lists of rings of [x, y]), y flipped."""
    out = []
    for poly in polygons:
        for ring in poly:
            if len(ring) >= 3:
                out.append("M" + " L".join(f"{x:.2f},{-y:.2f}" for x, y, *_ in ring) + " Z")
    return " ".join(out)


def svg(frame: Frame, body: Sequence[str], *, css_class: str = "", label: str = "") -> str:
    """An SVG element showing ``frame`` (m, y up) at 900 px wide."""
    x0, y0, x1, y1 = frame
    w, h = x1 - x0, y1 - y0
    height = max(200, int(_WIDTH_PX * h / max(w, 1e-9)))
    cls = f' class="{html.escape(css_class)}"' if css_class else ""
    aria = f' role="img" aria-label="{html.escape(label)}"' if label else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg"{cls}{aria} width="{_WIDTH_PX}" '
            f'height="{height}" viewBox="{x0:.2f} {-y1:.2f} {w:.2f} {h:.2f}">'
            + "".join(body) + "</svg>")


def stroke_of(frame: Frame) -> float:
    """The stroke unit of a view (m): 1/400 of its larger side."""
    return max(frame[2] - frame[0], frame[3] - frame[1]) / 400


def plan_svg(drawing: Mapping[str, Any], *, overlay: Overlay | None = None,
             css_class: str = "") -> str:
    """The plan view of a drawing (see the module docstring); ``overlay``
    adds SVG drawn last."""
    e = html.escape
    cranes = drawing.get("cranes") or []
    zones = drawing.get("zones") or []
    pts = _points(drawing.get("footprint") or [])
    pts += _points(p for z in zones for p in z.get("polygons") or [])
    for c in cranes:
        x, y, _ = c["base"]
        r = c["working_radius"]
        pts += [(x - r, y - r), (x + r, y + r)]
    if not cranes:  # frame the lifts when the cranes are not known
        pts += [p for lift in drawing.get("lifts") or () for p in lift.get("trace") or ()]
    frame = frame_of(pts)
    stroke = stroke_of(frame)
    body = []
    if drawing.get("footprint"):
        body.append(f'<path d="{path_d(drawing["footprint"])}" fill="#b0bec5" '
                    f'fill-rule="evenodd" stroke="#607d8b" stroke-width="{stroke:.3f}">'
                    '<title>model</title></path>')
    for z in zones:
        body.append(f'<path d="{path_d(z.get("polygons") or [])}" fill="#ffcc80" '
                    f'fill-opacity="0.6" stroke="#ef6c00" stroke-width="{stroke:.3f}">'
                    f'<title>zone {e(str(z["id"]))}</title></path>')
    for line in drawing.get("power_lines") or ():
        pts_text = " ".join(f"{p[0]:.2f},{-p[1]:.2f}" for p in line["points"])
        body.append(f'<polyline points="{pts_text}" fill="none" stroke="#6a1b9a" '
                    f'stroke-width="{2 * stroke:.3f}" stroke-dasharray="{4 * stroke:.3f}">'
                    f'<title>power line {e(str(line["id"]))} {line["voltage_kv"]:g} kV</title>'
                    '</polyline>')
    for pair in drawing.get("overlaps") or ():
        colour = "#c62828" if pair.get("conflict") else "#90a4ae"
        body.append(f'<path d="{path_d(pair.get("polygons") or [])}" fill="{colour}" '
                    f'fill-opacity="0.25" stroke="none"><title>{e(str(pair["a"]))} / '
                    f'{e(str(pair["b"]))}</title></path>')
    for c in cranes:
        x, y, _ = c["base"]
        cid = e(str(c["id"]))
        body.append(f'<circle cx="{x:.2f}" cy="{-y:.2f}" r="{c["working_radius"]:.2f}" '
                    f'fill="none" stroke="#1565c0" stroke-width="{stroke:.3f}"/>'
                    f'<circle cx="{x:.2f}" cy="{-y:.2f}" r="{3 * stroke:.3f}" fill="#1565c0">'
                    f'<title>{cid}</title></circle>'
                    f'<text x="{x:.2f}" y="{-y - 4 * stroke:.2f}" font-size="{12 * stroke:.2f}" '
                    f'fill="#1565c0">{cid}</text>')
    body.extend(_paths(drawing, (0, 1), stroke))
    if overlay is not None:
        body.extend(overlay(stroke))
    return svg(frame, body, css_class=css_class, label="crane plan")


def elevation_svg(drawing: Mapping[str, Any], *, css_class: str = "") -> str:
    """The elevation view from the south (x right, z up) of a drawing."""
    e = html.escape
    cranes = drawing.get("cranes") or []
    pts = _points(drawing.get("elevation") or [])
    for c in cranes:
        x, _, z = c["base"]
        r = c["working_radius"]
        pts += [(x - r, z), (x + r, c["top"] + 2)]
    if not cranes:
        pts += [(p[0], p[2]) for lift in drawing.get("lifts") or ()
                for p in lift.get("trace") or ()]
    frame = frame_of(pts)
    stroke = stroke_of(frame)
    body = []
    if drawing.get("elevation"):
        body.append(f'<path d="{path_d(drawing["elevation"])}" fill="#b0bec5" '
                    f'fill-rule="evenodd" stroke="#607d8b" stroke-width="{stroke:.3f}">'
                    '<title>model</title></path>')
    for c in cranes:
        x, _, z = c["base"]
        cid = e(str(c["id"]))
        if c.get("jib"):
            left, right, top = c["jib"]
            body.append(f'<line x1="{x:.2f}" y1="{-z:.2f}" x2="{x:.2f}" y2="{-top:.2f}" '
                        f'stroke="#1565c0" stroke-width="{2 * stroke:.3f}"/>'
                        f'<line x1="{left:.2f}" y1="{-top:.2f}" x2="{right:.2f}" '
                        f'y2="{-top:.2f}" stroke="#1565c0" stroke-width="{2 * stroke:.3f}">'
                        f'<title>{cid}</title></line>')
        elif c.get("boom"):
            (px, pz), (tx, tz) = c["boom"]
            body.append(f'<line x1="{px:.2f}" y1="{-pz:.2f}" x2="{tx:.2f}" y2="{-tz:.2f}" '
                        f'stroke="#1565c0" stroke-width="{2 * stroke:.3f}">'
                        f'<title>{cid}</title></line>')
    body.extend(_paths(drawing, (0, 2), stroke))
    return svg(frame, body, css_class=css_class, label="crane elevation")


def _paths(drawing: Mapping[str, Any], axes: tuple[int, int], stroke: float) -> list[str]:
    e = html.escape
    a, b = axes
    out = []
    for lift in drawing.get("lifts") or ():
        trace = lift.get("trace") or []
        if not trace:
            continue
        colour = COLOURS.get(str(lift.get("result")), "#546e7a")
        pts = " ".join(f"{p[a]:.2f},{-p[b]:.2f}" for p in trace)
        first, last = trace[0], trace[-1]
        dash = f' stroke-dasharray="{4 * stroke:.3f}"' if lift.get("dashed") else ""
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}"{dash} '
                   f'stroke-width="{1.5 * stroke:.3f}"><title>{e(str(lift["id"]))}</title>'
                   '</polyline>'
                   f'<circle cx="{first[a]:.2f}" cy="{-first[b]:.2f}" r="{3 * stroke:.3f}" '
                   f'fill="{colour}"/>'
                   f'<rect x="{last[a] - 3 * stroke:.2f}" y="{-last[b] - 3 * stroke:.2f}" '
                   f'width="{6 * stroke:.3f}" height="{6 * stroke:.3f}" fill="{colour}"/>')
        conflict = lift.get("conflict")
        if conflict:
            x, y = conflict["position"][a], conflict["position"][b]
            d = 5 * stroke
            out.append(f'<path d="M{x - d:.2f},{-y - d:.2f} L{x + d:.2f},{-y + d:.2f} '
                       f'M{x - d:.2f},{-y + d:.2f} L{x + d:.2f},{-y - d:.2f}" stroke="#c62828" '
                       f'stroke-width="{2 * stroke:.3f}"><title>{e(str(lift["id"]))}: '
                       f'{e(str(conflict.get("label", "")))}</title></path>')
    return out
