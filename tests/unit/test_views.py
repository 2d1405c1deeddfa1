"""Plan footprints of the risk report: the convex hull in plan, rounded to 1 cm."""

from __future__ import annotations

import numpy as np
import shapely

from bimcheck import views


def _reference(vertices: np.ndarray) -> list[list[float]] | None:
    """The footprint as first written: distinct rows by np.unique(axis=0)."""
    pts = np.unique(np.round(vertices[:, :2], views.PLAN_DECIMALS) + 0.0, axis=0)
    if len(pts) < 3:
        return None
    hull = shapely.MultiPoint(pts).convex_hull.simplify(views.SIMPLIFY_M)
    if hull.geom_type != "Polygon" or hull.area <= 0:
        return None
    return np.round(np.asarray(hull.exterior.coords)[:-1], views.PLAN_DECIMALS).tolist()


def test_a_box_gives_its_four_corners_once():
    """A 2 m × 1 m box from z 0 to 3, corners listed twice, one at -0.0:
    its footprint is the four plan corners (counter-clockwise from shapely)."""
    corners = [(x, y, z) for x in (-0.0, 2.0) for y in (0.0, 1.0) for z in (0.0, 3.0)]
    vertices = np.array(corners * 2 + [(1.0, 0.5, 1.5), (2.004, 1.0, 0.0)])
    ring = views._hull(vertices)
    assert sorted(map(tuple, ring)) == [(0.0, 0.0), (0.0, 1.0), (2.0, 0.0), (2.0, 1.0)]
    assert all(str(v) != "-0.0" for p in ring for v in p)


def test_flat_and_tiny_outlines_have_none():
    assert views._hull(np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [2.0, 0.0, 1.0]])) is None
    assert views._hull(np.array([[0.0, 0.0, 0.0], [0.001, 0.001, 1.0]])) is None


def test_the_same_outline_as_distinct_rows_give():
    rng = np.random.default_rng(17)
    for n in (3, 10, 200, 5000):
        vertices = rng.normal(size=(n, 3)) * rng.uniform(0.01, 30.0)
        vertices[: n // 3] = vertices[n // 3: 2 * (n // 3)]  # repeated points
        assert views._hull(vertices) == _reference(vertices)
    grid = np.array([(x / 100, y / 100, 0.0) for x in range(-5, 6) for y in range(-5, 6)])
    assert views._hull(grid) == _reference(grid)
