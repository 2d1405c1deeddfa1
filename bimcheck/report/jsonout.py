"""Deterministic JSON: sorted keys, fixed float rounding, newline at the end.

The same data always gives byte-identical text, so revisions and CI runs can
be compared with a plain diff.
"""

from __future__ import annotations

import json
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
    diff of two revisions shows row by row, and which Python's C encoder
    writes about ten times faster than the indenting one."""
    if inline_from is None:
        out: list[str] = []
        _indented(data, 0, decimals, out)
        return "".join(out) + "\n"
    parts: list[str] = []
    _write(_normalise(data, decimals), 0, inline_from, parts)
    return "".join(parts) + "\n"


def _indented(value: Any, level: int, decimals: int, out: list[str]) -> None:
    """``value`` normalised (as :func:`_normalise`) and written as
    ``json.dumps(..., sort_keys=True, indent=2, ensure_ascii=False)`` writes
    it, in one walk, about twice as fast as the standard library's indenting
    encoder (which is pure Python): a report of 23,539 clashes is large."""
    kind = type(value)
    if kind is str:
        out.append(encode_basestring(value))
    elif kind is float:
        if not math.isfinite(value):
            out.append("null")
        else:
            r = round(value, decimals)
            out.append("0.0" if r == 0 else float.__repr__(r))
    elif kind is dict:
        if not value:
            out.append("{}")
            return
        if not all(type(k) is str for k in value):
            value = {str(k): v for k, v in value.items()}
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
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif value is None:
        out.append("null")
    elif kind is int:
        out.append(int.__repr__(value))
    else:  # subclasses, numpy scalars and arrays: as _normalise makes them
        _indented(_normalise(value, decimals), level, decimals, out)


#: ``json.dumps(value, sort_keys=True, ensure_ascii=False)`` without building
#: an encoder for every call (a check report of 28,717 findings makes 2.2
#: million of them).
_inline = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode


def _write(value: Any, depth: int, inline_from: int, out: list[str]) -> None:
    """``value`` (normalised: plain types, floats rounded) indented down to
    ``inline_from``, then one line each; the plain values written as the
    standard library writes them, without its call overhead."""
    kind = type(value)
    if kind is str:
        out.append(encode_basestring(value))
        return
    if kind is float:
        out.append(float.__repr__(value))
        return
    if kind is bool:
        out.append("true" if value else "false")
        return
    if kind is int:
        out.append(int.__repr__(value))
        return
    if value is None:
        out.append("null")
        return
    if (kind is not dict and kind is not list) or not value or (
            kind is dict and depth >= inline_from) or (
            kind is list and not any(type(v) is dict or type(v) is list for v in value)):
        out.append(_inline(value))  # subclasses of the plain types, too
        return
    pad = "  " * (depth + 1)
    if kind is dict:
        out.append("{\n")
        sep = pad
        for key in sorted(value):
            out.append(sep)
            out.append(encode_basestring(key))
            out.append(": ")
            _write(value[key], depth + 1, inline_from, out)
            sep = ",\n" + pad
        out.append("\n" + "  " * depth + "}")
    else:
        out.append("[\n")
        sep = pad
        for item in value:
            out.append(sep)
            _write(item, depth + 1, inline_from, out)
            sep = ",\n" + pad
        out.append("\n" + "  " * depth + "]")
