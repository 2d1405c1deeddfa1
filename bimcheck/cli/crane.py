"""``bimcheck crane MODEL LIFTPLAN``: every lift of a plan checked against the
model: capacity, clearance along the path, exclusion zones, power lines,
crane-to-crane conflicts."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from bimcheck.check import crane_pack_path
from bimcheck.cli.options import (
    emit,
    geometry_options,
    open_cache,
    output_opt,
    overwrite_opt,
    precheck_outputs,
    prehash_models,
    progress_bar,
)
from bimcheck.crane.drawing import element_label
from bimcheck.crane.plan import load_lift_plan
from bimcheck.crane.run import CraneReport, run_lifts
from bimcheck.exitcodes import ExitCode
from bimcheck.model import open_model
from bimcheck.packs.pack import load_pack
from bimcheck.report.cranehtml import wind_text
from bimcheck.report.jsonout import dumps

_FAIL_ON = ("fail", "warning", "never")


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("liftplan", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="Write the JSON report to stdout instead of the table (without -o).")
@click.option("--fail-on", type=click.Choice(_FAIL_ON), default="never", show_default=True,
              help="Exit 1 when a lift's result is this bad or worse (a CI gate).")
@click.option("--html", "html_out", type=click.Path(path_type=Path), default=None,
              metavar="FILE", help="Also write an HTML page: the lifts, a plan and an "
                                   "elevation view.")
@click.option("--bcf", "bcf_out", type=click.Path(path_type=Path), default=None,
              metavar="FILE", help="Also write the findings as BCF 2.1 topics (.bcfzip).")
@output_opt
@overwrite_opt
@geometry_options
@click.pass_context
def crane(ctx: click.Context, model: Path, liftplan: Path, as_json: bool, fail_on: str,
          html_out: Path | None, bcf_out: Path | None, output: Path | None,
          overwrite: bool, timeout: float | None, threads: int | None,
          cache_dir: Path | None, no_cache: bool) -> None:
    """Check every lift of LIFTPLAN (a *.lift.yaml) against MODEL.

    Per lift: utilization over the path's radius range and its band (normal,
    critical, high, fail, out_of_chart), the least clearance of load, hook
    block, hoist line and jib or boom to the model and the elements within
    the plan's clearance, exclusion zones crossed, power-line clearances,
    path and duration; then every pair of cranes whose working circles
    overlap. -o FILE writes the JSON report, --html FILE a page with plan and
    elevation views, --bcf FILE the findings as BCF topics. The lift-plan
    format is in docs/crane.md.

      bimcheck crane tower.ifc tower.lift.yaml
      bimcheck crane tower.ifc tower.lift.yaml -o lifts.json
      bimcheck crane tower.ifc tower.lift.yaml --html lifts.html --bcf lifts.bcfzip
      bimcheck crane tower.ifc tower.lift.yaml --fail-on fail   # CI gate: exit 1

    Exit 0 when done, 1 with --fail-on and a lift that bad, 2 on bad input.
    """
    precheck_outputs({"-o": output, "--html": html_out, "--bcf": bcf_out}, overwrite,
                     [model, liftplan])
    prehash_models([model])
    plan = load_lift_plan(liftplan)
    policy = load_pack(crane_pack_path(), family="crane").settings["lift_policy"]
    opened = open_model(model)
    cache = open_cache(cache_dir, no_cache)
    with progress_bar("Lifts", ctx.obj.get("quiet", False)) as bar:
        report = run_lifts(opened, plan, cache=cache, timeout=timeout, threads=threads,
                           progress=bar, policy=policy)
    doc = report.as_dict()
    if output is not None or as_json:
        emit(dumps(doc, inline_from=3), output, overwrite)
    if html_out is not None:
        from bimcheck.report.cranehtml import crane_html

        emit(crane_html(report), html_out, overwrite)
    if bcf_out is not None:
        from bimcheck.report.cranebcf import crane_bcf
        from bimcheck.report.files import write_atomic

        write_atomic(bcf_out, crane_bcf(doc, created=_bcf_date(plan.path)),
                     overwrite=overwrite)
    if output is None and not as_json:
        click.echo(format_table(report), nl=False)
    if fail_on != "never":
        worst = {"fail": ("fail",), "warning": ("fail", "warning")}[fail_on]
        if any(x.result in worst for x in report.lifts):
            sys.exit(ExitCode.GATE_FAILED)


def _bcf_date(path: Path) -> datetime:
    """Topics' creation date: the lift plan's modification time (UTC), so that
    re-running on the same plan writes the same bytes."""
    return datetime.fromtimestamp(int(path.stat().st_mtime), tz=UTC)


def _nearest(report: CraneReport, gid: str | None) -> str:
    """The element nearest a lift's path: class, Name and GlobalId (as the
    HTML names it); a neighbour by its id."""
    if gid is None:
        return "-"
    return gid if gid.startswith("neighbour:") else element_label(report.model, gid)


def format_table(report: CraneReport) -> str:
    """One line per lift, then the crane pairs."""
    header = ["lift", "crane", "weight t", "radius m", "util", "band", "clearance m",
              "nearest", "obstacles", "zones", "lines", "time s", "wind m/s", "result"]
    rows = []
    for r in report.lifts:
        d = r.as_dict()
        util = d["utilization_max"]
        radius = (f"{d['radius_min']:.1f}-{d['radius_max']:.1f}"
                  if d["radius_min"] is not None else "-")
        clear = d["min_clearance"]
        bad_lines = [p["id"] for p in d["power_lines"] if not p["ok"]]
        rows.append([
            r.lift.id, r.crane,
            f"{d['total_weight']:.2f}" if d["total_weight"] is not None else "-",
            radius, f"{util * 100:.0f}%" if util is not None else "-", d["band"] or "-",
            ("-" if clear is None else f">{clear:g}" if d["min_clearance_beyond_horizon"]
             else f"{clear:.2f}"), _nearest(report, d["min_clearance_element"]),
            str(d["obstacle_count"]) + ("" if d["obstacles_from"] == "model"
                                        else f" ({d['obstacles_from']})"),
            ",".join(z["zone"] for z in d["zones"]) or "-", ",".join(bad_lines) or "-",
            f"{d['duration_s']:.0f}" if d["duration_s"] is not None else "-",
            wind_text(d["wind"]), d["result"],
        ])
    widths = [max(len(x[i]) for x in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(x, widths, strict=True)).rstrip()
             for x in [header, *rows]]
    for r in report.lifts:
        for problem in r.problems:
            lines.append(f"  {r.lift.id}: {problem}")
        if r.wind is not None and not r.wind.ok:
            lines.append(f"  {r.lift.id}: {r.wind.message}")
        if r.clearance is not None and r.clearance.conflicts:
            c = r.clearance.first
            assert c is not None
            lines.append(f"  {r.lift.id}: first conflict at {c.path_parameter:.0%} of the path, "
                         f"{c.body} {c.distance:.2f} m from {c.ifc_class} {c.global_id}")
    for p in report.pairs:
        lines.append(f"cranes {p.a}/{p.b}: circles overlap {p.overlap_area:.0f} m², jibs "
                     f"{p.vertical_separation:.1f} m apart"
                     + (" — CONFLICT" if p.conflict else ""))
    return "\n".join(lines) + "\n"
