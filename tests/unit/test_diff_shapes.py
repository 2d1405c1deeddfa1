"""Meshes compared within the diff's tolerance (10 µm): other triangulations
of one surface are the same shape; a 0.1 mm move or a 1 % stretch is not."""

from __future__ import annotations

import numpy as np

from bimcheck.diff.shapes import same_shape
from bimcheck.geometry.mesh import box, from_arrays


def _same(a, b) -> bool:
    return same_shape(a.vertices, a, b.vertices, b)


def _split_top(mesh):
    """The same box with its top face re-triangulated around its centre vertex."""
    v, f = mesh.vertices, mesh.faces
    top = v[:, 2].max()
    keep = [tri for tri in f if not np.all(v[tri][:, 2] == top)]
    corners = [i for i in range(len(v)) if v[i, 2] == top]
    centre = v[corners].mean(axis=0)
    verts = np.vstack([v, centre])
    c = len(v)
    ring = sorted(corners, key=lambda i: np.arctan2(v[i, 1] - centre[1], v[i, 0] - centre[0]))
    fan = [[ring[k], ring[(k + 1) % 4], c] for k in range(4)]
    return from_arrays(verts, np.array(keep + fan))


def test_other_triangulation_of_the_same_box_is_the_same_shape():
    a = box((0, 0, 0), (2.0, 1.0, 0.5))
    b = _split_top(a)
    assert len(b.vertices) == len(a.vertices) + 1 and b.closed
    assert abs(a.volume - b.volume) < 1e-12
    assert _same(a, b) and _same(b, a)


def test_float_noise_is_the_same_shape():
    a = box((0, 0, 0), (2.0, 1.0, 0.5))
    b = from_arrays(a.vertices * (1 + 1e-12), a.faces)
    assert _same(a, b)


def test_a_tenth_of_a_millimetre_or_a_stretch_is_another_shape():
    a = box((0, 0, 0), (2.0, 1.0, 0.5))
    assert not _same(a, box((0, 0, 0), (2.0001, 1.0, 0.5)))
    assert not _same(a, box((0, 0, 0), (2.02, 1.0, 0.5)))
    # a vertex of the re-triangulated top lifted 0.1 mm: not on the other's surface
    b = _split_top(a)
    lifted = b.vertices.copy()
    lifted[-1, 2] += 1e-4
    assert not _same(a, from_arrays(lifted, b.faces))


def test_point_to_triangle_distance_by_region():
    from bimcheck.diff.shapes import _distance_to_triangles

    tri = [np.array([[0.0, 0.0, 0.0]]), np.array([[1.0, 0.0, 0.0]]), np.array([[0.0, 1.0, 0.0]])]
    assert _distance_to_triangles(np.array([0.25, 0.25, 0.3]), *tri) == 0.3  # above the face
    assert abs(_distance_to_triangles(np.array([0.5, -0.4, 0.0]), *tri) - 0.4) < 1e-12  # edge AB
    assert abs(_distance_to_triangles(np.array([1.0, 1.0, 0.0]), *tri)
               - np.sqrt(0.5)) < 1e-12  # edge BC, from its middle (0.5, 0.5)
    assert abs(_distance_to_triangles(np.array([-3.0, -4.0, 0.0]), *tri) - 5.0) < 1e-12  # A
    assert abs(_distance_to_triangles(np.array([2.0, -1.0, 0.0]), *tri)
               - np.sqrt(2.0)) < 1e-12  # vertex B


def test_same_solid_by_moments_when_no_vertex_test_can_tell():
    """Two closed meshes of one box, one with an extra pair of coincident
    opposite triangles off its surface (no volume): the vertex tests fail,
    the moments agree; a box 0.1 % lower differs."""
    from bimcheck.diff.shapes import _same_solid

    a = box((0, 0, 0), (2.0, 1.0, 0.5))
    v = np.vstack([a.vertices, [[1.0, 0.5, 0.25], [1.2, 0.5, 0.25], [1.0, 0.7, 0.25]]])
    n = len(a.vertices)
    f = np.vstack([a.faces, [[n, n + 1, n + 2], [n, n + 2, n + 1]]])
    from bimcheck.geometry.mesh import Mesh

    b = Mesh(v, f, True)
    assert _same_solid(a.vertices, a, b.vertices, b, 1e-5)
    assert _same(a, b)
    other = from_arrays(a.vertices * np.array([1.0, 1.0, 0.999]), a.faces)
    assert not _same_solid(a.vertices, a, other.vertices, other, 1e-5)
