"""Rate tables: CSV and YAML, GB/T 50500 codes, parameters, and every
validation error naming the file, the row and the field."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bimcheck.diff import rates as rates_mod
from bimcheck.diff.rates import load_rates
from bimcheck.errors import RateTableError

HEAD = "code,description,unit,rate,selector\n"


def write(tmp_path: Path, text: str, name: str = "rates.csv", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def error_of(path: Path) -> RateTableError:
    with pytest.raises(RateTableError) as info:
        load_rates(path)
    return info.value


def test_csv_with_parameters_units_and_codes(tmp_path):
    p = write(tmp_path, "# name: sample\n# currency: cny\n# threshold: 0.2\n"
                        "# over_factor: 0.95\n# under_factor: 1.05,,,\n" + HEAD +
              "010402001001,砌块墙,m³,\"1,520.50\",\n"
              "010801001001,门,樘,1850,\"IfcDoor, Name=D1\"\n"
              "Qto_WallBaseQuantities,wall,M3,10,\n"
              "\n# a comment row\n"
              "010505003,slab,m3,0,\n")
    table = load_rates(p)
    assert (table.name, table.currency) == ("sample", "CNY")
    assert (table.threshold, table.over_factor, table.under_factor) == (
        Decimal("0.2"), Decimal("0.95"), Decimal("1.05"))
    wall, door, qto, slab = table.rates
    assert (wall.code, wall.item, wall.unit, wall.rate) == (
        "010402001001", "010402001", "m3", Decimal("1520.50"))
    assert (door.item, door.unit, door.selector) == ("010801001", "1", "IfcDoor, Name=D1")
    assert (qto.item, qto.unit) == ("Qto_WallBaseQuantities", "m3")  # other codes: exactly
    assert (slab.item, slab.rate, slab.row) == ("010505003", Decimal(0), "line 12")
    assert len(table.digest) == 40 and table.header()["rates"] == 4


def test_defaults_bom_and_yaml(tmp_path):
    csv_table = load_rates(write(tmp_path, "\ufeff" + HEAD + "010402001001,wall,m3,520,\n"))
    assert (csv_table.currency, csv_table.threshold, csv_table.over_factor,
            csv_table.under_factor) == ("CNY", Decimal("0.15"), Decimal("0.9"), Decimal("1.1"))
    assert csv_table.name == "rates.csv"
    y = write(tmp_path, "currency: USD\nthreshold: 0.1\nrates:\n"
                        "  - {code: '010402001001', description: wall, unit: m3, rate: 520.5}\n"
                        "  - {code: W, description: x, unit: m, rate: 3, quantity: Length,"
                        " currency: usd}\n", name="rates.yaml")
    table = load_rates(y)
    assert (table.currency, table.threshold) == ("USD", Decimal("0.1"))
    assert table.rates[0].rate == Decimal("520.5") and table.rates[1].quantity == "Length"
    assert table.rates[1].row == "rates[1]"


@pytest.mark.parametrize(("text", "row", "field", "words"), [
    (HEAD + "010402001001,wall,m3,abc,\n", "line 2", "rate", "not a number"),
    (HEAD + "010402001001,wall,m3,nan,\n", "line 2", "rate", "not a number"),
    (HEAD + "010402001001,wall,m3,-5,\n", "line 2", "rate", "negative"),
    (HEAD + "010402001001,wall,m3,5,\n010402001001,again,m3,6,\n", "line 3", "code",
     "duplicate rate: code 010402001001 with no selector is also at line 2"),
    (HEAD + "010402001001,wall,m3,5,IfcWall\n010402001001,again,m3,6,IfcWall\n", "line 3",
     "code", "duplicate"),
    ("code,description,unit,rate,currency\nX1,a,m3,5,CNY\nX2,b,m3,5,USD\n", "line 3",
     "currency", "currency mix"),
    ("# currency: CNY\ncode,description,unit,rate,currency\nX1,a,m3,5,EUR\n", "line 3",
     "currency", "currency mix"),
    ("code,description,unit,rate,currency\nX1,a,m3,5,yuan\n", "line 2", "currency",
     "unknown currency"),
    ("code,name,unit,price\n", "line 1", "price", "unknown column 'price'"),
    ("code,description,unit\nX1,a,m3\n", "line 1", "rate", "missing column(s) rate"),
    (HEAD + "10402001001,wall,m3,5,\n", "line 2", "code", "did a spreadsheet drop a leading 0"),
    (HEAD + "010402001001,wall,m4,5,\n", "line 2", "unit", "unknown unit 'm4'"),
    (HEAD + "010402001001,,m3,5,\n", "line 2", "description", "empty description"),
    (HEAD + "010402001001,wall,m3,5,IfcWall Name=\n", "line 2", "selector", "column"),
    (HEAD + "010402001001,wall,m3,5,\n010402001002,wall,m3,6,\n", "line 3", "selector",
     "without a selector"),
    ("# threshold: 1.5\n" + HEAD + "1,a,m3,5,\n", "line 1", "threshold", "< 1"),
    ("# over_factor: 0\n" + HEAD + "1,a,m3,5,\n", "line 1", "over_factor", "> 0"),
    (HEAD + "1,a,m3,5,,extra\n", "line 2", None, "6 cells, the header has 5"),
])
def test_csv_errors_name_file_row_and_field(tmp_path, text, row, field, words):
    err = error_of(write(tmp_path, text))
    assert err.row == row and err.field == field, str(err)
    assert words in str(err) and str(err).startswith(str(tmp_path / "rates.csv"))


def test_empty_files_and_bounds(tmp_path, monkeypatch):
    assert "empty rate table" in str(error_of(write(tmp_path, "")))
    assert "empty rate table" in str(error_of(write(tmp_path, "# only a comment\n\n")))
    assert "a header but no rates" in str(error_of(write(tmp_path, HEAD)))
    assert "not UTF-8" in str(error_of(write(tmp_path, HEAD + "1,砌块墙,m3,5,\n",
                                             encoding="gbk")))
    assert "unsupported rate table format .xlsx" in str(error_of(write(tmp_path, HEAD,
                                                                      name="r.xlsx")))
    assert "cannot read" in str(error_of(tmp_path / "missing.csv"))
    monkeypatch.setattr(rates_mod, "MAX_RATES", 2)
    err = error_of(write(tmp_path, HEAD + "1,a,m3,5,\nX2,a,m3,5,\nX3,a,m3,5,\n"))
    assert "more than 2 rates" in str(err) and err.row == "line 4"
    monkeypatch.setattr(rates_mod, "MAX_RATES_BYTES", 10)
    assert "over the 10 limit" in str(error_of(write(tmp_path, HEAD + "1,a,m3,5,\n")))


@pytest.mark.parametrize(("text", "row", "field", "words"), [
    ("rates:\n  - {code: 010402001001, description: a, unit: m3, rate: 5}\n", "rates[0]",
     "code", "quote it"),
    ("rates:\n  - {code: 'X1', description: a, unit: m3}\n", "rates[0]", "rate",
     "missing required field"),
    ("rates:\n  - {code: 'X1', description: a, unit: m3, rate: 5, price: 3}\n", "rates[0]",
     "price", "unknown field"),
    ("rates: 5\n", None, "rates", "expected a list"),
    ("currency: CNY\nvat: 0.09\nrates: []\n", None, "vat", "unknown field"),
    ("rates:\n  - {code: 'X1', description: a, unit: m3, rate: [5]}\n", "rates[0]", "rate",
     "expected a string or a number"),
    ("rates: []\n", None, None, "a header but no rates"),
    ("", None, None, "empty rate table"),
    ("rates: [\n", None, None, "invalid YAML"),
])
def test_yaml_errors(tmp_path, text, row, field, words):
    err = error_of(write(tmp_path, text, name="rates.yaml"))
    assert (err.row, err.field) == (row, field), str(err)
    assert words in str(err)
