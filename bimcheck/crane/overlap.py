"""Crane-to-crane conflicts: overlapping working circles, jib separation, and
lifts that work the overlap at the same time.

Two cranes conflict where their working circles (in plan, radius
:attr:`~bimcheck.crane.plan.Crane.working_radius` about the slew centre)
overlap **and** their jibs or booms pass less than the plan's
``min_jib_separation`` (m) above one another there: the lower jib's
underside is the upper crane's hoist-line zone. The overlap is a shapely
polygon (circles of :data:`CIRCLE_SEGMENTS` sides; its area within 1e-4 of
the exact lens even for a thin one, 98.50 m² between circles of 50 and 40 m
85 m apart) kept for the plan view; its area is in m².

Vertical separation is the height between the two jibs' elevations
(:attr:`~bimcheck.crane.plan.Crane.top_elevation`): for two tower cranes
the difference of their jib undersides; with a crane that luffs (mobile,
crawler, luffing-tower), its boom's or jib's tip at the steepest angle
against the other crane's jib.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any

import shapely

from bimcheck.crane.plan import Crane, Lift, LiftPlan

#: Sides of the polygon standing for a working circle: its area is short of
#: the circle's by (2π/n)²/6 relative, 6.3e-6 at 1,024.
CIRCLE_SEGMENTS = 1024


@dataclass(frozen=True)
class CranePair:
    """Two cranes whose working circles overlap."""

    a: str
    b: str
    overlap: shapely.Geometry
    vertical_separation: float
    conflict: bool
    simultaneous_lifts: tuple[tuple[str, str], ...] = ()

    @property
    def overlap_area(self) -> float:
        return float(self.overlap.area)

    @property
    def centre(self) -> tuple[float, float]:
        """Plan centroid (m) of the overlap."""
        c = self.overlap.centroid
        return (float(c.x), float(c.y))

    def as_dict(self) -> dict[str, Any]:
        return {
            "a": self.a, "b": self.b, "overlap_area": self.overlap_area,
            "overlap_centre": list(self.centre),
            "vertical_separation": self.vertical_separation, "conflict": self.conflict,
            "simultaneous_lifts": [list(p) for p in self.simultaneous_lifts],
        }


def working_circle(crane: Crane) -> shapely.Geometry:
    """The crane's working circle in plan (m)."""
    x, y, _ = crane.base
    return shapely.Point(x, y).buffer(crane.working_radius,
                                      quad_segs=CIRCLE_SEGMENTS // 4)


def crane_pairs(plan: LiftPlan,
                positions: dict[str, list[tuple[float, float]]] | None = None
                ) -> list[CranePair]:
    """Every pair of cranes whose working circles overlap, in id order.

    ``positions`` (lift id → plan points the load passes, m; default: pick
    and set) says where each lift works: two lifts of the two cranes whose
    time windows intersect and that both have a point in the overlap are
    listed as ``simultaneous_lifts`` and make the pair a conflict too."""
    circles = {cid: working_circle(c) for cid, c in plan.cranes.items()}
    out = []
    for a, b in combinations(sorted(plan.cranes), 2):
        shared = shapely.intersection(circles[a], circles[b])
        if shared.is_empty or shared.area <= 0:
            continue
        ca, cb = plan.cranes[a], plan.cranes[b]
        separation = abs(ca.top_elevation - cb.top_elevation)
        together = _simultaneous(plan, a, b, shared, positions)
        out.append(CranePair(a, b, shared, separation,
                             separation < plan.min_jib_separation or bool(together),
                             together))
    return out


def _simultaneous(plan: LiftPlan, a: str, b: str, shared: shapely.Geometry,
                  positions: dict[str, list[tuple[float, float]]] | None
                  ) -> tuple[tuple[str, str], ...]:
    def inside(lift: Lift) -> bool:
        pts = (positions or {}).get(lift.id) or [lift.pick[:2], lift.set[:2]]
        return bool(shapely.intersects(shared, shapely.points(pts)).any())

    la = [lift for lift in plan.lifts if lift.crane == a and lift.window and inside(lift)]
    lb = [lift for lift in plan.lifts if lift.crane == b and lift.window and inside(lift)]
    found = []
    for x in la:
        for y in lb:
            assert x.window is not None and y.window is not None
            if x.window[0] < y.window[1] and y.window[0] < x.window[1]:
                found.append((x.id, y.id))
    return tuple(sorted(found))
