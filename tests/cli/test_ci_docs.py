"""The exact `bimcheck check` commands of docs/ci.md, run on a sample model laid
out as the workflows expect (models/, gate.yaml, waivers.yaml, baseline/)."""

from __future__ import annotations

import re
import shlex
import shutil
import textwrap

import pytest
from click.testing import CliRunner

from bimcheck.cli.main import cli
from tests.conftest import REPO, SAMPLES

DOC = REPO / "docs" / "ci.md"


def commands() -> list[str]:
    found = re.findall(r"(?m)^\s*(?:- )?(?:run: )?(bimcheck check .+)$", DOC.read_text())
    assert len(found) == 2, found
    return found


@pytest.mark.parametrize("command", commands(), ids=["github", "gitlab"])
def test_ci_doc_commands_run(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    shutil.copy(SAMPLES / "tower_rev_a.ifc", tmp_path / "models" / "tower.ifc")
    # The files the doc shows, as a project keeps them.
    text = DOC.read_text()
    for name, first_key in (("gate.yaml", "fail_on"), ("waivers.yaml", "waivers")):
        block = re.search(r"```yaml\n( *" + first_key + r":.*?)```", text, re.S).group(1)
        (tmp_path / name).write_text(textwrap.dedent(block))
    runner = CliRunner()
    first = runner.invoke(cli, ["-q", "check", "models/tower.ifc", "--out", "baseline"])
    assert first.exit_code == 0, first.output
    args = shlex.split(command)[1:]
    result = runner.invoke(cli, args)
    # Against its own baseline nothing is new: the gate passes; the doc's
    # waiver names the sample's beam/duct clash, which is there.
    assert result.exit_code == 0, result.output
    out = tmp_path / "reports" / "tower"
    for name in ("report.json", "report.html", "report.junit.xml", "findings.bcf"):
        assert (out / name).is_file()
    assert "stale waiver" not in result.output
