"""Options shared by several commands, and the helpers that act on them."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from bimcheck.geometry.cache import MeshCache
from bimcheck.report.files import check_writable, write_atomic

output_opt = click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Write to FILE instead of stdout.",
)
overwrite_opt = click.option(
    "--overwrite", is_flag=True, help="Replace the output file if it exists."
)
timeout_opt = click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
    help="Time budget for tessellation (all the models of the run); what finished stays cached.",
)
threads_opt = click.option(
    "--threads", type=click.IntRange(min=1), default=None,
    help="Geometry worker processes (default: one per core).",
)
cache_dir_opt = click.option(
    "--cache-dir", type=click.Path(file_okay=False, path_type=Path), envvar="BIMCHECK_CACHE",
    default=None, help="Mesh cache folder (default: $BIMCHECK_CACHE or ~/.cache/bimcheck).",
)
no_cache_opt = click.option("--no-cache", is_flag=True, help="Do not read or write the mesh cache.")


def geometry_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--timeout, --threads, --cache-dir, --no-cache."""
    for opt in (no_cache_opt, cache_dir_opt, threads_opt, timeout_opt):
        f = opt(f)
    return f


def open_cache(cache_dir: Path | None, no_cache: bool) -> MeshCache | None:
    """The mesh cache the options ask for, or None."""
    return None if no_cache else MeshCache(cache_dir)


def emit(text: str, output: Path | None, overwrite: bool) -> None:
    """Text to stdout, or atomically to ``output``."""
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text, overwrite=overwrite)


def precheck_output(output: Path | None, overwrite: bool) -> None:
    """Refuse a bad -o before any long work starts."""
    if output is not None:
        check_writable(output, overwrite=overwrite)


@contextmanager
def progress_bar(label: str, quiet: bool) -> Iterator[Callable[..., None] | None]:
    """A rich progress bar on stderr when it is a terminal; silent otherwise.

    Yields ``update(done, total, label=None)``; a label renames the task.
    """
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=Console(stderr=True), transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int, label: str | None = None) -> None:
            if label is not None:
                bar.update(task, description=label)
            bar.update(task, completed=done, total=total)

        yield update
