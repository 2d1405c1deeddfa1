"""``bimcheck history`` (the runs and the trends across revisions) and
``bimcheck status KEY`` (a finding's history; ``--set`` records a review)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from bimcheck.cli.options import DEFAULT_HISTORY_DB
from bimcheck.packs.schema import SEVERITIES
from bimcheck.report.jsonout import dumps
from bimcheck.store.status import HISTORY_STATUSES as _STATUSES

_SEV_SHORT = {"critical": "crit", "high": "high", "medium": "med", "low": "low", "info": "info"}

db_opt = click.option(
    "--db", type=click.Path(dir_okay=False, path_type=Path), envvar="BIMCHECK_HISTORY_DB",
    default=None, metavar="PATH",
    help=f"Run history database (default: $BIMCHECK_HISTORY_DB or {DEFAULT_HISTORY_DB}).")
project_opt = click.option("--project", default=None, metavar="NAME",
                           help="Only this project.")
json_opt = click.option("--json", "as_json", is_flag=True,
                        help="Deterministic JSON on stdout instead of the table.")


def _open(db: Path | None) -> Any:
    from bimcheck.store import open_db

    return open_db(db if db is not None else DEFAULT_HISTORY_DB, create=False)


@click.command()
@project_opt
@db_opt
@json_opt
def history(project: str | None, db: Path | None, as_json: bool) -> None:
    """List the recorded runs and the trends across revisions.

    \b
      bimcheck history
      bimcheck history --project tower --db ci/history.sqlite
      bimcheck history --json > history.json

    Runs: time (UTC), project, revision, command, model hash, findings by
    severity, statuses against the previous run of the project and command
    (new, active, resolved, unretested), risk and net cost. Trends: per
    project and command, the latest run of each revision. Exit 0, 2 on a
    missing or unusable database.
    """
    from bimcheck.store import list_runs, trends

    with _open(db) as store:
        runs = list_runs(store, project)
        lines = trends(store, project)
    if as_json:
        click.echo(dumps({"runs": runs, "trends": lines}, inline_from=4), nl=False)
        return
    click.echo(format_history(runs, lines), nl=False)


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def _money(value: Any, currency: Any) -> str:
    if not isinstance(value, int | float):
        return "-"
    return f"{value:,.2f}" + (f" {currency}" if currency else "")


def _risk(value: Any) -> str:
    return f"{value:.1f}" if isinstance(value, int | float) else "-"


def format_history(runs: list[dict[str, Any]], lines: list[dict[str, Any]]) -> str:
    """The runs table, then one trend table per project and command."""
    if not runs:
        return "no runs recorded\n"
    sev = [_SEV_SHORT[s] for s in SEVERITIES]
    rows = [["run", "time (UTC)", "project", "revision", "command", "model", "findings", *sev,
             *_STATUSES, "risk", "net cost"]]
    for r in runs:
        model = (r["models"][0]["digest"][:10] if r["models"] else "-")
        rows.append([str(r["run"]), r["time"], r["project"], r["revision"], r["command"], model,
                     str(r["findings"]), *(str(r["by_severity"][s]) for s in SEVERITIES),
                     *(str(r["statuses"][s]) for s in _STATUSES), _risk(r["risk"]),
                     _money(r["net_cost"], r["currency"])])
    out = _table(rows)
    for t in lines:
        out += ["", f"trend: {t['project']} / {t['command']} (latest run of each revision)"]
        trows = [["revision", "run", "findings", "change", *sev, "risk", "net cost"]]
        before = None
        for p in t["points"]:
            change = "-" if before is None else f"{p['findings'] - before:+d}"
            before = p["findings"]
            trows.append([p["revision"], str(p["run"]), str(p["findings"]), change,
                          *(str(p["by_severity"][s]) for s in SEVERITIES), _risk(p["risk"]),
                          _money(p["net_cost"], p["currency"])])
        out += _table(trows)
    return "\n".join(out) + "\n"


@click.command()
@click.argument("key")
@click.option("--set", "state", type=click.Choice(["reviewed", "approved"]), default=None,
              help="Record a review state for the finding (approved: it no longer fails "
              "the gate of check and clash).")
@click.option("--by", "who", default=None, metavar="NAME", help="Who reviewed (with --set).")
@click.option("--note", default=None, metavar="TEXT", help="Why (with --set).")
@project_opt
@db_opt
@json_opt
def status(key: str, state: str | None, who: str | None, note: str | None,
           project: str | None, db: Path | None, as_json: bool) -> None:
    """Show a finding's history, or record a review of it with --set.

    \b
      bimcheck status 3f6d1ee65d0ab6064fd39bb50c92b324
      bimcheck status 3f6d1ee6 --set approved --by j.chen --note "sleeve agreed, RFI-112"

    KEY is a finding key (report.json, the clash JSON) or a unique prefix of
    at least 6 characters. Every review event is kept; the latest one made
    since the finding was (last) found new is in force. Exit 0, 2 on an
    unknown key or an unusable database.
    """
    from bimcheck.store import finding_timeline, set_review

    if state is None and (who is not None or note is not None):
        raise click.UsageError("--by and --note go with --set")
    if state is not None and (not who or not who.strip() or note is None):
        raise click.UsageError("--set needs --by NAME and --note TEXT")
    with _open(db) as store:
        if state is not None:
            set_review(store, key, state, who or "", note or "", project)
        timeline = finding_timeline(store, key, project)
    if as_json:
        click.echo(dumps(timeline), nl=False)
        return
    click.echo(format_status(timeline), nl=False)


def format_status(t: dict[str, Any]) -> str:
    """A finding: what it is, its status run by run, its review events."""
    lines = [f"{t['key']}  {t['rule']} {t['kind']} {t['severity']}  project {t['project']}",
             f"  {t['message']}", f"  elements: {', '.join(t['elements']) or '-'}"]
    rows = [["run", "time (UTC)", "revision", "command", "status", "why"]]
    for r in t["runs"]:
        rows.append([str(r["run"]), r["time"], r["revision"], r["command"], r["status"],
                     r["reason"] or ""])
    lines += ["  " + x for x in _table(rows)]
    review = t["review"]
    if review:
        lines.append(f"  review: {review['state']} by {review['by']} ({review['time']}): "
                     f"{review['note']}")
    elif t["reviews"]:
        lines.append("  review: none in force (the events below are from before the finding "
                     "was resolved or found again)")
    else:
        lines.append("  review: none")
    for ev in t["reviews"]:
        lines.append(f"    {ev['time']}  {ev['state']:<8}  {ev['by']}: {ev['note']}")
    return "\n".join(lines) + "\n"
