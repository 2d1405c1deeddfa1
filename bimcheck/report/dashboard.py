"""The portfolio dashboard of a batch (``dashboard.html``), made from the
portfolio document (``batch.json``) alone, in the risk report's style.

One self-contained page with no script (a Content-Security-Policy allows
none): the summary cards; the projects × revisions matrix (each cell: risk,
findings by severity, the change order's net cost, a link to the revision's
own report, ``new`` when this batch made it, the failure when it failed);
per project the trend charts (risk and findings by severity per revision,
cost delta per revision); what is new since the previous batch; the failed
models. Every text from a model, a manifest or a pack is HTML-escaped.
Element ids: ``cell-<project>-<revision>`` for matrix cells (with
``data-status``, ``data-new``, ``data-risk``), ``trend-<project>`` and
``cost-<project>`` for the charts, ``new-list`` and ``failed-list``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from bimcheck.report.checkhtml_assets import CSS
from bimcheck.report.checkhtml_svg import SEVERITIES, severity_bar
from bimcheck.report.digest import signed_money

Doc = Mapping[str, Any]

_EXTRA_CSS = """
table.matrix td { min-width:150px; }
table.matrix td.failed { background:#fdecea; }
table.matrix td .risk { font-size:18px; font-weight:700; }
.tag { border-radius:3px; padding:0 5px; font-size:11px; font-weight:700; color:#fff; }
.tag.new { background:#1d4e89; } .tag.fail { background:var(--fail); }
.tag.pass { background:var(--pass); }
svg.ptrend { max-width:100%; height:auto; background:#fbfcfd; border:1px solid #e4e7eb;
  border-radius:4px; }
svg.ptrend text { font-size:11px; fill:#334e68; text-anchor:middle; }
svg.ptrend .riskline { fill:none; stroke:#102a43; stroke-width:2px; }
svg.ptrend circle { fill:#102a43; }
svg.ptrend rect.sev-critical { fill:var(--critical); }
svg.ptrend rect.sev-high { fill:var(--high); }
svg.ptrend rect.sev-medium { fill:var(--medium); } svg.ptrend rect.sev-low { fill:var(--low); }
svg.ptrend rect.sev-info { fill:var(--info); }
svg.ptrend rect.up { fill:#c62828; } svg.ptrend rect.down { fill:#2e7d32; }
svg.ptrend line.zero { stroke:#829ab1; }
.proj { border-top:1px solid var(--line); padding-top:12px; margin-top:12px; }
"""


def e(value: Any) -> str:
    return html.escape("-" if value is None else str(value))


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def _cell(r: Mapping[str, Any]) -> str:
    rid = f"cell-{_slug(r['project'])}-{_slug(r['revision'])}"
    link = f'{e(r["folder"])}/report.html'
    new = '<span class="tag new">new</span> ' if r.get("new") else ""
    if r["status"] != "ok":
        return (f'<td id="{rid}" class="failed" data-status="failed" '
                f'data-new="{str(bool(r.get("new"))).lower()}">{new}<b>{e(r["revision"])}</b> '
                f'<span class="tag fail">failed</span><br><span class="warn">'
                f'{e(r["failure"])}</span>: <a href="{e(r["folder"])}/error.txt">why</a></td>')
    c = r["check"]
    gate = ""
    if c["gate"] is not None:
        gate = f' <span class="tag {"pass" if c["gate"] else "fail"}">' \
               f'{"pass" if c["gate"] else "fail"}</span>'
    change = r.get("change") or {}
    cost = ""
    if change.get("status") == "ok":
        totals = change.get("totals")
        cost = (f'<div>Δ cost <b class="cost">{e(signed_money(totals["net"], change["currency"]))}'
                f'</b></div>' if totals else '<div class="muted">Δ cost unpriced</div>')
    elif change:
        cost = f'<div class="warn">diff/price {e(change.get("status"))}</div>'
    return (f'<td id="{rid}" data-status="ok" data-new="{str(bool(r.get("new"))).lower()}" '
            f'data-risk="{c["risk"]:.1f}">{new}<a href="{link}"><b>{e(r["revision"])}</b></a>'
            f'{gate}<div><span class="risk">{c["risk"]:.1f}</span> <span class="muted">risk · '
            f'{c["findings"]} findings</span></div>{severity_bar(c["by_severity"])}{cost}</td>')


def _matrix(doc: Doc) -> str:
    width = max((len(p["revisions"]) for p in doc["projects"]), default=0)
    head = "".join(f"<th>#{i + 1}</th>" for i in range(width))
    rows = []
    for p in doc["projects"]:
        cells = "".join(_cell(r) for r in p["revisions"])
        cells += "<td></td>" * (width - len(p["revisions"]))
        rows.append(f'<tr><th>{e(p["name"])}</th>{cells}</tr>')
    return (f'<section id="matrix"><h2>Projects × revisions</h2><table class="matrix">'
            f'<tr><th>project</th>{head}</tr>{"".join(rows)}</table>'
            '<p class="muted">Each revision links to its own risk report; the change order '
            'is against the revision before it.</p></section>')


def _columns(values: Sequence[tuple[str, Mapping[str, int], float | None]], pid: str) -> str:
    """Stacked columns of findings by severity, with the risk as a line."""
    col, gap, h = 40, 18, 170
    top_n = max((sum(v.values()) for _, v, _ in values), default=0) or 1
    top_r = max((r for _, _, r in values if r is not None), default=0) or 1
    width = len(values) * (col + gap) + gap
    out, points = [], []
    for i, (label, by, risk) in enumerate(values):
        x = gap + i * (col + gap)
        y = h - 20
        for sev in reversed(SEVERITIES):
            n = int(by.get(sev, 0))
            if n:
                hh = (h - 50) * n / top_n
                y -= hh
                out.append(f'<rect class="sev-{sev}" x="{x}" y="{y:.1f}" width="{col}" '
                           f'height="{hh:.1f}"><title>{e(label)}: {n} {sev}</title></rect>')
        out.append(f'<text x="{x + col / 2}" y="{h - 6}">{e(label[:8])}</text>')
        if risk is not None:
            ry = h - 20 - (h - 50) * risk / top_r
            points.append((x + col / 2, ry))
            out.append(f'<circle cx="{x + col / 2}" cy="{ry:.1f}" r="3"><title>{e(label)}: '
                       f'risk {risk:.1f}</title></circle>')
            out.append(f'<text x="{x + col / 2}" y="{ry - 6:.1f}">{risk:.0f}</text>')
    if len(points) > 1:
        d = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        out.insert(0, f'<polyline class="riskline" points="{d}"/>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="ptrend" id="trend-{pid}" '
            f'role="img" width="{width}" height="{h}" viewBox="0 0 {width} {h}">'
            + "".join(out) + "</svg>")


def _costs(values: Sequence[tuple[str, float | None]], pid: str, currency: Any) -> str:
    """Columns of the net cost delta per revision, up red, down green."""
    col, gap, h = 40, 18, 150
    top = max((abs(v) for _, v in values if v is not None), default=0) or 1
    width = len(values) * (col + gap) + gap
    mid = h / 2
    out = [f'<line class="zero" x1="0" x2="{width}" y1="{mid}" y2="{mid}"/>']
    for i, (label, v) in enumerate(values):
        x = gap + i * (col + gap)
        out.append(f'<text x="{x + col / 2}" y="{h - 4}">{e(label[:8])}</text>')
        if v is None:
            continue
        hh = (mid - 22) * abs(v) / top
        y = mid - hh if v >= 0 else mid
        out.append(f'<rect class="{"up" if v >= 0 else "down"}" x="{x}" y="{y:.1f}" '
                   f'width="{col}" height="{hh:.1f}"><title>{e(label)}: '
                   f'{e(signed_money(v, currency))}</title></rect>')
        ty = y - 4 if v >= 0 else y + hh + 12
        out.append(f'<text x="{x + col / 2}" y="{ty:.1f}">{v:+,.0f}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="ptrend" id="cost-{pid}" '
            f'role="img" width="{width}" height="{h}" viewBox="0 0 {width} {h}">'
            + "".join(out) + "</svg>")


def _trends(doc: Doc) -> str:
    parts = []
    for p in doc["projects"]:
        pid = _slug(p["name"])
        values = [(r["revision"], (r["check"] or {}).get("by_severity") or {},
                   (r["check"] or {}).get("risk")) for r in p["revisions"]]
        costs, currency = [], None
        for r in p["revisions"]:
            totals = (r.get("change") or {}).get("totals")
            costs.append((r["revision"], None if not totals else totals["net"]))
            currency = currency or (r.get("change") or {}).get("currency")
        cost_chart = (_costs(costs, pid, currency) if any(v is not None for _, v in costs)
                      else '<p class="muted">no priced change order yet</p>')
        parts.append(f'<div class="proj"><h3>{e(p["name"])}</h3><div class="grid2">'
                     f'<div><div class="muted">risk (line) and findings by severity</div>'
                     f'{_columns(values, pid)}</div><div><div class="muted">net cost delta '
                     f'per revision{" (" + e(currency) + ")" if currency else ""}</div>'
                     f'{cost_chart}</div></div></div>')
    return '<section id="trends"><h2>Trends</h2>' + "".join(parts) + "</section>"


def _new(doc: Doc) -> str:
    items = []
    for p in doc["projects"]:
        for r in p["revisions"]:
            if not r["new"]:
                continue
            if r["status"] != "ok":
                items.append(f'<li>{e(p["name"])} / {e(r["revision"])}: '
                             f'<span class="tag fail">failed</span></li>')
                continue
            c = r["check"]
            listed = "".join(f'<li><span class="sev sev-{e(f["severity"])}">'
                             f'{e(f["severity"])}</span> {e(f["rule"])} {e(f["message"])}</li>'
                             for f in c["new_listed"][:10])
            counts = ", ".join(f"{n} {s}" for s, n in c["new"].items() if n) or "none"
            head = f'<a href="{e(r["folder"])}/report.html">{e(p["name"])} / ' \
                   f'{e(r["revision"])}</a>'
            if not c["compared_with"]:
                items.append(f'<li>{head}: first revision checked, {c["findings"]} '
                             f'finding(s)</li>')
                continue
            items.append(f'<li>{head} against {e(c["compared_with"])}: new findings '
                         f'{e(counts)}, {c["resolved"]} resolved<ul>{listed}</ul></li>')
    body = (f'<ul id="new-list">{"".join(items)}</ul>' if items else
            '<p id="new-list" class="muted">Nothing new since the previous batch: every '
            'revision was done before, with the same inputs.</p>')
    return f'<section id="new"><h2>New since the previous batch</h2>{body}</section>'


def _failed(doc: Doc) -> str:
    if not doc["failed"]:
        return ('<section id="failed"><h2>Failed</h2><p id="failed-list" class="muted">'
                'Every model was checked.</p></section>')
    rows = "".join(f'<tr><td>{e(f["project"])}</td><td>{e(f["revision"])}</td>'
                   f'<td>{e(f["failure"])}</td><td>{e(f["error"])}</td></tr>'
                   for f in doc["failed"])
    return (f'<section id="failed"><h2>Failed</h2><table id="failed-list"><tr><th>project</th>'
            f'<th>revision</th><th>failure</th><th>error</th></tr>{rows}</table></section>')


def _summary(doc: Doc) -> str:
    s = doc["summary"]
    gate = s["gate_failed"]
    gated = any(p["gate"] is not None for p in doc["projects"])
    state = "fail" if gate else ("pass" if gated else "nogate")
    label = {"pass": "PASS", "fail": "FAIL", "nogate": "NO GATE"}[state]
    reasons = "".join(f"<li>{e(g)}</li>" for g in gate)
    new = s["new_findings"]
    return f"""<section id="summary"><h2>Summary</h2><div class="cards">
<div class="card"><div class="muted">Gates of the latest revisions</div>
<div id="sum-verdict" class="verdict verdict-{state}">{label}</div>
<ul>{reasons}</ul></div>
<div class="card"><div class="muted">Portfolio</div><div class="big">
<span id="sum-projects">{s['projects']}</span> <span class="muted" style="font-size:14px">
projects ·</span> <span id="sum-revisions">{s['revisions']}</span> <span class="muted"
style="font-size:14px">revisions</span></div>
<p><b id="sum-failed">{s['failed']}</b> failed</p></div>
<div class="card"><div class="muted">New since the previous batch</div><div class="big">
<span id="sum-new">{s['new_revisions']}</span> <span class="muted" style="font-size:14px">
revisions</span></div>
<p>{' · '.join(f'<span class="sev sev-{sv}">{new.get(sv, 0)} {sv}</span>'
               for sv in SEVERITIES if new.get(sv, 0))
    or 'no new finding'}</p></div></div></section>"""


def dashboard_html(doc: dict[str, Any]) -> str:
    """The page (UTF-8 text) of a portfolio document."""
    h = doc["header"]
    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    prev = f" · previous batch {e(h['previous_batch'])}" if h["previous_batch"] else ""
    nav = [("summary", "Summary"), ("matrix", "Projects × revisions"), ("trends", "Trends"),
           ("new", "New"), ("failed", "Failed")]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{e(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Portfolio dashboard: batch {e(h['batch'])}</title>
<style>{CSS}{_EXTRA_CSS}</style></head><body>
<header class="top"><h1>Portfolio dashboard</h1>
<div class="meta">batch <b>{e(h['batch'])}</b> started {e(h['started'])}{prev} ·
history {e(h['db'])} · bimcheck {e(h['tool']['version'])}</div></header>
<nav class="toc">{''.join(f'<a href="#{k}">{v}</a>' for k, v in nav)}</nav>
<main>
{_summary(doc)}
{_matrix(doc)}
{_trends(doc)}
{_new(doc)}
{_failed(doc)}
</main>
<footer>bimcheck {e(h['tool']['version'])} · made from batch.json · the same batch gives the
same page</footer>
</body></html>
"""
