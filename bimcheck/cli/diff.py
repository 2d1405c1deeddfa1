"""``bimcheck diff OLD NEW``: what changed between two revisions, and why."""

from __future__ import annotations

from pathlib import Path

import click

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
from bimcheck.diff import RevisionDiff, diff_models
from bimcheck.model import open_model
from bimcheck.report.files import write_atomic
from bimcheck.report.jsonout import dumps


@click.command()
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="Write the JSON document to stdout instead of the table (without -o).")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="Table rows shown on the terminal (0: all).")
@click.option("--timings", is_flag=True, help="Add timings to the JSON.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, metavar="FILE.html",
              help="Also write one HTML page: a plan per storey coloured by status, and the "
              "change table (meshes every element of both revisions, cached).")
@click.option("--bcf", "bcf_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, metavar="FILE.bcf",
              help="Also write BCF 2.1: one topic per cause and per changed element that no "
              "cause explains.")
@output_opt
@overwrite_opt
@geometry_options
@click.pass_context
def diff(ctx: click.Context, old: Path, new: Path, as_json: bool, limit: int, timings: bool,
         html_path: Path | None, bcf_path: Path | None, output: Path | None, overwrite: bool,
         timeout: float | None, threads: int | None, cache_dir: Path | None,
         no_cache: bool) -> None:
    """Compare revision NEW of a model with OLD: every element added, removed,
    modified or moved, with old and new values, and the causes that explain
    many changes at once (a storey moved, a type edited, a shared profile).

    \b
      bimcheck diff tower_rev_a.ifc tower_rev_b.ifc
      bimcheck diff tower_rev_a.ifc tower_rev_b.ifc -o diff.json

    Exit 0 when done (changes are not an error), 2 on bad input.
    """
    precheck_outputs({"-o": output, "--html": html_path, "--bcf": bcf_path}, overwrite,
                     [old, new])
    prehash_models([old, new])  # the new file's fingerprints hashed while the old one parses
    old_model, new_model = open_model(old), open_model(new)
    cache = open_cache(cache_dir, no_cache)
    with progress_bar("Diff", ctx.obj.get("quiet", False)) as bar:
        progress = None if bar is None else (lambda s, d, t: bar(d, t, s))
        result = diff_models(old_model, new_model, cache=cache, timeout=timeout,
                             threads=threads, progress=progress, views=html_path is not None)
    doc = result.as_dict(timings=timings)
    if html_path is not None:
        from bimcheck.report.diffhtml import diff_html

        write_atomic(html_path, diff_html(doc), overwrite=overwrite)
        doc.pop("views", None)
    if bcf_path is not None:
        from bimcheck.report.diffbcf import diff_bcf

        write_atomic(bcf_path, diff_bcf(doc), overwrite=overwrite)
    if output is not None:
        emit(dumps(doc, inline_from=3), output, overwrite)
    if output is None and as_json:
        emit(dumps(doc, inline_from=3), None, overwrite)
    else:
        click.echo(format_table(result, limit=limit), nl=False)


def format_table(result: RevisionDiff, *, limit: int = 50) -> str:
    """The changed elements as a fixed-width table, then the causes and the counts."""
    order = {"added": 0, "removed": 1, "modified": 2, "moved": 3}
    rows = sorted(result.changed(), key=lambda e: (order[e.status], e.ifc_class,
                                                   e.name or "", e.global_id))
    shown = rows if limit == 0 else rows[:limit]
    table = [("status", "element", "storey", "matched by", "cause", "changes")]
    for e in shown:
        table.append((e.status, f"{e.ifc_class} {e.name or e.global_id}", e.storey or "-",
                      e.matched_by or "-", e.cause or "-", e.change_summary))
    lines = []
    if rows:
        widths = [min(max(len(str(r[i])) for r in table), 44 if i < 5 else 80)
                  for i in range(len(table[0]))]
        for r in table:
            lines.append("  ".join(str(v)[:w].ljust(w) for v, w in
                                   zip(r, widths, strict=True)).rstrip())
        if len(shown) < len(rows):
            lines.append(f"... {len(rows) - len(shown)} more (use --limit 0 or -o FILE)")
        lines.append("")
    for c in result.causes:
        lines.append(f"{c.id}  {c.summary}")
    if result.causes:
        lines.append("")
    s = result.summary
    counts = ", ".join(f"{n} {k}" for k, n in s["statuses"].items())
    lines.append(f"{result.old.path.name} -> {result.new.path.name}: {counts}")
    churned = s["matched_by"]["shape_placement"] + s["matched_by"]["name_position"]
    if churned:
        lines.append(f"{churned} element(s) matched across re-issued GlobalIds "
                     f"({s['matched_by']['shape_placement']} by shape and placement, "
                     f"{s['matched_by']['name_position']} by name and position)")
    if s["geometry_set_unchanged"] and (s["statuses"]["moved"] or s["statuses"]["modified"]):
        lines.append("the set of geometry is unchanged (identical elements changed places)")
    return "\n".join(lines) + "\n"
