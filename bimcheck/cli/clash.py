"""``bimcheck clash MODEL...``: clashes by rule pack or ad hoc, as a table,
JSON, CSV and BCF; ``--fail-on`` gates CI (exit 1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from bimcheck.clash.report import ClashReport
from bimcheck.clash.rules import adhoc_rule
from bimcheck.clash.served import clash_files, clash_pack_files
from bimcheck.cli.options import (
    HistoryOptions,
    emit,
    geometry_options,
    history_line,
    history_options,
    open_cache,
    output_opt,
    overwrite_opt,
    precheck_history,
    precheck_outputs,
    prehash_models,
    progress_bar,
    record_run,
)
from bimcheck.exitcodes import ExitCode
from bimcheck.gate import GatePolicy, evaluate
from bimcheck.packs.schema import SEVERITIES, severity_rank
from bimcheck.report.files import write_atomic
from bimcheck.report.jsonout import dumps

_KINDS = ("hard", "clearance", "duplicate")
_FILE = click.Path(dir_okay=False, path_type=Path)


@click.command()
@click.argument("models", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--rules", "packs", multiple=True, type=click.Path(path_type=Path),
              metavar="PACK", help="Clash rule pack (YAML); repeat for more. "
              "Default: the shipped rules/clash/default.yaml.")
@click.option("--rule", "rule_ids", multiple=True, metavar="ID",
              help="Run only this rule of the packs; repeat for more.")
@click.option("--a", "sel_a", metavar="SELECTOR",
              help="Ad-hoc check without a pack: elements A (IfcOpenShell selector).")
@click.option("--b", "sel_b", metavar="SELECTOR",
              help="Ad-hoc: elements B (default: A against itself).")
@click.option("--kind", type=click.Choice(_KINDS), default=None, help="Ad-hoc: kind (hard).")
@click.option("--tolerance", type=click.FloatRange(min=0), default=None, metavar="M",
              help="Ad-hoc hard: penetration depth allowed, metres (0).")
@click.option("--clearance", type=click.FloatRange(min=0), default=None, metavar="M",
              help="Ad-hoc clearance: required gap, metres (0.05).")
@click.option("--allow-touching/--report-touching", default=None,
              help="Ad-hoc hard: ignore (default) or report contact without shared volume.")
@click.option("--csv", "csv_path", type=_FILE, default=None, metavar="FILE",
              help="Also write the clashes as CSV.")
@click.option("--bcf", "bcf_path", type=_FILE, default=None, metavar="FILE.bcf",
              help="Also write BCF 2.1 (one topic per clash group).")
@click.option("--bcf-per-clash", is_flag=True, help="BCF: one topic per clash instead.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default=None, metavar="SEVERITY",
              help="Exit 1 when a clash of this severity or worse exists "
              f"({', '.join(SEVERITIES)}).")
@click.option("--json", "as_json", is_flag=True,
              help="Write the JSON report to stdout instead of the table (without -o).")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="Table rows shown on the terminal (0: all).")
@click.option("--timings", is_flag=True, help="Add timings to the JSON.")
@output_opt
@overwrite_opt
@history_options
@geometry_options
@click.pass_context
def clash(
    ctx: click.Context,
    models: tuple[Path, ...],
    packs: tuple[Path, ...],
    rule_ids: tuple[str, ...],
    sel_a: str | None,
    sel_b: str | None,
    kind: str | None,
    tolerance: float | None,
    clearance: float | None,
    allow_touching: bool | None,
    csv_path: Path | None,
    bcf_path: Path | None,
    bcf_per_clash: bool,
    fail_on: str | None,
    as_json: bool,
    limit: int,
    timings: bool,
    output: Path | None,
    overwrite: bool,
    timeout: float | None,
    threads: int | None,
    cache_dir: Path | None,
    no_cache: bool,
    history: HistoryOptions,
) -> None:
    """Find clashes in MODELS (one file, or several checked together).

    \b
    With rule packs (default: the shipped pack):
      bimcheck clash tower.ifc -o clashes.json --bcf clashes.bcf
    Ad hoc, without a pack:
      bimcheck clash tower.ifc --a IfcDuctSegment --b "IfcWall, IfcBeam" --kind hard

    Each run is recorded in the run history (--db, default
    .bimcheck/history.sqlite; --no-history to skip): the table's status
    column says which clashes are new or active since the previous clash run
    of the project, and lists the resolved and unretested ones. Approved
    clashes (bimcheck status) do not fail --fail-on.

    Exit 0 when done, 1 when --fail-on finds a clash at or above that
    severity, 2 on bad input.
    """
    adhoc = sel_a is not None
    if not adhoc and (sel_b or kind or tolerance is not None or clearance is not None
                      or allow_touching is not None):
        raise click.UsageError("--b, --kind, --tolerance, --clearance and --allow-touching "
                               "need --a (an ad-hoc check)")
    if adhoc and (packs or rule_ids):
        raise click.UsageError("--a (ad hoc) cannot be combined with --rules or --rule")
    kind = kind or "hard"
    if tolerance is not None and kind != "hard":
        raise click.UsageError("--tolerance applies to --kind hard")
    if allow_touching is not None and kind != "hard":
        raise click.UsageError("--allow-touching applies to --kind hard")
    if clearance is not None and kind != "clearance":
        raise click.UsageError("--clearance applies to --kind clearance")
    if bcf_per_clash and bcf_path is None:
        raise click.UsageError("--bcf-per-clash needs --bcf FILE")
    precheck_outputs({"-o": output, "--csv": csv_path, "--bcf": bcf_path}, overwrite,
                     [*models, *packs])
    precheck_history(history)
    prehash_models(list(models))

    rules = [adhoc_rule(a=sel_a, b=sel_b, kind=kind, tolerance=tolerance,
                        clearance=clearance, allow_touching=allow_touching)] if adhoc else []
    cache = open_cache(cache_dir, no_cache)
    with progress_bar("Clash", ctx.obj.get("quiet", False)) as bar:
        progress = None if bar is None else (lambda s, d, t: bar(d, t, s))
        if adhoc:
            report, opened = clash_files(models, rules, cache=cache, timeout=timeout,
                                         threads=threads, progress=progress)
        else:  # by the packs' bytes first: an unchanged run loads no pack
            report, opened, rules = clash_pack_files(
                models, packs, rule_ids, cache=cache, timeout=timeout, threads=threads,
                progress=progress)
    doc = report.as_dict(timings=timings)
    recorded = _record(history, report, opened, packs, rules, adhoc)
    _write_outputs(doc, output, csv_path, bcf_path, bcf_per_clash, overwrite)
    if output is None and as_json:
        emit(dumps(doc), None, overwrite)
        click.echo(history_line(recorded), nl=False, err=True)
    else:
        click.echo(format_table(report, limit=limit, history=recorded), nl=False)
        click.echo(history_line(recorded), nl=False)
    if fail_on is not None:
        approved = set() if recorded is None else recorded.approved
        _, verdict = evaluate(report.clashes, GatePolicy(fail_on=fail_on), approved=approved)
        if not verdict.passed:
            click.echo(f"bimcheck: {len(verdict.failing)} clash(es) at or above {fail_on}",
                       err=True)
            ctx.exit(ExitCode.GATE_FAILED)


def _record(history: HistoryOptions, report: ClashReport, models: list, packs: tuple[Path, ...],
            rules: list, adhoc: bool) -> Any:
    """The run recorded in the history (None with --no-history)."""
    if not history.enabled:
        return None
    from bimcheck.clash.rules import default_pack_path
    from bimcheck.packs.loader import file_digest
    from bimcheck.store.inputs import coverage_rules

    if not adhoc:
        paths = [Path(p) for p in packs] or [default_pack_path()]
        refs = [{"name": p.name, "digest": file_digest(p)} for p in paths]
    else:
        refs = [{"name": "ad hoc", "digest": _rule_digest(rules)}]
    ran, empty = coverage_rules(rules, {c.rule: c.as_dict() for c in report.rule_coverage})
    unmeshed = {f.global_id for f in report.failed} | {
        w["global_id"] for w in report.without_geometry}
    return record_run(history, command="clash", models=models, findings=report.clashes,
                      packs=refs, rules_run=ran, rules_empty=empty, unmeshed=unmeshed,
                      mesh_rules=ran)


def _rule_digest(rules: list) -> str:
    import hashlib

    text = dumps([r.as_dict() for r in rules])
    return hashlib.blake2b(text.encode("utf-8"), digest_size=20).hexdigest()


def _write_outputs(doc: dict, output: Path | None, csv_path: Path | None,
                   bcf_path: Path | None, per_clash: bool, overwrite: bool) -> None:
    if output is not None:
        write_atomic(output, dumps(doc), overwrite=overwrite)
    if csv_path is not None:
        from bimcheck.report.csvout import clashes_csv

        write_atomic(csv_path, clashes_csv(doc), overwrite=overwrite)
    if bcf_path is not None:
        from bimcheck.report.bcf import write_bcf

        write_bcf(doc, bcf_path, per_clash=per_clash, overwrite=overwrite)


def _name(ref) -> str:
    label = ref.name or ref.global_id
    return f"{ref.ifc_class} {label}"


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def format_table(report: ClashReport, *, limit: int = 50, history: Any = None) -> str:
    """The clashes as a fixed-width text table (worst first), then per-rule
    counts, coverage and warnings. With a recorded run (``history``, after
    the first run of the project) a status column (new / active, approved)
    and the clashes resolved or unretested since the previous run."""
    rows = sorted(report.clashes, key=lambda c: (severity_rank(c.severity), c.rule, c.key))
    shown = rows if limit == 0 else rows[:limit]
    compared = history is not None and history.previous is not None
    header: tuple[str, ...] = ("rule", "severity", "relation", "a", "b", "overlap m3",
                               "depth m", "dist m", "storey")
    if compared:
        header += ("status",)
    table = [header]
    for c in shown:
        f = c.found
        row: tuple[str, ...] = (
            c.rule, c.severity, f.relation + ("" if f.exact else "*"), _name(c.a), _name(c.b),
            _num(f.overlap_volume, ".4f"), _num(f.penetration_depth, ".3f"),
            f"{f.distance:.3f}", c.storey or "-",
        )
        if compared:
            status = history.comparison.statuses.get(c.key, "-")
            row += (status + (", approved" if c.key in history.approved else ""),)
        table.append(row)
    lines = []
    if report.clashes:
        widths = [min(max(len(str(r[i])) for r in table), 40) for i in range(len(header))]
        for r in table:
            cells = [str(v)[:w].ljust(w) for v, w in zip(r, widths, strict=True)]
            lines.append("  ".join(cells).rstrip())
        if len(shown) < len(rows):
            lines.append(f"... {len(rows) - len(shown)} more (use --limit 0 or -o FILE)")
        if any(not c.found.exact for c in shown):
            lines.append("* triangle test (a mesh is not closed): no volume or depth")
        lines.append("")
    if compared:
        for g in history.comparison.gone:
            why = f" ({g.reason})" if g.reason else ""
            lines.append(f"{g.status:<10} {g.record.rule:<8} {g.record.message[:100]}{why}")
        if history.comparison.gone:
            lines.append("")
    s = report.summary()
    lines.append(f"{s['clashes']} clash(es) in {s['groups']} group(s)")
    for cov in report.rule_coverage:
        rule = next(r for r in report.rules if r.id == cov.rule)
        b = f", b {cov.b_meshed}/{cov.b_matched}" if rule.b is not None else ""
        lines.append(
            f"  {rule.id:<8} {rule.kind:<9} {cov.clashes:>5} clash(es)  "
            f"(a {cov.a_meshed}/{cov.a_matched}{b} meshed/matched, {cov.tested} pairs tested)"
            f"  {rule.name}"
        )
    tests = list(report.tests.values())
    lines.append(
        f"coverage: {len(tests)} element(s) selected and meshed: "
        f"{tests.count('exact')} solid-tested, {tests.count('triangles')} by triangle test "
        f"only, {tests.count('untested')} with nothing near; "
        f"{len(report.without_geometry)} without geometry, {len(report.failed)} failed"
    )
    if report.warnings:
        lines.append(f"{len(report.warnings)} warning(s), on stderr and in the JSON coverage")
    return "\n".join(lines) + "\n"
