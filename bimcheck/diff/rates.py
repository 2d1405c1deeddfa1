"""Rate tables (unit prices) for change-order pricing: :func:`load_rates` → :class:`RateTable`.

A rate table is a CSV (UTF-8, with or without a BOM, one header row) or a
YAML file. Each row prices one bill item:

``code``
    The item code. A code of 12 digits is a GB/T 50500 bill code (9 national
    digits of GB 50854/50856 + 3 project digits): it prices the takeoff rows
    whose item is its first 9 digits. Any other code (a 9-digit code, an
    NRM2 number, ``Qto_WallBaseQuantities``) prices the rows of exactly that
    item. A code of digits only with another length is refused (a spreadsheet
    that dropped the leading ``0`` of ``010402001001`` gives 11 digits).
``description``
    The item's name (项目名称).
``unit``
    The unit of the priced quantity, one of the takeoff's units (``m``,
    ``m2``, ``m3``, ``kg``, ``t``, ``mm``, ``1`` for a count); ``m²``,
    ``m³``, ``㎡``, ``樘``, ``个``, ``nr`` ... are accepted spellings of the same
    units (:data:`UNIT_SPELLINGS`). Units are never converted: pricing a
    takeoff row whose unit is not the rate's is an error naming the item.
``rate``
    The comprehensive unit price (综合单价) per unit, a non-negative decimal
    number, in the table's currency.
``currency`` (optional column)
    ISO 4217 code; empty means the table's currency. A table mixes no currencies.
``selector`` (optional column)
    An IfcOpenShell selector: the rate prices only the elements it matches
    (``IfcSlab, PredefinedType=ROOF``). A rate with a selector takes
    precedence over one without for the elements it matches.
``quantity`` (optional column)
    The takeoff quantity priced (``NetVolume``), needed when the item has
    several quantities in the rate's unit (a wall's Length, Width, Height).

Table-level parameters (a CSV gives them as ``# key: value`` lines above the
header; a YAML file as top-level keys beside ``rates:``): ``name``,
``currency`` (default ``CNY``), ``threshold`` (default 0.15),
``over_factor`` (default 0.9) and ``under_factor`` (default 1.1) of the
quantity-deviation rule (:mod:`bimcheck.diff.price`, docs/price.md).

Every problem is a :class:`~bimcheck.errors.RateTableError` naming the file,
the row (CSV line number, or ``rates[i]`` in YAML) and the field. Files are
bounded (:data:`MAX_RATES_BYTES`, :data:`MAX_RATES`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from bimcheck.errors import BimcheckError, RateTableError
from bimcheck.packs.loader import parse_yaml, read_bounded

#: Largest rate table read, in bytes (4 MiB): a bill of a large project has a
#: few thousand items; this bounds memory and parse time for hostile uploads.
MAX_RATES_BYTES: int = 4 * 1024 * 1024

#: Most rates in one table.
MAX_RATES: int = 20_000

#: Defaults of the table-level parameters (docs/price.md "The deviation rule").
DEFAULT_CURRENCY = "CNY"
DEFAULT_THRESHOLD = Decimal("0.15")
DEFAULT_OVER_FACTOR = Decimal("0.9")
DEFAULT_UNDER_FACTOR = Decimal("1.1")

#: The takeoff's units (:mod:`bimcheck.qto.rules`) and the spellings a rate
#: table may use for each. Lower-cased before lookup.
UNIT_SPELLINGS: dict[str, tuple[str, ...]] = {
    "m": ("m", "米", "延长米"),
    "m2": ("m2", "m²", "m^2", "㎡", "sqm", "平方米"),
    "m3": ("m3", "m³", "m^3", "cum", "立方米"),
    "kg": ("kg", "千克", "公斤"),
    "t": ("t", "吨", "tonne"),
    "mm": ("mm", "毫米"),
    "1": ("1", "nr", "no", "ea", "each", "pcs", "count", "个", "樘", "根", "套", "台", "只", "组"),
}
_UNIT_OF = {s: unit for unit, spellings in UNIT_SPELLINGS.items() for s in spellings}

#: Column names (lower-cased, spaces and hyphens as ``_``) and their aliases.
COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("code", "item_code", "项目编码"),
    "description": ("description", "name", "项目名称"),
    "unit": ("unit", "计量单位"),
    "rate": ("rate", "unit_rate", "unit_price", "综合单价"),
    "currency": ("currency", "币种"),
    "selector": ("selector",),
    "quantity": ("quantity",),
}
REQUIRED_COLUMNS = ("code", "description", "unit", "rate")
_COLUMN_OF = {a: name for name, aliases in COLUMNS.items() for a in aliases}
_PARAMS = ("name", "currency", "threshold", "over_factor", "under_factor")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


@dataclass(frozen=True)
class Rate:
    """One priced bill item."""

    code: str
    description: str
    #: The takeoff unit (a key of :data:`UNIT_SPELLINGS`).
    unit: str
    #: Comprehensive unit price per :attr:`unit`, in the table's currency.
    rate: Decimal
    selector: str | None = None
    quantity: str | None = None
    #: Where it was read: ``line 4`` (CSV) or ``rates[2]`` (YAML).
    row: str = ""

    @property
    def item(self) -> str:
        """The takeoff item it prices: the first 9 digits of a 12-digit code, else the code."""
        return self.code[:9] if len(self.code) == 12 and self.code.isdigit() else self.code


@dataclass(frozen=True)
class RateTable:
    """A validated rate table and the parameters of its deviation rule."""

    name: str
    path: Path | None
    #: BLAKE2b-160 hex digest of the file's bytes.
    digest: str
    rates: tuple[Rate, ...]
    currency: str = DEFAULT_CURRENCY
    threshold: Decimal = DEFAULT_THRESHOLD
    over_factor: Decimal = DEFAULT_OVER_FACTOR
    under_factor: Decimal = DEFAULT_UNDER_FACTOR

    def header(self) -> dict[str, Any]:
        """The table as a change order's header names it."""
        return {"name": self.name, "path": self.path.name if self.path else None,
                "digest": self.digest, "currency": self.currency, "rates": len(self.rates),
                "threshold": float(self.threshold), "over_factor": float(self.over_factor),
                "under_factor": float(self.under_factor)}


def canonical_unit(text: str) -> str | None:
    """The takeoff unit a rate table's unit spelling means, or ``None``."""
    return _UNIT_OF.get(text.strip().lower())


def load_rates(path: str | os.PathLike[str]) -> RateTable:
    """Read and validate a rate table (``.csv``, ``.yaml`` or ``.yml``)."""
    p = Path(path)
    data = read_bounded(p, limit=MAX_RATES_BYTES, what="rate table", error=RateTableError)
    digest = hashlib.blake2b(data, digest_size=20).hexdigest()
    suffix = p.suffix.lower()
    if suffix == ".csv":
        params, rows = _read_csv(p, data)
    elif suffix in (".yaml", ".yml"):
        params, rows = _read_yaml(p, data)
    else:
        raise RateTableError(f"unsupported rate table format {suffix or '(none)'}; "
                             "use .csv, .yaml or .yml", path=p)
    return _build(p, digest, params, rows)


# -- reading ----------------------------------------------------------------

_Rows = list[tuple[str, dict[str, Any]]]


def _read_csv(p: Path, data: bytes) -> tuple[dict[str, tuple[str, str]], _Rows]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RateTableError("not UTF-8 text (save the sheet as 'CSV UTF-8'; a GBK file is "
                             "not read)", path=p, row=f"line {line}") from None
    lines = text.splitlines(keepends=True)
    params: dict[str, tuple[str, str]] = {}
    start = 0
    while start < len(lines):
        stripped = lines[start].strip().rstrip(",;").strip()
        if stripped and not stripped.startswith("#"):
            break
        if stripped.startswith("#"):
            body = stripped.lstrip("#").strip()
            m = re.match(r"^([A-Za-z_]+)\s*[:=]\s*(.*)$", body)
            if m and m.group(1).lower() in _PARAMS:
                key = m.group(1).lower()
                if key in params:
                    raise RateTableError(f"parameter {key} given twice", path=p,
                                         row=f"line {start + 1}", field=key)
                params[key] = (m.group(2).strip(), f"line {start + 1}")
        start += 1
    if start >= len(lines):
        raise RateTableError("empty rate table: no header row and no rates", path=p)
    reader = csv.reader(io.StringIO("".join(lines[start:])))
    try:
        head = next(reader)
    except csv.Error as exc:
        raise RateTableError(f"unreadable CSV: {exc}", path=p, row=f"line {start + 1}") from None
    columns = _columns(p, head, f"line {start + 1}")
    rows: _Rows = []
    try:
        for cells in reader:
            line = f"line {start + reader.line_num}"
            if not any(c.strip() for c in cells) or cells[0].strip().startswith("#"):
                continue
            if len(cells) > len(columns):
                if any(c.strip() for c in cells[len(columns):]):
                    raise RateTableError(f"{len(cells)} cells, the header has {len(columns)}",
                                         path=p, row=line)
                cells = cells[: len(columns)]
            cells = cells + [""] * (len(columns) - len(cells))
            rows.append((line, {name: cell.strip() for name, cell in zip(columns, cells,
                                                                         strict=True)}))
            if len(rows) > MAX_RATES:
                raise RateTableError(f"more than {MAX_RATES} rates", path=p, row=line)
    except csv.Error as exc:
        raise RateTableError(f"unreadable CSV: {exc}", path=p,
                             row=f"line {start + reader.line_num}") from None
    return params, rows


def _columns(p: Path, head: list[str], line: str) -> list[str]:
    names = []
    for cell in head:
        key = re.sub(r"[\s\-]+", "_", cell.strip().lower())
        name = _COLUMN_OF.get(key)
        if name is None:
            raise RateTableError(
                f"unknown column {cell.strip()!r}; the columns are "
                f"{', '.join(REQUIRED_COLUMNS)} and optionally currency, selector, quantity",
                path=p, row=line, field=cell.strip())
        if name in names:
            raise RateTableError(f"column {name} given twice", path=p, row=line, field=name)
        names.append(name)
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise RateTableError(f"missing column(s) {', '.join(missing)} (header: "
                             f"{', '.join(c.strip() for c in head)})", path=p, row=line,
                             field=missing[0])
    return names


def _read_yaml(p: Path, data: bytes) -> tuple[dict[str, tuple[str, str]], _Rows]:
    raw = parse_yaml(data, p, what="rate table", error=RateTableError)
    if raw is None:
        raise RateTableError("empty rate table: no rates", path=p)
    if not isinstance(raw, dict):
        raise RateTableError("expected a mapping with a 'rates' list", path=p)
    unknown = sorted(set(map(str, raw)) - {*_PARAMS, "rates"})
    if unknown:
        raise RateTableError(f"unknown field; the fields are {', '.join(_PARAMS)}, rates",
                             path=p, field=unknown[0])
    params = {}
    for key in _PARAMS:
        if key in raw:
            value = raw[key]
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise RateTableError("expected a string or a number", path=p, field=key)
            params[key] = (str(value), key)
    rates = raw.get("rates")
    if not isinstance(rates, list):
        raise RateTableError("expected a list of rates", path=p, field="rates")
    if len(rates) > MAX_RATES:
        raise RateTableError(f"more than {MAX_RATES} rates", path=p, field="rates")
    rows: _Rows = []
    for i, entry in enumerate(rates):
        row = f"rates[{i}]"
        if not isinstance(entry, dict):
            raise RateTableError("expected a mapping of column to value", path=p, row=row)
        values: dict[str, Any] = {}
        for key, value in entry.items():
            name = _COLUMN_OF.get(re.sub(r"[\s\-]+", "_", str(key).strip().lower()))
            if name is None:
                raise RateTableError(f"unknown field; the fields are {', '.join(COLUMNS)}",
                                     path=p, row=row, field=str(key))
            if name == "code" and isinstance(value, int) and not isinstance(value, bool):
                raise RateTableError(
                    f"the code is a number ({value}); quote it (\"010402001001\"): YAML "
                    "reads unquoted digits as a number and drops leading zeros",
                    path=p, row=row, field="code")
            if isinstance(value, bool) or (
                    value is not None and not isinstance(value, str | int | float)):
                raise RateTableError("expected a string or a number", path=p, row=row,
                                     field=name)
            values[name] = "" if value is None else str(value).strip()
        for column in REQUIRED_COLUMNS:
            if column not in values:
                raise RateTableError("missing required field", path=p, row=row, field=column)
        rows.append((row, values))
    return params, rows


# -- validating -------------------------------------------------------------

def _decimal(text: str) -> Decimal | None:
    t = text.strip().replace(" ", "")
    if _THOUSANDS.match(t):
        t = t.replace(",", "")
    try:
        value = Decimal(t)
    except InvalidOperation:
        return None
    # A rate or quantity past 1e15 (or finer than 1e-9) is no price: money
    # arithmetic at 0.01 would overflow the decimal context with it.
    if not value.is_finite() or abs(value) > _LARGEST or (value and abs(value) < _SMALLEST):
        return None
    return value


_LARGEST, _SMALLEST = Decimal("1e15"), Decimal("1e-9")


def _param(params: dict[str, tuple[str, str]], p: Path, key: str, default: Decimal,
           low: Decimal, high: Decimal | None, low_open: bool = False) -> Decimal:
    if key not in params:
        return default
    text, where = params[key]
    value = _decimal(text)
    bad = value is None or value < low or (low_open and value == low) or (
        high is not None and value >= high)
    if bad:
        span = f"{'>' if low_open else '>='} {low}" + (f" and < {high}" if high else "")
        raise RateTableError(f"expected a number {span}, got {text!r}", path=p,
                             row=where if where != key else None, field=key)
    assert value is not None
    return value


def _build(p: Path, digest: str, params: dict[str, tuple[str, str]], rows: _Rows) -> RateTable:
    if not rows:
        raise RateTableError("empty rate table: a header but no rates", path=p)
    threshold = _param(params, p, "threshold", DEFAULT_THRESHOLD, Decimal(0), Decimal(1))
    over = _param(params, p, "over_factor", DEFAULT_OVER_FACTOR, Decimal(0), None, True)
    under = _param(params, p, "under_factor", DEFAULT_UNDER_FACTOR, Decimal(0), None, True)
    currency = None
    if "currency" in params:
        text, where = params["currency"]
        currency = _currency(text, p, where if where != "currency" else None)
    rates: list[Rate] = []
    seen: dict[tuple[str, str | None], str] = {}
    currencies: dict[str, str] = {}
    for row, values in rows:
        rate = _rate(p, row, values)
        row_currency = values.get("currency", "")
        if row_currency:
            code = _currency(row_currency, p, row)
            currencies.setdefault(code, row)
            if currency is not None and code != currency:
                raise RateTableError(f"currency mix: this rate is in {code}, the table in "
                                     f"{currency}; a change order has one currency",
                                     path=p, row=row, field="currency")
            if len(currencies) > 1:
                first = next(c for c in currencies if c != code)
                raise RateTableError(f"currency mix: this rate is in {code}, "
                                     f"{currencies[first]} is in {first}; a change order "
                                     "has one currency", path=p, row=row, field="currency")
        key = (rate.code, rate.selector)
        if key in seen:
            what = f"selector {rate.selector!r}" if rate.selector else "no selector"
            raise RateTableError(f"duplicate rate: code {rate.code} with {what} is also at "
                                 f"{seen[key]}", path=p, row=row, field="code")
        seen[key] = row
        rates.append(rate)
    _check_overlaps(p, rates)
    if currency is None:
        currency = next(iter(currencies), DEFAULT_CURRENCY)
    name = params["name"][0] if "name" in params and params["name"][0] else p.name
    return RateTable(name=name, path=p, digest=digest, rates=tuple(rates), currency=currency,
                     threshold=threshold, over_factor=over, under_factor=under)


def _currency(text: str, p: Path, row: str | None) -> str:
    code = text.strip().upper()
    if not _CURRENCY.match(code):
        raise RateTableError(f"unknown currency {text!r}; expected an ISO 4217 code such as "
                             "CNY, USD, EUR", path=p, row=row, field="currency")
    return code


def _rate(p: Path, row: str, values: dict[str, Any]) -> Rate:
    code = values.get("code", "")
    if not code:
        raise RateTableError("empty item code", path=p, row=row, field="code")
    if any(ch.isspace() for ch in code):
        raise RateTableError(f"item code {code!r} contains a space", path=p, row=row,
                             field="code")
    if code.isdigit() and len(code) not in (9, 12):
        hint = " (did a spreadsheet drop a leading 0?)" if len(code) in (8, 11) else ""
        raise RateTableError(f"item code {code} has {len(code)} digits{hint}; a GB/T 50500 "
                             "bill code has 12 (9 national + 3 project digits), a GB 50854 "
                             "list code 9", path=p, row=row, field="code")
    description = values.get("description", "")
    if not description:
        raise RateTableError(f"item {code}: empty description", path=p, row=row,
                             field="description")
    unit_text = values.get("unit", "")
    unit = canonical_unit(unit_text)
    if unit is None:
        raise RateTableError(
            f"item {code}: unknown unit {unit_text!r}; expected one of "
            f"{', '.join(UNIT_SPELLINGS)} (or a spelling such as m³, ㎡, 樘)",
            path=p, row=row, field="unit")
    rate_text = values.get("rate", "")
    rate = _decimal(rate_text)
    if rate is None:
        raise RateTableError(f"item {code}: rate {rate_text!r} is not a number", path=p,
                             row=row, field="rate")
    if rate < 0:
        raise RateTableError(f"item {code}: rate {rate_text} is negative", path=p, row=row,
                             field="rate")
    selector = values.get("selector") or None
    if selector is not None:
        from bimcheck.selectors import validate_selector

        try:
            validate_selector(selector)
        except BimcheckError as exc:
            raise RateTableError(f"item {code}: {exc.message}", path=p, row=row,
                                 field="selector") from None
    quantity = values.get("quantity") or None
    return Rate(code=code, description=description, unit=unit, rate=rate + 0,
                selector=selector, quantity=quantity, row=row)


def _check_overlaps(p: Path, rates: list[Rate]) -> None:
    """Two rates without a selector for the same item and quantity would both
    price every element of it: refused."""
    plain: dict[tuple[str, str], Rate] = {}
    for r in rates:
        if r.selector is not None:
            continue
        key = (r.item, r.quantity or f"[{r.unit}]")
        other = plain.get(key)
        if other is not None:
            raise RateTableError(
                f"rates {other.code} ({other.row}) and {r.code} both price item {r.item} "
                f"({r.quantity or r.unit}) without a selector; give one of them a selector",
                path=p, row=r.row, field="selector")
        plain[key] = r
