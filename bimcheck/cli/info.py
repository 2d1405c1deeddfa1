"""``bimcheck info MODEL``: schema, units, application, counts, storeys,
geometry coverage, tessellation failures and timings."""

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
from bimcheck.info import InfoReport, inspect_model
from bimcheck.report.jsonout import dumps


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Write deterministic JSON.")
@click.option("--timings", is_flag=True, help="Add timings and cache counts to the JSON.")
@output_opt
@overwrite_opt
@geometry_options
@click.pass_context
def info(
    ctx: click.Context,
    model: Path,
    as_json: bool,
    timings: bool,
    output: Path | None,
    overwrite: bool,
    timeout: float | None,
    threads: int | None,
    cache_dir: Path | None,
    no_cache: bool,
) -> None:
    """Summarise MODEL and check that its geometry can be made."""
    precheck_outputs({"-o": output}, overwrite, [model])
    prehash_models([model])
    cache = open_cache(cache_dir, no_cache)
    with progress_bar(f"Tessellating {model.name}", ctx.obj.get("quiet", False)) as progress:
        report = inspect_model(model, cache=cache, timeout=timeout, threads=threads,
                               progress=progress)
    text = dumps(report.as_dict(timings=timings)) if as_json else format_text(report)
    emit(text, output, overwrite)


def format_text(r: InfoReport) -> str:
    """Human-readable summary."""
    lines = [
        f"{r.file}",
        f"  schema        {r.schema_identifier}",
        f"  length unit   {r.length_unit} ({r.length_scale:g} m)",
        f"  application   {r.application}",
        f"  products      {sum(r.counts.values())}",
    ]
    width = max((len(k) for k in r.counts), default=0)
    for cls, n in sorted(r.counts.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"    {cls:<{width}}  {n:>6}")
    lines.append(f"  storeys       {len(r.storeys)}")
    for s in r.storeys:
        elev = "?" if s.elevation is None else f"{s.elevation:+.3f} m"
        lines.append(f"    {s.name}  {elev}")
    lines += [
        f"  geometry      {r.elements_with_geometry} elements meshed, "
        f"{len(r.failures)} failed, {len(r.without_body)} without a body",
    ]
    for f in r.failures:
        lines.append(f"    FAILED {f.global_id} {f.ifc_class}: {f.reason}")
    s, t = r.stats, r.timings
    if t.get("result_from_cache"):
        lines.append(f"  timings       served from the result cache in {t['total_s']:.2f} s "
                     "(the file is unchanged; not parsed)")
        return "\n".join(lines) + "\n"
    lines.append(
        f"  timings       open {t['open_s']:.2f} s, fingerprints {t['fingerprint_s']:.2f} s, "
        f"tessellation {t['tessellate_s']:.2f} s, total {t['total_s']:.2f} s"
    )
    lines.append(
        f"  cache         {s.from_cache} from cache, {s.tessellated} tessellated, "
        f"{s.corrupt_rebuilt} corrupt rebuilt"
    )
    return "\n".join(lines) + "\n"
