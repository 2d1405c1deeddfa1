"""The ``bimcheck`` command group: global options, logging, error handling.

Exit codes: 0 ok; 1 findings over the gate; 2 bad input or usage;
3 internal error (a bug: run with -v for the traceback); 130 interrupted.

An error is one line on stderr, at most :data:`MAX_MESSAGE` characters (a
value echoed from a hostile input is cut, not printed in full).
"""

from __future__ import annotations

import errno
import gc
import importlib
import logging
import sys
import traceback

import click

from bimcheck._version import __version__
from bimcheck.errors import BimcheckError
from bimcheck.exitcodes import ExitCode

#: Longest error line printed, in characters.
MAX_MESSAGE: int = 1000

#: Thresholds of the cyclic garbage collector in a command's process
#: (Python's default: 700, 10, 10; mypy sets the same as here). A report or
#: a cached result is millions of small dicts and lists, none in a cycle, and
#: at the default the collector walked them again and again: decoding a
#: cached check report of 28,717 findings took 2.7 s, 0.36 s without it; a
#: check served from the cache 13.9 s -> 9.2 s, with the same peak memory.
GC_THRESHOLDS: tuple[int, int, int] = (200_000, 30, 30)


def _one_line(text: str) -> str:
    """``text`` on one line, cut to :data:`MAX_MESSAGE` characters."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 1] + "\u2026"


def _say(text: str) -> None:
    """One line on stderr; nothing when stderr itself cannot be written."""
    try:
        click.echo(text, err=True)
    except OSError:
        pass


class _Group(click.Group):
    """Turns library errors into one line on stderr and an exit code; imports
    a command's module only when it runs (:data:`COMMANDS`)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        if name not in self.commands:
            module, attr, _ = COMMANDS[name]
            self.add_command(getattr(importlib.import_module(module), attr), name)
        return self.commands[name]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of ``--help`` from :data:`COMMANDS`, importing none."""
        limit = formatter.width - 6 - max(len(n) for n in COMMANDS)
        rows = []
        for name in sorted(COMMANDS):
            text = COMMANDS[name][2]
            if len(text) > limit:
                text = text[:max(limit - 3, 10)].rsplit(" ", 1)[0] + "..."
            rows.append((name, text))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except BimcheckError as exc:
            _say(_one_line(f"bimcheck: error: {exc}"))
            ctx.exit(ExitCode.BAD_INPUT)
        except KeyboardInterrupt:
            _say("bimcheck: interrupted")
            ctx.exit(ExitCode.INTERRUPTED)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EPIPE, errno.EDQUOT, errno.EROFS,
                                 errno.ENAMETOOLONG, errno.EIO):
                self._internal(ctx, exc)
            where = f"{exc.filename}: " if exc.filename else "output: "
            _say(_one_line(f"bimcheck: error: {where}{exc.strerror or exc}"))
            ctx.exit(ExitCode.BAD_INPUT)
        except Exception as exc:
            self._internal(ctx, exc)

    @staticmethod
    def _internal(ctx: click.Context, exc: BaseException) -> None:
        """A bug: one line (and with -v, the traceback) on stderr; exit 3."""
        verbose = logging.getLogger("bimcheck").isEnabledFor(logging.INFO)
        if verbose:
            _say(traceback.format_exc().rstrip())
        hint = "" if verbose else " (run with -v for the traceback)"
        _say(_one_line(f"bimcheck: internal error: {type(exc).__name__}: {exc}") + hint)
        ctx.exit(ExitCode.INTERNAL_ERROR)


def _setup_logging(verbose: int, quiet: int) -> None:
    level = logging.WARNING - 10 * verbose + 10 * quiet
    level = max(logging.DEBUG, min(logging.CRITICAL, level))
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("bimcheck: %(levelname)s: %(message)s"))
    root = logging.getLogger("bimcheck")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.option("-q", "--quiet", count=True, help="Less output: no progress, only errors.")
@click.version_option(__version__, prog_name="bimcheck")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: int) -> None:
    """bimcheck: clash, crane, quantity and revision checks for IFC models."""
    gc.set_threshold(*GC_THRESHOLDS)
    _setup_logging(verbose, quiet)
    ctx.ensure_object(dict)
    ctx.obj["quiet"] = quiet > 0


#: The commands: ``name: (module, function, short help)``. A command's module
#: (and the library behind it: IfcOpenShell, fcl, manifold3d) is imported only
#: when the command runs, so ``bimcheck --help`` starts at once. The short
#: help is the command's docstring's first sentence (a test keeps them equal).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "batch": ("bimcheck.cli.batch", "batch",
              "Check every revision of every project in SOURCE; from the second revision on, "
              "diff and price it against the previous one."),
    "cache": ("bimcheck.cli.cache", "cache",
              "Inspect or clear the cache (meshes, and results of unchanged files)."),
    "check": ("bimcheck.cli.check", "check",
              "Check MODELS with every rule of the selected packs and write the risk report."),
    "clash": ("bimcheck.cli.clash", "clash",
              "Find clashes in MODELS (one file, or several checked together)."),
    "crane": ("bimcheck.cli.crane", "crane",
              "Check every lift of LIFTPLAN (a *.lift.yaml) against MODEL."),
    "diff": ("bimcheck.cli.diff", "diff",
             "Compare revision NEW of a model with OLD: every element added, removed, modified "
             "or moved, with old and new values, and the causes that explain many changes at "
             "once (a storey moved, a type edited, a shared profile)."),
    "history": ("bimcheck.cli.history", "history",
                "List the recorded runs and the trends across revisions."),
    "info": ("bimcheck.cli.info", "info",
             "Summarise MODEL and check that its geometry can be made."),
    "price": ("bimcheck.cli.price", "price", "Price what changed from OLD to NEW."),
    "qto": ("bimcheck.cli.qto", "qto", "Measure MODEL's quantities with a measurement pack."),
    "status": ("bimcheck.cli.history", "status",
               "Show a finding's history, or record a review of it with --set."),
}
