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
