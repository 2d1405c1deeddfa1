"""What a command sets for its own process."""

from __future__ import annotations

import gc

import pytest
from click.testing import CliRunner

from bimcheck.cli.main import GC_THRESHOLDS, cli


@pytest.fixture
def thresholds():
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def test_a_command_collects_cyclic_garbage_less_often(tmp_path, thresholds):
    result = CliRunner().invoke(cli, ["cache", "info", "--cache-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert gc.get_threshold() == GC_THRESHOLDS
    assert GC_THRESHOLDS[0] >= 100_000  # a cached report's decode collected ~2,000 times at 700
