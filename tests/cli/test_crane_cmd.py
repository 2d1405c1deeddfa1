"""``bimcheck crane`` on the sample plan: exactly the hand-worked results of
samples/tower.lift.truth.yaml; bad plans exit 2 with one line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from tests.conftest import SAMPLES

TRUTH = yaml.safe_load((SAMPLES / "tower.lift.truth.yaml").read_text(encoding="utf-8"))
PLAN = {x["id"]: x for x in yaml.safe_load(
    (SAMPLES / "tower.lift.yaml").read_text(encoding="utf-8"))["lifts"]}


def run(*args):
    proc = subprocess.run([sys.executable, "-m", "bimcheck.cli", *args],
                          capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("crane") / "lifts.json"
    code, _, err = run("-q", "crane", str(SAMPLES / "tower_rev_a.ifc"),
                       str(SAMPLES / "tower.lift.yaml"), "-o", str(out), "--no-cache")
    assert code == 0, err
    return json.loads(out.read_text(encoding="utf-8"))


def test_every_lift_gives_the_hand_worked_result(report):
    lifts = {x["id"]: x for x in report["lifts"]}
    assert set(lifts) == set(TRUTH["lifts"])
    for lid, want in TRUTH["lifts"].items():
        got = lifts[lid]
        assert got["result"] == want["result"], lid
        assert got["band"] == want["band"], lid
        assert got["total_weight"] == pytest.approx(want["total_weight"], abs=1e-6), lid
        assert [got["radius_min"], got["radius_max"]] == pytest.approx(want["radius"],
                                                                      abs=1e-6), lid
        assert got["capacity_min"] == pytest.approx(want["capacity_min"], abs=1e-6), lid
        assert got["utilization_max"] == pytest.approx(want["utilization_max"], abs=1e-6), lid
        assert got["duration_s"] == pytest.approx(want["duration_s"], abs=1e-3), lid
        assert [z["zone"] for z in got["zones"]] == want["zones"], lid
        assert all(p["ok"] for p in got["power_lines"]) is want["power_lines_ok"], lid
        assert got["collisions"] == [], lid  # what is reported is the final path
        assert got["planned"] is want.get("planned", False), lid
        lift = PLAN[lid]  # the path runs from the pick point to the set point
        assert got["path"][0] == pytest.approx(lift["pick"], abs=1e-9), lid
        assert got["path"][-1] == pytest.approx(lift["set"], abs=1e-9), lid
        assert all(len(p) == 3 for p in got["path"])
        if not got["planned"]:  # hoist, slew, trolley or luff, lower (no moves of no length)
            assert len(got["path"]) == want["waypoints"], lid
            assert got["configurations"]["slew_direction"] == want["slew_direction"], lid
        # The margin is a number for every lift that ran.
        assert isinstance(got["min_clearance"], float), lid
        if "min_clearance" in want:
            assert got["min_clearance"] == pytest.approx(want["min_clearance"], abs=1e-3), lid
            assert got["min_clearance_beyond_horizon"] is want.get(
                "min_clearance_beyond_horizon", False), lid
        if "min_clearance_element" in want:
            assert got["min_clearance_name"] == want["min_clearance_element"], lid
            assert got["min_clearance_class"] == "IfcColumn", lid
    assert report["counts"] == {"ok": 1, "warning": 2, "fail": 2}


def test_crane_pairs_match_the_lens_areas(report):
    pairs = {(p["a"], p["b"]): p for p in report["crane_pairs"]}
    for want in TRUTH["crane_pairs"]:
        got = pairs[(want["a"], want["b"])]
        assert got["overlap_area"] == pytest.approx(want["overlap_area"], rel=0.005)
        assert got["vertical_separation"] == pytest.approx(want["vertical_separation"],
                                                           abs=1e-3)
        assert got["conflict"] is want["conflict"]


def test_the_planned_lift_is_clear_and_its_default_path_is_not(tmp_path):
    """L3's default path collides (checked without the planner); the planned
    one keeps the clearance."""
    from bimcheck.crane.plan import load_lift_plan
    from bimcheck.crane.run import run_lifts
    from bimcheck.model import open_model

    plan = load_lift_plan(SAMPLES / "tower.lift.yaml")
    model = open_model(SAMPLES / "tower_rev_a.ifc")
    plain = run_lifts(model, plan, replan=False)
    l3 = next(x for x in plain.lifts if x.lift.id == "L3-needs-planner")
    assert TRUTH["lifts"]["L3-needs-planner"]["default_collides"]
    assert l3.clearance.collides and l3.result == "fail" and not l3.planned
    first = l3.clearance.first
    assert first.ifc_class in ("IfcWall", "IfcSlab", "IfcBeam", "IfcColumn")
    assert 0 < first.path_parameter < 1


def test_the_planned_path_keeps_the_clearance(report):
    l3 = next(x for x in report["lifts"] if x["id"] == "L3-needs-planner")
    assert l3["planned"] and l3["min_clearance"] >= 0.5 and l3["blocking"] == []


def test_table_and_ci_gate():
    code, out, _ = run("-q", "crane", str(SAMPLES / "tower_rev_a.ifc"),
                       str(SAMPLES / "tower.lift.yaml"), "--no-cache", "--fail-on", "fail")
    assert code == 1
    assert "L2-overloaded" in out and "CONFLICT" in out


def test_a_bad_plan_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "bad.lift.yaml"
    bad.write_text((SAMPLES / "tower.lift.yaml").read_text(encoding="utf-8").replace(
        "crane: TC2", "crane: TC9"), encoding="utf-8")
    code, out, err = run("crane", str(SAMPLES / "tower_rev_a.ifc"), str(bad), "--no-cache")
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "bad.lift.yaml" in lines[0]
    assert "lift L3-needs-planner" in lines[0] and "crane" in lines[0]
    assert "Traceback" not in err


def test_committed_demo_report_is_current(report):
    """reports/tower.lifts.json (written by `make demo`) is what this code
    produces, byte for byte (so it is deterministic too)."""
    from bimcheck.report.jsonout import dumps

    committed = SAMPLES.parent / "reports" / "tower.lifts.json"
    assert dumps(report, inline_from=3) == committed.read_text(encoding="utf-8")


def test_path_length_follows_the_slew_arc(report):
    l1 = next(x for x in report["lifts"] if x["id"] == "L1-critical")
    # hoist 2 m, a quarter circle of radius 15 m, trolley 5 m, lower 2 m
    assert l1["path_length"] == pytest.approx(2 + 15 * 3.141592653589793 / 2 + 5 + 2, abs=1e-3)


def test_a_power_line_swept_through_is_measured_to_the_sampling_step(report):
    l5 = next(x for x in report["lifts"] if x["id"] == "L5-power-line")
    bound = TRUTH["lifts"]["L5-power-line"]["power_line_min_distance_at_most"]
    assert l5["power_lines"][0]["min_distance"] <= bound
    assert l5["power_lines"][0]["body"] == "line"


def test_html_and_bcf_outputs(tmp_path):
    import zipfile

    page, bcf = tmp_path / "lifts.html", tmp_path / "lifts.bcfzip"
    args = ("-q", "crane", str(SAMPLES / "tower_rev_a.ifc"), str(SAMPLES / "tower.lift.yaml"),
            "--no-cache", "--html", str(page), "--bcf", str(bcf))
    code, _, err = run(*args)
    assert code == 0, err
    text = page.read_text(encoding="utf-8")
    assert text.count("<svg") == 2 and "L2-overloaded" in text and "<script" not in text
    with zipfile.ZipFile(bcf) as zf:
        titles = sorted(
            zf.read(n).decode().split("<Title>")[1].split("</Title>")[0]
            for n in zf.namelist() if n.endswith("markup.bcf"))
    assert titles == [
        "Cranes MC1 and TC1: working areas conflict",
        "L2-overloaded: overloaded",
        "L4-zone: over exclusion zone road",
        "L5-power-line: 0.00 m from power line PL1",
    ]
    first = bcf.read_bytes()
    assert run(*args, "--overwrite")[0] == 0
    assert bcf.read_bytes() == first  # same plan, same bytes


def test_text_from_the_plan_is_escaped_in_html(tmp_path):
    plan = (SAMPLES / "tower.lift.yaml").read_text(encoding="utf-8").replace(
        "id: L1-critical", "id: \"<script>alert(1)</script>\"")
    evil = tmp_path / "evil.lift.yaml"
    evil.write_text(plan, encoding="utf-8")
    page = tmp_path / "evil.html"
    code, _, err = run("-q", "crane", str(SAMPLES / "tower_rev_a.ifc"), str(evil),
                       "--no-cache", "--html", str(page))
    assert code == 0, err
    text = page.read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_placement_advice_ranks_the_candidates_as_worked_by_hand(report):
    got = report["placement"]
    assert [c["base"] for c in got] == [w["base"] for w in TRUTH["placement"]]
    for g, w in zip(got, TRUTH["placement"], strict=True):
        assert g["rank"] == w["rank"] and g["covered"] == w["covered"]
        assert g["all_normal"] is w["all_normal"]
        assert g["utilization_max"] == pytest.approx(w["utilization_max"], abs=1e-4)


def test_every_reported_path_replays_clear_from_the_json_alone(report):
    """Each lift's path, replayed independently from its JSON (linear in slew
    the short way, radius and height between waypoints; tests/replay.py),
    keeps the load and hook block as clear of the model as reported: no two
    waypoints more than 90 degrees apart, and no collision anywhere."""
    from bimcheck.geometry.tessellate import tessellate
    from bimcheck.model import open_model
    from tests.replay import min_distance, slews_between_waypoints

    geometry = tessellate(open_model(SAMPLES / "tower_rev_a.ifc"))
    meshes = {g: (m.vertices, m.faces) for g, m in geometry.meshes.items() if len(m.faces)}
    clearance = report["plan"]["clearance"]
    for lift in report["lifts"]:
        assert max(slews_between_waypoints(lift)) <= 90.0 + 1e-9, lift["id"]
        got, _ = min_distance(lift, meshes, clearance)
        # The check samples every clearance / 2 of movement: between two
        # samples a part comes at most a quarter of the clearance nearer.
        assert got >= min(lift["min_clearance"], 25.0) - clearance / 4, lift["id"]
        assert got >= clearance - clearance / 4, lift["id"]
