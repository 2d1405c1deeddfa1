"""A collision-free lift path when the default one conflicts: A* on a grid in
the crane's configuration space ``(slew °, reach, z)``.

**Grid.** Anchored at the pick configuration, with steps chosen so that the
set configuration is a node too: about :data:`SLEW_STEP_M` of movement at
the jib tip per slew step, :data:`REACH_STEP_M` of trolley (or of hook
radius per luff step) and :data:`Z_STEP_M` of hoist. Slew stays within the
slew limits; without limits the short way round is searched first (within
half a turn either side of the pick, a quarter of the node budget) and, when
it is blocked, the long way round (within a full turn, another quarter);
the trolley within the load chart's radii (and the jib); the load's
underside between the lower of pick and set and the highest it can hang
(hook height less the hook block, slings and load). Below the higher of
pick and set plus the clearance the load moves only vertically, over the
pick or the set point: it is lifted clear before it slews or trolleys.

**Collision test.** A node is free when every moving part keeps at least
the clearance **plus** half the largest move of any point between two
neighbouring nodes (:class:`~bimcheck.crane.clearance.Probe`): every
configuration on a move between two free nodes is within that half-move of
one of them, so the move keeps the clearance. Node tests are cached. Near
the pick and the set (the same slew and reach, within the inflated
clearance above their heights) the load's support is not counted, as in
:func:`~bimcheck.crane.clearance.check_path`.

**Search.** A* minimising time (each move at the crane's speed for its
axis), with the time of the remaining moves one axis at a time as the
(admissible) heuristic; 6-connected. The path found is simplified (collinear
moves merged) and then **checked again densely** with
:func:`~bimcheck.crane.clearance.check_path`; only a path that passes is
reported. When the search exhausts the free nodes (or its budget of
:data:`MAX_NODES` node tests), there is no path at this resolution, and the
elements that blocked the most nodes are named.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from bimcheck.crane.clearance import Obstacles, Probe, check_path
from bimcheck.crane.motion import (
    HOOK_BLOCK,
    SLING_HEIGHT,
    Path,
    make_path,
    polar,
    reach_for,
    slew_move,
)
from bimcheck.crane.plan import Crane, Lift

#: Target grid steps: metres moved by the jib or boom tip per slew step, of
#: trolley (or hook radius) per reach step, of hoist per z step.
SLEW_STEP_M = 1.0
REACH_STEP_M = 1.0
Z_STEP_M = 1.0
#: Most node tests one search may run.
MAX_NODES = 60_000
#: Most free nodes a flood from the pick or set explores to prove it sealed:
#: a walled yard of 12 × 12 m up to the hook is about 1,500 nodes; a pocket
#: larger than this is left to the search itself.
FLOOD_NODES = 3_000


@dataclass
class Plan:
    """A planned path (or why there is none), with the search's effort."""

    path: Path | None
    blocking: list[str] = field(default_factory=list)
    nodes_tested: int = 0
    queries: int = 0
    reason: str = ""


def plan_path(crane: Crane, lift: Lift, box: tuple[float, float, float],
              obstacles: Obstacles, clearance: float) -> Plan:
    """Search a clear path for ``lift`` (see the module docstring): the short
    way round first; for a crane without slew limits, when that way is
    blocked, the long way round too."""
    s0, _ = polar(crane, lift.pick)
    s1 = slew_move(crane, s0, polar(crane, lift.set)[0])
    free_slew = crane.slew_limits is None and abs(s1 - s0) > 1e-9
    budget = MAX_NODES // 4 if free_slew else MAX_NODES
    short = _plan_once(crane, lift, box, obstacles, clearance, s1, _slew_range(crane, s0),
                       budget)
    if (short.path is not None or crane.slew_limits is not None
            or not short.reason.startswith(("no collision-free path: every way",
                                            "no path found within"))
            or abs(s1 - s0) < 1e-9):
        return short
    s_long = s1 - 360.0 if s1 > s0 else s1 + 360.0
    long = _plan_once(crane, lift, box, obstacles, clearance, s_long,
                      (s0 - 360.0, s0 + 360.0), budget)
    long.nodes_tested += short.nodes_tested
    long.queries += short.queries
    if long.path is not None:
        return long
    short.nodes_tested, short.queries = long.nodes_tested, long.queries
    short.reason += " (either way round)"
    return short


def _plan_once(crane: Crane, lift: Lift, box: tuple[float, float, float],
               obstacles: Obstacles, clearance: float, s1: float,
               slew_range: tuple[float, float], budget: int) -> Plan:
    """One A* search, slewing from the pick's direction to ``s1`` (°,
    unwrapped) within ``slew_range``, with at most ``budget`` node tests."""
    s0, r0 = polar(crane, lift.pick)
    _, r1 = polar(crane, lift.set)
    q0, q1 = reach_for(crane, r0), reach_for(crane, r1)
    z0, z1 = lift.pick[2], lift.set[2]
    far = _far(crane, box)
    slew_target = math.degrees(SLEW_STEP_M / far)
    reach_target = REACH_STEP_M if crane.is_tower else math.degrees(
        REACH_STEP_M / max(crane.boom_length or 1.0, 1.0))
    ds = _step(s1 - s0, slew_target)
    dq = _step(q1 - q0, reach_target)
    dz = _step(z1 - z0, Z_STEP_M)
    lo_s, hi_s = slew_range
    q_lo, q_hi = _reach_range(crane)
    z_lo = min(z0, z1)
    z_hi = max(_z_top(crane, box), z0, z1)
    half_move = 0.5 * max(far * math.radians(ds), _reach_move(crane, dq), dz)
    need = clearance + half_move
    probe = Probe(crane, box, obstacles)
    free: dict[tuple[int, int, int], bool] = {}
    blockers: Counter[str] = Counter()

    def config(n: tuple[int, int, int]) -> np.ndarray:
        return np.array([s0 + n[0] * ds, q0 + n[1] * dq, z0 + n[2] * dz])

    goal = (round((s1 - s0) / ds), round((q1 - q0) / dq), round((z1 - z0) / dz))

    z_floor = max(z0, z1) + clearance

    def is_free(n: tuple[int, int, int]) -> bool:
        if n in free:
            return free[n]
        c = config(n)
        ok = (lo_s - 1e-9 <= c[0] <= hi_s + 1e-9 and q_lo - 1e-9 <= c[1] <= q_hi + 1e-9
              and z_lo - 1e-9 <= c[2] <= z_hi + 1e-9)
        # The load is lifted clear of both supports before it moves sideways.
        if ok and c[2] < z_floor - 1e-9 and n[:2] not in ((0, 0), goal[:2]):
            ok = False
        if ok:
            support = None
            if n[:2] == (0, 0) and c[2] - z0 < need:
                support = z0
            elif n[:2] == goal[:2] and c[2] - z1 < need:
                support = z1
            gid = probe.blocker(c, need, support)
            ok = gid is None
            if gid is not None:
                blockers[gid] += 1
        free[n] = ok
        return ok

    sp = crane.speeds
    reach_speed = sp.trolley_m_s if crane.is_tower else sp.luff_deg_s
    costs = (abs(ds) / sp.slew_deg_s, abs(dq) / reach_speed, abs(dz) / sp.hoist_m_s)

    def h(n: tuple[int, int, int]) -> float:
        return sum(abs(goal[k] - n[k]) * costs[k] for k in range(3))

    start = (0, 0, 0)
    if start == goal:
        return Plan(None, [], 0, 0, "the pick and set positions are the same")
    for name, n in (("pick", start), ("set", goal)):
        c = config(n)
        if not (q_lo - 1e-9 <= c[1] <= q_hi + 1e-9 and lo_s - 1e-9 <= c[0] <= hi_s + 1e-9):
            return Plan(None, [], 0, 0, f"the {name} position is outside the crane's working "
                                        "range (load chart radii, slew limits)")
    if not is_free(start) or not is_free(goal):
        which = "pick" if not free.get(start, True) else "set"
        return Plan(None, _names(blockers), len(free), probe.queries,
                    f"the {which} position itself is within the clearance of the model")
    # A target walled in is proved unreachable fastest from its own side: flood
    # the free nodes around the set (then the pick) within a small budget.
    for origin, other in ((goal, start), (start, goal)):
        sealed = _flood(origin, other, is_free, FLOOD_NODES)
        if sealed:
            return Plan(None, _names(blockers), len(free), probe.queries,
                        "no collision-free path: the "
                        f"{'set' if origin == goal else 'pick'} position is walled in")
    frontier = [(h(start), 0.0, start)]
    best = {start: 0.0}
    came: dict[tuple[int, int, int], tuple[int, int, int]] = {}
    while frontier:
        _, g, n = heapq.heappop(frontier)
        if n == goal:
            nodes = [n]
            while nodes[-1] in came:
                nodes.append(came[nodes[-1]])
            nodes.reverse()
            return _finish(crane, lift, box, obstacles, clearance,
                           [tuple(config(m)) for m in nodes], probe, free, blockers)
        if g > best.get(n, math.inf):
            continue
        if len(free) >= budget:
            return Plan(None, _names(blockers), len(free), probe.queries,
                        f"no path found within {budget} node tests")
        for k in range(3):
            for sign in (1, -1):
                m = list(n)
                m[k] += sign
                nb = (m[0], m[1], m[2])
                if not is_free(nb):
                    continue
                ng = g + costs[k]
                if ng < best.get(nb, math.inf) - 1e-12:
                    best[nb] = ng
                    came[nb] = n
                    heapq.heappush(frontier, (ng + h(nb), ng, nb))
    return Plan(None, _names(blockers), len(free), probe.queries,
                "no collision-free path: every way is blocked")


def _flood(origin: tuple[int, int, int], target: tuple[int, int, int],
           is_free: object, budget: int) -> bool:
    """True when the free nodes connected to ``origin`` are all found within
    ``budget`` and ``target`` is not among them (a sealed pocket)."""
    assert callable(is_free)
    seen = {origin}
    todo = [origin]
    while todo:
        n = todo.pop()
        for k in range(3):
            for sign in (1, -1):
                m = list(n)
                m[k] += sign
                nb = (m[0], m[1], m[2])
                if nb in seen or not is_free(nb):
                    continue
                if nb == target:
                    return False
                seen.add(nb)
                if len(seen) > budget:
                    return False
                todo.append(nb)
    return True


def _finish(crane: Crane, lift: Lift, box: tuple[float, float, float], obstacles: Obstacles,
            clearance: float, points: list[tuple[float, ...]], probe: Probe,
            free: dict, blockers: Counter[str]) -> Plan:
    """Merge collinear moves, time the path, and re-check it densely."""
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
    path = make_path(crane, [tuple(map(float, p)) for p in merged], phases)
    dense = check_path(crane, path, box, obstacles, clearance,
                       rest_heights=(lift.pick[2], lift.set[2]))
    queries = probe.queries + dense.queries
    if dense.conflicts:
        first = dense.first
        assert first is not None
        return Plan(None, _names(blockers), len(free), queries,
                    f"the path found failed the dense re-check at {first.global_id}")
    return Plan(path, [], len(free), queries)


def _phase(a: np.ndarray, b: np.ndarray) -> str:
    d = np.abs(b - a)
    k = int(np.argmax(d))
    if k == 2:
        return "hoist" if b[2] > a[2] else "lower"
    return "slew" if k == 0 else "reach"


def _names(blockers: Counter[str]) -> list[str]:
    return [gid for gid, _ in sorted(blockers.items(), key=lambda x: (-x[1], x[0]))][:20]


def _step(span: float, target: float) -> float:
    """A step near ``target`` that divides ``span`` into whole steps."""
    if abs(span) < 1e-12:
        return target
    n = max(1, math.ceil(abs(span) / target))
    return span / n


def _far(crane: Crane, box: tuple[float, float, float]) -> float:
    extent = math.hypot(box[0], box[1]) / 2 + HOOK_BLOCK[0]
    if crane.is_tower:
        assert crane.jib_length is not None
        return max(crane.jib_length + extent, crane.counter_jib_length)
    assert crane.boom_length is not None
    return crane.boom_pivot_offset + crane.boom_length + extent


def _reach_move(crane: Crane, dq: float) -> float:
    if crane.is_tower:
        return abs(dq)
    assert crane.boom_length is not None
    return crane.boom_length * math.radians(abs(dq))


def _slew_range(crane: Crane, start: float) -> tuple[float, float]:
    if crane.slew_limits is None:
        return start - 180.0, start + 180.0
    lo, hi = crane.slew_limits
    for k in range(-2, 3):
        if lo - 1e-9 <= start + 360.0 * k <= hi + 1e-9:
            shift = -360.0 * k
            return lo + shift, hi + shift
    return start, start


def _reach_range(crane: Crane) -> tuple[float, float]:
    """The reach coordinate's range: chart radii the jib (or boom) covers."""
    chart = crane.load_chart
    if crane.is_tower:
        assert crane.jib_length is not None
        return chart.min_radius, min(chart.max_radius, crane.jib_length)
    assert crane.boom_length is not None and crane.boom_angle is not None
    nearest = crane.boom_pivot_offset + crane.boom_length * math.cos(
        math.radians(crane.boom_angle[1]))
    a = reach_for(crane, min(chart.max_radius, crane.working_radius))
    b = reach_for(crane, max(chart.min_radius, nearest))
    return min(a, b), max(a, b)


def _z_top(crane: Crane, box: tuple[float, float, float]) -> float:
    """Highest the load's underside can hang (m)."""
    hang = box[2] + SLING_HEIGHT + HOOK_BLOCK[2]
    if crane.is_tower:
        assert crane.hook_height is not None
        return crane.hook_height - hang
    return crane.top_elevation - hang - 1.0
