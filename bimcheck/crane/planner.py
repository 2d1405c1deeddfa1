"""A clear lift path when the default one conflicts or crosses a zone.

**What a path must keep clear of.** The model's elements and the site's
neighbours (the lift's clearance), power lines (the clearance for their
voltage) and, when zones are avoided, the exclusion zones within their
height range (the load's plan footprint). All three are obstacles *in the
search*, not only checks afterwards.

**Grid and node test.** The search runs on a grid in the crane's
configuration space (:mod:`~bimcheck.crane.search`). A node is free when
every moving part keeps its clearance **plus** half the largest move of any
point between two neighbouring nodes
(:class:`~bimcheck.crane.clearance.Probe`): every configuration on a move
between two free nodes is within that half-move of one of them, so the move
keeps the clearance. A node is in a zone when the load's footprint, grown by
the half-move and half the clearance, overlaps the zone's polygon within
its heights. Model tests are cached per node and shared by every search of
one direction. Near the pick and the set the load's support is not counted,
as in :func:`~bimcheck.crane.clearance.check_path`.

**Candidates.** Before searching, two paths of the default shape are tried
each way round: hoist, slew then trolley (or trolley then slew), lower, at
the lowest travel height whose load clears the tops of every element under
the path. The quickest clear one bounds the search: A* only looks at nodes
that can beat it, and it is the answer when the search's budget runs out
first.

**Zones.** With ``avoid_zones``, the planner looks first for a path that
crosses no zone; when there is none, for the quickest path that crosses one
zone (each zone allowed in turn), then two, and so on (with more than
:data:`MAX_ZONE_SUBSETS` subsets of a size, every zone is allowed at once).
The reported path crosses the fewest zones possible on the grid, and among
those it is the quickest.

**Directions.** A crane without slew limits is searched the short and the
long way round (each search with a quarter of :data:`MAX_NODES` new node
tests); the quicker clear path wins. When the search for a zone-free path
runs out of budget and the path found crosses a zone, ``Plan.note`` says
so. All the searches of one lift together run at most
:data:`MAX_TOTAL_NODES` node tests.

Every path is simplified (collinear moves merged) and then **checked again
densely** (:func:`~bimcheck.crane.clearance.check_path`, and the power
lines); only a path that passes is reported. When no path is found, the
elements that blocked the most nodes are named.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import shapely

from bimcheck.crane.clearance import Obstacles, Probe, check_path
from bimcheck.crane.motion import (
    Path,
    hook_positions,
    make_path,
    polar,
    sample,
    slew_move,
    tip_height,
    travel_height,
)
from bimcheck.crane.plan import MIN_CLEARANCE, Crane, Lift, Site, Zone
from bimcheck.crane.search import (
    TIP_MARGIN_M,
    Grid,
    Node,
    astar,
    far_reach,
    flood_sealed,
    slew_range,
    z_top,
)
from bimcheck.crane.site import check_power_lines, load_footprints, wire_obstacles

#: Most new model node tests one search may run.
MAX_NODES = 60_000
#: Most model node tests one lift's planning may run in all its searches
#: (each zone subset and direction is a search).
MAX_TOTAL_NODES = 3 * MAX_NODES
#: Most free nodes a flood from the pick or set explores to prove it sealed:
#: a walled yard of 12 × 12 m up to the hook is about 1,500 nodes; a pocket
#: larger than this is left to the search itself.
FLOOD_NODES = 3_000
#: Most zone subsets of one size searched before every zone is allowed.
MAX_ZONE_SUBSETS = 16
#: Spacing (m) of the points a candidate path is tested at.
CANDIDATE_STEP_M = 1.0


@dataclass
class Plan:
    """A planned path (or why there is none), the zones it crosses (by the
    node test) and the search's effort."""

    path: Path | None
    blocking: list[str] = field(default_factory=list)
    nodes_tested: int = 0
    queries: int = 0
    reason: str = ""
    zones: list[str] = field(default_factory=list)
    #: Why the path may not be the best there is (a search cut short), or "".
    note: str = ""


class ZoneTest:
    """Which exclusion zones a load's footprint at a configuration overlaps
    within their heights, its footprint grown by ``margin`` m."""

    def __init__(self, crane: Crane, zones: tuple[Zone, ...],
                 box: tuple[float, float, float], margin: float) -> None:
        self.crane, self.zones, self.box, self.margin = crane, zones, box, margin
        self.polys = [shapely.Polygon(z.polygon) for z in zones]
        for poly in self.polys:
            shapely.prepare(poly)

    def hits(self, configs: np.ndarray) -> list[frozenset[str]]:
        """The zones hit at each configuration of ``configs`` ``(n, 3)``."""
        configs = np.atleast_2d(configs)
        if not self.zones:
            return [frozenset()] * len(configs)
        hooks, feet = load_footprints(self.crane, configs, self.box, self.margin)
        hit = np.zeros((len(configs), len(self.zones)), dtype=bool)
        for k, (zone, poly) in enumerate(zip(self.zones, self.polys, strict=True)):
            lo, hi = zone.z
            rows = (hooks[:, 2] <= hi + self.margin) & (
                hooks[:, 2] + self.box[2] >= lo - self.margin)
            if rows.any():
                hit[rows, k] = shapely.intersects(feet[rows], poly)
        return [frozenset(self.zones[k].id for k in np.flatnonzero(row)) for row in hit]


@dataclass
class _Found:
    path: Path
    zones: frozenset[str]


class _Direction:
    """One way round: its grid, its cached node tests, its candidates."""

    def __init__(self, crane: Crane, lift: Lift, box: tuple[float, float, float],
                 clearance: float, s1: float, srange: tuple[float, float], probe: Probe,
                 zones: tuple[Zone, ...], budget: int, blockers: Counter[str]) -> None:
        self.crane, self.lift, self.box = crane, lift, box
        self.grid = Grid.build(crane, lift, box, clearance, s1, srange)
        self.need = clearance + self.grid.half_move
        #: What a candidate keeps at its samples, CANDIDATE_STEP_M / 2 apart.
        self.candidate_need = clearance + CANDIDATE_STEP_M / 2
        self.probe, self.budget, self.blockers = probe, budget, blockers
        self.model: dict[Node, bool] = {}
        self.zone_of: dict[Node, frozenset[str]] = {}
        self.zone_test = ZoneTest(crane, zones, box, self.grid.half_move + clearance / 2)
        self.s1, self.clearance = s1, clearance
        self.ran_out = False
        self.tested = 0

    def clear(self, n: Node) -> bool:
        """Whether node ``n`` is in range and keeps clear of the model and lines."""
        if n in self.model:
            return self.model[n]
        if not self.grid.in_range(n):
            self.model[n] = False
            return False
        config = self.grid.config(n)
        # Over the pick and the set the nodes need the clearance alone, so
        # that a load picked or set close to a wall is not taken for one
        # inside it; the dense re-check of the path found covers the moves
        # to and from them.
        need = self.clearance if self.grid.on_column(n) else self.need
        self.tested += 1
        gid = self.probe.blocker(config, need, self.grid.support(n, self.need))
        if gid is not None:
            self.blockers[gid] += 1
        self.model[n] = gid is None
        return gid is None

    def zones(self, n: Node) -> frozenset[str]:
        if n not in self.zone_of:
            self.zone_of[n] = self.zone_test.hits(self.grid.config(n))[0]
        return self.zone_of[n]

    def search(self, allowed: frozenset[str], upper: float,
               exhausted: Callable[[], bool] = lambda: False) -> _Found | None:
        def free(n: Node) -> bool:
            return self.zones(n) <= allowed and self.clear(n)

        start = self.tested

        def spent() -> bool:  # each search has the whole budget of new node tests
            return self.tested - start >= self.budget or exhausted()

        nodes, why = astar(self.grid, free, upper=upper, budget=spent)
        self.ran_out = why == "budget"
        if nodes is None:
            return None
        points = [tuple(map(float, self.grid.config(m))) for m in nodes]
        zones = frozenset().union(*(self.zones(m) for m in nodes))
        return _Found(_simplified(self.crane, points), zones)

    def candidates(self, obstacles: Obstacles) -> list[_Found]:
        """Default-shaped paths over everything under them (see the module
        docstring) that keep clear, with the zones they cross."""
        crane, lift, g = self.crane, self.lift, self.grid
        s0, q0, z0 = g.origin
        q1 = q0 + g.goal[1] * g.steps[1]
        z1 = lift.set[2]
        top = z_top(crane, self.box)
        out = []
        for order in (("slew", "reach"), ("reach", "slew")):
            mid = (self.s1, q0) if order[0] == "slew" else (s0, q1)
            level = max(travel_height(lift), g.z_floor)
            for _ in range(2):
                points = [(s0, q0, z0), (s0, q0, level), (*mid, level), (self.s1, q1, level),
                          (self.s1, q1, z1)]
                path = make_path(crane, points, ["hoist", *order, "lower"])
                level_needed = self._clear_level(path, obstacles)
                if level_needed <= level + 1e-9:
                    break
                level = level_needed
            if level > top + 1e-9:
                continue
            found = self._tested(path, level)
            if found is not None:
                out.append(found)
        return out

    def _clear_level(self, path: Path, obstacles: Obstacles) -> float:
        """The lowest load underside (m) over the horizontal moves of ``path``
        whose load clears the tops of the elements its footprint (grown by
        the node clearance) passes over."""
        configs, _ = sample(self.crane, Path(path.waypoints[1:4], path.phases[1:3],
                                             path.durations[1:3]), CANDIDATE_STEP_M)
        hooks = hook_positions(self.crane, configs)[:, :2]
        reach = math.hypot(self.box[0], self.box[1]) / 2 + self.candidate_need + CANDIDATE_STEP_M
        level = float(path.waypoints[1][2])
        if not len(obstacles.ids):
            return level
        for chunk in range(0, len(hooks), 256):
            h = hooks[chunk:chunk + 256, None, :]
            gap = np.maximum(obstacles.lower[None, :, :2] - h, h - obstacles.upper[None, :, :2])
            under = (gap.max(axis=2) < reach).any(axis=0)
            if under.any():
                level = max(level, float(obstacles.upper[under, 2].max())
                            + self.candidate_need + 1e-6)
        return level

    def _tested(self, path: Path, level: float) -> _Found | None:
        """``path`` with its zones when every sample keeps the node clearance."""
        g = self.grid
        step = CANDIDATE_STEP_M
        need = self.candidate_need
        configs, _ = sample(self.crane, path, step / 2,
                            extent=math.hypot(self.box[0], self.box[1]) / 2)
        s0, q0, z0 = g.origin
        end = path.waypoints[-1]
        for c in configs:
            support = None
            if abs(c[0] - s0) < 1e-9 and abs(c[1] - q0) < 1e-9 and c[2] - z0 < need:
                support = z0
            elif (abs(c[0] - end[0]) < 1e-9 and abs(c[1] - end[1]) < 1e-9
                  and c[2] - end[2] < need):
                support = float(end[2])
            if (not self.crane.is_tower and c[2] > g.z_floor
                    and c[2] + g.hang > float(tip_height(self.crane, c[1])) - TIP_MARGIN_M):
                return None  # the hook block would be at or over the tip
            if self.probe.blocker(c, need, support) is not None:
                return None
        zones = ZoneTest(self.crane, self.zone_test.zones, self.box,
                         step / 2 + self.clearance / 2).hits(configs)
        return _Found(path, frozenset().union(*zones))


def plan_path(crane: Crane, lift: Lift, box: tuple[float, float, float],
              obstacles: Obstacles, clearance: float, site: Site | None = None,
              avoid_zones: bool = True) -> Plan:
    """Search a clear path for ``lift`` (see the module docstring).
    ``obstacles``: the model and neighbours; ``site``: its power lines are
    obstacles at their voltage's clearance, its exclusion zones too when
    ``avoid_zones``."""
    site = site or Site()
    world = obstacles
    for line in site.power_lines:
        required = max(site.power_line_clearance(line.voltage_kv) or 0.0, MIN_CLEARANCE)
        world = world.joined(wire_obstacles(line), required - clearance)
    probe = Probe(crane, box, world)
    zones = site.exclusion_zones if avoid_zones else ()
    blockers: Counter[str] = Counter()
    s0, _ = polar(crane, lift.pick)
    s1 = slew_move(crane, s0, polar(crane, lift.set)[0])
    two_ways = crane.slew_limits is None and abs(s1 - s0) > 1e-9
    budget = MAX_NODES // 4 if two_ways else MAX_NODES
    ways = [_Direction(crane, lift, box, clearance, s1, slew_range(crane, s0), probe, zones,
                       budget, blockers)]
    if two_ways:
        s_long = s1 - 360.0 if s1 > s0 else s1 + 360.0
        ways.append(_Direction(crane, lift, box, clearance, s_long, (s0 - 360.0, s0 + 360.0),
                               probe, zones, budget, blockers))

    def effort() -> tuple[int, int]:
        return sum(w.tested for w in ways), probe.queries

    first = ways[0]
    start, goal = (0, 0, 0), first.grid.goal
    if start == goal:
        return Plan(None, [], 0, 0, "the pick and set positions are the same")
    for name, n in (("pick", start), ("set", goal)):
        if not first.grid.end_in_range(n):
            return Plan(None, [], 0, 0, f"the {name} position is outside the crane's working "
                                        "range (load chart radii, slew limits)")
    for name, n in (("pick", start), ("set", goal)):
        if not first.clear(n):
            return Plan(None, _names(blockers), *effort(),
                        f"the {name} position itself is within the clearance of the model "
                        "or of a power line")
    # A target walled in is proved unreachable fastest from its own side.
    for origin, other in ((goal, start), (start, goal)):
        if flood_sealed(origin, other, first.clear, FLOOD_NODES):
            return Plan(None, _names(blockers), *effort(),
                        "no collision-free path: the "
                        f"{'set' if origin == goal else 'pick'} position is walled in")
    shaped = [c for w in ways for c in w.candidates(obstacles)]
    cut_short = False
    for round_no, allowed_sets in enumerate(_zone_subsets(zones)):
        found: list[_Found] = []
        for allowed in allowed_sets:
            known = [c for c in shaped + found if c.zones <= allowed]
            upper = min((c.path.duration for c in known), default=math.inf)
            for way in ways:
                hit = way.search(allowed, upper,
                                 lambda: effort()[0] >= MAX_TOTAL_NODES)
                if hit is not None:
                    found.append(hit)
                    upper = min(upper, hit.path.duration)
                cut_short |= round_no == 0 and way.ran_out
            ids = {id(c) for c in found}
            found.extend(c for c in known if id(c) not in ids)
        checked = _best(crane, lift, box, obstacles, clearance, site, found)
        if checked is not None:
            note = ""
            if checked.zones and cut_short:
                note = (f"the search for a path that crosses no zone stopped at its budget of "
                        f"{budget} node tests; this is the path crossing the fewest zones found")
            return Plan(checked.path, [], *effort(), zones=sorted(checked.zones), note=note)
    if any(w.ran_out for w in ways):
        reason = f"no path found within {budget} node tests"
    else:
        reason = "no collision-free path: every way is blocked"
    if two_ways:
        reason += " (either way round)"
    return Plan(None, _names(blockers), *effort(), reason)


def _zone_subsets(zones: tuple[Zone, ...]) -> list[list[frozenset[str]]]:
    """The allowed zone sets, by size: none, then each one, each two...; a
    size with more than :data:`MAX_ZONE_SUBSETS` subsets allows every zone."""
    ids = [z.id for z in zones]
    out: list[list[frozenset[str]]] = [[frozenset()]]
    for size in range(1, len(ids) + 1):
        combos = list(itertools.combinations(ids, size))
        if len(combos) > MAX_ZONE_SUBSETS:
            out.append([frozenset(ids)])
            break
        out.append([frozenset(c) for c in combos])
    return out


def _best(crane: Crane, lift: Lift, box: tuple[float, float, float], obstacles: Obstacles,
          clearance: float, site: Site, found: list[_Found]) -> _Found | None:
    """The quickest of ``found`` (fewest zones first) that passes the dense
    re-check against the model and the power lines."""
    for c in sorted(found, key=lambda c: (len(c.zones), c.path.duration,
                                          len(c.path.waypoints))):
        dense = check_path(crane, c.path, box, obstacles, clearance,
                           rest_heights=(lift.pick[2], lift.set[2]), horizon=2 * clearance)
        if dense.conflicts:
            continue
        if any(not p.ok for p in check_power_lines(crane, c.path, box, site,
                                                   step=clearance / 2)):
            continue
        return c
    return None


def _simplified(crane: Crane, points: list[tuple[float, ...]]) -> Path:
    """The path through grid ``points`` with collinear moves merged, timed."""
    merged = [points[0]]
    for p in points[1:]:
        if len(merged) >= 2:
            a, b = np.array(merged[-2]), np.array(merged[-1])
            d1, d2 = b - a, np.array(p) - b
            if np.allclose(np.cross(d1, d2), 0.0) and float(np.dot(d1, d2)) > 0:
                merged[-1] = p
                continue
        merged.append(p)
    phases = [_phase(np.array(merged[k]), np.array(merged[k + 1]))
              for k in range(len(merged) - 1)]
    return make_path(crane, [tuple(map(float, p)) for p in merged], phases)


def _phase(a: np.ndarray, b: np.ndarray) -> str:
    d = np.abs(b - a)
    k = int(np.argmax(d))
    if k == 2:
        return "hoist" if b[2] > a[2] else "lower"
    return "slew" if k == 0 else "reach"


def _names(blockers: Counter[str]) -> list[str]:
    return [gid for gid, _ in sorted(blockers.items(), key=lambda x: (-x[1], x[0]))][:20]


__all__ = ["MAX_NODES", "Plan", "ZoneTest", "far_reach", "plan_path"]
