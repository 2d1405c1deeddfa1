"""Clash and takeoff tables as CSV (one row per clash, or per element and
quantity), for spreadsheets and cost tools.

Values come from the report dicts (docs/clash.md, docs/qto.md); lengths in m,
areas in m², volumes in m³, masses in kg. Text from the model (names,
storeys) can start with ``=``, ``+``, ``-`` or ``@``; spreadsheets would run
it as a formula, so such cells get a leading apostrophe (OWASP's
CSV-injection advice).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from bimcheck.units import JSON_DECIMALS

_ELEMENT_FIELDS = ("global_id", "ifc_class", "name", "storey", "discipline", "model")

#: Column order of the clash CSV.
CLASH_COLUMNS: tuple[str, ...] = (
    "key", "rule", "kind", "relation", "severity", "group", "exact",
    *(f"a_{f}" for f in _ELEMENT_FIELDS), *(f"b_{f}" for f in _ELEMENT_FIELDS),
    "overlap_volume_m3", "penetration_depth_m", "distance_m",
    "location_x_m", "location_y_m", "location_z_m", "storey",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # As the JSON rounds it first (JSON_DECIMALS), so that float noise
        # (1.1e-16 for a contact at x = 0) prints as the 0 it is.
        return f"{round(value, JSON_DECIMALS) + 0.0:.7g}"
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def clashes_csv(report: dict) -> str:
    """The clashes of a report dict as CSV text (header row, then one row per
    clash in report order; ``\\n`` line ends)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CLASH_COLUMNS)
    for c in report["clashes"]:
        loc = c.get("location") or [None, None, None]
        row = [c["key"], c["rule"], c["kind"], c["relation"], c["severity"], c["group"],
               c["exact"]]
        for side in ("a", "b"):
            row += [c[side].get(f) for f in _ELEMENT_FIELDS]
        row += [c["overlap_volume"], c["penetration_depth"], c["distance"], *loc, c["storey"]]
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


#: Column order of the takeoff CSV.
TAKEOFF_COLUMNS: tuple[str, ...] = (
    "global_id", "ifc_class", "type", "name", "storey", "material", "classification",
    "item", "quantity", "value", "unit", "rule", "function", "geometry", "deducted", "kept",
    "tessellation",
)


def takeoff_csv(takeoff: dict) -> str:
    """The rows of a takeoff dict as CSV text: values with 6 decimals (the
    JSON's rounding), ``\n`` line ends. ``deducted`` and ``kept`` list the
    GlobalIds of the element's openings the quantity subtracts or keeps."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TAKEOFF_COLUMNS)
    for r in takeoff["rows"]:
        row = [r[c] for c in TAKEOFF_COLUMNS[:9]]
        prov = r["provenance"]
        openings = prov.get("deductions", [])
        row += [f"{r['value']:.6f}", r["unit"], r["rule"], prov["function"],
                prov.get("geometry"),
                " ".join(d["opening"] for d in openings if d["applied"]),
                " ".join(d["opening"] for d in openings if not d["applied"]),
                prov.get("tessellation")]
        writer.writerow([v if c == "value" else _cell(v) for c, v in zip(TAKEOFF_COLUMNS, row,
                                                                          strict=True)])
    return out.getvalue()
