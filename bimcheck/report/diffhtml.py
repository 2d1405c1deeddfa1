"""The diff as one self-contained HTML page: summary, causes, a plan per storey
coloured added / removed / modified / moved, and the change table.

Made from the JSON document of ``bimcheck diff`` (with ``views``); every
string from a model is escaped; no script, no external resource (the page's
Content-Security-Policy allows inline styles and nothing else).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

_WIDTH_PX = 720
_COLOURS = {"added": "#2e7d32", "removed": "#c62828", "modified": "#ef6c00",
            "moved": "#1565c0", "unchanged": "#e3e8eb"}
_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1c2833;background:#fafafa}
header,main,footer{max-width:1100px;margin:0 auto;padding:12px 20px}
h1{font-size:20px;margin:8px 0} h2{font-size:16px;margin:22px 0 8px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #e0e0e0;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#eceff1} .chip{display:inline-block;padding:2px 8px;border-radius:10px;
margin-right:6px;color:#fff} .chip.unchanged{color:#37474f}
svg.plan{background:#fff;border:1px solid #e0e0e0;display:block;margin:6px 0}
.fp{stroke:#90a4ae;stroke-width:.02}.fp.old{fill:none;stroke-dasharray:.15 .1;stroke-width:.05}
.fp.changed{fill-opacity:.55;stroke-width:.06}.ring{fill:none;stroke-width:.08}
.legend span{margin-right:14px} footer{color:#78909c;font-size:12px}
""" + "".join(f".fp.{k}{{fill:{v}}}.fp.changed.{k},.fp.old.{k},.ring.{k}{{stroke:{v}}}"
              f".chip.{k}{{background:{v}}}" for k, v in _COLOURS.items())


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _area(ring: Sequence[Sequence[float]]) -> float:
    """Area (m²) of a plan outline (shoelace)."""
    n = len(ring)
    return abs(sum(ring[i][0] * ring[(i + 1) % n][1] - ring[(i + 1) % n][0] * ring[i][1]
                   for i in range(n))) / 2


def _plan(view: Mapping[str, Any]) -> str:
    b = view.get("bounds") or [0.0, 0.0, 10.0, 10.0]
    span = max(b[2] - b[0], b[3] - b[1], 1.0)
    pad = span * 0.04
    x0, y0, x1, y1 = b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad
    height = max(120, int(_WIDTH_PX * (y1 - y0) / max(x1 - x0, 1e-9)))
    body, rings = [], []
    # largest below; a changed element above the unchanged ones of its size
    prints = sorted((p for p in view.get("footprints") or [] if len(p.get("outline") or []) >= 3),
                    key=lambda p: (-_area(p["outline"]), p.get("status") != "unchanged",
                                   bool(p.get("old")), str(p.get("global_id"))))
    small = (span * 0.02) ** 2
    for p in prints:
        outline = p["outline"]
        d = "M" + " L".join(f"{x:.2f},{-y:.2f}" for x, y, *_ in outline) + " Z"
        status = p.get("status") if p.get("status") in _COLOURS else "unchanged"
        cls = f"fp {status}" + (" old" if p.get("old") else "") + (
            " changed" if status != "unchanged" else "")
        label = f"{p.get('ifc_class')} {p.get('name') or p.get('global_id')}: {status}" + (
            " (old place)" if p.get("old") else "")
        body.append(f'<path class="{cls}" d="{d}"><title>{_e(label)}</title></path>')
        if status != "unchanged" and not p.get("old") and _area(outline) < small:
            cx = sum(q[0] for q in outline) / len(outline)
            cy = sum(q[1] for q in outline) / len(outline)
            rings.append(f'<circle class="ring {status}" cx="{cx:.2f}" cy="{-cy:.2f}" '
                         f'r="{span * 0.02:.2f}"><title>{_e(label)}</title></circle>')
    body += rings
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="plan" role="img" '
            f'aria-label="plan of {_e(view.get("storey"))}" width="{_WIDTH_PX}" '
            f'height="{height}" viewBox="{x0:.2f} {-y1:.2f} {x1 - x0:.2f} {y1 - y0:.2f}">'
            + "".join(body) + "</svg>")


def _change_text(change: Mapping[str, Any]) -> str:
    kind = change.get("kind")
    if kind == "placement":
        t = ", ".join(f"{v:g}" for v in change.get("translation") or [])
        return f"moved ({t}) m, turned {change.get('rotation_deg', 0):g}°"
    if kind in ("attributes", "properties"):
        parts = []
        for v in change.get("values") or []:
            name = v.get("attribute") or f"{v.get('pset')}.{v.get('property')}"
            parts.append(f"{name}: {v.get('old')} → {v.get('new')}")
        return "; ".join(parts)
    if kind == "geometry":
        old, new = change.get("old") or {}, change.get("new") or {}
        return f"volume {old.get('volume', '?')} → {new.get('volume', '?')} m³"
    if kind == "openings":
        return f"openings area {change.get('area_delta', 0):+g} m²"
    old, new = change.get("old"), change.get("new")
    if isinstance(old, Mapping):
        old = old.get("name")
    if isinstance(new, Mapping):
        new = new.get("name")
    return f"{old} → {new}"


def _rows(elements: Sequence[Mapping[str, Any]]) -> str:
    order = {"added": 0, "removed": 1, "modified": 2, "moved": 3}
    rows = sorted((e for e in elements if e.get("status") != "unchanged"),
                  key=lambda e: (order.get(str(e.get("status")), 9), str(e.get("ifc_class")),
                                 str(e.get("name")), str(e.get("global_id"))))
    out = []
    for e in rows:
        changes = "<br>".join(f"<b>{_e(c.get('kind'))}</b> {_e(_change_text(c))}"
                              for c in e.get("changes") or [])
        out.append(
            f'<tr><td><span class="chip {_e(e.get("status"))}">{_e(e.get("status"))}</span>'
            f'</td><td>{_e(e.get("ifc_class"))} {_e(e.get("name"))}<br><small>'
            f'{_e(e.get("global_id"))}</small></td><td>{_e(e.get("storey"))}</td>'
            f'<td>{_e(e.get("matched_by"))}</td><td>{_e(e.get("cause"))}</td>'
            f'<td>{changes}</td></tr>')
    return "".join(out)


def diff_html(doc: Mapping[str, Any]) -> str:
    """The page (UTF-8 text) of a ``bimcheck diff`` JSON document."""
    header = doc.get("header") or {}
    models = [str(m.get("path")) for m in header.get("models") or []]
    title = " → ".join(models) or "revision diff"
    summary = doc.get("summary") or {}
    chips = "".join(f'<span class="chip {_e(k)}">{_e(v)} {_e(k)}</span>'
                    for k, v in (summary.get("statuses") or {}).items())
    causes = "".join(
        f"<tr><td>{_e(c.get('id'))}</td><td>{_e(c.get('kind'))}</td>"
        f"<td>{_e((c.get('subject') or {}).get('name'))}</td>"
        f"<td>{len(c.get('elements') or [])}</td></tr>" for c in doc.get("causes") or [])
    plans = "".join(f"<h3>{_e(v.get('storey'))}</h3>{_plan(v)}"
                    for v in doc.get("views") or [])
    legend = "".join(f'<span class="chip {k}">{k}</span>' for k in _COLOURS)
    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    version = (header.get("tool") or {}).get("version")
    same = ("<p>The set of geometry is unchanged: identical elements changed places.</p>"
            if summary.get("geometry_set_unchanged") else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Revision diff: {_e(title)}</title><style>{_CSS}</style></head><body>
<header><h1>Revision diff: {_e(title)}</h1><div>{chips}</div>{same}</header>
<main>
<h2 id="causes">Causes</h2>
{f'<table><tr><th>id</th><th>kind</th><th>subject</th><th>elements</th></tr>{causes}</table>'
 if causes else '<p>No change explains several others.</p>'}
<h2 id="plans">Plans</h2><p class="legend">{legend} dashed: the old place of a moved or
removed element; a ring marks a small changed element</p>
{plans or '<p>No geometry to draw.</p>'}
<h2 id="changes">Changes</h2>
<table><tr><th>status</th><th>element</th><th>storey</th><th>matched by</th><th>cause</th>
<th>changes</th></tr>{_rows(doc.get("elements") or [])}</table>
</main>
<footer>bimcheck {_e(version)} · made from the diff JSON · the same diff gives the same
page</footer>
</body></html>
"""
