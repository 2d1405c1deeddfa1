"""Wind and luffing-jib cranes through ``bimcheck crane`` and ``bimcheck check
--lift-plan`` on the sample tower: a lift in a forecast wind over its crane's
limit fails with a line saying so (finding CR007), a lift without a wind is
"not checked", and a luffing-tower crane's lifts run end to end."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner

from bimcheck.cli.main import cli
from tests.conftest import SAMPLES

MODEL = SAMPLES / "tower_rev_a.ifc"  # 13 x 6.4 m, 10.75 m high, at x -0.5..13, y -0.2..6.2

PLAN = {
    "clearance": 0.5,
    "cranes": [
        {"id": "TC1", "type": "tower", "base": [6, -20, 0], "hook_height": 28,
         "jib_elevation": 31, "jib_length": 40, "counter_jib_length": 12, "hook_weight": 0.2,
         "wind_limit_m_s": 15,
         "load_chart": {"radius": [3, 15, 25, 40], "capacity": [8, 8, 4, 2]}},
        # A luffing tower north-east of the building: jib 35 m from a foot pin
        # 2 m out and 30 m up, 15-80°: it reaches 2 + 35 cos 15° = 35.81 m.
        {"id": "LT1", "type": "luffing-tower", "base": [40, 40, 0],
         "jib_pivot": {"offset": 2, "height": 30}, "jib_length": 35, "jib_angle": [15, 80],
         "counter_jib_length": 10, "hook_weight": 0.3,
         "load_chart": {"radius": [5, 20, 35], "capacity": [8, 8, 3]}},
    ],
    "lifts": [
        # In the 08:00-12:00 forecast of 18 m/s, over TC1's 15 m/s.
        {"id": "W1-windy", "crane": "TC1", "load": {"box": [2, 2, 1], "weight": 1.0},
         "pick": [6, -5, 0], "set": [26, -20, 0],
         "window": ["2027-03-01T09:00", "2027-03-01T10:00"]},
        # No window, no wind: not checked.
        {"id": "W2-unknown", "crane": "TC1", "load": {"box": [2, 2, 1], "weight": 1.0},
         "pick": [6, -5, 0], "set": [26, -20, 0]},
        # The luffing tower, 06:00-07:00 (10 m/s forecast, under the site's 20 m/s):
        # luffs in from 20 to 15 m while slewing 0 -> 90°.
        {"id": "W3-luffing", "crane": "LT1", "load": {"box": [2, 2, 1], "weight": 2.0},
         "pick": [60, 40, 0], "set": [40, 55, 0],
         "window": ["2027-03-01T06:00", "2027-03-01T07:00"]},
        # Set 45 m up at 35 m: the tip is only 30 + 35 sin(acos(33/35)) = 41.66 m up.
        {"id": "W4-too-high", "crane": "LT1", "load": {"box": [2, 2, 1], "weight": 1.0},
         "pick": [60, 40, 0], "set": [40, 75, 45]},
    ],
    "site": {
        "wind_limit_m_s": 20,
        "wind_forecast": [
            {"window": ["2027-03-01T06:00", "2027-03-01T08:00"], "wind_m_s": 10},
            {"window": ["2027-03-01T08:00", "2027-03-01T12:00"], "wind_m_s": 18},
        ],
    },
}

WINDY = ("W1-windy: wind 18 m/s (forecast 2027-03-01 08:00-12:00) is over the 15 m/s "
         "limit of TC1")


def run(*args):
    proc = subprocess.run([sys.executable, "-m", "bimcheck.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("wind") / "wind.lift.yaml"
    path.write_text(yaml.safe_dump(PLAN, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def crane_run(plan_file):
    out = plan_file.parent / "lifts.json"
    page = plan_file.parent / "lifts.html"
    code, _, err = run("-q", "crane", MODEL, plan_file, "-o", out, "--html", page,
                       "--no-cache", "--overwrite")
    assert code == 0, err
    return json.loads(out.read_text(encoding="utf-8")), page.read_text(encoding="utf-8")


def test_the_json_gives_each_lift_s_wind(crane_run):
    doc, _ = crane_run
    lifts = {x["id"]: x for x in doc["lifts"]}
    w1 = lifts["W1-windy"]
    assert w1["result"] == "fail" and w1["problems"] == [] and w1["band"] == "normal"
    assert {k: w1["wind"][k] for k in ("wind_m_s", "source", "limit_m_s", "limit_from",
                                       "ok")} == {
        "wind_m_s": 18, "source": "forecast", "limit_m_s": 15, "limit_from": "crane",
        "ok": False}
    assert lifts["W2-unknown"]["wind"] is None and lifts["W2-unknown"]["result"] == "ok"
    w3 = lifts["W3-luffing"]
    assert (w3["wind"]["wind_m_s"], w3["wind"]["limit_m_s"], w3["wind"]["limit_from"],
            w3["wind"]["ok"]) == (10, 20, "site", True)


def test_a_luffing_tower_lifts_end_to_end(crane_run):
    doc, page = crane_run
    lifts = {x["id"]: x for x in doc["lifts"]}
    w3 = lifts["W3-luffing"]
    assert w3["result"] == "ok" and w3["collisions"] == []
    assert [w3["radius_min"], w3["radius_max"]] == pytest.approx([15.0, 20.0])
    assert w3["capacity_min"] == pytest.approx(8.0)  # the chart is flat to 20 m
    assert w3["path"][0] == pytest.approx([60, 40, 0]) and w3["path"][-1] == pytest.approx(
        [40, 55, 0])
    w4 = lifts["W4-too-high"]
    assert w4["result"] == "fail" and "above the jib tip of LT1 (41.66 m)" in w4["problems"][0]
    assert "<svg" in page


def test_the_table_says_which_wind_is_over_which_limit(plan_file):
    code, out, err = run("-q", "crane", MODEL, plan_file, "--no-cache")
    assert code == 0, err
    assert "wind m/s" in out.splitlines()[0]
    assert WINDY in out
    row = next(line for line in out.splitlines() if line.startswith("W2-unknown"))
    assert "not checked" in row
    row = next(line for line in out.splitlines() if line.startswith("W1-windy"))
    assert "18/15" in row and row.rstrip().endswith("fail")
    code, _, _ = run("-q", "crane", MODEL, plan_file, "--no-cache", "--fail-on", "fail")
    assert code == 1


def test_the_html_shows_the_wind(crane_run):
    _, page = crane_run
    assert "wind m/s" in page and "not checked" in page
    assert WINDY.split(": ", 1)[1] in page


def test_bimcheck_check_reports_a_wind_finding(plan_file, tmp_path):
    out = tmp_path / "check"
    r = CliRunner().invoke(cli, ["-q", "check", str(MODEL), "--lift-plan", str(plan_file),
                                 "--out", str(out), "--no-history"], catch_exceptions=False)
    assert r.exit_code in (0, 1), r.output
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    winds = [f for f in doc["findings"] if f["kind"] == "lift_wind"]
    assert len(winds) == 1
    (f,) = winds
    assert f["rule"] == "CR007" and f["severity"] == "critical" and f["family"] == "crane"
    assert f["detail"]["lift"] == "W1-windy" and f["message"] == f"lift {WINDY}"
    assert f["measures"]["wind_speed"] == {"value": 18.0, "unit": "m/s"}
    assert f["measures"]["wind_limit"] == {"value": 15.0, "unit": "m/s"}
    lifts = {x["id"]: x for x in doc["sections"]["crane"]["lifts"]}
    assert lifts["W1-windy"]["wind"]["ok"] is False and lifts["W2-unknown"]["wind"] is None
    assert "not checked" in (out / "report.html").read_text(encoding="utf-8")
