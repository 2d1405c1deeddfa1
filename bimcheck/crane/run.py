"""Check every lift of a plan against a model: ``run_lifts``.

Per lift: the default motion (:mod:`~bimcheck.crane.motion`), capacity over
its radius range (:mod:`~bimcheck.crane.capacity`), clearance of its moving
parts to every element with a body (:mod:`~bimcheck.crane.clearance`),
exclusion zones and power lines (:mod:`~bimcheck.crane.site`), the wind
against the crane's limit (:mod:`~bimcheck.crane.wind`); then every pair of
cranes (:mod:`~bimcheck.crane.overlap`).

A lift's ``result``:

* ``fail``: band ``fail`` or ``out_of_chart``; a part within the required
  clearance of an element or a power line's; a motion the crane cannot
  make (out of reach, slew limits); a load element that is not in the model;
  a wind over the lift's limit;
* ``warning``: band ``critical`` or ``high`` (an approved lift plan is
  needed), or an exclusion zone crossed;
* ``ok`` otherwise.

Which path a lift takes, default or planned, is
:func:`~bimcheck.crane.route.route_lift`'s choice (the planner avoids the
model, neighbours, power lines and, by default, exclusion zones); the path
is reported in replayable form (:mod:`~bimcheck.crane.replay`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from bimcheck.crane.capacity import Capacity, check_capacity
from bimcheck.crane.clearance import Clearance, Obstacles
from bimcheck.crane.motion import (
    HOOK_BLOCK,
    SLING_HEIGHT,
    MotionError,
    Path,
    hook_positions,
    polar,
    sample,
    travel_height,
)
from bimcheck.crane.overlap import CranePair, crane_pairs
from bimcheck.crane.placement import Candidate, rank_placement
from bimcheck.crane.plan import Crane, Lift, LiftPlan
from bimcheck.crane.policy import LiftPolicy
from bimcheck.crane.replay import configurations, replayable
from bimcheck.crane.route import route_lift
from bimcheck.crane.schedule import StandingElements, obstacles_from
from bimcheck.crane.site import (
    LineCheck,
    ZoneCrossing,
    neighbour_meshes,
)
from bimcheck.crane.wind import WindCheck, check_wind
from bimcheck.errors import LiftPlanError
from bimcheck.geometry.cache import MeshCache
from bimcheck.geometry.mesh import Mesh
from bimcheck.geometry.query import solid_volume
from bimcheck.geometry.tessellate import Failure
from bimcheck.model import Model

Progress = Callable[..., None]

RESULTS = ("ok", "warning", "fail")

#: Spacing (m) of the points a path's length and plan trace are measured on
#: (a slew's arc is within 0.1 % of its chord polyline at this step).
_TRACE_STEP_M = 0.25


@dataclass
class LiftResult:
    """Everything checked for one lift (m, t, s)."""

    lift: Lift
    crane: str
    load_weight: float | None = None
    box: tuple[float, float, float] | None = None
    path: Path | None = None
    waypoints: list[list[float]] = field(default_factory=list)
    path_length: float | None = None
    capacity: Capacity | None = None
    clearance: Clearance | None = None
    zones: list[ZoneCrossing] = field(default_factory=list)
    power_lines: list[LineCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    planned: bool = False
    trace: list[tuple[float, float, float]] = field(default_factory=list)
    planner_queries: int = 0
    blocking: list[str] = field(default_factory=list)
    planner_note: str | None = None
    #: The Name of the element nearest to the path (None: none, or unnamed).
    min_name: str | None = None
    configurations: dict[str, Any] | None = None
    #: The lift's wind against its limit; ``None``: not checked (no wind known).
    wind: WindCheck | None = None
    #: How many model elements with a body, and neighbours, were obstacles
    #: (those standing at lift time, never the lifted element), and where the
    #: standing ones came from (:func:`~bimcheck.crane.schedule.obstacles_from`).
    obstacle_count: int = 0
    obstacles_from: str = "model"

    policy: LiftPolicy = field(default_factory=LiftPolicy)

    @property
    def conditions(self) -> list[str]:
        """The :data:`~bimcheck.crane.policy.CONDITIONS` this lift meets."""
        met = []
        if self.problems or self.capacity is None:
            met.append("problem")
        if self.capacity is not None:
            band = self.capacity.band
            met.append(band if band == "out_of_chart" else f"band_{band}")
        if self.clearance is not None and self.clearance.conflicts:
            met.append("collision")
        if any(not p.ok for p in self.power_lines):
            met.append("power_line")
        if self.zones:
            met.append("zone")
        if self.wind is not None and not self.wind.ok:
            met.append("wind")
        return met

    @property
    def result(self) -> str:
        """``ok``, ``warning`` or ``fail`` by the crane pack's policy."""
        return self.policy.result(self.conditions)

    def as_dict(self) -> dict[str, Any]:
        cap = self.capacity
        clear = self.clearance
        return {
            "id": self.lift.id,
            "crane": self.crane,
            "load_weight": self.load_weight,
            "total_weight": cap.total_weight if cap else None,
            "radius_min": cap.radius_min if cap else None,
            "radius_max": cap.radius_max if cap else None,
            "capacity_min": cap.capacity_min if cap else None,
            "utilization_max": cap.utilization_max if cap else None,
            "band": cap.band if cap else None,
            "min_clearance": clear.min_clearance if clear else None,
            "min_clearance_beyond_horizon": clear.beyond_horizon if clear else None,
            "min_clearance_element": clear.min_element if clear else None,
            "min_clearance_class": clear.min_class if clear else None,
            "min_clearance_name": self.min_name,
            "min_clearance_body": clear.min_body if clear else None,
            "load_box": list(self.box) if self.box is not None else None,
            "configurations": self.configurations,
            "planner_note": self.planner_note,
            "collisions": [c.as_dict() for c in clear.conflicts] if clear else [],
            "zones": [z.as_dict() for z in self.zones],
            "power_lines": [p.as_dict() for p in self.power_lines],
            "path": self.waypoints,
            "path_length": self.path_length,
            "planned": self.planned,
            "blocking": list(self.blocking),
            "obstacle_count": self.obstacle_count,
            "obstacles_from": self.obstacles_from,
            "duration_s": self.path.duration if self.path is not None else None,
            "samples": clear.samples if clear else 0,
            "queries": (clear.queries if clear else 0) + self.planner_queries,
            "problems": list(self.problems),
            "wind": self.wind.as_dict() if self.wind is not None else None,
            "result": self.result,
        }


@dataclass
class CraneReport:
    model: Model
    plan: LiftPlan
    lifts: list[LiftResult]
    pairs: list[CranePair]
    failures: list[Failure]
    placement: list[Candidate] = field(default_factory=list)
    #: The model in plan (union of the elements' plan bounds) and seen from the
    #: south (union of their x-z bounds), for drawing; metres.
    footprint: Any = None
    elevation: Any = None

    def as_dict(self) -> dict[str, Any]:
        counts = {r: sum(1 for x in self.lifts if x.result == r) for r in RESULTS}
        return {
            "model": {"path": self.model.path.name, "schema": self.model.schema,
                      "content_digest": self.model.content_digest},
            "plan": {"path": self.plan.path.name, "clearance": self.plan.clearance,
                     "bands": {"critical": self.plan.bands.critical,
                               "high": self.plan.bands.high, "fail": self.plan.bands.fail},
                     "min_jib_separation": self.plan.min_jib_separation},
            "lifts": [x.as_dict() for x in self.lifts],
            "crane_pairs": [p.as_dict() for p in self.pairs],
            "counts": counts,
            "failed": [f.as_dict() for f in self.failures],
            "placement": [c.as_dict() for c in self.placement],
        }


def run_lifts(model: Model, plan: LiftPlan, *, cache: MeshCache | None = None,
              timeout: float | None = None, threads: int | None = None,
              progress: Progress | None = None, replan: bool = True,
              policy: LiftPolicy | None = None, context: Any = None,
              index: int = 0) -> CraneReport:
    """Check every lift of ``plan`` against ``model``; see the module docstring.
    ``replan``: search another path when the default one conflicts.
    ``policy``: bands and results of the crane pack (default: the shipped
    pack's); the plan's own bands win. With a run ``context`` (model
    ``index`` of it) the meshes are the context's, shared with other kinds."""
    policy = policy or LiftPolicy()
    if not plan.bands_given:
        plan = replace(plan, bands=policy.bands)
    if context is None:
        from bimcheck.context import RunContext

        context, index = RunContext.single(model, cache=cache, timeout=timeout,
                                           threads=threads, progress=progress), 0
    context.request(index, None)
    geometry = context.geometry(index)
    classes = {}
    for gid in geometry.meshes:
        e = model.element(gid)
        classes[gid] = e.is_a() if e is not None else ""
    around = neighbour_meshes(plan.site)
    classes.update({k: "neighbour" for k in around})
    every = {**geometry.meshes, **around}
    shared = Obstacles.build(every, classes)
    # Lifts with the same elements standing share one set of obstacles.
    standing = StandingElements(model, plan.path)
    pool: dict[frozenset[str], Obstacles] = {frozenset(every): shared}
    results = []
    positions: dict[str, list[tuple[float, float]]] = {}
    for lift in plan.lifts:
        crane = plan.cranes[lift.crane]
        r = LiftResult(lift=lift, crane=crane.id, policy=policy)
        results.append(r)
        r.wind = check_wind(crane, lift, plan.site)
        # The elements standing at lift time (all, the selector's, the
        # schedule's), the neighbours always, the lifted element never.
        keep = standing.at_lift(lift, geometry.meshes)
        ids = frozenset(every if keep is None else [*keep, *around]) - {lift.load.element}
        if ids not in pool:
            pool[ids] = Obstacles.build({g: every[g] for g in ids}, classes)
        obstacles = pool[ids]
        r.obstacle_count, r.obstacles_from = len(obstacles.ids), obstacles_from(lift)
        try:
            r.load_weight, r.box = _load(model, plan, lift, geometry.meshes)
        except LiftPlanError as exc:
            r.problems.append(exc.message)
            continue
        too_high = _above_reach(crane, lift, r.box)
        if too_high:
            r.problems.append(too_high)
            continue
        try:
            route = route_lift(crane, lift, r.box, obstacles, plan,
                               avoid_zones=policy.avoid_zones,
                               horizon=policy.clearance_horizon, replan=replan)
        except MotionError as exc:
            r.problems.append(str(exc))
            continue
        r.path, r.planned, r.clearance = replayable(route.path), route.planned, route.clearance
        r.problems.extend(route.problems)
        r.blocking, r.planner_queries = route.blocking, route.planner_queries
        r.planner_note = route.planner_note
        r.zones, r.power_lines = route.zones, route.power_lines
        r.min_name = _element_name(model, r.clearance.min_element)
        r.configurations = configurations(crane, r.path, r.box)
        r.capacity = check_capacity(crane, r.path, r.load_weight, lift.rigging_weight,
                                    plan.bands)
        r.waypoints = hook_positions(crane, r.path.waypoints).tolist()
        configs, _ = sample(crane, r.path, _TRACE_STEP_M)
        trace = hook_positions(crane, configs)
        r.path_length = float(np.linalg.norm(np.diff(trace, axis=0), axis=1).sum())
        positions[lift.id] = [(float(x), float(y)) for x, y in trace[:, :2]]
        r.trace = [(float(x), float(y), float(z)) for x, y, z in trace]
    pairs = crane_pairs(plan, positions)
    weights = {r.lift.id: r.load_weight for r in results if r.load_weight is not None}
    ranked = [c for p in plan.placement for c in rank_placement(plan, p, weights)]
    return CraneReport(model=model, plan=plan, lifts=results, pairs=pairs,
                       failures=geometry.failures, placement=ranked,
                       footprint=_outline(shared, (0, 1)),
                       elevation=_outline(shared, (0, 2)))


def _element_name(model: Model, gid: str | None) -> str | None:
    """The Name of the model element ``gid`` (None for a neighbour or power
    line, or an element without a name)."""
    if gid is None or gid.startswith("neighbour:"):
        return None
    e = model.element(gid)
    name = getattr(e, "Name", None) if e is not None else None
    return str(name) if name else None


def _outline(obstacles: Obstacles, axes: tuple[int, int]) -> Any:
    """Union (shapely) of the elements' bounds projected on two axes."""
    import shapely

    if not obstacles.ids:
        return shapely.Polygon()
    a, b = axes
    boxes = shapely.box(obstacles.lower[:, a], obstacles.lower[:, b],
                        obstacles.upper[:, a], obstacles.upper[:, b])
    return shapely.union_all(boxes)


def _above_reach(crane: Crane, lift: Lift, box: tuple[float, float, float]) -> str | None:
    """Why the hook cannot hang the load where the lift needs it, or None.

    The hook block sits the load's height + slings + block above the load's
    underside: at the pick, the set and the travel height it must stay under
    a trolley tower's hook height, or under a luffing jib's or a boom's tip
    at that radius."""
    hang = box[2] + SLING_HEIGHT + HOOK_BLOCK[2]
    checks = [("pick", lift.pick, lift.pick[2]), ("set", lift.set, lift.set[2]),
              ("travel height", lift.pick, travel_height(lift)),
              ("travel height", lift.set, travel_height(lift))]
    for what, point, z in checks:
        if crane.is_tower:
            assert crane.hook_height is not None
            limit = crane.hook_height
        else:
            assert crane.boom_length is not None
            _, radius = polar(crane, point)
            c = (radius - crane.boom_pivot_offset) / crane.boom_length
            if not -1.0 <= c <= 1.0:
                continue  # out of reach: the motion says so
            limit = (crane.base[2] + crane.boom_pivot_height
                     + crane.boom_length * math.sin(math.acos(c)))
        if z + hang > limit + 1e-9:
            return (f"at the {what} the hook block would be at {z + hang:.2f} m (load "
                    f"underside {z:.2f} m + {hang:.2f} m of load, slings and block), above "
                    f"the {'hook height' if crane.is_tower else crane.arm + ' tip'} of "
                    f"{crane.id} ({limit:.2f} m)")
    return None


def _load(model: Model, plan: LiftPlan, lift: Lift, meshes: dict[str, Mesh]
          ) -> tuple[float, tuple[float, float, float]]:
    """The load's weight (t) and box (m): as given, or from the element: its
    bounds, and its weight or its volume × density."""
    load = lift.load
    if load.box is not None:
        assert load.weight is not None
        return load.weight, load.box
    assert load.element is not None
    mesh = meshes.get(load.element)
    if mesh is None:
        raise LiftPlanError(f"element {load.element} is not in {model.path.name} or has no "
                            "body", path=plan.path, lift=lift.id, field="load.element")
    size = mesh.bounds[1] - mesh.bounds[0]
    box = (float(size[0]), float(size[1]), float(size[2]))
    if load.weight is not None:
        return load.weight, box
    assert load.density is not None
    try:
        volume = solid_volume(mesh)
    except Exception as exc:  # an open mesh has no volume to weigh
        raise LiftPlanError(f"element {load.element} is not a closed solid, so its weight "
                            f"cannot come from a density ({exc}); give load.weight",
                            path=plan.path, lift=lift.id, field="load.density") from None
    return volume * load.density / 1000.0, box
