"""Options shared by several commands, and the helpers that act on them."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from bimcheck.geometry.cache import MeshCache
from bimcheck.limits import (
    DEFAULT_MAX_ELEMENTS,
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_TIMEOUT_S,
    element_limit,
    file_size_limit,
    parse_size,
    time_limit,
)
from bimcheck.report.files import check_outputs, write_atomic

output_opt = click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Write to FILE instead of stdout.",
)
overwrite_opt = click.option(
    "--overwrite", is_flag=True, help="Replace the output file if it exists."
)
timeout_opt = click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_TIMEOUT_S,
    show_default=True, metavar="SECONDS",
    help="Time limit of the command per model; what finished stays cached.",
)


def _size(ctx: Any, param: Any, value: str | None) -> int:
    try:
        return DEFAULT_MAX_FILE_BYTES if value is None else parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


max_file_size_opt = click.option(
    "--max-file-size", "max_file_size", callback=_size, default=None, metavar="SIZE",
    help="Largest model file read, e.g. 500M (default 2G).",
)
max_elements_opt = click.option(
    "--max-elements", "max_elements", type=click.IntRange(min=1), default=DEFAULT_MAX_ELEMENTS,
    metavar="N",
    help=f"Most elements (IfcProduct) of one model (default {DEFAULT_MAX_ELEMENTS:,}).",
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
    """--timeout, --max-file-size, --max-elements, --threads, --cache-dir, --no-cache.

    The command runs inside the limits: ``--timeout`` seconds per model it
    was given (:func:`~bimcheck.limits.time_limit`), no model file larger
    than ``--max-file-size`` is read (:func:`~bimcheck.limits.file_size_limit`)
    and no model of more than ``--max-elements`` elements is checked
    (:func:`~bimcheck.limits.element_limit`).
    """
    @functools.wraps(f)
    def limited(*args: Any, **kwargs: Any) -> Any:
        models = _models(kwargs)
        timeout = kwargs.get("timeout")
        # A little past the library's own budget, which ends tessellation
        # with a fuller message; this catches every other long step.
        seconds = None if timeout is None else timeout * max(1, len(models)) * 1.05 + 5
        shown = ", ".join(str(m) for m in models) or None
        with file_size_limit(kwargs.pop("max_file_size")), \
                element_limit(kwargs.pop("max_elements")), \
                time_limit(seconds, f"bimcheck {f.__name__}", shown):
            return f(*args, **kwargs)

    for opt in (no_cache_opt, cache_dir_opt, threads_opt, max_elements_opt, max_file_size_opt,
                timeout_opt):
        limited = opt(limited)
    return limited


def _models(params: Mapping[str, Any]) -> list[Any]:
    """The models a command was given (``models``, or ``model``/``old``/``new``)."""
    many = params.get("models")
    if many:
        return list(many)
    return [params[n] for n in ("old", "new", "model") if params.get(n) is not None]


def open_cache(cache_dir: Path | None, no_cache: bool) -> MeshCache | None:
    """The mesh cache the options ask for, or None."""
    return None if no_cache else MeshCache(cache_dir)


def emit(text: str, output: Path | None, overwrite: bool) -> None:
    """Text to stdout, or atomically to ``output``."""
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text, overwrite=overwrite)


def precheck_outputs(outputs: Mapping[str, Path | None], overwrite: bool,
                     inputs: Iterable[Path | None] = ()) -> None:
    """Refuse bad outputs before any long work starts: one that exists
    without --overwrite, one that is an input, two that are one file
    (:func:`~bimcheck.report.files.check_outputs`)."""
    check_outputs(outputs, inputs, overwrite=overwrite)


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


# -- run history (docs/history.md) ------------------------------------------------------

#: Where runs are recorded without --db (relative to the working directory).
DEFAULT_HISTORY_DB = Path(".bimcheck") / "history.sqlite"


@dataclass(frozen=True)
class HistoryOptions:
    """``--db``, ``--no-history``, ``--project``, ``--revision`` as given."""

    db: Path | None = None
    enabled: bool = True
    project: str | None = None
    revision: str | None = None

    @property
    def path(self) -> Path:
        """The database file: ``--db``, else ``$BIMCHECK_HISTORY_DB``, else
        :data:`DEFAULT_HISTORY_DB` in the working directory."""
        return self.db if self.db is not None else DEFAULT_HISTORY_DB


def history_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--db, --no-history, --project, --revision, handed to the command as one
    ``history: HistoryOptions`` argument."""

    @functools.wraps(f)
    def wrapper(*args: Any, db: Path | None, no_history: bool, project: str | None,
                revision: str | None, **kwargs: Any) -> Any:
        return f(*args, history=HistoryOptions(db, not no_history, project, revision),
                 **kwargs)

    options = (
        click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
                     envvar="BIMCHECK_HISTORY_DB", default=None, metavar="PATH",
                     help="Run history database (SQLite), made on first use "
                     f"(default: $BIMCHECK_HISTORY_DB or {DEFAULT_HISTORY_DB}).",
                     show_envvar=False),
        click.option("--no-history", is_flag=True, envvar="BIMCHECK_NO_HISTORY",
                     help="Do not record this run (also: $BIMCHECK_NO_HISTORY=1)."),
        click.option("--project", default=None, metavar="NAME",
                     help="Project of the run in the history (default: the model file's "
                     "stem without a trailing revision marker such as _rev_b, -r2, _v3)."),
        click.option("--revision", default=None, metavar="LABEL",
                     help="Revision label of the run (default: the model file's stem)."),
    )
    for opt in reversed(options):
        wrapper = opt(wrapper)
    return wrapper


def record_run(history: HistoryOptions, *, command: str, models: Sequence[Any],
               findings: Iterable[Any] = (), packs: Sequence[Any] = (),
               rules_run: Iterable[str] | None = None, rules_empty: Iterable[str] = (),
               totals: Mapping[str, Any] | None = None,
               name_model: Any = None, unmeshed: Iterable[str] = (),
               mesh_rules: Iterable[str] = ()) -> Any:
    """Record one run in the history unless ``--no-history``; the
    :class:`~bimcheck.store.record.Recorded` run, or ``None``.

    ``models``: the run's :class:`~bimcheck.model.Model` objects (names,
    digests and GlobalIds are recorded); ``name_model`` the one whose file
    name gives the default project and revision (default: the first);
    ``findings``: Finding, Clash, reconciliation Mismatch or report-JSON
    finding dicts; ``packs``: Pack objects or ``{"name", "digest"}``
    mappings (a rate table); ``rules_run`` (default: every rule of the Pack
    objects) and ``rules_empty``: what decides ``unretested``; ``totals``:
    ``risk``, ``net_cost``, ``currency`` or any other number worth a trend;
    ``unmeshed``: GlobalIds without a mesh in this run, which the
    ``mesh_rules`` could not test (their findings on them are unretested).
    A :class:`~bimcheck.errors.HistoryError` naming the file when the
    database cannot be used."""
    if not history.enabled:
        return None
    from bimcheck.store.inputs import run_input

    run = run_input(command=command, models=models, findings=findings, packs=packs,
                    rules_run=rules_run, rules_empty=rules_empty, totals=totals,
                    name_model=name_model, unmeshed=unmeshed, mesh_rules=mesh_rules,
                    project=history.project, revision=history.revision)
    return store_run(history, run)


def store_run(history: HistoryOptions, run: Any) -> Any:
    """Record a :class:`~bimcheck.store.record.RunInput` unless ``--no-history``
    (the :class:`~bimcheck.store.record.Recorded` run, or ``None``)."""
    if not history.enabled:
        return None
    from bimcheck.store import open_db
    from bimcheck.store import record_run as store_record

    with open_db(history.path) as db:
        return store_record(db, run)


def history_line(recorded: Any) -> str:
    """One line for the terminal: the statuses against the previous run."""
    if recorded is None:
        return ""
    run = recorded.run
    where = f" in {recorded.db_path}" if recorded.db_path is not None else ""
    if recorded.previous is None:
        return (f"history: run {run.id}, first of project {run.project!r} ({run.command})"
                f"{where}; statuses from the next run on\n")
    c = recorded.comparison.counts()
    approved = len(recorded.approved)
    return (f"history: run {run.id} of {run.project!r}{where} against "
            f"{recorded.previous.revision} (run {recorded.previous.id}): {c['new']} new, "
            f"{c['active']} active, "
            f"{c['resolved']} resolved, {c['unretested']} unretested"
            + (f", {approved} approved" if approved else "") + "\n")


def prehash_models(paths: Sequence[Path]) -> None:
    """Start hashing the fingerprints of large model files now, beside the
    loading of packs and the result look-up (:func:`bimcheck.prehash.begin`)."""
    from bimcheck import prehash

    for path in paths:
        prehash.begin(path)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:  # helpers no parse adopted stop with the command
        ctx.call_on_close(prehash.discard_early)


def precheck_history(history: HistoryOptions) -> None:
    """Refuse an unusable ``--db`` before any long work: a file that is there
    but is not a bimcheck history database, is corrupt or is newer; or a new
    file in a folder that cannot be written."""
    if not history.enabled:
        return
    from bimcheck.errors import HistoryError
    from bimcheck.store import open_db

    path = history.path
    if path.exists():
        open_db(path, create=False).close()
        return
    folder = path.absolute().parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise HistoryError(f"cannot create the history database: {folder} is not a "
                           "writable folder (give --db, or --no-history)", path=path)
