"""``bimcheck price`` end to end on the samples: the table, the files, exit codes.
The expected total is the hand-computed one of samples/tower_rev_b.truth.yaml."""

from __future__ import annotations

import json
from pathlib import Path

import ifcopenshell
import yaml
from click.testing import CliRunner

from bimcheck.cli.main import cli
from tests.conftest import SAMPLES

A, B = SAMPLES / "tower_rev_a.ifc", SAMPLES / "tower_rev_b.ifc"
PRICE = yaml.safe_load((SAMPLES / "tower_rev_b.truth.yaml").read_text(encoding="utf-8"))["price"]
PRICED = ("--rates", SAMPLES / PRICE["rates"], "--rules", SAMPLES / PRICE["rules"])


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_table_on_stdout(tmp_path):
    code, out, err = run("price", A, B, *PRICED)
    assert code == 0, err
    assert "P-1-riser 2nlMbDji9K6eQF1jVBz29Q" in out and "856.50" in out
    assert "adjust over" in out
    assert out.rstrip().splitlines()[-1].split() == ["net", "3,525.56", "CNY"]


def test_files_by_suffix_and_cost_schedule(tmp_path):
    for suffix in (".json", ".csv", ".xlsx"):
        out = tmp_path / f"order{suffix}"
        code, stdout, err = run("price", A, B, *PRICED, "-o", out)
        assert code == 0 and stdout == "", err
        assert out.stat().st_size > 0
    doc = json.loads((tmp_path / "order.json").read_text(encoding="utf-8"))
    assert doc["totals"] == PRICE["totals"]
    assert doc["header"]["tool"]["command"] == "price"
    ifc = tmp_path / "rev_b.cost.ifc"
    code, _, err = run("price", A, B, *PRICED, "-o", tmp_path / "o2.json",
                       "--ifc-cost-schedule", ifc)
    assert code == 0, err
    assert len(ifcopenshell.open(str(ifc)).by_type("IfcCostSchedule")) == 1


def test_without_rates_everything_is_unpriced(tmp_path):
    out = tmp_path / "order.json"
    code, _, err = run("price", A, B, "-o", out)
    assert code == 0, err
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["lines"] and all(ln["amount"] is None for ln in doc["lines"])
    assert doc["header"]["rates"] is None and doc["header"]["packs"][0]["name"] == "ifc-base"
    code, stdout, _ = run("price", A, B)
    assert "every delta is unpriced" in stdout


def test_bad_input_exits_2_with_one_clear_line(tmp_path):
    bad = tmp_path / "rates.csv"
    bad.write_text("code,description,unit,rate\n010402001001,wall,m3,-5\n", encoding="utf-8")
    code, out, err = run("price", A, B, "--rates", bad)
    assert code == 2 and out == ""
    assert err.strip() == (f"bimcheck: error: {bad}: line 2: rate: item 010402001001: "
                           "rate -5 is negative")
    mismatch = tmp_path / "mismatch.csv"
    mismatch.write_text("code,description,unit,rate\n010505003001,slab,m2,5\n",
                        encoding="utf-8")
    code, _, err = run("price", A, B, "--rates", mismatch, "--rules", SAMPLES / PRICE["rules"])
    assert code == 2 and "item 010505003: unit mismatch" in err
    code, _, err = run("price", A, B, "-o", tmp_path / "order.txt")
    assert code == 2 and "unsupported format .txt" in err
    code, _, err = run("price", A, B, "--ifc-cost-schedule", tmp_path / "x.json")
    assert code == 2 and "must end in .ifc" in err
    existing = tmp_path / "exists.json"
    existing.write_text("{}", encoding="utf-8")
    code, _, err = run("price", A, B, "-o", existing)
    assert code == 2 and "--overwrite" in err and existing.read_text() == "{}"
    code, _, err = run("price", A, tmp_path / "missing.ifc")
    assert code == 2 and "file not found" in err


def test_the_run_is_recorded_with_its_net_cost(tmp_path, monkeypatch):
    monkeypatch.delenv("BIMCHECK_NO_HISTORY", raising=False)
    monkeypatch.delenv("BIMCHECK_HISTORY_DB", raising=False)
    db = tmp_path / "history.sqlite"
    code, out, err = run("price", A, B, *PRICED, "--db", db)
    assert code == 0, err
    assert "history: run 1, first of project 'tower' (price)" in out
    code, out, err = run("history", "--db", db, "--project", "tower")
    assert code == 0, err
    assert "tower_rev_b" in out and "3,525.56 CNY" in out


def test_a_cost_schedule_needs_ifc4(tmp_path):
    from tests.conftest import shared_model

    model = shared_model("Ifc2x3_Duplex_Architecture.ifc")
    code, _, err = run("price", model, model, "--ifc-cost-schedule", tmp_path / "x.ifc")
    assert code == 2 and "needs an IFC4 or IFC4X3 model" in err
    assert not (tmp_path / "x.ifc").exists()


def test_committed_demo_change_order_is_current(tmp_path):
    """reports/tower.change_order.json (written by `make demo`) is what this
    code produces, byte for byte."""
    out = tmp_path / "co.json"
    code, _, err = run("price", A, B, *PRICED, "-o", out, "--no-cache", "--no-history")
    assert code == 0, err
    committed = SAMPLES.parent / "reports" / "tower.change_order.json"
    assert out.read_bytes() == committed.read_bytes()
