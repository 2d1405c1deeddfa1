"""Capacity along a lift: radius range, the least capacity, utilization, band.

The chart is piecewise linear in the radius, so over the radii a path
passes through (an interval: the hook radius moves continuously) the least
capacity is at one of the interval's ends or at a chart point inside it;
:func:`check_capacity` takes the minimum over exactly those, no sampling.
A radius outside the chart anywhere along the path makes the lift
``out_of_chart``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bimcheck.crane.chart import Bands
from bimcheck.crane.motion import Path, radius_of
from bimcheck.crane.plan import Crane


@dataclass(frozen=True)
class Capacity:
    """Weights in t, radii in m, utilization as a fraction."""

    total_weight: float
    radius_min: float
    radius_max: float
    capacity_min: float | None
    utilization_max: float | None
    band: str

    def as_dict(self) -> dict[str, Any]:
        return {"total_weight": self.total_weight, "radius_min": self.radius_min,
                "radius_max": self.radius_max, "capacity_min": self.capacity_min,
                "utilization_max": self.utilization_max, "band": self.band}


def check_capacity(crane: Crane, path: Path, load_weight: float, rigging_weight: float,
                   bands: Bands) -> Capacity:
    """Utilization of a load of ``load_weight`` t with ``rigging_weight`` t of
    rigging and the crane's hook block, at the worst radius of ``path``."""
    total = load_weight + rigging_weight + crane.hook_weight
    radii = radius_of(crane, path.waypoints[:, 1])
    lo, hi = float(radii.min()), float(radii.max())
    chart = crane.load_chart
    if lo < chart.min_radius or hi > chart.max_radius:
        return Capacity(total, lo, hi, None, None, "out_of_chart")
    inside = [r for r in chart.radius if lo < r < hi]
    caps = chart.capacities(np.array([lo, hi, *inside]))
    least = float(caps.min())
    utilization = total / least
    return Capacity(total, lo, hi, least, utilization, bands.band(utilization))
