"""`bimcheck check MODEL --rules CASE.ids --fail-on info` on every buildingSMART
IDS 1.0 test case, through the command: pass- cases exit 0, fail- cases 1,
invalid- cases 2 (with the IDS file named), never a traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bimcheck.cli.main import cli
from tests.conftest import REPO

CASES = REPO.parent / "shared" / "ids-testcases"
EXPECTED = {"pass": 0, "fail": 1, "invalid": 2}


def test_every_case_through_the_command(tmp_path):
    cases = sorted(CASES.glob("*/*.ids"))
    if not cases:
        pytest.skip(f"{CASES} not available")
    wrong = []
    for ids in cases:
        outcome = ids.name.split("-")[0]
        out = tmp_path / ids.parent.name / ids.stem
        r = CliRunner().invoke(cli, ["-q", "check", str(ids.with_suffix(".ifc")), "--rules",
                                     str(ids), "--fail-on", "info", "--out", str(out)])
        if r.exit_code != EXPECTED[outcome] or "Traceback" in r.output or (
                outcome == "invalid" and str(ids) not in r.output):
            wrong.append(f"{ids.parent.name}/{ids.name}: exit {r.exit_code}: {r.output[-200:]}")
    assert len(cases) == 314
    assert not wrong, "\n".join(wrong)
