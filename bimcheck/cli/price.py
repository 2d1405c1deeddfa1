"""``bimcheck price OLD NEW``: the priced change order (变更签证) between two
revisions, as a table, JSON, CSV, XLSX and optionally an IfcCostSchedule."""

from __future__ import annotations

from decimal import Decimal
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
    overwrite_opt,
    precheck_history,
    precheck_outputs,
    prehash_models,
    progress_bar,
    store_run,
)
from bimcheck.diff.order import ChangeOrder
from bimcheck.model import open_model

#: Output formats by file suffix.
_FORMATS = (".json", ".csv", ".xlsx")

#: Lines shown on the terminal (all are in the files).
_MAX_LINES_SHOWN = 40


@click.command()
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--rates", "rates_path", type=click.Path(path_type=Path), default=None,
              metavar="FILE",
              help="Rate table (CSV or YAML, docs/price.md). Without it, deltas are unpriced.")
@click.option("--rules", "pack", type=click.Path(path_type=Path), default=None, metavar="PACK",
              help="Measurement pack (YAML). Default: the shipped rules/qto/ifc-base.yaml.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the change order to FILE: .json, .csv or .xlsx by suffix.")
@click.option("--ifc-cost-schedule", "schedule", type=click.Path(dir_okay=False,
                                                                 path_type=Path),
              default=None, metavar="OUT.ifc",
              help="Also write a copy of NEW with the change order as an IfcCostSchedule.")
@overwrite_opt
@geometry_options
@history_options
@click.pass_context
def price(
    ctx: click.Context,
    old: Path,
    new: Path,
    rates_path: Path | None,
    pack: Path | None,
    output: Path | None,
    schedule: Path | None,
    overwrite: bool,
    timeout: float | None,
    threads: int | None,
    cache_dir: Path | None,
    no_cache: bool,
    history: HistoryOptions,
) -> None:
    """Price what changed from OLD to NEW.

    Both revisions are measured with one measurement pack; their rows are
    joined through the revision diff's matching (so re-issued GlobalIds
    price as the same element), each delta (new - old) is priced at the
    rate table's comprehensive unit price, and the quantity-deviation rule
    (default ±15 %, factors 0.9 / 1.1) adds its own adjustment lines.
    Every line names its element's GlobalId, status and change; quantities
    without a rate are listed as unpriced, never dropped.

    \b
      bimcheck price rev_a.ifc rev_b.ifc                      # deltas, unpriced
      bimcheck price rev_a.ifc rev_b.ifc --rates rates.csv --rules rules/qto/gb50854.yaml
      bimcheck price rev_a.ifc rev_b.ifc --rates rates.csv -o change_order.xlsx
      bimcheck price rev_a.ifc rev_b.ifc --rates rates.csv --ifc-cost-schedule rev_b.cost.ifc

    Each run is recorded in the run history (--db, default
    .bimcheck/history.sqlite; --no-history to skip) under NEW's project and
    revision, with the totals, so `bimcheck history` shows the net cost per
    revision.

    Exit 0 when done, 2 on bad input (a rate table's error names the file, row and field).
    """
    from bimcheck.diff.price import price_revision
    from bimcheck.diff.rates import load_rates
    from bimcheck.packs.pack import load_pack
    from bimcheck.qto.rules import default_qto_pack_path

    if output is not None and output.suffix.lower() not in _FORMATS:
        raise click.UsageError(f"-o {output}: unsupported format {output.suffix or '(none)'}; "
                               f"use {', '.join(_FORMATS)}")
    if schedule is not None and schedule.suffix.lower() != ".ifc":
        raise click.UsageError(f"--ifc-cost-schedule {schedule}: the file must end in .ifc")
    precheck_outputs({"-o": output, "--ifc-cost-schedule": schedule}, overwrite,
                     [old, new, rates_path, pack])
    precheck_history(history)
    prehash_models([old, new])
    table = load_rates(rates_path) if rates_path is not None else None
    loaded = load_pack(pack if pack is not None else default_qto_pack_path(), family="qto")
    before, after = open_model(old), open_model(new)
    if schedule is not None:
        from bimcheck.diff.costschedule import check_schema

        check_schema(after)  # before the long work
    with progress_bar("Pricing", ctx.obj.get("quiet", False)) as bar:
        order = price_revision(
            before, after, rules=loaded.rules, packs=[loaded], rates=table,
            cache=open_cache(cache_dir, no_cache), timeout=timeout, threads=threads,
            progress=None if bar is None else (lambda stage, d, t: bar(d, t, label=stage)))
    doc = order.as_dict()
    recorded = _record(history, order, before, after, loaded, table)
    if output is not None:
        from bimcheck.report.changeorder import order_csv, order_json, order_xlsx
        from bimcheck.report.files import write_atomic

        suffix = output.suffix.lower()
        if suffix == ".xlsx":
            write_atomic(output, order_xlsx(doc), overwrite=overwrite)
        else:
            emit(order_csv(doc) if suffix == ".csv" else order_json(doc), output, overwrite)
    if schedule is not None:
        from bimcheck.diff.costschedule import write_cost_schedule

        write_cost_schedule(order, after, schedule, overwrite=overwrite)
    if output is None:
        click.echo(format_order(order), nl=False)
    click.echo(history_line(recorded), nl=False)


def _record(history: HistoryOptions, order: ChangeOrder, old: Any, new: Any, pack: Any,
            table: Any) -> Any:
    """The run in the history (None with --no-history)."""
    if not history.enabled:
        return None
    from bimcheck.store.inputs import price_run_input

    return store_run(history, price_run_input(order, old, new, pack, table,
                                              project=history.project,
                                              revision=history.revision))


def format_order(order: ChangeOrder) -> str:
    """The lines and totals as a fixed-width text table."""
    cur = order.currency or "-"
    head = ["status", "element", "item", "code", "quantity", "delta", "unit", "rate", "amount"]
    body = []
    for ln in order.lines[:_MAX_LINES_SHOWN]:
        body.append([ln.status, f"{ln.name or ln.ifc_class} {ln.global_id}", ln.item,
                     ln.code or "-", ln.quantity, _signed(ln.delta), ln.unit,
                     "-" if ln.rate is None else f"{ln.rate:.2f}",
                     "unpriced" if ln.amount is None else f"{ln.amount:.2f}"])
    for a in order.adjustments:
        body.append([f"adjust {a.direction}", f"{a.item} deviation {a.deviation * 100:+.1f}%",
                     a.item, a.code, "-", _signed(a.quantity), a.unit,
                     f"{a.rate * (a.factor - 1):.2f}", f"{a.amount:.2f}"])
    out = []
    if body:
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
        for r in [head, *body]:
            out.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    else:
        out.append("no quantity changed")
    if len(order.lines) > _MAX_LINES_SHOWN:
        out.append(f"... {len(order.lines) - _MAX_LINES_SHOWN} more line(s) in -o FILE")
    out.append("")
    if order.currency:
        for name, value in order.totals().items():
            out.append(f"{name:<12} {value:>16,.2f} {cur}")
    else:
        out.append("no rate table (--rates): every delta is unpriced")
    unpriced = [u for u in order.unpriced if u.lines]
    if unpriced and order.currency:
        out.append(f"\n{sum(u.lines for u in unpriced)} unpriced line(s) of "
                   f"{len(unpriced)} quantity(ies):")
        for u in unpriced[:_MAX_LINES_SHOWN]:
            out.append(f"  {u.item} {u.quantity} [{u.unit}] delta "
                       f"{u.new_total - u.old_total:+f}: {u.reason}")
    for w in order.warnings[:_MAX_LINES_SHOWN]:
        out.append(f"warning: {w}")
    return "\n".join(out) + "\n"


def _signed(value: Decimal) -> str:
    """A quantity with its sign and without trailing zeros (``+0.992``, ``-3``)."""
    text = f"{value.normalize():+f}"
    return "0" if value == 0 else text
