"""The outline of an IFC profile as 2D rings, for the meshers that bypass the kernel.

:func:`contours` gives the outer ring of a profile, then its holes, each an
``(n, 2)`` array in metres in the profile's plane (its ``Position`` applied),
without the closing point repeated. What it covers:

* ``IfcRectangleProfileDef``, ``IfcRoundedRectangleProfileDef``,
  ``IfcRectangleHollowProfileDef`` (inner and outer fillets);
* ``IfcCircleProfileDef``, ``IfcCircleHollowProfileDef``;
* ``IfcIShapeProfileDef``, ``IfcLShapeProfileDef``, ``IfcUShapeProfileDef``,
  ``IfcTShapeProfileDef``, ``IfcCShapeProfileDef`` and ``IfcZShapeProfileDef``
  without fillet or edge radii and without sloped flanges or legs;
* ``IfcArbitraryClosedProfileDef`` and ``IfcArbitraryProfileDefWithVoids``
  whose curves are ``IfcPolyline``, ``IfcIndexedPolyCurve`` (line and arc
  segments), or ``IfcCompositeCurve`` of those and of ``IfcTrimmedCurve`` on
  an ``IfcLine`` or an ``IfcCircle``.

Anything else raises :class:`Unsupported` (the caller leaves the element to
the kernel). Arcs and circles are cut into segments as the kernel's mesher
does (:func:`arc_segments`: equal segments of at most
:data:`ANGULAR_DEFLECTION` radians and at most :data:`LINEAR_DEFLECTION`
metres between chord and arc); a full circle starts at the profile's x axis.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from bimcheck.limits import MAX_PROFILE_POINTS

#: Most radians one segment of an arc spans, and most metres between an arc and
#: its chords: what the kernel gives with IfcOpenShell's default settings
#: (``mesher-angular-deflection`` 0.5, ``mesher-linear-deflection`` 0.001, both
#: halved): a circle is cut into 26 equal segments from its x axis up to a
#: radius of 5 cm, 100 at 1 m, 445 at 20 m.
ANGULAR_DEFLECTION = 0.25
LINEAR_DEFLECTION = 0.0005
#: Fewest segments of any arc, however short (the kernel's: a 0.2° arc of a
#: 1.7 m radius in Janesville's chairs is three chords).
MIN_ARC_SEGMENTS = 3

#: Points closer than this (metres) are one point when curve segments are joined.
_JOIN = 1e-9
#: A composite curve whose ends are further apart than this (metres) is not closed.
_CLOSE = 1e-6
#: Most points of one profile (uploads may hold absurd curves): past it the
#: element is a failure (:class:`TooLarge`), not left to the kernel.
MAX_POINTS = MAX_PROFILE_POINTS


class Unsupported(Exception):
    """The profile is outside what this module covers."""


class TooLarge(Exception):
    """The profile has more points than anything built holds (:data:`MAX_POINTS`):
    the element is a failure, and the kernel is not given it either."""


def arc_segments(radius: float, sweep: float) -> int:
    """How many chords replace an arc of ``radius`` metres over ``sweep`` radians."""
    sweep = abs(sweep)
    n = math.ceil(sweep / ANGULAR_DEFLECTION - 1e-9)
    if radius > LINEAR_DEFLECTION:
        step = 2.0 * math.acos(1.0 - LINEAR_DEFLECTION / radius)
        n = max(n, math.ceil(sweep / step - 1e-9))
    if n > MAX_POINTS:
        raise TooLarge(f"an arc of its profile needs {n} segments, over the limit of "
                       f"{MAX_POINTS:,}")
    return max(n, MIN_ARC_SEGMENTS)


def _arc(cx: float, cy: float, r: float, start: float, sweep: float) -> np.ndarray:
    """Points of an arc from angle ``start`` over ``sweep`` (signed), both ends included."""
    n = arc_segments(r, sweep)
    t = start + sweep * np.arange(n + 1) / n
    return np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], axis=1)


def contours(profile: Any, scale: float, angle_scale: float) -> list[np.ndarray]:
    """Outer ring then holes of ``profile`` (see the module docstring); ``scale``
    is metres per file length unit, ``angle_scale`` radians per file angle unit."""
    kind = profile.is_a()
    build = _PARAMETRIC.get(kind)
    if build is not None:
        rings = build(profile, scale)
        position = getattr(profile, "Position", None)
        if position is not None:
            m = placement2d(position, scale)
            rings = [r @ m[:2, :2].T + m[:2, 2] for r in rings]
    elif kind == "IfcArbitraryClosedProfileDef":
        rings = [curve_points(profile.OuterCurve, scale, angle_scale)]
    elif kind == "IfcArbitraryProfileDefWithVoids":
        rings = [curve_points(profile.OuterCurve, scale, angle_scale),
                 *(curve_points(c, scale, angle_scale) for c in profile.InnerCurves or ())]
    else:
        raise Unsupported(kind)
    for ring in rings:
        if len(ring) < 3 or not np.isfinite(ring).all():
            raise Unsupported("degenerate ring")
    total = sum(len(r) for r in rings)
    if total > MAX_POINTS:
        raise TooLarge(f"its profile has {total:,} points, over the limit of {MAX_POINTS:,}")
    return rings


# -- parametric profiles (in the profile's own frame, centred as IFC defines) --


def _positive(*values: Any) -> list[float]:
    out = []
    for v in values:
        if v is None:
            raise Unsupported("missing dimension")
        f = float(v)
        if not (f > 0 and math.isfinite(f)):
            raise Unsupported("dimension not positive")
        out.append(f)
    return out


def _zero(*values: Any) -> None:
    """Radii and slopes this module does not draw must be absent or zero."""
    for v in values:
        if v is not None and float(v) != 0.0:
            raise Unsupported("fillet, edge radius or slope")


def _box(hx: float, hy: float) -> np.ndarray:
    return np.array([[-hx, -hy], [hx, -hy], [hx, hy], [-hx, hy]])


def _rounded_box(hx: float, hy: float, r: float) -> np.ndarray:
    if r <= 0:
        return _box(hx, hy)
    if r > min(hx, hy) + 1e-12:
        raise Unsupported("rounding radius larger than the box")
    r = min(r, hx, hy)
    corners = [(hx - r, -hy + r, -math.pi / 2), (hx - r, hy - r, 0.0),
               (-hx + r, hy - r, math.pi / 2), (-hx + r, -hy + r, math.pi)]
    return _dedupe(np.concatenate([_arc(cx, cy, r, a, math.pi / 2) for cx, cy, a in corners]))


def _rectangle(p: Any, scale: float) -> list[np.ndarray]:
    x, y = _positive(p.XDim, p.YDim)
    return [_box(x * scale / 2, y * scale / 2)]


def _rounded_rectangle(p: Any, scale: float) -> list[np.ndarray]:
    x, y = _positive(p.XDim, p.YDim)
    r = float(p.RoundingRadius or 0.0) * scale
    return [_rounded_box(x * scale / 2, y * scale / 2, r)]


def _hollow_rectangle(p: Any, scale: float) -> list[np.ndarray]:
    x, y, t = (v * scale for v in _positive(p.XDim, p.YDim, p.WallThickness))
    if 2 * t >= min(x, y):
        raise Unsupported("wall thicker than the box")
    outer = _rounded_box(x / 2, y / 2, float(p.OuterFilletRadius or 0.0) * scale)
    inner = _rounded_box(x / 2 - t, y / 2 - t, float(p.InnerFilletRadius or 0.0) * scale)
    return [outer, inner]


def _circle_ring(r: float) -> np.ndarray:
    return _arc(0.0, 0.0, r, 0.0, 2 * math.pi)[:-1]


def _circle(p: Any, scale: float) -> list[np.ndarray]:
    (r,) = _positive(p.Radius)
    return [_circle_ring(r * scale)]


def _hollow_circle(p: Any, scale: float) -> list[np.ndarray]:
    r, t = (v * scale for v in _positive(p.Radius, p.WallThickness))
    if t >= r:
        raise Unsupported("wall thicker than the radius")
    return [_circle_ring(r), _circle_ring(r - t)]


def _i_shape(p: Any, scale: float) -> list[np.ndarray]:
    _zero(p.FilletRadius, getattr(p, "FlangeEdgeRadius", None), getattr(p, "FlangeSlope", None))
    b, h, tw, tf = (v * scale for v in _positive(p.OverallWidth, p.OverallDepth,
                                                  p.WebThickness, p.FlangeThickness))
    if tw >= b or 2 * tf >= h:
        raise Unsupported("web or flanges too thick")
    x, y, w = b / 2, h / 2, tw / 2
    return [np.array([[-x, -y], [x, -y], [x, -y + tf], [w, -y + tf], [w, y - tf], [x, y - tf],
                      [x, y], [-x, y], [-x, y - tf], [-w, y - tf], [-w, -y + tf],
                      [-x, -y + tf]])]


def _l_shape(p: Any, scale: float) -> list[np.ndarray]:
    _zero(p.FilletRadius, p.EdgeRadius, getattr(p, "LegSlope", None))
    depth, t = (v * scale for v in _positive(p.Depth, p.Thickness))
    width = float(p.Width) * scale if p.Width is not None else depth
    if not width > t or not depth > t:
        raise Unsupported("legs thinner than the thickness")
    x, y = width / 2, depth / 2
    return [np.array([[-x, -y], [x, -y], [x, -y + t], [-x + t, -y + t], [-x + t, y], [-x, y]])]


def _u_shape(p: Any, scale: float) -> list[np.ndarray]:
    _zero(p.FilletRadius, p.EdgeRadius, getattr(p, "FlangeSlope", None))
    h, b, tw, tf = (v * scale for v in _positive(p.Depth, p.FlangeWidth, p.WebThickness,
                                                  p.FlangeThickness))
    if tw >= b or 2 * tf >= h:
        raise Unsupported("web or flanges too thick")
    x, y = b / 2, h / 2
    return [np.array([[-x, -y], [x, -y], [x, -y + tf], [-x + tw, -y + tf], [-x + tw, y - tf],
                      [x, y - tf], [x, y], [-x, y]])]


def _t_shape(p: Any, scale: float) -> list[np.ndarray]:
    _zero(p.FilletRadius, p.FlangeEdgeRadius, p.WebEdgeRadius,
          getattr(p, "WebSlope", None), getattr(p, "FlangeSlope", None))
    h, b, tw, tf = (v * scale for v in _positive(p.Depth, p.FlangeWidth, p.WebThickness,
                                                  p.FlangeThickness))
    if tw >= b or tf >= h:
        raise Unsupported("web or flange too thick")
    x, y, w = b / 2, h / 2, tw / 2
    return [np.array([[-w, -y], [w, -y], [w, y - tf], [x, y - tf], [x, y], [-x, y],
                      [-x, y - tf], [-w, y - tf]])]


def _c_shape(p: Any, scale: float) -> list[np.ndarray]:
    _zero(getattr(p, "InternalFilletRadius", None))
    h, b, t, g = (v * scale for v in _positive(p.Depth, p.Width, p.WallThickness, p.Girth))
    if 2 * t >= h or t >= b or g <= t or 2 * g >= h:
        raise Unsupported("walls too thick")
    x, y = b / 2, h / 2
    return [np.array([[-x, -y], [x, -y], [x, -y + g], [x - t, -y + g], [x - t, -y + t],
                      [-x + t, -y + t], [-x + t, y - t], [x - t, y - t], [x - t, y - g],
                      [x, y - g], [x, y], [-x, y]])]


def _z_shape(p: Any, scale: float) -> list[np.ndarray]:
    _zero(p.FilletRadius, p.EdgeRadius)
    h, b, tw, tf = (v * scale for v in _positive(p.Depth, p.FlangeWidth, p.WebThickness,
                                                  p.FlangeThickness))
    if 2 * tf >= h:
        raise Unsupported("flanges too thick")
    y, w = h / 2, tw / 2
    # The flanges reach FlangeWidth from the web's centre line, as the kernel draws them.
    return [np.array([[-w, -y], [b, -y], [b, -y + tf], [w, -y + tf], [w, y], [-b, y],
                      [-b, y - tf], [-w, y - tf]])]


#: Parametric profile classes (exact class) and their builders.
_PARAMETRIC = {
    "IfcRectangleProfileDef": _rectangle,
    "IfcRoundedRectangleProfileDef": _rounded_rectangle,
    "IfcRectangleHollowProfileDef": _hollow_rectangle,
    "IfcCircleProfileDef": _circle,
    "IfcCircleHollowProfileDef": _hollow_circle,
    "IfcIShapeProfileDef": _i_shape,
    "IfcLShapeProfileDef": _l_shape,
    "IfcUShapeProfileDef": _u_shape,
    "IfcTShapeProfileDef": _t_shape,
    "IfcCShapeProfileDef": _c_shape,
    "IfcZShapeProfileDef": _z_shape,
}

#: Profile classes :func:`contours` may cover (their curves decide the rest).
PROFILE_CLASSES = frozenset(
    [*_PARAMETRIC, "IfcArbitraryClosedProfileDef", "IfcArbitraryProfileDefWithVoids"])


# -- curves -------------------------------------------------------------------


def curve_points(curve: Any, scale: float, angle_scale: float) -> np.ndarray:
    """A closed 2D curve as a ring of points (metres), closing point dropped."""
    points = _curve(curve, scale, angle_scale, 0)
    if len(points) > 1 and np.linalg.norm(points[0] - points[-1]) <= _CLOSE:
        points = points[:-1]
    elif len(points) > 1:
        raise Unsupported("curve is not closed")
    return _dedupe(points)


def _dedupe(points: np.ndarray) -> np.ndarray:
    """Drop points equal (within :data:`_JOIN`) to the one before them."""
    if len(points) < 2:
        return points
    step = np.linalg.norm(np.diff(points, axis=0), axis=1)
    keep = np.concatenate([[True], step > _JOIN])
    points = points[keep]
    if len(points) > 1 and np.linalg.norm(points[0] - points[-1]) <= _JOIN:
        points = points[:-1]
    return points


def _coords(point: Any, scale: float) -> np.ndarray:
    c = [float(v) for v in point.Coordinates]
    if len(c) < 2:
        raise Unsupported("point without two coordinates")
    return np.array(c[:2]) * scale


def _curve(curve: Any, scale: float, angle_scale: float, depth: int) -> np.ndarray:
    if depth > 8:
        raise Unsupported("curves nested too deep")
    kind = curve.is_a()
    if kind == "IfcPolyline":
        pts = curve.Points
        if len(pts) > MAX_POINTS:
            raise TooLarge(f"a polyline of its profile has {len(pts):,} points, over the "
                           f"limit of {MAX_POINTS:,}")
        return np.array([_coords(p, scale) for p in pts])
    if kind == "IfcIndexedPolyCurve":
        return _indexed(curve, scale)
    if kind == "IfcCompositeCurve":
        parts = []
        for segment in curve.Segments:
            if not segment.is_a("IfcCompositeCurveSegment") or segment.is_a() != \
                    "IfcCompositeCurveSegment":
                raise Unsupported(segment.is_a())
            pts = _curve(segment.ParentCurve, scale, angle_scale, depth + 1)
            parts.append(pts if segment.SameSense else pts[::-1])
        return _join(parts)
    if kind == "IfcTrimmedCurve":
        return _trimmed(curve, scale, angle_scale)
    raise Unsupported(kind)


def _join(parts: list[np.ndarray]) -> np.ndarray:
    """Segments end to end; each must start where the previous one ended."""
    out = [parts[0]] if parts else []
    for prev, part in itertools.pairwise(parts):
        if np.linalg.norm(prev[-1] - part[0]) > _CLOSE:
            raise Unsupported("composite curve segments do not meet")
        out.append(part[1:])
    if not out:
        raise Unsupported("empty composite curve")
    return np.concatenate(out)


def _indexed(curve: Any, scale: float) -> np.ndarray:
    points = curve.Points
    if not points.is_a("IfcCartesianPointList2D"):
        raise Unsupported(points.is_a())
    coords = np.array([[float(a), float(b)] for a, b in points.CoordList]) * scale
    segments = curve.Segments
    if not segments:
        return coords
    parts = []
    for seg in segments:
        idx = [int(i) - 1 for i in seg.wrappedValue]
        if min(idx) < 0 or max(idx) >= len(coords):
            raise Unsupported("index out of range")
        if seg.is_a("IfcLineIndex"):
            parts.append(coords[idx])
        elif seg.is_a("IfcArcIndex") and len(idx) == 3:
            parts.append(_three_point_arc(*coords[idx]))
        else:
            raise Unsupported(seg.is_a())
    return _join(parts)


def _three_point_arc(a: np.ndarray, m: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The arc from ``a`` through ``m`` to ``b``."""
    ax, ay = a
    bx, by = b
    mx, my = m
    d = 2 * (ax * (my - by) + mx * (by - ay) + bx * (ay - my))
    if abs(d) < 1e-15:
        raise Unsupported("collinear arc points")
    sa, sm, sb = ax**2 + ay**2, mx**2 + my**2, bx**2 + by**2
    ux = (sa * (my - by) + sm * (by - ay) + sb * (ay - my)) / d
    uy = (sa * (bx - mx) + sm * (ax - bx) + sb * (mx - ax)) / d
    r = math.hypot(ax - ux, ay - uy)
    t0, tm, t1 = (math.atan2(p[1] - uy, p[0] - ux) for p in (a, m, b))
    ccw = (tm - t0) % (2 * math.pi) < (t1 - t0) % (2 * math.pi)
    sweep = (t1 - t0) % (2 * math.pi) if ccw else -((t0 - t1) % (2 * math.pi))
    out = _arc(ux, uy, r, t0, sweep)
    out[0], out[-1] = a, b
    return out


def _trimmed(curve: Any, scale: float, angle_scale: float) -> np.ndarray:
    basis = curve.BasisCurve
    cartesian = curve.MasterRepresentation == "CARTESIAN"
    if basis.is_a("IfcLine"):
        origin = _coords(basis.Pnt, scale)
        vec = basis.Dir
        direction = np.array([float(v) for v in vec.Orientation.DirectionRatios][:2])
        norm = np.linalg.norm(direction)
        if not norm > 0:
            raise Unsupported("line without direction")
        direction = direction / norm * float(vec.Magnitude) * scale

        def at(trim: Any) -> np.ndarray:
            point, param = _trim(trim, cartesian)
            if point is not None:
                return _coords(point, scale)
            return origin + param * direction

        # From the first trim to the second, whichever way the line runs.
        return np.array([at(curve.Trim1), at(curve.Trim2)])
    if basis.is_a("IfcCircle") and basis.is_a() == "IfcCircle":
        m = placement2d(basis.Position, scale)
        (r,) = _positive(basis.Radius)
        r *= scale
        cx, cy = m[0, 2], m[1, 2]
        x_angle = math.atan2(m[1, 0], m[0, 0])

        def angle(trim: Any) -> float:
            point, param = _trim(trim, cartesian)
            if point is not None:
                p = _coords(point, scale)
                return math.atan2(p[1] - cy, p[0] - cx)
            return x_angle + param * angle_scale

        t1, t2 = angle(curve.Trim1), angle(curve.Trim2)
        if curve.SenseAgreement:
            sweep = (t2 - t1) % (2 * math.pi) or 2 * math.pi
        else:
            sweep = -((t1 - t2) % (2 * math.pi) or 2 * math.pi)
        return _arc(cx, cy, r, t1, sweep)
    raise Unsupported(basis.is_a())


def _trim(trim: Any, cartesian: bool) -> tuple[Any, float]:
    """``(point, None)`` or ``(None, parameter)`` of a trimming select, the
    master representation's first."""
    point = param = None
    for value in trim:
        if hasattr(value, "is_a") and value.is_a("IfcCartesianPoint"):
            point = value
        elif hasattr(value, "wrappedValue"):
            param = float(value.wrappedValue)
        elif isinstance(value, float | int):
            param = float(value)
    if point is not None and (cartesian or param is None):
        return point, 0.0
    if param is None:
        raise Unsupported("trim without point or parameter")
    return None, param


# -- placements ---------------------------------------------------------------


def placement2d(position: Any, scale: float) -> np.ndarray:
    """3×3 homogeneous matrix of an ``IfcAxis2Placement2D`` (translation in metres)."""
    if position.is_a() != "IfcAxis2Placement2D":
        raise Unsupported(position.is_a())
    ref = position.RefDirection
    x = [float(v) for v in ref.DirectionRatios][:2] if ref is not None else [1.0, 0.0]
    n = math.hypot(x[0], x[1])
    if not n > 1e-12:
        raise Unsupported("degenerate 2D axis")
    cx, cy = x[0] / n, x[1] / n
    ox, oy = _coords(position.Location, 1.0) * scale
    return np.array([[cx, -cy, ox], [cy, cx, oy], [0.0, 0.0, 1.0]])
