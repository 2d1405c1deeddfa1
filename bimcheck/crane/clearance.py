"""Clearance of a lift's moving parts to the model, along its whole path.

The moving parts at a configuration (see :mod:`~bimcheck.crane.motion`):

* ``load``: the load's box, level, its x side along the jib;
* ``hook``: the hook block (:data:`~bimcheck.crane.motion.HOOK_BLOCK`),
  :data:`~bimcheck.crane.motion.SLING_HEIGHT` above the load's top;
* ``line``: the slings and hoist line, a cylinder of radius
  :data:`LINE_RADIUS` from the load's top up to the trolley (or boom tip);
* ``jib``: a trolley tower crane's jib and counter-jib, a box of section
  :data:`JIB_SECTION` from the jib underside up; a boom or a luffing jib, a
  box of section :data:`BOOM_SECTION` from its pivot to its tip (which
  rises as it luffs in);
* ``counter_jib``: a luffing-tower crane's counter-jib (when the plan gives
  one), a horizontal box of section :data:`JIB_SECTION` from the slew centre
  back, its underside at the jib's foot pin.

Each is an fcl primitive (a solid), tested against the elements' meshes
(fcl BVHs, cached on the meshes) at every sample of the path. Samples are
spaced so that no point of any part moves more than half the required
clearance between two of them (:func:`~bimcheck.crane.motion.sample`): a
part that passes within the clearance of an element anywhere is, at the
nearest sample, within 1.5 × the clearance, and one that touches it is
within half the clearance, so a collision is never missed; each sample's
distance is exact to fcl's tolerance. A part wholly inside a closed element
(where no surfaces meet) is found by testing the part's centre for
containment.

Where the load rests (at the pick, and at the set point at the end), it
touches what carries it: while the load's underside is within the
clearance of its pick or set height on the vertical hoist and lower moves,
the load's own distance to elements **below** its underside is not counted
(that support is where it is meant to be); everything else is.

A conflict is a distance under the required clearance (strictly: exactly
the clearance is clear). A collision is a distance of 0. The least distance
along the path is measured up to a horizon (:data:`HORIZON_M` by default):
it is always a number, the horizon itself when nothing comes within it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import fcl
import numpy as np

from bimcheck.crane.motion import (
    HOOK_BLOCK,
    SLING_HEIGHT,
    Path,
    hook_positions,
    sample,
)
from bimcheck.crane.plan import Crane
from bimcheck.geometry import query
from bimcheck.geometry.mesh import Mesh

#: Radius (m) of the cylinder standing for the slings and hoist line.
LINE_RADIUS = 0.05
#: Section (m) of a tower crane's jib: width, depth above its underside.
JIB_SECTION = (2.0, 2.0)
#: Section (m) of a boom: width and depth.
BOOM_SECTION = (1.5, 1.5)
#: How far (m) the least distance of a lift's parts to the model is measured
#: by default (the crane pack's ``clearance_horizon``): beyond it a lift's
#: ``min_clearance`` is the horizon itself, flagged ``beyond_horizon``.
HORIZON_M = 25.0

BODIES = ("load", "hook", "line", "jib", "counter_jib")


@dataclass(frozen=True)
class Conflict:
    """A part within the clearance of an element: at the first sample where it
    is, its distance (m), the hook's position (m) and the path parameter."""

    global_id: str
    ifc_class: str
    body: str
    distance: float
    position: tuple[float, float, float]
    path_parameter: float

    def as_dict(self) -> dict[str, Any]:
        return {"global_id": self.global_id, "ifc_class": self.ifc_class, "body": self.body,
                "distance": self.distance, "position": list(self.position),
                "path_parameter": self.path_parameter}


@dataclass
class Clearance:
    """What a path check found. ``min_clearance`` (m) is the least distance of
    any part to any obstacle along the path, or the horizon when nothing came
    within it (``beyond_horizon``; ``min_element`` is then ``None``)."""

    min_clearance: float = HORIZON_M
    min_element: str | None = None
    min_body: str | None = None
    min_class: str | None = None
    beyond_horizon: bool = True
    conflicts: list[Conflict] = field(default_factory=list)
    samples: int = 0
    queries: int = 0

    @property
    def collides(self) -> bool:
        """Whether a part touches or enters an element anywhere on the path."""
        return self.min_element is not None and self.min_clearance <= 0.0

    @property
    def first(self) -> Conflict | None:
        return min(self.conflicts, key=lambda c: c.path_parameter, default=None)


@dataclass(frozen=True)
class Obstacles:
    """The model's elements as obstacles: meshes, classes and bounds."""

    ids: tuple[str, ...]
    meshes: tuple[Mesh, ...]
    classes: tuple[str, ...]
    lower: np.ndarray  # (m, 3)
    upper: np.ndarray  # (m, 3)
    #: Clearance (m) each obstacle needs beyond the lift's own (a power line's
    #: for its voltage, less the plan's clearance); ``None``: none.
    extra: np.ndarray | None = None

    @classmethod
    def build(cls, meshes: dict[str, Mesh], classes: dict[str, str],
              exclude: Iterable[str] = ()) -> Obstacles:
        skip = set(exclude)
        ids = tuple(sorted(g for g, m in meshes.items() if g not in skip and len(m.faces)))
        ms = tuple(meshes[g] for g in ids)
        lower = np.array([m.bounds[0] for m in ms]).reshape(-1, 3)
        upper = np.array([m.bounds[1] for m in ms]).reshape(-1, 3)
        return cls(ids, ms, tuple(classes.get(g, "") for g in ids), lower, upper)

    def joined(self, other: Obstacles, extra: float) -> Obstacles:
        """These obstacles and ``other``, whose every obstacle needs ``extra``
        m of clearance more (for the planner's node test)."""
        mine = self.extra if self.extra is not None else np.zeros(len(self.ids))
        theirs = (other.extra if other.extra is not None else np.zeros(len(other.ids))) + extra
        return Obstacles(self.ids + other.ids, self.meshes + other.meshes,
                         self.classes + other.classes, np.vstack([self.lower, other.lower]),
                         np.vstack([self.upper, other.upper]), np.concatenate([mine, theirs]))


def _rz(angle_deg: float) -> np.ndarray:
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


class _Parts:
    """The fcl objects of the moving parts, placed per configuration."""

    def __init__(self, crane: Crane, box: tuple[float, float, float]) -> None:
        self.crane = crane
        self.box = box
        self.load = fcl.CollisionObject(fcl.Box(*box))
        self.hook = fcl.CollisionObject(fcl.Box(*HOOK_BLOCK))
        if crane.is_tower:
            assert crane.jib_length is not None
            length = crane.jib_length + crane.counter_jib_length
            self.jib = fcl.CollisionObject(fcl.Box(length, JIB_SECTION[0], JIB_SECTION[1]))
        else:
            assert crane.boom_length is not None
            self.jib = fcl.CollisionObject(fcl.Box(crane.boom_length, *BOOM_SECTION))
        self.counter = (fcl.CollisionObject(fcl.Box(crane.counter_jib_length, *JIB_SECTION))
                        if crane.luffs and crane.counter_jib_length > 0 else None)

    def place(self, config: np.ndarray, hook: np.ndarray
              ) -> list[tuple[str, fcl.CollisionObject, np.ndarray, np.ndarray, np.ndarray]]:
        """``(name, object, lower, upper, centre)`` of each part at ``config``."""
        crane, (lx, ly, lz) = self.crane, self.box
        slew = float(config[0])
        rot = _rz(slew)
        out = []
        centre = hook + np.array([0.0, 0.0, lz / 2])
        self.load.setTransform(fcl.Transform(rot, centre))
        half = np.abs(rot) @ np.array([lx, ly, lz]) / 2
        out.append(("load", self.load, centre - half, centre + half, centre))
        hz = hook[2] + lz + SLING_HEIGHT + HOOK_BLOCK[2] / 2
        hc = np.array([hook[0], hook[1], hz])
        self.hook.setTransform(fcl.Transform(rot, hc))
        hh = np.abs(rot) @ np.array(HOOK_BLOCK) / 2
        out.append(("hook", self.hook, hc - hh, hc + hh, hc))
        a = math.radians(slew)
        direction = np.array([math.cos(a), math.sin(a), 0.0])
        base = np.asarray(crane.base, dtype=np.float64)
        if crane.is_tower:
            assert crane.jib_elevation is not None and crane.jib_length is not None
            top_z = crane.jib_elevation
            mid = (crane.jib_length - crane.counter_jib_length) / 2
            jc = base[:2] + direction[:2] * mid
            jcentre = np.array([jc[0], jc[1], crane.jib_elevation + JIB_SECTION[1] / 2])
            jrot = rot
            jlen = crane.jib_length + crane.counter_jib_length
            jhalf = np.abs(jrot) @ np.array([jlen, *JIB_SECTION]) / 2
        else:
            assert crane.boom_length is not None
            phi = math.radians(float(config[1]))
            pivot = base + np.array([0.0, 0.0, crane.boom_pivot_height]) + \
                direction * crane.boom_pivot_offset
            axis = direction * math.cos(phi) + np.array([0.0, 0.0, math.sin(phi)])
            tip = pivot + axis * crane.boom_length
            top_z = float(tip[2])
            jcentre = (pivot + tip) / 2
            # Boom frame: x along the boom, y horizontal across it, z = x × y.
            y_axis = np.array([-math.sin(a), math.cos(a), 0.0])
            jrot = np.stack([axis, y_axis, np.cross(axis, y_axis)], axis=1)
            jhalf = np.abs(jrot) @ np.array([crane.boom_length, *BOOM_SECTION]) / 2
        self.jib.setTransform(fcl.Transform(jrot, jcentre))
        out.append(("jib", self.jib, jcentre - jhalf, jcentre + jhalf, jcentre))
        if self.counter is not None:  # a luffing tower's, behind the slew centre
            back = crane.counter_jib_length
            cc = base + direction * (-back / 2) + np.array(
                [0.0, 0.0, crane.boom_pivot_height + JIB_SECTION[1] / 2])
            self.counter.setTransform(fcl.Transform(rot, cc))
            ch = np.abs(rot) @ np.array([back, *JIB_SECTION]) / 2
            out.append(("counter_jib", self.counter, cc - ch, cc + ch, cc))
        # The line: from the load's top to the trolley (or the tip), vertical.
        z0, z1 = hook[2] + lz, top_z
        if z1 > z0:
            length = z1 - z0
            lc = np.array([hook[0], hook[1], (z0 + z1) / 2])
            line = fcl.CollisionObject(fcl.Cylinder(LINE_RADIUS, length),
                                       fcl.Transform(np.eye(3), lc))
            r = np.array([LINE_RADIUS, LINE_RADIUS, length / 2])
            out.append(("line", line, lc - r, lc + r, lc))
        return out


def check_path(crane: Crane, path: Path, box: tuple[float, float, float],
               obstacles: Obstacles, clearance: float,
               rest_heights: tuple[float, float] | None = None,
               step: float | None = None, horizon: float = HORIZON_M) -> Clearance:
    """Distances from the lift's moving parts to ``obstacles`` along ``path``.

    ``box``: the load's size (m). ``rest_heights``: the load's underside at
    the pick and at the set point (m; see the module docstring). ``step``:
    the most any point moves between samples (m; default and at most half
    the clearance). ``horizon``: how far the least distance is measured (m;
    at least twice the clearance): ``min_clearance`` is the exact least
    distance when it is under the horizon, else the horizon itself with
    ``beyond_horizon`` set.

    Exact distances are only computed where they can matter: an element is
    measured at a sample when its bounds come within the larger of the
    clearance and the least distance found so far, and when its last exact
    distance, less what the parts can have moved since (``step`` per
    sample), is still under that bound. The result is the same as measuring
    every element at every sample."""
    if clearance <= 0:
        raise ValueError("the required clearance must be > 0 m")
    horizon = max(float(horizon), 2.0 * clearance)
    extent = math.hypot(box[0], box[1]) / 2 + HOOK_BLOCK[0]
    step = clearance / 2 if step is None else min(step, clearance / 2)
    configs, params = sample(crane, path, step, extent=extent)
    hooks = hook_positions(crane, configs)
    parts = _Parts(crane, box)
    result = Clearance(samples=len(configs), min_clearance=horizon, beyond_horizon=True)
    seen: dict[tuple[str, str], Conflict] = {}
    last: dict[tuple[str, int], tuple[float, int]] = {}
    request = fcl.DistanceRequest()
    first_move = path.phases[0] if path.phases else ""
    hoist_end = path.durations[0] / max(path.duration, 1e-12) if first_move == "hoist" else 0.0
    lower_start = 1.0 - (path.durations[-1] / max(path.duration, 1e-12)
                         if path.phases and path.phases[-1] == "lower" else 0.0)
    for k, (config, hook, s) in enumerate(zip(configs, hooks, params, strict=True)):
        placed = parts.place(config, hook)
        load_lo, load_hi = placed[0][2], placed[0][3]  # the load is placed first
        for name, obj, lo, hi, centre in placed:
            bound = max(clearance, result.min_clearance)
            gap = np.maximum(obstacles.lower - hi, lo - obstacles.upper).max(axis=1)
            near = np.flatnonzero(gap < bound)
            resting = (name == "load" and rest_heights is not None and (
                (s <= hoist_end and hook[2] - rest_heights[0] < clearance)
                or (s >= lower_start and hook[2] - rest_heights[1] < clearance)))
            # On the first hoist and the last lower the load leaves or meets
            # its support: what lies under its footprint is not the margin of
            # any part.
            lifting = rest_heights is not None and (s <= hoist_end or s >= lower_start)
            for i in near[np.argsort(gap[near], kind="stable")].tolist():
                bound = max(clearance, result.min_clearance)
                if gap[i] >= bound:
                    break
                if resting and obstacles.upper[i][2] <= hook[2] + 1e-9:
                    continue  # the support under a resting load
                was = last.get((name, i))
                if was is not None and was[0] - step * (k - was[1]) >= bound:
                    continue  # it cannot have come near enough since it was measured
                result.queries += 1
                d = _distance(obj, obstacles.meshes[i], centre, request)
                last[(name, i)] = (d, k)
                gid = obstacles.ids[i]
                under = lifting and bool(
                    obstacles.upper[i][2] <= hook[2] + 1e-9
                    and (obstacles.lower[i][:2] < load_hi[:2]).all()
                    and (obstacles.upper[i][:2] > load_lo[:2]).all())
                if not under and (d < result.min_clearance
                                  or (result.beyond_horizon and d <= horizon)):
                    if d < result.min_clearance:
                        result.min_clearance = d
                    result.min_element, result.min_body = gid, name
                    result.min_class = obstacles.classes[i]
                    result.beyond_horizon = False
                if d < clearance and (gid, name) not in seen:
                    seen[(gid, name)] = Conflict(
                        gid, obstacles.classes[i], name, d,
                        (float(hook[0]), float(hook[1]), float(hook[2])), float(s))
    result.conflicts = sorted(seen.values(), key=lambda c: (c.path_parameter, c.global_id,
                                                             BODIES.index(c.body)))
    return result


def _distance(obj: fcl.CollisionObject, mesh: Mesh, centre: np.ndarray,
              request: fcl.DistanceRequest) -> float:
    """Distance (m) from a part to an element's mesh: fcl's, 0 when they
    touch or when the part's centre lies inside the closed element."""
    d = max(float(fcl.distance(obj, query._fcl_object(mesh), request,
                               fcl.DistanceResult())), 0.0)
    return 0.0 if d > 0.0 and mesh.closed and _inside(mesh, centre) else d


def _inside(mesh: Mesh, point: np.ndarray) -> bool:
    """Whether ``point`` lies inside the closed ``mesh`` (bounds first)."""
    if (point < mesh.bounds[0]).any() or (point > mesh.bounds[1]).any():
        return False
    return bool(query.contains_points(mesh, point.reshape(1, 3))[0])


class Probe:
    """Distances from the moving parts at single configurations (the planner's
    collision test), queries counted."""

    def __init__(self, crane: Crane, box: tuple[float, float, float],
                 obstacles: Obstacles) -> None:
        self.crane, self.obstacles = crane, obstacles
        self.parts = _Parts(crane, box)
        self.request = fcl.DistanceRequest()
        self.queries = 0

    def blocker(self, config: np.ndarray, need: float,
                support_top: float | None = None) -> str | None:
        """An element some part comes within ``need`` m of at ``config`` (the
        nearest by bounds is tried first), or ``None`` when every part keeps
        ``need``: the planner's node test, which stops at the first element
        found too close instead of measuring them all."""
        ob = self.obstacles
        hook = hook_positions(self.crane, config)[0]
        needs = need if ob.extra is None else need + ob.extra
        for name, obj, lo, hi, centre in self.parts.place(config, hook):
            gap = np.maximum(ob.lower - hi, lo - ob.upper).max(axis=1)
            near = np.flatnonzero(gap < needs)
            for i in near[np.argsort(gap[near] - (0.0 if ob.extra is None else ob.extra[near]),
                                     kind="stable")].tolist():
                if (name == "load" and support_top is not None
                        and ob.upper[i][2] <= support_top + 1e-9):
                    continue
                self.queries += 1
                limit = need if ob.extra is None else need + float(ob.extra[i])
                if _distance(obj, ob.meshes[i], centre, self.request) < limit:
                    return ob.ids[i]
        return None
