"""``bimcheck cache``: where the mesh cache is, how big, and clearing it."""

from __future__ import annotations

from pathlib import Path

import click

from bimcheck.cli.options import cache_dir_opt
from bimcheck.geometry.cache import MeshCache


@click.group()
def cache() -> None:
    """Inspect or clear the cache (meshes, and results of unchanged files)."""


@cache.command("info")
@cache_dir_opt
def cache_info(cache_dir: Path | None) -> None:
    """Print the cache folder, its entries and size."""
    from bimcheck.clash.reuse import PairStore
    from bimcheck.qto.reuse import store_usage
    from bimcheck.results import ResultCache

    c = MeshCache(cache_dir)
    entries, size = c.usage()
    results, result_size = ResultCache(c).usage()
    rows, row_size = store_usage(c)
    pairs, pair_size = PairStore.usage(c)
    click.echo(f"{c.root}\n  {entries} entries, {size / 1e6:.1f} MB\n"
               f"  {results} cached result(s) of unchanged files, {result_size / 1e6:.1f} MB\n"
               f"  quantity rows of {rows} element(s), {row_size / 1e6:.1f} MB\n"
               f"  clash results of {pairs} pair(s), {pair_size / 1e6:.1f} MB")


@cache.command("clear")
@cache_dir_opt
def cache_clear(cache_dir: Path | None) -> None:
    """Delete every cached mesh and result (they are rebuilt on the next run)."""
    from bimcheck.clash.reuse import PairStore
    from bimcheck.qto.reuse import clear_store
    from bimcheck.results import ResultCache

    c = MeshCache(cache_dir)
    removed = c.clear()
    rows = clear_store(c)
    pairs = PairStore.clear(c)
    results = ResultCache(c).clear()
    click.echo(f"{c.root}: removed {removed} entries, {results} cached result(s), the "
               f"quantity rows of {rows} element(s) and the clash results of {pairs} pair(s)")
