"""Load-chart capacity and utilization bands, against hand arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bimcheck.crane.chart import Bands, LoadChart, worst

# The issue's tower crane TC1.
TC1 = LoadChart(radius=(3, 20, 30, 40, 50), capacity=(10, 10, 6, 4, 3))


@pytest.mark.parametrize(("radius", "capacity"), [
    (3.0, 10.0),     # first point
    (12.0, 10.0),    # on the flat part
    (25.0, 8.0),     # halfway 20 -> 30: 10 + 0.5 × (6 − 10)
    (27.5, 7.0),     # 10 + 0.75 × (6 − 10)
    (32.0, 5.6),     # 6 + 0.2 × (4 − 6)
    (45.0, 3.5),     # 4 + 0.5 × (3 − 4)
    (50.0, 3.0),     # last point
])
def test_capacity_is_interpolated_linearly(radius, capacity):
    assert TC1.capacity_at(radius) == pytest.approx(capacity, abs=1e-12)


@pytest.mark.parametrize("radius", [2.999, 50.001, 0.0, 80.0, -1.0])
def test_a_radius_outside_the_chart_has_no_capacity(radius):
    assert TC1.capacity_at(radius) is None
    assert math.isnan(TC1.capacities([radius])[0])


def test_capacities_for_many_radii_at_once():
    got = TC1.capacities(np.array([2.0, 3.0, 25.0, 45.0, 51.0]))
    np.testing.assert_allclose(got[1:4], [10.0, 8.0, 3.5])
    assert math.isnan(got[0]) and math.isnan(got[4])


@pytest.mark.parametrize(("utilization", "band"), [
    (0.0, "normal"),
    (0.7499999, "normal"),
    (0.75, "critical"),      # boundaries are exact: 75 % is critical
    (0.8999999, "critical"),
    (0.90, "high"),
    (1.00, "high"),          # 100 % is the limit, still high risk
    (1.0000001, "fail"),
    (None, "out_of_chart"),
    (float("nan"), "out_of_chart"),
])
def test_band_boundaries_are_exact(utilization, band):
    assert Bands().band(utilization) == band


def test_utilization_of_the_issue_lift_at_the_band_boundary():
    """2.0 t load + 0.2 t rigging + 0.3 t hook = 2.5 t; at 45 m TC1 lifts
    3.5 t: 2.5 / 3.5 = 0.714 (normal); at a chart of 10/3 t it would be 0.75."""
    total = 2.0 + 0.2 + 0.3
    assert Bands().band(total / TC1.capacity_at(45.0)) == "normal"
    chart = LoadChart(radius=(3, 50), capacity=(10 / 3, 10 / 3))
    assert total / chart.capacity_at(10.0) == pytest.approx(0.75, abs=1e-15)


def test_custom_bands_and_their_order_are_checked():
    bands = Bands(critical=0.5, high=0.6, fail=0.8)
    assert [bands.band(u) for u in (0.49, 0.5, 0.6, 0.8, 0.81)] == [
        "normal", "critical", "high", "high", "fail"]
    with pytest.raises(ValueError):
        Bands(critical=0.9, high=0.8)


@pytest.mark.parametrize(("radius", "capacity"), [
    ((3,), (10,)),                 # one point
    ((3, 3), (10, 9)),             # not increasing
    ((5, 3), (10, 9)),
    ((3, 10), (10,)),              # lengths differ
    ((3, 10), (10, 0)),            # zero capacity
    ((-1, 10), (10, 5)),           # negative radius
    ((3, float("inf")), (10, 5)),
])
def test_a_malformed_chart_is_refused(radius, capacity):
    with pytest.raises(ValueError):
        LoadChart(radius, capacity)


def test_worst_band():
    assert worst(["normal", "high", "critical"]) == "high"
    assert worst(["fail", "out_of_chart"]) == "out_of_chart"
    assert worst([]) == "normal"
