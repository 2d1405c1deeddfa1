"""The risk report of ``bimcheck check``: ``report.html`` made from
``report.json`` alone (:func:`check_html`).

One self-contained page (inline CSS, SVG and a little script; nothing is
fetched, it works offline): the summary (the gate's verdict, counts by
severity and discipline, coverage), a plan view per storey with numbered
markers at the findings' locations, charts of risk by discipline and storey
and the trend of earlier runs, the top risks, the findings table (sortable,
filterable by severity, discipline and rule), coverage per rule and model,
the crane section (lifts, plan and elevation) and the gate's reasons and
waivers.

Every text from a model, a pack or a plan is HTML-escaped, and the JSON in
the page's ``<script>`` escapes ``<``, ``>``, ``&``, U+2028 and U+2029, so no
name can close it. A Content-Security-Policy lets only the page's own script
run. Same document, same bytes. Element ids: ``f-<key>`` for table rows,
``m-<key>`` for plan markers (``mc-<key>`` on the crane plan); rows carry
``data-severity``, ``data-rule``, ``data-discipline`` (``-`` for none),
``data-storey``, ``data-status`` and ``data-n`` (the finding's number).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

from bimcheck.report import cranehtml
from bimcheck.report.checkhtml_assets import CSS, JS
from bimcheck.report.checkhtml_history import history_section, review_badge
from bimcheck.report.checkhtml_svg import (
    CATEGORY_LABELS,
    MARKER_PART,
    SEVERITIES,
    bar_chart,
    crane_drawing,
    finding_storey,
    locate_findings,
    markers_svg,
    plan_view_svg,
    severity_bar,
    trend_chart,
)
from bimcheck.report.gatedoc import gate_active

Doc = Mapping[str, Any]


def e(value: Any) -> str:
    """``value`` as escaped HTML text or attribute value (``None`` as ``-``)."""
    return html.escape("-" if value is None else str(value))


def script_json(value: Any) -> str:
    """JSON safe inside ``<script>``: ``<``, ``>``, ``&``, U+2028 and U+2029
    as ``\\u`` escapes (sorted keys, compact)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def gate_state(gate: Mapping[str, Any] | None) -> str:
    """``pass``, ``fail`` or ``nogate`` (no gate section, or a policy that
    nothing can fail: no ``fail_on`` and no ``max_per_rule``)."""
    if not gate or not gate_active(gate):
        return "nogate"
    return "pass" if gate.get("passed") else "fail"


def check_html(doc: dict[str, Any]) -> str:
    """The page (UTF-8 text) of a ``report.json`` document."""
    located = locate_findings(doc)
    marked = {f["key"] for items in located.values() for _, f in items}
    numbers = {f.get("key"): n for n, f in enumerate(doc.get("findings") or [], start=1)}
    crane = (doc.get("sections") or {}).get("crane")
    parts = [
        _summary(doc),
        _plans(doc, located),
        _charts(doc),
        _top_risks(doc, numbers),
        _table(doc, marked),
        _coverage(doc),
        _crane(doc, crane, numbers) if isinstance(crane, Mapping) else "",
        history_section(doc),
        _gate(doc, numbers),
    ]
    nav = [("summary", "Summary"), ("plans", "Plans"), ("risk", "Risk"),
           ("top-risks", "Top risks"), ("findings", "Findings"), ("coverage", "Coverage")]
    if isinstance(crane, Mapping):
        nav.append(("crane", "Crane lifts"))
    if isinstance(doc.get("history"), Mapping):
        nav.append(("history", "History"))
    nav.append(("gate", "Gate"))
    script = JS
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; "
           "img-src data:")
    header = doc.get("header") or {}
    models = ", ".join(str(m.get("path")) for m in header.get("models") or []) or "no model"
    data = {"severities": list(SEVERITIES), "summary": doc.get("summary") or {}}
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{e(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Risk report: {e(models)}</title>
<style>{CSS}</style></head><body>
{_header(header)}
<nav class="toc">{''.join(f'<a href="#{k}">{v}</a>' for k, v in nav)}</nav>
<main>
{''.join(parts)}
</main>
<footer>bimcheck {e((header.get('tool') or {}).get('version'))} · made from report.json ·
the same report gives the same page</footer>
<script type="application/json" id="report-data">{script_json(data)}</script>
<script>{script}</script>
</body></html>
"""


def _header(header: Mapping[str, Any]) -> str:
    models = []
    for m in header.get("models") or []:
        models.append(f"<b>{e(m.get('path'))}</b> ({e(m.get('schema'))}, "
                      f"{e(m.get('length_unit'))}, <code>{e(str(m.get('digest'))[:12])}</code>)")
    packs = ", ".join(e(p.get("name")) for p in header.get("packs") or []) or "-"
    options = header.get("options") or {}
    extra = []
    for name in ("lift_plan", "baseline", "gate", "fail_on", "waivers"):
        if options.get(name):
            extra.append(f"{e(name.replace('_', ' '))} <b>{e(options[name])}</b>")
    tool = header.get("tool") or {}
    return (f'<header class="top"><h1>Model check risk report</h1>'
            f'<div class="meta">{" · ".join(models) or "no model"}</div>'
            f'<div class="meta">packs {packs}'
            f'{" · " + " · ".join(extra) if extra else ""} · bimcheck '
            f'{e(tool.get("version"))} {e(tool.get("command"))}</div></header>')


def _chips(counts: Mapping[str, Any], attr: str, ids: bool = False) -> str:
    out = []
    for name, n in counts.items():
        cls = f"chip sev-{e(name)}" if attr == "severity" else "chip"
        if not n:
            cls += " zero"
        nid = f' id="sum-{e(name)}"' if ids else ""
        label = "none" if name == "-" else name
        out.append(f'<li class="{cls}" data-{attr}="{e(name)}"><b{nid}>{e(n)}</b>'
                   f'{e(label)}</li>')
    return '<ul class="chips">' + "".join(out) + "</ul>"


def coverage_line(doc: Doc) -> str:
    """The coverage in one line: elements meshed / without body / failed
    (all models), rules run (and not run)."""
    geometry = (doc.get("coverage") or {}).get("geometry") or []
    rules = (doc.get("coverage") or {}).get("rules") or []
    meshed = sum(int(g.get("meshed") or 0) for g in geometry)
    without = sum(int(g.get("without_body") or 0) for g in geometry)
    failed = sum(int(g.get("failed") or 0) for g in geometry)
    ran = sum(1 for r in rules if set(r) - {"rule"})
    skipped = len(rules) - ran
    return (f'<span id="cov-meshed">{meshed}</span> elements meshed · '
            f'<span id="cov-without-body">{without}</span> without body · '
            f'<span id="cov-failed" class="{"warn" if failed else ""}">{failed}</span> failed · '
            f'<span id="cov-rules">{ran}</span> rules run'
            + (f' · <span class="warn" id="cov-not-run">{skipped} not run</span>'
               if skipped else ""))


def _summary(doc: Doc) -> str:
    s = doc.get("summary") or {}
    gate = doc.get("gate")
    state = gate_state(gate)
    label = {"pass": "PASS", "fail": "FAIL", "nogate": "NO GATE"}[state]
    if state == "nogate":
        why = "No gate policy: run with --fail-on or --gate to accept or refuse the model."
    else:
        policy = (gate or {}).get("policy") or {}
        bits = []
        if policy.get("fail_on"):
            bits.append(f"fails on {e(policy['fail_on'])} or worse")
        if policy.get("max_per_rule"):
            bits.append("limits per rule")
        reasons = (gate or {}).get("reasons") or []
        why = (", ".join(bits) + f" · {len(reasons)} reason(s)" if reasons
               else ", ".join(bits))
    by_severity = {sv: (s.get("by_severity") or {}).get(sv, 0) for sv in SEVERITIES}
    risk = (s.get("risk") or {}).get("total")
    status = s.get("by_status") or {}
    status_line = " · ".join(f"{e(v)} {e(k)}" for k, v in status.items())
    return f"""<section id="summary"><h2>Summary</h2><div class="cards">
<div class="card"><div class="muted">Gate verdict</div>
<div id="sum-verdict" class="verdict verdict-{state}" data-verdict="{state}">{label}</div>
<p class="muted">{why}</p></div>
<div class="card"><div class="muted">Findings</div>
<div class="big"><span id="sum-total">{e(s.get('findings', 0))}</span>
<span class="muted" style="font-size:14px;font-weight:400">findings · risk
<b id="sum-risk">{e(f'{risk:.1f}' if isinstance(risk, int | float) else risk)}</b></span></div>
{severity_bar(by_severity)}{_chips(by_severity, 'severity', ids=True)}
<p class="muted">status: {status_line or '-'}</p></div>
<div class="card"><div class="muted">By discipline</div>
{_chips(s.get('by_discipline') or {}, 'discipline')}
<div class="muted" style="margin-top:10px">By family</div>
{_chips(s.get('by_family') or {}, 'family')}</div></div>
<p id="sum-coverage">Coverage: {coverage_line(doc)}</p></section>
"""


def _legend() -> str:
    fps = "".join(f'<span><i class="fp-{k}"></i>{v}</span>' for k, v in CATEGORY_LABELS)
    sev = "".join(f'<span><i class="dot" style="background:var(--{s})"></i>{s}</span>'
                  for s in SEVERITIES)
    return f'<div class="legend">{fps}<span>·</span>{sev}</div>'


def _plans(doc: Doc, located: Mapping[int, Sequence[tuple[int, Any]]]) -> str:
    views = doc.get("views") or []
    if not views:
        return ('<section id="plans"><h2>Plans</h2><p class="muted">No plan views: no element '
                'was meshed in this run.</p></section>\n')
    counts: dict[str, int] = {}
    for f in doc.get("findings") or []:
        counts[finding_storey(f)] = counts.get(finding_storey(f), 0) + 1
    boxes = []
    for i, v in enumerate(views):
        markers = located.get(i, [])
        elev = v.get("elevation")
        elev_text = f" · elevation {elev:.2f} m" if isinstance(elev, int | float) else ""
        omitted = v.get("omitted") or 0
        note = f" · {omitted} smaller elements not drawn" if omitted else ""
        storey = v.get("storey")
        title = "elements in no storey" if storey == "-" else f"{e(storey)}"
        model = e(v.get("model")) if len({x.get("model") for x in views}) > 1 else ""
        boxes.append(
            f'<div class="planbox" id="plan-{i}" data-storey="{e(storey)}"><h3>{title}'
            f'{" · " + model if model else ""}</h3><div class="muted">'
            f'{counts.get(str(storey), 0)} findings, <b>{len(markers)}</b> marked'
            f'{elev_text} · {len(v.get("footprints") or [])} elements{note}</div>'
            f'{plan_view_svg(v, markers)}</div>')
    return (f'<section id="plans"><h2>Plans by storey</h2>{_legend()}'
            f'<p class="muted">Numbers are the findings\' numbers in the table; click one to '
            f'see its row. Findings without a location are not marked.</p>'
            f'<div class="plans">{"".join(boxes)}</div></section>\n')


def _charts(doc: Doc) -> str:
    s = doc.get("summary") or {}
    risk = s.get("risk") or {}
    order = {v.get("storey"): i for i, v in enumerate(doc.get("views") or [])}
    by_storey = sorted((risk.get("by_storey") or {}).items(),
                       key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
    return f"""<section id="risk"><h2>Risk</h2><p class="muted">Risk = severity weight ×
magnitude (docs/risk.md); total <b>{e(risk.get('total'))}</b>.</p><div class="charts">
<div><h3>By discipline</h3>{bar_chart(list((risk.get('by_discipline') or {}).items()))}</div>
<div><h3>By storey</h3>{bar_chart(by_storey, css_class='bars storey')}</div>
<div><h3>Trend (findings per run)</h3>{trend_chart(doc.get('trend') or [],
                                                   int(s.get('findings') or 0))}</div>
</div></section>
"""


def _row_link(key: Any, n: Any) -> str:
    return f'<a href="#f-{e(key)}" data-row="{e(key)}">#{e(n)}</a>'


def _top_risks(doc: Doc, numbers: Mapping[Any, int]) -> str:
    top = ((doc.get("summary") or {}).get("risk") or {}).get("top") or []
    if not top:
        return ('<section id="top-risks"><h2>Top risks</h2><p class="muted">No finding carries '
                'risk.</p></section>\n')
    rows = "".join(
        f'<tr><td class="num">{i}</td><td>{_row_link(t.get("key"), numbers.get(t.get("key")))}'
        f'</td><td><span class="sev sev-{e(t.get("severity"))}">{e(t.get("severity"))}</span>'
        f'</td><td>{e(t.get("rule"))}</td><td>{e(t.get("message"))}</td>'
        f'<td class="num">{float(t.get("risk") or 0):.1f}</td></tr>'
        for i, t in enumerate(top, start=1))
    return (f'<section id="top-risks"><h2>Top risks</h2><table><thead><tr><th class="num">rank'
            f'</th><th>finding</th><th>severity</th><th>rule</th><th>message</th>'
            f'<th class="num">risk</th></tr></thead><tbody>{rows}</tbody></table></section>\n')


def _options(name: str, label: str, counts: Mapping[str, Any]) -> str:
    opts = "".join(f'<option value="{e(k)}">{e(k)} ({e(v)})</option>'
                   for k, v in counts.items() if v)
    return (f'<label>{label} <select id="filter-{name}"><option value="">all</option>{opts}'
            f'</select></label>')


def _elements(elements: Sequence[Mapping[str, Any]], detail: Mapping[str, Any]) -> str:
    if not elements:
        about = [f"{name} {e(', '.join(map(str, v)) if isinstance(v, list) else v)}"
                 for name in ("lift", "crane", "cranes", "zone", "line") if (v := detail.get(name))]
        return f'<span class="muted">{" · ".join(about)}</span>' if about else "-"
    items = "".join(f'<li><span class="gid">{e(x.get("global_id"))}</span> '
                    f'{e(x.get("ifc_class"))} <span class="name">{e(x.get("name"))}</span></li>'
                    for x in elements)
    return f'<ul class="els">{items}</ul>'


def _table(doc: Doc, marked: set[str]) -> str:
    findings = doc.get("findings") or []
    s = doc.get("summary") or {}
    rules = {r.get("id"): r for r in doc.get("rules") or []}
    failing = set((doc.get("gate") or {}).get("failing") or [])
    rows = []
    for n, f in enumerate(findings, start=1):
        key = e(f.get("key"))
        sev = e(f.get("severity"))
        discipline = e(f.get("discipline"))
        rule = rules.get(f.get("rule")) or {}
        rule_title = f"{rule.get('name', '')}: {(rule.get('doc') or {}).get('what', '')}"
        number = (f'<a class="to-marker" href="#m-{key}" data-marker="{key}" '
                  f'title="show on the plan">{n}</a>' if f.get("key") in marked else str(n))
        elements = f.get("elements") or []
        cls = ' class="failing"' if f.get("key") in failing else ""
        risk = float(f.get("risk") or 0)
        rows.append(
            f'<tr id="f-{key}"{cls} data-key="{key}" data-n="{n}" data-severity="{sev}" '
            f'data-rule="{e(f.get("rule"))}" data-discipline="{discipline}" '
            f'data-storey="{e(f.get("storey"))}" data-status="{e(f.get("status"))}">'
            f'<td class="num" data-v="{n}">{number}</td>'
            f'<td data-v="{sev}"><span class="sev sev-{sev}">{sev}</span></td>'
            f'<td title="{e(rule_title)}">{e(f.get("rule"))}</td><td>{e(f.get("kind"))}</td>'
            f'<td class="msg">{e(f.get("message"))}</td>'
            f'<td data-v="{e(elements[0].get("global_id") if elements else "")}">'
            f'{_elements(elements, f.get("detail") or {})}</td>'
            f'<td class="nw">{e(f.get("storey"))}</td><td class="nw">{discipline}</td>'
            f'<td class="status">{e(f.get("status"))}{review_badge(doc, f.get("key"))}</td>'
            f'<td class="num" data-v="{risk:.6f}">{risk:.1f}</td></tr>')
    heads = (("#", "num"), ("severity", "sev"), ("rule", "text"), ("kind", "text"),
             ("message", "text"), ("elements (GlobalId, class, name)", "text"),
             ("storey", "text"), ("discipline", "text"), ("status", "text"), ("risk", "num"))
    head = "".join(f'<th data-type="{t}"{" class=num" if t == "num" else ""}>{h}</th>'
                   for h, t in heads)
    by_severity = {sv: (s.get("by_severity") or {}).get(sv, 0) for sv in SEVERITIES}
    total = len(findings)
    return f"""<section id="findings"><h2>Findings</h2>
<div class="filters">{_options('severity', 'Severity', by_severity)}
{_options('discipline', 'Discipline', s.get('by_discipline') or {})}
{_options('rule', 'Rule', s.get('by_rule') or {})}
<button type="button" id="filter-reset">Show all</button>
<span class="count"><b id="shown-count">{total}</b> of <b id="total-count">{total}</b> findings
shown · click a column to sort</span></div>
<table id="findings-table"><thead><tr>{head}</tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table>{'' if rows else '<p class="muted">No findings.</p>'}</section>
"""


def _coverage(doc: Doc) -> str:
    cov = doc.get("coverage") or {}
    rules = {r.get("id"): r for r in doc.get("rules") or []}
    geo = "".join(
        f'<tr><td>{e(g.get("model"))}</td><td class="num">{e(g.get("requested"))}</td>'
        f'<td class="num">{e(g.get("meshed"))}</td><td class="num">{e(g.get("without_body"))}'
        f'</td><td class="num">{e(g.get("failed"))}</td></tr>'
        for g in cov.get("geometry") or [])
    rows = []
    for c in cov.get("rules") or []:
        rid = c.get("rule")
        r = rules.get(rid) or {}
        ran = bool(set(c) - {"rule"})
        extra = ", ".join(f"{e(k)} {e(v)}" for k, v in sorted(c.items())
                          if k not in ("rule", "checked", "findings")
                          and not isinstance(v, dict | list)) or ""
        doc_ = r.get("doc") or {}
        details = "".join(f"<p><b>{k}</b> {e(doc_.get(k))}</p>" for k in ("what", "why", "fix")
                          if doc_.get(k))
        if details:
            details = f"<details><summary>what / why / fix</summary>{details}</details>"
        rows.append(
            f'<tr data-rule="{e(rid)}"><td>{e(rid)}</td><td>{e(r.get("name"))}'
            f'{details}'
            f'</td><td>{e(r.get("family"))} / {e(r.get("kind"))}</td>'
            f'<td><span class="sev sev-{e(r.get("severity"))}">{e(r.get("severity"))}</span></td>'
            f'<td class="num">{e(c.get("checked")) if ran else "-"}</td>'
            f'<td class="num">{e(c.get("findings")) if ran else "-"}</td>'
            f'<td>{extra if ran else "<span class=warn>not run</span>"}</td></tr>')
    warnings: dict[str, int] = {}
    for w in cov.get("warnings") or []:
        warnings[str(w)] = warnings.get(str(w), 0) + 1
    warn = "".join(f'<li>{e(w)}{f" (×{n})" if n > 1 else ""}</li>' for w, n in warnings.items())
    return f"""<section id="coverage"><h2>Coverage</h2>
<p>{coverage_line(doc).replace(' id="', ' data-id="')}</p>
<h3>Geometry per model</h3><table><thead><tr><th>model</th><th class="num">requested</th>
<th class="num">meshed</th><th class="num">without body</th><th class="num">failed</th></tr>
</thead><tbody>{geo}</tbody></table>
<h3 style="margin-top:14px">Rules</h3><table id="coverage-rules"><thead><tr><th>rule</th>
<th>name</th><th>family / kind</th><th>severity</th><th class="num">checked</th>
<th class="num">findings</th><th>details</th></tr></thead><tbody>{''.join(rows)}</tbody></table>
<h3 style="margin-top:14px">Warnings</h3>{f'<ul class="warn">{warn}</ul>' if warn else
'<p class="muted">none</p>'}</section>
"""


def _crane(doc: Doc, crane: Mapping[str, Any], numbers: Mapping[Any, int]) -> str:
    drawing = crane_drawing(crane, doc.get("views") or [])
    mine = [(numbers.get(f.get("key"), 0), f) for f in doc.get("findings") or []
            if f.get("family") == "crane" and f.get("location")]

    def overlay(stroke: float) -> list[str]:
        # the stroke unit is 1/400 of the view's larger side: radius as on the plans
        return markers_svg(mine, stroke * 400 * MARKER_PART, id_prefix="mc-")

    plan = (crane.get("plan") or {})
    counts = ", ".join(f"{e(v)} {e(k)}" for k, v in (crane.get("counts") or {}).items())
    note = ""
    if drawing.get("derived"):
        note = ('<p class="muted">The model outline is drawn from the storey footprints; lift '
                'paths through their waypoints. Cranes, exclusion zones and power lines are '
                'on the page of <code>bimcheck crane --html</code>.</p>')
    failed = "".join(f"<li>{e(x)}</li>" for x in crane.get("failed") or [])
    return f"""<section id="crane"><h2>Crane lifts</h2>
<p>Lift plan <b>{e(plan.get('path'))}</b> on <b>{e((crane.get('model') or {}).get('path'))}</b>,
required clearance {e(plan.get('clearance'))} m. Lifts: {counts or '-'}.</p>
{cranehtml.lifts_table(crane.get('lifts') or [], css_class='lifts', names=drawing.get('names'))}
{f'<ul class="warn">{failed}</ul>' if failed else ''}
<h3 style="margin-top:14px">Crane pairs</h3>{cranehtml.pairs_list(crane.get('crane_pairs') or [])}
{note}<div class="grid2"><div><h3>Plan</h3>{cranehtml.plan_figure(drawing, overlay=overlay,
                                                                css_class='crane')}</div>
<div><h3>Elevation, seen from the south</h3>{cranehtml.elevation_figure(drawing,
                                                                       css_class='crane')}</div>
</div></section>
"""


def _waivers(title: str, items: Sequence[Mapping[str, Any]], element_id: str) -> str:
    if not items:
        return f'<h3>{title}</h3><p class="muted" id="{element_id}">none</p>'
    rows = "".join(f'<tr><td><code>{e(w.get("key"))}</code></td><td>{e(w.get("reason"))}</td>'
                   f'<td>{e(w.get("owner"))}</td><td>{e(w.get("expires"))}</td></tr>'
                   for w in items)
    return (f'<h3>{title}</h3><table id="{element_id}"><thead><tr><th>key</th><th>reason</th>'
            f'<th>owner</th><th>expires</th></tr></thead><tbody>{rows}</tbody></table>')


def _gate(doc: Doc, numbers: Mapping[Any, int]) -> str:
    gate = doc.get("gate")
    state = gate_state(gate)
    if not gate:
        return ('<section id="gate"><h2>Gate</h2><p class="muted">No gate was evaluated.</p>'
                '</section>\n')
    policy = gate.get("policy") or {}
    limits = ", ".join(f"{e(k)} ≤ {e(v)}" for k, v in (policy.get("max_per_rule") or {}).items())
    reasons = "".join(f"<li>{e(r)}</li>" for r in gate.get("reasons") or [])
    waived = " ".join(_row_link(k, numbers.get(k)) for k in gate.get("waived") or [])
    approved = " ".join(_row_link(k, numbers.get(k)) for k in gate.get("approved") or [])
    baseline = (f"baseline: {e(gate.get('new'))} new, {e(gate.get('existing'))} existing"
                if gate.get("baseline") else "no baseline")
    if state == "nogate":
        line = ("no gate policy (<code>--fail-on</code> or <code>--gate</code>): nothing fails "
                f"· {baseline} · <b>{e(gate.get('counted'))}</b> findings counted")
    else:
        line = (f"fail on <b>{e(policy.get('fail_on'))}</b> · per-rule limits "
                f"<b>{limits or '-'}</b> · new only <b>{'yes' if policy.get('new_only') else 'no'}"
                f"</b> · {baseline} · <b>{e(gate.get('counted'))}</b> findings counted · "
                f"<b>{len(gate.get('failing') or [])}</b> over the gate (marked “gate” in the "
                "table)")
    label = {"pass": "PASS", "fail": "FAIL", "nogate": "NO GATE"}[state]
    return f"""<section id="gate"><h2>Gate</h2>
<p><span class="verdict verdict-{state}" style="font-size:16px">{label}</span> &nbsp; {line}</p>
<h3>Reasons</h3>{f'<ul id="gate-reasons">{reasons}</ul>' if reasons else
'<p class="muted" id="gate-reasons">none</p>'}
<h3>Waived findings</h3><p>{waived or '<span class="muted">none</span>'}</p>
<h3>Approved findings (not counted)</h3><p id="gate-approved">{approved or
'<span class="muted">none</span>'}</p>
{_waivers('Expired waivers', gate.get('expired_waivers') or [], 'gate-expired')}
{_waivers('Stale waivers (their finding is gone)', gate.get('stale_waivers') or [],
          'gate-stale')}
</section>
"""
