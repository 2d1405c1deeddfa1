"""Default lift motion, sampling and capacity along the path, worked by hand."""

from __future__ import annotations

import math
from pathlib import Path as FilePath

import numpy as np
import pytest

from bimcheck.crane.capacity import check_capacity
from bimcheck.crane.motion import (
    MotionError,
    default_path,
    hook_positions,
    sample,
    slew_move,
)
from bimcheck.crane.plan import parse_lift_plan

TC1 = {"id": "TC1", "type": "tower", "base": [0, 0, 0], "hook_height": 40,
       "jib_elevation": 43, "jib_length": 50, "counter_jib_length": 15,
       "slew_limits": [-180, 180], "hook_weight": 0.3,
       "speeds": {"slew_deg_s": 36, "hoist_m_s": 1.0, "trolley_m_s": 1.0},
       "load_chart": {"radius": [3, 20, 30, 40, 50], "capacity": [10, 10, 6, 4, 3]}}
MC1 = {"id": "MC1", "type": "mobile", "base": [60, -20, 0],
       "boom_pivot": {"offset": 1.5, "height": 2.5}, "boom_length": 40,
       "boom_angle": [15, 80], "tail_radius": 4.5, "hook_weight": 0.5,
       "speeds": {"slew_deg_s": 2.0, "hoist_m_s": 0.5, "luff_deg_s": 1.0},
       "load_chart": {"radius": [4, 10, 20, 30], "capacity": [50, 30, 12, 6]}}


def _plan(lifts, cranes=(TC1, MC1)):
    return parse_lift_plan({"clearance": 0.5, "cranes": list(cranes), "lifts": lifts},
                           FilePath("t.lift.yaml"))


L1 = {"id": "L1", "crane": "TC1", "load": {"box": [2, 2, 1], "weight": 2.0},
      "rigging_weight": 0.2, "pick": [30, 0, 0], "set": [0, 30, 10], "travel_height": 12}


def test_the_issue_lift_hoists_slews_and_lowers():
    plan = _plan([L1])
    crane, lift = plan.cranes["TC1"], plan.lifts[0]
    path = default_path(crane, lift)
    np.testing.assert_allclose(path.waypoints, [
        [0, 30, 0], [0, 30, 12], [90, 30, 12], [90, 30, 12], [90, 30, 10]], atol=1e-12)
    # hoist 12 m at 1 m/s, slew 90° at 36°/s, no trolley, lower 2 m.
    np.testing.assert_allclose(path.durations, [12.0, 2.5, 0.0, 2.0])
    assert path.duration == pytest.approx(16.5)
    np.testing.assert_allclose(hook_positions(crane, path.waypoints[[0, -1]]),
                               [[30, 0, 0], [0, 30, 10]], atol=1e-12)
    cap = check_capacity(crane, path, 2.0, 0.2, plan.bands)
    # 2.0 + 0.2 + 0.3 t at 30 m, where TC1 lifts 6 t: 2.5 / 6.
    assert (cap.total_weight, cap.radius_min, cap.radius_max) == (2.5, 30.0, 30.0)
    assert cap.capacity_min == pytest.approx(6.0)
    assert cap.utilization_max == pytest.approx(2.5 / 6)
    assert cap.band == "normal"


def test_trolleying_out_takes_the_least_capacity_inside_the_radius_range():
    lift = dict(L1, pick=[10, 0, 0], set=[0, 45, 0])  # radius 10 -> 45 m
    plan = _plan([lift])
    path = default_path(plan.cranes["TC1"], plan.lifts[0])
    assert path.durations[2] == pytest.approx(35.0)  # trolley 35 m at 1 m/s
    cap = check_capacity(plan.cranes["TC1"], path, 2.0, 0.2, plan.bands)
    assert (cap.radius_min, cap.radius_max) == (10.0, 45.0)
    assert cap.capacity_min == pytest.approx(3.5)  # at 45 m: 4 + 0.5 × (3 − 4)
    assert cap.utilization_max == pytest.approx(2.5 / 3.5)


@pytest.mark.parametrize(("weight", "band"), [
    (4.5 - 0.5, "critical"),   # 4.5 / 6 = 0.75 exactly
    (5.4 - 0.5, "high"),       # 5.4 / 6 = 0.90 exactly
    (6.0 - 0.5, "high"),       # 1.00 exactly
    (6.3 - 0.5, "fail"),
])
def test_bands_at_their_exact_boundaries(weight, band):
    plan = _plan([dict(L1, load={"box": [1, 1, 1], "weight": weight}, rigging_weight=0.2)])
    path = default_path(plan.cranes["TC1"], plan.lifts[0])
    cap = check_capacity(plan.cranes["TC1"], path, weight, 0.2, plan.bands)
    assert cap.band == band


def test_a_radius_off_the_chart_is_out_of_chart():
    plan = _plan([dict(L1, pick=[2, 0, 0])])  # 2 m: the chart starts at 3 m
    path = default_path(plan.cranes["TC1"], plan.lifts[0])
    cap = check_capacity(plan.cranes["TC1"], path, 2.0, 0.2, plan.bands)
    assert cap.band == "out_of_chart" and cap.capacity_min is None
    with pytest.raises(MotionError, match="beyond the jib"):
        plan2 = _plan([dict(L1, set=[0, 51, 0])])
        default_path(plan2.cranes["TC1"], plan2.lifts[0])


def test_mobile_crane_luffs_to_the_set_radius():
    lift = {"id": "M", "crane": "MC1", "load": {"box": [1, 1, 1], "weight": 5.0},
            "rigging_weight": 0.3, "pick": [70, -10, 0], "set": [62, 5, 6]}
    plan = _plan([lift])
    crane = plan.cranes["MC1"]
    path = default_path(crane, plan.lifts[0])
    r0, r1 = math.hypot(10, 10), math.hypot(2, 25)
    phi0 = math.degrees(math.acos((r0 - 1.5) / 40))
    phi1 = math.degrees(math.acos((r1 - 1.5) / 40))
    np.testing.assert_allclose(path.waypoints[:, 1], [phi0, phi0, phi0, phi1, phi1])
    np.testing.assert_allclose(path.waypoints[[0, 2], 0], [45.0, math.degrees(math.atan2(25, 2))])
    np.testing.assert_allclose(hook_positions(crane, path.waypoints[[0, -1]]),
                               [[70, -10, 0], [62, 5, 6]], atol=1e-9)
    # luff at 1°/s; slew at 2°/s; hoist 8 m at 0.5 m/s, lower 2 m.
    np.testing.assert_allclose(path.durations, [
        16.0, (math.degrees(math.atan2(25, 2)) - 45) / 2, abs(phi1 - phi0), 4.0])
    cap = check_capacity(crane, path, 5.0, 0.3, plan.bands)
    least = 12 + (r1 - 20) / 10 * (6 - 12)  # at the set radius, past the 20 m point
    assert cap.capacity_min == pytest.approx(least)
    assert cap.utilization_max == pytest.approx(5.8 / least)


def test_slew_goes_the_shorter_way_unless_the_limits_forbid_it():
    plan = _plan([L1])
    crane = plan.cranes["TC1"]  # limits [-180, 180]
    assert slew_move(crane, 10, 100) == pytest.approx(100)
    assert slew_move(crane, 100, 10) == pytest.approx(10)
    # -170 -> 170: the short way (-20°) would pass -180: the long way (+340°).
    assert slew_move(crane, -170, 170) == pytest.approx(170)
    # 170 -> -170: the short way (+20°) would pass 180: the long way (-340°).
    assert slew_move(crane, 170, -170) == pytest.approx(-170)
    free = _plan([L1], cranes=[dict(TC1, slew_limits=None)]).cranes["TC1"]
    assert slew_move(free, 170, -170) == pytest.approx(190)
    tight = _plan([L1], cranes=[dict(TC1, slew_limits=[0, 270])]).cranes["TC1"]
    with pytest.raises(MotionError, match="slew limits"):
        slew_move(tight, 10, -60)  # short way below 0°, long way past 270°
    assert slew_move(tight, 10, 260) == pytest.approx(260)  # the long way is allowed


def test_samples_never_move_any_point_more_than_the_step():
    plan = _plan([dict(L1, pick=[10, 0, 0], set=[0, 45, 3])])
    crane = plan.cranes["TC1"]
    path = default_path(crane, plan.lifts[0])
    step = 0.25
    configs, params = sample(crane, path, step, extent=1.5)
    assert params[0] == 0.0 and params[-1] == pytest.approx(1.0)
    assert (np.diff(params) >= 0).all()
    # The jib tip (50 m) and the hook both move at most `step` between samples.
    d = np.diff(configs, axis=0)
    jib_tip = 50 * np.radians(np.abs(d[:, 0]))
    assert (jib_tip + np.abs(d[:, 1]) + np.abs(d[:, 2]) <= step + 1e-9).all()
    hooks = hook_positions(crane, configs)
    assert (np.linalg.norm(np.diff(hooks, axis=0), axis=1) <= step + 1e-9).all()
    # and every waypoint is a sample
    for w in path.waypoints:
        assert np.isclose(configs, w).all(axis=1).any()
