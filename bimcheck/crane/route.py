"""Which path a lift takes: the default motion, or a planned one.

The default motion (:func:`~bimcheck.crane.motion.default_path`) is checked
first. The planner (:func:`~bimcheck.crane.planner.plan_path`) is asked for
another path when the default one

* comes within the clearance of an element or a neighbour (without a path
  the lift then cannot be made: a problem that names what blocks it);
* comes too close to a power line;
* crosses an exclusion zone, when zones are avoided (the crane pack's
  ``avoid_zones``, or the lift's own ``avoid_zones``).

A planned path replaces the default one when the default conflicts with the
model or a power line, or when it crosses fewer zones (the same number and
quicker); otherwise the default path stays, and ``planner_note`` says why
the planner found nothing better. The chosen path's clearance, zones and
power lines are then measured densely.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bimcheck.crane.clearance import Clearance, Obstacles, check_path
from bimcheck.crane.motion import MotionError, Path, default_path
from bimcheck.crane.plan import Crane, Lift, LiftPlan
from bimcheck.crane.planner import Plan, plan_path
from bimcheck.crane.site import LineCheck, ZoneCrossing, check_power_lines, zone_crossings


@dataclass
class Route:
    """The path a lift takes and what it keeps clear of (m, s)."""

    path: Path
    clearance: Clearance
    zones: list[ZoneCrossing]
    power_lines: list[LineCheck]
    planned: bool = False
    problems: list[str] = field(default_factory=list)
    blocking: list[str] = field(default_factory=list)
    planner_queries: int = 0
    planner_note: str | None = None


def route_lift(crane: Crane, lift: Lift, box: tuple[float, float, float],
               obstacles: Obstacles, plan: LiftPlan, *, avoid_zones: bool = True,
               horizon: float = 25.0, replan: bool = True) -> Route:
    """The lift's path (see the module docstring); MotionError when even the
    default motion cannot be made."""
    path = default_path(crane, lift)
    route = _measured(crane, lift, box, obstacles, plan, path, horizon)
    avoid = lift.avoid_zones if lift.avoid_zones is not None else avoid_zones
    hits_model = bool(route.clearance.conflicts)
    hits_line = any(not p.ok for p in route.power_lines)
    if not replan or not (hits_model or hits_line or (avoid and route.zones)):
        return route
    try:
        found = plan_path(crane, lift, box, obstacles, plan.clearance, site=plan.site,
                          avoid_zones=avoid)
    except MotionError as exc:  # the grid cannot be laid out for this crane
        found = Plan(None, reason=f"the planner cannot run: {exc}")
    if found.path is None:
        if hits_model:
            named = ", ".join(found.blocking[:5]) or "-"
            route.problems.append(f"{found.reason} (blocked by {named})")
            route.blocking = found.blocking
        else:
            route.planner_note = f"no better path: {found.reason}"
        route.planner_queries = found.queries
        return route
    planned = _measured(crane, lift, box, obstacles, plan, found.path, horizon)
    better = (hits_model or hits_line
              or (len(planned.zones), planned.path.duration)
              < (len(route.zones), route.path.duration))
    if not better:
        route.planner_note = ("no better path: every clear path crosses at least as many "
                              "exclusion zones")
        route.planner_queries = found.queries
        return route
    planned.planned, planned.planner_queries = True, found.queries
    planned.planner_note = found.note or None
    return planned


def _measured(crane: Crane, lift: Lift, box: tuple[float, float, float],
              obstacles: Obstacles, plan: LiftPlan, path: Path, horizon: float) -> Route:
    """``path`` with its clearance to the model, zones and power lines."""
    return Route(
        path=path,
        clearance=check_path(crane, path, box, obstacles, plan.clearance,
                             rest_heights=(lift.pick[2], lift.set[2]), horizon=horizon),
        zones=zone_crossings(crane, path, box, plan.site.exclusion_zones, plan.clearance / 2),
        power_lines=check_power_lines(crane, path, box, plan.site, step=plan.clearance / 2))
