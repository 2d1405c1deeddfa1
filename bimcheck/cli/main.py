"""The ``bimcheck`` command group: global options, logging, error handling.

Exit codes: 0 ok; 1 findings over the gate; 2 bad input or usage;
3 internal error (a bug: run with -v for the traceback); 130 interrupted.
"""

from __future__ import annotations

import logging
import sys

import click

from bimcheck._version import __version__
from bimcheck.errors import BimcheckError
from bimcheck.exitcodes import ExitCode


class _Group(click.Group):
    """Turns library errors into one line on stderr and an exit code."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except BimcheckError as exc:
            click.echo(f"bimcheck: error: {exc}", err=True)
            ctx.exit(ExitCode.BAD_INPUT)
        except KeyboardInterrupt:
            click.echo("bimcheck: interrupted", err=True)
            ctx.exit(ExitCode.INTERRUPTED)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            if logging.getLogger("bimcheck").isEnabledFor(logging.DEBUG):
                raise
            click.echo(
                f"bimcheck: internal error: {type(exc).__name__}: {exc} (run with -v for details)",
                err=True,
            )
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
    _setup_logging(verbose, quiet)
    ctx.ensure_object(dict)
    ctx.obj["quiet"] = quiet > 0


def _register() -> None:
    from bimcheck.cli.batch import batch
    from bimcheck.cli.cache import cache
    from bimcheck.cli.check import check
    from bimcheck.cli.clash import clash
    from bimcheck.cli.crane import crane
    from bimcheck.cli.diff import diff
    from bimcheck.cli.history import history, status
    from bimcheck.cli.info import info
    from bimcheck.cli.price import price
    from bimcheck.cli.qto import qto

    cli.add_command(info)
    cli.add_command(batch)
    cli.add_command(cache)
    cli.add_command(clash)
    cli.add_command(qto)
    cli.add_command(crane)
    cli.add_command(check)
    cli.add_command(price)
    cli.add_command(diff)
    cli.add_command(history)
    cli.add_command(status)


_register()
