"""``bimcheck batch MANIFEST.yaml | DIR``: check, diff and price every
revision of many projects, resumably, on local processes or a Dask cluster,
and write the portfolio dashboard and the daily digest."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from bimcheck.batch.plan import DEFAULT_MAX_FILE_SIZE, DEFAULT_TIMEOUT_S
from bimcheck.cli.options import DEFAULT_HISTORY_DB, cache_dir_opt, no_cache_opt
from bimcheck.exitcodes import ExitCode
from bimcheck.limits import DEFAULT_MAX_ELEMENTS, parse_size
from bimcheck.packs.schema import SEVERITIES
from bimcheck.report.digest import signed_money


def _size(ctx: Any, param: Any, value: str | None) -> int:
    try:
        return DEFAULT_MAX_FILE_SIZE if value is None else parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("reports") / "batch", show_default=True, metavar="DIR",
              help="Reports under DIR/<project>/<revision>/, and dashboard.html, digest.md "
              "and batch.json in DIR.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              envvar="BIMCHECK_HISTORY_DB", default=None, metavar="PATH",
              help=f"Run history database (default: $BIMCHECK_HISTORY_DB or "
              f"{DEFAULT_HISTORY_DB}); it also remembers what is done, for resuming.")
@click.option("-j", "--jobs", type=click.IntRange(min=1, max=1024), default=None,
              help="Revisions worked on at once (default: the number of cores).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local",
              show_default=True, help="local: worker processes here; dask: a Dask cluster.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Dask scheduler: tcp://HOST:PORT, or local:N for a LocalCluster of N "
              "worker processes (default: local:<jobs>).")
@click.option("--send-models", is_flag=True,
              help="Send each model's bytes with its task (workers without shared storage).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True),
              default=DEFAULT_TIMEOUT_S, show_default=True, metavar="SECONDS",
              help="Time-out per model (each task: check, or diff and price).")
@click.option("--max-file-size", "max_file_size", callback=_size, default=None,
              metavar="SIZE", help="Largest model file (default 2G); bigger ones are "
              "reported as failed, not read.")
@click.option("--max-elements", "max_elements", type=click.IntRange(min=1),
              default=DEFAULT_MAX_ELEMENTS, metavar="N",
              help=f"Most elements (IfcProduct) of one model (default {DEFAULT_MAX_ELEMENTS:,}); "
              "a bigger one is a failed revision.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default=None, metavar="SEVERITY",
              help="Exit 1 when a project's latest revision has a finding this severe or "
              "worse (projects' own gate files apply too).")
@click.option("--force", is_flag=True, help="Redo every revision, even those done before.")
@click.option("--digest-json", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="Also write the digest as JSON.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Geometry worker processes per task (default: cores / jobs).")
@cache_dir_opt
@no_cache_opt
@click.pass_context
def batch(ctx: click.Context, source: Path, out_dir: Path, db: Path | None, jobs: int | None,
          engine: str, scheduler: str | None, send_models: bool, timeout: float,
          max_file_size: int, max_elements: int, fail_on: str | None, force: bool,
          digest_json: Path | None, threads: int | None, cache_dir: Path | None,
          no_cache: bool) -> None:
    """Check every revision of every project in SOURCE; from the second
    revision on, diff and price it against the previous one. SOURCE is a
    manifest (YAML, docs/batch.md) or a folder laid out DIR/<project>/<revision>.ifc.

    \b
      bimcheck batch portfolio.yaml
      bimcheck batch models/ -j 4 --out reports/daily
      bimcheck batch portfolio.yaml --engine dask --scheduler tcp://10.0.0.5:8786
      bimcheck batch portfolio.yaml --fail-on high --digest-json digest.json

    A revision done before with the same model, packs, options and bimcheck
    version is reused, not run again (--force redoes it); a batch that was
    stopped continues where it was. A model that fails (bad file, time-out,
    too big, crash) is reported in its place and the batch goes on.

    Exit 0 when done, 1 when a project's latest revision fails its gate
    (--fail-on or the project's gate file), 2 on a bad manifest or input.
    """
    from bimcheck.batch import discover, load_manifest
    from bimcheck.batch.portfolio import portfolio, portfolio_files
    from bimcheck.batch.runner import BatchOptions, run_batch
    from bimcheck.report.digest import digest_json as digest_text
    from bimcheck.report.files import write_atomic

    if scheduler is not None and engine != "dask":
        raise click.UsageError("--scheduler needs --engine dask")
    if out_dir.exists() and not out_dir.is_dir():
        raise click.UsageError(f"--out {out_dir}: not a folder")
    manifest = discover(source) if source.is_dir() else load_manifest(source)
    options = BatchOptions(out=out_dir, db=db or DEFAULT_HISTORY_DB, engine=engine, jobs=jobs,
                           scheduler=scheduler, timeout=timeout, max_file_size=max_file_size,
                           max_elements=max_elements,
                           force=force, fail_on=fail_on, send_models=send_models,
                           threads=threads, cache_dir=cache_dir, no_cache=no_cache)
    with _progress(ctx.obj.get("quiet", False)) as events:
        result = run_batch(manifest, options, events=events)
    doc = portfolio(result, db_name=options.db.name)
    files = portfolio_files(doc)
    for name, text in files.items():
        write_atomic(out_dir / name, text, overwrite=True)
    if digest_json is not None:
        write_atomic(digest_json, digest_text(doc), overwrite=True)
    click.echo(format_summary(result, doc, out_dir), nl=False)
    for line in result.gate_failed:
        click.echo(f"bimcheck: gate: {line}", err=True)
    if result.gate_failed:
        ctx.exit(ExitCode.GATE_FAILED)


def format_summary(result: Any, doc: dict[str, Any], out: Path) -> str:
    """The batch in a few lines: what ran, what was reused, failures, cost, files."""
    lines = []
    for p in doc["projects"]:
        latest = p["revisions"][-1]
        if latest["status"] == "ok":
            c = latest["check"]
            state = f"risk {c['risk']:.1f}, {c['findings']} finding(s)"
        else:
            state = f"FAILED ({latest['failure']})"
        co = p["latest_change_order"]
        cost = "" if co is None else (
            f", change order {co['against']}→{co['revision']} "
            f"{signed_money(co['net'], co['currency'])}")
        lines.append(f"  {p['name']}: {len(p['revisions'])} revision(s), latest "
                     f"{p['latest']}: {state}{cost}")
    for f in doc["failed"]:
        lines.append(f"  failed {f['project']}/{f['revision']}: {f['error']}")
    n = len(result.items)
    if result.ran == 0:
        head = (f"batch {result.batch.id}: all {n} revision(s) reused from earlier runs; "
                "no work done")
    else:
        head = (f"batch {result.batch.id}{' (resumed)' if result.batch.resumed else ''}: "
                f"{n} revision(s) of {len(doc['projects'])} project(s): {result.ran} ran, "
                f"{result.reused} reused, {result.failed} failed; {result.seconds:.1f} s; "
                f"peak memory of a task {result.peak_mib:.0f} MiB; engine {result.engine}")
    lines.insert(0, head)
    lines.append(f"dashboard: {out / 'dashboard.html'} · digest: {out / 'digest.md'}")
    return "\n".join(lines) + "\n"


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[str, dict[str, Any]], None] | None]:
    """Two bars on a terminal (the batch; the revision being finished), plain
    lines on stderr otherwise (done / total and an ETA)."""
    if quiet:
        yield None
        return
    if not sys.stderr.isatty():
        yield _log_lines
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=Console(stderr=True),
                  transient=True) as bar:
        whole = bar.add_task("batch", total=None)
        current = bar.add_task("waiting", total=None)

        def events(kind: str, data: dict[str, Any]) -> None:
            if kind == "plan":
                bar.update(whole, total=data["total"])
            elif kind == "task":
                bar.update(current, description=f"{data['what']}: {data['stage']}"[:70],
                           completed=data["done"], total=data["total"])
            elif kind == "done":
                eta = f" · ETA {data['eta_s']:.0f} s" if data.get("eta_s") else ""
                bar.update(whole, completed=data["done"], description=f"batch{eta}")
                bar.update(current, completed=0, total=None, description="waiting")

        yield events


def _log_lines(kind: str, data: dict[str, Any]) -> None:
    if kind == "plan":
        resumed = " (continuing a stopped batch)" if data["resumed"] else ""
        click.echo(f"bimcheck: batch {data['batch']}{resumed}: {data['total']} revision(s), "
                   f"{data['reused']} done before", err=True)
    elif kind == "done":
        s = data["item"]
        how = "reused" if data["reused"] else ("done" if s["status"] == "ok"
                                               else f"FAILED ({s['failure']})")
        eta = f"; ETA {_clock(data['eta_s'])}" if data.get("eta_s") else ""
        click.echo(f"bimcheck: [{data['done']}/{data['total']}] {s['folder']} {how}; "
                   f"{_clock(data['elapsed_s'])} elapsed{eta}", err=True)


def _clock(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else \
        f"{s // 60}:{s % 60:02d}"

