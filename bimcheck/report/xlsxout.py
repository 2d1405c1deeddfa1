"""Takeoffs as XLSX (openpyxl): a summary sheet and a detail sheet, units in the headers.

* ``Summary``: one row per item code (and per value of each ``group_by``
  field), the number of elements, and one column per quantity, headed
  ``NetVolume [m3]``, holding the total.
* ``Detail``: one row per element and item code, its identity and metadata,
  and one column per quantity with the element's value.
* ``Deductions``: for quantities measured with thresholds (``deducted``
  geometry), one row per opening: its area and volume, deducted or kept, why.
* ``Reconciliation``: declared base quantities that differ from the measured
  ones by more than the pack's tolerance.

Text from the model is always written as text, never as a formula (a name
starting with ``=`` stays a name). The file is deterministic: fixed document
timestamps and fixed zip entry dates, so the same takeoff gives the same
bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.utils import get_column_letter

_IDENTITY = ("global_id", "ifc_class", "type", "name", "storey", "material", "classification")
_EPOCH = dt.datetime(2000, 1, 1)


def _put(cell: Cell, value: Any) -> None:
    if isinstance(value, str):
        # Control characters (a NUL from a damaged file) cannot be stored in a
        # worksheet: each becomes U+FFFD, the rest of the text is kept.
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with


def _header(name: str, unit: str) -> str:
    return f"{name} [{unit}]"


def takeoff_xlsx(takeoff: dict, group_by: tuple[str, ...] = ()) -> bytes:
    """The takeoff dict (``Takeoff.as_dict(group_by)``) as XLSX bytes."""
    rows = takeoff["rows"]
    columns = sorted({(r["quantity"], r["unit"]) for r in rows})
    col_of = {q: i for i, q in enumerate(columns)}
    wb = Workbook()
    summary = wb.active
    summary.title = "Summary"
    detail = wb.create_sheet("Detail")

    # Summary: pivot of the summary entries by (item, groups).
    heads = ["item", *group_by, "elements", *(_header(q, u) for q, u in columns)]
    for j, h in enumerate(heads, start=1):
        _put(summary.cell(1, j), h)
    pivot: dict[tuple, dict[tuple[str, str], float]] = {}
    counts: dict[tuple, int] = {}
    for s in takeoff["summary"]:
        key = (s["item"], *(s.get(g) for g in group_by))
        pivot.setdefault(key, {})[(s["quantity"], s["unit"])] = s["total"]
        counts[key] = max(counts.get(key, 0), s["count"])
    for i, key in enumerate(sorted(pivot, key=lambda k: tuple(str(v) for v in k)), start=2):
        for j, v in enumerate([*key, counts[key]], start=1):
            _put(summary.cell(i, j), v)
        base = len(key) + 2
        for q, total in pivot[key].items():
            _put(summary.cell(i, base + col_of[q]), total)

    # Detail: one row per (element, item).
    heads = [*_IDENTITY, "item", *(_header(q, u) for q, u in columns)]
    for j, h in enumerate(heads, start=1):
        _put(detail.cell(1, j), h)
    by_element: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        entry = by_element.setdefault((r["global_id"], r["item"]), {"row": r, "values": {}})
        entry["values"][(r["quantity"], r["unit"])] = r["value"]
    for i, key in enumerate(sorted(by_element), start=2):
        r = by_element[key]["row"]
        for j, f in enumerate([*_IDENTITY, "item"], start=1):
            _put(detail.cell(i, j), r[f])
        base = len(_IDENTITY) + 2
        for q, v in by_element[key]["values"].items():
            _put(detail.cell(i, base + col_of[q]), v)

    _table(wb.create_sheet("Deductions"), _DEDUCTION_HEADS, [
        [r["global_id"], r["item"], r["quantity"], d["opening"], d["filling"], d["area"],
         d["volume"], "deducted" if d["applied"] else "kept", d["why"]]
        for r in rows if r["provenance"].get("geometry") == "deducted"
        for d in r["provenance"]["deductions"]
    ])
    findings = (takeoff.get("reconciliation") or {}).get("findings", [])
    _table(wb.create_sheet("Reconciliation"), _FINDING_HEADS, [
        [f["global_id"], f["ifc_class"], f["name"], f["storey"], f["item"], f["quantity"],
         f["unit"], f["declared_in"], f["declared"], f["computed"], f["difference"], f["message"]]
        for f in findings
    ])

    for sheet in wb.worksheets:
        sheet.freeze_panes = "A2"
        for j in range(1, sheet.max_column + 1):
            width = max(len(str(c.value or "")) for c in sheet[get_column_letter(j)])
            sheet.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 48)
    wb.properties.created = wb.properties.modified = _EPOCH
    raw = io.BytesIO()
    wb.save(raw)
    return _fixed_zip(raw.getvalue())


_DEDUCTION_HEADS = ("global_id", "item", "quantity", "opening", "filling", "area [m2]",
                    "volume [m3]", "deducted", "why")
_FINDING_HEADS = ("global_id", "ifc_class", "name", "storey", "item", "quantity", "unit",
                  "declared in", "declared", "computed", "difference [fraction]", "message")


def _table(sheet: Any, heads: tuple[str, ...], body: list[list[Any]]) -> None:
    for j, h in enumerate(heads, start=1):
        _put(sheet.cell(1, j), h)
    for i, values in enumerate(body, start=2):
        for j, v in enumerate(values, start=1):
            _put(sheet.cell(i, j), v)


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _fixed_zip(data: bytes) -> bytes:
    """The same zip with every entry dated 1980-01-01, and the document's
    modification time (which openpyxl sets to now when saving) set to the
    creation time: byte-identical re-runs."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(
        out, "w", compression=zipfile.ZIP_DEFLATED
    ) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                stamp = _EPOCH.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                body = _MODIFIED.sub(rb"\g<1>" + stamp + rb"\g<2>", body)
            dst.writestr(fixed, body)
    return out.getvalue()
