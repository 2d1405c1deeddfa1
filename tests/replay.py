"""Replay a lift's reported path from its JSON alone, independently of
bimcheck's own path code: interpolate linearly between consecutive waypoints
in (slew angle the short way round, radius, height) about the reported slew
centre, place the load box (its x side along the jib) and the hook block
over it, and measure their distance to the obstacles with fcl directly."""

from __future__ import annotations

import itertools
import math

import fcl
import numpy as np

#: Slings (m) from the load's top to the hook block, and the block's size.
SLINGS = 2.0
BLOCK = (0.6, 0.6, 0.8)


def positions(lift: dict, step: float = 0.05) -> list[tuple[float, float, float, float]]:
    """``(x, y, z, slew °)`` of the load's underside along the reported path,
    no point of the load moving more than ``step`` m between two."""
    cx, cy = lift["configurations"]["slew_centre"][:2]
    half = math.hypot(*lift["load_box"][:2]) / 2
    out = []
    pts = lift["path"]
    for a, b in itertools.pairwise(pts):
        ta, tb = math.atan2(a[1] - cy, a[0] - cx), math.atan2(b[1] - cy, b[0] - cx)
        ra, rb = math.hypot(a[0] - cx, a[1] - cy), math.hypot(b[0] - cx, b[1] - cy)
        dt = (tb - ta + math.pi) % (2 * math.pi) - math.pi  # the short way round
        far = max(ra, rb) + half
        n = max(1, math.ceil((abs(dt) * far + abs(rb - ra) + abs(b[2] - a[2])) / step))
        for k in range(n + 1):
            t = k / n
            th, r, z = ta + dt * t, ra + (rb - ra) * t, a[2] + (b[2] - a[2]) * t
            out.append((cx + r * math.cos(th), cy + r * math.sin(th), z, math.degrees(th)))
    return out


def _rz(deg: float) -> np.ndarray:
    a = math.radians(deg)
    return np.array([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0],
                     [0.0, 0.0, 1.0]])


def min_distance(lift: dict, meshes: dict, clearance: float) -> tuple[float, str | None]:
    """The least distance (m) of the load and hook block to ``meshes``
    ({id: (vertices, faces)}) along the replayed path, and the nearest id.
    Over the pick and the set (the first hoist and the last lower) what lies
    under the load's footprint is its support and not counted."""
    lx, ly, lz = lift["load_box"]
    half = math.hypot(lx, ly) / 2
    objects = {}
    for gid, (v, f) in meshes.items():
        m = fcl.BVHModel()
        m.beginModel(len(v), len(f))
        m.addSubModel(np.asarray(v, dtype=np.float64), np.asarray(f, dtype=np.int32))
        m.endModel()
        v = np.asarray(v)
        objects[gid] = (fcl.CollisionObject(m), v.min(axis=0), v.max(axis=0))
    load = fcl.CollisionObject(fcl.Box(lx, ly, lz))
    block = fcl.CollisionObject(fcl.Box(*BLOCK))
    ends = [lift["path"][0][:2], lift["path"][-1][:2]]
    best, nearest = math.inf, None
    for x, y, z, slew in positions(lift):
        rot = _rz(slew)
        load.setTransform(fcl.Transform(rot, np.array([x, y, z + lz / 2])))
        block.setTransform(fcl.Transform(rot, np.array([x, y, z + lz + SLINGS + BLOCK[2] / 2])))
        over_end = any(abs(x - ex) < 1e-6 and abs(y - ey) < 1e-6 for ex, ey in ends)
        for gid, (obj, lo, hi) in objects.items():
            if (over_end and hi[2] <= z + 1e-9 and lo[0] < x + half and hi[0] > x - half
                    and lo[1] < y + half and hi[1] > y - half):
                continue  # the support under the load over its pick or set
            for part in (load, block):
                d = max(fcl.distance(part, obj, fcl.DistanceRequest(), fcl.DistanceResult()),
                        0.0)
                if d < best:
                    best, nearest = d, gid
    return best, nearest


def slews_between_waypoints(lift: dict) -> list[float]:
    """The slew (°) between each two consecutive waypoints, the short way."""
    cx, cy = lift["configurations"]["slew_centre"][:2]
    out = []
    pts = lift["path"]
    for a, b in itertools.pairwise(pts):
        ta, tb = math.atan2(a[1] - cy, a[0] - cx), math.atan2(b[1] - cy, b[0] - cx)
        out.append(abs(math.degrees((tb - ta + math.pi) % (2 * math.pi) - math.pi)))
    return out


def lift_json(crane, path, box) -> dict:
    """A lift's replay fields as the report writes them (``path``,
    ``load_box``, ``configurations``) for a path found by the planner."""
    from bimcheck.crane.replay import configurations, replayable, waypoints

    path = replayable(path)
    return {"path": waypoints(crane, path), "load_box": list(box),
            "configurations": configurations(crane, path, box)}


def assert_replays_clear(doc: dict, meshes: dict, clearance: float) -> float:
    """Replay ``doc`` against ``meshes`` ({id: Mesh}); assert no two waypoints
    are more than 90° of slew apart and the load and hook block keep the
    clearance less a quarter of it (the dense check's sampling: between two
    samples half a clearance apart a part comes at most that much nearer).
    Returns the least distance."""
    assert max(slews_between_waypoints(doc)) <= 90.0 + 1e-9
    got, _ = min_distance(doc, {k: (m.vertices, m.faces) for k, m in meshes.items()},
                          clearance)
    assert got >= clearance * 0.75
    return got
