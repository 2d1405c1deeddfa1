"""``bimcheck cache info|clear``."""

from click.testing import CliRunner

from bimcheck.cli.main import cli
from tests.conftest import SAMPLES


def test_cache_info_and_clear(tmp_path):
    runner = CliRunner()
    cache = str(tmp_path / "c")
    model = str(SAMPLES / "tower_rev_a.ifc")
    assert runner.invoke(cli, ["info", model, "--cache-dir", cache]).exit_code == 0
    result = runner.invoke(cli, ["cache", "info", "--cache-dir", cache])
    assert result.exit_code == 0
    # One entry per distinct geometry: rev A meshes 80 elements, and its exact
    # duplicate column (C-1-B1-DUP, same representation and placement as C-1-B1)
    # shares C-1-B1's entry.
    assert "79 entries" in result.stdout
    result = runner.invoke(cli, ["cache", "clear", "--cache-dir", cache])
    assert result.exit_code == 0 and "removed 79 entries" in result.stdout
    assert "0 entries" in runner.invoke(cli, ["cache", "info", "--cache-dir", cache]).stdout
    # Cleared means rebuilt: the next run tessellates everything again.
    result = runner.invoke(cli, ["info", model, "--cache-dir", cache])
    assert "0 from cache, 80 tessellated" in result.stdout


def test_cache_info_and_clear_count_the_clash_pair_results(tmp_path):
    from bimcheck.clash.reuse import PairStore
    from bimcheck.geometry.cache import MeshCache

    runner = CliRunner()
    cache = tmp_path / "c"
    model = str(SAMPLES / "tower_rev_a.ifc")
    result = runner.invoke(cli, ["clash", model, "--json", "--timings", "--no-history",
                                 "--cache-dir", str(cache)])
    assert result.exit_code == 0
    import json

    tested = json.loads(result.stdout)["timings"]["pairs_tested"]
    # One entry per distinct test (kind, params, classes, meshes): the
    # duplicate column C-1-B1-DUP has C-1-B1's mesh, so its pairs with the
    # same neighbours are C-1-B1's entries.
    stored = PairStore.usage(MeshCache(cache))[0]
    assert 0 < stored <= tested
    info = runner.invoke(cli, ["cache", "info", "--cache-dir", str(cache)]).stdout
    assert f"clash results of {stored} pair(s)" in info
    cleared = runner.invoke(cli, ["cache", "clear", "--cache-dir", str(cache)]).stdout
    assert f"the clash results of {stored} pair(s)" in cleared
    assert PairStore.usage(MeshCache(cache)) == (0, 0)
