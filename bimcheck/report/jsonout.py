"""Deterministic JSON: sorted keys, fixed float rounding, newline at the end.

The same data always gives byte-identical text, so revisions and CI runs can
be compared with a plain diff.
"""

from __future__ import annotations

import json
import math
from typing import Any

from bimcheck.units import JSON_DECIMALS


def _normalise(value: Any, decimals: int) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        r = round(value, decimals)
        return 0.0 if r == 0 else r  # no "-0.0"
    if isinstance(value, dict):
        return {str(k): _normalise(v, decimals) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v, decimals) for v in value]
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return _normalise(value.tolist(), decimals)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dumps(data: Any, *, decimals: int = JSON_DECIMALS) -> str:
    """Serialise ``data`` deterministically (sorted keys, 2-space indent, floats
    rounded to ``decimals`` places, NaN/inf as null)."""
    text = json.dumps(_normalise(data, decimals), sort_keys=True, indent=2, ensure_ascii=False)
    return text + "\n"
