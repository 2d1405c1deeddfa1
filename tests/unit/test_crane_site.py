"""Exclusion zones and power lines along a lift, worked by hand."""

from __future__ import annotations

import math
from pathlib import Path as FilePath

import numpy as np
import pytest

from bimcheck.crane.clearance import LINE_RADIUS
from bimcheck.crane.motion import default_path
from bimcheck.crane.plan import parse_lift_plan
from bimcheck.crane.site import WIRE_RADIUS, check_power_lines, zone_crossings
from bimcheck.geometry import query
from bimcheck.geometry.mesh import box

TC1 = {"id": "TC1", "type": "tower", "base": [0, 0, 0], "hook_height": 40,
       "jib_elevation": 43, "jib_length": 50, "counter_jib_length": 15,
       "speeds": {"slew_deg_s": 36, "hoist_m_s": 1.0, "trolley_m_s": 1.0},
       "load_chart": {"radius": [3, 20, 30, 40, 50], "capacity": [10, 10, 6, 4, 3]}}
TABLE = {1: 1.5, 10: 3.0, 35: 4.0, 110: 5.0, 220: 6.0}


def _plan(site):
    doc = {"clearance": 0.5, "cranes": [TC1], "site": site, "lifts": [
        {"id": "L1", "crane": "TC1", "load": {"box": [2, 2, 1], "weight": 2.0},
         "pick": [30, 0, 0], "set": [0, 30, 10], "travel_height": 12}]}
    plan = parse_lift_plan(doc, FilePath("t.lift.yaml"))
    crane, lift = plan.cranes["TC1"], plan.lifts[0]
    return plan, crane, lift, default_path(crane, lift)


def _square(cx, cy, half):
    return [[cx - half, cy - half], [cx + half, cy - half], [cx + half, cy + half],
            [cx - half, cy + half]]


def _radial_block(angle_deg):
    """A zone whose near edge lies on the radial line at ``angle_deg`` (radii
    20-40 m) and which reaches 5 m beyond it."""
    a = math.radians(angle_deg)
    u, n = (math.cos(a), math.sin(a)), (-math.sin(a), math.cos(a))
    return [[r * u[0] + t * n[0], r * u[1] + t * n[1]] for r, t in
            ((20, 0), (40, 0), (40, 5), (20, 5))]


def _root(c):
    """β where the load's leading side (1 m off the jib line, radii 29-31 m)
    is ``c`` from a radial line β ahead: 29 sin β − cos β = c (bisection)."""
    lo, hi = 0.0, math.radians(20)
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if 29 * math.sin(mid) - math.cos(mid) > c else (mid, hi)
    return math.degrees(hi)


def test_a_zone_on_the_slew_arc_is_crossed_where_the_load_first_reaches_it():
    plan, crane, lift, path = _plan({"exclusion_zones": [
        {"id": "yard", "polygon": _radial_block(60), "z": [0, 50]},
        {"id": "high", "polygon": _radial_block(60), "z": [20, 50]},  # above the load
        {"id": "road", "polygon": [[-60, -30], [90, -30], [90, -24], [-60, -24]],
         "z": [0, 200]},                                             # never reached
    ]})
    step = 0.25
    found = zone_crossings(crane, path, lift.load.box, plan.site.exclusion_zones, step)
    assert [z.zone for z in found] == ["yard"]
    angle = math.degrees(math.atan2(found[0].position[1], found[0].position[0]))
    # The footprint grown by the step meets the zone at β = _root(step); the
    # samples are one step of the farthest point (51.41 m) apart.
    sample_step = math.degrees(step / (50 + math.hypot(1, 1)))
    assert 60 - _root(step) - 1e-9 <= angle <= 60 - _root(step) + sample_step + 1e-9
    assert 60 - angle >= _root(0.0)  # no later than where the load itself touches


def test_a_zone_farther_than_the_step_is_not_crossed():
    # The load passes at radius 29-31 m; a zone beyond radius 31.3 m is clear.
    plan, crane, lift, path = _plan({"exclusion_zones": [
        {"id": "ring", "polygon": _square(0, 31.3 + 1.0, 1.0), "z": [0, 50]}]})
    assert zone_crossings(crane, path, lift.load.box, plan.site.exclusion_zones, 0.25) == []


@pytest.mark.parametrize(("y", "ok"), [(33.0, False), (33.1, True)])
def test_power_line_clearance_by_voltage(y, ok):
    """A 10 kV line along x at y, 20 m up: the hoist line hangs at (0, 30) over
    the set point, 3 m from it at y = 33, less the line's radius: under the
    3.0 m a 10 kV line needs. At y = 33.1 it keeps 3.05 m."""
    plan, crane, lift, path = _plan({
        "power_lines": [{"id": "PL1", "points": [[-60, y, 20], [60, y, 20]],
                         "voltage_kv": 10}],
        "clearance_by_voltage_kv": TABLE})
    (check,) = check_power_lines(crane, path, lift.load.box, plan.site)
    assert check.required == 3.0 and check.ok is ok
    expected = y - 30 - LINE_RADIUS
    assert expected - WIRE_RADIUS - 1e-6 <= check.min_distance <= expected + 1e-6
    assert check.body == "line"


def test_the_wire_prism_is_within_its_radius_of_the_segment():
    from bimcheck.crane.site import wire_mesh

    wire = wire_mesh(np.array([0.0, 0, 0]), np.array([10.0, 0, 0]))
    assert wire.closed
    probe = box((4.0, 2.0, -0.5), (5.0, 3.0, 0.5))  # 2 m from the axis
    d = query.distance(wire, probe).distance
    assert 2.0 - WIRE_RADIUS - 1e-9 <= d <= 2.0


def test_a_neighbour_is_an_obstacle_of_its_height():
    from bimcheck.crane.clearance import Obstacles, check_path
    from bimcheck.crane.site import neighbour_meshes

    # The school (4 × 4 m, 18 m tall) stands under the slew arc at 45°.
    c = 30 / math.sqrt(2)
    plan, crane, lift, path = _plan({"neighbours": [
        {"id": "school", "polygon": _square(c, c, 2.0), "height": 18}]})
    meshes = neighbour_meshes(plan.site)
    (mesh,) = meshes.values()
    assert mesh.closed and mesh.volume == pytest.approx(4 * 4 * 18)
    result = check_path(crane, path, lift.load.box,
                        Obstacles.build(meshes, {"neighbour:school": "neighbour"}), 0.5)
    assert result.collides and result.first.global_id == "neighbour:school"


def test_a_neighbour_drawn_clockwise_is_still_a_solid():
    from bimcheck.crane.site import neighbour_meshes

    c = 30 / math.sqrt(2)
    plan, *_ = _plan({"neighbours": [
        {"id": "cw", "polygon": _square(c, c, 2.0)[::-1], "height": 18}]})
    (mesh,) = neighbour_meshes(plan.site).values()
    assert mesh.closed and mesh.volume == pytest.approx(4 * 4 * 18)
