"""``bimcheck check MODEL...``: every rule kind of the selected packs in one run,
one risk report (HTML, JSON, JUnit, BCF) and a CI gate."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from bimcheck.cli.options import (
    HistoryOptions,
    geometry_options,
    history_line,
    history_options,
    open_cache,
    precheck_history,
    prehash_models,
    progress_bar,
    store_run,
)
from bimcheck.exitcodes import ExitCode
from bimcheck.packs.schema import SEVERITIES, severity_rank
from bimcheck.report.checkfiles import (
    created_time,
    report_payloads,
    report_targets,
    write_reports,
)
from bimcheck.report.files import check_outputs
from bimcheck.report.gatedoc import gate_active

#: Findings listed on the terminal by default.
_SHOWN = 15


@click.command()
@click.argument("models", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--rules", "sources", multiple=True, type=click.Path(path_type=Path),
              metavar="PACK", help="A rule pack (YAML), a folder of packs or an .ids file; "
              "repeat for more. Only these rules run. Default: the shipped rules/default/.")
@click.option("--lift-plan", type=click.Path(path_type=Path), default=None, metavar="FILE",
              help="A lift plan (*.lift.yaml): adds the crane lift checks.")
@click.option("--gate", "gate_file", type=click.Path(path_type=Path), default=None,
              metavar="gate.yaml", help="Gate policy: fail_on, max_per_rule, new_only.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default=None, metavar="SEVERITY",
              help=f"Exit 1 when a finding of this severity or worse counts "
              f"({', '.join(SEVERITIES)}); overrides the gate file's fail_on.")
@click.option("--baseline", type=click.Path(path_type=Path), default=None,
              metavar="report.json", help="A previous report: findings are new or existing.")
@click.option("--waivers", "waiver_file", type=click.Path(path_type=Path), default=None,
              metavar="waivers.yaml", help="Waived finding keys, with reason, owner, expiry.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, metavar="DIR",
              help="Folder for report.html, report.json, report.junit.xml, findings.bcf "
              "(default: reports/<model name>/).")
@click.option("--glb", is_flag=True, help="Also write report.glb: the findings' elements "
              "coloured by severity, for any glTF viewer.")
@click.option("--annotations", type=click.Choice(["github"]), default=None,
              help="Print the findings as CI annotations (GitHub workflow commands).")
@click.option("--limit", type=click.IntRange(min=0), default=_SHOWN, show_default=True,
              help="Findings listed on the terminal (0: all).")
@click.option("--timings", is_flag=True, help="Add timings to the JSON.")
@click.option("--overwrite", is_flag=True, help="Replace report files that exist.")
@history_options
@geometry_options
@click.pass_context
def check(ctx: click.Context, models: tuple[Path, ...], sources: tuple[Path, ...],
          lift_plan: Path | None, gate_file: Path | None, fail_on: str | None,
          baseline: Path | None, waiver_file: Path | None, out_dir: Path | None, glb: bool,
          annotations: str | None, limit: int, timings: bool, overwrite: bool,
          timeout: float | None, threads: int | None, cache_dir: Path | None,
          no_cache: bool, history: HistoryOptions) -> None:
    """Check MODELS with every rule of the selected packs and write the risk report.

    \b
      bimcheck check tower.ifc                              # rules/default
      bimcheck check tower.ifc --lift-plan tower.lift.yaml --fail-on high
      bimcheck check tower.ifc --rules requirements.ids --rules rules/project/
      bimcheck check tower.ifc --gate gate.yaml --baseline last/report.json \\
          --waivers waivers.yaml --annotations github
      bimcheck check tower_rev_b.ifc --db ci/history.sqlite --fail-on high

    Every run is recorded in the run history (--db, default
    .bimcheck/history.sqlite; --no-history to skip): the report then says
    which findings are new, active, resolved or unretested since the previous
    run of the project, and approved findings (bimcheck status) do not fail
    the gate. A --baseline file wins over the history for the statuses.

    Exit 0 when the gate passes (or there is none), 1 when it fails, 2 on bad
    input or usage.
    """
    from bimcheck.check import CheckOptions, prepare_check, run_prepared

    out = out_dir if out_dir is not None else Path("reports") / models[0].stem
    targets = report_targets(out, glb=glb)
    if out.exists() and not out.is_dir():
        raise click.UsageError(f"--out {out}: not a folder")
    inputs = [*models, *sources, lift_plan, gate_file, baseline, waiver_file]
    check_outputs({f"--out {out}/{p.name}": p for p in targets.values()}, inputs,
                  overwrite=overwrite, writable=out.is_dir())
    options = CheckOptions(models=list(models), sources=list(sources), lift_plan=lift_plan,
                           gate_file=gate_file, fail_on=fail_on, baseline=baseline,
                           waivers=waiver_file, timeout=timeout, threads=threads)
    prehash_models(list(models))
    prepared = prepare_check(options, cache=open_cache(cache_dir, no_cache), serve=not glb)
    precheck_history(history)
    today = date.today()
    with progress_bar("Check", ctx.obj.get("quiet", False)) as bar:
        progress = None if bar is None else (lambda s, d, t: bar(d, t, s))
        report, verdict = run_prepared(prepared, progress=progress, today=today)
    recorded = _record(history, report, prepared)
    if recorded is not None:
        from bimcheck.store.checkreport import apply_history

        report, verdict = apply_history(report, recorded, db_name=history.path.name,
                                        policy=prepared.policy, baseline=prepared.baseline,
                                        waivers=prepared.waivers, today=today)
    doc = report.as_dict(timings=timings)
    _write(doc, report, prepared, targets, overwrite)
    click.echo(format_summary(doc, limit=limit, files=targets), nl=False)
    click.echo(history_line(recorded), nl=False)
    if annotations == "github":
        click.echo(github_annotations(doc), nl=False)
    for line in verdict.reasons:
        click.echo(f"bimcheck: gate: {line}", err=True)
    if not verdict.passed:
        ctx.exit(ExitCode.GATE_FAILED)


def _record(history: HistoryOptions, report: Any, prepared: Any) -> Any:
    """The run recorded in the history (None with --no-history)."""
    if not history.enabled:
        return None
    from bimcheck.store.inputs import check_run_input

    return store_run(history, check_run_input(report, prepared, project=history.project,
                                              revision=history.revision))


def _write(doc: dict[str, Any], report: Any, prepared: Any, targets: dict[str, Path],
           overwrite: bool) -> None:
    """Every report file, each written whole (temp file and rename)."""
    payloads = report_payloads(doc, created=created_time(m.path for m in prepared.models))
    if "glb" in targets:
        from bimcheck.report.glb import findings_glb

        payloads["glb"] = findings_glb(report, prepared.context)
    write_reports(payloads, targets, overwrite=overwrite)


def format_summary(doc: dict[str, Any], *, limit: int = _SHOWN,
                   files: dict[str, Path] | None = None) -> str:
    """The verdict, counts, coverage and the worst findings, for the terminal."""
    s = doc["summary"]
    gate = doc.get("gate") or {}
    lines = []
    verdict = ("PASS" if gate.get("passed") else "FAIL") if gate_active(gate) else "no gate"
    counts = ", ".join(f"{n} {sev}" for sev, n in s["by_severity"].items() if n)
    lines.append(f"{verdict}: {s['findings']} finding(s)" + (f" ({counts})" if counts else "")
                 + f", risk {s['risk']['total']:.1f}")
    for reason in gate.get("reasons", []):
        lines.append(f"  gate: {reason}")
    geo = doc["coverage"]["geometry"]
    for g in geo:
        if g["requested"]:
            lines.append(f"  {g['model']}: {g['meshed']} element(s) meshed, "
                         f"{g['without_body']} without a body, {g['failed']} failed")
    ranked = sorted(doc["findings"], key=lambda f: (severity_rank(f["severity"]), -f["risk"],
                                                    f["rule"], f["key"]))
    shown = ranked if limit == 0 else ranked[:limit]
    approved = set(gate.get("approved") or [])
    for f in shown:
        gids = ",".join(_cut(e["global_id"], _GID_SHOWN) for e in f["elements"][:2])
        tags = ([] if f["status"] == "open" else [f["status"]]) + (
            ["approved"] if f["key"] in approved else [])
        status = f" [{', '.join(tags)}]" if tags else ""
        lines.append(f"  {f['severity']:<8} {f['rule']:<8} {f['message'][:110]}"
                     f"{' ' + gids if gids else ''}{status}")
    if len(shown) < len(ranked):
        lines.append(f"  ... {len(ranked) - len(shown)} more in the report")
    gone = (doc.get("history") or {}).get("gone") or []
    for g in gone if limit == 0 else gone[:limit]:
        why = f" ({g['reason']})" if g.get("reason") else ""
        lines.append(f"  {g['status']:<10} {g['rule']:<8} {g['message'][:100]}{why}")
    if limit and len(gone) > limit:
        lines.append(f"  ... {len(gone) - limit} more resolved or unretested in the report")
    for w in gate.get("stale_waivers", []):
        lines.append(f"  stale waiver: {_cut(w['key'], 80)} ({_cut(w['owner'], 40)}) "
                     "matches no finding")
    if files:
        lines.append("report: " + ", ".join(str(p) for p in files.values()))
    return "\n".join(lines) + "\n"


#: Longest GlobalId shown whole in the terminal (a real one has 22 characters;
#: a malformed file can hold megabytes in one).
_GID_SHOWN = 40

#: Longest message of one GitHub annotation, in characters.
_ANNOTATION_CHARS = 2000


def _cut(text: str, n: int) -> str:
    """``text``, or its first ``n - 1`` characters and an ellipsis."""
    return text if len(text) <= n else text[:n - 1] + "…"


def _escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def github_annotations(doc: dict[str, Any]) -> str:
    """GitHub workflow commands, one per finding (``::error`` for findings the
    gate fails on, or critical/high without a gate; ``::warning`` otherwise;
    waived and info findings are left out)."""
    gate = doc.get("gate") or {}
    failing = set(gate.get("failing", []))
    approved = set(gate.get("approved") or [])
    active = gate_active(gate)
    model = doc["header"]["models"][0]["path"] if doc["header"]["models"] else "model"
    lines = []
    for f in doc["findings"]:
        if f["status"] == "waived" or f["severity"] == "info":
            continue
        bad = f["key"] in failing if active else (severity_rank(f["severity"]) <= 1
                                                  and f["key"] not in approved)
        level = "error" if bad else "warning"
        gids = ", ".join(_cut(e["global_id"], _GID_SHOWN) for e in f["elements"])
        title = _escape(f"{f['rule']} {f['severity']}", prop=True)
        message = _escape(_cut(f"{f['message']}" + (f" [{gids}]" if gids else ""),
                               _ANNOTATION_CHARS))
        lines.append(f"::{level} file={_escape(model, prop=True)},title={title}::{message}")
    return "\n".join(lines) + ("\n" if lines else "")
