"""Deterministic JSON: sorted keys, fixed float rounding, newline at the end.

The same data always gives byte-identical text, so revisions and CI runs can
be compared with a plain diff.
"""

from __future__ import annotations

import math
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from bimcheck.units import JSON_DECIMALS


def _normalise(value: Any, decimals: int) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        if not math.isfinite(value):
            return None
        r = round(value, decimals)
        return 0.0 if r == 0 else r  # no "-0.0"
    if kind is dict:
        return {k if type(k) is str else str(k): _normalise(v, decimals)
                for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_normalise(v, decimals) for v in value]
    return _normalise_other(value, decimals)


def _normalise_other(value: Any, decimals: int) -> Any:
    """:func:`_normalise` of the subclasses of the plain types (an enum of
    strings, numpy's float64), and of numpy values: the plain value, as the
    standard library writes the subclass."""
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, float):  # numpy's float64: its own round, as before
        if not math.isfinite(value):
            return None
        r = float(round(value, decimals))
        return 0.0 if r == 0 else r
    if isinstance(value, dict):
        return {str(k): _normalise(v, decimals) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v, decimals) for v in value]
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return _normalise(value.tolist(), decimals)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dumps(data: Any, *, decimals: int = JSON_DECIMALS, inline_from: int | None = None) -> str:
    """Serialise ``data`` deterministically (sorted keys, 2-space indent, floats
    rounded to ``decimals`` places, NaN/inf as null).

    ``inline_from``: objects nested at least that deep, and lists of plain
    values, are written on one line each (``{"a": 1, "b": [2, 3]}``,
    ``[0.0, 1.5, 2.0]``): a takeoff's rows one per line, which a
    diff of two revisions shows row by row. Either way the data is walked
    once, without a normalised copy."""
    if inline_from is None:
        out: list[str] = []
        _indented(data, 0, decimals, out)
        return "".join(out) + "\n"
    parts: list[str] = []
    _write(data, 0, inline_from, decimals, parts)
    return "".join(parts) + "\n"


def _indented(value: Any, level: int, decimals: int, out: list[str]) -> None:
    """``value`` normalised (as :func:`_normalise`) and written as
    ``json.dumps(..., sort_keys=True, indent=2, ensure_ascii=False)`` writes
    it, in one walk, about twice as fast as the standard library's indenting
    encoder (which is pure Python): a report of 23,539 clashes is large."""
    text = _plain(value, decimals)
    if text is not None:
        out.append(text)
        return
    kind = type(value)
    if kind is dict:
        if not value:
            out.append("{}")
            return
        value = _str_keys(value)
        inner = "\n" + "  " * (level + 1)
        sep = "{" + inner
        for key in sorted(value):
            out.append(sep)
            out.append(encode_basestring(key))
            out.append(": ")
            _indented(value[key], level + 1, decimals, out)
            sep = "," + inner
        out.append("\n" + "  " * level + "}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        inner = "\n" + "  " * (level + 1)
        sep = "[" + inner
        for item in value:
            out.append(sep)
            _indented(item, level + 1, decimals, out)
            sep = "," + inner
        out.append("\n" + "  " * level + "]")
    else:  # subclasses, numpy scalars and arrays: as _normalise makes them
        _indented(_normalise_other(value, decimals), level, decimals, out)


#: The types :func:`_write` writes as they are; anything else is normalised first.
_PLAIN_OR_CONTAINER = frozenset({str, float, int, bool, type(None), dict, list, tuple})


def _str_keys(value: dict[Any, Any]) -> dict[str, Any]:
    """``value`` with every key a string, as :func:`_normalise` makes them
    (a later key wins where two read the same)."""
    if all(type(k) is str for k in value):
        return value
    return {str(k): v for k, v in value.items()}


def _plain(value: Any, decimals: int) -> str | None:
    """A plain value (exactly str, float, int, bool or None) written as the
    standard library writes it once normalised; None for anything else."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is float:
        if not math.isfinite(value):
            return "null"
        r = round(value, decimals)
        return "0.0" if r == 0 else float.__repr__(r)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    return None


def _line(value: Any, decimals: int) -> str:
    """``json.dumps(_normalise(value), sort_keys=True, ensure_ascii=False)``,
    without the copy."""
    text = _plain(value, decimals)
    if text is not None:
        return text
    kind = type(value)
    if kind is dict:
        value = _str_keys(value)
        return "{" + ", ".join(
            encode_basestring(k) + ": " + _line(value[k], decimals) for k in sorted(value)) + "}"
    if kind is list or kind is tuple:
        return "[" + ", ".join([_line(v, decimals) for v in value]) + "]"
    return _line(_normalise_other(value, decimals), decimals)


def _write(value: Any, depth: int, inline_from: int, decimals: int, out: list[str]) -> None:
    """``value`` normalised (as :func:`_normalise`) and written indented down to
    ``inline_from``, then one line each, in one walk without a copy: each
    node as the standard library writes the normalised node (a list of plain
    values on one line too)."""
    kind = type(value)
    if kind is dict:
        if not value or depth >= inline_from:
            out.append(_line(value, decimals))
            return
        value = _str_keys(value)
        pad = "  " * (depth + 1)
        sep = "{\n" + pad
        for key in sorted(value):
            item = value[key]
            text = _plain(item, decimals)
            if text is None:
                out.append(sep + encode_basestring(key) + ": ")
                _write(item, depth + 1, inline_from, decimals, out)
            else:
                out.append(sep + encode_basestring(key) + ": " + text)
            sep = ",\n" + pad
        out.append("\n" + "  " * depth + "}")
    elif kind is list or kind is tuple:
        if not all(type(v) in _PLAIN_OR_CONTAINER for v in value):
            value = [_normalise(v, decimals) for v in value]  # what the others become
        if not value or not any(type(v) is dict or type(v) is list or type(v) is tuple
                                for v in value):
            out.append(_line(value, decimals))
            return
        pad = "  " * (depth + 1)
        sep = "[\n" + pad
        for item in value:
            text = _plain(item, decimals)
            if text is None:
                out.append(sep)
                _write(item, depth + 1, inline_from, decimals, out)
            else:
                out.append(sep + text)
            sep = ",\n" + pad
        out.append("\n" + "  " * depth + "]")
    else:
        text = _plain(value, decimals)
        if text is None:
            _write(_normalise_other(value, decimals), depth, inline_from, decimals, out)
        else:
            out.append(text)
