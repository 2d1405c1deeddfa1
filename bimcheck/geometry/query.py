"""Narrow phase: exact queries between two meshes, used by every check.

* :func:`distance` — shortest distance between two elements and the closest
  points (python-fcl), 0 when they intersect, touch or one contains the other;
* :func:`intersects` — do the elements meet at all (surface intersection,
  touching, coplanar overlap, or containment of one closed solid in another);
* :func:`touching` — they meet, but do not penetrate each other;
* :func:`contains_points` — which points lie inside a closed mesh;
* :func:`overlap` — the exact overlap solid of two closed meshes (manifold3d
  boolean intersection): its volume, bounds, penetration depth and centroid.

All inputs and outputs are world coordinates in metres (volumes in m³).

Precision at site coordinates: every computation is done in a local frame
(a float64 translation subtracted first) and translated back, so elements at
e.g. x = 500 000 m, y = 4 000 000 m give the same answers as at the origin.
fcl BVHs are built in each mesh's own frame (its bounds' min corner) and placed
with a translation; manifold3d solids are built from float64 ``Mesh64`` data in
the mesh's own frame and moved into a frame shared by the pair. (manifold3d's
float32 ``Mesh`` would lose up to 0.25 m at y = 4 000 000 m: an overlap of
0.01 m³ there comes out as 0.)

Library pitfalls handled here (measured with python-fcl 0.7 / manifold3d 3.5):

* ``fcl.collide`` misses coplanar overlapping triangles when their common plane
  is not axis-aligned (rounding makes them "almost" coplanar): ~35 % of random
  overlapping coplanar triangle pairs at the origin, ~55 % at site
  coordinates; for boxes stacked face to face and turned about a random axis,
  7 of 200 at the origin and 45 of 200 at site coordinates. ``fcl.distance``
  usually answers 0 for those, but not always: for ~1 in 4 000 overlapping
  coplanar triangle pairs it returned 2-10 mm. An explicit, tolerance-based
  coplanar test (:func:`_coplanar_contact`) covers both.
* fcl only sees surfaces: a solid entirely inside another has a positive fcl
  distance and no fcl collision. A point-in-mesh test adds containment.
* When surfaces intersect, fcl's distance is 0 but its "nearest points" are two
  different points on the two surfaces; :func:`distance` returns one point on
  the intersection instead.
* manifold3d accepts an inward-facing (inverted) closed mesh and reports a
  negative volume; :func:`overlap` rejects it.
"""

from __future__ import annotations

from dataclasses import dataclass

import fcl
import manifold3d
import numpy as np

from bimcheck.errors import GeometryError
from bimcheck.geometry.index import candidate_pairs
from bimcheck.geometry.mesh import Mesh, solid_shells
from bimcheck.units import CONTACT_TOLERANCE_M

#: Ray directions for the point-in-mesh parity test (unit vectors, generic so
#: that rays along grid-aligned building geometry do not graze edges; three of
#: them so a majority vote survives one degenerate ray).
_RAY_DIRECTIONS = np.array(
    [
        [0.5773502691896258, 0.5707257226932217, 0.5839559377449611],
        [-0.6411842041330551, 0.3150897313893829, 0.6996916219357093],
        [0.2418489547093006, -0.8671542187713512, 0.4353412128413009],
    ]
)
_RAY_DIRECTIONS = _RAY_DIRECTIONS / np.linalg.norm(_RAY_DIRECTIONS, axis=1, keepdims=True)

#: At most this many face normals of an overlap solid are tried when measuring
#: its width (count; the largest faces first).
_MAX_WIDTH_DIRECTIONS = 256

#: Below this many triangle pairs (count), :func:`_coplanar_contact` compares
#: triangle bounds directly instead of using the grid broad phase.
_BRUTE_FORCE_PAIRS = 65_536

#: Work-array budget (points × triangles per chunk) for :func:`contains_points`.
_CHUNK_ELEMENTS = 2_000_000


@dataclass(frozen=True)
class Distance:
    """Result of :func:`distance`.

    ``distance`` in metres (0 when the elements intersect, touch or one closed
    solid contains the other); ``point_a`` on ``a`` and ``point_b`` on ``b``
    (world coordinates, metres) realise it. When the distance is 0 both are the
    same point: a point of the intersection, or a vertex of the contained mesh.
    ``intersecting`` is True exactly when the distance is 0.
    """

    distance: float
    point_a: np.ndarray
    point_b: np.ndarray
    intersecting: bool


@dataclass(frozen=True)
class Overlap:
    """Result of :func:`overlap`: the solid shared by two closed meshes.

    ``volume`` in m³ (0 when the solids are apart or only touch). ``bounds``
    ``[[xmin, ymin, zmin], [xmax, ymax, zmax]]`` of the overlap solid, metres,
    or None when there is no overlap. ``depth`` in metres: the smallest extent
    of those bounds, a penetration-depth measure (exact for axis-aligned
    elements; for rotated ones it over-states, since a thin slab of overlap
    lying diagonally has wide axis-aligned bounds). ``width`` in metres: the
    smallest width of the overlap solid measured across its own face normals
    and the three axes, so ``width <= depth``; for two boxes it is the
    penetration depth whatever their orientation. ``centroid`` (metres): the
    volume centroid of the overlap solid, a point to locate the clash at, or
    None when there is no overlap. Without overlap, ``depth`` and ``width``
    are 0.
    """

    volume: float
    bounds: np.ndarray | None
    depth: float
    width: float
    centroid: np.ndarray | None


#: What :func:`overlap` gives for solids that share no volume (one object:
#: the clash checks keep every pair's result for the run).
_NO_OVERLAP = Overlap(volume=0.0, bounds=None, depth=0.0, width=0.0, centroid=None)


# -- per-mesh caches ------------------------------------------------------------


class _Handle:
    """Holds a library object (fcl BVH, manifold3d solid) in ``Mesh._cache``.

    Those objects cannot be pickled; a handle pickles as an empty handle, so a
    mesh can still be sent to another process (which rebuilds on first use).
    """

    __slots__ = ("value",)

    def __init__(self, value: object = None) -> None:
        self.value = value

    def __reduce__(self) -> tuple:
        return (_Handle, ())


def _cached(mesh: Mesh, key: str) -> object | None:
    handle = mesh._cache.get(key)
    return handle.value if isinstance(handle, _Handle) else None


# -- fcl ---------------------------------------------------------------------


def _require_faces(mesh: Mesh, name: str) -> None:
    """GeometryError unless ``mesh`` is a Mesh with triangles and finite
    vertices (the verdict is cached on the mesh: the pair tests ask it of the
    same mesh once per pair)."""
    if not isinstance(mesh, Mesh):
        raise GeometryError(f"{name}: expected a Mesh, got {type(mesh).__name__}")
    if mesh._cache.get("usable") is True:
        return
    if len(mesh.faces) == 0:
        raise GeometryError(f"{name}: mesh has no triangles")
    if not np.isfinite(mesh.vertices).all():
        raise GeometryError(f"{name}: mesh has NaN or infinite vertex coordinates")
    mesh._cache["usable"] = True


def _fcl_object(mesh: Mesh) -> fcl.CollisionObject:
    """The mesh as an fcl collision object, cached on the mesh ("fcl_bvh").

    The BVH (OBBRSS) holds vertices relative to the mesh's min corner; the
    object's transform translates them back to world coordinates (metres).
    """
    obj = _cached(mesh, "fcl_bvh")
    if obj is None:
        origin = np.array(mesh.bounds[0], dtype=np.float64)
        model = fcl.BVHModel()
        model.beginModel(len(mesh.faces), len(mesh.vertices))
        model.addSubModel(mesh.vertices - origin, mesh.faces)
        model.endModel()
        obj = fcl.CollisionObject(model, fcl.Transform(origin))
        mesh._cache["fcl_bvh"] = _Handle(obj)
    return obj


def _fcl_distance(a: Mesh, b: Mesh) -> tuple[float, np.ndarray, np.ndarray, int, int]:
    """fcl's surface distance (metres), nearest points (world, metres) and the
    indices of the two triangles that realise it."""
    request = fcl.DistanceRequest(enable_nearest_points=True)
    result = fcl.DistanceResult()
    d = fcl.distance(_fcl_object(a), _fcl_object(b), request, result)
    pa, pb = (np.asarray(p, dtype=np.float64) for p in result.nearest_points)
    return float(d), pa, pb, int(result.b1), int(result.b2)


def _fcl_collide(a: Mesh, b: Mesh) -> bool:
    result = fcl.CollisionResult()
    fcl.collide(_fcl_object(a), _fcl_object(b), fcl.CollisionRequest(), result)
    return bool(result.is_collision)


# -- small geometric helpers ------------------------------------------------------


def _bounds_gap(a: Mesh, b: Mesh) -> float:
    """Largest per-axis gap between the two meshes' bounds, metres (<= 0 when
    the boxes overlap or touch)."""
    gap = np.maximum(a.bounds[0] - b.bounds[1], b.bounds[0] - a.bounds[1])
    return float(gap.max())


def bounds_overlap(a: Mesh, b: Mesh) -> np.ndarray:
    """Per-axis extents (metres, shape ``(3,)``) of the intersection of the two
    meshes' bounding boxes; an extent is negative on an axis where they are apart."""
    return np.minimum(a.bounds[1], b.bounds[1]) - np.maximum(a.bounds[0], b.bounds[0])


def _bounds_inside(inner: Mesh, outer: Mesh, tol: float) -> bool:
    return bool(
        (inner.bounds[0] >= outer.bounds[0] - tol).all()
        and (inner.bounds[1] <= outer.bounds[1] + tol).all()
    )


def _segment_triangle_points(p: np.ndarray, q: np.ndarray, tri: np.ndarray, tol: float) -> list:
    """Where segment ``p``-``q`` crosses triangle ``tri`` (3×3), if it does
    transversally; points in the same frame as the input."""
    d = q - p
    e1, e2 = tri[1] - tri[0], tri[2] - tri[0]
    n = np.cross(e1, e2)
    denom = float(np.dot(n, d))
    scale = float(np.linalg.norm(n) * np.linalg.norm(d))
    if scale == 0.0 or abs(denom) <= 1e-12 * scale:
        return []
    t = float(np.dot(n, tri[0] - p)) / denom
    length = float(np.linalg.norm(d))
    if t < -tol / length or t > 1 + tol / length:
        return []
    x = p + t * d
    if _in_triangle_3d(x, tri, tol):
        return [x]
    return []


def _in_triangle_3d(x: np.ndarray, tri: np.ndarray, tol: float) -> bool:
    """Is ``x`` (assumed on the triangle's plane) inside ``tri`` within ``tol`` metres."""
    for k in range(3):
        a, b, c = tri[k], tri[(k + 1) % 3], tri[(k + 2) % 3]
        edge = b - a
        n = np.cross(edge, c - a)
        inward = np.cross(n, edge)
        norm = float(np.linalg.norm(inward))
        if norm == 0.0:
            return False
        if float(np.dot(x - a, inward)) / norm < -tol:
            return False
    return True


def _triangle_contact_point(ta: np.ndarray, tb: np.ndarray, tol: float) -> np.ndarray | None:
    """A point common to two triangles (3×3 each, metres, same local frame), or
    None. The mean of points of the (convex) intersection lies in it."""
    points: list[np.ndarray] = []
    for tri, other in ((ta, tb), (tb, ta)):
        for k in range(3):
            points += _segment_triangle_points(tri[k], tri[(k + 1) % 3], other, tol)
    if not points:
        # Coplanar: vertices of one inside the other, and edge crossings.
        n = np.cross(ta[1] - ta[0], ta[2] - ta[0])
        norm = float(np.linalg.norm(n))
        if norm == 0.0:
            return None
        n = n / norm
        for tri, other in ((ta, tb), (tb, ta)):
            for v in tri:
                if abs(float(np.dot(v - other[0], n))) <= tol and _in_triangle_3d(v, other, tol):
                    points.append(v)
        for i in range(3):
            p, q = ta[i], ta[(i + 1) % 3]
            for j in range(3):
                r, s = tb[j], tb[(j + 1) % 3]
                x = _coplanar_segments_crossing(p, q, r, s, n)
                if x is not None:
                    points.append(x)
    if not points:
        return None
    return np.mean(points, axis=0)


def _coplanar_segments_crossing(
    p: np.ndarray, q: np.ndarray, r: np.ndarray, s: np.ndarray, n: np.ndarray
) -> np.ndarray | None:
    """Crossing of two segments lying in a plane with unit normal ``n``."""
    d1, d2 = q - p, s - r
    denom = float(np.dot(np.cross(d1, d2), n))
    if abs(denom) <= 1e-15 * max(float(np.dot(d1, d1) * np.dot(d2, d2)), 1e-300):
        return None
    w = r - p
    t = float(np.dot(np.cross(w, d2), n)) / denom
    u = float(np.dot(np.cross(w, d1), n)) / denom
    if -1e-9 <= t <= 1 + 1e-9 and -1e-9 <= u <= 1 + 1e-9:
        return p + t * d1
    return None


def _coplanar_contact(a: Mesh, b: Mesh, tol: float) -> np.ndarray | None:
    """A point (world, metres) where a triangle of ``a`` and a triangle of ``b``
    lie in the same plane (within ``tol`` metres) and overlap or touch, or None.

    This is the test fcl gets wrong for coplanar faces off the axis planes.
    Only triangles inside the (tolerance-grown) intersection of the two meshes'
    bounds are examined, paired with the broad phase, and tested with the
    separating-axis theorem in their common plane.
    """
    lo = np.maximum(a.bounds[0], b.bounds[0]) - tol
    hi = np.minimum(a.bounds[1], b.bounds[1]) + tol
    if (lo > hi).any():
        return None
    origin = lo
    ta = _triangles_in_box(a, lo, hi) - origin
    tb = _triangles_in_box(b, lo, hi) - origin
    if len(ta) == 0 or len(tb) == 0:
        return None
    bounds_a = np.stack([ta.min(axis=1), ta.max(axis=1)], axis=1)
    bounds_b = np.stack([tb.min(axis=1), tb.max(axis=1)], axis=1)
    if len(ta) * len(tb) <= _BRUTE_FORCE_PAIRS:
        near = (
            (bounds_a[:, None, 0] - tol <= bounds_b[None, :, 1])
            & (bounds_b[None, :, 0] - tol <= bounds_a[:, None, 1])
        ).all(axis=2)
        pairs = np.argwhere(near)
    else:
        pairs = candidate_pairs(bounds_a, bounds_b, expand=tol)
    if len(pairs) == 0:
        return None
    pa, pb = ta[pairs[:, 0]], tb[pairs[:, 1]]
    na = _unit_normals(pa)
    nb = _unit_normals(pb)
    ok = np.isfinite(na).all(axis=1) & np.isfinite(nb).all(axis=1)
    # Every vertex of each triangle within tol of the other's plane.
    da = np.einsum("pkj,pj->pk", pb - pa[:, :1], na)
    db = np.einsum("pkj,pj->pk", pa - pb[:, :1], nb)
    ok &= (np.abs(da) <= tol).all(axis=1) & (np.abs(db) <= tol).all(axis=1)
    if not ok.any():
        return None
    pa, pb, na = pa[ok], pb[ok], na[ok]
    # 2-D frame in a's plane.
    u = pa[:, 1] - pa[:, 0]
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    w = np.cross(na, u)
    a2 = np.stack([np.einsum("pkj,pj->pk", pa, u), np.einsum("pkj,pj->pk", pa, w)], axis=2)
    b2 = np.stack([np.einsum("pkj,pj->pk", pb, u), np.einsum("pkj,pj->pk", pb, w)], axis=2)
    separated = np.zeros(len(pa), dtype=bool)
    for tri in (a2, b2):
        for k in range(3):
            edge = tri[:, (k + 1) % 3] - tri[:, k]
            axis = np.stack([-edge[:, 1], edge[:, 0]], axis=1)
            axis /= np.maximum(np.linalg.norm(axis, axis=1, keepdims=True), 1e-300)
            proj_a = np.einsum("pkj,pj->pk", a2, axis)
            proj_b = np.einsum("pkj,pj->pk", b2, axis)
            separated |= (proj_a.max(axis=1) < proj_b.min(axis=1) - tol) | (
                proj_b.max(axis=1) < proj_a.min(axis=1) - tol
            )
    hits = np.flatnonzero(~separated)
    if len(hits) == 0:
        return None
    k = int(hits[0])
    point = _triangle_contact_point(pa[k], pb[k], tol)
    if point is None:
        point = pa[k].mean(axis=0)
    return point + origin


def _triangles_in_box(mesh: Mesh, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Triangle corners (m, 3, 3), metres, of triangles whose bounds meet [lo, hi]."""
    tri = mesh.triangles
    keep = ((tri.max(axis=1) >= lo) & (tri.min(axis=1) <= hi)).all(axis=1)
    return tri[keep]


def _unit_normals(tri: np.ndarray) -> np.ndarray:
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    norm = np.linalg.norm(n, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, n / np.where(norm > 0, norm, 1.0), np.nan)


def _contained_vertex(a: Mesh, b: Mesh, tol: float) -> np.ndarray | None:
    """A vertex of one closed mesh that lies inside the other (world, metres),
    when one solid may contain the other (its bounds fit inside), else None.

    Call only when the surfaces do not meet: then either every vertex of the
    inner mesh is inside the outer one or none is, so one vertex decides.
    """
    if not (a.closed and b.closed):
        return None
    for inner, outer in ((a, b), (b, a)):
        if _bounds_inside(inner, outer, tol):
            vertex = inner.vertices[:1]
            if contains_points(outer, vertex, tol=tol)[0]:
                return np.array(vertex[0], dtype=np.float64)
    return None


# -- public API ------------------------------------------------------------


def distance(a: Mesh, b: Mesh) -> Distance:
    """Shortest distance between two meshes, in metres, with the closest points.

    Uses fcl BVHs (cached on each mesh). The distance is 0 when the surfaces
    intersect or touch (including coplanar overlapping faces) and when one
    closed mesh lies entirely inside the other (solids overlap although the
    surfaces do not); the two returned points are then the same point of the
    intersection (or a vertex of the inner mesh). Otherwise it is the distance
    between the surfaces, realised by ``point_a`` on ``a`` and ``point_b`` on
    ``b``. Raises :class:`GeometryError` for a mesh with no triangles.
    """
    _require_faces(a, "a")
    _require_faces(b, "b")
    d, pa, pb, ia, ib = _fcl_distance(a, b)
    if d <= 0.0:
        point = None
        if 0 <= ia < len(a.faces) and 0 <= ib < len(b.faces):
            origin = a.bounds[0]
            point = _triangle_contact_point(
                a.triangles[ia] - origin, b.triangles[ib] - origin, CONTACT_TOLERANCE_M
            )
            if point is not None:
                point = point + origin
        if point is None:
            point = (pa + pb) / 2
        return Distance(0.0, point, point.copy(), True)
    if d > CONTACT_TOLERANCE_M and _bounds_gap(a, b) <= CONTACT_TOLERANCE_M:
        # fcl can miss coplanar overlapping faces (see module notes).
        point = _coplanar_contact(a, b, CONTACT_TOLERANCE_M)
        if point is not None:
            return Distance(0.0, point, point.copy(), True)
    # Surfaces apart: one solid may still hold the other (strict test, tol 0).
    point = _contained_vertex(a, b, 0.0)
    if point is not None:
        return Distance(0.0, point, point.copy(), True)
    return Distance(d, pa, pb, False)


def intersects(a: Mesh, b: Mesh, tol: float = CONTACT_TOLERANCE_M) -> bool:
    """Do two meshes meet: surfaces crossing, touching within ``tol`` metres
    (face to face, edge or corner; coplanar overlapping faces included), or one
    closed mesh entirely inside the other.

    Touching counts: use :func:`touching` or :func:`overlap` to tell touching
    from penetrating. Raises :class:`GeometryError` for a mesh with no triangles.
    """
    _require_faces(a, "a")
    _require_faces(b, "b")
    if tol < 0:
        raise GeometryError(f"tolerance must be >= 0 m, got {tol!r}")
    if _bounds_gap(a, b) > tol:
        return False
    if _fcl_collide(a, b):
        return True
    if _fcl_distance(a, b)[0] <= tol:
        return True
    if _coplanar_contact(a, b, tol) is not None:
        return True
    return _contained_vertex(a, b, tol) is not None


def touching(a: Mesh, b: Mesh, tol: float = CONTACT_TOLERANCE_M) -> bool:
    """True when two closed meshes meet (:func:`intersects` within ``tol``
    metres) but do not penetrate: their overlap solid (if any) is at most
    ``tol`` metres wide (:attr:`Overlap.width`). Raises :class:`GeometryError`
    unless both meshes are closed."""
    _require_faces(a, "a")
    _require_faces(b, "b")
    if not intersects(a, b, tol):
        return False
    return overlap(a, b).width <= tol


def contains_points(mesh: Mesh, points: np.ndarray, tol: float = CONTACT_TOLERANCE_M) -> np.ndarray:
    """Which ``points`` (shape ``(p, 3)``, metres) lie inside the closed ``mesh``.

    Returns a bool array of shape ``(p,)``. Points on the surface (within about
    ``tol`` metres) count as inside. Ray-parity test: rays in three generic
    directions, majority vote, vectorised with numpy in the mesh's local frame.
    Raises :class:`GeometryError` when the mesh is not closed.
    """
    _require_closed(mesh, "mesh")
    pts = np.asarray(points, dtype=np.float64)
    if pts.size == 0:
        return np.zeros(0, dtype=bool)
    if pts.ndim == 1:
        pts = pts.reshape(1, 3)
    if pts.ndim != 2 or pts.shape[1] != 3:
        raise GeometryError(f"points: expected shape (p, 3), got {pts.shape}")
    if not np.isfinite(pts).all():
        raise GeometryError("points: NaN or infinite coordinates")
    origin = np.array(mesh.bounds[0], dtype=np.float64)
    local = pts - origin
    size = mesh.bounds[1] - origin
    result = np.zeros(len(pts), dtype=bool)
    candidate = np.flatnonzero(((local >= -tol) & (local <= size + tol)).all(axis=1))
    if len(candidate) == 0:
        return result
    tri = mesh.triangles - origin
    v0 = tri[:, 0]
    e1 = tri[:, 1] - v0
    e2 = tri[:, 2] - v0
    normal = np.cross(e1, e2)
    scale = np.linalg.norm(e1, axis=1) * np.linalg.norm(e2, axis=1)
    chunk = max(1, _CHUNK_ELEMENTS // len(tri))
    votes = np.zeros(len(candidate), dtype=np.int64)
    on_surface = np.zeros(len(candidate), dtype=bool)
    for direction in _RAY_DIRECTIONS:
        pvec = np.cross(direction, e2)
        det = np.einsum("ij,ij->i", e1, pvec)
        usable = np.abs(det) > 1e-12 * np.maximum(scale, 1e-300)
        inv = np.where(usable, 1.0 / np.where(usable, det, 1.0), 0.0)
        # u, v, t of Möller-Trumbore are dot products of (p - v0) with these:
        ua = pvec * inv[:, None]
        va = np.cross(e1, direction) * inv[:, None]
        ta = normal * inv[:, None]
        u0 = np.einsum("ij,ij->i", v0, ua)
        w0 = np.einsum("ij,ij->i", v0, va)
        t0 = np.einsum("ij,ij->i", v0, ta)
        for start in range(0, len(candidate), chunk):
            p = local[candidate[start : start + chunk]]
            u = p @ ua.T - u0
            v = p @ va.T - w0
            t = p @ ta.T - t0
            inside_tri = usable & (u >= 0) & (v >= 0) & (u + v <= 1)
            crossings = (inside_tri & (t > tol)).sum(axis=1)
            votes[start : start + chunk] += crossings % 2
            on_surface[start : start + chunk] |= (inside_tri & (np.abs(t) <= tol)).any(axis=1)
    result[candidate] = on_surface | (votes >= 2)
    return result


def _require_closed(mesh: Mesh, name: str) -> None:
    _require_faces(mesh, name)
    if not mesh.closed:
        raise GeometryError(
            f"{name}: mesh is not closed (not a solid); use intersects() or distance() instead"
        )


def _manifold(mesh: Mesh) -> manifold3d.Manifold:
    """The mesh as a manifold3d solid in its own frame (vertices minus its
    bounds' min corner, metres, float64), cached on the mesh ("manifold").

    A closed, outward-facing mesh is used as it is. Otherwise its shells are
    repaired (:func:`~bimcheck.geometry.mesh.solid_shells`: re-oriented,
    turned outwards) and united; a mesh with boundary or non-manifold edges
    raises :class:`GeometryError`. A failure is cached too.
    """
    solid = _cached(mesh, "manifold")
    if isinstance(solid, GeometryError):
        raise solid
    if solid is None:
        try:
            solid = _build_manifold(mesh)
        except GeometryError as exc:
            mesh._cache["manifold"] = _Handle(exc)
            raise
        mesh._cache["manifold"] = _Handle(solid)
    return solid


def _united(solid: manifold3d.Manifold) -> manifold3d.Manifold:
    """A solid made of several overlapping closed shells (a tee exported as
    three pipes) as their union, so shared volume is counted once. A solid
    with an inward shell (a void) is kept as it is."""
    parts = solid.decompose()
    if len(parts) < 2 or any(p.volume() <= 0.0 for p in parts):
        return solid
    return manifold3d.Manifold.batch_boolean(parts, manifold3d.OpType.Add)


def _build_manifold(mesh: Mesh) -> manifold3d.Manifold:
    local = np.ascontiguousarray(mesh.vertices - mesh.bounds[0], dtype=np.float64)
    if mesh.closed:
        solid = manifold3d.Manifold(
            manifold3d.Mesh64(local, np.ascontiguousarray(mesh.faces, dtype=np.uint64))
        )
        if solid.status() == manifold3d.Error.NoError and solid.volume() > 0.0:
            return _united(solid)
    shells = solid_shells(mesh.faces, local)
    if shells is None:
        raise GeometryError(
            "mesh is not a closed solid (boundary or non-manifold edges); "
            "use intersects() or distance() instead"
        )
    parts = []
    for shell in shells:
        part = manifold3d.Manifold(
            manifold3d.Mesh64(local, np.ascontiguousarray(shell, dtype=np.uint64))
        )
        status = part.status()
        if status != manifold3d.Error.NoError:
            raise GeometryError(f"mesh is not a valid manifold solid ({status.name})")
        parts.append(part)
    solid = parts[0] if len(parts) == 1 else manifold3d.Manifold.batch_boolean(
        parts, manifold3d.OpType.Add
    )
    if solid.volume() <= 0.0:
        raise GeometryError("mesh encloses no volume")
    return solid


def solid_volume(mesh: Mesh) -> float:
    """Volume (m³) of the solid a mesh encloses, as the exact tests see it
    (repaired shells united, so overlapping shells count once). Raises
    :class:`GeometryError` when the mesh is not a solid (see :func:`is_solid`)."""
    found = mesh._cache.get("solid_volume")
    if found is None:
        _require_faces(mesh, "mesh")
        found = mesh._cache["solid_volume"] = float(_manifold(mesh).volume())
    return found


def is_solid(mesh: Mesh) -> bool:
    """True when the exact volume tests (:func:`overlap`) can run on ``mesh``:
    it is closed, or its shells can be re-oriented into closed outward-facing
    ones (see :func:`_manifold`). Otherwise callers fall
    back to the triangle tests (:func:`intersects`, :func:`distance`)."""
    if len(mesh.faces) == 0:
        return False
    try:
        _manifold(mesh)
    except GeometryError:
        return False
    return True


def overlap(a: Mesh, b: Mesh) -> Overlap:
    """The exact solid shared by two closed meshes (manifold3d boolean
    intersection), with its volume (m³), bounds (metres), depth (metres, the
    smallest extent of its bounds — a penetration-depth measure), width
    (metres, smallest width across its face normals) and volume centroid
    (metres); see :class:`Overlap`.

    Solids that only touch (shared face, edge or corner) have volume 0. So do
    faces that coincide only up to rounding (rotated elements at site
    coordinates leave slivers ~1e-10 m thick): an overlap solid no wider than
    ``CONTACT_TOLERANCE_M`` counts as touching.
    Computed in float64 in a frame local to the pair and translated back, so
    site coordinates keep sub-millimetre precision. Raises
    :class:`GeometryError` when a mesh is not closed (the caller falls back to
    :func:`intersects`) or not a valid, outward-facing manifold.
    """
    _require_faces(a, "a")
    _require_faces(b, "b")
    none = _NO_OVERLAP
    if _bounds_gap(a, b) > -CONTACT_TOLERANCE_M:
        # The boxes are apart or meet in a slab at most 1 µm thick: the shared
        # solid, if any, is no wider than that, which counts as touching.
        return none
    try:
        sa = _manifold(a)
    except GeometryError as exc:
        raise GeometryError(f"a: {exc.message}") from exc
    try:
        sb = _manifold(b)
    except GeometryError as exc:
        raise GeometryError(f"b: {exc.message}") from exc
    # Shared frame: a's own frame; b is moved by the (small, exact-ish) offset
    # between the two frames' origins.
    origin = np.array(a.bounds[0], dtype=np.float64)
    offset = np.array(b.bounds[0], dtype=np.float64) - origin
    shared = sa ^ sb.translate(tuple(offset.tolist()))
    volume = float(shared.volume())
    if shared.is_empty() or volume <= 0.0:
        return none
    box = np.array(shared.bounding_box(), dtype=np.float64).reshape(2, 3)
    mesh = shared.to_mesh64()
    verts = np.asarray(mesh.vert_properties, dtype=np.float64)[:, :3]
    tri = verts[np.asarray(mesh.tri_verts, dtype=np.int64)]
    width = _min_width(verts, tri)
    if width <= CONTACT_TOLERANCE_M or 2.0 * volume <= CONTACT_TOLERANCE_M * shared.surface_area():
        # A sliver between faces that coincide up to rounding: touching. The
        # second test catches slivers whose faces are not parallel (a block in
        # a pocket: ~1e-17 m³ with a wide bounding box), by their mean
        # thickness 2·volume/area.
        return none
    ref = box[0]
    t = tri - ref
    six_vol = np.einsum("ij,ij->i", t[:, 0], _cross(t[:, 1], t[:, 2]))
    total = float(six_vol.sum())
    if total > 0.0:
        centroid = (six_vol[:, None] * t.sum(axis=1)).sum(axis=0) / (4.0 * total) + ref
    else:
        centroid = box.mean(axis=0)
    return Overlap(
        volume=volume,
        bounds=box + origin,
        depth=float((box[1] - box[0]).min()),
        width=width,
        centroid=centroid + origin,
    )


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cross product of two (n, 3) arrays, the same floats as
    ``np.cross`` (same products, same order) without its overhead on small arrays."""
    out = np.empty_like(a)
    out[:, 0] = a[:, 1] * b[:, 2] - a[:, 2] * b[:, 1]
    out[:, 1] = a[:, 2] * b[:, 0] - a[:, 0] * b[:, 2]
    out[:, 2] = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    return out


def _min_width(verts: np.ndarray, tri: np.ndarray) -> float:
    """Smallest width (metres) of a solid across its face normals and the axes.

    Normals of the largest faces first, de-duplicated up to sign, at most
    ``_MAX_WIDTH_DIRECTIONS`` of them. (Called once per clashing pair: the
    cross product is written out and the de-duplication stops at the cap,
    which numpy's ``cross`` and ``unique(axis=0)`` made ten times slower on
    these small arrays.)
    """
    cross = _cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    area = np.sqrt(np.add.reduce(cross * cross, axis=1))  # as np.linalg.norm
    order = np.argsort(-area, kind="stable")
    order = order[area[order] > 0]
    normals = cross[order] / area[order, None]
    # Canonical sign (first non-zero component positive), then de-duplicate.
    sign = np.sign(normals[np.arange(len(normals)), np.argmax(np.abs(normals) > 1e-12, axis=1)])
    normals = normals * np.where(sign == 0, 1.0, sign)[:, None]
    seen: set[tuple[float, ...]] = set()
    keep: list[int] = []
    for i, key in enumerate(map(tuple, np.round(normals, 9).tolist())):
        if key not in seen:
            seen.add(key)
            keep.append(i)
            if len(keep) == _MAX_WIDTH_DIRECTIONS:
                break
    directions = np.concatenate([np.eye(3), normals[keep]])
    proj = (verts - verts.mean(axis=0)) @ directions.T
    return float((proj.max(axis=0) - proj.min(axis=0)).min())
