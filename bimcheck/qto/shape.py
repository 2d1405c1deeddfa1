"""Geometric measures of one mesh, vectorised with numpy and shapely.

Everything is in metres, square metres or cubic metres, in world
coordinates; no loop runs over triangles in Python. These are the building
blocks of the quantity functions in :mod:`bimcheck.qto.functions`.
"""

from __future__ import annotations

import hashlib

import numpy as np
import shapely

from bimcheck.geometry.mesh import Mesh
from bimcheck.units import WELD_TOLERANCE_M

#: Outlines of large meshes already projected, relative to their first corner
#: (at most :data:`_MEMO_SIZE`, oldest dropped first).
_OUTLINE_MEMO: dict[bytes, shapely.Geometry] = {}
_MEMO_SIZE = 256
_MEMO_MIN_TRIANGLES = 500
_MEMO_GRID_M = 1e-9

#: Key, in a mesh's cache, of the part meshes it was joined from.
PARTS = "bimcheck.parts"

#: Precision grid (m) of projected outlines: the weld tolerance of meshes
#: (:data:`bimcheck.units.WELD_TOLERANCE_M`).
OUTLINE_GRID_M = WELD_TOLERANCE_M

#: A triangle whose projection is smaller than this (m²) adds nothing to a
#: projected outline (edge-on faces of a wall seen in elevation).
_SLIVER_M2 = 1e-12


def triangle_areas_normals(mesh: Mesh) -> tuple[np.ndarray, np.ndarray]:
    """Per triangle: area (m², shape ``(m,)``) and unit normal (``(m, 3)``;
    zero for degenerate triangles)."""
    t = mesh.triangles
    cross = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
    norm = np.linalg.norm(cross, axis=1)
    normals = np.divide(cross, norm[:, None], out=np.zeros_like(cross), where=norm[:, None] > 0)
    return 0.5 * norm, normals


def projected_outline(mesh: Mesh, u: np.ndarray, v: np.ndarray) -> shapely.Geometry:
    """The union of the mesh's triangles projected onto the plane spanned by the
    unit vectors ``u`` and ``v`` (plane coordinates in metres): the element's
    silhouette seen along ``u × v``.

    Of a closed mesh only the triangles facing the viewer are projected: every
    line of sight through the solid crosses one of them, so they cover the
    silhouette, with half the triangles. The union is snapped to a
    :data:`OUTLINE_GRID_M` grid, the tolerance at which mesh vertices are
    welded: faces that an exporter left a fraction of a micrometre apart then
    make one outline, not two pieces whose shared edge counts twice in a
    perimeter (a Revit floor: 238.30 m without snapping, 231.35 m with it,
    as the file declares). Areas move by at most the outline's length times
    the grid. A mesh joined from the parts of an aggregate (a curtain wall's
    panels and mullions, :data:`PARTS` in its cache) is projected part by
    part, each closed part by its front faces: the parts touch, so the joined
    mesh is not closed, and uniting its 2,000 triangles at once is 20 ms.
    """
    parts = mesh._cache.get(PARTS)
    if parts:
        outlines = [_outline(part, u, v) for part in parts]
        return _snapped(shapely.union_all([o for o in outlines if not o.is_empty]))
    return _snapped(_outline(mesh, u, v))


def _snapped(outline: shapely.Geometry) -> shapely.Geometry:
    return shapely.make_valid(shapely.set_precision(outline, OUTLINE_GRID_M))


def _outline(mesh: Mesh, u: np.ndarray, v: np.ndarray) -> shapely.Geometry:
    """The union of the projected triangles (facing the viewer when closed).

    Placed copies (the same part of every bay of a curtain wall) project to
    the same triangles moved in the plane. A large mesh is projected relative
    to its first corner, on a 1e-9 m grid, and that outline is kept
    (:data:`_OUTLINE_MEMO`) and moved to each copy: every copy gets the same
    outline whichever came first, so the result does not depend on the order
    (or the process) elements are measured in."""
    t = mesh.triangles
    flat = np.stack([t @ u, t @ v], axis=2)  # (m, 3, 2)
    if len(flat) < _MEMO_MIN_TRIANGLES:
        return _union_of(flat, mesh.closed)
    origin = flat[0, 0].copy()
    relative = np.round((flat - origin) / _MEMO_GRID_M).astype(np.int64)
    key = hashlib.blake2b(relative.tobytes() + bytes([mesh.closed]), digest_size=16).digest()
    found = _OUTLINE_MEMO.get(key)
    if found is None:
        found = _union_of(relative * _MEMO_GRID_M, mesh.closed)
        if len(_OUTLINE_MEMO) >= _MEMO_SIZE:
            _OUTLINE_MEMO.pop(next(iter(_OUTLINE_MEMO)))
        _OUTLINE_MEMO[key] = found
    return shapely.transform(found, lambda c: c + origin)


def _union_of(flat: np.ndarray, closed: bool) -> shapely.Geometry:
    """Union of projected triangles ``flat`` (m, 3, 2); of a closed mesh only
    those facing the viewer (counter-clockwise)."""
    doubled = (flat[:, 1, 0] - flat[:, 0, 0]) * (flat[:, 2, 1] - flat[:, 0, 1]) - (
        flat[:, 2, 0] - flat[:, 0, 0]
    ) * (flat[:, 1, 1] - flat[:, 0, 1])
    seen = doubled if closed else np.abs(doubled)
    keep = seen * 0.5 > _SLIVER_M2
    if not keep.any():
        return shapely.Polygon()
    rings = np.concatenate([flat[keep], flat[keep][:, :1]], axis=1)  # closed rings
    return shapely.union_all(shapely.polygons(rings))


def footprint(mesh: Mesh) -> shapely.Geometry:
    """The outline seen from above (plane x, y)."""
    return projected_outline(mesh, np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))


def extent(mesh: Mesh, axis: np.ndarray) -> float:
    """Length (m) of the mesh's projection on the unit vector ``axis``."""
    p = mesh.vertices @ axis
    return float(p.max() - p.min()) if len(p) else 0.0


def exterior_length(outline: shapely.Geometry) -> float:
    """Length (m) of the outer boundaries of an outline, holes left out."""
    total = 0.0
    for part in getattr(outline, "geoms", [outline]):
        if isinstance(part, shapely.Polygon) and not part.is_empty:
            total += part.exterior.length
    return total


def frame_axes(mesh: Mesh, frame: np.ndarray | None) -> list[np.ndarray]:
    """Three orthonormal directions to measure an element along: the axes of
    its own placement ``frame`` (a 4×4 world matrix), or without one the
    principal axes of its vertices (numpy SVD; for a box, its edges), which
    exist for flat and degenerate meshes too."""
    if frame is not None:
        return [frame[:3, k] / np.linalg.norm(frame[:3, k]) for k in range(3)]
    points = np.asarray(mesh.vertices, dtype=np.float64)
    if len(points) < 2:
        return [np.eye(3)[k] for k in range(3)]
    _, _, vt = np.linalg.svd(points - points.mean(axis=0), full_matrices=True)
    return [vt[k] / np.linalg.norm(vt[k]) for k in range(3)]


def principal_axis(mesh: Mesh, frame: np.ndarray | None) -> np.ndarray:
    """The unit direction along which a linear element (beam, column, member,
    duct, pipe) runs: of its :func:`frame_axes`, the one with the longest
    extent, so the answer does not depend on which local axis the element was
    extruded along."""
    axes = frame_axes(mesh, frame)
    return axes[int(np.argmax([extent(mesh, a) for a in axes]))]


def dominant_normal(mesh: Mesh) -> np.ndarray | None:
    """The direction of the largest total area of parallel faces (both sides
    counted together): a plate's, slab's or wall's face normal, however the
    element is tilted. ``None`` for a mesh without faces."""
    areas, normals = triangle_areas_normals(mesh)
    keep = areas > 0
    if not keep.any():
        return None
    n = normals[keep]
    # One orientation per line: the first clearly non-zero component positive.
    first = np.argmax(np.abs(n) > 1e-9, axis=1)
    n = n * np.sign(n[np.arange(len(n)), first])[:, None]
    keys, inverse = np.unique(np.round(n, 3), axis=0, return_inverse=True)
    totals = np.bincount(inverse.ravel(), weights=areas[keep], minlength=len(keys))
    best = int(np.argmax(totals))
    direction = (n[inverse.ravel() == best] * areas[keep][inverse.ravel() == best, None]).sum(0)
    return direction / np.linalg.norm(direction)


def thin_axis(mesh: Mesh, frame: np.ndarray | None, max_tilt: float | None = None,
              ) -> np.ndarray:
    """A wall's, slab's or plate's thickness direction: of its
    :func:`frame_axes` and its :func:`dominant_normal`, the one with the
    shortest extent (the normal wins for a roof slab tilted in a level
    placement). ``max_tilt`` (degrees) keeps only directions at most that far
    from vertical (a slab's thickness is never horizontal); if none is, the
    vertical."""
    axes = frame_axes(mesh, frame)
    normal = dominant_normal(mesh)
    if normal is not None:
        axes.append(normal)
    if max_tilt is not None:
        steep = np.cos(np.radians(max_tilt)) - 1e-9
        up = np.array([0.0, 0.0, 1.0])
        axes = [a for a in axes if abs(a @ up) >= steep] or [up]
    widths = [extent(mesh, a) for a in axes]
    best = int(np.argmin(widths))
    # Prefer a placement axis when it is as thin (to rounding) as the normal.
    for k, w in enumerate(widths[: len(widths) - (normal is not None)]):
        if w <= widths[best] + 1e-9:
            return axes[k]
    return axes[best]


def plane_axes(normal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors spanning the plane across ``normal``: ``u`` horizontal
    (unless the normal is near vertical, then along world x), ``v = normal × u``."""
    up = np.array([0.0, 0.0, 1.0])
    u = np.cross(normal, up) if abs(normal @ up) < 0.9 else np.cross(normal, [1.0, 0.0, 0.0])
    u = u / np.linalg.norm(u)
    v = np.cross(normal, u)
    return u, v / np.linalg.norm(v)


#: The middle plane is moved this far (m) off the exact middle, so that it does
#: not run through faces that lie there (a wall modelled as two half layers).
_MID_OFFSET_M = 1e-7

#: Above this many faces of the section arrangement the even-odd test would
#: be slow; :func:`mid_section` then gives ``None``.
_MAX_SECTION_FACES = 2000


def mid_section(mesh: Mesh, normal: np.ndarray, at: float | None = None,
                ) -> tuple[shapely.Geometry, np.ndarray, np.ndarray] | None:
    """The section of a closed mesh by the plane across the unit ``normal`` at
    position ``at`` along it (default: the middle of the mesh's extent), as
    polygons in the plane coordinates (u, v) of :func:`plane_axes`, with u and
    v. ``None`` when the plane misses the mesh or the section does not close.

    Triangles are cut where their edges change side (vectorised); every
    crossing point is computed from the edge's two vertex indices in a fixed
    order, so neighbouring triangles give the same point and the segments
    close into rings; the rings are polygonised (shapely) and each face is
    kept by the even-odd rule (inside an odd number of rings)."""
    d_all = mesh.vertices @ normal
    if len(d_all) == 0:
        return None
    if at is None:
        at = 0.5 * (float(d_all.min()) + float(d_all.max()))
    at += _MID_OFFSET_M
    d = d_all - at
    faces = mesh.faces.astype(np.int64)
    side = d[faces] > 0  # (m, 3)
    cut = side.any(axis=1) & ~side.all(axis=1)
    if not cut.any():
        return None
    f = faces[cut]
    s = side[cut]
    # Of each cut triangle's three edges, the two whose ends are on both sides.
    edges = np.stack([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]], axis=1)  # (k, 3, 2)
    crosses = np.stack([s[:, 0] != s[:, 1], s[:, 1] != s[:, 2], s[:, 2] != s[:, 0]], axis=1)
    pairs = edges[crosses].reshape(-1, 2, 2)  # (k, 2 edges, 2 vertex ids)
    a = pairs.min(axis=2)
    b = pairs.max(axis=2)
    da, db = d[a], d[b]
    t = da / (da - db)
    points = mesh.vertices[a] + t[..., None] * (mesh.vertices[b] - mesh.vertices[a])
    u, v = plane_axes(normal)
    flat = np.round(np.stack([points @ u, points @ v], axis=2), 9)  # (k, 2, 2)
    lines = shapely.linestrings(flat)
    arrangement = shapely.polygonize(lines.tolist())
    parts = [g for g in getattr(arrangement, "geoms", []) if not g.is_empty]
    if not parts or len(parts) > _MAX_SECTION_FACES:
        return None
    shells = shapely.polygons([shapely.get_exterior_ring(g) for g in parts])
    inside = []
    for g in parts:
        p = g.representative_point()
        depth = int(shapely.contains_xy(shells, p.x, p.y).sum())
        if depth % 2 == 1:
            inside.append(g)
    if not inside:
        return None
    return shapely.union_all(inside), u, v


def end_cap_area(mesh: Mesh, axis: np.ndarray, tolerance: float = 1e-6) -> float:
    """Area (m²) of the faces that close the two ends of a linear element:
    triangles facing along ``axis`` lying in the first or last plane across it."""
    areas, normals = triangle_areas_normals(mesh)
    along = np.abs(normals @ axis) > 1.0 - 1e-9
    p = mesh.triangles @ axis  # (m, 3) positions along the axis
    along_axis = mesh.vertices @ axis
    lo, hi = float(along_axis.min()), float(along_axis.max())
    at_lo = np.all(np.abs(p - lo) <= tolerance, axis=1)
    at_hi = np.all(np.abs(p - hi) <= tolerance, axis=1)
    return float(areas[along & (at_lo | at_hi)].sum())
