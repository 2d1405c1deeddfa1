"""Luffing-jib tower cranes, worked by hand: the jib pivots at its foot pin, its
angle sets the radius and the tip rises as it luffs in; its swept volume and
tip are checked against the model and the power lines; capacity over the
path's radius range; the plan's keys and their errors."""

from __future__ import annotations

import copy
import math
from pathlib import Path as FilePath

import numpy as np
import pytest

from bimcheck.crane.capacity import check_capacity
from bimcheck.crane.clearance import Obstacles, check_path
from bimcheck.crane.motion import default_path, radius_of, reach_for, tip_height
from bimcheck.crane.plan import parse_lift_plan
from bimcheck.crane.site import check_power_lines
from bimcheck.errors import LiftPlanError
from bimcheck.geometry.mesh import box

#: Jib 40 m, its foot pin 2 m out from the mast and 45 m above the base.
LT1 = {"id": "LT1", "type": "luffing-tower", "base": [0, 0, 0],
       "jib_pivot": {"offset": 2, "height": 45}, "jib_length": 40, "jib_angle": [15, 80],
       "counter_jib_length": 12, "hook_weight": 0.3,
       "speeds": {"slew_deg_s": 3.6, "hoist_m_s": 1.0, "luff_deg_s": 1.0},
       "load_chart": {"radius": [5, 10, 30, 40], "capacity": [10, 10, 5, 3]}}
CLEARANCE = 0.5
PIVOT = (2.0, 45.0)  # (x, z) of the foot pin when the jib points along +x


def _plan(lifts, crane=LT1, site=None):
    doc = {"clearance": CLEARANCE, "cranes": [crane], "lifts": lifts}
    if site is not None:
        doc["site"] = site
    return parse_lift_plan(doc, FilePath("lt.lift.yaml"))


def _lift(**kw):
    return {"id": "L", "crane": "LT1", "load": {"box": [2, 2, 1], "weight": 3.2},
            "rigging_weight": 0.5, "pick": [30, 0, 0], "set": [12, 0, 0], **kw}


def _phi(radius):
    """Jib angle (°) at a hook radius (m): cos φ = (r − 2) / 40."""
    return math.degrees(math.acos((radius - PIVOT[0]) / 40))


def test_the_jib_angle_sets_the_radius_and_the_tip_rises_as_it_luffs_in():
    crane = _plan([_lift()]).cranes["LT1"]
    assert crane.luffs and not crane.is_tower and crane.arm == "jib"
    # 30°: r = 2 + 40 cos 30° = 36.641 m, tip 45 + 40 sin 30° = 65 m;
    # 60°: r = 2 + 20 = 22 m, tip 45 + 34.641 = 79.641 m.
    np.testing.assert_allclose(radius_of(crane, [30.0, 60.0]), [2 + 20 * math.sqrt(3), 22.0])
    np.testing.assert_allclose(tip_height(crane, [30.0, 60.0]), [65.0, 45 + 20 * math.sqrt(3)])
    assert reach_for(crane, 22.0) == pytest.approx(60.0)
    # The farthest reach is at the lowest angle, the top at the steepest.
    assert crane.working_radius == pytest.approx(2 + 40 * math.cos(math.radians(15)))  # 40.637
    assert crane.top_elevation == pytest.approx(45 + 40 * math.sin(math.radians(80)))  # 84.392
    assert crane.counter_jib_length == 12


def test_a_luffing_lift_hoists_slews_luffs_in_and_lowers():
    lift = _lift(set=[0, 12, 0])  # radius 30 m at 0° -> radius 12 m at 90°
    plan = _plan([lift])
    crane = plan.cranes["LT1"]
    path = default_path(crane, plan.lifts[0])
    phi0, phi1 = _phi(30), _phi(12)  # 45.573°, 75.522°
    np.testing.assert_allclose(path.waypoints, [
        [0, phi0, 0], [0, phi0, 2], [90, phi0, 2], [90, phi1, 2], [90, phi1, 0]], atol=1e-9)
    # hoist 2 m at 1 m/s, slew 90° at 3.6°/s, luff 29.949° at 1°/s, lower 2 m.
    np.testing.assert_allclose(path.durations, [2.0, 25.0, phi1 - phi0, 2.0])
    tips = tip_height(crane, path.waypoints[:, 1])
    assert tips[0] == pytest.approx(45 + 40 * math.sqrt(1 - 0.7 ** 2))  # 73.566 m
    assert tips[-1] == pytest.approx(45 + 40 * math.sqrt(1 - 0.25 ** 2))  # 83.730 m
    assert tips[-1] > tips[0]  # luffing in raised the tip


def test_capacity_is_the_least_over_the_luffing_path_s_radius_range():
    plan = _plan([_lift(set=[0, 12, 0])])
    crane = plan.cranes["LT1"]
    path = default_path(crane, plan.lifts[0])
    cap = check_capacity(crane, path, 3.2, 0.5, plan.bands)
    # radii 12-30 m: 9.5 t at 12 m (10 − 2/20 × 5), 5 t at 30 m; 3.2 + 0.5 + 0.3 = 4 t.
    assert (cap.radius_min, cap.radius_max) == pytest.approx((12.0, 30.0))
    assert cap.capacity_min == pytest.approx(5.0)
    assert cap.utilization_max == pytest.approx(0.8) and cap.band == "critical"
    # Luffing out to 36 m: 5 − 6/10 × 2 = 3.8 t at the far end.
    plan = _plan([_lift(pick=[12, 0, 0], set=[36, 0, 0])])
    path = default_path(plan.cranes["LT1"], plan.lifts[0])
    cap = check_capacity(plan.cranes["LT1"], path, 3.2, 0.5, plan.bands)
    assert cap.capacity_min == pytest.approx(3.8) and cap.utilization_max == pytest.approx(4 / 3.8)
    assert cap.band == "fail"


def _high_block():
    """2 × 2 × 2 m, 2-4 m out from the foot pin and 10-12 m above it (x 4-6 m,
    z 55-57 m): far above the hook path, in the way of the jib luffing in."""
    return box((PIVOT[0] + 2, -1, PIVOT[1] + 10), (PIVOT[0] + 4, 1, PIVOT[1] + 12))


def _jib_gap(phi_deg):
    """Distance (m) from the jib's upper face (0.75 m above its axis) to the
    block's nearest edge (4, 10) m from the pin: 10 cos φ − 4 sin φ − 0.75."""
    p = math.radians(phi_deg)
    return 10 * math.cos(p) - 4 * math.sin(p) - 0.75


def test_the_jib_luffing_in_sweeps_through_an_element_high_above_the_hook_path():
    plan = _plan([_lift()])  # radius 30 -> 12 m, no slew: the hook stays 12 m or more out
    crane, lift = plan.cranes["LT1"], plan.lifts[0]
    path = default_path(crane, lift)
    obstacles = Obstacles.build({"E": _high_block()}, {"E": "IfcSlab"})
    result = check_path(crane, path, lift.load.box, obstacles, CLEARANCE,
                        rest_heights=(0.0, 0.0))
    first = result.first
    assert first is not None and first.body == "jib" and first.global_id == "E"
    assert {c.body for c in result.conflicts} == {"jib"}  # load, hook and line stay clear
    assert result.collides  # the jib goes on into it
    # The clearance is broken where 10 cos φ − 4 sin φ = 1.25: φ = acos(1.25/√116)
    # − atan(0.4) = 61.53°; samples move the tip at most 0.25 m (0.358°) apart.
    broken = math.degrees(math.acos(1.25 / math.sqrt(116)) - math.atan(0.4))
    assert _jib_gap(broken) == pytest.approx(CLEARANCE)
    at = _phi(math.hypot(first.position[0], first.position[1]))
    assert broken - 1e-6 <= at <= broken + math.degrees(0.25 / 40) + 1e-6
    assert 0.25 - 1e-6 <= first.distance < CLEARANCE


def test_luffing_in_less_keeps_the_jib_clear_of_it():
    plan = _plan([_lift(set=[25, 0, 0])])  # 30 -> 25 m: up to φ = 54.90° only
    crane, lift = plan.cranes["LT1"], plan.lifts[0]
    path = default_path(crane, lift)
    obstacles = Obstacles.build({"E": _high_block()}, {"E": "IfcSlab"})
    result = check_path(crane, path, lift.load.box, obstacles, CLEARANCE,
                        rest_heights=(0.0, 0.0))
    assert result.conflicts == [] and result.min_body == "jib"
    assert result.min_clearance == pytest.approx(_jib_gap(_phi(25)), abs=1e-4)  # 1.727 m


def _wire_above_the_jib():
    """A 10 kV line (3 m needed) along y, 3.5 m above the jib's axis and 2 m
    short of its tip when the jib has luffed in to 12 m (φ₁ = 75.52°, cos φ₁ =
    0.25): (x, z) = pin + 38 (cos φ₁, sin φ₁) + 3.5 (−sin φ₁, cos φ₁)."""
    c = 0.25
    s = math.sqrt(1 - c * c)
    x, z = PIVOT[0] + 38 * c - 3.5 * s, PIVOT[1] + 38 * s + 3.5 * c
    return {"power_lines": [{"id": "PL1", "voltage_kv": 10,
                             "points": [[x, -50, z], [x, 50, z]]}],
            "clearance_by_voltage_kv": {10: 3.0}}, (x - PIVOT[0], z - PIVOT[1])


def test_a_power_line_near_the_jib_tip_is_too_close():
    """Luffing in raises the jib towards the line: at the end of the luff its
    upper face (0.75 m above the axis) is 3.5 − 0.75 = 2.75 m from it; the
    tip's corner is √(2² + 2.75²) = 3.40 m away and the hoist line, 10 m out,
    3.84 m."""
    site, _ = _wire_above_the_jib()
    plan = _plan([_lift()], site=site)
    crane, lift = plan.cranes["LT1"], plan.lifts[0]
    path = default_path(crane, lift)
    (line,) = check_power_lines(crane, path, lift.load.box, plan.site, step=0.01)
    # The least is at the luff's end, a sample: exact, less the wire's 0.1 mm.
    assert 2.75 - 1e-4 - 1e-6 <= line.min_distance <= 2.75 + 1e-6
    assert line.body == "jib" and line.required == 3.0 and not line.ok


def test_luffing_in_less_keeps_the_power_line_clearance():
    site, (px, pz) = _wire_above_the_jib()
    plan = _plan([_lift(set=[14, 0, 0])], site=site)  # to 14 m: φ = acos(0.3) = 72.54°
    crane, lift = plan.cranes["LT1"], plan.lifts[0]
    path = default_path(crane, lift)
    (line,) = check_power_lines(crane, path, lift.load.box, plan.site, step=0.01)
    phi = math.acos(0.3)
    gap = -px * math.sin(phi) + pz * math.cos(phi) - 0.75  # 4.72 m
    assert line.ok and line.body == "jib"
    assert line.min_distance == pytest.approx(gap, abs=2e-4)


def test_the_counter_jib_is_swept_at_the_foot_pin_s_height():
    # Slewing 0° -> 90°, the 12 m counter-jib (behind the mast, underside at
    # 45 m) swings from -x to -y: a mast 5 m out at -y, up to 46 m, is in its way.
    plan = _plan([_lift(set=[0, 30, 0])])
    crane, lift = plan.cranes["LT1"], plan.lifts[0]
    path = default_path(crane, lift)
    mast = box((-1, -9, 0), (1, -7, 46))
    result = check_path(crane, path, lift.load.box,
                        Obstacles.build({"M": mast}, {"M": "IfcColumn"}), CLEARANCE)
    assert {c.body for c in result.conflicts} == {"counter_jib"}


LUFF_CASES = [
    (lambda c: c.update(hook_height=60), ["crane LT1", "hook_height", "jib_length",
                                          "jib_pivot", "jib_angle", "hook height follows"]),
    (lambda c: c.update(jib_elevation=60), ["crane LT1", "jib_elevation",
                                            "not a key of a luffing-tower crane"]),
    (lambda c: c.update(boom_length=40), ["crane LT1", "boom_length", "jib_angle"]),
    (lambda c: c.update(jib_angle=[15, 95]), ["crane LT1", "jib_angle", "steepest < 90"]),
    (lambda c: c.update(jib_angle=[50, 40]), ["crane LT1", "jib_angle", "lowest <"]),
    (lambda c: c.update(jib_angle=[-5, 80]), ["crane LT1", "jib_angle", "0 ≤ lowest"]),
    (lambda c: c.pop("jib_angle"), ["crane LT1", "jib_angle"]),
    (lambda c: c.pop("jib_pivot"), ["crane LT1", "jib_pivot", "is required"]),
    (lambda c: c["jib_pivot"].pop("height"), ["crane LT1", "jib_pivot.height", "is required"]),
    (lambda c: c["jib_pivot"].update(height=-1), ["crane LT1", "jib_pivot.height", "≥ 0"]),
    (lambda c: c["jib_pivot"].update(height=1e6), ["crane LT1", "jib_pivot.height", "±300"]),
    (lambda c: c["jib_pivot"].update(angle=3), ["crane LT1", "unknown key 'angle'"]),
    (lambda c: c.update(jib_length=0), ["crane LT1", "jib_length", "> 0"]),
    (lambda c: c.update(counter_jib_length=-2), ["crane LT1", "counter_jib_length", "≥ 0"]),
    (lambda c: c["load_chart"].update(radius=[5, 10, 30, 41]),
     ["crane LT1", "load_chart.radius", "past the jib's reach (40.64 m at 15°)"]),
]


@pytest.mark.parametrize(("change", "pieces"), LUFF_CASES)
def test_luffing_jib_mistakes_name_the_crane_and_the_field(change, pieces):
    crane = copy.deepcopy(LT1)
    change(crane)
    with pytest.raises(LiftPlanError) as info:
        _plan([_lift()], crane=crane)
    message = str(info.value)
    assert message.startswith("lt.lift.yaml: ")
    for piece in pieces:
        assert piece in message, message


def test_a_lift_above_the_steepest_tip_is_refused():
    # The tip is at most 84.39 m up (80°): a set point at 90 m cannot be hoisted to.
    with pytest.raises(LiftPlanError, match="above what crane LT1 can hoist to"):
        _plan([_lift(set=[12, 0, 90])])


def test_the_planner_takes_a_luffing_jib_round_the_building():
    """The sample tower's L3, with a luffing tower where TC2 stands: 3 m up, the
    default slew runs through the building; the planner's path (slew, jib
    angle, height) is clear and stays on the chart."""
    from bimcheck.crane.run import run_lifts
    from bimcheck.model import open_model
    from tests.conftest import SAMPLES

    crane = {"id": "LT", "type": "luffing-tower", "base": [6, 30, 0],
             "jib_pivot": {"offset": 2, "height": 30}, "jib_length": 38,
             "jib_angle": [15, 80], "counter_jib_length": 10, "hook_weight": 0.2,
             "load_chart": {"radius": [5, 20, 35], "capacity": [6, 6, 2.5]}}
    lift = {"id": "L3", "crane": "LT", "load": {"box": [2, 2, 1], "weight": 1.0},
            "pick": [-12, 6, 0], "set": [24, 6, 0], "travel_height": 3}
    plan = _plan([lift], crane=crane)
    model = open_model(SAMPLES / "tower_rev_a.ifc")
    plain = run_lifts(model, plan, threads=1, replan=False).lifts[0]
    assert plain.clearance.conflicts and plain.result == "fail"
    (r,) = run_lifts(model, plan, threads=1).lifts
    assert r.planned and r.result == "ok" and r.clearance.conflicts == []
    assert r.clearance.min_clearance >= CLEARANCE
    assert 5 <= r.capacity.radius_min <= r.capacity.radius_max <= 35
    assert r.waypoints[0] == pytest.approx([-12, 6, 0]) and r.waypoints[-1] == pytest.approx(
        [24, 6, 0])
    # Replayed from its JSON alone (linear in slew, radius and height between
    # waypoints), it is clear of the building too.
    from bimcheck.geometry.tessellate import tessellate
    from tests.replay import assert_replays_clear

    doc = r.as_dict()
    assert doc["configurations"]["reach"] == "boom_angle"
    meshes = {g: m for g, m in tessellate(model, threads=1).meshes.items() if len(m.faces)}
    assert_replays_clear(doc, meshes, CLEARANCE)
