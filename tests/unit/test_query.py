"""Narrow phase: distance, intersection, containment and overlap volume.

Every expected value is worked out by hand in the test (box sizes, gaps,
rotated-square geometry); each case runs at the origin and again at site
coordinates (x + 500 000 m, y + 4 000 000 m) and must give the same answer
within 1e-6 m / 1e-6 m³.
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from bimcheck.errors import GeometryError
from bimcheck.geometry import query
from bimcheck.geometry.mesh import Mesh, box, from_arrays
from bimcheck.geometry.query import (
    contains_points,
    distance,
    intersects,
    is_solid,
    overlap,
    touching,
)

SITE = np.array([500000.0, 4000000.0, 0.0])
TOL = 1e-6  # metres and cubic metres


@pytest.fixture(params=[np.zeros(3), SITE], ids=["origin", "site"])
def at(request):
    """Builds an axis-aligned box, both corners shifted by the fixture's origin."""
    origin = request.param

    def make(lower, upper) -> Mesh:
        return box(tuple(origin + lower), tuple(origin + upper))

    make.origin = origin
    return make


def rotated(mesh: Mesh, axis, angle: float, centre) -> Mesh:
    """``mesh`` rotated by ``angle`` radians about ``axis`` through ``centre``."""
    k = np.asarray(axis, dtype=float)
    k = k / np.linalg.norm(k)
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    r = np.eye(3) + math.sin(angle) * kx + (1 - math.cos(angle)) * kx @ kx
    c = np.asarray(centre, dtype=float)
    return from_arrays((mesh.vertices - c) @ r.T + c, mesh.faces)


# -- separated --------------------------------------------------------------------


def test_boxes_0_3_apart(at):
    a = at((0, 0, 0), (1, 1, 1))
    b = at((1.3, 0, 0), (2, 1, 1))
    d = distance(a, b)
    assert d.distance == pytest.approx(0.3, abs=TOL)
    assert not d.intersecting
    # Parallel faces x = 1 and x = 1.3: closest points face each other.
    pa, pb = d.point_a - at.origin, d.point_b - at.origin
    assert pa[0] == pytest.approx(1.0, abs=TOL)
    assert pb[0] == pytest.approx(1.3, abs=TOL)
    np.testing.assert_allclose(pa[1:], pb[1:], atol=TOL)
    assert (pa[1:] >= -TOL).all() and (pa[1:] <= 1 + TOL).all()
    assert not intersects(a, b)
    assert not touching(a, b)
    ov = overlap(a, b)
    assert ov.volume == 0.0 and ov.bounds is None and ov.depth == 0.0


def test_corner_to_corner_closest_points(at):
    a = at((0, 0, 0), (1, 1, 1))
    b = at((1.3, 1.4, 1.2), (2, 2, 2))
    d = distance(a, b)
    assert d.distance == pytest.approx(math.sqrt(0.3**2 + 0.4**2 + 0.2**2), abs=TOL)
    np.testing.assert_allclose(d.point_a - at.origin, [1, 1, 1], atol=TOL)
    np.testing.assert_allclose(d.point_b - at.origin, [1.3, 1.4, 1.2], atol=TOL)
    back = distance(b, a)
    assert back.distance == pytest.approx(d.distance, abs=TOL)
    np.testing.assert_allclose(back.point_a, d.point_b, atol=TOL)


def test_gap_below_tolerance_is_touching_but_measured(at):
    a = at((0, 0, 0), (1, 1, 1))
    b = at((1.0000005, 0, 0), (2, 1, 1))  # 0.5 µm gap
    assert distance(a, b).distance == pytest.approx(5e-7, abs=1e-9)
    assert intersects(a, b)  # within CONTACT_TOLERANCE_M (1 µm)
    assert touching(a, b)
    assert not intersects(a, b, tol=0.0)
    assert overlap(a, b).volume == 0.0


# -- touching ------------------------------------------------------------------------


def test_face_to_face(at):
    a = at((0, 0, 0), (1, 1, 1))
    b = at((1, 0, 0), (2, 1, 1))
    d = distance(a, b)
    assert d.distance == 0.0 and d.intersecting
    assert d.point_a[0] - at.origin[0] == pytest.approx(1.0, abs=TOL)
    assert intersects(a, b)
    assert touching(a, b)
    ov = overlap(a, b)
    assert ov.volume == 0.0 and ov.bounds is None and ov.centroid is None


def test_partial_face_contact_and_edge_contact(at):
    a = at((0, 0, 0), (1, 1, 1))
    on_top = at((0.2, 0.2, 1), (0.8, 0.8, 2))  # bottom face strictly inside a's top face
    along_edge = at((1, 1, 0), (2, 2, 1))  # shares only the vertical edge x = y = 1
    for b in (on_top, along_edge):
        assert intersects(a, b)
        assert touching(a, b)
        assert distance(a, b).distance == 0.0
        assert overlap(a, b).volume == 0.0


# -- penetrating ---------------------------------------------------------------------


def test_overlap_0_05_along_x(at):
    a = at((0, 0, 0), (1, 0.2, 3))
    b = at((0.95, 0, 0), (2, 0.2, 3))
    ov = overlap(a, b)
    assert ov.volume == pytest.approx(0.05 * 0.2 * 3, abs=TOL)  # 0.03 m³
    assert ov.depth == pytest.approx(0.05, abs=TOL)
    assert ov.width == pytest.approx(0.05, abs=TOL)
    np.testing.assert_allclose(ov.bounds - at.origin, [[0.95, 0, 0], [1, 0.2, 3]], atol=TOL)
    np.testing.assert_allclose(ov.centroid - at.origin, [0.975, 0.1, 1.5], atol=TOL)
    assert intersects(a, b)
    assert not touching(a, b)
    assert distance(a, b).distance == 0.0


def test_coplanar_collinear_walls(at):
    # Same y/z extents, overlapping 3 m in x: every side face is coplanar.
    a = at((0, 0, 0), (10, 0.2, 3))
    b = at((7, 0, 0), (15, 0.2, 3))
    assert intersects(a, b)
    d = distance(a, b)
    assert d.distance == 0.0 and d.intersecting
    ov = overlap(a, b)
    assert ov.volume == pytest.approx(3 * 0.2 * 3, abs=TOL)  # 1.8 m³
    assert ov.depth == pytest.approx(0.2, abs=TOL)
    np.testing.assert_allclose(ov.bounds - at.origin, [[7, 0, 0], [10, 0.2, 3]], atol=TOL)


def test_identical_boxes(at):
    a = at((0, 0, 0), (10, 0.2, 3))
    b = at((0, 0, 0), (10, 0.2, 3))
    assert intersects(a, b)
    assert overlap(a, b).volume == pytest.approx(6.0, abs=TOL)


def test_small_box_inside_big_box(at):
    big = at((0, 0, 0), (10, 10, 10))
    small = at((4, 4, 4), (5, 5, 5))
    for a, b in ((big, small), (small, big)):
        d = distance(a, b)
        assert d.distance == 0.0 and d.intersecting
        p = d.point_a - at.origin
        assert (p >= 4 - TOL).all() and (p <= 5 + TOL).all()  # a point of the small box
        assert intersects(a, b)
        assert not touching(a, b)
        ov = overlap(a, b)
        assert ov.volume == pytest.approx(1.0, abs=TOL)
        np.testing.assert_allclose(ov.bounds - at.origin, [[4, 4, 4], [5, 5, 5]], atol=TOL)
        np.testing.assert_allclose(ov.centroid - at.origin, [4.5, 4.5, 4.5], atol=TOL)


def test_inner_box_flush_with_outer_face(at):
    outer = at((0, 0, 0), (1, 1, 1))
    inner = at((0.2, 0.2, 0.2), (0.8, 0.8, 1))  # its top face lies in outer's top face
    assert intersects(outer, inner)
    assert overlap(outer, inner).volume == pytest.approx(0.6 * 0.6 * 0.8, abs=TOL)


# -- rotated geometry ------------------------------------------------------------------


def test_rotated_cube_against_box(at):
    """Unit cube turned 45° about z around its centre: a square 'diamond' with
    corners at (0.5 ± √½, 0.5) and (0.5, 0.5 ± √½), z from 0 to 1."""
    o = at.origin
    cube = rotated(at((0, 0, 0), (1, 1, 1)), (0, 0, 1), math.pi / 4, o + np.array([0.5, 0.5, 0]))
    r = math.sqrt(0.5)

    # Everything with x >= 0.5: exactly half of the cube.
    half = overlap(cube, at((0.5, -1, 0), (3, 3, 1)))
    assert half.volume == pytest.approx(0.5, abs=TOL)
    np.testing.assert_allclose(
        half.bounds - o, [[0.5, 0.5 - r, 0], [0.5 + r, 0.5 + r, 1]], atol=TOL
    )

    # x >= 1 cuts off the corner: a triangle of height h = √½ - 0.5 and base 2h,
    # area h², times 1 m of height.
    h = r - 0.5
    tip = overlap(cube, at((1, -1, 0), (3, 3, 1)))
    assert tip.volume == pytest.approx(h * h, abs=TOL)
    assert tip.depth == pytest.approx(h, abs=TOL)  # x-extent h, y-extent 2h, z 1
    assert tip.width == pytest.approx(h, abs=TOL)
    np.testing.assert_allclose(tip.centroid - o, [1 + h / 3, 0.5, 0.5], atol=TOL)

    # A box from x = 1.5: the gap to the corner edge at x = 0.5 + √½ is 1 - √½.
    far = at((1.5, 0, 0), (2, 1, 1))
    d = distance(cube, far)
    assert d.distance == pytest.approx(1 - r, abs=TOL)
    np.testing.assert_allclose((d.point_a - o)[:2], [0.5 + r, 0.5], atol=TOL)
    np.testing.assert_allclose((d.point_b - o)[:2], [1.5, 0.5], atol=TOL)
    assert not intersects(cube, far)


def test_rotated_stacked_boxes_coplanar_contact(at):
    """Two boxes stacked face to face, then both turned about a generic axis:
    the contact faces are coplanar but not axis-aligned (where fcl.collide
    misses contacts); then the same with 0.02 m of penetration."""
    o = at.origin
    axis, angle, centre = (1, 2, 3), 0.7, o + np.array([1, 0.5, 0.5])
    lower = rotated(at((0, 0, 0), (2, 1, 1)), axis, angle, centre)
    upper = rotated(at((0.5, 0.25, 1), (1.5, 0.75, 2)), axis, angle, centre)
    assert intersects(lower, upper)
    assert touching(lower, upper)
    assert distance(lower, upper).distance == pytest.approx(0.0, abs=TOL)
    assert overlap(lower, upper).volume == pytest.approx(0.0, abs=TOL)

    sunk = rotated(at((0.5, 0.25, 0.98), (1.5, 0.75, 2)), axis, angle, centre)
    ov = overlap(lower, sunk)
    assert ov.volume == pytest.approx(1.0 * 0.5 * 0.02, abs=TOL)  # 0.01 m³
    assert ov.width == pytest.approx(0.02, abs=TOL)
    assert ov.depth >= ov.width - TOL
    assert not touching(lower, sunk)


def test_random_rotated_coplanar_contacts_all_found():
    """fcl.collide alone misses some of these (measured: 7 of 200 at the origin,
    45 of 200 at site coordinates); intersects() must find every one."""
    rng = np.random.default_rng(11)
    for origin in (np.zeros(3), SITE):
        for _ in range(25):
            sa = rng.uniform(0.3, 3, 3)
            sb = rng.uniform(0.3, 3, 3)
            off = rng.uniform(-sb[:2] + 0.05, sa[:2] - 0.05)  # footprints overlap
            a = box(tuple(origin), tuple(origin + sa))
            b_lo = origin + np.array([off[0], off[1], sa[2]])
            b = box(tuple(b_lo), tuple(b_lo + sb))
            axis = rng.normal(size=3)
            angle = rng.uniform(0, math.pi)
            a, b = rotated(a, axis, angle, origin), rotated(b, axis, angle, origin)
            assert intersects(a, b)
            assert touching(a, b)
            assert overlap(a, b).volume == 0.0


# Two triangles in one plane (drawn in z = 0, then turned by a random rotation),
# overlapping: fcl.collide says no, fcl.distance says 5.8 mm (python-fcl 0.7).
FCL_MISS_A = [
    [0.654660306562869, -0.021362273910392658, -0.6430070542575967],
    [0.3080595616571722, -0.1437010172069173, -0.12481080738035943],
    [0.3101904455902174, 0.31581463626150735, -0.7381946366082094],
]
FCL_MISS_B = [
    [0.38661418119097213, -0.11049864865199469, -0.24953880102153891],
    [0.5394387187596777, -0.04547867664443009, -0.49275852440695384],
    [0.33958325660749566, 0.11944196634031816, -0.5071461157875384],
]


def test_coplanar_triangles_fcl_misses():
    ta, tb = np.array(FCL_MISS_A), np.array(FCL_MISS_B)
    # Independent check of the premise: same plane, and b's centroid inside a.
    n = np.cross(ta[1] - ta[0], ta[2] - ta[0])
    n /= np.linalg.norm(n)
    assert np.abs((tb - ta[0]) @ n).max() < 1e-12
    c = tb.mean(axis=0)
    for k in range(3):
        edge = ta[(k + 1) % 3] - ta[k]
        assert np.dot(np.cross(edge, c - ta[k]), n) > 0
    a = from_arrays(ta, [[0, 1, 2]])
    b = from_arrays(tb, [[0, 1, 2]])
    assert not query._fcl_collide(a, b)  # the library pitfall this guards against
    assert query._fcl_distance(a, b)[0] > 1e-3
    assert intersects(a, b)
    d = distance(a, b)
    assert d.distance == 0.0 and d.intersecting
    assert abs(float((d.point_a - ta[0]) @ n)) < 1e-9  # the point lies in the plane


# -- containment -----------------------------------------------------------------------


def test_contains_points(at):
    o = at.origin
    cube = at((0, 0, 0), (2, 2, 2))
    pts = o + np.array(
        [
            [1, 1, 1],  # centre
            [0.001, 1.999, 0.5],  # just inside a corner region
            [3, 1, 1],  # outside, in line with a face
            [-0.001, 1, 1],  # just outside
            [2, 1, 1],  # on a face: counts as inside
            [2, 2, 2],  # on a corner
            [1, 1, 5],  # above
        ]
    )
    assert contains_points(cube, pts).tolist() == [True, True, False, False, True, True, False]
    assert contains_points(cube, np.zeros((0, 3))).shape == (0,)

    diamond = rotated(cube, (0, 0, 1), math.pi / 4, o + np.array([1, 1, 0]))
    r = math.sqrt(2)  # half-diagonal of the 2 m square
    inside = o + np.array([[1 + r - 0.01, 1, 1], [1, 1 + r - 0.01, 1]])
    # (0.1, 0.1) lies in a corner the rotation cut off.
    outside = o + np.array([[1 + r + 0.01, 1, 1], [0.1, 0.1, 1]])
    assert contains_points(diamond, inside).tolist() == [True, True]
    assert contains_points(diamond, outside).tolist() == [False, False]


def test_contains_points_agrees_with_analytic_box():
    rng = np.random.default_rng(3)
    cube = box((0, 0, 0), (1, 2, 3))
    pts = rng.uniform(-0.5, 3.5, (2000, 3))
    want = ((pts >= 0) & (pts <= [1, 2, 3])).all(axis=1)
    np.testing.assert_array_equal(contains_points(cube, pts), want)


# -- bad input ----------------------------------------------------------------------------


def open_box() -> Mesh:
    closed = box((0, 0, 0), (1, 1, 1))
    return from_arrays(closed.vertices, closed.faces[:-2])  # one side missing


def test_open_mesh_overlap_raises():
    mesh = open_box()
    assert not mesh.closed
    with pytest.raises(GeometryError):
        overlap(mesh, box((0.5, 0, 0), (2, 1, 1)))
    with pytest.raises(GeometryError):
        overlap(box((0.5, 0, 0), (2, 1, 1)), mesh)
    with pytest.raises(GeometryError):
        contains_points(mesh, [[0.5, 0.5, 0.5]])
    with pytest.raises(GeometryError):
        touching(mesh, box((0.5, 0, 0), (2, 1, 1)))


def test_open_mesh_still_has_distance_and_intersection():
    mesh = open_box()
    other = box((0.5, 0.2, 0.2), (2, 0.8, 0.8))
    assert intersects(mesh, other)
    assert distance(mesh, box((1.5, 0, 0), (2, 1, 1))).distance == pytest.approx(0.5)


def test_inside_out_mesh_is_turned_outwards():
    good = box((0, 0, 0), (1, 1, 1))
    inverted = from_arrays(good.vertices, good.faces[:, ::-1])
    assert inverted.closed and inverted.volume == pytest.approx(-1.0)
    assert is_solid(inverted)
    assert overlap(inverted, box((0.5, 0, 0), (2, 1, 1))).volume == pytest.approx(0.5)


def test_shells_flipped_and_overlapping_are_repaired():
    """Two overlapping boxes in one mesh (a tee exported as two pipes), one of
    them inside out and with two triangles flipped: united, 1 + 1 - 0.25 m3."""
    a = box((0, 0, 0), (1, 1, 1))
    b = box((0.75, 0, 0), (1.75, 1, 1))
    fb = b.faces[:, ::-1].copy()
    fb[:2] = fb[:2, ::-1]
    mesh = from_arrays(np.concatenate([a.vertices, b.vertices]),
                       np.concatenate([a.faces, fb + len(a.vertices)]))
    assert not mesh.closed
    assert is_solid(mesh)
    shared = overlap(mesh, box((0, 0, 0), (3, 1, 1)))
    assert shared.volume == pytest.approx(1.75)


def test_open_mesh_is_not_solid():
    assert not is_solid(open_box())


def test_empty_mesh_raises():
    empty = from_arrays(np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int32))
    with pytest.raises(GeometryError):
        distance(empty, box((0, 0, 0), (1, 1, 1)))
    with pytest.raises(GeometryError):
        intersects(box((0, 0, 0), (1, 1, 1)), empty)


def test_bvh_is_cached_on_the_mesh():
    a = box((0, 0, 0), (1, 1, 1))
    b = box((2, 0, 0), (3, 1, 1))
    distance(a, b)
    cached = query._fcl_object(a)
    assert "fcl_bvh" in a._cache
    intersects(a, box((0.5, 0, 0), (3, 1, 1)))
    distance(a, b)
    assert query._fcl_object(a) is cached


def test_meshes_with_cached_solvers_still_pickle():
    a = box((0, 0, 0), (1, 1, 1))
    b = box((0.5, 0, 0), (2, 1, 1))
    assert overlap(a, b).volume == pytest.approx(0.5)
    assert distance(a, b).distance == 0.0
    a2, b2 = pickle.loads(pickle.dumps((a, b)))
    assert overlap(a2, b2).volume == pytest.approx(0.5)
    assert distance(a2, box((1.5, 0, 0), (2, 1, 1))).distance == pytest.approx(0.5)
