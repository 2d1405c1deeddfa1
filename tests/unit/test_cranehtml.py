"""The crane HTML (bimcheck.report.cranehtml) and its drawing
(bimcheck.crane.drawing): legends, a scale bar whose length is its label at
the drawing's scale, a north arrow that follows the model's TrueNorth,
elements named by class, Name and GlobalId, escaping of what the model and
the plan give, and the same bytes for the same inputs."""

from __future__ import annotations

import html
import math
import re
import shutil
from pathlib import Path
from typing import Any

import ifcopenshell
import pytest

from bimcheck.crane.drawing import drawing_data, element_label, read_north
from bimcheck.crane.plan import load_lift_plan
from bimcheck.crane.run import CraneReport, run_lifts
from bimcheck.model import open_model
from bimcheck.report.cranehtml import (
    crane_html,
    elevation_legend,
    elevation_svg,
    lifts_table,
    plan_legend,
    plan_svg,
    scale_length,
)
from tests.conftest import SAMPLES

SCRIPT = "<script>alert(1)</script>"
PLAN = SAMPLES / "tower.lift.yaml"
#: The sample's column nearest to lift L1 (samples/tower_rev_a.truth.yaml).
COLUMN = "2OkY$J3m5OQAs$2dEUph4B"

#: A drawing with one of everything (plain data, metres).
DRAWING: dict[str, Any] = {
    "footprint": [[[[0, 0], [20, 0], [20, 10], [0, 10], [0, 0]]]],
    "elevation": [[[[0, 0], [20, 0], [20, 12], [0, 12], [0, 0]]]],
    "zones": [{"id": "road", "polygons": [[[[25, 0], [30, 0], [30, 10], [25, 10]]]]}],
    "power_lines": [{"id": "PL1", "voltage_kv": 11, "points": [[-10, 20, 9], [40, 20, 9]]}],
    "overlaps": [{"a": "A", "b": "B", "conflict": True,
                  "polygons": [[[[5, 5], [8, 5], [8, 8], [5, 8]]]]},
                 {"a": "A", "b": "C", "conflict": False,
                  "polygons": [[[[9, 5], [12, 5], [12, 8], [9, 8]]]]}],
    "cranes": [{"id": "A", "base": [10, -15, 0], "working_radius": 30, "top": 32,
                "jib": [0, 40, 30], "boom": None}],
    "lifts": [{"id": "L1", "result": "fail", "trace": [[10, -5, 0], [10, 5, 12]],
               "conflict": {"position": [10, 0, 6], "label": "IfcWall 'W' (X)"}},
              {"id": "L2", "result": "ok", "trace": [[0, -5, 0], [0, 5, 1]], "conflict": None,
               "dashed": True}],
    "north": {"direction": [0.0, 1.0], "true": False},
}


def _keys(legend: str) -> list[str]:
    return re.findall(r'<span data-key="([^"]+)">', legend)


def _floats(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)]


def _view_box(svg: str) -> list[float]:
    return _floats(re.search(r'viewBox="([^"]+)"', svg).group(1))


def _scale_bar(svg: str) -> tuple[float, float]:
    """(the bar's length in SVG units, its label in m)."""
    bar = re.search(r'<g class="scalebar">.*?<path d="([^"]+)".*?>([\d.e-]+) m</text></g>', svg)
    assert bar, "no scale bar"
    length = float(re.search(r" h(-?[\d.e-]+) ", bar.group(1)).group(1))
    return length, float(bar.group(2))


def _north(svg: str) -> tuple[float, str]:
    """(the north arrow's rotation, degrees, its caption)."""
    arrow = re.search(r'<g class="north" transform="translate\([^)]*\) rotate\(([-\d.]+)\)">'
                      r'.*?</g><text [^>]*>N: ([^<]*)</text>', svg)
    assert arrow, "no north arrow"
    return float(arrow.group(1)), arrow.group(2)


def _is_round(length: float) -> bool:
    k = math.floor(math.log10(length))
    return any(math.isclose(length, m * 10.0 ** k, rel_tol=1e-9) for m in (1, 2, 5))


def test_legends_name_what_each_view_draws() -> None:
    plan = plan_legend(DRAWING)
    assert _keys(plan) == ["model", "zone", "power-line", "crane-base", "working-circle",
                           "overlap", "overlap-conflict", "path-ok", "path-warning",
                           "path-fail", "path-dashed", "pick", "set", "conflict"]
    assert "first conflict" in plan and "exclusion zone" in plan and "power line" in plan
    assert _keys(elevation_legend(DRAWING)) == [
        "model", "crane", "path-ok", "path-warning", "path-fail", "path-dashed", "pick", "set",
        "conflict"]
    # only what is drawn: no zones, lines, overlaps or conflicts, no entries for them
    bare = {"footprint": DRAWING["footprint"], "lifts": [DRAWING["lifts"][1]]}
    assert _keys(plan_legend(bare)) == ["model", "path-ok", "path-warning", "path-fail",
                                        "path-dashed", "pick", "set"]


@pytest.mark.parametrize("extent, want", [(10, 2), (45, 10), (80, 20), (99.9, 20), (100, 20),
                                          (230, 50), (0.3, 0.05), (4000, 1000)])
def test_scale_length_is_round_and_fits(extent: float, want: float) -> None:
    got = scale_length(extent)
    assert got == pytest.approx(want) and _is_round(got)
    assert extent / 10 <= got <= extent / 4


def _metres_per_unit_plan(svg: str, drawing: dict[str, Any]) -> float:
    """From the first crane's working circle: its radius in m over its r in SVG units."""
    r = float(re.search(r'<circle class="working" [^>]*r="([\d.]+)"', svg).group(1))
    return drawing["cranes"][0]["working_radius"] / r


def _metres_per_unit_elevation(svg: str, drawing: dict[str, Any]) -> float:
    """From the first crane's jib: its length in m over its SVG length."""
    x1, x2 = (float(v) for v in re.search(r'<line class="jib" x1="([-\d.]+)" [^>]*x2="([-\d.]+)"',
                                          svg).groups())
    left, right, _ = drawing["cranes"][0]["jib"]
    return (right - left) / (x2 - x1)


def _assert_scale_bar(svg: str, metres_per_unit: float) -> None:
    length, label = _scale_bar(svg)
    assert _is_round(label)
    assert length * metres_per_unit == pytest.approx(label, rel=0.005)
    width = _view_box(svg)[2] * metres_per_unit  # the view's width, m
    assert width / 10 <= label <= width / 4


def test_scale_bars_are_as_long_as_their_labels_at_the_drawing_s_scale() -> None:
    plan = plan_svg(DRAWING)
    _assert_scale_bar(plan, _metres_per_unit_plan(plan, DRAWING))
    elevation = elevation_svg(DRAWING)
    _assert_scale_bar(elevation, _metres_per_unit_elevation(elevation, DRAWING))
    assert "seen from the south (−y) looking north (+y)" in elevation
    assert 'class="north"' not in elevation  # a view note instead of a north arrow


def test_north_arrow_turns_with_the_drawing_s_north() -> None:
    assert _north(plan_svg(DRAWING)) == (0.0, "plan north (+y)")
    assert _north(plan_svg({})) == (0.0, "plan north (+y)")  # no north given: +y
    # north toward plan -x: a quarter turn anticlockwise on the page
    west = {**DRAWING, "north": {"direction": [-1.0, 0.0], "true": True}}
    assert _north(plan_svg(west)) == (-90.0, "true north")
    assert "true north is -90.0° clockwise from +y" in elevation_svg(west)


# -- from the sample model ----------------------------------------------------------------

def _with(tmp: Path, *, true_north: tuple[float, ...] | None = None,
          names: dict[str, str] | None = None) -> Path:
    """A copy of the sample tower with the context's TrueNorth and element Names set."""
    path = tmp / "tower.ifc"
    shutil.copyfile(SAMPLES / "tower_rev_a.ifc", path)
    f = ifcopenshell.open(str(path))
    if true_north is not None:
        (ctx,) = f.by_type("IfcGeometricRepresentationContext", include_subtypes=False)
        ctx.TrueNorth = f.createIfcDirection(true_north)
    for gid, name in (names or {}).items():
        f.by_guid(gid).Name = name
    f.write(str(path))
    return path


def _bare_report(path: Path) -> CraneReport:
    """A crane report of the model and the sample plan with no lift run."""
    return CraneReport(model=open_model(path), plan=load_lift_plan(PLAN), lifts=[], pairs=[],
                       failures=[])


def test_a_model_without_true_north_points_the_arrow_up() -> None:
    drawing = drawing_data(_bare_report(SAMPLES / "tower_rev_a.ifc"))
    assert drawing["north"] == {"direction": [0.0, 1.0], "true": False}
    assert _north(plan_svg(drawing)) == (0.0, "plan north (+y)")


@pytest.mark.parametrize("true_north, angle", [
    # north toward plan +x+y: 45° clockwise from the page's up
    ((1.0, 1.0), 45.0),
    # north toward (-1/2, -√3/2), 3D: atan2(-1/2, -√3/2) = -150° (south-south-west on the page)
    ((-0.5, -math.sqrt(3) / 2, 0.0), -150.0),
])
def test_a_model_s_true_north_turns_the_arrow(tmp_path: Path, true_north: tuple[float, ...],
                                              angle: float) -> None:
    model = open_model(_with(tmp_path, true_north=true_north))
    dx, dy = true_north[0], true_north[1]
    unit = [dx / math.hypot(dx, dy), dy / math.hypot(dx, dy)]
    assert read_north(model)["direction"] == pytest.approx(unit, abs=1e-7)
    drawing = drawing_data(CraneReport(model=model, plan=load_lift_plan(PLAN), lifts=[],
                                       pairs=[], failures=[]))
    assert drawing["north"]["true"] is True
    got, caption = _north(plan_svg(drawing))
    assert caption == "true north" and got == pytest.approx(angle, abs=0.01)
    # SVG's rotate(a) turns the arrow's tip (0, -1) to (sin a, -cos a): plan (sin a, cos a)
    a = math.radians(got)
    assert [math.sin(a), math.cos(a)] == pytest.approx(unit, abs=1e-4)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[CraneReport, str]:
    """The sample's lifts, without the planner (so L3 collides), on a copy of
    the tower whose nearest column to L1 is named ``<script>``, TrueNorth +x."""
    path = _with(tmp_path_factory.mktemp("hostile"), true_north=(1.0, 0.0),
                 names={COLUMN: SCRIPT})
    report = run_lifts(open_model(path), load_lift_plan(PLAN), threads=1, replan=False)
    return report, crane_html(report)


def test_the_page_names_elements_by_class_name_and_global_id(
        hostile: tuple[CraneReport, str]) -> None:
    report, page = hostile
    e = report.model.element
    lifts = {r.lift.id: r for r in report.lifts}
    hits = lifts["L3-needs-planner"].clearance.conflicts
    assert hits, "L3 collides on its default path"
    for hit in hits:
        el = e(hit.global_id)
        label = f"{el.is_a()} '{el.Name}' ({hit.global_id})"
        assert f"with {html.escape(label)}" in page
    nearest = lifts["L4-zone"].clearance.min_element
    el = e(nearest)
    label = f"{el.is_a()} '{el.Name}' ({nearest})"
    assert f"<td>{html.escape(label)}</td>" in page
    # the first conflict's cross is named too
    first = lifts["L3-needs-planner"].clearance.first
    el = e(first.global_id)
    assert html.escape(f"L3-needs-planner: {el.is_a()} '{el.Name}' ({first.global_id})") in page
    assert 'data-view="plan"' in page and 'data-view="elevation"' in page
    assert _north(page)[1] == "true north" and _north(page)[0] == pytest.approx(90.0)


def test_names_from_the_model_are_escaped(hostile: tuple[CraneReport, str]) -> None:
    _, page = hostile
    assert "<script" not in page
    assert html.escape(f"IfcColumn '{SCRIPT}' ({COLUMN})") in page


def test_same_report_same_bytes(hostile: tuple[CraneReport, str]) -> None:
    report, page = hostile
    assert crane_html(report) == page


def test_the_sample_s_scale_bars_match_its_drawing(hostile: tuple[CraneReport, str]) -> None:
    drawing = drawing_data(hostile[0])
    plan, elevation = plan_svg(drawing), elevation_svg(drawing)
    assert plan in hostile[1] and elevation in hostile[1]
    _assert_scale_bar(plan, _metres_per_unit_plan(plan, drawing))
    _assert_scale_bar(elevation, _metres_per_unit_elevation(elevation, drawing))


def test_neighbours_power_lines_and_unknown_refs_are_named_as_such() -> None:
    model = open_model(SAMPLES / "tower_rev_a.ifc")
    assert element_label(model, "neighbour:N<1>") == "neighbouring building 'N<1>'"
    assert element_label(model, "PL1#0") == "power line 'PL1' (span 0)"
    assert element_label(model, "0" * 22) == "0" * 22  # not in the model
    assert element_label(None, COLUMN) == COLUMN


def test_lifts_table_names_collisions_and_blocking_elements_escaped() -> None:
    lift = {"id": "L", "result": "fail", "min_clearance_element": "G1",
            "collisions": [{"global_id": "G1", "ifc_class": "IfcWall", "body": "load",
                            "distance": 0.0, "position": [1, 2, 3]},
                           {"global_id": SCRIPT, "ifc_class": SCRIPT, "body": "jib"}],
            "blocking": ["G1", "neighbour:N1"]}
    names = {"G1": f"IfcWall '{SCRIPT}' (G1)", "neighbour:N1": "neighbouring building 'N1'"}
    table = lifts_table([lift], names=names)
    assert "<script" not in table
    wall = html.escape(names["G1"])
    assert f"<td>{wall}</td>" in table  # nearest element
    assert f"collision: load with {wall}, 0.00 m, hook at (1.0, 2.0, 3.0)" in table
    assert f"collision: jib with {html.escape(f'{SCRIPT} ({SCRIPT})')}" in table  # not named
    assert f"blocked by {wall}; neighbouring building &#x27;N1&#x27;" in table
