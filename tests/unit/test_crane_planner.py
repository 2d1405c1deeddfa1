"""The planner: around an obstacle where the straight path collides (confirmed
by the dense re-check), and 'no path' when the target is enclosed."""

from __future__ import annotations

import math
from pathlib import Path as FilePath

import numpy as np
import pytest

from bimcheck.crane.clearance import Obstacles, check_path
from bimcheck.crane.motion import default_path, hook_positions
from bimcheck.crane.plan import parse_lift_plan
from bimcheck.crane.planner import plan_path
from bimcheck.geometry.mesh import box, moved
from tests.replay import assert_replays_clear, lift_json

TC1 = {"id": "TC1", "type": "tower", "base": [0, 0, 0], "hook_height": 20,
       "jib_elevation": 23, "jib_length": 40, "counter_jib_length": 10,
       "speeds": {"slew_deg_s": 6, "hoist_m_s": 1.0, "trolley_m_s": 1.0},
       "load_chart": {"radius": [3, 20, 40], "capacity": [10, 10, 4]}}
CLEARANCE = 0.5


def _lift(pick, set_, travel=None):
    lift = {"id": "L", "crane": "TC1", "load": {"box": [2, 2, 1], "weight": 2.0},
            "pick": pick, "set": set_}
    if travel is not None:
        lift["travel_height"] = travel
    plan = parse_lift_plan({"clearance": CLEARANCE, "cranes": [TC1], "lifts": [lift]},
                           FilePath("t.lift.yaml"))
    return plan.cranes["TC1"], plan.lifts[0]


def _ground():
    return box((-60, -60, -1), (60, 60, 0))


def test_it_goes_around_a_tower_the_straight_path_hits():
    """A 6 × 6 m tower 21.5 m tall (above the hook height, 20 m, so the load
    cannot pass over it; below the jib, 23 m, so the jib can) stands on the
    slew arc at 45°; the default path (radius 25 m, 3 m up) runs into it. The
    planner trolleys in or out past it; the re-check confirms it is clear."""
    crane, lift = _lift([25, 0, 0], [0, 25, 0], travel=3)
    c = 25 / math.sqrt(2)
    tower = box((c - 3, c - 3, 0), (c + 3, c + 3, 21.5))
    obstacles = Obstacles.build({"T": tower, "G": _ground()}, {"T": "IfcBuilding",
                                                                "G": "IfcSlab"})
    straight = check_path(crane, default_path(crane, lift), lift.load.box, obstacles,
                          CLEARANCE, rest_heights=(0.0, 0.0))
    assert straight.collides and straight.first.global_id == "T"
    found = plan_path(crane, lift, lift.load.box, obstacles, CLEARANCE)
    assert found.path is not None, found.reason
    recheck = check_path(crane, found.path, lift.load.box, obstacles, CLEARANCE,
                         rest_heights=(0.0, 0.0))
    assert recheck.conflicts == [] and recheck.min_clearance >= CLEARANCE
    ends = hook_positions(crane, found.path.waypoints[[0, -1]])
    np.testing.assert_allclose(ends, [[25, 0, 0], [0, 25, 0]], atol=1e-9)
    # It passed the tower at another radius: some waypoint is off 25 m.
    radii = found.path.waypoints[:, 1]
    assert (np.abs(radii - 25) > 3).any()
    assert found.path.duration > default_path(crane, lift).duration
    assert_replays_clear(lift_json(crane, found.path, lift.load.box),
                         {"T": tower, "G": _ground()}, CLEARANCE)


def test_it_lifts_over_a_low_building():
    crane, lift = _lift([25, 0, 0], [0, 25, 0], travel=3)
    c = 25 / math.sqrt(2)
    low = box((c - 5, c - 5, 0), (c + 5, c + 5, 6))
    obstacles = Obstacles.build({"B": low, "G": _ground()}, {"B": "IfcBuilding",
                                                             "G": "IfcSlab"})
    found = plan_path(crane, lift, lift.load.box, obstacles, CLEARANCE)
    assert found.path is not None, found.reason
    assert found.path.waypoints[:, 2].max() >= 6 + CLEARANCE  # went over the roof
    assert check_path(crane, found.path, lift.load.box, obstacles, CLEARANCE,
                      rest_heights=(0.0, 0.0)).conflicts == []
    assert_replays_clear(lift_json(crane, found.path, lift.load.box),
                         {"B": low, "G": _ground()}, CLEARANCE)


def test_an_enclosed_target_has_no_path_and_the_enclosure_is_named():
    """The set point is in a yard walled in by 21.5 m walls (the load can rise
    only to 16.2 m under the 20 m hook; the jib at 23 m clears them): the hook
    reaches in from above, but the load cannot get over. No path; the walls
    are named."""
    crane, lift = _lift([25, 0, 0], [0, 25, 0], travel=3)
    walls = {
        "W-south": box((-6, 19, 0), (6, 19.3, 21.5)),
        "W-north": box((-6, 30.7, 0), (6, 31, 21.5)),
        "W-west": box((-6, 19, 0), (-5.7, 31, 21.5)),
        "W-east": box((5.7, 19, 0), (6, 31, 21.5)),
    }
    obstacles = Obstacles.build({**walls, "G": _ground()},
                                {**{k: "IfcWall" for k in walls}, "G": "IfcSlab"})
    found = plan_path(crane, lift, lift.load.box, obstacles, CLEARANCE)
    assert found.path is None
    assert "no collision-free path" in found.reason and "set" in found.reason
    assert set(found.blocking[:4]) <= set(walls) | {"G"}
    assert set(found.blocking) & set(walls)
    assert found.nodes_tested > 0 and found.queries > 0


def test_a_roofed_target_cannot_even_be_reached_by_the_hook():
    crane, lift = _lift([25, 0, 0], [0, 25, 0], travel=3)
    roof = box((-6, 19, 8), (6, 31, 8.3))
    found = plan_path(crane, lift, lift.load.box,
                      Obstacles.build({"R": roof}, {"R": "IfcRoof"}), CLEARANCE)
    assert found.path is None and "set position" in found.reason
    assert found.blocking == ["R"]


@pytest.mark.parametrize("where", ["pick", "set"])
def test_a_blocked_pick_or_set_position_is_said(where):
    crane, lift = _lift([25, 0, 0], [0, 25, 0], travel=3)
    p = (25, 0) if where == "pick" else (0, 25)
    over = box((p[0] - 3, p[1] - 3, 1.2), (p[0] + 3, p[1] + 3, 1.5))  # a slab just above
    found = plan_path(crane, lift, lift.load.box,
                      Obstacles.build({"S": over}, {"S": "IfcSlab"}), CLEARANCE)
    assert found.path is None and where in found.reason and found.blocking == ["S"]


def test_it_goes_the_long_way_round_when_the_short_way_is_walled_off():
    """A wall on the radial line at 45°, from the mast to past the jib, 21.5 m
    tall (over the 20 m hook, under the 23 m jib): no way from 0° to 90° the
    short way. A crane without slew limits goes round through 180°."""
    crane, lift = _lift([25, 0, 0], [0, 25, 0], travel=3)
    a = math.radians(45)
    wall = moved(box((2, -0.15, 0), (45, 0.15, 21.5)), _rz(a))
    obstacles = Obstacles.build({"W": wall, "G": _ground()}, {"W": "IfcWall", "G": "IfcSlab"})
    found = plan_path(crane, lift, lift.load.box, obstacles, CLEARANCE)
    assert found.path is not None, found.reason
    slews = found.path.waypoints[:, 0]
    assert slews.min() < -180 + 1e-6 or slews.max() > 180  # round the back: 0 -> -270
    assert found.path.waypoints[-1, 0] == pytest.approx(-270.0)
    recheck = check_path(crane, found.path, lift.load.box, obstacles, CLEARANCE,
                         rest_heights=(0.0, 0.0))
    assert recheck.conflicts == []
    doc = lift_json(crane, found.path, lift.load.box)
    assert len(doc["path"]) >= 5  # the 270° slew is split into pieces of at most 90°
    assert doc["configurations"]["slew_direction"] == "clockwise"
    assert_replays_clear(doc, {"W": wall, "G": _ground()}, CLEARANCE)


def _rz(a):
    m = np.eye(4)
    m[:2, :2] = [[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]
    return m
