"""Crane-to-crane: overlap of working circles against the analytic lens area,
jib separation, and lifts working the overlap at the same time."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bimcheck.crane.overlap import crane_pairs
from bimcheck.crane.plan import parse_lift_plan


def _tower(cid, x, y, jib, elevation):
    return {"id": cid, "type": "tower", "base": [x, y, 0], "hook_height": elevation - 3,
            "jib_elevation": elevation, "jib_length": jib,
            "load_chart": {"radius": [3, jib], "capacity": [10, 3]}}


def _plan(cranes, lifts=None, separation=2.0):
    lifts = lifts or [{"id": "L0", "crane": cranes[0]["id"],
                       "load": {"box": [1, 1, 1], "weight": 1},
                       "pick": [5, 0, 0], "set": [6, 0, 0]}]
    doc = {"clearance": 0.5, "min_jib_separation": separation, "cranes": cranes,
           "lifts": lifts}
    return parse_lift_plan(doc, Path("t.lift.yaml"))


def _lens(d, r1, r2):
    a1 = r1 * r1 * math.acos((d * d + r1 * r1 - r2 * r2) / (2 * d * r1))
    a2 = r2 * r2 * math.acos((d * d + r2 * r2 - r1 * r1) / (2 * d * r2))
    k = 0.5 * math.sqrt((-d + r1 + r2) * (d + r1 - r2) * (d - r1 + r2) * (d + r1 + r2))
    return a1 + a2 - k


@pytest.mark.parametrize(("d", "r1", "r2"), [(60, 50, 40), (30, 50, 50), (85, 50, 40),
                                             (12, 50, 40)])
def test_overlap_area_is_the_analytic_lens(d, r1, r2):
    # Put the second crane at an angle, not on an axis.
    x, y = d * math.cos(0.7), d * math.sin(0.7)
    plan = _plan([_tower("TC1", 0, 0, r1, 43), _tower("TC2", x, y, r2, 50)])
    (pair,) = crane_pairs(plan)
    assert (pair.a, pair.b) == ("TC1", "TC2")
    if d + r2 <= r1:
        expected = math.pi * r2 * r2  # one circle inside the other
    else:
        expected = _lens(d, r1, r2)
    assert pair.overlap_area == pytest.approx(expected, rel=0.005)
    assert pair.overlap_area == pytest.approx(expected, rel=1e-4)  # in fact far closer
    assert pair.vertical_separation == pytest.approx(7.0)
    assert not pair.conflict


def test_circles_that_do_not_meet_make_no_pair():
    plan = _plan([_tower("TC1", 0, 0, 50, 43), _tower("TC2", 100.001, 0, 50, 43)])
    assert crane_pairs(plan) == []


def test_jibs_closer_than_the_minimum_separation_conflict():
    plan = _plan([_tower("TC1", 0, 0, 50, 43), _tower("TC2", 60, 0, 40, 44.5)])
    (pair,) = crane_pairs(plan)
    assert pair.vertical_separation == pytest.approx(1.5) and pair.conflict
    # Exactly the minimum is enough (a conflict is *below* it).
    plan = _plan([_tower("TC1", 0, 0, 50, 43), _tower("TC2", 60, 0, 40, 45)])
    assert not crane_pairs(plan)[0].conflict


def test_lifts_in_the_overlap_at_the_same_time():
    def lift(lid, crane, point, window):
        return {"id": lid, "crane": crane, "load": {"box": [1, 1, 1], "weight": 1},
                "pick": point, "set": point, "window": window}

    morning = ["2027-03-01T08:00", "2027-03-01T10:00"]
    late = ["2027-03-01T09:30", "2027-03-01T11:00"]
    after = ["2027-03-01T10:00", "2027-03-01T12:00"]  # starts as the first ends
    cranes = [_tower("TC1", 0, 0, 50, 43), _tower("TC2", 60, 0, 40, 50)]
    in_overlap, outside = [30, 0, 0], [-30, 0, 0]
    plan = _plan(cranes, [
        lift("A", "TC1", in_overlap, morning),
        lift("B", "TC2", in_overlap, late),      # overlaps A in time and place
        lift("C", "TC2", in_overlap, after),     # touches A's end: not simultaneous
        lift("D", "TC1", outside, morning),      # not in the overlap
    ])
    (pair,) = crane_pairs(plan)
    assert pair.simultaneous_lifts == (("A", "B"),)
    assert pair.conflict  # 7 m apart vertically, but worked at once
    assert pair.as_dict()["simultaneous_lifts"] == [["A", "B"]]
