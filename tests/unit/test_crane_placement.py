"""Placement advice ranked by hand."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bimcheck.crane.placement import rank_placement
from bimcheck.crane.plan import parse_lift_plan
from bimcheck.errors import LiftPlanError


def _plan(candidates):
    return parse_lift_plan({
        "clearance": 0.5,
        "cranes": [{"id": "TC", "type": "tower", "base": [0, -5, 0], "hook_height": 20,
                    "jib_elevation": 23, "jib_length": 30,
                    "load_chart": {"radius": [3, 10, 30], "capacity": [10, 10, 2]}}],
        "lifts": [{"id": "L", "crane": "TC", "load": {"box": [1, 1, 1], "weight": 3},
                   "pick": [0, 0, 0], "set": [20, 0, 0]}],
        "placement": [{"crane": "TC", "candidates": candidates}],
    }, Path("t.lift.yaml"))


def _cap(r):
    return 10 + (r - 10) / 20 * (2 - 10)


def test_candidates_are_ranked_by_coverage_band_and_utilization():
    a, b, c, d = [10, -5, 0], [40, 0, 0], [10, -20, 0], [10, -26, 0]
    plan = _plan([b, d, c, a])
    ranked = rank_placement(plan, plan.placement[0], {"L": 3.0})
    assert [list(x.base) for x in ranked] == [a, c, d, b]
    assert [x.rank for x in ranked] == [1, 2, 3, 4]
    # A: pick and set both sqrt(125) m away (a slew only): 3 / cap.
    assert ranked[0].utilization_max == pytest.approx(3 / _cap(math.hypot(10, 5)))
    assert ranked[1].utilization_max == pytest.approx(3 / _cap(math.hypot(10, 20)))
    assert ranked[0].all_normal and ranked[1].all_normal
    # D reaches both points but is overloaded (105 %); B cannot reach the pick (40 m).
    assert ranked[2].covered == 1 and not ranked[2].all_normal
    assert ranked[2].utilization_max == pytest.approx(3 / _cap(math.hypot(10, 26)))
    assert ranked[3].covered == 0 and ranked[3].utilization_max is None


def test_a_placement_for_an_unknown_crane_is_refused():
    doc_plan = {
        "clearance": 0.5,
        "cranes": [{"id": "TC", "type": "tower", "base": [0, 0, 0], "hook_height": 20,
                    "jib_elevation": 23, "jib_length": 30,
                    "load_chart": {"radius": [3, 30], "capacity": [10, 2]}}],
        "lifts": [{"id": "L", "crane": "TC", "load": {"box": [1, 1, 1], "weight": 3},
                   "pick": [5, 0, 0], "set": [20, 0, 0]}],
        "placement": [{"crane": "TX", "candidates": [[0, 0, 0]]}],
    }
    with pytest.raises(LiftPlanError, match=r"placement\[0\]\.crane"):
        parse_lift_plan(doc_plan, Path("t.lift.yaml"))
