"""The command line and the report writers start without the geometry stack:
``bimcheck --help`` and ``import bimcheck.report.jsonout`` load neither
IfcOpenShell, fcl nor manifold3d (their start-up time is measured in
benchmarks/bench_startup.py)."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

HEAVY = ("ifcopenshell", "fcl", "manifold3d")


def _loaded_after(code: str) -> list[str]:
    probe = (f"{code}\nimport sys\n"
             f"print('loaded:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120, check=True).stdout.splitlines()
    line = next(x for x in reversed(out) if x.startswith("loaded:"))
    return [m for m in line.removeprefix("loaded:").split(",") if m]


@pytest.mark.parametrize("code", [
    "import bimcheck.report.jsonout",
    "import bimcheck",
    "from bimcheck.cli.main import cli\n"
    "try:\n    cli(['--help'], prog_name='bimcheck')\nexcept SystemExit:\n    pass",
])
def test_nothing_heavy_is_imported(code):
    assert _loaded_after(code) == []


def test_the_public_api_still_resolves_every_name():
    import bimcheck

    for name in bimcheck.__all__:
        assert getattr(bimcheck, name) is not None, name
    with pytest.raises(AttributeError):
        bimcheck.no_such_name  # noqa: B018


def test_the_command_list_says_what_each_command_s_own_help_says():
    from bimcheck.cli.main import COMMANDS, cli

    ctx = click.Context(cli)
    for name, (_, _, short) in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name
        assert command.get_short_help_str(limit=1000) == short, name
    assert cli.get_command(ctx, "no-such-command") is None


def test_registering_the_kinds_does_not_import_ifctester():
    """A served ``qto`` or ``clash`` loads its pack, which loads every family's
    kinds: the ids kind must not drag in ifctester and xmlschema (0.27 s)."""
    probe = ("from bimcheck.packs.registry import load_kinds\nload_kinds()\nimport sys\n"
             "print(sorted(m for m in ('ifctester', 'xmlschema') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120, check=True).stdout.strip().splitlines()[-1]
    assert out == "[]"
    from bimcheck import ids

    assert callable(ids.check_ids) and callable(ids.load_ids)
    with pytest.raises(AttributeError):
        ids.no_such_name  # noqa: B018
