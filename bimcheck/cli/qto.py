"""``bimcheck qto MODEL``: quantities measured from geometry by a measurement
pack, as a summary table, JSON or CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

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
from bimcheck.qto import default_qto_pack_path
from bimcheck.qto.records import GROUP_FIELDS, Takeoff
from bimcheck.qto.served import PACK_TOLERANCE, PackRun, takeoff_pack_file
from bimcheck.report.jsonout import dumps

#: Reconciliation findings listed under the summary (all are in the JSON).
_MAX_FINDINGS_SHOWN = 20

#: Output formats by file suffix.
_FORMATS = (".json", ".csv", ".xlsx")


def _group_by(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    fields = tuple(v.strip() for v in value.split(",") if v.strip())
    for f in fields:
        if f not in GROUP_FIELDS:
            raise click.BadParameter(f"{f!r} is not one of {', '.join(GROUP_FIELDS)}")
    return fields


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--rules", "pack", type=click.Path(path_type=Path), default=None, metavar="PACK",
              help="Measurement pack (YAML). Default: the shipped rules/qto/ifc-base.yaml.")
@click.option("--group-by", callback=_group_by, default=None, metavar="FIELDS",
              help=f"Summary totals also by these, comma-separated: {', '.join(GROUP_FIELDS)}.")
@click.option("--reconcile", "tolerance", type=click.FloatRange(0, 1), default=None,
              metavar="FRACTION",
              help="Report declared base quantities off by more than this (0.05 = 5 %). "
                   "Default: the pack's `reconcile` (1 % in the shipped packs).")
@click.option("--no-reconcile", is_flag=True,
              help="Do not compare with the quantities the file declares.")
@click.option("--json", "as_json", is_flag=True,
              help="Write the JSON takeoff to stdout instead of the summary (without -o).")
@click.option("--timings", is_flag=True,
              help="Add timings (and whether the result came from the cache) to the JSON.")
@output_opt
@overwrite_opt
@history_options
@geometry_options
@click.pass_context
def qto(
    ctx: click.Context,
    model: Path,
    pack: Path | None,
    group_by: tuple[str, ...],
    tolerance: float | None,
    no_reconcile: bool,
    as_json: bool,
    timings: bool,
    output: Path | None,
    overwrite: bool,
    timeout: float | None,
    threads: int | None,
    cache_dir: Path | None,
    no_cache: bool,
    history: HistoryOptions,
) -> None:
    """Measure MODEL's quantities with a measurement pack.

    One row per element and quantity (GlobalId, class, type, name, storey,
    material, classification, item code, quantity, value, unit, rule), and a
    summary by item and quantity. Where the file declares base quantities,
    they are compared with the measured ones and differences over the
    pack's `reconcile` tolerance are listed. An unchanged file (same bytes,
    same pack) is served from the cache without being parsed. -o FILE writes .json (rows with
    provenance, summary, what could not be measured and why, reconciliation),
    .csv (the rows) or .xlsx (summary, detail, deductions and reconciliation
    sheets, units in the headers).

    \b
      bimcheck qto tower.ifc                          # summary on the terminal
      bimcheck qto tower.ifc -o takeoff.csv
      bimcheck qto tower.ifc --group-by storey -o takeoff.xlsx
      bimcheck qto tower.ifc --rules rules/qto/gb50854.yaml -o takeoff.xlsx
      bimcheck qto tower.ifc --group-by storey,type -o takeoff.json

    Each run is recorded in the run history (--db, default
    .bimcheck/history.sqlite; --no-history to skip): the totals per item
    and the reconciliation findings, with their statuses since the previous
    takeoff of the project.

    Exit 0 when done, 2 on bad input.
    """
    if output is not None and output.suffix.lower() not in _FORMATS:
        raise click.UsageError(
            f"-o {output}: unsupported format {output.suffix or '(none)'}; "
            f"use {', '.join(_FORMATS)}"
        )
    precheck_outputs({"-o": output}, overwrite, [model, pack])
    precheck_history(history)
    prehash_models([model])
    pack_path = pack if pack is not None else default_qto_pack_path()
    reconcile = None if no_reconcile else PACK_TOLERANCE if tolerance is None else tolerance
    cache = open_cache(cache_dir, no_cache)
    with progress_bar("Takeoff", ctx.obj.get("quiet", False)) as bar:
        takeoff, ran = takeoff_pack_file(model, pack_path, reconcile=reconcile, cache=cache,
                                         timeout=timeout, threads=threads, progress=bar)
    doc = takeoff.as_dict(group_by)
    if timings:
        doc["timings"] = dict(sorted(takeoff.timings.items()))
    recorded = _record(history, takeoff, ran, pack_path)
    if output is not None:
        suffix = output.suffix.lower()
        if suffix == ".csv":
            from bimcheck.report.csvout import takeoff_csv

            emit(takeoff_csv(doc), output, overwrite)
        elif suffix == ".xlsx":
            from bimcheck.report.files import write_atomic
            from bimcheck.report.xlsxout import takeoff_xlsx

            write_atomic(output, takeoff_xlsx(doc, group_by), overwrite=overwrite)
        else:
            emit(dumps(doc, inline_from=2), output, overwrite)
    elif as_json:
        emit(dumps(doc, inline_from=2), None, overwrite)
    if output is None and not as_json:
        click.echo(format_summary(takeoff, group_by), nl=False)
    click.echo(history_line(recorded), nl=False, err=as_json and output is None)


def _record(history: HistoryOptions, takeoff: Takeoff, pack: PackRun, path: Path) -> Any:
    """The run recorded in the history (None with --no-history): the
    reconciliation findings and the totals per item and quantity."""
    if not history.enabled:
        return None
    from bimcheck.packs.loader import file_digest

    ran = list(pack.rule_ids) if takeoff.reconcile_tolerance is not None else []
    totals = {"rows": len(takeoff.rows),
              "quantities": {f"{s['item']}/{s['quantity']}/{s['unit']}": s["total"]
                             for s in takeoff.summary()}}
    return record_run(history, command="qto", models=[takeoff.model],
                      findings=takeoff.findings,
                      packs=[{"name": pack.name, "digest": file_digest(path)}],
                      rules_run=ran, totals=totals)


def format_summary(takeoff: Takeoff, group_by: tuple[str, ...] = ()) -> str:
    """The summary as a fixed-width text table, then what could not be measured."""
    lines = []
    header = ["item", "quantity", *group_by, "count", "total", "unit"]
    body = [
        [s["item"], s["quantity"], *(str(s.get(g) or "-") for g in group_by), str(s["count"]),
         f"{s['total']:.3f}", s["unit"]]
        for s in takeoff.summary(group_by)
    ]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    for r in [header, *body]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    lines.append(f"\n{len(takeoff.rows)} row(s) from {takeoff.model.path.name}")
    if takeoff.skipped:
        lines.append(f"{len(takeoff.skipped)} quantity(ies) not measured (see the JSON 'skipped')")
    if takeoff.failures:
        lines.append(f"{len(takeoff.failures)} element(s) failed to tessellate")
    if takeoff.reconcile_tolerance is not None and takeoff.compared:
        tol = f"{takeoff.reconcile_tolerance * 100:g}%"
        lines.append(f"{takeoff.compared} declared quantity(ies) compared, "
                     f"{len(takeoff.findings)} off by more than {tol}")
        shown = takeoff.findings[:_MAX_FINDINGS_SHOWN]
        for f in shown:
            lines.append(f"  {f.global_id} {f.ifc_class} {f.name or ''}: {f.message}".rstrip())
        if len(takeoff.findings) > len(shown):
            lines.append(f"  ... {len(takeoff.findings) - len(shown)} more in the JSON "
                         "'reconciliation'")
    return "\n".join(lines) + "\n"
