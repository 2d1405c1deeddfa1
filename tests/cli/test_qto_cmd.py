"""``bimcheck qto`` end to end on the qto samples; expected values come from
samples/qto.truth.yaml (hand-computed from the dimensions)."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bimcheck.cli.main import cli
from tests.conftest import SAMPLES

MODEL = SAMPLES / "qto_m.ifc"
TRUTH = yaml.safe_load((SAMPLES / "qto.truth.yaml").read_text(encoding="utf-8"))
ROW_KEYS = {"global_id", "ifc_class", "name", "storey", "item", "quantity", "value", "unit",
            "rule"}


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_json_rows_and_summary(tmp_path):
    out = tmp_path / "takeoff.json"
    code, _, err = run("qto", MODEL, "--group-by", "storey,type", "-o", out)
    assert code == 0, err
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert len(doc["rows"]) == 50 and all(ROW_KEYS <= set(r) for r in doc["rows"])
    row = next(r for r in doc["rows"] if r["name"] == "W1" and r["quantity"] == "NetVolume")
    assert row["value"] == pytest.approx(TRUTH["elements"]["W1"]["quantities"]["NetVolume"])
    assert (row["unit"], row["item"], row["rule"]) == ("m3", "Qto_WallBaseQuantities", "QB-WALL")
    total = next(s for s in doc["summary"] if s["quantity"] == "NetVolume"
                 and s["item"] == "Qto_WallBaseQuantities")
    assert total["total"] == pytest.approx(2.59 + 2.022) and total["storey"] == "L0"
    assert "type" in total
    # Deterministic: a second run writes the same bytes.
    again = tmp_path / "again.json"
    assert run("qto", MODEL, "--group-by", "storey,type", "-o", again)[0] == 0
    assert again.read_bytes() == out.read_bytes()


def test_csv_rows(tmp_path):
    out = tmp_path / "takeoff.csv"
    assert run("qto", MODEL, "-o", out)[0] == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 50
    slab = next(r for r in rows if r["name"] == "S1" and r["quantity"] == "Perimeter")
    assert (slab["value"], slab["unit"]) == ("20.000000", "m")  # outer boundary, holes left out


def test_terminal_summary():
    code, out, _ = run("qto", MODEL)
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("Qto_SlabBaseQuantities")
                and "NetArea" in x)
    assert line.split()[-2:] == ["22.800", "m2"]
    assert "50 row(s) from qto_m.ifc" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-o", "takeoff.ods"), "unsupported format .ods"),
        (("--group-by", "colour"), "'colour' is not one of"),
    ],
)
def test_usage_errors_exit_2(tmp_path, args, message):
    code, _, err = run("qto", MODEL, *(tmp_path / a if a.endswith(".ods") else a
                                       for a in args))
    assert code == 2 and message in err


def test_bad_inputs_exit_2_naming_the_file(tmp_path):
    code, _, err = run("qto", tmp_path / "missing.ifc")
    assert code == 2 and "missing.ifc" in err
    pack = tmp_path / "pack.yaml"
    pack.write_text(
        "pack: t\nrules:\n  - {id: Q1, name: n, kind: measure, severity: info,\n"
        "     doc: {what: w, why: y, fix: f}, a: IfcWall, item: X,\n"
        "     quantities: {V: no_such_function}}\n", encoding="utf-8")
    code, _, err = run("qto", MODEL, "--rules", pack)
    assert code == 2 and "pack.yaml" in err and "Q1" in err and "no_such_function" in err
    out = tmp_path / "t.json"
    out.write_text("keep me", encoding="utf-8")
    code, _, err = run("qto", MODEL, "-o", out)
    assert code == 2 and out.read_text(encoding="utf-8") == "keep me"
    assert run("qto", MODEL, "-o", out, "--overwrite")[0] == 0


def test_xlsx_summary_and_detail_sheets_with_units_in_headers(tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "takeoff.xlsx"
    code, _, err = run("qto", MODEL, "--group-by", "storey", "-o", out)
    assert code == 0, err
    wb = load_workbook(out)
    assert wb.sheetnames == ["Summary", "Detail", "Deductions", "Reconciliation"]
    # The two declared quantities the sample gets wrong on purpose.
    found = {(r[0], r[5]): r for r in wb["Reconciliation"].iter_rows(min_row=2, values_only=True)}
    s1, w1 = (TRUTH["elements"][n]["global_id"] for n in ("S1", "W1"))
    assert sorted(found) == sorted([(s1, "Perimeter"), (w1, "NetVolume")])
    assert found[(w1, "NetVolume")][-1] == "declared NetVolume 2.90 m³, computed 2.59 m³, −10.7%"
    assert wb["Deductions"].max_row == 1  # the base pack measures no thresholds
    summary, detail = wb["Summary"], wb["Detail"]
    heads = [c.value for c in summary[1]]
    assert heads[:3] == ["item", "storey", "elements"] and "NetVolume [m3]" in heads
    walls = next(r for r in summary.iter_rows(min_row=2, values_only=True)
                 if r[0] == "Qto_WallBaseQuantities")
    assert walls[1] == "L0" and walls[2] == 2
    assert walls[heads.index("NetVolume [m3]")] == pytest.approx(2.59 + 2.022)
    dheads = [c.value for c in detail[1]]
    w1 = next(r for r in detail.iter_rows(min_row=2, values_only=True) if r[3] == "W1")
    assert w1[dheads.index("NetSideArea [m2]")] == pytest.approx(12.95)
    assert w1[dheads.index("item")] == "Qto_WallBaseQuantities"
    # Deterministic bytes, also a second later (openpyxl stamps the save time).
    time.sleep(1.1)
    again = tmp_path / "again.xlsx"
    assert run("qto", MODEL, "--group-by", "storey", "-o", again)[0] == 0
    assert again.read_bytes() == out.read_bytes()


def test_xlsx_never_turns_model_text_into_formulas():
    from openpyxl import load_workbook

    from bimcheck.report.xlsxout import takeoff_xlsx

    row = {"global_id": "g", "ifc_class": "IfcWall", "type": None, "name": "=HYPERLINK(1)",
           "storey": "+L0", "material": None, "classification": None, "item": "I",
           "quantity": "Q", "value": 1.0, "unit": "m", "rule": "R",
           "provenance": {"function": "length", "params": {}}}
    doc = {"rows": [row], "summary": [{"item": "I", "quantity": "Q", "unit": "m",
                                      "total": 1.0, "count": 1}]}
    wb = load_workbook(io.BytesIO(takeoff_xlsx(doc)))
    cell = wb["Detail"]["D2"]
    assert cell.value == "=HYPERLINK(1)" and cell.data_type == "s"


def test_committed_demo_takeoff_is_current(tmp_path):
    """reports/qto_m.takeoff.json and .csv (written by `make demo`) are what this
    code produces, byte for byte."""
    gb = ("--rules", str(SAMPLES.parent / "rules" / "qto" / "gb50854.yaml"))
    for name, extra in (("takeoff.json", ("--group-by", "storey")), ("takeoff.csv", ()),
                        ("gb50854.csv", gb)):
        out = tmp_path / name
        assert run("qto", MODEL, *extra, "-o", out)[0] == 0
        committed = SAMPLES.parent / "reports" / f"qto_m.{name}"
        assert out.read_bytes() == committed.read_bytes(), name


def test_gb_pack_xlsx_lists_every_opening_deducted_or_kept(tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "gb.xlsx"
    pack = SAMPLES.parent / "rules" / "qto" / "gb50854.yaml"
    code, _, err = run("qto", MODEL, "--rules", pack, "-o", out)
    assert code == 0, err
    sheet = load_workbook(out)["Deductions"]
    heads = [c.value for c in sheet[1]]
    lines = [dict(zip(heads, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    w1, o2 = TRUTH["elements"]["W1"]["global_id"], TRUTH["elements"]["O2"]["global_id"]
    kept = [x for x in lines if x["global_id"] == w1 and x["opening"] == o2]
    # The 0.25 m² hole is kept in W1's volume and in its plaster, each with its reason.
    assert {x["item"] for x in kept} == {"010504001", "011201001"}
    assert all(x["deducted"] == "kept" and x["area [m2]"] == pytest.approx(0.25) for x in kept)
    assert all("<= 0.3 m2" in x["why"] for x in kept)
    # W1 (2 openings) and W2 (1) in volume and plaster, S1 (2) in volume.
    assert len(lines) == 2 * 3 + 2


def test_nrm2_pack_runs_from_the_cli():
    pack = SAMPLES.parent / "rules" / "qto" / "nrm2.yaml"
    code, out, err = run("qto", MODEL, "--rules", pack)
    assert code == 0, err
    assert "28 Wall finishings" in out and "46.620" in out  # 2 × 13.2 + 2 × 10.11


def test_reconcile_tolerance_from_the_command_line(tmp_path):
    def findings(*extra):
        out = tmp_path / "t.json"
        assert run("qto", MODEL, *extra, "-o", out, "--overwrite")[0] == 0
        return json.loads(out.read_text(encoding="utf-8"))["reconciliation"]

    assert len(findings()["findings"]) == 2  # the pack's 1 %
    loose = findings("--reconcile", "0.2")  # 10.7 % passes, 22.5 % does not
    assert loose["tolerance"] == 0.2 and [f["quantity"] for f in loose["findings"]] == [
        "Perimeter"]
    off = findings("--no-reconcile")
    assert off == {"tolerance": None, "compared": 0, "findings": []}
    code, _, err = run("qto", MODEL, "--reconcile", "5")
    assert code == 2 and "5" in err
