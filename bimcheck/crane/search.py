"""The planner's grid in a crane's configuration space, and A* on it.

A :class:`Grid` is anchored at the pick configuration ``(slew °, reach,
z m)`` with steps chosen so that one set configuration (the slew unwrapped
the short or the long way round) is a node too: about
:data:`SLEW_STEP_M` of movement at the jib tip per slew step,
:data:`REACH_STEP_M` of trolley (or of hook radius per luff step) and
:data:`Z_STEP_M` of hoist. Slew stays within the grid's slew range; the
reach within the load chart's radii (and the jib); the load's underside
between the lower of pick and set and the highest it can hang. Below the
higher of pick and set plus the clearance the load moves only vertically,
over the pick or the set point: it is lifted clear before it slews or
trolleys.

:func:`astar` finds the quickest path between the pick and set nodes
through the nodes a predicate calls free, 6-connected, each move timed at
the crane's speed for its axis; the heuristic (the remaining moves one axis
at a time) is admissible, so the path is the quickest on the grid. An upper
bound (the time of a path already known) prunes every node that cannot
beat it.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bimcheck.crane.motion import HOOK_BLOCK, SLING_HEIGHT, polar, reach_for, tip_height
from bimcheck.crane.plan import Crane, Lift

#: Target grid steps: metres moved by the jib or boom tip per slew step, of
#: trolley (or hook radius) per reach step, of hoist per z step.
SLEW_STEP_M = 1.0
REACH_STEP_M = 1.0
Z_STEP_M = 1.0
#: Least gap (m) between a boom's or luffing jib's tip and the hook block on
#: it, as the highest the load can hang (:func:`z_top`) keeps.
TIP_MARGIN_M = 1.0

Node = tuple[int, int, int]


@dataclass(frozen=True)
class Grid:
    """The lattice of one search: origin, steps, ranges and goal (°, reach, m)."""

    crane: Crane
    origin: tuple[float, float, float]
    steps: tuple[float, float, float]
    slew_range: tuple[float, float]
    reach_range: tuple[float, float]
    z_range: tuple[float, float]
    goal: Node
    z_floor: float
    half_move: float
    costs: tuple[float, float, float]
    #: Load height + slings + hook block (m): for a boom or luffing jib, the
    #: hook block must stay :data:`TIP_MARGIN_M` under the tip at each reach.
    hang: float = 0.0

    @classmethod
    def build(cls, crane: Crane, lift: Lift, box: tuple[float, float, float],
              clearance: float, s1: float, slew_range: tuple[float, float]) -> Grid:
        """The grid from the pick to the set, slewing to ``s1`` (°, unwrapped)."""
        s0, r0 = polar(crane, lift.pick)
        _, r1 = polar(crane, lift.set)
        q0, q1 = reach_for(crane, r0), reach_for(crane, r1)
        z0, z1 = lift.pick[2], lift.set[2]
        far = far_reach(crane, box)
        reach_target = REACH_STEP_M if crane.is_tower else math.degrees(
            REACH_STEP_M / max(crane.boom_length or 1.0, 1.0))
        ds = _step(s1 - s0, math.degrees(SLEW_STEP_M / far))
        dq = _step(q1 - q0, reach_target)
        dz = _step(z1 - z0, Z_STEP_M)
        goal = (round((s1 - s0) / ds), round((q1 - q0) / dq), round((z1 - z0) / dz))
        sp = crane.speeds
        reach_speed = sp.trolley_m_s if crane.is_tower else sp.luff_deg_s
        return cls(crane=crane, origin=(s0, q0, z0), steps=(ds, dq, dz),
                   slew_range=slew_range, reach_range=reach_range(crane),
                   z_range=(min(z0, z1), max(z_top(crane, box), z0, z1)), goal=goal,
                   z_floor=max(z0, z1) + clearance,
                   half_move=0.5 * max(far * math.radians(abs(ds)), _reach_move(crane, dq),
                                       abs(dz)),
                   costs=(abs(ds) / sp.slew_deg_s, abs(dq) / reach_speed,
                          abs(dz) / sp.hoist_m_s),
                   hang=box[2] + SLING_HEIGHT + HOOK_BLOCK[2])

    def config(self, n: Node) -> np.ndarray:
        """The configuration ``(slew °, reach, z m)`` of node ``n``."""
        o, d = self.origin, self.steps
        return np.array([o[0] + n[0] * d[0], o[1] + n[1] * d[1], o[2] + n[2] * d[2]])

    def in_range(self, n: Node) -> bool:
        """Within the ranges, and lifted clear before it moves sideways."""
        c = self.config(n)
        (lo_s, hi_s), (lo_q, hi_q), (lo_z, hi_z) = (self.slew_range, self.reach_range,
                                                    self.z_range)
        if not (lo_s - 1e-9 <= c[0] <= hi_s + 1e-9 and lo_q - 1e-9 <= c[1] <= hi_q + 1e-9
                and lo_z - 1e-9 <= c[2] <= hi_z + 1e-9):
            return False
        if c[2] < self.z_floor - 1e-9 and n[:2] not in ((0, 0), self.goal[:2]):
            return False
        # A boom's or luffing jib's tip sets how high the hook can hang at
        # each reach (the lift-off over the pick and set, checked with the
        # lift itself, excepted).
        return self.crane.is_tower or bool(
            c[2] + self.hang <= tip_height(self.crane, c[1]) - TIP_MARGIN_M + 1e-9
            or (self.on_column(n) and c[2] <= self.z_floor + 1e-9))

    def on_column(self, n: Node) -> bool:
        """Whether ``n`` is over the pick or the set point."""
        return n[:2] in ((0, 0), self.goal[:2])

    def end_in_range(self, n: Node) -> bool:
        """Whether the pick or set node ``n`` lies within the slew and reach ranges."""
        c = self.config(n)
        return (self.reach_range[0] - 1e-9 <= c[1] <= self.reach_range[1] + 1e-9
                and self.slew_range[0] - 1e-9 <= c[0] <= self.slew_range[1] + 1e-9)

    def support(self, n: Node, need: float) -> float | None:
        """The height (m) of the support under a load still resting near the
        pick or the set at node ``n``, or None."""
        z = self.config(n)[2]
        z0, z1 = self.origin[2], self.origin[2] + self.goal[2] * self.steps[2]
        if n[:2] == (0, 0) and z - z0 < need:
            return z0
        if n[:2] == self.goal[:2] and z - z1 < need:
            return z1
        return None

    def h(self, n: Node) -> float:
        """Admissible time (s) still to go from ``n``: each axis on its own."""
        return sum(abs(self.goal[k] - n[k]) * self.costs[k] for k in range(3))


def astar(grid: Grid, free: Callable[[Node], bool], *, upper: float = math.inf,
          max_expansions: int = 400_000, budget: Callable[[], bool] | None = None
          ) -> tuple[list[Node] | None, str]:
    """The quickest free path from the pick node ``(0, 0, 0)`` to the goal,
    quicker than ``upper`` (s), or ``None`` and why: ``"exhausted"`` (no
    such path on the grid) or ``"budget"`` (``budget()`` turned true or the
    expansions ran out first)."""
    start, goal = (0, 0, 0), grid.goal
    frontier = [(grid.h(start), 0.0, start)]
    best = {start: 0.0}
    came: dict[Node, Node] = {}
    expansions = 0
    while frontier:
        _, g, n = heapq.heappop(frontier)
        if n == goal:
            nodes = [n]
            while nodes[-1] in came:
                nodes.append(came[nodes[-1]])
            return nodes[::-1], ""
        if g > best.get(n, math.inf):
            continue
        expansions += 1
        if expansions > max_expansions or (budget is not None and budget()):
            return None, "budget"
        for k in range(3):
            for sign in (1, -1):
                m = list(n)
                m[k] += sign
                nb = (m[0], m[1], m[2])
                ng = g + grid.costs[k]
                if ng + grid.h(nb) >= upper - 1e-9 or ng >= best.get(nb, math.inf) - 1e-12:
                    continue
                if not free(nb):
                    continue
                best[nb] = ng
                came[nb] = n
                heapq.heappush(frontier, (ng + grid.h(nb), ng, nb))
    return None, "exhausted"


def flood_sealed(origin: Node, target: Node, free: Callable[[Node], bool],
                 budget: int) -> bool:
    """True when the free nodes connected to ``origin`` are all found within
    ``budget`` and ``target`` is not among them (a sealed pocket)."""
    seen = {origin}
    todo = [origin]
    while todo:
        n = todo.pop()
        for k in range(3):
            for sign in (1, -1):
                m = list(n)
                m[k] += sign
                nb = (m[0], m[1], m[2])
                if nb in seen or not free(nb):
                    continue
                if nb == target:
                    return False
                seen.add(nb)
                if len(seen) > budget:
                    return False
                todo.append(nb)
    return True


def _step(span: float, target: float) -> float:
    """A step near ``target`` that divides ``span`` into whole steps."""
    if abs(span) < 1e-12:
        return target
    n = max(1, math.ceil(abs(span) / target))
    return span / n


def far_reach(crane: Crane, box: tuple[float, float, float]) -> float:
    """The farthest any moving part reaches from the slew centre (m)."""
    extent = math.hypot(box[0], box[1]) / 2 + HOOK_BLOCK[0]
    if crane.is_tower:
        assert crane.jib_length is not None
        return max(crane.jib_length + extent, crane.counter_jib_length)
    assert crane.boom_length is not None
    return max(crane.boom_pivot_offset + crane.boom_length + extent, crane.tail_radius,
               crane.counter_jib_length)


def _reach_move(crane: Crane, dq: float) -> float:
    if crane.is_tower:
        return abs(dq)
    assert crane.boom_length is not None
    return crane.boom_length * math.radians(abs(dq))


def slew_range(crane: Crane, start: float) -> tuple[float, float]:
    """The unwrapped slew range (°) a search from ``start`` may use: the
    slew limits shifted to contain ``start``, or half a turn either side."""
    if crane.slew_limits is None:
        return start - 180.0, start + 180.0
    lo, hi = crane.slew_limits
    for k in range(-2, 3):
        if lo - 1e-9 <= start + 360.0 * k <= hi + 1e-9:
            shift = -360.0 * k
            return lo + shift, hi + shift
    return start, start


def reach_range(crane: Crane) -> tuple[float, float]:
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


def z_top(crane: Crane, box: tuple[float, float, float]) -> float:
    """Highest the load's underside can hang (m)."""
    hang = box[2] + SLING_HEIGHT + HOOK_BLOCK[2]
    if crane.is_tower:
        assert crane.hook_height is not None
        return crane.hook_height - hang
    return crane.top_elevation - hang - TIP_MARGIN_M
