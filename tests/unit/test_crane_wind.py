"""Wind against the lift's limit, worked by hand: the lift's own wind or the
highest forecast over its window; the crane's limit over the site's; the
large-sail limit; not checked without a wind; plan errors naming the field."""

from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path as FilePath

import pytest

from bimcheck.crane.plan import parse_lift_plan
from bimcheck.crane.policy import CONDITIONS, LiftPolicy
from bimcheck.crane.wind import check_wind, format_window, lift_wind, wind_limit
from bimcheck.errors import LiftPlanError


def _tower(cid, limit=None):
    crane = {"id": cid, "type": "tower", "base": [0, 0, 0], "hook_height": 40,
             "jib_elevation": 43, "jib_length": 50,
             "load_chart": {"radius": [3, 50], "capacity": [10, 5]}}
    if limit is not None:
        crane["wind_limit_m_s"] = limit
    return crane


#: TC1 may lift up to 15 m/s, TC2 has no limit of its own (the site's 20 m/s),
#: TC3 up to 10 m/s; loads of 30 m² or more lift only up to 12 m/s.
SITE = {"wind_limit_m_s": 20,
        "large_sail": {"area_m2": 30, "wind_limit_m_s": 12},
        "wind_forecast": [
            {"window": ["2027-03-01T06:00", "2027-03-01T08:00"], "wind_m_s": 10},
            {"window": ["2027-03-01T08:00", "2027-03-01T12:00"], "wind_m_s": 18},
            {"window": ["2027-03-01T12:00", "2027-03-01T14:00"], "wind_m_s": 12},
            {"window": ["2027-03-02T00:00", "2027-03-03T00:00"], "wind_m_s": 25},
        ]}


def _lift(lid, crane="TC1", window=None, wind=None, sail=None):
    lift = {"id": lid, "crane": crane, "load": {"box": [2, 2, 1], "weight": 1.0},
            "pick": [30, 0, 0], "set": [0, 30, 0]}
    if window is not None:
        lift["window"] = [f"2027-03-0{window[0]}", f"2027-03-0{window[1]}"]
    if wind is not None:
        lift["wind_m_s"] = wind
    if sail is not None:
        lift["load"]["sail_area_m2"] = sail
    return lift


LIFTS = [
    _lift("A", window=("1T09:00", "1T10:00")),            # 18 (08-12) > 15 of TC1
    _lift("B", "TC2", window=("1T09:00", "1T10:00")),     # 18 <= the site's 20
    _lift("C", window=("1T07:00", "1T08:00")),            # only 06-08 overlaps: 10
    _lift("D", window=("1T07:30", "1T12:30")),            # 10, 18, 12 overlap: 18
    _lift("E", window=("1T09:00", "1T10:00"), wind=14),   # its own 14 wins: <= 15
    _lift("F"),                                           # no window, no wind
    _lift("G", "TC2", window=("1T12:00", "1T13:00"), sail=40),  # 12 <= min(12, 20)
    _lift("H", wind=13, sail=40),                         # 13 > min(12, 15)
    _lift("I", "TC2", wind=19, sail=20),                  # 20 m² < 30: 19 <= 20
    _lift("J", window=("2T10:00", "2T11:00")),            # 25 over a day's window
    _lift("K", "TC3", wind=11, sail=40),                  # min(12, 10) = 10, TC3's
    _lift("M", window=("1T14:00", "1T15:00")),            # no forecast overlaps
    _lift("N", "TC2", window=("1T13:00", "1T15:00")),     # 12 (12-14); 14-15 not forecast
]


def _doc(lifts=LIFTS, site=SITE, cranes=None):
    return {"clearance": 0.5, "lifts": copy.deepcopy(lifts), "site": copy.deepcopy(site),
            "cranes": cranes or [_tower("TC1", 15), _tower("TC2"), _tower("TC3", 10)]}


def _plan(doc=None):
    return parse_lift_plan(doc or _doc(), FilePath("w.lift.yaml"))


@pytest.fixture(scope="module")
def checks():
    plan = _plan()
    return {lift.id: check_wind(plan.cranes[lift.crane], lift, plan.site)
            for lift in plan.lifts}


@pytest.mark.parametrize(("lid", "wind", "source", "limit", "limit_from", "ok"), [
    ("A", 18, "forecast", 15, "crane", False),
    ("B", 18, "forecast", 20, "site", True),
    ("C", 10, "forecast", 15, "crane", True),
    ("D", 18, "forecast", 15, "crane", False),
    ("E", 14, "lift", 15, "crane", True),
    ("G", 12, "forecast", 12, "large_sail", True),   # exactly the limit is within it
    ("H", 13, "lift", 12, "large_sail", False),
    ("I", 19, "lift", 20, "site", True),
    ("J", 25, "forecast", 15, "crane", False),
    ("K", 11, "lift", 10, "crane", False),
])
def test_wind_and_limit_as_worked_by_hand(checks, lid, wind, source, limit, limit_from, ok):
    w = checks[lid]
    assert (w.wind_m_s, w.source, w.limit_m_s, w.limit_from, w.ok) == (
        wind, source, limit, limit_from, ok)


def test_a_lift_without_a_wind_is_not_checked(checks):
    assert checks["F"] is None  # neither a window nor its own wind
    assert checks["M"] is None  # its window meets no forecast


def test_the_forecast_chosen_is_the_highest_overlapping_window(checks):
    plan = _plan()
    lifts = {lift.id: lift for lift in plan.lifts}
    # C (07:00-08:00) only touches 08:00-12:00 at 08:00: that window does not count.
    assert lift_wind(lifts["C"], plan.site) == (
        10, "forecast", (datetime(2027, 3, 1, 6), datetime(2027, 3, 1, 8)))
    assert checks["D"].window == (datetime(2027, 3, 1, 8), datetime(2027, 3, 1, 12))
    assert checks["E"].window is None  # its own wind: no forecast used


def test_the_limit_comes_from_the_crane_the_site_or_the_large_sail():
    plan = _plan()
    lifts = {lift.id: lift for lift in plan.lifts}
    tc1, tc2 = plan.cranes["TC1"], plan.cranes["TC2"]
    assert wind_limit(tc1, lifts["A"].load, plan.site) == (15, "crane")
    assert wind_limit(tc2, lifts["A"].load, plan.site) == (20, "site")
    assert wind_limit(tc1, lifts["H"].load, plan.site) == (12, "large_sail")
    assert wind_limit(tc2, lifts["I"].load, plan.site) == (20, "site")  # 20 m² < 30 m²


def test_the_message_says_what_is_over_which_limit(checks):
    assert checks["A"].message == ("wind 18 m/s (forecast 2027-03-01 08:00-12:00) is over "
                                   "the 15 m/s limit of TC1")
    assert checks["H"].message == ("wind 13 m/s (given for the lift) is over the 12 m/s limit "
                                   "of TC1 for a load of 40 m² sail area (large-sail limit)")
    assert checks["B"].message == ("wind 18 m/s (forecast 2027-03-01 08:00-12:00) is within "
                                   "the site's 20 m/s limit for TC2")
    assert checks["J"].message.startswith(
        "wind 25 m/s (forecast 2027-03-02 00:00 to 2027-03-03 00:00) is over")
    assert format_window((datetime(2027, 3, 1, 8), datetime(2027, 3, 1, 12, 30))) == (
        "2027-03-01 08:00-12:30")


def test_the_json_of_a_wind_check(checks):
    assert checks["A"].as_dict() == {
        "wind_m_s": 18, "source": "forecast",
        "forecast_window": ["2027-03-01T08:00:00", "2027-03-01T12:00:00"],
        "limit_m_s": 15, "limit_from": "crane", "sail_area_m2": None, "ok": False,
        "message": checks["A"].message, "forecast_covers_window": True}
    h = checks["H"].as_dict()
    assert h["forecast_window"] is None and h["sail_area_m2"] == 40 and h["source"] == "lift"


def test_wind_is_a_condition_that_fails_by_default():
    assert "wind" in CONDITIONS and "wind" in LiftPolicy().fail
    assert LiftPolicy().result(["wind"]) == "fail"


def test_a_plan_without_wind_fields_still_loads_and_checks_nothing():
    doc = _doc(site={"wind_limit_m_s": 20})
    plan = _plan(doc)
    assert plan.site.wind_forecast == () and plan.site.large_sail is None
    assert plan.cranes["TC1"].wind_limit_m_s == 15 and plan.cranes["TC2"].wind_limit_m_s is None
    f = next(x for x in plan.lifts if x.id == "F")
    assert check_wind(plan.cranes["TC1"], f, plan.site) is None


def _edit(change):
    doc = _doc()
    change(doc)
    return doc


def _no_limits(doc):
    doc["site"].pop("wind_limit_m_s")
    doc["site"].pop("large_sail")
    for crane in doc["cranes"]:
        crane.pop("wind_limit_m_s", None)


WIND_CASES = [
    (lambda d: d["lifts"][0].update(wind_m_s=-1), ["lift A", "wind_m_s", "≥ 0"]),
    (lambda d: d["lifts"][0].update(wind_m_s="gusty"), ["lift A", "wind_m_s", "a number"]),
    (lambda d: d["lifts"][0].update(wind_m_s=float("inf")), ["lift A", "wind_m_s", "a number"]),
    (lambda d: d["lifts"][0].update(wind=5), ["lift A", "unknown key 'wind'"]),
    (lambda d: d["lifts"][0]["load"].update(sail_area_m2=-5),
     ["lift A", "load.sail_area_m2", "≥ 0"]),
    (lambda d: d["cranes"][0].update(wind_limit_m_s=-3), ["crane TC1", "wind_limit_m_s", "≥ 0"]),
    (lambda d: d["cranes"][0].update(wind_limit_m_s=float("nan")),
     ["crane TC1", "wind_limit_m_s", "a number"]),
    (lambda d: d["site"].update(wind_limit_m_s=-1), ["site.wind_limit_m_s", "≥ 0"]),
    (lambda d: d["site"]["wind_forecast"][1].pop("wind_m_s"),
     ["site.wind_forecast[1].wind_m_s", "is required"]),
    (lambda d: d["site"]["wind_forecast"][1].update(wind_m_s=-2),
     ["site.wind_forecast[1].wind_m_s", "≥ 0"]),
    (lambda d: d["site"]["wind_forecast"][1].pop("window"),
     ["site.wind_forecast[1].window", "is required"]),
    (lambda d: d["site"]["wind_forecast"][1].update(window=["2027-03-01T12:00",
                                                            "2027-03-01T08:00"]),
     ["site.wind_forecast[1].window", "end after"]),
    (lambda d: d["site"]["wind_forecast"][1].update(window=["soon", "2027-03-01T08:00"]),
     ["site.wind_forecast[1].window", "ISO"]),
    # 9999-12-31 23:59:59 at UTC-1 is in year 10000 in UTC: out of range.
    (lambda d: d["site"]["wind_forecast"][1].update(
        window=["2027-03-01T08:00", "9999-12-31T23:59:59-01:00"]),
     ["site.wind_forecast[1].window: [2027-03-01T08:00, 9999-12-31T23:59:59-01:00] is out of "
      "range once taken to UTC"]),
    (lambda d: d["site"]["wind_forecast"][1].update(window=["2027-03-01T12:00"]),
     ["site.wind_forecast[1].window", "[start, end]"]),
    (lambda d: d["site"]["wind_forecast"][1].update(gust_m_s=30),
     ["site.wind_forecast[1]", "unknown key 'gust_m_s'"]),
    (lambda d: d["site"].update(wind_forecast={"08:00": 18}),
     ["site.wind_forecast", "must be a list"]),
    (lambda d: d["site"]["large_sail"].pop("area_m2"), ["site.large_sail.area_m2", "is required"]),
    (lambda d: d["site"]["large_sail"].update(wind_limit_m_s=-1),
     ["site.large_sail.wind_limit_m_s", "≥ 0"]),
    (lambda d: d["site"]["large_sail"].update(area=30), ["site.large_sail", "unknown key 'area'"]),
    (lambda d: d["site"].update(large_sail=30), ["site.large_sail", "must be a mapping"]),
    # A wind with no limit to compare it with.
    (lambda d: (_no_limits(d), d.update(lifts=[_lift("X", wind=9)])),
     ["lift X", "wind_m_s", "9 m/s is given", "crane TC1 has no wind_limit_m_s"]),
    (lambda d: (_no_limits(d), d.update(lifts=[_lift("X", window=("1T09:00", "1T10:00"))])),
     ["lift X", "window", "18 m/s is forecast over its window"]),
]


@pytest.mark.parametrize(("change", "pieces"), WIND_CASES)
def test_wind_mistakes_name_the_file_the_owner_and_the_field(change, pieces):
    with pytest.raises(LiftPlanError) as info:
        _plan(_edit(change))
    message = str(info.value)
    assert message.startswith("w.lift.yaml: ")
    for piece in pieces:
        assert piece in message, message


def test_no_limit_is_needed_where_no_wind_is_known():
    doc = _edit(_no_limits)
    doc["lifts"] = [_lift("F"), _lift("M", window=("1T14:00", "1T15:00"))]
    plan = _plan(doc)
    assert all(check_wind(plan.cranes[x.crane], x, plan.site) is None for x in plan.lifts)
    # A large-sail load needs no crane or site limit: the large-sail one applies.
    doc = _edit(_no_limits)
    doc["site"]["large_sail"] = {"area_m2": 30, "wind_limit_m_s": 12}
    doc["lifts"] = [_lift("H", wind=13, sail=40)]
    plan = _plan(doc)
    w = check_wind(plan.cranes["TC1"], plan.lifts[0], plan.site)
    assert (w.limit_m_s, w.limit_from, w.ok) == (12, "large_sail", False)


def test_a_forecast_that_covers_only_part_of_the_window_says_so(checks):
    """N (13:00-15:00) meets only the 12:00-14:00 forecast: 12 m/s is within
    the site's 20, but nothing is known of 14:00-15:00. D (07:30-12:30) is
    covered by three forecasts end to end (06-08, 08-12, 12-14)."""
    n = checks["N"]
    assert n.wind_m_s == 12 and n.ok and n.covered is False
    assert n.message.endswith("; the forecast covers only part of the lift's window")
    assert checks["D"].covered is True and "only part" not in checks["D"].message
    assert checks["E"].covered is None  # its own wind: no forecast used
