"""The run history part of the risk report page
(:mod:`bimcheck.report.checkhtml`), from ``report.json``'s ``history`` and
``trend``: statuses against the previous run (new, active, resolved,
unretested), the findings resolved or unretested since (with why), the
review states in force, and the trend table across revisions with this run.

Every value is HTML-escaped; nothing is fetched.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from bimcheck.report.checkhtml_svg import SEVERITIES
from bimcheck.store.status import HISTORY_STATUSES as STATUSES

Doc = Mapping[str, Any]


def _e(value: Any) -> str:
    return html.escape("-" if value is None else str(value))


def review_badge(doc: Doc, key: Any) -> str:
    """A badge with the finding's review state in force (approved, reviewed), or ''."""
    review = ((doc.get("history") or {}).get("reviews") or {}).get(key)
    if not isinstance(review, Mapping):
        return ""
    state = _e(review.get("state"))
    title = f"{review.get('by', '')} {review.get('time', '')}: {review.get('note', '')}"
    return (f' <span class="review review-{state}" title="{_e(title)}">{state}</span>')


def _money(value: Any, currency: Any) -> str:
    if not isinstance(value, int | float):
        return "-"
    return _e(f"{value:,.2f}" + (f" {currency}" if currency else ""))


def _num(value: Any, fmt: str = "g") -> str:
    return _e(format(value, fmt)) if isinstance(value, int | float) else "-"


def _trend_table(doc: Doc) -> str:
    summary = doc.get("summary") or {}
    history = doc.get("history") or {}
    points = [p for p in doc.get("trend") or [] if isinstance(p, Mapping)]
    now = {"revision": history.get("revision"), "run": history.get("run"),
           "findings": summary.get("findings"), "by_severity": summary.get("by_severity") or {},
           "risk": (summary.get("risk") or {}).get("total"), "net_cost": None, "now": True}
    rows = []
    before = None
    for p in [*points, now]:
        n = p.get("findings")
        change = ("-" if before is None or not isinstance(n, int)
                  else f"{n - before:+d}")
        before = n if isinstance(n, int) else before
        sev = p.get("by_severity") or {}
        cells = "".join(f'<td class="num">{_e(sev.get(s, 0))}</td>' for s in SEVERITIES)
        label = " (this run)" if p.get("now") else ""
        rows.append(f'<tr{" class=now" if p.get("now") else ""}><td>{_e(p.get("revision"))}'
                    f'{label}</td><td class="num">{_e(p.get("run"))}</td>'
                    f'<td class="num">{_e(n)}</td><td class="num">{_e(change)}</td>{cells}'
                    f'<td class="num">{_num(p.get("risk"), ".1f")}</td>'
                    f'<td class="num">{_money(p.get("net_cost"), p.get("currency"))}</td></tr>')
    heads = "".join(f'<th class="num">{s}</th>' for s in SEVERITIES)
    return (f'<table id="history-trend"><thead><tr><th>revision</th><th class="num">run</th>'
            f'<th class="num">findings</th><th class="num">change</th>{heads}'
            f'<th class="num">risk</th><th class="num">net cost</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _gone_table(gone: list[Mapping[str, Any]]) -> str:
    if not gone:
        return '<p class="muted" id="history-gone">none</p>'
    rows = []
    for g in gone:
        elements = ", ".join(str(x) for x in g.get("elements") or [])
        rows.append(
            f'<tr data-key="{_e(g.get("key"))}" data-status="{_e(g.get("status"))}">'
            f'<td><span class="st st-{_e(g.get("status"))}">{_e(g.get("status"))}</span></td>'
            f'<td><span class="sev sev-{_e(g.get("severity"))}">{_e(g.get("severity"))}</span>'
            f'</td><td>{_e(g.get("rule"))}</td><td class="msg">{_e(g.get("message"))}</td>'
            f'<td><span class="gid">{_e(elements)}</span></td><td>{_e(g.get("reason") or "")}'
            f'</td><td><code>{_e(g.get("key"))}</code></td></tr>')
    return ('<table id="history-gone"><thead><tr><th>status</th><th>severity</th><th>rule</th>'
            '<th>message</th><th>elements</th><th>why unretested</th><th>key</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _reviews(history: Mapping[str, Any]) -> str:
    reviews = history.get("reviews") or {}
    if not reviews:
        return '<p class="muted" id="history-reviews">none</p>'
    rows = "".join(
        f'<tr><td><code>{_e(k)}</code></td><td><span class="review review-{_e(r.get("state"))}">'
        f'{_e(r.get("state"))}</span></td><td>{_e(r.get("by"))}</td><td>{_e(r.get("time"))}</td>'
        f'<td>{_e(r.get("note"))}</td></tr>'
        for k, r in sorted(reviews.items()) if isinstance(r, Mapping))
    return ('<table id="history-reviews"><thead><tr><th>key</th><th>state</th><th>by</th>'
            f'<th>time (UTC)</th><th>note</th></tr></thead><tbody>{rows}</tbody></table>')


def history_section(doc: Doc) -> str:
    """The "History" section, or '' when the run was not recorded."""
    history = doc.get("history")
    if not isinstance(history, Mapping):
        return ""
    prev = history.get("previous")
    counts = history.get("counts") or {}
    if isinstance(prev, Mapping):
        against = (f'against <b>{_e(prev.get("revision"))}</b> (run {_e(prev.get("run"))}, '
                   f'{_e(prev.get("time"))})')
        chips = "".join(f'<li class="chip st-{s}" data-status="{s}"><b id="hist-{s}">'
                        f'{_e(counts.get(s, 0))}</b>{s}</li>' for s in STATUSES)
        statuses = f'<ul class="chips">{chips}</ul>'
    else:
        against = "the first recorded run of this project: statuses from the next run on"
        statuses = ""
    source = history.get("baseline")
    note = {"file": "The finding statuses in the table are against the --baseline file; "
                    "the history's are above.",
            "previous run": "The finding statuses in the table are the history's."}.get(
        str(source), "")
    return f"""<section id="history"><h2>History</h2>
<p>Project <b>{_e(history.get('project'))}</b>, revision <b>{_e(history.get('revision'))}</b>,
run {_e(history.get('run'))} in <code>{_e(history.get('db'))}</code>, {against}.
<span class="muted">{_e(note)}</span></p>
{statuses}
<h3 style="margin-top:14px">Resolved and unretested since the previous run</h3>
<p class="muted">Unretested: the rule did not run, its selectors matched nothing, or an element
is not in this model; never counted as resolved.</p>
{_gone_table(list(history.get('gone') or []))}
<h3 style="margin-top:14px">Trend across revisions</h3>
{_trend_table(doc)}
<h3 style="margin-top:14px">Reviews in force</h3>
<p class="muted">Approved findings do not fail the gate.</p>
{_reviews(history)}
</section>
"""
