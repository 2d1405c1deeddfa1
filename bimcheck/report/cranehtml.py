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
                   "jib": [x_from, x_to, z] or None, "boom": [[x, z], [x, z]] or None,
                   "mast": z or None, "counter_jib": [x_from, x_to, z] or None
                   (a luffing tower's mast top and counter-jib)}]
    lifts        [{"id", "result", "trace": [[x, y, z], ...], "conflict":
                   {"position": [x, y, z], "label"} or None, "dashed": bool (optional:
                   a path known only by its waypoints)}]
    north        {"direction": [dx, dy], "true": bool}: north in plan, a unit
                 vector; ``true`` when it is the model's TrueNorth (missing: +y)
    names        {element ref: label}: "IfcWall 'Name' (GlobalId)" for the
                 elements the lifts name (missing: the refs themselves)

Every key may be missing or empty. Plan view (x right, y up): the model,
exclusion zones, power lines, each crane's working circle, the overlaps of
crane pairs (red when in conflict), every lift's path from pick (circle) to set
(square), and the first conflict of each lift (red cross); below it a scale
bar (a round length, 1, 2 or 5 × 10^k m, a tenth to a quarter of the view's
width) and a north arrow ("true north" when the model gives one, else "plan
north (+y)"). Elevation view, seen from the south (x right, z up): the model's
x-z outline, each crane's mast and jib (or boom at its lowest angle), the lift
paths and conflicts, a scale bar and a note of the view's direction. Each view
is followed by a legend of what it draws (:func:`plan_figure`,
:func:`elevation_figure`). Elements are named by class, Name and GlobalId
(the drawing's ``names``). Every text that comes from the model or the plan is
HTML-escaped. Coordinates in metres.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bimcheck.crane.drawing import drawing_data

if TYPE_CHECKING:  # the check report draws from plain data without the crane modules
    from bimcheck.crane.run import CraneReport

#: Colour of each lift result.
COLOURS = {"ok": "#2e7d32", "warning": "#ef6c00", "fail": "#c62828"}

_WIDTH_PX = 900

#: Height (px of a view 900 px wide) of the band under a view that holds its
#: scale bar and north arrow or view note, and the size of their text.
_BAND_PX = 46
_FONT_PX = 13

#: Column heads of the lifts table.
LIFT_HEADS = ("lift", "crane", "weight t", "radius m", "utilization", "band", "clearance m",
              "nearest element", "zones", "power lines", "planned", "time s", "wind m/s",
              "result")

#: Most blocking elements listed for one lift.
_MAX_BLOCKING = 20

Frame = tuple[float, float, float, float]
#: Draws extra SVG over a view, given the view's stroke unit (m).
Overlay = Callable[[float], list[str]]

_CSS = """body { font-family: sans-serif; margin: 2em; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 3px 6px; }
svg { border: 1px solid #ccc; background: #fafafa; }
.legend { display: flex; flex-wrap: wrap; gap: 12px; font-size: 12px; margin: 4px 0 16px; }
"""


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
{_CSS}</style></head><body>
<h1>Lift checks</h1>
<p>Model <b>{e(doc['model']['path'])}</b>, lift plan <b>{e(doc['plan']['path'])}</b>,
required clearance {doc['plan']['clearance']:g} m. Lifts: {e(counts)}.</p>
{lifts_table(doc['lifts'], names=drawing['names'])}
<h2>Crane pairs</h2>{pairs_list(doc['crane_pairs'])}
<h2>Plan</h2>
{plan_figure(drawing)}
<h2>Elevation, seen from the south</h2>
{elevation_figure(drawing)}
</body></html>
"""


def element_text(names: Mapping[str, str] | None, ref: Any, ifc_class: Any = None) -> str:
    """How the page names an element: its label in a drawing's ``names``
    ("IfcWall 'Name' (GlobalId)"), else ``ifc_class (ref)``, else ``ref``
    (plain text)."""
    key = str(ref)
    if names and key in names:
        return str(names[key])
    return f"{ifc_class} ({key})" if ifc_class else key


def wind_text(wind: Any) -> str:
    """A lift's ``wind`` (its JSON dict) for a table cell: ``wind/limit``
    (m/s), or ``not checked`` when the lift has none."""
    if not isinstance(wind, Mapping) or wind.get("wind_m_s") is None:
        return "not checked"
    return f"{wind['wind_m_s']:g}/{wind['limit_m_s']:g}"


def lifts_table(lifts: Sequence[Mapping[str, Any]], *, css_class: str = "",
                names: Mapping[str, str] | None = None) -> str:
    """The lifts of a crane report (its ``lifts`` dicts) as an HTML table:
    one row per lift, and one row per problem, wind over the limit, collision
    and list of blocking elements of a lift; elements named by ``names`` (a
    drawing's)."""
    e = html.escape
    rows = []
    for lift in lifts:
        util = lift.get("utilization_max")
        weight = lift.get("total_weight")
        rmin, rmax = lift.get("radius_min"), lift.get("radius_max")
        clearance = lift.get("min_clearance")
        duration = lift.get("duration_s")
        nearest = lift.get("min_clearance_element")
        result = str(lift.get("result") or "-")
        cells = (
            lift.get("id"), lift.get("crane"),
            f"{weight:.2f}" if weight is not None else "-",
            f"{rmin:.1f}-{rmax:.1f}" if rmin is not None and rmax is not None else "-",
            f"{util:.0%}" if util is not None else "-", lift.get("band") or "-",
            f"{clearance:.2f}" if clearance is not None else "-",
            element_text(names, nearest) if nearest else "-",
            ", ".join(str(z.get("zone")) for z in lift.get("zones") or ()) or "-",
            ", ".join(str(p.get("id")) for p in lift.get("power_lines") or ()
                      if not p.get("ok")) or "-",
            "yes" if lift.get("planned") else "no",
            f"{duration:.0f}" if duration is not None else "-",
            wind_text(lift.get("wind")),
        )
        colour = COLOURS.get(result, "#333")
        rows.append("<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in cells)
                    + f"<td class=\"result result-{e(result)}\" style=\"color:{colour};"
                    f"font-weight:bold\">{e(result)}</td></tr>")
        for problem in lift.get("problems") or ():
            rows.append(f"<tr><td></td><td colspan=\"13\">{e(str(problem))}</td></tr>")
        wind = lift.get("wind")
        if isinstance(wind, Mapping) and wind.get("ok") is False:
            rows.append(f"<tr class=\"wind\"><td></td><td colspan=\"13\">"
                        f"{e(str(wind.get('message', 'wind over the limit')))}</td></tr>")
        for hit in lift.get("collisions") or ():
            rows.append(f"<tr class=\"collision\"><td></td><td colspan=\"13\">"
                        f"{e(_collision_text(hit, names))}</td></tr>")
        blocking = [str(b) for b in lift.get("blocking") or ()]
        if blocking:
            named = "; ".join(element_text(names, b) for b in blocking[:_MAX_BLOCKING])
            more = len(blocking) - _MAX_BLOCKING
            named += f"; and {more} more" if more > 0 else ""
            rows.append(f"<tr class=\"blocking\"><td></td><td colspan=\"13\">blocked by "
                        f"{e(named)}</td></tr>")
    cls = f' class="{e(css_class)}"' if css_class else ""
    head = "".join(f"<th>{h}</th>" for h in LIFT_HEADS)
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>\n{''.join(rows)}</tbody></table>"


def _collision_text(hit: Mapping[str, Any], names: Mapping[str, str] | None) -> str:
    what = element_text(names, hit.get("global_id"), hit.get("ifc_class"))
    text = f"collision: {hit.get('body') or 'a part'} with {what}"
    distance = hit.get("distance")
    if isinstance(distance, int | float):
        text += f", {distance:.2f} m"
    pos = hit.get("position")
    if isinstance(pos, Sequence) and len(pos) >= 3:
        text += f", hook at ({pos[0]:.1f}, {pos[1]:.1f}, {pos[2]:.1f})"
    return text


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


def scale_length(extent: float) -> float:
    """The scale bar's length (m) for a view ``extent`` m wide: the largest
    1, 2 or 5 × 10^k m not over a quarter of it (so a tenth to a quarter)."""
    target = max(extent / 4, 1e-3)
    k = math.floor(math.log10(target))
    best = 10.0 ** k
    for m in (2, 5, 10):
        if m * 10.0 ** k <= target * (1 + 1e-9):
            best = m * 10.0 ** k
    return float(f"{best:.12g}")


def north_angle(drawing: Mapping[str, Any]) -> float:
    """The north arrow's angle (degrees clockwise from the plan's +y, in
    (-180, 180]) of a drawing's ``north``; 0 when it has none."""
    direction = (drawing.get("north") or {}).get("direction") or (0.0, 1.0)
    dx, dy = float(direction[0]), float(direction[1])
    if not (math.isfinite(dx) and math.isfinite(dy)) or math.hypot(dx, dy) < 1e-9:
        return 0.0
    angle = math.degrees(math.atan2(dx, dy)) + 0.0  # no -0.0
    return 180.0 if angle <= -180.0 + 1e-9 else angle


def _band(frame: Frame) -> tuple[Frame, float, float]:
    """The frame grown by the band under a view, the band's middle (plan y,
    m) and the size (m) of one px of the view at 900 px wide."""
    px = (frame[2] - frame[0]) / _WIDTH_PX
    band = _BAND_PX * px
    return (frame[0], frame[1] - band, frame[2], frame[3]), frame[1] - band / 2, px


def _scale_bar(frame: Frame, y: float, px: float) -> str:
    """A scale bar at the left of the band: ``<g class="scalebar">`` with a
    path ``M x,y v t h <length> v -t`` and its label "<length> m"."""
    bar = scale_length(frame[2] - frame[0])
    x, tick, font = frame[0] + 14 * px, 6 * px, _FONT_PX * px
    return (f'<g class="scalebar"><title>scale bar: {bar:g} m</title>'
            f'<path d="M{x:.3f},{-y - tick:.3f} v{tick:.3f} h{bar:g} v{-tick:.3f}" '
            f'fill="none" stroke="#263238" stroke-width="{1.5 * px:.3f}"/>'
            f'<text x="{x + bar + 6 * px:.3f}" y="{-y + 0.1 * font:.3f}" '
            f'font-size="{font:.3f}" fill="#263238">{bar:g} m</text></g>')


def _north_arrow(drawing: Mapping[str, Any], frame: Frame, y: float, px: float) -> str:
    """The north arrow at the right of the band: ``<g class="north">``
    turned by :func:`north_angle`, with "true north" or "plan north (+y)"."""
    angle = north_angle(drawing)
    true = bool((drawing.get("north") or {}).get("true"))
    caption = "true north" if true else "plan north (+y)"
    title = (f"true north (the model's TrueNorth), {angle:.1f}° clockwise from the plan's +y"
             if true else "plan north: the plan's +y (the model gives no TrueNorth)")
    r, font = 17 * px, _FONT_PX * px
    cx = frame[2] - 14 * px - r
    arrow = (f"M0,{-0.95 * r:.3f} L{0.38 * r:.3f},{0.6 * r:.3f} L0,{0.3 * r:.3f} "
             f"L{-0.38 * r:.3f},{0.6 * r:.3f} Z")
    return (f'<g class="northarrow" data-angle="{angle:.2f}"><title>{title}</title>'
            f'<g class="north" transform="translate({cx:.3f},{-y:.3f}) rotate({angle:.2f})">'
            f'<circle r="{r:.3f}" fill="#fff" stroke="#263238" stroke-width="{px:.3f}"/>'
            f'<path d="{arrow}" fill="#263238"/></g>'
            f'<text x="{cx - r - 6 * px:.3f}" y="{-y + 0.35 * font:.3f}" font-size="{font:.3f}" '
            f'text-anchor="end" fill="#263238">N: {caption}</text></g>')


def _view_note(drawing: Mapping[str, Any], frame: Frame, y: float, px: float) -> str:
    """The elevation's view direction at the right of its band."""
    text = "seen from the south (−y) looking north (+y); x to the right, z up"
    north = drawing.get("north") or {}
    if north.get("true"):
        text = ("seen from −y looking +y (plan axes); x to the right, z up; true north is "
                f"{north_angle(drawing):.1f}° clockwise from +y")
    font = _FONT_PX * px
    return (f'<text class="viewnote" x="{frame[2] - 14 * px:.3f}" y="{-y + 0.35 * font:.3f}" '
            f'font-size="{font:.3f}" text-anchor="end" fill="#263238">{text}</text>')


def plan_svg(drawing: Mapping[str, Any], *, overlay: Overlay | None = None,
             css_class: str = "") -> str:
    """The plan view of a drawing (see the module docstring) with its scale
    bar and north arrow; ``overlay`` adds SVG drawn over the plan."""
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
        body.append(f'<circle class="working" cx="{x:.2f}" cy="{-y:.2f}" '
                    f'r="{c["working_radius"]:.2f}" '
                    f'fill="none" stroke="#1565c0" stroke-width="{stroke:.3f}"/>'
                    f'<circle cx="{x:.2f}" cy="{-y:.2f}" r="{3 * stroke:.3f}" fill="#1565c0">'
                    f'<title>{cid}</title></circle>'
                    f'<text x="{x:.2f}" y="{-y - 4 * stroke:.2f}" font-size="{12 * stroke:.2f}" '
                    f'fill="#1565c0">{cid}</text>')
    body.extend(_paths(drawing, (0, 1), stroke))
    if overlay is not None:
        body.extend(overlay(stroke))
    framed, y_band, px = _band(frame)
    body.append(_scale_bar(frame, y_band, px))
    body.append(_north_arrow(drawing, frame, y_band, px))
    return svg(framed, body, css_class=css_class, label="crane plan")


def elevation_svg(drawing: Mapping[str, Any], *, css_class: str = "") -> str:
    """The elevation view from the south (x right, z up) of a drawing, with
    its scale bar and a note of the view's direction."""
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
                        f'<line class="jib" x1="{left:.2f}" y1="{-top:.2f}" x2="{right:.2f}" '
                        f'y2="{-top:.2f}" stroke="#1565c0" stroke-width="{2 * stroke:.3f}">'
                        f'<title>{cid}</title></line>')
        elif c.get("boom"):
            (px, pz), (tx, tz) = c["boom"]
            if c.get("mast") is not None:  # a luffing tower: mast and counter-jib
                body.append(f'<line x1="{x:.2f}" y1="{-z:.2f}" x2="{x:.2f}" '
                            f'y2="{-c["mast"]:.2f}" stroke="#1565c0" '
                            f'stroke-width="{2 * stroke:.3f}"/>')
            if c.get("counter_jib"):
                left, right, top = c["counter_jib"]
                body.append(f'<line x1="{left:.2f}" y1="{-top:.2f}" x2="{right:.2f}" '
                            f'y2="{-top:.2f}" stroke="#1565c0" '
                            f'stroke-width="{2 * stroke:.3f}"/>')
            body.append(f'<line x1="{px:.2f}" y1="{-pz:.2f}" x2="{tx:.2f}" y2="{-tz:.2f}" '
                        f'stroke="#1565c0" stroke-width="{2 * stroke:.3f}">'
                        f'<title>{cid}</title></line>')
    body.extend(_paths(drawing, (0, 2), stroke))
    framed, y_band, unit = _band(frame)
    body.append(_scale_bar(frame, y_band, unit))
    body.append(_view_note(drawing, frame, y_band, unit))
    return svg(framed, body, css_class=css_class, label="crane elevation")


# -- legends ------------------------------------------------------------------------------

def _swatch(style: str) -> str:
    return f'<i style="display:inline-block;vertical-align:middle;margin-right:4px;{style}"></i>'


def _fill(fill: str, edge: str) -> str:
    return _swatch(f"width:14px;height:10px;border-radius:0;border:1px solid {edge};"
                   f"background:{fill}")


def _line(colour: str, dashed: bool = False, width: int = 2) -> str:
    kind = "dashed" if dashed else "solid"
    return _swatch(f"width:18px;height:0;border:none;border-radius:0;"
                   f"border-top:{width}px {kind} {colour};background:none")


def _ring(colour: str) -> str:
    return _swatch(f"width:10px;height:10px;border-radius:50%;border:1.5px solid {colour};"
                   "background:none")


def _dot(colour: str, round_: bool = True) -> str:
    radius = "50%" if round_ else "0"
    return _swatch(f"width:8px;height:8px;border-radius:{radius};border:none;"
                   f"background:{colour}")


_CROSS = '<b style="color:#c62828;margin-right:4px">✕</b>'


def _legend(entries: Sequence[tuple[str, str, str]], view: str) -> str:
    items = "".join(f'<span data-key="{key}">{mark}{html.escape(text)}</span>'
                    for key, mark, text in entries)
    return f'<div class="legend crane-legend" data-view="{view}">{items}</div>'


def _lift_entries(drawing: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    lifts = [x for x in drawing.get("lifts") or () if x.get("trace")]
    out: list[tuple[str, str, str]] = []
    if not lifts:
        return out
    out += [(f"path-{r}", _line(c), f"lift path: {r}") for r, c in COLOURS.items()]
    if any(x.get("dashed") for x in lifts):
        out.append(("path-dashed", _line("#546e7a", dashed=True),
                    "dashed: a path drawn through its waypoints"))
    out += [("pick", _dot("#546e7a"), "pick"), ("set", _dot("#546e7a", round_=False), "set")]
    if any(x.get("conflict") for x in lifts):
        out.append(("conflict", _CROSS, "first conflict of a lift"))
    return out


def plan_legend(drawing: Mapping[str, Any]) -> str:
    """The legend of a drawing's plan view: an entry for each kind of thing
    it draws (``<span data-key=...>``)."""
    entries = []
    if drawing.get("footprint"):
        entries.append(("model", _fill("#b0bec5", "#607d8b"),
                        "model (its elements' plan bounds)"))
    if drawing.get("zones"):
        entries.append(("zone", _fill("rgba(255,204,128,.6)", "#ef6c00"), "exclusion zone"))
    if drawing.get("power_lines"):
        entries.append(("power-line", _line("#6a1b9a", dashed=True), "power line"))
    if drawing.get("cranes"):
        entries += [("crane-base", _dot("#1565c0"), "crane base"),
                    ("working-circle", _ring("#1565c0"), "working circle")]
    overlaps = drawing.get("overlaps") or []
    if any(not p.get("conflict") for p in overlaps):
        entries.append(("overlap", _fill("rgba(144,164,174,.25)", "rgba(144,164,174,.25)"),
                        "working circles overlap"))
    if any(p.get("conflict") for p in overlaps):
        entries.append(("overlap-conflict", _fill("rgba(198,40,40,.25)", "rgba(198,40,40,.25)"),
                        "overlap in conflict (jibs too close)"))
    entries += _lift_entries(drawing)
    return _legend(entries, "plan")


def elevation_legend(drawing: Mapping[str, Any]) -> str:
    """The legend of a drawing's elevation view."""
    entries = []
    if drawing.get("elevation"):
        entries.append(("model", _fill("#b0bec5", "#607d8b"), "model (its elements' x-z bounds)"))
    if drawing.get("cranes"):
        entries.append(("crane", _line("#1565c0", width=3),
                        "crane: mast and jib (boom at its lowest angle)"))
    entries += _lift_entries(drawing)
    return _legend(entries, "elevation")


def plan_figure(drawing: Mapping[str, Any], *, overlay: Overlay | None = None,
                css_class: str = "") -> str:
    """The plan view (:func:`plan_svg`) and its legend."""
    return plan_svg(drawing, overlay=overlay, css_class=css_class) + plan_legend(drawing)


def elevation_figure(drawing: Mapping[str, Any], *, css_class: str = "") -> str:
    """The elevation view (:func:`elevation_svg`) and its legend."""
    return elevation_svg(drawing, css_class=css_class) + elevation_legend(drawing)


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
