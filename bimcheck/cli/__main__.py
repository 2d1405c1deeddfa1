"""``python -m bimcheck.cli``."""

from bimcheck.cli.main import cli

cli(prog_name="bimcheck")
