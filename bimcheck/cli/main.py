"""The ``bimcheck`` command group."""

import click


@click.group()
def cli() -> None:
    """bimcheck: checks for IFC building models."""
