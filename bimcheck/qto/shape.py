"""Geometric measures of one mesh, vectorised with numpy and shapely.

Everything is in metres, square metres or cubic metres, in world
coordinates; no loop runs over triangles in Python. These are the building
blocks of the quantity functions in :mod:`bimcheck.qto.functions`.
"""

from __future__ import annotations

import numpy as np
import shapely

from bimcheck.geometry.mesh import Mesh

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
    silhouette seen along ``u × v``."""
    t = mesh.triangles
    pu = t @ u
    pv = t @ v
    flat = np.stack([pu, pv], axis=2)  # (m, 3, 2)
    doubled = (flat[:, 1, 0] - flat[:, 0, 0]) * (flat[:, 2, 1] - flat[:, 0, 1]) - (
        flat[:, 2, 0] - flat[:, 0, 0]
    ) * (flat[:, 1, 1] - flat[:, 0, 1])
    keep = np.abs(doubled) * 0.5 > _SLIVER_M2
    if not keep.any():
        return shapely.Polygon()
    rings = np.concatenate([flat[keep], flat[keep][:, :1]], axis=1)  # closed rings
    polygons = shapely.polygons(rings)
    return shapely.make_valid(shapely.union_all(polygons))


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


def thin_axis(mesh: Mesh, frame: np.ndarray | None) -> np.ndarray:
    """Of the :func:`frame_axes`, the one with the shortest extent: a wall's or
    slab's thickness direction."""
    axes = frame_axes(mesh, frame)
    return axes[int(np.argmin([extent(mesh, a) for a in axes]))]


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
