"""Load charts and utilization bands.

A load chart gives a crane's rated capacity (t) at radii (m) from its slew
centre. Between two listed radii the capacity is interpolated linearly;
outside the listed range there is **no** capacity: a chart is never
extrapolated, and a radius past its ends is reported as ``out_of_chart``
(a fail), as a lift supervisor would read the printed chart.

Utilization is (load + rigging + hook block) / capacity. The bands follow
the usual lift-planning practice and are parameters of the plan:

* ``normal`` below ``critical`` (default 0.75);
* ``critical`` from ``critical`` to below ``high`` (0.90): needs an approved
  lift plan;
* ``high`` from ``high`` up to and including ``fail`` (1.00): high risk;
* ``fail`` above ``fail``: overloaded.

Boundaries are exact: a utilization of exactly 0.75 is ``critical``, exactly
1.00 is ``high``, anything above 1.00 is ``fail``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Band names, from safest to worst; ``out_of_chart`` is a radius the chart
#: does not cover.
BANDS = ("normal", "critical", "high", "fail", "out_of_chart")


@dataclass(frozen=True)
class LoadChart:
    """Rated capacity (t) at radii (m), radii strictly increasing."""

    radius: tuple[float, ...]
    capacity: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.radius) != len(self.capacity) or len(self.radius) < 2:
            raise ValueError("a load chart needs at least two radii, one capacity each")
        if any(not math.isfinite(v) for v in (*self.radius, *self.capacity)):
            raise ValueError("load chart values must be finite numbers")
        if any(b <= a for a, b in zip(self.radius, self.radius[1:], strict=False)):
            raise ValueError("load chart radii must increase strictly")
        if self.radius[0] < 0 or any(c <= 0 for c in self.capacity):
            raise ValueError("load chart radii must be ≥ 0 and capacities > 0")

    @property
    def min_radius(self) -> float:
        return self.radius[0]

    @property
    def max_radius(self) -> float:
        return self.radius[-1]

    def capacity_at(self, radius: float) -> float | None:
        """Capacity (t) at ``radius`` (m), linearly interpolated; ``None``
        outside ``[min_radius, max_radius]`` (never extrapolated)."""
        if not self.min_radius <= radius <= self.max_radius:
            return None
        return float(np.interp(radius, self.radius, self.capacity))

    def capacities(self, radii: Sequence[float] | np.ndarray) -> np.ndarray:
        """:meth:`capacity_at` for many radii at once; NaN outside the chart."""
        r = np.asarray(radii, dtype=np.float64)
        out = np.interp(r, self.radius, self.capacity)
        out[(r < self.min_radius) | (r > self.max_radius)] = np.nan
        return out


@dataclass(frozen=True)
class Bands:
    """Utilization thresholds (fractions) between the bands; see the module docstring."""

    critical: float = 0.75
    high: float = 0.90
    fail: float = 1.00

    def __post_init__(self) -> None:
        if not 0 < self.critical < self.high < self.fail:
            raise ValueError("bands must satisfy 0 < critical < high < fail")

    def band(self, utilization: float | None) -> str:
        """The band of a utilization; ``out_of_chart`` for ``None`` or NaN."""
        if utilization is None or math.isnan(utilization):
            return "out_of_chart"
        if utilization < self.critical:
            return "normal"
        if utilization < self.high:
            return "critical"
        if utilization <= self.fail:
            return "high"
        return "fail"


def worst(bands: Sequence[str]) -> str:
    """The worst of several bands (``out_of_chart`` is the worst of all)."""
    return max(bands, key=BANDS.index) if bands else "normal"
