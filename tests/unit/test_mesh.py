"""Mesh type: welding, closedness, volume, bounds — against hand-computed values."""

import numpy as np
import pytest

from bimcheck.geometry.mesh import box, concatenate, from_arrays, is_closed, moved, weld


def test_box_volume_area_bounds():
    m = box((0, 0, 0), (10, 0.2, 3))
    assert m.closed
    assert m.volume == 6.0  # 10 × 0.2 × 3
    assert abs(m.area - 2 * (10 * 0.2 + 10 * 3 + 0.2 * 3)) < 1e-12
    np.testing.assert_array_equal(m.bounds, [[0, 0, 0], [10, 0.2, 3]])


def test_volume_keeps_precision_at_site_coordinates():
    m = box((500000, 4000000, 10), (500010, 4000000.2, 13))
    assert abs(m.volume - 6.0) < 1e-6


def test_weld_merges_unwelded_corners_and_closes_the_solid():
    # A unit cube given as 12 triangles with their own 36 vertices (no sharing).
    cube = box((0, 0, 0), (1, 1, 1))
    tris = cube.vertices[cube.faces].reshape(-1, 3)
    tris = tris + np.random.default_rng(0).uniform(-2e-7, 2e-7, tris.shape)  # float noise
    faces = np.arange(len(tris)).reshape(-1, 3)
    assert not is_closed(faces)
    m = from_arrays(tris, faces)
    assert len(m.vertices) == 8
    assert m.closed
    assert abs(m.volume - 1.0) < 1e-5


def test_weld_drops_degenerate_and_repeated_triangles():
    v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1e-9, 0, 0]], dtype=float)
    f = np.array([[0, 1, 2], [0, 3, 1], [1, 2, 0]])  # second collapses; third repeats the first
    wv, wf = weld(v, f)
    assert len(wv) == 3
    assert wf.tolist() == [[0, 1, 2]]


def test_open_surface_is_not_closed():
    m = box((0, 0, 0), (1, 1, 1))
    assert not is_closed(m.faces[:-1])
    flipped = m.faces.copy()
    flipped[0] = flipped[0][::-1]  # one triangle inconsistently oriented
    assert not is_closed(flipped)


def test_concatenate_two_bodies():
    m = concatenate([box((0, 0, 0), (1, 1, 1)), box((2, 0, 0), (3, 1, 1))])
    assert m.closed
    assert abs(m.volume - 2.0) < 1e-12
    assert len(m.vertices) == 16


def test_weld_matches_a_brute_force_reference():
    """Random soup with repeated points: welded vertices are exactly the distinct
    points in order of first appearance, and faces still point at the same coordinates."""
    rng = np.random.default_rng(7)
    points = rng.uniform(-50, 50, (300, 3)).round(3)
    idx = rng.integers(0, 300, (1000, 3))
    idx = idx[(idx[:, 0] != idx[:, 1]) & (idx[:, 1] != idx[:, 2]) & (idx[:, 0] != idx[:, 2])]
    v = points[idx].reshape(-1, 3)
    f = np.arange(len(v)).reshape(-1, 3)
    wv, wf = weld(v, f)
    seen = []
    for p in map(tuple, v):
        if p not in seen:
            seen.append(p)
    used = {tuple(p) for p in wv}
    assert [p for p in seen if p in used] == [tuple(p) for p in wv]
    # Output triangles are exactly the distinct input triangles (none lost, none invented).
    tris = {tuple(map(tuple, t)) for t in v.reshape(-1, 3, 3)}
    assert {tuple(map(tuple, t)) for t in wv[wf]} == tris
    assert len(wf) == len(tris)


def test_unique_rows_small_path_equals_the_numpy_path():
    from bimcheck.geometry import mesh as mesh_module

    rng = np.random.default_rng(7)
    for n in (1, 5, 24, 200, 256):
        rows = rng.integers(0, 4, size=(n, 3))
        small = mesh_module._unique_rows(rows)
        saved = mesh_module._SMALL_ROWS
        mesh_module._SMALL_ROWS = 0
        try:
            big = mesh_module._unique_rows(rows)
        finally:
            mesh_module._SMALL_ROWS = saved
        assert np.array_equal(small[0], big[0]) and np.array_equal(small[1], big[1])
        assert np.array_equal(rows[small[0]][small[1]], rows)


def test_moved_keeps_the_solid_outward_under_rotation_and_mirroring():
    cube = box((0, 0, 0), (1, 2, 3))  # 6 m³
    turn = np.eye(4)
    turn[:3, :3] = [[0, -1, 0], [1, 0, 0], [0, 0, 1]]  # 90° about z
    turn[:3, 3] = [10, 0, 0]
    turned = moved(cube, turn)
    np.testing.assert_allclose(turned.bounds, [[8, 0, 0], [10, 1, 3]], atol=1e-12)
    assert turned.closed and turned.volume == pytest.approx(6.0, abs=1e-12)
    mirror = np.diag([-1.0, 1.0, 1.0, 1.0])
    mirrored = moved(cube, mirror)
    np.testing.assert_allclose(mirrored.bounds, [[-1, 0, 0], [0, 2, 3]], atol=1e-12)
    # Without reversing the winding the volume would come out as -6.
    assert mirrored.closed and mirrored.volume == pytest.approx(6.0, abs=1e-12)
