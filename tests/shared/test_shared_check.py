"""`bimcheck check` with the shipped rules/default on the shared models (written
by others): every run completes, writes every report file and states its
coverage. The slower models run under ``-m slow``
(docs/check-shared-models.md has the figures of every model)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bimcheck.cli.main import cli
from tests.conftest import shared_model

FAST = ["2022_11_21_update_B03_Heating_ownCells.ifc", "AC20-FZK-Haus.ifc",
        "Ifc2s3_Duplex_Electrical.ifc", "Ifc2x3_Duplex_Architecture.ifc",
        "b03_heating_with_building_blenderBIM.ifc"]
SLOW = ["ACCA_RFI_Signalling.ifc", "ISSUE_021_Mini_Project.ifc",
        "geometrygym_great_court_roof.ifc", "revit2012_janesville_restaurant.ifc"]


@pytest.mark.parametrize("name", [*FAST, *(pytest.param(n, marks=pytest.mark.slow)
                                           for n in SLOW)])
def test_default_check_completes_with_coverage(name, tmp_path):
    model = shared_model(name)
    r = CliRunner().invoke(cli, ["-q", "check", str(model), "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "report.json").read_text())
    for f in ("report.html", "report.junit.xml", "findings.bcf"):
        assert (tmp_path / f).stat().st_size > 0
    (geo,) = doc["coverage"]["geometry"]
    assert geo["model"] == name and geo["meshed"] > 0
    assert geo["meshed"] + geo["without_body"] + geo["failed"] <= geo["requested"]
    ran = {c["rule"] for c in doc["coverage"]["rules"] if "checked" in c}
    assert ran == {r["id"] for r in doc["rules"]}  # every rule says what it looked at
    assert doc["summary"]["findings"] == len(doc["findings"])
    assert f"{geo['meshed']} element(s) meshed" in r.output
