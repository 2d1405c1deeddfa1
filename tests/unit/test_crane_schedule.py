"""Obstacles at lift time (docs/crane.md): the model's 4D schedule read from
samples/frame_4d.ifc, the elements standing at each lift of
samples/frame_4d.lift.yaml, and the results worked out by hand in
samples/frame_4d.lift.truth.yaml (finishes in samples/frame_4d.truth.yaml,
from the task table of samples/build_schedule_sample.py)."""

from __future__ import annotations

import copy
import math
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import ifcopenshell
import ifcopenshell.api.aggregate
import pytest
import yaml

from bimcheck.crane import run as crane_run
from bimcheck.crane.plan import load_lift_plan, parse_lift_plan
from bimcheck.crane.run import run_lifts
from bimcheck.crane.schedule import StandingElements, read_schedule
from bimcheck.errors import LiftPlanError, ModelError
from bimcheck.model import open_model
from tests.conftest import SAMPLES, load_sample_script

MODEL = SAMPLES / "frame_4d.ifc"
PLAN = SAMPLES / "frame_4d.lift.yaml"
TRUTH = yaml.safe_load((SAMPLES / "frame_4d.truth.yaml").read_text(encoding="utf-8"))
LIFTS = yaml.safe_load((SAMPLES / "frame_4d.lift.truth.yaml").read_text(encoding="utf-8"))
GID = {name: e["global_id"] for name, e in TRUTH["elements"].items()}
NAME = {g: n for n, g in GID.items()}
RAW_PLAN = yaml.safe_load(PLAN.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def model():
    return open_model(MODEL)


@pytest.fixture(scope="module")
def report(model):
    return run_lifts(model, load_lift_plan(PLAN), threads=1)


def _names(ids) -> list[str]:
    return sorted(NAME.get(g, g) for g in ids)


def _plan(**changes) -> dict:
    """The sample plan with lift L2 changed (``None`` removes a key)."""
    doc = copy.deepcopy(RAW_PLAN)
    lift = next(x for x in doc["lifts"] if x["id"] == "L2-on-its-date")
    for key, value in changes.items():
        if value is None:
            lift.pop(key, None)
        else:
            lift[key] = value
    return doc


# -- the sample ----------------------------------------------------------------------------


def test_builder_reproduces_the_committed_sample(tmp_path: Path):
    written = load_sample_script("build_schedule_sample.py").build_all(tmp_path)
    assert sorted(p.name for p in written) == ["frame_4d.ifc", "frame_4d.truth.yaml"]
    for path in written:
        assert (SAMPLES / path.name).read_bytes() == path.read_bytes(), (
            f"{path.name} is stale: run `python samples/build_schedule_sample.py`")


def test_the_schedule_is_in_the_file_as_the_truth_says():
    """Plain IfcOpenShell: the tasks, their nesting and their products."""
    f = ifcopenshell.open(str(MODEL))
    (schedule,) = f.by_type("IfcWorkSchedule")
    assert schedule.Name == "Frame programme"
    tasks = {t.Name: t for t in f.by_type("IfcTask")}
    assert set(tasks) == set(TRUTH["tasks"])
    for name, want in TRUTH["tasks"].items():
        task = tasks[name]
        parents = [r.RelatingObject.Name for r in task.Nests]
        assert parents == ([want["parent"]] if want["parent"] else []), name
        assert (task.TaskTime is not None) == want["task_time"], name
        if task.TaskTime is not None:
            assert task.TaskTime.ScheduleFinish == want["schedule_finish"], name
            assert task.TaskTime.ScheduleDuration == want["schedule_duration"], name
    outputs = {r.RelatingProduct.Name: r.RelatedObjects[0].Name
               for r in f.by_type("IfcRelAssignsToProduct")}
    inputs = {p.Name: r.RelatingProcess.Name
              for r in f.by_type("IfcRelAssignsToProcess") for p in r.RelatedObjects}
    assert inputs == {"SL-1": "Level 1 ground slab"}
    assert {**outputs, **inputs} == {n: e["task"] for n, e in TRUTH["elements"].items()
                                     if e["task"]}


# -- reading the schedule ------------------------------------------------------------------


def test_every_element_finishes_when_its_task_does(model):
    schedule = read_schedule(model)
    want = {e["global_id"]: datetime.fromisoformat(e["finish"])
            for e in TRUTH["elements"].values() if e["finish"]}
    assert schedule.finishes == want
    # Hand values: the zone (+01:00) taken to UTC, a task without a time
    # inheriting its parent's, start + duration, a summary task's own finish.
    assert schedule.finishes[GID["SL-1"]] == datetime(2027, 2, 10, 16, 0)
    assert schedule.finishes[GID["C-1-A1"]] == datetime(2027, 2, 26, 17, 0)
    assert schedule.finishes[GID["C-2-B2"]] == datetime(2027, 3, 24, 17, 0)
    assert schedule.finishes[GID["SL-R"]] == datetime(2027, 4, 9, 17, 0)
    # The existing wall has no task: it stands at any time.
    assert GID["EX-1"] not in schedule.finishes
    assert schedule.stands(GID["EX-1"], datetime(1900, 1, 1))


def test_task_finishes_roll_up_and_inherit(model):
    tasks = read_schedule(model).tasks
    assert tasks == {t["global_id"]: datetime.fromisoformat(t["finish"])
                     for t in TRUTH["tasks"].values()}
    frame = TRUTH["tasks"]["Frame"]  # no time of its own: its last subtask's
    assert tasks[frame["global_id"]] == datetime(2027, 4, 9, 17, 0)


def test_a_task_finishing_at_the_window_start_has_built_its_elements(model):
    standing = StandingElements(model, PLAN)
    lift = load_lift_plan(PLAN).lifts[1]
    ids = list(GID.values())

    def at(start: str) -> list[str]:
        when = datetime.fromisoformat(start)
        window = (when, datetime(2027, 12, 31))
        return _names(standing.at_lift(replace(lift, window=window), ids))

    assert "C-1-A1" in at("2027-02-26T17:00")
    assert "C-1-A1" not in at("2027-02-26T16:59")
    assert "SL-1" in at("2027-02-10T16:00") and "SL-1" not in at("2027-02-10T15:59")


def test_a_window_with_a_zone_is_compared_in_utc(model):
    # SL-1 finishes 2027-02-10T17:00+01:00 = 16:00 UTC.
    doc = _plan(window=["2027-02-10T17:00+01:00", "2027-02-10T18:00+01:00"])
    lift = parse_lift_plan(doc, PLAN).lifts[1]
    assert "SL-1" in _names(StandingElements(model, PLAN).at_lift(lift, GID.values()))
    doc = _plan(window=["2027-02-10T16:59+01:00", "2027-02-10T18:00+01:00"])
    lift = parse_lift_plan(doc, PLAN).lifts[1]
    assert "SL-1" not in _names(StandingElements(model, PLAN).at_lift(lift, GID.values()))


def _edited(tmp_path: Path, edit) -> Path:
    f = ifcopenshell.open(str(MODEL))
    edit(f)
    path = tmp_path / "edited_4d.ifc"
    f.write(str(path))
    return path


def _task(f, name):
    return next(t for t in f.by_type("IfcTask") if t.Name == name)


def test_an_unreadable_task_time_names_the_model_and_the_task(tmp_path):
    def bad_finish(f):
        _task(f, "Level 2 floor slab").TaskTime.ScheduleFinish = "next Tuesday"

    with pytest.raises(ModelError) as err:
        read_schedule(open_model(_edited(tmp_path, bad_finish)))
    text = str(err.value)
    assert "edited_4d.ifc" in text and "'Level 2 floor slab'" in text
    assert "ScheduleFinish 'next Tuesday'" in text

    def bad_duration(f):
        _task(f, "Level 2 columns").TaskTime.ScheduleDuration = "nine days"

    with pytest.raises(ModelError, match=r"'Level 2 columns'.*ScheduleDuration 'nine days'"):
        read_schedule(open_model(_edited(tmp_path, bad_duration)))


def test_an_actual_finish_stands_in_for_a_missing_scheduled_one(tmp_path):
    def actual(f):
        time = _task(f, "Level 2 floor slab").TaskTime
        time.ScheduleFinish = None
        time.ActualFinish = "2027-03-11T12:00:00"

    schedule = read_schedule(open_model(_edited(tmp_path, actual)))
    assert schedule.finishes[GID["SL-2"]] == datetime(2027, 3, 11, 12, 0)


def test_the_earlier_of_the_scheduled_and_the_actual_finish_counts(tmp_path):
    # Level 2 floor slab is scheduled to finish 2027-03-12T17:00. It actually
    # finished two days early, 2027-03-10T12:00+02:00 = 10:00 UTC: SL-2 stands
    # from then (ScheduleFinish first, as read before, would leave it out of
    # a lift on 2027-03-11 and clear that lift through the cast slab).
    def early(f):
        _task(f, "Level 2 floor slab").TaskTime.ActualFinish = "2027-03-10T12:00:00+02:00"

    model = open_model(_edited(tmp_path, early))
    schedule = read_schedule(model)
    assert schedule.finishes[GID["SL-2"]] == datetime(2027, 3, 10, 10, 0)
    lift = replace(load_lift_plan(PLAN).lifts[1],
                   window=(datetime(2027, 3, 11, 8), datetime(2027, 3, 11, 10)))
    assert "SL-2" in _names(StandingElements(model, PLAN).at_lift(lift, GID.values()))

    # Finished late (2027-03-14T09:00): the scheduled 2027-03-12T17:00 stays.
    def late(f):
        _task(f, "Level 2 floor slab").TaskTime.ActualFinish = "2027-03-14T09:00:00"

    schedule = read_schedule(open_model(_edited(tmp_path, late)))
    assert schedule.finishes[GID["SL-2"]] == datetime(2027, 3, 12, 17, 0)

    # A finish given: start + duration (2027-03-24T17:00 for Level 2 columns)
    # is not read, even when it ends earlier than the given 2027-03-30T17:00.
    def finish(f):
        _task(f, "Level 2 columns").TaskTime.ScheduleFinish = "2027-03-30T17:00:00"

    schedule = read_schedule(open_model(_edited(tmp_path, finish)))
    assert schedule.finishes[GID["C-2-A1"]] == datetime(2027, 3, 30, 17, 0)


@pytest.mark.parametrize(("task", "attribute", "value"), [
    ("Level 2 floor slab", "ScheduleFinish", "0001-01-01T00:00:00+01:00"),
    ("Level 2 floor slab", "ActualFinish", "9999-12-31T23:59:59-01:00"),
    ("Level 2 columns", "ScheduleStart", "0001-01-01T00:00:00+01:00"),
])
def test_a_task_time_out_of_range_in_utc_is_a_model_error(tmp_path, task, attribute, value):
    # 0001-01-01 00:00 at UTC+1 is 31 Dec of year 0 in UTC; 9999-12-31 23:59:59
    # at UTC-1 is in year 10000: neither is a datetime (was an OverflowError).
    def edit(f):
        setattr(_task(f, task).TaskTime, attribute, value)

    with pytest.raises(ModelError) as err:
        read_schedule(open_model(_edited(tmp_path, edit)))
    text = str(err.value)
    assert "edited_4d.ifc" in text and f"{task!r}" in text
    assert f"TaskTime.{attribute} {value!r} is out of range once taken to UTC" in text


def test_a_part_without_a_task_takes_its_assembly_s(tmp_path):
    def assembly(f):
        whole = f.create_entity("IfcElementAssembly", GlobalId=ifcopenshell.guid.new(),
                                Name="ASM")
        ifcopenshell.api.aggregate.assign_object(f, products=[f.by_guid(GID["EX-1"])],
                                                 relating_object=whole)
        f.create_entity("IfcRelAssignsToProduct", GlobalId=ifcopenshell.guid.new(),
                        RelatedObjects=[_task(f, "Level 2 floor slab")], RelatingProduct=whole)

    schedule = read_schedule(open_model(_edited(tmp_path, assembly)))
    assert schedule.finishes[GID["EX-1"]] == datetime(2027, 3, 12, 17, 0)


# -- the plan fields -----------------------------------------------------------------------


def test_the_plan_reads_obstacles_and_schedule_per_lift_and_for_the_plan():
    plan = load_lift_plan(PLAN)
    got = {x.id: (x.obstacles, x.schedule) for x in plan.lifts}
    assert got == {
        "L1-finished-building": (None, None),
        "L2-on-its-date": (None, "model"),
        "L3-level-1-only": ('IfcElement, location="Level 1"', None),
        "L4-after-level-2-slab": (None, "model"),
        "L5-finished-columns": ("IfcColumn", "model"),
    }
    doc = {**_plan(), "obstacles": "IfcSlab", "schedule": "model"}
    doc["lifts"] = [x for x in doc["lifts"] if "window" in x]  # L3 has none
    plan = parse_lift_plan(doc, PLAN)
    got = {x.id: (x.obstacles, x.schedule) for x in plan.lifts}
    assert got["L1-finished-building"] == ("IfcSlab", "model")  # the plan's
    assert got["L5-finished-columns"] == ("IfcColumn", "model")  # its own wins


def test_schedule_model_without_a_window_is_a_plan_error():
    with pytest.raises(LiftPlanError) as err:
        parse_lift_plan(_plan(window=None), PLAN)
    assert (err.value.lift, err.value.field) == ("L2-on-its-date", "schedule")
    assert "frame_4d.lift.yaml" in str(err.value) and "window" in str(err.value)
    doc = {**_plan(schedule=None), "schedule": "model"}  # the plan's, on a lift without
    doc["lifts"] = [x for x in doc["lifts"] if x["id"] == "L3-level-1-only"]
    with pytest.raises(LiftPlanError, match=r"lift L3-level-1-only: schedule: .*plan's"):
        parse_lift_plan(doc, PLAN)


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"schedule": "ifc"}, "schedule", "must be model"),
    ({"schedule": True}, "schedule", "must be model"),
    ({"obstacles": 'IfcElement, location="Level 1'}, "obstacles", "column"),
    # IfcOpenShell reads Name="x as the unquoted value '"x' (it would match
    # nothing): the " at column 15 opens a string that never closes.
    ({"obstacles": 'IfcWall, Name="x'}, "obstacles", "unterminated string at column 15"),
    ({"obstacles": 'IfcWall, Pset_X.Foo="a'}, "obstacles", "unterminated string at column 21"),
    ({"obstacles": ""}, "obstacles", "non-empty"),
    ({"obstacles": ["IfcWall"]}, "obstacles", "must be a selector"),
])
def test_bad_values_are_plan_errors(changes, field, words):
    with pytest.raises(LiftPlanError) as err:
        parse_lift_plan(_plan(**changes), PLAN)
    assert (err.value.lift, err.value.field) == ("L2-on-its-date", field)
    assert words in str(err.value)


# -- the lifts -----------------------------------------------------------------------------


def test_obstacles_per_lift_are_the_hand_counted_ones(model, report):
    standing = StandingElements(model, PLAN)
    plan = load_lift_plan(PLAN)
    for lift, result in zip(plan.lifts, report.lifts, strict=True):
        want = LIFTS["lifts"][lift.id]
        keep = standing.at_lift(lift, GID.values())
        names = (sorted(GID) if keep is None else _names(keep)) + ["neighbour:depot"]
        assert sorted(names) == sorted(want["obstacles"]), lift.id
        assert result.obstacle_count == want["obstacle_count"] == len(want["obstacles"])
        assert result.obstacles_from == want["obstacles_from"], lift.id
        d = result.as_dict()
        assert (d["obstacle_count"], d["obstacles_from"]) == (
            want["obstacle_count"], want["obstacles_from"])


def test_each_lift_gives_the_hand_worked_result(report):
    common = LIFTS["common"]
    for r in report.lifts:
        want = LIFTS["lifts"][r.lift.id]
        assert r.result == want["result"], r.lift.id
        hit = sorted({NAME[c.global_id] for c in r.clearance.conflicts})
        assert hit == want["collides_with"], r.lift.id
        assert r.capacity.total_weight == pytest.approx(common["total_weight"])
        assert (r.capacity.radius_min, r.capacity.radius_max) == pytest.approx(common["radius"])
        assert r.capacity.capacity_min == pytest.approx(common["capacity_min"])
        assert r.capacity.utilization_max == pytest.approx(common["utilization_max"], abs=1e-7)
        assert r.path.duration == pytest.approx(common["duration_s"])
        if "min_clearance_range" in want:
            lo, hi = want["min_clearance_range"]
            assert lo <= r.clearance.min_clearance <= hi, r.lift.id
            assert NAME[r.clearance.min_element] == want["min_clearance_element"]
        if "min_clearance" in want:
            assert r.clearance.min_clearance == pytest.approx(want["min_clearance"], abs=1e-6)
            assert NAME[r.clearance.min_element] in want["min_clearance_element_one_of"]


def test_the_lift_that_hits_the_finished_building_is_clear_on_its_date(report):
    lifts = {r.lift.id: r for r in report.lifts}
    finished, on_date = lifts["L1-finished-building"], lifts["L2-on-its-date"]
    assert finished.lift.pick == on_date.lift.pick and finished.lift.set == on_date.lift.set
    assert finished.result == "fail" and on_date.result == "ok"
    assert {NAME[c.global_id] for c in finished.clearance.conflicts} == {"SL-2", "SL-R"}
    assert on_date.clearance.conflicts == []


def test_lifts_with_the_same_standing_elements_share_their_obstacles(model, monkeypatch):
    built = []
    real = crane_run.Obstacles.build

    def counting(meshes, classes, exclude=()):
        built.append(frozenset(meshes))
        return real(meshes, classes, exclude)

    monkeypatch.setattr(crane_run.Obstacles, "build", staticmethod(counting))
    run_lifts(model, load_lift_plan(PLAN), threads=1, replan=False)
    # every element (L1), Level 1 (L2 and L3: one set), + SL-2 (L4), columns (L5)
    assert sorted(len(b) for b in built) == [5, 7, 8, 13]


def test_the_lifted_element_is_never_an_obstacle(model):
    # Set the column C-2-B2 where it stands, after the whole frame is built:
    # every other element is an obstacle, the column itself is not.
    column = TRUTH["elements"]["C-2-B2"]
    lo = column["box"]["min"]
    doc = _plan(load={"element": GID["C-2-B2"], "weight": 1.5},
                set=[lo[0] + 0.2, lo[1] + 0.2, lo[2]], travel_height=12,
                window=["2027-05-03T08:00", "2027-05-03T10:00"])
    doc["lifts"] = [x for x in doc["lifts"] if x["id"] == "L2-on-its-date"]
    (r,) = run_lifts(model, parse_lift_plan(doc, PLAN), threads=1, replan=False).lifts
    assert r.obstacle_count == 13 - 1
    assert GID["C-2-B2"] not in {c.global_id for c in r.clearance.conflicts}
    # Its top (7.75) touches SL-R's underside: the slings and hook are in the roof.
    assert "SL-R" in {NAME[c.global_id] for c in r.clearance.conflicts}
    assert math.isclose(r.box[2], 3.75, abs_tol=1e-6)


def test_a_selector_that_selects_nothing_is_a_plan_error(model):
    plan = parse_lift_plan(_plan(obstacles="IfcDoor"), PLAN)  # the frame has no door
    with pytest.raises(LiftPlanError) as err:
        run_lifts(model, plan, threads=1, replan=False)
    assert (err.value.lift, err.value.field) == ("L2-on-its-date", "obstacles")
    assert "frame_4d.lift.yaml" in str(err.value)
    assert "selects no element of frame_4d.ifc" in str(err.value)


def test_a_closed_quote_and_a_regex_are_no_stray_quote():
    for selector in ('IfcWall, Name="x"', 'IfcWall, Name=/a"b/', "IfcWall, Name=x"):
        assert parse_lift_plan(_plan(obstacles=selector), PLAN).lifts[1].obstacles == selector


def test_a_storey_selector_picks_the_storey_s_elements(model):
    # A storey has no body; it contains (IfcRelContainedInSpatialStructure)
    # Level 1: SL-1, C-1-*, EX-1; Level 2: SL-2, C-2-*, SL-R (frame_4d.truth.yaml).
    # The building aggregates both storeys, so it picks all twelve.
    lift = load_lift_plan(PLAN).lifts[0]
    standing = StandingElements(model, PLAN)

    def picked(selector):
        return _names(standing.at_lift(replace(lift, obstacles=selector), GID.values()))

    assert picked('IfcBuildingStorey, Name="Level 2"') == [
        "C-2-A1", "C-2-A2", "C-2-B1", "C-2-B2", "SL-2", "SL-R"]
    assert picked("IfcBuildingStorey") == picked("IfcBuilding") == sorted(GID)
    assert len(GID) == 12


def test_a_storey_selector_lift_collides_with_the_finished_building(model):
    # L1 with obstacles: IfcBuildingStorey: the 12 elements and the depot are
    # obstacles (13), and the load is lowered through SL-R and SL-2 as in L1
    # (frame_4d.lift.truth.yaml). Before the fix the storeys (no body) left no
    # element of the model as an obstacle and the lift came out ok.
    doc = copy.deepcopy(RAW_PLAN)
    doc["lifts"] = [dict(doc["lifts"][0], obstacles="IfcBuildingStorey")]
    (r,) = run_lifts(model, parse_lift_plan(doc, PLAN), threads=1, replan=False).lifts
    assert (r.obstacle_count, r.obstacles_from, r.result) == (13, "selector", "fail")
    assert {NAME[c.global_id] for c in r.clearance.conflicts} == {"SL-2", "SL-R"}


@pytest.mark.parametrize(("selector", "count"), [("IfcTask", 9), ("IfcWorkSchedule", 1)])
def test_a_selector_that_picks_no_element_with_a_body_is_a_plan_error(model, selector, count):
    # frame_4d.ifc has 9 tasks and 1 work schedule, none with a body or
    # anything contained in or aggregated to it.
    lift = load_lift_plan(PLAN).lifts[1]
    with pytest.raises(LiftPlanError) as err:
        StandingElements(model, PLAN).at_lift(replace(lift, obstacles=selector), GID.values())
    assert (err.value.lift, err.value.field) == ("L2-on-its-date", "obstacles")
    text = str(err.value)
    assert "frame_4d.lift.yaml: lift L2-on-its-date: obstacles: " in text
    assert (f"selector {selector!r} picks no element with a body in frame_4d.ifc: the "
            f"{count} it picks") in text
    doc = copy.deepcopy(RAW_PLAN)  # and so the run stops, before any lift is routed
    doc["lifts"] = [dict(doc["lifts"][1], obstacles=selector)]
    with pytest.raises(LiftPlanError, match="picks no element with a body"):
        run_lifts(model, parse_lift_plan(doc, PLAN), threads=1, replan=False)


def test_an_empty_storey_picks_no_element_with_a_body(tmp_path):
    def level_3(f):
        building = f.by_type("IfcBuilding")[0]
        storey = f.create_entity("IfcBuildingStorey", GlobalId=ifcopenshell.guid.new(),
                                 Name="Level 3")
        ifcopenshell.api.aggregate.assign_object(f, products=[storey],
                                                 relating_object=building)

    model = open_model(_edited(tmp_path, level_3))
    lift = replace(load_lift_plan(PLAN).lifts[0], obstacles='IfcBuildingStorey, Name="Level 3"')
    with pytest.raises(LiftPlanError, match=r"picks no element with a body in edited_4d\.ifc: "
                                            r"the 1 it picks"):
        StandingElements(model, PLAN).at_lift(lift, GID.values())
    lift = replace(lift, obstacles="IfcBuildingStorey")  # with Level 1 and 2: all twelve
    assert len(StandingElements(model, PLAN).at_lift(lift, GID.values())) == 12


# -- IFC2X3: IfcScheduleTimeControl --------------------------------------------------------
#
# A small IFC2X3 model built here (no geometry: read_schedule needs none).
# Times by hand:
#   Columns       ScheduleFinish 2027-03-05 17:30 at UTC+8 (AHEAD 8)    -> 09:30 UTC
#   Ground slab   ScheduleFinish the date 2027-02-10 alone              -> 00:00
#   Level 2 slab  ScheduleStart 2027-03-08 08:00 (no zone) + 302400 s
#                 (3 d 12 h)                                            -> 2027-03-11 20:00
#   Roof          ScheduleFinish 2027-04-09 16:45:30 at UTC-5:30
#                 (BEHIND 5, 30 min)                                    -> 22:15:30 UTC
#   Roof columns  nested in Roof; its control has a start only          -> Roof's
#   Frame         summary nesting Columns and Level 2 slab, no times    -> the later
# Products: C-1 made by Columns, C-2 by Roof columns (IfcRelAssignsToProduct);
# S-1 to Ground slab, S-2 to Level 2 slab, S-3 to Roof, C-3 to Frame
# (IfcRelAssignsToProcess); EX-1 has no task.

IFC2X3_FINISHES = {
    "C-1": datetime(2027, 3, 5, 9, 30),
    "S-1": datetime(2027, 2, 10, 0, 0),
    "S-2": datetime(2027, 3, 11, 20, 0),
    "S-3": datetime(2027, 4, 9, 22, 15, 30),
    "C-2": datetime(2027, 4, 9, 22, 15, 30),
    "C-3": datetime(2027, 3, 11, 20, 0),
}
IFC2X3_TASKS = {
    "Columns": datetime(2027, 3, 5, 9, 30),
    "Ground slab": datetime(2027, 2, 10, 0, 0),
    "Level 2 slab": datetime(2027, 3, 11, 20, 0),
    "Roof": datetime(2027, 4, 9, 22, 15, 30),
    "Roof columns": datetime(2027, 4, 9, 22, 15, 30),
    "Frame": datetime(2027, 3, 11, 20, 0),
}


@pytest.fixture
def ifc2x3_api(monkeypatch):
    """ifcopenshell.api on IFC2X3 (which needs an owner history): a user and
    an application for this test only."""
    import ifcopenshell.api.owner.settings

    made: dict[int, tuple] = {}

    def owner(f):
        if id(f) not in made:
            org = f.create_entity("IfcOrganization", Name="bimcheck tests")
            user = f.create_entity("IfcPersonAndOrganization", ThePerson=f.create_entity(
                "IfcPerson", FamilyName="Tester"), TheOrganization=org)
            app = f.create_entity("IfcApplication", ApplicationDeveloper=org, Version="1",
                                  ApplicationFullName="bimcheck tests",
                                  ApplicationIdentifier="bimcheck-tests")
            made[id(f)] = (user, app)
        return made[id(f)]

    monkeypatch.setattr(ifcopenshell.api.owner.settings, "get_user", lambda f: owner(f)[0])
    monkeypatch.setattr(ifcopenshell.api.owner.settings, "get_application",
                        lambda f: owner(f)[1])


def _cal(f, y, m, d):
    return f.create_entity("IfcCalendarDate", DayComponent=d, MonthComponent=m, YearComponent=y)


def _at(f, day, hour, minute, second=0.0, zone=None, dst=None):
    time = f.create_entity("IfcLocalTime", HourComponent=hour, MinuteComponent=minute,
                           SecondComponent=second, DaylightSavingOffset=dst)
    if zone is not None:
        hours, minutes, sense = zone
        time.Zone = f.create_entity("IfcCoordinatedUniversalTimeOffset", HourOffset=hours,
                                    MinuteOffset=minutes, Sense=sense)
    return f.create_entity("IfcDateAndTime", DateComponent=_cal(f, *day), TimeComponent=time)


def _times(f, schedule, task, **times):
    """An IfcScheduleTimeControl with ``times``, given to ``task`` by an
    IfcRelAssignsTasks from ``schedule``."""
    control = f.create_entity("IfcScheduleTimeControl", GlobalId=ifcopenshell.guid.new(),
                              OwnerHistory=schedule.OwnerHistory, Name=task.Name, **times)
    f.create_entity("IfcRelAssignsTasks", GlobalId=ifcopenshell.guid.new(),
                    OwnerHistory=schedule.OwnerHistory, RelatedObjects=[task],
                    RelatingControl=schedule, TimeForTask=control)
    return control


def _ifc2x3_model(tmp_path: Path, edit=None, name="frame_2x3.ifc") -> tuple[Path, dict]:
    """The model of the table above (``edit(f, objects)`` before it is
    written); its path and its products, tasks and schedule by name."""
    import ifcopenshell.api.root
    import ifcopenshell.api.sequence

    f = ifcopenshell.file(schema="IFC2X3")
    ifcopenshell.api.root.create_entity(f, ifc_class="IfcProject", name="Frame 2x3")
    objects = {n: ifcopenshell.api.root.create_entity(f, ifc_class=c, name=n) for n, c in [
        ("C-1", "IfcColumn"), ("C-2", "IfcColumn"), ("C-3", "IfcColumn"), ("S-1", "IfcSlab"),
        ("S-2", "IfcSlab"), ("S-3", "IfcSlab"), ("EX-1", "IfcWall")]}
    ws = ifcopenshell.api.sequence.add_work_schedule(f, name="Frame programme")
    objects["schedule"] = ws

    def task(name, parent=None):
        objects[name] = ifcopenshell.api.sequence.add_task(
            f, work_schedule=None if parent else ws, parent_task=parent, name=name)
        return objects[name]

    frame = task("Frame")
    _times(f, ws, task("Columns", frame),
           ScheduleFinish=_at(f, (2027, 3, 5), 17, 30, zone=(8, None, "AHEAD")))
    _times(f, ws, task("Ground slab"), ScheduleFinish=_cal(f, 2027, 2, 10))
    _times(f, ws, task("Level 2 slab", frame), ScheduleStart=_at(f, (2027, 3, 8), 8, 0),
           ScheduleDuration=302400.0)
    roof = task("Roof")
    _times(f, ws, roof, ScheduleFinish=_at(f, (2027, 4, 9), 16, 45, 30.0,
                                           zone=(5, 30, "BEHIND")))
    _times(f, ws, task("Roof columns", roof), ScheduleStart=_at(f, (2027, 4, 1), 8, 0))
    for product, made_by in [("C-1", "Columns"), ("C-2", "Roof columns")]:
        ifcopenshell.api.sequence.assign_product(f, relating_product=objects[product],
                                                 related_object=objects[made_by])
    for product, process in [("S-1", "Ground slab"), ("S-2", "Level 2 slab"),
                             ("S-3", "Roof"), ("C-3", "Frame")]:
        ifcopenshell.api.sequence.assign_process(f, relating_process=objects[process],
                                                 related_object=objects[product])
    if edit is not None:
        edit(f, objects)
    path = tmp_path / name
    f.write(str(path))
    return path, {n: e.GlobalId for n, e in objects.items()}


def _open_2x3(path: Path):
    return open_model(path, require_geometry=False)


def test_ifc2x3_the_model_is_built_as_the_table_says(tmp_path, ifc2x3_api):
    """Plain IfcOpenShell: the schedule is IFC2X3's, as read_schedule expects it."""
    path, _ = _ifc2x3_model(tmp_path)
    f = ifcopenshell.open(str(path))
    assert f.schema == "IFC2X3"
    timed = {r.RelatedObjects[0].Name: r.TimeForTask for r in f.by_type("IfcRelAssignsTasks")}
    assert set(timed) == {"Columns", "Ground slab", "Level 2 slab", "Roof", "Roof columns"}
    assert {r.RelatingControl.Name for r in f.by_type("IfcRelAssignsTasks")} == {
        "Frame programme"}
    assert timed["Ground slab"].ScheduleFinish.is_a("IfcCalendarDate")
    assert timed["Columns"].ScheduleFinish.TimeComponent.Zone.Sense == "AHEAD"
    assert timed["Level 2 slab"].ScheduleDuration == 302400.0
    nests = {c.Name: r.RelatingObject.Name for r in f.by_type("IfcRelNests")
             for c in r.RelatedObjects}
    assert nests == {"Columns": "Frame", "Level 2 slab": "Frame", "Roof columns": "Roof"}
    outputs = {r.RelatingProduct.Name: r.RelatedObjects[0].Name
               for r in f.by_type("IfcRelAssignsToProduct")}
    inputs = {p.Name: r.RelatingProcess.Name
              for r in f.by_type("IfcRelAssignsToProcess") for p in r.RelatedObjects}
    assert outputs == {"C-1": "Columns", "C-2": "Roof columns"}
    assert inputs == {"S-1": "Ground slab", "S-2": "Level 2 slab", "S-3": "Roof",
                      "C-3": "Frame"}


def test_ifc2x3_every_product_finishes_at_the_hand_worked_time(tmp_path, ifc2x3_api):
    path, gid = _ifc2x3_model(tmp_path)
    schedule = read_schedule(_open_2x3(path))
    assert schedule.finishes == {gid[n]: when for n, when in IFC2X3_FINISHES.items()}
    assert schedule.tasks == {gid[n]: when for n, when in IFC2X3_TASKS.items()}
    assert gid["EX-1"] not in schedule.finishes  # no task: stands at every lift
    assert schedule.stands(gid["C-1"], datetime(2027, 3, 5, 9, 30))
    assert not schedule.stands(gid["C-1"], datetime(2027, 3, 5, 9, 29, 59))


def test_ifc2x3_is_read_not_refused_by_schedule_model(tmp_path, ifc2x3_api):
    """IFC2X3 used to be a ModelError for schedule: model; now its lifts get
    the elements standing at their window's start."""
    path, gid = _ifc2x3_model(tmp_path)
    model = _open_2x3(path)
    assert model.schema == "IFC2X3"
    lift = replace(load_lift_plan(PLAN).lifts[1], obstacles=None, schedule="model",
                   window=(datetime(2027, 3, 6), datetime(2027, 3, 6, 2)))
    standing = StandingElements(model, PLAN).at_lift(lift, [gid[n] for n in [
        "C-1", "C-2", "C-3", "S-1", "S-2", "S-3", "EX-1"]])
    assert standing == {gid["C-1"], gid["S-1"], gid["EX-1"]}
    # A model with no schedule at all: every element stands.
    empty = tmp_path / "empty_2x3.ifc"
    f = ifcopenshell.file(schema="IFC2X3")
    wall = f.create_entity("IfcWall", GlobalId=ifcopenshell.guid.new(), Name="W")
    f.write(str(empty))
    assert read_schedule(_open_2x3(empty)).finishes == {}
    assert StandingElements(_open_2x3(empty), PLAN).at_lift(lift, [wall.GlobalId]) == {
        wall.GlobalId}


def test_ifc2x3_a_bad_date_names_the_model_and_the_task(tmp_path, ifc2x3_api):
    def month_13(f, objects):
        (rel,) = [r for r in f.by_type("IfcRelAssignsTasks")
                  if r.RelatedObjects[0].Name == "Ground slab"]
        rel.TimeForTask.ScheduleFinish.MonthComponent = 13

    path, gid = _ifc2x3_model(tmp_path, month_13, name="bad_2x3.ifc")
    with pytest.raises(ModelError) as err:
        read_schedule(_open_2x3(path))
    text = str(err.value)
    assert "bad_2x3.ifc" in text and "'Ground slab'" in text and gid["Ground slab"] in text
    assert "ScheduleFinish" in text and "IfcCalendarDate(10,13,2027)" in text
    assert "month must be in 1..12" in text


@pytest.mark.parametrize(("attribute", "value", "words"), [
    ("ScheduleFinish", lambda f: f.create_entity("IfcLocalTime", HourComponent=17),
     "a time of day without a date"),
    ("ScheduleFinish", lambda f: _at(f, (2027, 3, 5), 24, 0), "hour must be in 0..23"),
    ("ScheduleFinish", lambda f: _at(f, (2027, 2, 29), 8, 0), "day is out of range"),
    ("ScheduleFinish", lambda f: _at(f, (2027, 3, 5), 8, 0, zone=(8, 0, "AHEAD"), dst=3),
     "daylight saving offset must be in 0..2"),
    ("ScheduleDuration", lambda f: -3600.0, "ScheduleDuration -3600.0 is not a time of zero"),
])
def test_ifc2x3_unreadable_times_are_model_errors(tmp_path, ifc2x3_api, attribute, value,
                                                  words):
    def bad(f, objects):
        (rel,) = [r for r in f.by_type("IfcRelAssignsTasks")
                  if r.RelatedObjects[0].Name == "Level 2 slab"]
        setattr(rel.TimeForTask, attribute, value(f))

    path, _ = _ifc2x3_model(tmp_path, bad)
    with pytest.raises(ModelError) as err:
        read_schedule(_open_2x3(path))
    assert "frame_2x3.ifc" in str(err.value) and "'Level 2 slab'" in str(err.value)
    assert words in str(err.value)


def test_ifc2x3_daylight_saving_adds_to_the_zone(tmp_path, ifc2x3_api):
    # Columns at 17:30 BEHIND 5 with 1 h daylight saving: UTC-4, 21:30 UTC.
    def summer(f, objects):
        (rel,) = [r for r in f.by_type("IfcRelAssignsTasks")
                  if r.RelatedObjects[0].Name == "Columns"]
        rel.TimeForTask.ScheduleFinish = _at(f, (2027, 7, 5), 17, 30, zone=(5, None, "BEHIND"),
                                             dst=1)

    path, gid = _ifc2x3_model(tmp_path, summer)
    assert read_schedule(_open_2x3(path)).finishes[gid["C-1"]] == datetime(2027, 7, 5, 21, 30)


def test_ifc2x3_actual_finish_and_several_time_controls(tmp_path, ifc2x3_api):
    def more(f, objects):
        (rel,) = [r for r in f.by_type("IfcRelAssignsTasks")
                  if r.RelatedObjects[0].Name == "Roof"]
        rel.TimeForTask.ScheduleFinish = None  # its ActualFinish stands in
        rel.TimeForTask.ActualFinish = _at(f, (2027, 4, 12), 12, 0)
        # An updated programme gives Ground slab an earlier finish: the earliest counts.
        update = f.create_entity("IfcWorkSchedule", GlobalId=ifcopenshell.guid.new(),
                                 OwnerHistory=objects["schedule"].OwnerHistory,
                                 Name="Update 1", Identifier="U1",
                                 CreationDate=_cal(f, 2027, 1, 1),
                                 StartTime=_cal(f, 2027, 1, 1))
        _times(f, update, objects["Ground slab"], ScheduleFinish=_cal(f, 2027, 2, 8))
        _times(f, update, objects["Level 2 slab"], ScheduleFinish=_cal(f, 2027, 3, 20))

    path, gid = _ifc2x3_model(tmp_path, more)
    finishes = read_schedule(_open_2x3(path)).finishes
    assert finishes[gid["S-3"]] == finishes[gid["C-2"]] == datetime(2027, 4, 12, 12, 0)
    assert finishes[gid["S-1"]] == datetime(2027, 2, 8)
    assert finishes[gid["S-2"]] == datetime(2027, 3, 11, 20, 0)  # earlier than 03-20


def test_ifc2x3_the_earlier_of_the_scheduled_and_the_actual_finish_counts(tmp_path,
                                                                         ifc2x3_api):
    # Roof: ScheduleFinish 2027-04-09T22:15:30 UTC; it actually finished on
    # 2027-04-08 at 12:00 (no zone): the earlier, for S-3 and for C-2 (Roof
    # columns, which inherits Roof's). Ground slab: ScheduleFinish 2027-02-10,
    # ActualFinish 2027-02-12 (late): the scheduled 2027-02-10 00:00 stays.
    def both(f, objects):
        for name, actual in [("Roof", _at(f, (2027, 4, 8), 12, 0)),
                             ("Ground slab", _cal(f, 2027, 2, 12))]:
            (rel,) = [r for r in f.by_type("IfcRelAssignsTasks")
                      if r.RelatedObjects[0].Name == name]
            rel.TimeForTask.ActualFinish = actual

    path, gid = _ifc2x3_model(tmp_path, both)
    finishes = read_schedule(_open_2x3(path)).finishes
    assert finishes[gid["S-3"]] == finishes[gid["C-2"]] == datetime(2027, 4, 8, 12, 0)
    assert finishes[gid["S-1"]] == datetime(2027, 2, 10)


def test_ifc2x3_duration_is_in_the_project_s_time_unit(tmp_path, ifc2x3_api):
    # A project counting time in days: 3.5 (days) is the same 3 d 12 h.
    def days(f, objects):
        second = f.create_entity("IfcSIUnit", UnitType="TIMEUNIT", Name="SECOND")
        day = f.create_entity(
            "IfcConversionBasedUnit", UnitType="TIMEUNIT",
            Dimensions=f.create_entity("IfcDimensionalExponents", 0, 0, 1, 0, 0, 0, 0),
            Name="DAY", ConversionFactor=f.create_entity(
                "IfcMeasureWithUnit", ValueComponent=f.create_entity("IfcTimeMeasure", 86400.0),
                UnitComponent=second))
        f.by_type("IfcProject")[0].UnitsInContext = f.create_entity("IfcUnitAssignment", [day])
        (rel,) = [r for r in f.by_type("IfcRelAssignsTasks")
                  if r.RelatedObjects[0].Name == "Level 2 slab"]
        rel.TimeForTask.ScheduleDuration = 3.5

    path, gid = _ifc2x3_model(tmp_path, days)
    assert read_schedule(_open_2x3(path)).finishes[gid["S-2"]] == datetime(2027, 3, 11, 20, 0)
