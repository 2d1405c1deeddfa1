"""The deterministic JSON writer (bimcheck.report.jsonout) writes what the
standard library writes, node by node: one-line objects below ``inline_from``
are ``json.dumps(..., sort_keys=True, ensure_ascii=False)``, and so is every
plain value."""

from __future__ import annotations

import enum
import json
from typing import Any

import numpy as np
import pytest

from bimcheck.report.jsonout import _normalise, dumps


def _reference(value: Any, depth: int, inline_from: int, out: list[str]) -> None:
    """The writer as it was first written: the standard library at every node."""
    if (isinstance(value, dict) and depth >= inline_from) or (
            isinstance(value, list) and value
            and not any(isinstance(v, dict | list) for v in value)):
        out.append(json.dumps(value, sort_keys=True, ensure_ascii=False))
        return
    pad = "  " * (depth + 1)
    if isinstance(value, dict) and value:
        out.append("{\n")
        for n, key in enumerate(sorted(value)):
            if n:
                out.append(",\n")
            out.append(pad + json.dumps(key, ensure_ascii=False) + ": ")
            _reference(value[key], depth + 1, inline_from, out)
        out.append("\n" + "  " * depth + "}")
    elif isinstance(value, list) and value:
        out.append("[\n")
        for n, item in enumerate(value):
            if n:
                out.append(",\n")
            out.append(pad)
            _reference(item, depth + 1, inline_from, out)
        out.append("\n" + "  " * depth + "]")
    else:
        out.append(json.dumps(value, sort_keys=True, ensure_ascii=False))


class _Kind(enum.StrEnum):
    HARD = "hard"


class _Count(int):
    pass


class _Dict(dict):
    pass


DOC = {
    "findings": [
        {"key": "k1", "severity": _Kind.HARD, "count": _Count(3), "ratio": 0.1 + 0.2,
         "tiny": 1e-7, "big": 12345678901234.5, "none": None, "yes": True, "no": False,
         "text": 'quote " backslash \\ newline \n tab \t é 中文 \u0001',
         "elements": [{"global_id": "0xYz$_", "model": "a.ifc"}], "point": [1.0, -0.0, 2.5],
         "empty_list": [], "empty_dict": {}, "nested": [[1, 2], [3, [4]]], "pair": (1, 2)},
        {"kinds": [_Kind.HARD, "x"], "numbers": [np.float64(0.123456789), np.int64(7)],
         "array": np.array([[1.5, 2.0], [3.0, 4.25]]), "vector": np.array([1.0, 2.0]),
         "in_list": [1, np.array([2, 3])], "enum_list": [[_Kind.HARD], (_Kind.HARD, 1)],
         "odd": [float("nan"), float("inf"), -float("inf"), -1e-12], 3: "int key",
         "sub": _Dict({"b": 1, 2: [_Dict(a=1)]}), "rows": [(1, {"t": (2.0,)}), ()],
         "deeper": {"x": {"y": [{"z": np.float64(1e-9)}]}}},
    ],
    "summary": {"by_rule": {"CL001": 1, "Z": 0, "a": 2}, "deep": {"d": {"e": {"f": [1]}}}},
    "": "empty key",
}


@pytest.mark.parametrize("inline_from", [0, 1, 2, 3, 4, 8])
@pytest.mark.parametrize("doc", [DOC, [], {}, "text", 1.5, [[]], [{}], {"a": []}])
def test_the_writer_writes_what_the_standard_library_writes(doc, inline_from):
    parts: list[str] = []
    _reference(_normalise(doc, 7), 0, inline_from, parts)
    assert dumps(doc, decimals=7, inline_from=inline_from) == "".join(parts) + "\n"


def test_the_indenting_writer_is_json_dumps_with_an_indent():
    normalised = _normalise(DOC, 7)
    assert dumps(DOC, decimals=7) == json.dumps(normalised, sort_keys=True, indent=2,
                                                 ensure_ascii=False) + "\n"
