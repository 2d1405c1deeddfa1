"""Lift plans: the issue's example loads with its values, and every kind of
mistake is an error naming the file, the crane or lift, and the field."""

from __future__ import annotations

import copy
import math
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from bimcheck.crane.plan import load_lift_plan, parse_lift_plan
from bimcheck.errors import LiftPlanError

EXAMPLE = """
clearance: 0.5
bands: {critical: 0.75, high: 0.90, fail: 1.00}
cranes:
  - id: TC1
    type: tower
    base: [0, 0, 0]
    hook_height: 40
    jib_elevation: 43
    jib_length: 50
    counter_jib_length: 15
    slew_limits: [-180, 180]
    speeds: {slew_deg_s: 36, hoist_m_s: 1.0, trolley_m_s: 1.0}
    hook_weight: 0.3
    load_chart: {radius: [3, 20, 30, 40, 50], capacity: [10, 10, 6, 4, 3]}
  - id: MC1
    type: mobile
    base: [60, -20, 0]
    boom_pivot: {offset: 1.5, height: 2.5}
    boom_length: 40
    boom_angle: [15, 80]
    tail_radius: 4.5
    hook_weight: 0.5
    load_chart: {radius: [4, 10, 20, 30], capacity: [50, 30, 12, 6]}
lifts:
  - id: L1
    crane: TC1
    load: {box: [2, 2, 1], weight: 2.0}
    rigging_weight: 0.2
    pick: [30, 0, 0]
    set: [0, 30, 10]
    travel_height: 12
    window: ["2027-03-01T08:00", "2027-03-01T10:00"]
  - id: L2
    crane: MC1
    load: {element: 2O2Fr$t4X7Zf8NOew3FLOH, density: 7850}
    pick: [70, -10, 0]
    set: [62, 5, 6]
site:
  exclusion_zones:
    - {id: road, polygon: [[-60, -30], [90, -30], [90, -24], [-60, -24]], z: [0, 200]}
  power_lines:
    - {id: PL1, points: [[-60, 55, 12], [90, 55, 12]], voltage_kv: 10}
  clearance_by_voltage_kv: {1: 1.5, 10: 3.0, 35: 4.0, 110: 5.0, 220: 6.0}
  neighbours:
    - {id: school, polygon: [[70, 30], [90, 30], [90, 50], [70, 50]], height: 18}
  wind_limit_m_s: 20
"""


def _doc():
    return yaml.safe_load(EXAMPLE)


def _parse(doc):
    return parse_lift_plan(doc, Path("site.lift.yaml"))


def test_the_issue_example_loads_with_its_values(tmp_path):
    path = tmp_path / "site.lift.yaml"
    path.write_text(EXAMPLE, encoding="utf-8")
    plan = load_lift_plan(path)
    assert plan.clearance == 0.5
    assert (plan.bands.critical, plan.bands.high, plan.bands.fail) == (0.75, 0.9, 1.0)
    tc1, mc1 = plan.cranes["TC1"], plan.cranes["MC1"]
    assert tc1.is_tower and tc1.working_radius == 50 and tc1.top_elevation == 43
    assert tc1.speeds.slew_deg_s == 36 and tc1.speeds.luff_deg_s == 1.0  # default
    assert tc1.load_chart.capacity_at(45) == pytest.approx(3.5)
    # Mobile: reach 1.5 + 40 cos 15° = 40.137 m; tip 2.5 + 40 sin 80° = 41.892 m.
    assert mc1.working_radius == pytest.approx(1.5 + 40 * math.cos(math.radians(15)))
    assert mc1.top_elevation == pytest.approx(2.5 + 40 * math.sin(math.radians(80)))
    l1, l2 = plan.lifts
    assert l1.load.box == (2, 2, 1) and l1.load.weight == 2.0 and l1.rigging_weight == 0.2
    assert l1.window == (datetime(2027, 3, 1, 8), datetime(2027, 3, 1, 10))
    assert l2.load.element == "2O2Fr$t4X7Zf8NOew3FLOH" and l2.load.density == 7850
    assert l2.travel_height is None and l2.rigging_weight == 0.0
    site = plan.site
    assert site.exclusion_zones[0].z == (0, 200)
    assert site.power_line_clearance(10) == 3.0   # exactly a table entry
    assert site.power_line_clearance(20) == 4.0   # next entry up
    assert site.power_line_clearance(0.4) == 1.5
    assert site.power_line_clearance(500) is None
    assert site.neighbours[0].height == 18 and site.wind_limit_m_s == 20


def _edit(change):
    doc = _doc()
    change(doc)
    return doc


CASES = [
    # (change, expected pieces of the message)
    (lambda d: d.pop("clearance"), ["clearance", "is required"]),
    (lambda d: d.update(clearance=-1), ["clearance", "≥ 0.05"]),
    (lambda d: d.update(clearance=0.001), ["clearance", "≥ 0.05"]),
    (lambda d: d.update(clearence=1), ["unknown key 'clearence'"]),
    (lambda d: d["cranes"][0].update(type="gantry"), ["crane TC1", "type", "tower"]),
    (lambda d: d["cranes"][0].update(jib_lenght=50), ["crane TC1", "unknown key 'jib_lenght'"]),
    (lambda d: d["cranes"][0].update(hook_height=45),
     ["crane TC1", "hook_height", "below the jib"]),
    (lambda d: d["cranes"][0]["load_chart"].update(radius=[3, 20, 30, 40, 60]),
     ["crane TC1", "load_chart.radius", "past the jib"]),
    (lambda d: d["cranes"][0]["load_chart"].update(radius=[3, 20, 20, 40, 50]),
     ["crane TC1", "load_chart", "increase strictly"]),
    (lambda d: d["cranes"][0]["load_chart"].update(capacity=[10, "ten", 6, 4, 3]),
     ["crane TC1", "load_chart.capacity", "must be a number"]),
    (lambda d: d["cranes"][1].update(boom_angle=[15, 95]), ["crane MC1", "boom_angle"]),
    (lambda d: d["cranes"][1]["load_chart"].update(radius=[4, 10, 20, 45]),
     ["crane MC1", "load_chart.radius", "past the boom's reach"]),
    (lambda d: d["cranes"].append(copy.deepcopy(d["cranes"][0])), ["crane TC1", "second crane"]),
    (lambda d: d["lifts"][0].update(crane="TC9"), ["lift L1", "crane", "names no crane"]),
    (lambda d: d["lifts"][0]["load"].update(weight="two"), ["lift L1", "load.weight", "number"]),
    (lambda d: d["lifts"][0]["load"].pop("weight"), ["lift L1", "load.weight", "required"]),
    (lambda d: d["lifts"][0]["load"].update(element="X"), ["lift L1", "load", "either box"]),
    (lambda d: d["lifts"][1]["load"].pop("density"), ["lift L2", "load.weight", "density"]),
    (lambda d: d["lifts"][0].update(pick=[30, 0]), ["lift L1", "pick", "3 numbers"]),
    (lambda d: d["lifts"][0].update(travel_height=5), ["lift L1", "travel_height", "below"]),
    (lambda d: d["lifts"][0].update(travel_height=1e9),
     ["lift L1", "travel_height", "above what crane TC1 can hoist to (40 m)"]),
    (lambda d: d["cranes"][0].update(jib_length=1e6), ["crane TC1", "jib_length", "≤ 300"]),
    (lambda d: d["lifts"][0].update(window=["2027-03-01T10:00", "2027-03-01T08:00"]),
     ["lift L1", "window", "end after"]),
    (lambda d: d["lifts"][0].update(window=["tomorrow", "2027-03-01T08:00"]),
     ["lift L1", "window", "ISO"]),
    # 0001-01-01 00:00 at UTC+1 is in year 0 in UTC, 9999-12-31 23:59:59 at
    # UTC-1 in year 10000: out of range, not an OverflowError (exit 3).
    (lambda d: d["lifts"][0].update(window=["0001-01-01T00:00:00+01:00", "2027-03-01T08:00"]),
     ["lift L1: window: [0001-01-01T00:00:00+01:00, 2027-03-01T08:00] is out of range once "
      "taken to UTC"]),
    (lambda d: d["lifts"][0].update(window=["2027-03-01T08:00", "9999-12-31T23:59:59-01:00"]),
     ["lift L1: window: ", "out of range once taken to UTC"]),
    (lambda d: d["lifts"].append(copy.deepcopy(d["lifts"][0])), ["lift L1", "second lift"]),
    (lambda d: d.update(lifts=[]), ["lifts", "must not be empty"]),
    (lambda d: d["site"]["exclusion_zones"][0].update(polygon=[[0, 0], [1, 1], [0, 1], [1, 0]]),
     ["site.exclusion_zones[0].polygon", "simple polygon"]),
    (lambda d: d["site"]["power_lines"][0].update(voltage_kv=500),
     ["clearance_by_voltage_kv", "no entry for power line PL1"]),
    (lambda d: d.update(bands={"critical": 0.95, "high": 0.9}), ["bands", "critical < high"]),
    (lambda d: d["site"].pop("clearance_by_voltage_kv"),
     ["clearance_by_voltage_kv", "no entry for power line PL1"]),
    (lambda d: d["site"]["power_lines"][0].update(points=[[0, 0, 9], [0, 0, 9], [5, 0, 9]]),
     ["site.power_lines[0].points", "span of no length"]),
    (lambda d: d["site"]["exclusion_zones"].append(dict(d["site"]["exclusion_zones"][0])),
     ["site.exclusion_zones[1].id", "a second exclusion zone 'road'"]),
    (lambda d: d["cranes"][0].update(jib_elevation=1e9), ["crane TC1", "jib_elevation"]),
    (lambda d: d["lifts"][0].update(pick=[30, 0, -1e12]), ["lift L1", "pick", "below"]),
]


@pytest.mark.parametrize(("change", "pieces"), CASES)
def test_every_mistake_names_file_owner_and_field(change, pieces):
    with pytest.raises(LiftPlanError) as info:
        _parse(_edit(change))
    message = str(info.value)
    assert message.startswith("site.lift.yaml: ")
    for piece in pieces:
        assert piece in message, message


def test_unreadable_and_non_yaml_plans(tmp_path):
    with pytest.raises(LiftPlanError, match="cannot read lift plan"):
        load_lift_plan(tmp_path / "missing.lift.yaml")
    bad = tmp_path / "bad.lift.yaml"
    bad.write_text("cranes: [\n", encoding="utf-8")
    with pytest.raises(LiftPlanError, match="invalid YAML at line"):
        load_lift_plan(bad)
    listy = tmp_path / "list.lift.yaml"
    listy.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(LiftPlanError, match="must be a mapping, not list"):
        load_lift_plan(listy)
    evil = tmp_path / "evil.lift.yaml"
    evil.write_text("clearance: !!python/object/apply:os.system ['echo hi']\n", encoding="utf-8")
    with pytest.raises(LiftPlanError, match="invalid YAML"):
        load_lift_plan(evil)


def test_windows_with_and_without_a_time_zone_compare(tmp_path):
    doc = _doc()
    doc["lifts"][0]["window"] = ["2027-03-01T08:00:00+01:00", "2027-03-01T10:00:00"]
    plan = _parse(doc)
    assert plan.lifts[0].window == (datetime(2027, 3, 1, 7), datetime(2027, 3, 1, 10))


def test_a_clockwise_neighbour_is_turned_counter_clockwise():
    import shapely

    doc = _doc()
    doc["site"]["neighbours"][0]["polygon"] = [[70, 30], [70, 50], [90, 50], [90, 30]]
    (nb,) = _parse(doc).site.neighbours
    assert shapely.Polygon(nb.polygon).exterior.is_ccw
