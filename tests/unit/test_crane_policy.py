"""The lift policy of the crane pack: bands and what makes a lift fail."""

from __future__ import annotations

import pytest

from bimcheck.crane.plan import load_lift_plan
from bimcheck.crane.policy import LiftPolicy, parse_policy
from bimcheck.crane.run import run_lifts
from bimcheck.model import open_model
from bimcheck.packs.pack import load_pack
from tests.conftest import REPO, SAMPLES


def test_shipped_pack_is_the_default_policy():
    policy = load_pack(REPO / "rules" / "crane" / "lifts.yaml").settings["lift_policy"]
    assert policy == LiftPolicy()
    assert (policy.bands.critical, policy.bands.high, policy.bands.fail) == (0.75, 0.90, 1.00)


def test_results_follow_the_policy():
    p = LiftPolicy()
    assert p.result([]) == "ok"
    assert p.result(["band_critical"]) == "warning"
    assert p.result(["zone", "collision"]) == "fail"
    strict = parse_policy({"results": {"fail": ["band_fail", "zone"], "warning": []}})
    assert strict.result(["zone"]) == "fail" and strict.result(["band_high"]) == "ok"


@pytest.mark.parametrize(("raw", "message"), [
    ({"bands": {"critical": 0.9, "high": 0.8}}, "bands: bands must satisfy"),
    ({"results": {"fail": ["nope"]}}, "unknown condition 'nope'"),
    ({"results": {"fail": ["zone"], "warning": ["zone"]}}, "zone is both"),
    ({"colour": 1}, "unknown field 'colour'"),
])
def test_bad_policies(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_policy(raw)


def test_pack_policy_changes_the_lift_results():
    """The sample's L4 crosses the road zone: a warning by default, a fail when
    the pack says zones fail; bands from the pack apply when the plan has none."""
    model = open_model(SAMPLES / "tower_rev_a.ifc")
    plan = load_lift_plan(SAMPLES / "tower.lift.yaml")
    default = {r.lift.id: r.result for r in run_lifts(model, plan, replan=False).lifts}
    assert default["L4-zone"] == "warning"
    strict = parse_policy({"results": {"fail": ["band_fail", "out_of_chart", "collision",
                                                "power_line", "problem", "zone"]}})
    report = run_lifts(model, plan, replan=False, policy=strict)
    assert {r.lift.id: r.result for r in report.lifts}["L4-zone"] == "fail"


def test_avoid_zones_and_the_horizon_are_read_and_checked():
    p = parse_policy({"avoid_zones": False, "clearance_horizon": 40})
    assert p.avoid_zones is False and p.clearance_horizon == 40.0
    assert LiftPolicy().avoid_zones is True and LiftPolicy().clearance_horizon == 25.0
    for raw, message in (({"avoid_zones": "no"}, "avoid_zones"),
                         ({"clearance_horizon": 0.5}, "clearance_horizon"),
                         ({"clearance_horizon": float("nan")}, "clearance_horizon"),
                         ({"clearance_horizon": True}, "clearance_horizon")):
        with pytest.raises(ValueError, match=message):
            parse_policy(raw)


def test_the_horizon_bounds_the_margin_and_says_when_nothing_is_within_it():
    """L1 of the sample: nearest is column C-0-B1 at 19.8 - sqrt(257) = 3.7688 m
    (samples/tower.lift.truth.yaml). Under a 3 m horizon nothing is within it:
    the margin is 3.0, flagged beyond the horizon, with no element."""
    plan = load_lift_plan(SAMPLES / "tower.lift.yaml")
    model = open_model(SAMPLES / "tower_rev_a.ifc")
    near = run_lifts(model, plan, threads=1, policy=LiftPolicy()).lifts[0]
    assert near.clearance.min_clearance == pytest.approx(19.8 - 257 ** 0.5, abs=1e-3)
    assert not near.clearance.beyond_horizon
    far = run_lifts(model, plan, threads=1,
                    policy=parse_policy({"clearance_horizon": 3})).lifts[0]
    assert far.clearance.min_clearance == 3.0 and far.clearance.beyond_horizon
    assert far.clearance.min_element is None
    assert far.as_dict()["min_clearance_beyond_horizon"] is True


def test_a_lift_may_say_it_crosses_its_zone(tmp_path):
    """L4 of the sample says avoid_zones: false and crosses the road (its
    truth); without that line the planner takes it round the road."""
    text = (SAMPLES / "tower.lift.yaml").read_text(encoding="utf-8")
    plan = load_lift_plan(SAMPLES / "tower.lift.yaml")
    model = open_model(SAMPLES / "tower_rev_a.ifc")
    kept = next(r for r in run_lifts(model, plan, threads=1).lifts if r.lift.id == "L4-zone")
    assert [z.zone for z in kept.zones] == ["road"] and not kept.planned
    edited = tmp_path / "t.lift.yaml"
    edited.write_text(text.replace("    avoid_zones: false", "", 1), encoding="utf-8")
    plan2 = load_lift_plan(edited)
    avoided = next(r for r in run_lifts(model, plan2, threads=1).lifts
                   if r.lift.id == "L4-zone")
    assert avoided.planned and avoided.zones == [] and avoided.clearance.conflicts == []
    bad = tmp_path / "bad.lift.yaml"
    bad.write_text(text.replace("avoid_zones: false", "avoid_zones: 'no'", 1), encoding="utf-8")
    from bimcheck.errors import LiftPlanError

    with pytest.raises(LiftPlanError, match="avoid_zones"):
        load_lift_plan(bad)
