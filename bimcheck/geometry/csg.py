"""Booleans of straight-edged extrusions, evaluated with manifold3d instead of the kernel.

Steel detailing exports (Tekla) model cut beams and walls as ``CSG`` bodies:
an ``IfcBooleanResult`` tree whose leaves are ``IfcExtrudedAreaSolid`` with a
rectangle or polyline profile. OpenCascade takes 20-100 ms per such element
(2.1 s for the 53 distinct ones of the Tekla model this module covers);
manifold3d builds the same solid in about 1.5 ms, always closed and
consistently oriented. Profiles are triangulated as given
(``manifold3d.triangulate``), not snapped to a grid.

:func:`local_mesh` covers exactly that subset and returns ``None`` for
anything else, which then goes to the kernel as before:

* one representation item, an ``IfcBooleanResult`` (not a clipping result:
  half-spaces are left to the kernel) with operator DIFFERENCE, UNION or
  INTERSECTION, recursively, or a bare ``IfcExtrudedAreaSolid``;
* leaves: ``IfcExtrudedAreaSolid`` (any position and extrusion direction not
  parallel to the profile plane) of an ``IfcRectangleProfileDef``, an
  ``IfcArbitraryClosedProfileDef`` or an ``IfcArbitraryProfileDefWithVoids``
  whose curves are all ``IfcPolyline``;
* the caller only asks for elements without openings.

Coordinates are in the element's own frame (its object placement), in
metres. On the shared models, every element this path covers has the
kernel's bounds to 1e-6 m and its volume to 1e-6 relative
(``tests/shared``).
"""

from __future__ import annotations

import math

import ifcopenshell
import manifold3d
import numpy as np

#: Booleans this module evaluates, by IFC operator.
_OPERATORS = {
    "DIFFERENCE": manifold3d.Manifold.__sub__,
    "UNION": manifold3d.Manifold.__add__,
    "INTERSECTION": manifold3d.Manifold.__xor__,
}

#: Deepest boolean tree followed (files from uploads may nest absurdly).
_MAX_DEPTH = 200


class Unsupported(Exception):
    """The body is outside the subset: leave it to the kernel."""



def local_mesh(
    representation: ifcopenshell.entity_instance, length_scale: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(vertices (n, 3) float64 m, faces (m, 3) int32)`` of a ``CSG`` or
    ``SweptSolid`` body representation in its element's frame, or ``None``
    when it is outside the subset (see the module docstring) or empty."""
    items = representation.Items or ()
    if len(items) != 1:
        return None
    try:
        solid = _solid(items[0], float(length_scale), 0)
    except (Unsupported, AttributeError, TypeError, ValueError, ZeroDivisionError):
        return None
    if solid.status() != manifold3d.Error.NoError or solid.is_empty():
        return None
    mesh = solid.to_mesh64()
    vertices = np.ascontiguousarray(np.asarray(mesh.vert_properties)[:, :3], dtype=np.float64)
    faces = np.ascontiguousarray(mesh.tri_verts, dtype=np.int32)
    if not np.isfinite(vertices).all():
        return None
    return vertices, faces


def _solid(item: ifcopenshell.entity_instance, scale: float, depth: int) -> manifold3d.Manifold:
    if depth > _MAX_DEPTH:
        raise Unsupported("boolean tree too deep")
    kind = item.is_a()
    if kind == "IfcBooleanResult":
        op = _OPERATORS.get(item.Operator)
        if op is None:
            raise Unsupported(item.Operator)
        first = _solid(item.FirstOperand, scale, depth + 1)
        second = _solid(item.SecondOperand, scale, depth + 1)
        return op(first, second)
    if kind == "IfcExtrudedAreaSolid":
        return _extrusion(item, scale)
    raise Unsupported(kind)


def _extrusion(item: ifcopenshell.entity_instance, scale: float) -> manifold3d.Manifold:
    return extrusion(item, scale, _contours(item.SweptArea, scale))


def extrusion(item: ifcopenshell.entity_instance, scale: float,
              rings: list[np.ndarray]) -> manifold3d.Manifold:
    """The solid of an ``IfcExtrudedAreaSolid`` over its profile's ``rings``
    (outer, then holes; metres), in the item's parent frame."""
    depth = float(item.Depth) * scale
    dx, dy, dz = _unit(item.ExtrudedDirection.DirectionRatios)
    if not depth > 0 or abs(dz) < 1e-9:
        raise Unsupported("degenerate extrusion")
    # A unit prism along z, sheared and stretched onto depth × direction.
    sweep = np.array([[1.0, 0.0, depth * dx, 0.0],
                      [0.0, 1.0, depth * dy, 0.0],
                      [0.0, 0.0, depth * dz, 0.0]])
    solid = prism(rings).transform(sweep)
    position = item.Position
    if position is not None:
        solid = solid.transform(placement3d(position, scale)[:3])
    return solid


def prism(contours: list[np.ndarray]) -> manifold3d.Manifold:
    """The closed prism of height 1 over ``contours`` (an outer ring, then holes),
    triangulated as given: no snapping of coordinates to a grid."""
    rings = []
    for k, ring in enumerate(contours):
        area = 0.5 * float(np.sum(ring[:, 0] * np.roll(ring[:, 1], -1)
                                  - np.roll(ring[:, 0], -1) * ring[:, 1]))
        if area == 0.0:
            raise Unsupported("zero-area ring")
        # Outer ring counter-clockwise, holes clockwise: material on the left.
        rings.append(ring if (area > 0) == (k == 0) else ring[::-1])
    points = np.concatenate(rings)
    n = len(points)
    caps = np.asarray(manifold3d.triangulate(rings), dtype=np.int64).reshape(-1, 3)
    sides = []
    start = 0
    for ring in rings:
        i = np.arange(start, start + len(ring))
        j = np.roll(i, -1)
        sides.append(np.stack([i, j, j + n], axis=1))
        sides.append(np.stack([i, j + n, i + n], axis=1))
        start += len(ring)
    faces = np.concatenate([caps[:, ::-1], caps + n, *sides])
    vertices = np.zeros((2 * n, 3))
    vertices[:n, :2] = points
    vertices[n:, :2] = points
    vertices[n:, 2] = 1.0
    solid = manifold3d.Manifold(
        manifold3d.Mesh64(vertices, np.ascontiguousarray(faces, dtype=np.uint64))
    )
    if solid.status() != manifold3d.Error.NoError or not solid.volume() > 0:
        raise Unsupported("profile does not make a valid prism")
    return solid


def _contours(profile: ifcopenshell.entity_instance, scale: float) -> list[np.ndarray]:
    kind = profile.is_a()
    if kind == "IfcRectangleProfileDef":
        hx, hy = float(profile.XDim) * scale / 2, float(profile.YDim) * scale / 2
        if not (hx > 0 and hy > 0):
            raise Unsupported("empty rectangle")
        corners = np.array([[-hx, -hy], [hx, -hy], [hx, hy], [-hx, hy]])
        position = getattr(profile, "Position", None)
        if position is not None:
            m = _placement2d(position, scale)
            corners = corners @ m[:2, :2].T + m[:2, 2]
        return [corners]
    if kind == "IfcArbitraryClosedProfileDef":
        return [_polyline(profile.OuterCurve, scale)]
    if kind == "IfcArbitraryProfileDefWithVoids":
        return [_polyline(profile.OuterCurve, scale),
                *(_polyline(c, scale) for c in profile.InnerCurves or ())]
    raise Unsupported(kind)


def _polyline(curve: ifcopenshell.entity_instance, scale: float) -> np.ndarray:
    if curve.is_a() != "IfcPolyline":
        raise Unsupported(curve.is_a())
    points = np.array([p.Coordinates[:2] for p in curve.Points], dtype=np.float64) * scale
    if len(points) > 1 and np.array_equal(points[0], points[-1]):
        points = points[:-1]
    if len(points) < 3 or not np.isfinite(points).all():
        raise Unsupported("degenerate polyline")
    return points


def _unit(v: tuple[float, ...]) -> tuple[float, float, float]:
    c = [float(x) for x in v]
    c.extend((0.0, 0.0))
    x, y, z = c[:3]
    n = math.sqrt(x * x + y * y + z * z)
    if not (n > 0 and math.isfinite(n)):
        raise Unsupported("zero direction")
    return x / n, y / n, z / n


def placement3d(position: ifcopenshell.entity_instance, scale: float) -> np.ndarray:
    """4×4 matrix of an ``IfcAxis2Placement3D`` (translation in metres), its
    axes made orthonormal the way the kernel does (X projected off Z)."""
    if position.is_a() != "IfcAxis2Placement3D":
        raise Unsupported(position.is_a())
    z = np.array(_unit(position.Axis.DirectionRatios) if position.Axis else (0.0, 0.0, 1.0))
    x = np.array(_unit(position.RefDirection.DirectionRatios) if position.RefDirection
                 else (1.0, 0.0, 0.0))
    x = x - (x @ z) * z
    n = np.linalg.norm(x)
    if n < 1e-9:
        raise Unsupported("parallel axes")
    x /= n
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2] = x, np.cross(z, x), z
    m[:3, 3] = np.array([float(c) for c in position.Location.Coordinates][:3]) * scale
    return m


def _placement2d(position: ifcopenshell.entity_instance, scale: float) -> np.ndarray:
    """3×3 homogeneous matrix of an ``IfcAxis2Placement2D`` (translation in metres)."""
    if position.is_a() != "IfcAxis2Placement2D":
        raise Unsupported(position.is_a())
    x = _unit(position.RefDirection.DirectionRatios) if position.RefDirection else (1.0, 0.0, 0.0)
    n = math.hypot(x[0], x[1])
    if n < 1e-9:
        raise Unsupported("degenerate 2D axis")
    cx, cy = x[0] / n, x[1] / n
    ox, oy = (float(c) * scale for c in position.Location.Coordinates[:2])
    return np.array([[cx, -cy, ox], [cy, cx, oy], [0.0, 0.0, 1.0]])
