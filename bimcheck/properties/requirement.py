"""What a property or attribute rule requires of a value, and the test.

A requirement is made of the rule's params:

* ``cardinality``: ``required`` (default: the value must exist and meet the
  rest), ``optional`` (where it exists it must meet the rest) or
  ``prohibited`` (it must not exist);
* ``values``: the value must be one of these (numbers compare as numbers,
  within :data:`REAL_TOLERANCE`; text exactly);
* ``min`` / ``max``: a numeric range, inclusive unless ``min_exclusive`` /
  ``max_exclusive``;
* ``pattern``: a regular expression the whole text must match;
* ``datatype``: the IFC value type, e.g. ``IfcLabel``, ``IfcLengthMeasure``
  (case-insensitive).

A value that exists but is empty (``None``, ``""``) counts as missing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from bimcheck.packs.schema import Param

#: Relative tolerance of numeric comparisons (IDS 1.0 uses the same, 1e-6).
REAL_TOLERANCE = 1e-6

#: Longest regular expression accepted in a pack (characters).
MAX_PATTERN = 256
#: Longest text a pattern is matched against (characters); longer is cut.
MAX_MATCHED = 10_000

_NESTED_QUANTIFIER = re.compile(r"\([^()]*[+*}][^()]*\)\s*[+*{]")


def _check_values(value: Any) -> tuple[Any, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError("expected a non-empty list of values")
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            raise ValueError("values must be strings or numbers")
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError("values must be finite")
        out.append(v)
    if len(out) > 10_000:
        raise ValueError("at most 10000 values")
    return tuple(out)


def _check_pattern(value: str) -> str:
    if len(value) > MAX_PATTERN:
        raise ValueError(f"a pattern is at most {MAX_PATTERN} characters")
    if _NESTED_QUANTIFIER.search(value):
        raise ValueError("nested quantifiers such as (a+)+ are refused (they can run for ever)")
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            float(value)):
        raise ValueError("expected a finite number")
    return float(value)


#: The params every property-like kind takes.
REQUIREMENT_PARAMS: dict[str, Param] = {
    "cardinality": Param(str, "required", "whether the value must, may or must not exist",
                         choices=("required", "optional", "prohibited")),
    "values": Param(object, None, "allowed values", check=_check_values),
    "min": Param(object, None, "smallest value allowed", check=_number),
    "max": Param(object, None, "largest value allowed", check=_number),
    "min_exclusive": Param(bool, False, "min itself is not allowed"),
    "max_exclusive": Param(bool, False, "max itself is not allowed"),
    "pattern": Param(str, None, "regular expression the whole value must match",
                     check=_check_pattern),
    "datatype": Param(str, None, "IFC value type, e.g. IfcLabel"),
}


@dataclass(frozen=True)
class Found:
    """A value looked up on an element: whether it exists, the value, its IFC type."""

    exists: bool
    value: Any = None
    datatype: str | None = None


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, list | tuple) and not value)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= REAL_TOLERANCE * max(abs(a), abs(b)) + REAL_TOLERANCE * 1e-6


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def problem(what: str, found: Found, params: dict[str, Any]) -> str | None:
    """Why ``found`` (the value of ``what``, e.g. ``Pset_WallCommon.FireRating``)
    fails the requirement in ``params``, or ``None`` when it meets it."""
    exists = found.exists and not _empty(found.value)
    cardinality = params.get("cardinality", "required")
    if cardinality == "prohibited":
        return f"{what} is prohibited but is {_show(found.value)}" if exists else None
    if not exists:
        return f"{what} is missing" if cardinality == "required" else None
    values = found.value if isinstance(found.value, list | tuple) else [found.value]
    datatype = params.get("datatype")
    if datatype and (found.datatype or "").lower() != datatype.lower():
        return f"{what} is of type {found.datatype or 'unknown'}, not {datatype}"
    for value in values:
        why = _value_problem(what, value, params)
        if why is not None:
            return why
    return None


def _value_problem(what: str, value: Any, params: dict[str, Any]) -> str | None:
    allowed = params.get("values")
    if allowed:
        number = _as_number(value)
        ok = any(
            (_as_number(a) is not None and number is not None and not isinstance(a, str)
             and _close(number, float(a))) or (isinstance(a, str) and str(value) == a)
            for a in allowed
        )
        if not ok:
            return f"{what} is {_show(value)}, not one of {', '.join(map(_show, allowed))}"
    low, high = params.get("min"), params.get("max")
    if low is not None or high is not None:
        number = _as_number(value)
        if number is None:
            return f"{what} is {_show(value)}, not a number"
        if low is not None:
            below = number <= low if params.get("min_exclusive") else (
                number < low and not _close(number, low))
            if below:
                sign = ">" if params.get("min_exclusive") else ">="
                return f"{what} is {_show(value)}; it must be {sign} {low:g}"
        if high is not None:
            above = number >= high if params.get("max_exclusive") else (
                number > high and not _close(number, high))
            if above:
                sign = "<" if params.get("max_exclusive") else "<="
                return f"{what} is {_show(value)}; it must be {sign} {high:g}"
    pattern = params.get("pattern")
    if pattern is not None and re.fullmatch(pattern, str(value)[:MAX_MATCHED]) is None:
        return f"{what} is {_show(value)}, which does not match {pattern!r}"
    return None
