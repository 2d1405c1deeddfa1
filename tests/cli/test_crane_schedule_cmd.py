"""``bimcheck crane`` and ``bimcheck check --lift-plan`` with obstacles at lift
time (samples/frame_4d.*): the count in the table and the JSON, and bad
schedule input exiting 2 with one line."""

from __future__ import annotations

import json

import ifcopenshell
import yaml

from tests.cli.test_crane_cmd import run
from tests.conftest import SAMPLES

MODEL, PLAN = SAMPLES / "frame_4d.ifc", SAMPLES / "frame_4d.lift.yaml"
LIFTS = yaml.safe_load((SAMPLES / "frame_4d.lift.truth.yaml").read_text(encoding="utf-8"))


def test_the_table_and_the_json_give_each_lift_s_obstacles(tmp_path):
    code, out, err = run("-q", "crane", str(MODEL), str(PLAN), "--no-cache")
    assert code == 0, err
    rows = {line.split()[0]: line for line in out.splitlines()[1:6]}
    assert "obstacles" in out.splitlines()[0]
    for lid, want in LIFTS["lifts"].items():
        shown = str(want["obstacle_count"]) + (
            "" if want["obstacles_from"] == "model" else f" ({want['obstacles_from']})")
        assert f"  {shown}  " in rows[lid], lid
    target = tmp_path / "lifts.json"
    code, _, err = run("-q", "crane", str(MODEL), str(PLAN), "--no-cache", "-o", str(target))
    assert code == 0, err
    got = {x["id"]: (x["obstacle_count"], x["obstacles_from"], x["result"])
           for x in json.loads(target.read_text(encoding="utf-8"))["lifts"]}
    assert got == {lid: (w["obstacle_count"], w["obstacles_from"], w["result"])
                   for lid, w in LIFTS["lifts"].items()}


def test_schedule_model_without_a_window_exits_2(tmp_path):
    bad = tmp_path / "nowindow.lift.yaml"
    text = PLAN.read_text(encoding="utf-8").replace(
        '    window: ["2027-03-15T08:00", "2027-03-15T10:00"]\n    schedule: model\n', "")
    bad.write_text(text.replace(
        "    obstacles: 'IfcElement",
        "    schedule: model\n    obstacles: 'IfcElement"), encoding="utf-8")
    for args in (("crane", str(MODEL), str(bad)),
                 ("check", str(MODEL), "--lift-plan", str(bad))):
        code, _, err = run(*args, "--no-cache")
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1, err
        assert "nowindow.lift.yaml" in lines[0] and "lift L3-level-1-only" in lines[0]
        assert "schedule" in lines[0] and "window" in lines[0] and "Traceback" not in err


def test_an_unreadable_task_time_exits_2_naming_model_and_task(tmp_path):
    f = ifcopenshell.open(str(MODEL))
    task = next(t for t in f.by_type("IfcTask") if t.Name == "Level 2 floor slab")
    task.TaskTime.ScheduleFinish = "soon"
    broken = tmp_path / "broken_4d.ifc"
    f.write(str(broken))
    code, _, err = run("crane", str(broken), str(PLAN), "--no-cache")
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, err
    assert "broken_4d.ifc" in lines[0] and "Level 2 floor slab" in lines[0]


def test_every_clear_lift_replays_clear_against_what_stands_on_its_day(tmp_path):
    """Each lift reported clear, replayed from its JSON alone (tests/replay.py),
    keeps the clearance from the elements the truth file says stand for it;
    the lift replayed against the finished building is not clear (it goes
    down through SL-R and SL-2)."""
    from bimcheck.geometry.tessellate import tessellate
    from bimcheck.model import open_model
    from tests.replay import assert_replays_clear, min_distance

    target = tmp_path / "lifts.json"
    code, _, err = run("-q", "crane", str(MODEL), str(PLAN), "--no-cache", "-o", str(target))
    assert code == 0, err
    report = json.loads(target.read_text(encoding="utf-8"))
    ids = {name: e["global_id"] for name, e in yaml.safe_load(
        (SAMPLES / "frame_4d.truth.yaml").read_text(encoding="utf-8"))["elements"].items()}
    meshes = tessellate(open_model(MODEL), threads=1).meshes
    for lift in report["lifts"]:
        want = LIFTS["lifts"][lift["id"]]
        standing = {n: meshes[ids[n]] for n in want["obstacles"] if n in ids}
        assert len(standing) == len(want["obstacles"]) - 1, lift["id"]  # all but the depot
        if want["collides_with"]:
            got, _ = min_distance(lift, {k: (m.vertices, m.faces) for k, m in
                                         standing.items()}, report["plan"]["clearance"])
            assert got == 0.0, lift["id"]
        else:
            assert_replays_clear(lift, standing, report["plan"]["clearance"])
