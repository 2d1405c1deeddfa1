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
