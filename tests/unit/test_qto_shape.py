"""Quantities of shapes the samples do not have, checked against values worked
out by hand: a roof slab tilted in a level placement, a wall mitred at both
ends (centre line between its faces), an upright prism classed as a slab."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bimcheck.geometry.mesh import box, from_arrays, moved
from bimcheck.qto import FUNCTIONS, shape
from bimcheck.qto.functions import Measure


def measure(mesh, frame=None) -> Measure:
    return Measure(element=None, model=None, net=mesh, gross=mesh, frame=frame)


def q(name, m, **params):
    return FUNCTIONS[name](m, params)


def quad_prism(plan: list[tuple[float, float]], z0: float, z1: float):
    """A prism over a convex quadrilateral given counter-clockwise (the box's faces)."""
    v = np.array([(x, y, z0) for x, y in plan] + [(x, y, z1) for x, y in plan], float)
    return from_arrays(v, box((0, 0, 0), (1, 1, 1)).faces)


def test_roof_slab_tilted_in_a_level_placement():
    # 10 × 8 m, 0.2 m thick, tilted 30° about x; the placement stays level (identity).
    a = math.radians(30)
    tilt = np.eye(4)
    tilt[1:3, 1:3] = [[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]
    slab = measure(moved(box((0, 0, 0), (10, 8, 0.2)), tilt), frame=np.eye(4))
    assert q("thickness", slab, max_tilt=60) == pytest.approx(0.2, abs=1e-9)
    assert q("face_area", slab, max_tilt=60) == pytest.approx(80.0, rel=1e-9)  # not its plan
    assert q("face_perimeter", slab, max_tilt=60) == pytest.approx(36.0, rel=1e-9)
    # Seen from above it is smaller: 10 × (8 cos 30° + 0.2 sin 30°); the outline
    # is snapped to the 1 µm weld grid, so it may be off by its length × 1 µm.
    plan_width = 8 * math.cos(a) + 0.2 * math.sin(a)
    assert q("gross_footprint_area", slab) == pytest.approx(
        10 * plan_width, abs=2 * (10 + plan_width) * shape.OUTLINE_GRID_M)


def test_faces_a_fraction_of_a_micrometre_apart_make_one_outline():
    """Two halves of a 10 × 4 m floor, exported 0.4 µm apart (a Revit floor of the
    Janesville model): one outline, perimeter 28 m, not two of 14 + 14... m."""
    gap = 4e-7
    left = box((0, 0, 0), (5, 4, 0.3))
    right = box((5 + gap, 0, 0), (10, 4, 0.3))
    both = from_arrays(np.vstack([left.vertices, right.vertices]),
                       np.vstack([left.faces, right.faces + len(left.vertices)]))
    outline = shape.footprint(both)
    assert outline.geom_type == "Polygon"
    assert shape.exterior_length(outline) == pytest.approx(28.0, abs=1e-5)
    assert outline.area == pytest.approx(40.0, abs=28 * shape.OUTLINE_GRID_M)


def test_mitred_wall_is_measured_on_its_centre_line():
    # Plan: outer face 10 m, inner face 9.6 m, 0.2 m thick, 45° mitres; 3 m high.
    wall = measure(quad_prism([(0, 0), (10, 0), (9.8, 0.2), (0.2, 0.2)], 0, 3), np.eye(4))
    assert q("centre_line_length", wall) == pytest.approx(9.8, rel=1e-6)
    assert q("gross_side_area", wall) == pytest.approx(9.8 * 3, rel=1e-6)
    assert q("net_side_area", wall) == pytest.approx(9.8 * 3, rel=1e-6)
    assert q("thickness", wall) == pytest.approx(0.2, rel=1e-9)
    # The volume is the centre-line elevation × thickness.
    assert q("net_volume", wall) == pytest.approx(9.8 * 3 * 0.2, rel=1e-9)


def test_upright_prism_classed_as_slab_is_measured_across_its_height():
    post = measure(box((0, 0, 0), (0.05, 0.08, 0.15)), np.eye(4))
    assert q("thickness", post) == pytest.approx(0.05)  # any direction
    assert q("thickness", post, max_tilt=60) == pytest.approx(0.15)  # slabs: near vertical
    assert q("face_area", post, max_tilt=60) == pytest.approx(0.05 * 0.08)


def test_mid_section_of_a_wall_with_a_hole_keeps_the_hole():
    # Two boxes side by side with a gap make a section of two rectangles.
    from bimcheck.geometry.mesh import concatenate

    mesh = concatenate([box((0, 0, 0), (2, 0.2, 3)), box((3, 0, 0), (5, 0.2, 3))])
    section, u, v = shape.mid_section(mesh, np.array([0.0, 1.0, 0.0]))
    assert section.area == pytest.approx(12.0)
    assert abs(u @ [1, 0, 0]) == pytest.approx(1.0) and abs(v @ [0, 0, 1]) == pytest.approx(1.0)
    assert shape.mid_section(mesh, np.array([0.0, 1.0, 0.0]), at=5.0) is None  # misses


def test_footing_without_placement_is_measured_on_its_plan_rectangle():
    # A 0.5 m cube turned 30° in plan, with no placement (IfcLinearPlacement):
    # the vertices' principal axes are arbitrary for a cube, its plan is not.
    a = math.radians(30)
    turn = np.eye(4)
    turn[:2, :2] = [[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]
    cube = measure(moved(box((0, 0, 0), (0.5, 0.5, 0.5)), turn), frame=None)
    assert q("thickness", cube, horizontal=True) == pytest.approx(0.5, rel=1e-9)
    strip = measure(moved(box((0, 0, 0), (6.0, 0.9, 0.3)), turn), frame=None)
    assert q("thickness", strip, horizontal=True) == pytest.approx(0.9, rel=1e-9)
