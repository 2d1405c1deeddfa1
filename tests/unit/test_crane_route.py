"""Which path a lift takes when zones and power lines constrain it, and the
reported path replayed from its JSON alone.

The scene of the issue: a tower crane at the origin, pick 25 m east, set
25 m north (short slew 90° counter-clockwise, long slew 270° clockwise). A
block 12 m high lies across the short arc from the mast to past the jib, so
the load can only pass over it (the hook rises to 20 m, so the load's
underside to 16.2 m); a road on the long arc, at 225°. Slewing at 12 °/s
and hoisting at 1 m/s, the long way (22.5 s of slew) is quicker than going
over the block (7.5 s of slew and 2 × 13 m of hoist): without zones the
planner goes the long way, across the road; avoiding zones, it goes over the
block."""

from __future__ import annotations

import math
from pathlib import Path as FilePath

import numpy as np
import pytest

from bimcheck.crane.clearance import Obstacles
from bimcheck.crane.plan import parse_lift_plan
from bimcheck.crane.replay import configurations, replayable, waypoints
from bimcheck.crane.route import route_lift
from bimcheck.geometry.mesh import box, moved
from tests.replay import assert_replays_clear

CLEARANCE = 0.5
TC1 = {"id": "TC1", "type": "tower", "base": [0, 0, 0], "hook_height": 20,
       "jib_elevation": 23, "jib_length": 40, "counter_jib_length": 10,
       "speeds": {"slew_deg_s": 12, "hoist_m_s": 1.0, "trolley_m_s": 1.0},
       "load_chart": {"radius": [3, 20, 40], "capacity": [10, 10, 4]}}
BLOCK_TOP = 12.0
ROAD = {"id": "road", "polygon": [[-30, -30], [-30, -8], [-8, -8], [-8, -30]], "z": [0, 50]}


def _rz(deg):
    a = math.radians(deg)
    m = np.eye(4)
    m[:2, :2] = [[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]
    return m


def _scene(zones=(ROAD,), lines=(), travel=2):
    lift = {"id": "L", "crane": "TC1", "load": {"box": [2, 2, 1], "weight": 2.0},
            "pick": [25, 0, 0], "set": [0, 25, 0], "travel_height": travel}
    site = {"exclusion_zones": list(zones)}
    if lines:
        site["power_lines"] = list(lines)
        site["clearance_by_voltage_kv"] = {10: 3.0}
    plan = parse_lift_plan({"clearance": CLEARANCE, "cranes": [TC1], "lifts": [lift],
                            "site": site}, FilePath("scene.lift.yaml"))
    block = moved(box((2, -3, 0), (45, 3, BLOCK_TOP)), _rz(45))
    ground = box((-60, -60, -1), (60, 60, 0))
    meshes = {"BLOCK": block, "GROUND": ground}
    obstacles = Obstacles.build(meshes, {"BLOCK": "IfcBuildingElementProxy",
                                         "GROUND": "IfcSlab"})
    return plan, obstacles, meshes


def _json(plan, route):
    """The lift as the report writes it: the fields a reader replays."""
    crane, lift = plan.cranes["TC1"], plan.lifts[0]
    path = replayable(route.path)
    return {"path": waypoints(crane, path), "load_box": list(lift.load.box),
            "configurations": configurations(crane, path, lift.load.box)}


def _replay_is_clear(doc, meshes, reported_min):
    got = assert_replays_clear(doc, meshes, CLEARANCE)
    # The reported check samples every 0.25 m of movement: between samples
    # a part can come at most half of that nearer.
    assert got >= reported_min - 0.125
    return got


def test_without_zones_the_quickest_path_is_the_long_way_across_the_road():
    plan, obstacles, meshes = _scene()
    crane, lift = plan.cranes["TC1"], plan.lifts[0]
    route = route_lift(crane, lift, lift.load.box, obstacles, plan, avoid_zones=False)
    assert route.planned and not route.problems
    assert route.path.waypoints[-1, 0] == pytest.approx(-270.0)  # clockwise round the back
    assert [z.zone for z in route.zones] == ["road"]
    assert route.path.waypoints[:, 2].max() < BLOCK_TOP  # never over the block
    _replay_is_clear(_json(plan, route), meshes, route.clearance.min_clearance)


def test_avoiding_zones_it_goes_over_the_block_and_crosses_no_zone():
    plan, obstacles, meshes = _scene()
    crane, lift = plan.cranes["TC1"], plan.lifts[0]
    route = route_lift(crane, lift, lift.load.box, obstacles, plan, avoid_zones=True)
    assert route.planned and not route.problems
    assert route.zones == []
    slews = route.path.waypoints[:, 0]
    assert slews.min() >= -1e-9 and slews.max() <= 90 + 1e-9  # the short way
    # Over the block: the load's underside clear of its top by the clearance.
    assert route.path.waypoints[:, 2].max() >= BLOCK_TOP + CLEARANCE
    assert route.clearance.conflicts == []
    assert route.clearance.min_clearance >= CLEARANCE
    assert all(p.ok for p in route.power_lines)
    doc = _json(plan, route)
    _replay_is_clear(doc, meshes, route.clearance.min_clearance)
    cfg = doc["configurations"]
    assert cfg["slew_direction"] == "counter-clockwise"
    assert cfg["points"][0][0] == pytest.approx(0.0) and cfg["points"][-1][0] == pytest.approx(90)
    # hook z = load underside + 1 m load + 2 m slings
    assert [p[2] for p in cfg["points"]] == pytest.approx([w[2] + 3.0 for w in doc["path"]])
    assert cfg["time_s"][-1] == pytest.approx(route.path.duration)


@pytest.mark.slow  # 40-60 s of planner search: the 10-minute budget of the default run
def test_when_every_way_crosses_a_zone_it_crosses_the_fewest():
    """Two zones cut the short arc (wedges from the mast to past the jib);
    the road alone lies on the long arc. No zone-free path exists; the long
    way, across one zone, is the fewest, though slower than the default."""
    wedge = [[0, 0], [60, 30], [40, 50]]  # from 26.6° to 51.3°, mast to 58 m
    plan, _, meshes = _scene(zones=(
        {"id": "east", "polygon": [[1, -1], [60, 20], [60, 28]], "z": [0, 50]},
        {"id": "north-east", "polygon": wedge, "z": [0, 50]},
        {**ROAD, "polygon": [[-1, -1], [-60, -20], [-60, -28]]}), travel=2)
    crane, lift = plan.cranes["TC1"], plan.lifts[0]
    # No block in the way here: only the zones constrain the path.
    free = Obstacles.build({"GROUND": meshes["GROUND"]}, {"GROUND": "IfcSlab"})
    route = route_lift(crane, lift, lift.load.box, free, plan, avoid_zones=True)
    assert route.planned
    assert [z.zone for z in route.zones] == ["road"]
    assert route.path.waypoints[-1, 0] == pytest.approx(-270.0)
    _replay_is_clear(_json(plan, route), {"GROUND": meshes["GROUND"]},
                     route.clearance.min_clearance)


def test_a_zone_the_lift_may_cross_is_not_avoided():
    plan, _, _ = _scene(zones=({**ROAD, "polygon": [[5, 5], [30, 5], [30, 30],
                                                            [5, 30]]},))
    crane, lift = plan.cranes["TC1"], plan.lifts[0]
    free = Obstacles.build({}, {})
    route = route_lift(crane, lift, lift.load.box, free, plan, avoid_zones=False)
    assert not route.planned and [z.zone for z in route.zones] == ["road"]


def test_a_power_line_over_the_short_arc_is_an_obstacle_to_the_planner():
    """A 10 kV line (3 m needed) at 9 m crosses the short arc from the mast
    out; the hoist line under the jib (23 m) would sweep through it. The
    planner goes the long way, keeping 3 m from the wire."""
    line = {"id": "PL1", "points": [[0, 0, 9], [60, 60, 9]], "voltage_kv": 10}
    plan, _, meshes = _scene(zones=(), lines=(line,))
    crane, lift = plan.cranes["TC1"], plan.lifts[0]
    free = Obstacles.build({"GROUND": meshes["GROUND"]}, {"GROUND": "IfcSlab"})
    route = route_lift(crane, lift, lift.load.box, free, plan)
    assert route.planned and not route.problems
    assert all(p.ok for p in route.power_lines)
    assert min(p.min_distance for p in route.power_lines) >= 3.0
    assert route.path.waypoints[-1, 0] == pytest.approx(-270.0)


@pytest.mark.slow  # 40-60 s of planner search: the 10-minute budget of the default run
def test_an_uneven_grid_still_finds_the_zone_free_path_over_the_block():
    """The scene with the set at 24.3 m, 0.5 m up: the grid's steps no longer
    divide the spans evenly (a half-move just under 0.5 m), which once threw
    the over-the-block candidate away and gave the 270° path over the road."""
    plan, obstacles, _ = _scene()
    lift = plan.lifts[0]
    from dataclasses import replace

    lift = replace(lift, set=(0.0, 24.3, 0.5))
    crane = plan.cranes["TC1"]
    route = route_lift(crane, lift, lift.load.box, obstacles, plan, avoid_zones=True)
    assert route.planned and route.zones == [] and route.clearance.conflicts == []
    assert route.path.waypoints[:, 2].max() >= BLOCK_TOP + CLEARANCE
    slews = route.path.waypoints[:, 0]
    assert slews.min() >= -1e-9 and slews.max() <= 90 + 1e-9


def test_a_load_set_close_to_a_wall_is_not_taken_for_one_inside_it():
    """A wall 0.8 m west of the set load (clearance 0.5 m): the set is legal,
    and the planner (asked because the default path hits the block) lands
    the load there."""
    plan, _, meshes = _scene(zones=())
    wall = box((-2.3, 20, 0), (-1.8, 30, 3))
    obstacles = Obstacles.build({**meshes, "WALL": wall},
                                {"BLOCK": "IfcBuildingElementProxy", "GROUND": "IfcSlab",
                                 "WALL": "IfcWall"})
    crane, lift = plan.cranes["TC1"], plan.lifts[0]
    route = route_lift(crane, lift, lift.load.box, obstacles, plan)
    assert route.planned and not route.problems and route.clearance.conflicts == []
    # At the set the load's west face (x = -1) is 0.8 m from the wall.
    assert route.clearance.min_clearance == pytest.approx(0.8, abs=1e-6)
    assert route.clearance.min_element == "WALL"


def test_a_luffing_jib_never_hangs_the_hook_above_its_tip():
    """A luffing jib (pin 20 m up, 40 m long) and a 37.5 m block across the
    short arc at radius 34-40 m: at the set radius 36 m the jib is at 31.8°
    and its tip at 20 + 40 sin 31.8° = 41.07 m, so the load (hanging 3.8 m
    under the hook block's top) cannot pass over the block there. Every
    planned waypoint keeps the hook block 1 m under the tip."""
    from bimcheck.crane.motion import tip_height

    lt = {"id": "TC1", "type": "luffing-tower", "base": [0, 0, 0],
          "jib_pivot": {"offset": 2, "height": 20}, "jib_length": 40, "jib_angle": [15, 80],
          "slew_limits": [-10, 100],
          "speeds": {"slew_deg_s": 3.6, "hoist_m_s": 1.0, "luff_deg_s": 0.05},
          "load_chart": {"radius": [5, 10, 30, 40], "capacity": [10, 10, 5, 3]}}
    lift = {"id": "L", "crane": "TC1", "load": {"box": [2, 2, 1], "weight": 2.0},
            "pick": [36, 0, 0], "set": [0, 36, 0], "travel_height": 2}
    plan = parse_lift_plan({"clearance": CLEARANCE, "cranes": [lt], "lifts": [lift]},
                           FilePath("luff.lift.yaml"))
    block = moved(box((34, -3, 0), (40, 3, 37.5)), _rz(45))
    ground = box((-60, -60, -1), (60, 60, 0))
    obstacles = Obstacles.build({"BLOCK": block, "GROUND": ground},
                                {"BLOCK": "IfcBuildingElementProxy", "GROUND": "IfcSlab"})
    crane, lift = plan.cranes["TC1"], plan.lifts[0]
    assert float(tip_height(crane, math.degrees(math.acos((36 - 2) / 40)))) == pytest.approx(
        20 + 40 * math.sin(math.acos(34 / 40)))
    route = route_lift(crane, lift, lift.load.box, obstacles, plan)
    assert route.planned and not route.problems and route.clearance.conflicts == []
    hang = 1 + 2 + 0.8
    for s, angle, z in route.path.waypoints:
        assert z + hang <= float(tip_height(crane, angle)) - 1.0 + 1e-6, (s, angle, z)
