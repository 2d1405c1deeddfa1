"""A lift's moving parts against the model: the building-on-the-slew-arc
cases of the issue, worked by hand."""

from __future__ import annotations

import math
from pathlib import Path as FilePath

import numpy as np
import pytest

from bimcheck.crane.clearance import Obstacles, check_path
from bimcheck.crane.motion import default_path
from bimcheck.crane.plan import parse_lift_plan
from bimcheck.geometry.mesh import box, moved

TC1 = {"id": "TC1", "type": "tower", "base": [0, 0, 0], "hook_height": 40,
       "jib_elevation": 43, "jib_length": 50, "counter_jib_length": 15,
       "speeds": {"slew_deg_s": 36, "hoist_m_s": 1.0, "trolley_m_s": 1.0},
       "load_chart": {"radius": [3, 20, 30, 40, 50], "capacity": [10, 10, 6, 4, 3]}}
CLEARANCE = 0.5
HEIGHT = 10.0  # the building's top (m)


def _lift(travel):
    doc = {"clearance": CLEARANCE, "cranes": [TC1], "lifts": [
        {"id": "L", "crane": "TC1", "load": {"box": [2, 2, 1], "weight": 2.0},
         "pick": [30, 0, 0], "set": [0, 30, 0], "travel_height": travel}]}
    plan = parse_lift_plan(doc, FilePath("t.lift.yaml"))
    crane, lift = plan.cranes["TC1"], plan.lifts[0]
    return crane, lift, default_path(crane, lift)


def _building():
    """A 20 × 10 m block, HEIGHT tall, whose face y = 0 lies on the radial plane
    at 45°: it spans radii 20-40 m beyond that plane."""
    a = math.radians(45)
    rot = np.eye(4)
    rot[:2, :2] = [[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]
    return moved(box((20, 0, 0), (40, 10, HEIGHT)), rot)


def _obstacles():
    return Obstacles.build({"B": _building()}, {"B": "IfcBuilding"})


def _predicted_angle():
    """The load (2 × 2 m, centre at radius 30 m, its sides along the jib)
    slewing towards the face: its leading side (1 m off the jib line, from
    radius 29 to 31 m) is at distance 29 sin β − cos β from a radial plane β
    ahead of the jib. The clearance is first broken at 29 sin β − cos β = c."""
    lo, hi = 0.0, math.radians(20)  # the left side increases with β
    for _ in range(100):  # bisection
        mid = (lo + hi) / 2
        if 29 * math.sin(mid) - math.cos(mid) > CLEARANCE:
            hi = mid
        else:
            lo = mid
    return 45.0 - math.degrees(hi)  # β = 2.890°: 42.110°


def test_a_path_below_the_roof_collides_where_the_hand_calculation_says():
    crane, lift, path = _lift(travel=5.0)  # load from 5 to 6 m: below the 10 m top
    result = check_path(crane, path, lift.load.box, _obstacles(), CLEARANCE,
                        rest_heights=(lift.pick[2], lift.set[2]))
    first = result.first
    assert first is not None and first.global_id == "B" and first.body == "load"
    assert first.ifc_class == "IfcBuilding"
    angle = math.degrees(math.atan2(first.position[1], first.position[0]))
    step = math.degrees(CLEARANCE / 2 / 50)  # the jib tip moves half the clearance
    predicted = _predicted_angle()
    assert predicted <= angle + 1e-9 <= predicted + step + 1e-9
    assert result.collides  # and it goes on into the building
    assert result.min_clearance == 0.0 and result.min_element == "B"
    # The path parameter is the time fraction: hoist 5 s, then the slew.
    t = 5.0 + angle / 36.0
    assert first.path_parameter == pytest.approx(t / path.duration, abs=1e-9)


@pytest.mark.parametrize(("margin", "conflict"), [(-0.001, True), (0.0, False),
                                                  (0.001, False)])
def test_a_safe_height_is_clear_and_the_margin_flips_at_one_millimetre(margin, conflict):
    travel = HEIGHT + CLEARANCE + margin
    crane, lift, path = _lift(travel)
    result = check_path(crane, path, lift.load.box, _obstacles(), CLEARANCE,
                        rest_heights=(lift.pick[2], lift.set[2]))
    assert bool(result.conflicts) is conflict
    assert result.min_element == "B" and result.min_body == "load"
    assert result.min_clearance == pytest.approx(CLEARANCE + margin, abs=1e-6)
    if conflict:
        assert not result.collides and result.first.distance < CLEARANCE


def test_the_jib_is_checked_too():
    crane, lift, path = _lift(travel=12.0)
    tower = box((20, 20, 0), (25, 25, 44.0))  # taller than the jib underside (43 m)
    result = check_path(crane, path, lift.load.box,
                        Obstacles.build({"T": tower}, {"T": "IfcBuilding"}), CLEARANCE)
    assert any(c.body == "jib" and c.global_id == "T" for c in result.conflicts)


def test_a_load_inside_a_closed_element_is_a_collision():
    crane, lift, path = _lift(travel=5.0)
    hall = box((-100, -100, 3), (100, 100, 30))  # the whole path runs inside it
    result = check_path(crane, path, lift.load.box,
                        Obstacles.build({"H": hall}, {"H": "IfcBuilding"}), CLEARANCE)
    assert result.collides and result.first.global_id == "H"


def test_the_support_under_the_load_at_pick_and_set_is_not_a_conflict():
    crane, lift, path = _lift(travel=5.0)
    ground = box((-100, -100, -1), (100, 100, 0))
    result = check_path(crane, path, lift.load.box,
                        Obstacles.build({"G": ground}, {"G": "IfcSlab"}), CLEARANCE,
                        rest_heights=(lift.pick[2], lift.set[2]))
    assert result.conflicts == []
    # The ground under the pick and the set is the load's support, not its
    # margin: the margin is the 5 m travel height over the ground.
    assert result.min_clearance == pytest.approx(5.0, abs=1e-6)
    assert result.min_element == "G" and result.min_body == "load"
    # Without the rest heights the resting load touches the ground.
    result = check_path(crane, path, lift.load.box,
                        Obstacles.build({"G": ground}, {"G": "IfcSlab"}), CLEARANCE)
    assert result.collides
