"""The pictures of the risk report (:mod:`bimcheck.report.checkhtml`), drawn
from ``report.json`` alone as inline SVG: per-storey plan views with numbered
finding markers, bar charts of risk, the trend of earlier runs, and the crane
drawing (:mod:`bimcheck.report.cranehtml`) made from the report's data.

Coordinates are world metres (x right, y up; SVG's y is flipped). Every text
from a model, a pack or a plan is HTML-escaped. Same document, same bytes.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import shapely

#: Severities, worst first (bimcheck.packs.schema.SEVERITIES, repeated here so
#: that the report needs no pack code).
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")

#: Footprint fill class by the start of an IFC class name (first match wins).
_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("IfcWall", "wall"), ("IfcCurtainWall", "wall"),
    ("IfcSlab", "slab"), ("IfcRoof", "slab"), ("IfcCovering", "slab"),
    ("IfcFooting", "struct"), ("IfcPile", "struct"), ("IfcBeam", "struct"),
    ("IfcColumn", "struct"), ("IfcMember", "struct"), ("IfcPlate", "struct"),
    ("IfcDoor", "opening"), ("IfcWindow", "opening"),
    ("IfcDuct", "mep"), ("IfcPipe", "mep"), ("IfcCable", "mep"), ("IfcFlow", "mep"),
    ("IfcDistribution", "mep"), ("IfcEnergyConversion", "mep"), ("IfcAirTerminal", "mep"),
    ("IfcLight", "mep"), ("IfcSanitary", "mep"), ("IfcValve", "mep"), ("IfcPump", "mep"),
)

#: Legend of the footprint classes.
CATEGORY_LABELS: tuple[tuple[str, str], ...] = (
    ("slab", "slabs, roofs"), ("wall", "walls"), ("struct", "beams, columns"),
    ("opening", "doors, windows"), ("mep", "MEP"), ("other", "other"),
)

_WIDTH_PX = 900


def _e(value: Any) -> str:
    return html.escape(str(value))


def category(ifc_class: str) -> str:
    """The footprint class of an IFC class (``wall``, ``slab``, ``struct``,
    ``opening``, ``mep`` or ``other``)."""
    for prefix, name in _CATEGORIES:
        if ifc_class.startswith(prefix):
            return name
    return "other"


def finding_storey(finding: Mapping[str, Any]) -> str:
    """The storey a finding is drawn on: a clash's ``detail.clash_storey``,
    else the finding's storey; ``-`` for none."""
    detail = finding.get("detail") or {}
    if finding.get("family") == "clash" and detail.get("clash_storey"):
        return str(detail["clash_storey"])
    return str(finding.get("storey") or "-")


def locate_findings(doc: Mapping[str, Any]) -> dict[int, list[tuple[int, dict[str, Any]]]]:
    """``{view index: [(finding number, finding)]}``: each finding with a
    location on the plan view of its model and storey (:func:`finding_storey`);
    finding numbers count from 1 in report order."""
    views = doc.get("views") or []
    by_model: dict[tuple[str, str], int] = {}
    by_storey: dict[str, int] = {}
    for i, v in enumerate(views):
        by_model.setdefault((str(v.get("model")), str(v.get("storey"))), i)
        by_storey.setdefault(str(v.get("storey")), i)
    out: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    for n, f in enumerate(doc.get("findings") or [], start=1):
        loc = f.get("location")
        if not loc or len(loc) < 2 or any(not _finite(v) for v in loc[:2]):
            continue
        storey = finding_storey(f)
        elements = f.get("elements") or []
        index = None
        if elements:
            index = by_model.get((str(elements[0].get("model")), storey))
        if index is None:
            index = by_storey.get(storey)
        if index is not None:
            out.setdefault(index, []).append((n, f))
    return out


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _area(ring: Sequence[Sequence[float]]) -> float:
    return abs(sum(ring[i - 1][0] * p[1] - p[0] * ring[i - 1][1]
                   for i, p in enumerate(ring))) / 2


def _nice(span: float) -> float:
    """A round length (1, 2 or 5 × 10^k m) about a fifth of ``span``."""
    raw = max(span / 5, 1e-3)
    base = 10 ** math.floor(math.log10(raw))
    return next(m * base for m in (1, 2, 5, 10) if m * base >= raw)


#: A marker's radius as a part of its view's width (about 9 px on a 520 px plan).
MARKER_PART = 1 / 58


def marker_radius(frame: tuple[float, float, float, float]) -> float:
    """Radius (m) of a finding marker on a view of ``frame``."""
    return (frame[2] - frame[0]) * MARKER_PART


def _spread(points: Sequence[tuple[float, float]], radius: float) -> list[tuple[float, float]]:
    """Where to draw markers of ``radius`` at ``points`` (in placing order) so
    that they do not cover each other: each at its point when that is free,
    else at the first free place on rings of 6 and 12 around it; at its point
    when none is free. Placed markers are kept in a grid of cells one marker
    across (2 × radius), so each test looks at the 3 × 3 cells around a spot:
    linear in the number of markers (28,717 on the Great Court roof)."""
    rings = [(0.0, 0.0)]
    for distance, count in ((2.1, 6), (4.2, 12)):
        rings += [(distance * radius * math.cos(2 * math.pi * k / count + 0.5),
                   distance * radius * math.sin(2 * math.pi * k / count + 0.5))
                  for k in range(count)]
    placed: list[tuple[float, float]] = []
    limit = (2 * radius) ** 2 * 0.98
    cell = 2 * radius if radius > 0 else 1.0
    grid: dict[tuple[int, int], list[tuple[float, float]]] = {}
    cell_of = grid.get
    floor = math.floor
    # the spot's own cell first: a spot that is not free mostly is not for
    # a marker there
    around = ((0, 0), (-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))

    for x, y in points:
        spot = (x, y)
        for dx, dy in rings:
            cx, cy = x + dx, y + dy
            i, j = floor(cx / cell), floor(cy / cell)
            if not any((cx - px) ** 2 + (cy - py) ** 2 < limit
                       for di, dj in around for px, py in cell_of((i + di, j + dj), ())):
                spot = (cx, cy)
                break
        placed.append(spot)
        key = (floor(spot[0] / cell), floor(spot[1] / cell))
        if key in grid:
            grid[key].append(spot)
        else:
            grid[key] = [spot]
    return placed


def markers_svg(markers: Iterable[tuple[int, Mapping[str, Any]]], radius: float, *,
                id_prefix: str = "m-") -> list[str]:
    """Numbered markers at the findings' (x, y): the worst severity placed
    first and drawn last (on top), others moved aside (with a leader line)
    where they would cover one; each a focusable ``<g class="marker">`` with
    ``id`` = ``id_prefix`` + key and ``data-key``."""
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    items = sorted(markers, key=lambda m: (rank.get(str(m[1].get("severity")), 9), m[0]))
    spots = _spread([(float(f["location"][0]), float(f["location"][1])) for _, f in items],
                    radius)
    out = []
    for (n, f), (x, y) in zip(items, spots, strict=True):
        fx, fy = float(f["location"][0]), float(f["location"][1])
        leader = ""
        if (x, y) != (fx, fy):
            dx, dy = fx - x, -(fy - y)
            leader = (f'<path class="leader" d="M{dx:.2f},{dy:.2f} L0,0"/>'
                      f'<circle class="leader" cx="{dx:.2f}" cy="{dy:.2f}" '
                      f'r="{radius * 0.18:.3f}"/>')
        key = _e(f.get("key"))
        sev = _e(f.get("severity"))
        label = str(n)
        size = radius * (1.15 if len(label) < 3 else 0.9)
        out.append(
            f'<g class="marker sev-{sev}" id="{id_prefix}{key}" data-key="{key}" data-n="{n}" '
            f'tabindex="0" role="link" aria-label="finding {n}" '
            f'transform="translate({x:.2f},{-y:.2f})">'
            f'<title>#{n} {_e(f.get("rule"))} {sev}: {_e(f.get("message"))}</title>{leader}'
            f'<circle r="{radius:.3f}"/><text font-size="{size:.3f}" dy="{size * 0.36:.3f}">'
            f'{label}</text></g>')
    return out[::-1]


def plan_view_svg(view: Mapping[str, Any], markers: Sequence[tuple[int, Mapping[str, Any]]],
                  ) -> str:
    """The plan of one storey: its footprints (largest below) and the markers
    of its findings, with a scale bar."""
    b = view.get("bounds") or [0.0, 0.0, 10.0, 10.0]
    xs = [b[0], b[2], *(f["location"][0] for _, f in markers)]
    ys = [b[1], b[3], *(f["location"][1] for _, f in markers)]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1.0)
    # room for the markers: pad = 4 % + 2.2 radii, the radius a part of the padded width
    radius = (max(xs) - min(xs) + 0.08 * span) * MARKER_PART / (1 - 4.4 * MARKER_PART)
    pad = span * 0.04 + (2.2 * radius if markers else 0.0)
    width = max(xs) - min(xs) + 2 * pad
    font = width / 48
    frame = (min(xs) - pad, min(ys) - pad - font * 2.2, max(xs) + pad, max(ys) + pad)
    prints = sorted(view.get("footprints") or [],
                    key=lambda p: (-_area(p.get("outline") or []), str(p.get("global_id"))))
    body = []
    for p in prints:
        outline = p.get("outline") or []
        if len(outline) < 3:
            continue
        d = "M" + " L".join(f"{x:.2f},{-y:.2f}" for x, y, *_ in outline) + " Z"
        cls = category(str(p.get("ifc_class", "")))
        body.append(f'<path class="fp fp-{cls}" d="{d}"><title>{_e(p.get("ifc_class"))} '
                    f'{_e(p.get("global_id"))}</title></path>')
    # scale bar, bottom left
    bar = _nice(span)
    x0, y0 = frame[0] + pad, frame[1] + font * 1.6
    tick = font * 0.4
    label = f"{bar:g} m"
    body.append(f'<g class="scale"><path d="M{x0:.2f},{-y0 - tick:.2f} L{x0:.2f},{-y0:.2f} '
                f'L{x0 + bar:.2f},{-y0:.2f} L{x0 + bar:.2f},{-y0 - tick:.2f}"/>'
                f'<text x="{x0 + bar + font * 0.5:.2f}" y="{-y0 + font * 0.35:.2f}" '
                f'font-size="{font:.3f}">{label}</text></g>')
    body.extend(markers_svg(markers, marker_radius(frame)))
    return _svg(frame, body, css_class="plan",
                label=f"plan of {view.get('storey')}")


def _svg(frame: tuple[float, float, float, float], body: Sequence[str], *, css_class: str,
         label: str) -> str:
    x0, y0, x1, y1 = frame
    w, h = x1 - x0, y1 - y0
    height = max(120, int(_WIDTH_PX * h / max(w, 1e-9)))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="{_e(css_class)}" role="img" '
            f'aria-label="{_e(label)}" width="{_WIDTH_PX}" height="{height}" '
            f'viewBox="{x0:.2f} {-y1:.2f} {w:.2f} {h:.2f}">' + "".join(body) + "</svg>")


def bar_chart(items: Sequence[tuple[str, float]], *, css_class: str = "bars",
              fmt: str = "{:.1f}") -> str:
    """A horizontal bar chart of ``(label, value)`` (largest first), or a note
    when there is nothing to draw."""
    rows = sorted(((str(k), float(v)) for k, v in items), key=lambda kv: (-kv[1], kv[0]))
    if not rows or max(v for _, v in rows) <= 0:
        return '<p class="muted">no risk to chart</p>'
    top = max(v for _, v in rows)
    label_w, bar_w, row_h = 150, 210, 24
    width = label_w + bar_w + 70
    out = []
    for i, (label, value) in enumerate(rows):
        y = i * row_h
        w = bar_w * value / top
        label = "none" if label == "-" else label
        short = label if len(label) <= 20 else label[:19] + "…"
        out.append(f'<g class="bar" transform="translate(0,{y})"><title>{_e(label)}: '
                   f'{fmt.format(value)}</title>'
                   f'<text class="lbl" x="{label_w - 8}" y="16">{_e(short)}</text>'
                   f'<rect x="{label_w}" y="4" width="{w:.1f}" height="16" rx="2"/>'
                   f'<text class="val" x="{label_w + w + 6:.1f}" y="16">'
                   f'{fmt.format(value)}</text></g>')
    height = len(rows) * row_h + 4
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="{_e(css_class)}" role="img" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
            + "".join(out) + "</svg>")


def severity_bar(by_severity: Mapping[str, int]) -> str:
    """One stacked bar of the findings by severity (100 % wide)."""
    total = sum(int(by_severity.get(s, 0)) for s in SEVERITIES)
    if total == 0:
        return '<div class="sevbar empty"></div>'
    parts = []
    for s in SEVERITIES:
        n = int(by_severity.get(s, 0))
        if n:
            parts.append(f'<span class="sev-{s}" style="width:{100 * n / total:.2f}%" '
                         f'title="{n} {s}"></span>')
    return '<div class="sevbar">' + "".join(parts) + "</div>"


def _trend_value(entry: Mapping[str, Any]) -> float | None:
    for name in ("findings", "total"):
        v = entry.get(name)
        if _finite(v):
            return float(v)
    return None


def _trend_label(entry: Mapping[str, Any], i: int) -> str:
    for name in ("label", "revision", "run", "created", "date"):
        if entry.get(name):
            return str(entry[name])
    return f"run {i + 1}"


def trend_chart(trend: Sequence[Mapping[str, Any]], current: int) -> str:
    """Columns of the earlier runs' finding totals (oldest first) and this
    run's; "no history yet" when there are none."""
    points = [(_trend_label(t, i), _trend_value(t)) for i, t in enumerate(trend)
              if isinstance(t, Mapping)]
    points = [(k, v) for k, v in points if v is not None]
    if not points:
        return ('<p class="muted" id="trend-empty">No history yet: the trend appears once '
                'earlier runs of this model are recorded.</p>')
    points.append(("this run", float(current)))
    top = max(v for _, v in points) or 1.0
    col_w, gap, h = 36, 14, 140
    width = len(points) * (col_w + gap) + gap
    out = []
    for i, (label, value) in enumerate(points):
        x = gap + i * (col_w + gap)
        ch = (h - 30) * value / top
        cls = "col now" if i == len(points) - 1 else "col"
        short = label if len(label) <= 10 else label[:9] + "…"
        out.append(f'<g class="{cls}"><title>{_e(label)}: {value:g}</title>'
                   f'<rect x="{x}" y="{h - 18 - ch:.1f}" width="{col_w}" height="{ch:.1f}" '
                   f'rx="2"/><text class="val" x="{x + col_w / 2}" y="{h - 22 - ch:.1f}">'
                   f'{value:g}</text><text class="lbl" x="{x + col_w / 2}" y="{h - 4}">'
                   f'{_e(short)}</text></g>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="trend" role="img" '
            f'width="{width}" height="{h}" viewBox="0 0 {width} {h}">' + "".join(out)
            + "</svg>")


# -- the crane drawing from report.json ---------------------------------------------------

def _union_rings(polys: list[Any]) -> list[list[list[list[float]]]]:
    polys = [p for p in polys if p.is_valid and not p.is_empty]
    if not polys:
        return []
    geom = shapely.union_all(polys).simplify(0.05)
    out = []
    for poly in getattr(geom, "geoms", [geom]):
        if isinstance(poly, shapely.Polygon) and not poly.is_empty:
            out.append([[[round(x, 2), round(y, 2)] for x, y in ring.coords]
                        for ring in (poly.exterior, *poly.interiors)])
    return out


def crane_drawing(section: Mapping[str, Any], views: Sequence[Mapping[str, Any]],
                  ) -> dict[str, Any]:
    """A :mod:`~bimcheck.report.cranehtml` drawing of the crane section of a
    report: its own ``drawing`` when it has one, else made from what the
    report holds: the model's outline in plan (union of the storey footprints)
    and from the south (each storey's footprints' x extents between its
    elevation and the next storey's), the lifts' waypoints and their first
    collisions. Cranes, zones and power lines are not in report.json."""
    if isinstance(section.get("drawing"), Mapping):
        return dict(section["drawing"])
    model = (section.get("model") or {}).get("path")
    mine = [v for v in views if v.get("model") == model] or list(views)
    plan = [shapely.Polygon(p["outline"]) for v in mine for p in v.get("footprints") or []
            if len(p.get("outline") or []) >= 3]
    levels = sorted((v for v in mine if _finite(v.get("elevation"))),
                    key=lambda v: v["elevation"])
    side = []
    for i, v in enumerate(levels):
        z0 = float(v["elevation"])
        if i + 1 < len(levels):
            z1 = float(levels[i + 1]["elevation"])
        else:
            z1 = z0 + (z0 - float(levels[i - 1]["elevation"]) if i else 3.0)
        if z1 - z0 < 0.1:
            continue
        for p in v.get("footprints") or []:
            xs = [q[0] for q in p.get("outline") or []]
            if xs and max(xs) - min(xs) > 0:
                side.append(shapely.box(min(xs), z0, max(xs), z1))
    lifts = []
    for lift in section.get("lifts") or []:
        trace = [list(p) for p in lift.get("path") or [] if len(p) >= 3]
        hits = lift.get("collisions") or []
        conflict = None
        if hits and hits[0].get("position"):
            c = hits[0]
            conflict = {"position": list(c["position"]),
                        "label": f"{c.get('ifc_class', '')} ({c.get('global_id', '')})"}
        lifts.append({"id": lift.get("id"), "result": lift.get("result"), "trace": trace,
                      "conflict": conflict, "dashed": True})
    return {"footprint": _union_rings(plan), "elevation": _union_rings(side),
            "lifts": lifts, "derived": True}
