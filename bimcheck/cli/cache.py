"""``bimcheck cache``: where the mesh cache is, how big, and clearing it."""

from __future__ import annotations

from pathlib import Path

import click

from bimcheck.cli.options import cache_dir_opt
from bimcheck.geometry.cache import MeshCache


@click.group()
def cache() -> None:
    """Inspect or clear the mesh cache."""


@cache.command("info")
@cache_dir_opt
def cache_info(cache_dir: Path | None) -> None:
    """Print the cache folder, its entries and size."""
    c = MeshCache(cache_dir)
    entries, size = c.usage()
    click.echo(f"{c.root}\n  {entries} entries, {size / 1e6:.1f} MB")


@cache.command("clear")
@cache_dir_opt
def cache_clear(cache_dir: Path | None) -> None:
    """Delete every cached mesh (they are rebuilt on the next run)."""
    c = MeshCache(cache_dir)
    removed = c.clear()
    click.echo(f"{c.root}: removed {removed} entries")
