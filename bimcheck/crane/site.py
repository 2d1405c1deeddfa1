"""The site around the lift: exclusion zones and overhead power lines.

**Exclusion zones** (roads, neighbours' yards, public walkways): a zone is
crossed when, at some point of the path, the load's plan footprint overlaps
the zone's polygon while the load's height range overlaps the zone's ``z``
range. The footprint at each sample is grown by the sampling step, so the
footprint swept between two samples is covered too: a crossing is never
missed, and a path that stays farther than the step from a zone is never
flagged.

**Neighbours**: each neighbouring building is a closed prism of its plan
polygon and height (:func:`neighbour_meshes`), an obstacle like any element
(reported as ``neighbour:<id>``).

**Power lines**: each span is a thin closed prism of radius
:data:`WIRE_RADIUS` around the segment between two of the line's points, and
the moving parts (load, hook block, hoist line, jib or boom) are checked
against it with :func:`~bimcheck.crane.clearance.check_path` and the
clearance the site's table gives for the line's voltage. Distances are to
the prism's surface, short of the wire's axis by at most the radius.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from bimcheck.crane.clearance import Clearance, Obstacles, check_path
from bimcheck.crane.motion import Path, hook_positions, sample
from bimcheck.crane.plan import MIN_CLEARANCE, Crane, PowerLine, Site, Zone
from bimcheck.geometry.mesh import Mesh, from_arrays

#: Radius (m) of the prism standing for a power line's conductor.
WIRE_RADIUS = 1e-4


@dataclass(frozen=True)
class ZoneCrossing:
    """A zone the load passes over, and where it first does."""

    zone: str
    path_parameter: float
    position: tuple[float, float, float]

    def as_dict(self) -> dict[str, Any]:
        return {"zone": self.zone, "path_parameter": self.path_parameter,
                "position": list(self.position)}


@dataclass(frozen=True)
class LineCheck:
    """A power line's required clearance (m) and what the path keeps from it."""

    line: str
    voltage_kv: float
    required: float
    min_distance: float | None
    body: str | None
    path_parameter: float | None

    @property
    def ok(self) -> bool:
        return self.min_distance is None or self.min_distance >= self.required

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.line, "voltage_kv": self.voltage_kv, "required": self.required,
                "min_distance": self.min_distance, "body": self.body,
                "path_parameter": self.path_parameter, "ok": self.ok}


def zone_crossings(crane: Crane, path: Path, box: tuple[float, float, float],
                   zones: tuple[Zone, ...], step: float) -> list[ZoneCrossing]:
    """The zones the load passes over within their height ranges, in path order."""
    if not zones:
        return []
    configs, params = sample(crane, path, step, extent=math.hypot(box[0], box[1]) / 2)
    hooks, footprints = load_footprints(crane, configs, box, step)
    found = []
    for zone in zones:
        poly = shapely.Polygon(zone.polygon)
        shapely.prepare(poly)
        lo, hi = zone.z
        in_height = (hooks[:, 2] <= hi) & (hooks[:, 2] + box[2] >= lo)
        hit = np.flatnonzero(in_height & shapely.intersects(footprints, poly))
        if len(hit):
            k = int(hit[0])
            found.append(ZoneCrossing(zone.id, float(params[k]),
                                      tuple(float(v) for v in hooks[k])))
    return sorted(found, key=lambda z: (z.path_parameter, z.zone))


def load_footprints(crane: Crane, configs: np.ndarray, box: tuple[float, float, float],
                    margin: float) -> tuple[np.ndarray, np.ndarray]:
    """The load's underside centre (m) at each configuration ``(n, 3)`` and its
    plan footprint there (shapely polygons: the box turned with the jib, its x
    side along it), grown by ``margin`` m."""
    hooks = hook_positions(crane, configs)
    a = np.radians(configs[:, 0])
    c, s = np.cos(a), np.sin(a)
    hx, hy = box[0] / 2, box[1] / 2
    corners = np.stack([
        hooks[:, 0:2] + np.stack([c * dx - s * dy, s * dx + c * dy], axis=1)
        for dx, dy in ((-hx, -hy), (hx, -hy), (hx, hy), (-hx, hy))], axis=1)
    return hooks, shapely.buffer(shapely.polygons(corners), margin, quad_segs=2)


def neighbour_meshes(site: Site, ground: float = 0.0) -> dict[str, Mesh]:
    """The site's neighbouring buildings as closed prisms (their plan polygon
    from ``ground`` up to their height, m), keyed ``neighbour:<id>``."""
    import manifold3d

    out = {}
    for nb in site.neighbours:
        if nb.height <= ground:
            continue
        section = manifold3d.CrossSection([np.asarray(nb.polygon, dtype=np.float64)])
        solid = manifold3d.Manifold.extrude(section, nb.height - ground)
        mesh = solid.to_mesh64()
        verts = np.asarray(mesh.vert_properties, dtype=np.float64)[:, :3] + [0.0, 0.0, ground]
        out[f"neighbour:{nb.id}"] = from_arrays(verts, np.asarray(mesh.tri_verts))
    return out


def wire_mesh(a: np.ndarray, b: np.ndarray, radius: float = WIRE_RADIUS) -> Mesh:
    """A closed triangular prism of ``radius`` (m) around the segment a-b."""
    axis = b - a
    length = float(np.linalg.norm(axis))
    if length <= 0:
        raise ValueError("a power-line span of zero length")
    u = axis / length
    helper = np.array([1.0, 0.0, 0.0]) if abs(u[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    v = np.cross(u, helper)
    v /= np.linalg.norm(v)
    w = np.cross(u, v)
    ring = [radius * (math.cos(t) * v + math.sin(t) * w)
            for t in (0.0, 2 * math.pi / 3, 4 * math.pi / 3)]
    verts = np.array([a + r for r in ring] + [b + r for r in ring])
    faces = np.array([[0, 2, 1], [3, 4, 5],
                      [0, 1, 4], [0, 4, 3], [1, 2, 5], [1, 5, 4], [2, 0, 3], [2, 3, 5]])
    return from_arrays(verts, faces)


def check_power_lines(crane: Crane, path: Path, box: tuple[float, float, float],
                      site: Site, step: float | None = None) -> list[LineCheck]:
    """Each power line's required clearance and the least distance the lift's
    moving parts keep from it, sampled at most ``step`` m apart (default: half
    the line's clearance; the least distance is then exact to the step)."""
    out = []
    for line in site.power_lines:
        required = site.power_line_clearance(line.voltage_kv)
        if required is None:  # the plan's validation refuses this
            raise ValueError(f"no clearance for power line {line.id}")
        result = _line_clearance(crane, path, box, line, max(required, MIN_CLEARANCE), step)
        first = result.first
        # Beyond the horizon nothing of the line was measured: no distance.
        near = None if result.beyond_horizon else result.min_clearance
        out.append(LineCheck(line.id, line.voltage_kv, required, near,
                             result.min_body,
                             first.path_parameter if first is not None else None))
    return out


def _line_clearance(crane: Crane, path: Path, box: tuple[float, float, float],
                    line: PowerLine, required: float, step: float | None) -> Clearance:
    return check_path(crane, path, box, wire_obstacles(line), required, step=step)


@functools.lru_cache(maxsize=64)
def wire_obstacles(line: PowerLine) -> Obstacles:
    """The line's spans as obstacles, built once for all the lifts of a run
    (their fcl BVHs are cached on the meshes)."""
    pts = np.asarray(line.points, dtype=np.float64)
    spans = {f"{line.id}#{k}": wire_mesh(pts[k], pts[k + 1]) for k in range(len(pts) - 1)}
    return Obstacles.build(spans, {k: "power line" for k in spans})
