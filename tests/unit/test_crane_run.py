"""run_lifts with loads that are model elements: weight from the element's
volume (the sample's truth) × density, its size from its bounds, and the
element itself not an obstacle for its own lift."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bimcheck.crane.plan import parse_lift_plan
from bimcheck.crane.run import run_lifts
from bimcheck.model import open_model
from tests.conftest import SAMPLES

TRUTH = yaml.safe_load((SAMPLES / "tower_rev_a.truth.yaml").read_text(encoding="utf-8"))
BEAM = TRUTH["elements"]["BM-0-mid"]  # 0.25 × 5.6 × 0.5 m, 0.7 m³


def _plan(load):
    doc = {"clearance": 0.5, "cranes": [{
        "id": "TC", "type": "tower", "base": [6, -20, 0], "hook_height": 28,
        "jib_elevation": 31, "jib_length": 40, "hook_weight": 0.2,
        "load_chart": {"radius": [3, 15, 25, 40], "capacity": [8, 8, 4, 2]}}],
        "lifts": [{"id": "B", "crane": "TC", "load": load, "rigging_weight": 0.1,
                   "pick": [6, -8, 0], "set": [6, 3, 3.25], "travel_height": 13}]}
    return parse_lift_plan(doc, Path("t.lift.yaml"))


@pytest.fixture(scope="module")
def model():
    return open_model(SAMPLES / "tower_rev_a.ifc")


def test_an_element_load_weighs_its_volume_times_density(model):
    report = run_lifts(model, _plan({"element": BEAM["global_id"], "density": 2400}),
                       threads=1)
    (lift,) = report.lifts
    assert lift.load_weight == pytest.approx(BEAM["volume"] * 2400 / 1000, rel=1e-6)  # 1.68 t
    lo, hi = BEAM["box"]["min"], BEAM["box"]["max"]
    assert lift.box == pytest.approx([h - low for low, h in zip(lo, hi, strict=True)],
                                     abs=1e-6)
    assert lift.capacity.total_weight == pytest.approx(1.68 + 0.1 + 0.2)
    # The beam is where it is set: it is no obstacle to its own lift.
    assert BEAM["global_id"] not in {c.global_id for c in lift.clearance.conflicts}


def test_a_given_weight_wins_and_a_missing_element_is_a_problem(model):
    report = run_lifts(model, _plan({"element": BEAM["global_id"], "weight": 2.5}), threads=1)
    assert report.lifts[0].load_weight == 2.5
    report = run_lifts(model, _plan({"element": "0000000000000000000000", "weight": 1}),
                       threads=1)
    (lift,) = report.lifts
    assert lift.result == "fail" and "is not in tower_rev_a.ifc" in lift.problems[0]


def test_a_load_hung_higher_than_the_hook_can_reach_is_a_problem(model):
    # A 3 m tall box set at 24 m: its hook block would be at 24 + 3 + 2.8 = 29.8 m,
    # above the 28 m hook height.
    plan = _plan({"box": [1, 1, 3], "weight": 1.0})
    doc_lift = plan.lifts[0]
    import dataclasses

    plan = dataclasses.replace(plan, lifts=(dataclasses.replace(
        doc_lift, set=(6.0, 3.0, 24.0), travel_height=24.0),))
    (lift,) = run_lifts(model, plan, threads=1).lifts
    assert lift.result == "fail"
    assert "29.80 m" in lift.problems[0] and "hook height" in lift.problems[0]
