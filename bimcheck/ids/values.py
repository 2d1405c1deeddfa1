"""IDS 1.0 values: how a ``simpleValue`` or an ``xs:restriction`` of an IDS
facet compares with a value read from an IFC model.

The rules (IDS 1.0, "Data types" and "Restrictions" of the buildingSMART
documentation, and the official test cases):

* text compares exactly (case-sensitive, no trimming, no truncation);
* a boolean is specified as ``true`` or ``false`` (``1`` and ``0``, the other
  lexical forms of ``xs:boolean``, are accepted too);
* an integer compares exactly with the number written in the IDS;
* a real (``IfcReal`` and every measure) compares with a tolerance, see
  :data:`REAL_RELATIVE_TOLERANCE`: an IDS value ``v`` matches every real in
  :func:`real_interval` ``(v)``. Bounds use the same interval: ``minInclusive b``
  accepts anything from the interval's low end up, ``minExclusive b`` only
  what lies above its high end (and symmetrically for ``max``);
* a pattern (an XSD regular expression, whole-value match) only ever matches
  text; length facets count the characters of the value's text.

Arithmetic on the IDS side is done in :class:`decimal.Decimal` on the number
exactly as written, and a model real is taken at its shortest round-trip
decimal form (``repr``), so a value written ``0.999998`` in the IFC file lies
exactly on the bound ``1 * (1 - 1e-6) - 1e-6`` rather than a binary rounding
error away from it.

:class:`IdsValue` is a subclass of ifctester's ``Restriction``, so ifctester's
facets, which compare a parsed value with ``==`` / ``!=``, use these rules
when an ``IdsValue`` takes the place of their ``value`` parameter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import ifcopenshell
from elementpath.regex import RegexError, translate_pattern
from ifctester.facet import Restriction

#: Relative tolerance of a real comparison (IDS 1.0): 1e-6, dimensionless.
REAL_RELATIVE_TOLERANCE = Decimal("1e-6")
#: Absolute tolerance of a real comparison (IDS 1.0): 1e-6, in the IDS
#: nominated unit of the value (SI, e.g. metres for a length).
REAL_ABSOLUTE_TOLERANCE = Decimal("1e-6")

#: Lexical forms of the XSD simple types an IDS value may be checked against.
_LEXICAL: dict[str, re.Pattern[str]] = {
    "double": re.compile(
        r"\s*([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?INF|NaN)\s*"
    ),
    "integer": re.compile(r"\s*[+-]?\d+\s*"),
    "boolean": re.compile(r"\s*(true|false|1|0)\s*"),
}

#: XSD base type of each EXPRESS simple type (``IfcLogical`` is checked as text).
_EXPRESS_BASE = {
    "real": "double",
    "number": "double",
    "integer": "integer",
    "boolean": "boolean",
    "logical": "logical",
    "string": "string",
    "binary": "string",
}

_BOUNDS = ("minInclusive", "minExclusive", "maxInclusive", "maxExclusive")
_LENGTHS = ("length", "minLength", "maxLength")


def is_lexical(text: str, base: str) -> bool:
    """Whether ``text`` is a valid lexical form of the XSD type ``base``
    (``double``, ``integer``, ``boolean``; anything else accepts any text)."""
    pattern = _LEXICAL.get(base)
    return pattern is None or pattern.fullmatch(text) is not None


def express_base(simple_type: str) -> str:
    """XSD base (``double``, ``integer``, ``boolean``, ``logical``, ``string``)
    of an EXPRESS simple type name as IfcOpenShell spells it (``real``, ...)."""
    return _EXPRESS_BASE.get(simple_type, "string")


def parse_number(text: Any) -> Decimal | None:
    """The number an IDS text (or a model value) denotes, or ``None``.

    A model ``float`` is read at its shortest round-trip form (``repr``).
    Booleans and non-numeric text give ``None``; ``INF``/``NaN`` give the
    corresponding (non-finite) :class:`~decimal.Decimal`.
    """
    if isinstance(text, bool):
        return None
    if isinstance(text, float):
        text = repr(text)
    elif isinstance(text, int):
        return Decimal(text)
    if not isinstance(text, str):
        return None
    if not _LEXICAL["double"].fullmatch(text):
        return None
    try:
        return Decimal(text.strip().replace("INF", "Infinity"))
    except InvalidOperation:
        return None


def real_interval(v: Decimal) -> tuple[Decimal, Decimal]:
    """The reals an IDS real ``v`` matches: ``[low, high]``, both inclusive.

    ``low = v(1 - 1e-6) - 1e-6`` and ``high = v(1 + 1e-6) + 1e-6`` for ``v >= 0``;
    the relative parts swap for a negative ``v`` (the interval always widens).
    """
    r, a = REAL_RELATIVE_TOLERANCE, REAL_ABSOLUTE_TOLERANCE
    if v >= 0:
        return v * (1 - r) - a, v * (1 + r) + a
    return v * (1 + r) - a, v * (1 - r) + a


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile an XSD regular expression (whole-value match with ``fullmatch``).

    Raises ``ValueError`` when it is not a valid XSD pattern.
    """
    try:
        translated = translate_pattern(
            pattern, back_references=False, lazy_quantifiers=False, anchors=False
        )
        return re.compile(translated)
    except (RegexError, re.error, IndexError, ValueError) as exc:
        raise ValueError(str(exc).strip().rstrip(":") or type(exc).__name__) from None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _is_real(actual: Any) -> bool:
    return isinstance(actual, float) or (
        isinstance(actual, str) and parse_number(actual) is not None
    )


def simple_matches(expected: str, actual: Any) -> bool:
    """Whether a model value ``actual`` equals the IDS text ``expected``."""
    if isinstance(actual, bool):
        text = expected.strip()
        return (text in ("true", "1")) if actual else (text in ("false", "0"))
    if isinstance(actual, str):
        return actual == expected
    if isinstance(actual, int):
        number = parse_number(expected)
        return number is not None and number.is_finite() and number == actual
    if isinstance(actual, float):
        number = parse_number(expected)
        got = parse_number(actual)
        if number is None or got is None:
            return False
        if not number.is_finite() or not got.is_finite():
            return number == got and not number.is_nan()
        low, high = real_interval(number)
        return low <= got <= high
    return False


def _bound_ok(kind: str, bound: Decimal, got: Decimal, real: bool) -> bool:
    """One numeric bound; ``real`` applies the tolerance interval of ``bound``."""
    if got.is_nan() or bound.is_nan():
        return False
    low, high = real_interval(bound) if real and bound.is_finite() else (bound, bound)
    if kind == "minInclusive":
        return got >= low
    if kind == "minExclusive":
        return got > high
    if kind == "maxInclusive":
        return got <= high
    return got < low


class IdsValue(Restriction):
    """An IDS value: a ``simpleValue`` (``simple``) or a restriction
    (``base`` and ``options``, as ifctester's ``Restriction`` holds them).

    ``value == model_value`` applies the IDS 1.0 comparison rules of this
    module; ``str(value)`` is a short human description.
    """

    __hash__ = None  # type: ignore[assignment]

    def __init__(
        self,
        simple: str | None = None,
        *,
        base: str = "string",
        options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(options=dict(options or {}), base=base)
        self.simple = simple

    @classmethod
    def from_parsed(cls, value: Any) -> IdsValue | None:
        """Wrap what ifctester parsed (a ``str`` or a ``Restriction``)."""
        if value is None or isinstance(value, IdsValue):
            return value
        if isinstance(value, Restriction):
            return cls(base=value.base, options=value.options)
        return cls(str(value))

    # -- comparison ---------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        return self.matches(other)

    def matches(self, actual: Any) -> bool:
        """Whether the model value ``actual`` meets this value."""
        if actual is None or isinstance(actual, ifcopenshell.entity_instance | tuple | list):
            return False
        if self.simple is not None:
            return simple_matches(self.simple, actual)
        return all(check(actual) for check in self._checks())

    def _checks(self) -> Iterable[Callable[[Any], bool]]:
        for kind, raw in self.options.items():
            values = _as_list(raw)
            if kind == "enumeration":
                yield lambda a, vs=values: any(simple_matches(str(v), a) for v in vs)
            elif kind == "pattern":
                yield lambda a, vs=values: isinstance(a, str) and all(
                    compile_pattern(str(p)).fullmatch(a) is not None for p in vs
                )
            elif kind in _LENGTHS:
                yield lambda a, k=kind, vs=values: all(_length_ok(k, int(v), a) for v in vs)
            elif kind in _BOUNDS:
                yield lambda a, k=kind, vs=values: self._bounds_ok(k, vs, a)

    @staticmethod
    def _bounds_ok(kind: str, bounds: list[Any], actual: Any) -> bool:
        got = parse_number(actual)
        if got is None:
            return False
        real = _is_real(actual)
        for raw in bounds:
            bound = parse_number(str(raw))
            if bound is None or not _bound_ok(kind, bound, got, real):
                return False
        return True

    def accepts_text(self, text: str) -> bool:
        """Whether a name (an IFC class, attribute name...) meets this value."""
        return self.matches(text)

    # -- description --------------------------------------------------------

    def __str__(self) -> str:
        if self.simple is not None:
            return self.simple
        parts = []
        for kind, raw in self.options.items():
            values = _as_list(raw)
            if kind == "enumeration":
                parts.append("one of " + ", ".join(str(v) for v in values))
            elif kind == "pattern":
                parts.append(" and ".join(f"matching /{v}/" for v in values))
            elif kind in _BOUNDS:
                op = {"minInclusive": ">=", "minExclusive": ">", "maxInclusive": "<=",
                      "maxExclusive": "<"}[kind]
                parts.extend(f"{op} {v}" for v in values)
            elif kind in _LENGTHS:
                label = {"length": "length", "minLength": "length >=",
                         "maxLength": "length <="}[kind]
                parts.extend(f"{label} {v}" for v in values)
        return " and ".join(parts) if parts else "any value"

    def __repr__(self) -> str:
        if self.simple is not None:
            return f"IdsValue({self.simple!r})"
        return f"IdsValue(base={self.base!r}, options={self.options!r})"


def _length_ok(kind: str, limit: int, actual: Any) -> bool:
    n = len(actual if isinstance(actual, str) else str(actual))
    if kind == "length":
        return n == limit
    if kind == "minLength":
        return n >= limit
    return n <= limit
