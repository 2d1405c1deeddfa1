"""The field checks of a lift plan: :class:`Where` raises a
:class:`~bimcheck.errors.LiftPlanError` naming the file, the crane or lift,
and the field, for a value of the wrong type, out of range or unknown."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from bimcheck.crane.plan import MAX_POINTS
from bimcheck.errors import LiftPlanError


class Where:
    """Validation helpers that raise a LiftPlanError naming file, owner and field."""

    def __init__(self, path: Path, crane: str | None = None, lift: str | None = None,
                 prefix: str = "") -> None:
        self.path, self.crane, self.lift, self.prefix = path, crane, lift, prefix

    def at(self, *, crane: str | None = None, lift: str | None = None,
           prefix: str = "") -> Where:
        return Where(self.path, crane or self.crane, lift or self.lift, prefix)

    def fail(self, key: str, message: str) -> LiftPlanError:
        name = f"{self.prefix}{key}" if key else self.prefix.rstrip(".") or None
        return LiftPlanError(message, path=self.path, crane=self.crane, lift=self.lift,
                             field=name)

    def mapping(self, value: Any, what: str, allowed: set[str], key: str = "") -> dict:
        if not isinstance(value, dict):
            raise self.fail(key, f"{what} must be a mapping, not {kind_of(value)}")
        unknown = sorted(str(k) for k in value if k not in allowed)
        if unknown:
            raise self.fail(key, f"unknown key {unknown[0]!r} (known: "
                                 f"{', '.join(sorted(allowed))})")
        return value

    def number(self, doc: dict, key: str, *, minimum: float | None = None,
               maximum: float | None = None, default: float | None = None,
               required: bool = True, strict: bool = False) -> Any:
        if key not in doc or doc[key] is None:
            if default is not None or not required:
                return default
            raise self.fail(key, "is required")
        return self.value(doc[key], key, minimum=minimum, maximum=maximum, strict=strict)

    def value(self, v: Any, key: str, *, minimum: float | None = None,
              maximum: float | None = None, strict: bool = False) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise self.fail(key, f"must be a number, not {v!r}")
        v = float(v)
        if minimum is not None and (v <= minimum if strict else v < minimum):
            raise self.fail(key, f"must be {'>' if strict else '≥'} {minimum:g}, not {v:g}")
        if maximum is not None and v > maximum:
            raise self.fail(key, f"must be ≤ {maximum:g}, not {v:g}")
        return v

    def point(self, doc: dict, key: str, dims: int = 3, *, required: bool = True) -> Any:
        if key not in doc or doc[key] is None:
            if not required:
                return None
            raise self.fail(key, "is required")
        return self.coords(doc[key], key, dims)

    def coords(self, v: Any, key: str, dims: int) -> tuple[float, ...]:
        if not isinstance(v, list | tuple) or len(v) != dims:
            raise self.fail(key, f"must be a list of {dims} numbers, not {v!r}")
        return tuple(self.value(c, key) for c in v)

    def seq(self, doc: dict, key: str, *, required: bool = False, limit: int) -> list:
        v = doc.get(key)
        if v is None:
            if required:
                raise self.fail(key, "is required")
            return []
        if not isinstance(v, list):
            raise self.fail(key, f"must be a list, not {kind_of(v)}")
        if required and not v:
            raise self.fail(key, "must not be empty")
        if len(v) > limit:
            raise self.fail(key, f"has {len(v)} entries, over the limit of {limit}")
        return v

    def ident(self, doc: dict, what: str) -> str:
        v = doc.get("id")
        if not isinstance(v, str | int) or isinstance(v, bool) or str(v).strip() == "":
            raise self.fail("id", f"every {what} needs an id (a non-empty string)")
        return str(v)

    def polygon(self, v: Any, key: str) -> tuple[tuple[float, float], ...]:
        import shapely

        if not isinstance(v, list) or not 3 <= len(v) <= MAX_POINTS:
            raise self.fail(key, f"must be a list of 3 to {MAX_POINTS} [x, y] points")
        pts = tuple(self.coords(p, key, 2) for p in v)
        poly = shapely.Polygon(pts)
        if not poly.is_valid or poly.area <= 0:
            raise self.fail(key, "is not a simple polygon with an area (self-crossing or flat)")
        if not poly.exterior.is_ccw:
            pts = pts[::-1]  # counter-clockwise, as extrusion and drawing expect
        return pts  # type: ignore[return-value]


def kind_of(v: Any) -> str:
    return "nothing" if v is None else type(v).__name__
