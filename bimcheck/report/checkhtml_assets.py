"""The style sheet and the script of the risk report page
(:mod:`bimcheck.report.checkhtml`): plain text constants, inlined into the page.

The script sorts the findings table (click a header), filters it (severity,
discipline and rule select boxes, with the count of rows shown; the plan
markers of hidden rows are hidden too) and links the
plan markers to the table rows (a marker's click highlights and scrolls to
its row; a row's number scrolls to its marker). It reads nothing but the
page: the severity order comes from the page's JSON data (with the summary).
"""

from __future__ import annotations

CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#d9e2ec; --bg:#f5f7fa; --panel:#fff;
  --accent:#1d4e89; --critical:#b71c1c; --high:#e65100; --medium:#f9a825; --low:#1565c0;
  --info:#78909c; --pass:#2e7d32; --fail:#c62828; --nogate:#607d8b; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
  Arial, sans-serif; color:var(--ink); background:var(--bg); }
header.top { background:#102a43; color:#fff; padding:18px 32px 14px; }
header.top h1 { margin:0 0 4px; font-size:22px; font-weight:600; letter-spacing:.2px; }
header.top .meta { color:#bcccdc; font-size:13px; }
header.top .meta b { color:#fff; font-weight:600; }
nav.toc { position:sticky; top:0; z-index:5; background:#243b53; padding:0 32px;
  display:flex; gap:4px; flex-wrap:wrap; }
nav.toc a { color:#d9e2ec; text-decoration:none; padding:8px 10px; font-size:13px; }
nav.toc a:hover { background:#334e68; color:#fff; }
main { max-width:1440px; margin:0 auto; padding:20px 32px 40px; }
section { background:var(--panel); border:1px solid var(--line); border-radius:8px;
  padding:16px 20px 18px; margin:0 0 18px; }
h2 { font-size:17px; margin:0 0 12px; color:#102a43; }
h3 { font-size:14px; margin:0 0 8px; color:#243b53; }
.muted { color:var(--muted); }
.cards { display:grid; grid-template-columns: 230px 1fr 1fr; gap:16px; align-items:stretch; }
.card { border:1px solid var(--line); border-radius:6px; padding:12px 14px; }
.card .big { font-size:30px; font-weight:700; line-height:1.1; }
.verdict { display:inline-block; font-size:26px; font-weight:800; letter-spacing:1px;
  padding:6px 16px; border-radius:6px; color:#fff; }
.verdict-pass { background:var(--pass); } .verdict-fail { background:var(--fail); }
.verdict-nogate { background:var(--nogate); font-size:20px; }
.chips { display:flex; flex-wrap:wrap; gap:6px; margin:8px 0 0; padding:0; list-style:none; }
.chip { border-radius:12px; padding:2px 10px; font-size:13px; background:#e4e7eb; }
.chip b { font-weight:700; margin-right:3px; }
.chip.sev-critical, .sev.sev-critical { background:var(--critical); color:#fff; }
.chip.sev-high, .sev.sev-high { background:var(--high); color:#fff; }
.chip.sev-medium, .sev.sev-medium { background:var(--medium); color:#1f2933; }
.chip.sev-low, .sev.sev-low { background:var(--low); color:#fff; }
.chip.sev-info, .sev.sev-info { background:var(--info); color:#fff; }
.chip.zero { opacity:.45; }
.sev { border-radius:3px; padding:1px 6px; font-size:12px; font-weight:600; white-space:nowrap; }
.sevbar { display:flex; height:10px; border-radius:5px; overflow:hidden; margin-top:10px;
  background:#e4e7eb; }
.sevbar span.sev-critical { background:var(--critical); }
.sevbar span.sev-high { background:var(--high); }
.sevbar span.sev-medium { background:var(--medium); }
.sevbar span.sev-low { background:var(--low); }
.sevbar span.sev-info { background:var(--info); }
#sum-coverage { margin:14px 0 0; padding-top:10px; border-top:1px solid var(--line); }
.plans { display:grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap:16px; }
.planbox { border:1px solid var(--line); border-radius:6px; padding:10px; }
svg.plan, svg.crane { width:100%; height:auto; background:#fbfcfd; border:1px solid #e4e7eb;
  border-radius:4px; display:block; }
svg.plan path.fp { stroke:#829ab1; stroke-width:.7px; vector-effect:non-scaling-stroke; }
.fp-slab { fill:#e4e7eb; background:#e4e7eb; } .fp-wall { fill:#9fb3c8; background:#9fb3c8; }
.fp-struct { fill:#627d98; background:#627d98; } .fp-opening { fill:#d9e8f5; background:#d9e8f5; }
.fp-mep { fill:#8bd3c7; background:#8bd3c7; } .fp-other { fill:#cbd2d9; background:#cbd2d9; }
svg.plan path.fp-slab { fill-opacity:.75; }
.scale path { fill:none; stroke:#334e68; stroke-width:1.5px; vector-effect:non-scaling-stroke; }
.scale text { fill:#334e68; }
path.leader { stroke:#243b53; stroke-width:1px; vector-effect:non-scaling-stroke; fill:none; }
circle.leader { fill:#243b53; }
.marker { cursor:pointer; } .marker.off { display:none; }
.marker circle { stroke:#fff; stroke-width:1.5px; vector-effect:non-scaling-stroke; }
.marker text { fill:#fff; font-weight:700; text-anchor:middle; pointer-events:none;
  font-family:system-ui, sans-serif; }
.marker.sev-critical circle { fill:var(--critical); } .marker.sev-high circle { fill:var(--high); }
.marker.sev-medium circle { fill:var(--medium); } .marker.sev-medium text { fill:#1f2933; }
.marker.sev-low circle { fill:var(--low); } .marker.sev-info circle { fill:var(--info); }
.marker:hover circle, .marker:focus circle { stroke:#102a43; stroke-width:2.5px; }
.marker.active circle { stroke:#000; stroke-width:3.5px; }
.legend { display:flex; flex-wrap:wrap; gap:12px; font-size:12px; color:var(--muted);
  margin:0 0 10px; }
.legend i { display:inline-block; width:12px; height:12px; border-radius:2px;
  vertical-align:-2px; margin-right:4px; border:1px solid #9aa5b1; }
.legend i.dot { border-radius:50%; border:none; }
.charts { display:grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap:16px; }
svg.bars, svg.trend { max-width:100%; height:auto; }
svg.bars .lbl { text-anchor:end; font-size:13px; fill:#334e68; }
svg.bars .val, svg.trend .val { font-size:12px; fill:#334e68; }
svg.bars rect { fill:#486581; } svg.bars.storey rect { fill:#d9822b; }
svg.trend rect { fill:#9fb3c8; } svg.trend .now rect { fill:#1d4e89; }
svg.trend text { text-anchor:middle; font-size:11px; fill:#334e68; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line);
  vertical-align:top; }
th { background:#f0f4f8; font-weight:600; font-size:13px; color:#243b53; white-space:nowrap; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
#findings-table th { position:sticky; top:34px; cursor:pointer; user-select:none; }
#findings-table th:hover { background:#d9e2ec; }
#findings-table th[aria-sort="ascending"]::after { content:" ▲"; font-size:10px; }
#findings-table th[aria-sort="descending"]::after { content:" ▼"; font-size:10px; }
#findings-table tr.highlight td { background:#fff3c4; }
#findings-table tr.highlight td:first-child { box-shadow: inset 4px 0 0 #f0b429; }
#findings-table tr.failing td.status::after { content:" gate"; color:var(--fail);
  font-weight:700; font-size:11px; }
ul.els { list-style:none; margin:0; padding:0; }
ul.els li .gid { white-space:nowrap; }
#findings-table { font-size:13px; }
#findings-table td.msg { min-width:260px; }
#findings-table td.nw { white-space:nowrap; }
code, .gid { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size:12px; }
.gid { color:#1d4e89; }
.filters { display:flex; flex-wrap:wrap; gap:14px; align-items:center; margin:0 0 10px; }
.filters select, .filters button { font:inherit; padding:3px 6px; border:1px solid #bcccdc;
  border-radius:4px; background:#fff; }
.filters .count { margin-left:auto; color:var(--muted); }
.filters .count b { color:var(--ink); }
a { color:#1d4e89; }
.review { border-radius:3px; padding:0 5px; font-size:11px; font-weight:600;
  background:#e4e7eb; color:#243b53; white-space:nowrap; }
.review.review-approved { background:#2e7d32; color:#fff; }
.chip.st-new, .st.st-new { background:#c62828; color:#fff; }
.chip.st-active, .st.st-active { background:#e65100; color:#fff; }
.chip.st-resolved, .st.st-resolved { background:#2e7d32; color:#fff; }
.chip.st-unretested, .st.st-unretested { background:#607d8b; color:#fff; }
.st { border-radius:3px; padding:1px 6px; font-size:12px; font-weight:600; }
#history-trend tr.now td { font-weight:600; background:#f0f4f8; }
a.to-marker { text-decoration:none; font-weight:600; }
ol.top { margin:0; padding-left:22px; } ol.top li { margin:0 0 5px; }
details summary { cursor:pointer; color:#1d4e89; }
.warn { color:#8d2b0b; }
.grid2 { display:grid; grid-template-columns: 1fr 1fr; gap:16px; }
footer { text-align:center; color:var(--muted); font-size:12px; padding:0 0 24px; }
@media (max-width: 900px) { .cards, .grid2 { grid-template-columns: 1fr; }
  .plans { grid-template-columns: 1fr; } }
@media print { nav.toc { display:none; } #findings-table th { position:static; } }
"""

JS = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var rank = {};
  data.severities.forEach(function (s, i) { rank[s] = i; });
  var table = document.getElementById("findings-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var selects = {
    severity: document.getElementById("filter-severity"),
    discipline: document.getElementById("filter-discipline"),
    rule: document.getElementById("filter-rule")
  };
  var shown = document.getElementById("shown-count");
  var markers = {};
  document.querySelectorAll("g.marker").forEach(function (g) {
    var k = g.getAttribute("data-key");
    (markers[k] = markers[k] || []).push(g);
  });

  function value(row, col, type) {
    var cell = row.cells[col];
    var v = cell.getAttribute("data-v");
    if (v === null) { v = cell.textContent; }
    if (type === "num") { return parseFloat(v) || 0; }
    if (type === "sev") { return rank.hasOwnProperty(v) ? rank[v] : 99; }
    return v.toLowerCase();
  }

  function sortBy(th) {
    var col = heads.indexOf(th);
    var type = th.getAttribute("data-type") || "text";
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    var keyed = rows.map(function (r) {
      return [value(r, col, type), parseInt(r.getAttribute("data-n"), 10), r];
    });
    keyed.sort(function (a, b) {
      if (a[0] < b[0]) { return -dir; }
      if (a[0] > b[0]) { return dir; }
      return a[1] - b[1];
    });
    var frag = document.createDocumentFragment();
    keyed.forEach(function (k) { frag.appendChild(k[2]); });
    body.appendChild(frag);
  }

  function applyFilters() {
    var want = {};
    Object.keys(selects).forEach(function (k) { want[k] = selects[k] ? selects[k].value : ""; });
    var n = 0;
    rows.forEach(function (r) {
      var ok = (!want.severity || r.getAttribute("data-severity") === want.severity) &&
        (!want.discipline || r.getAttribute("data-discipline") === want.discipline) &&
        (!want.rule || r.getAttribute("data-rule") === want.rule);
      r.hidden = !ok;
      var m = markers[r.getAttribute("data-key")];
      if (m) { m.forEach(function (g) { g.classList.toggle("off", !ok); }); }
      if (ok) { n += 1; }
    });
    shown.textContent = String(n);
  }

  function resetFilters() {
    Object.keys(selects).forEach(function (k) { if (selects[k]) { selects[k].value = ""; } });
    applyFilters();
  }

  var active = null;
  function focusRow(key) {
    var row = document.getElementById("f-" + key);
    if (!row) { return; }
    if (row.hidden) { resetFilters(); }
    document.querySelectorAll("tr.highlight").forEach(function (r) {
      r.classList.remove("highlight");
    });
    row.classList.add("highlight");
    if (active) { active.classList.remove("active"); }
    active = document.getElementById("m-" + key);
    if (active) { active.classList.add("active"); }
    row.scrollIntoView({block: "center"});
  }

  function focusMarker(key) {
    var m = document.getElementById("m-" + key) || document.getElementById("mc-" + key);
    if (!m) { return; }
    if (active) { active.classList.remove("active"); }
    active = m;
    m.classList.add("active");
    m.closest("svg").scrollIntoView({block: "center"});
  }

  heads.forEach(function (th) {
    th.addEventListener("click", function () { sortBy(th); });
  });
  Object.keys(selects).forEach(function (k) {
    if (selects[k]) { selects[k].addEventListener("change", applyFilters); }
  });
  var reset = document.getElementById("filter-reset");
  if (reset) { reset.addEventListener("click", resetFilters); }
  document.querySelectorAll("g.marker").forEach(function (m) {
    var go = function () { focusRow(m.getAttribute("data-key")); };
    m.addEventListener("click", go);
    m.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); go(); }
    });
  });
  document.querySelectorAll("a[data-row]").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      ev.preventDefault();
      focusRow(a.getAttribute("data-row"));
    });
  });
  document.querySelectorAll("a[data-marker]").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      ev.preventDefault();
      focusMarker(a.getAttribute("data-marker"));
    });
  });
  applyFilters();
}());
"""
