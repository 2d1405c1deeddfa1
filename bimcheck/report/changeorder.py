"""Change orders (``ChangeOrder.as_dict()``, docs/price.md) as JSON, CSV and XLSX.

* JSON: the document itself, one line per change-order line.
* CSV: one table; ``kind`` says what a row is: ``line`` (an element's change
  of one quantity), ``adjustment`` (the quantity-deviation line of a bill
  item; its ``delta`` is the quantity re-priced and its ``rate`` the
  difference of rates, rate × (factor − 1)), ``total`` (``name`` is
  added, removed, changed, adjustments or net). Quantities with 6 decimals,
  money with 2; text a spreadsheet would run as a formula gets a leading ``'``.
* XLSX (openpyxl): ``Summary`` (models, rate table, totals, subtotals by
  bill item and by storey), ``Lines``, ``Adjustments`` and ``Unpriced``
  sheets, units and currency in the headers; deterministic bytes (fixed
  document dates and zip entry dates).

Never imports IfcOpenShell.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from bimcheck.report.jsonout import dumps

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

#: Columns of the CSV, and of the XLSX ``Lines`` sheet.
LINE_COLUMNS = ("global_id", "old_global_id", "ifc_class", "name", "storey", "item", "code",
                "description", "quantity", "unit", "old", "new", "delta", "rate", "amount",
                "status", "cause", "change")
CSV_COLUMNS = ("kind", *LINE_COLUMNS)
_QUANTITIES = ("old", "new", "delta")
_MONEY = ("rate", "amount")


def order_json(doc: dict[str, Any]) -> str:
    """The change order as deterministic JSON text."""
    return dumps(doc, inline_from=2)


def _text(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _num(value: float | None, decimals: int) -> str:
    if value is None:
        return ""
    text = f"{value:.{decimals}f}"
    return "0." + "0" * decimals if float(text) == 0 else text


def _csv_cell(column: str, value: Any) -> str:
    if column in _QUANTITIES:
        return _num(value, 6)
    if column in _MONEY:
        return _num(value, 2)
    return _text(value)


def order_csv(doc: dict[str, Any]) -> str:
    """The change order as CSV text (``\\n`` line ends; see the module docstring)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in doc["lines"]:
        writer.writerow(["line", *(_csv_cell(c, line.get(c)) for c in LINE_COLUMNS)])
    for a in doc["adjustments"]:
        values = {"item": a["item"], "code": a["code"], "description": a["description"],
                  "unit": a["unit"], "old": a["old_total"], "new": a["new_total"],
                  "delta": a["quantity"], "rate": a["adjusted_rate"] - a["rate"],
                  "amount": a["amount"],
                  "change": f"quantity deviation {a['direction']} "
                            f"{a['deviation'] * 100:+.2f}% (threshold "
                            f"{a['threshold'] * 100:g}%, factor {a['factor']:g})"}
        writer.writerow(["adjustment", *(_csv_cell(c, values.get(c)) for c in LINE_COLUMNS)])
    for name, amount in doc["totals"].items():
        values = {"name": name, "amount": amount, "unit": doc.get("currency") or None}
        writer.writerow(["total", *(_csv_cell(c, values.get(c)) for c in LINE_COLUMNS)])
    return out.getvalue()


def order_xlsx(doc: dict[str, Any]) -> bytes:
    """The change order as XLSX bytes (see the module docstring)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    from bimcheck.report.xlsxout import _EPOCH, _fixed_zip

    currency = doc.get("currency") or "-"
    wb = Workbook()
    summary = wb.active
    summary.title = "Summary"
    header = doc["header"]
    rows: list[list[Any]] = [["bimcheck change order"]]
    for n, m in enumerate(header.get("models", [])):
        rows.append(["old model" if n == 0 else "new model", m["path"], m["digest"]])
    for p in header.get("packs", []):
        rows.append(["measurement pack", p["name"], p["digest"]])
    rates = header.get("rates")
    if rates:
        rows.append(["rate table", rates["name"], rates["digest"]])
        rows.append(["deviation rule", f"threshold {rates['threshold']:g}",
                     f"over factor {rates['over_factor']:g}",
                     f"under factor {rates['under_factor']:g}"])
    else:
        rows.append(["rate table", "none: every delta is unpriced"])
    rows.append([])
    rows.append(["total", f"amount [{currency}]"])
    for name, amount in doc["totals"].items():
        rows.append([name, amount])
    rows.append([])
    rows.append(["code", "item", "description", "unit", "old total", "new total", "delta",
                 f"rate [{currency}]", f"lines [{currency}]", f"adjustment [{currency}]",
                 f"total [{currency}]", "lines"])
    for s in doc["subtotals"]["by_code"]:
        rows.append([s["code"], s["item"], s["description"], s["unit"], s["old_total"],
                     s["new_total"], s["delta"], s["rate"], s["amount"], s["adjustment"],
                     s["total"], s["lines"]])
    rows.append([])
    rows.append(["storey", f"amount [{currency}]", "lines"])
    for s in doc["subtotals"]["by_storey"]:
        rows.append([s["storey"] or "-", s["amount"], s["lines"]])
    _fill(summary, rows)

    heads = [f"{c} [{currency}]" if c in _MONEY else c for c in LINE_COLUMNS]
    _fill(wb.create_sheet("Lines"), [heads, *([line.get(c) for c in LINE_COLUMNS]
                                              for line in doc["lines"])])
    adj_cols = ("code", "item", "description", "unit", "old_total", "new_total", "deviation",
                "direction", "threshold", "factor", "rate", "adjusted_rate", "quantity",
                "amount")
    _fill(wb.create_sheet("Adjustments"), [
        [f"{c} [{currency}]" if c in ("rate", "adjusted_rate", "amount") else c
         for c in adj_cols],
        *([a[c] for c in adj_cols] for a in doc["adjustments"])])
    unp_cols = ("item", "quantity", "unit", "old_total", "new_total", "delta", "lines",
                "reason")
    _fill(wb.create_sheet("Unpriced"), [list(unp_cols),
                                        *([u[c] for c in unp_cols] for u in doc["unpriced"])])
    for sheet in wb.worksheets:
        for j in range(1, sheet.max_column + 1):
            letter = get_column_letter(j)
            width = max(len(str(c.value or "")) for c in sheet[letter])
            sheet.column_dimensions[letter].width = min(max(width + 2, 8), 48)
    for name in ("Lines", "Adjustments", "Unpriced"):
        wb[name].freeze_panes = "A2"
    wb.properties.created = wb.properties.modified = _EPOCH
    raw = io.BytesIO()
    wb.save(raw)
    return _fixed_zip(raw.getvalue())


def _fill(sheet: Any, rows: list[list[Any]]) -> None:
    from bimcheck.report.xlsxout import _put

    for i, values in enumerate(rows, start=1):
        for j, v in enumerate(values, start=1):
            _put(sheet.cell(i, j), v)
