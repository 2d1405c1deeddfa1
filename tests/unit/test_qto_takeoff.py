"""The IFC base pack run on the qto samples: every row against the hand-computed
truth (samples/qto.truth.yaml), deterministic output, summaries, and pack
validation errors that name the file, the rule and the field."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml

from bimcheck.errors import RulePackError
from bimcheck.model import open_model
from bimcheck.qto.rules import default_qto_pack_path, load_qto_pack
from bimcheck.qto.takeoff import run_takeoff
from tests.conftest import SAMPLES

TRUTH = yaml.safe_load((SAMPLES / "qto.truth.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def takeoffs():
    rules = load_qto_pack(default_qto_pack_path()).rules
    return {name: run_takeoff(open_model(SAMPLES / name), rules) for name in TRUTH["models"]}


@pytest.mark.parametrize("model", TRUTH["models"])
def test_every_row_matches_the_truth_and_every_truth_value_has_a_row(takeoffs, model):
    takeoff = takeoffs[model]
    rows = {(r.name, r.quantity): r for r in takeoff.rows}
    assert len(rows) == len(takeoff.rows)  # one row per element and quantity
    checked = 0
    for name, element in TRUTH["elements"].items():
        tolerance = element.get("tessellation_tolerance", 0.0)
        for quantity, expected in element["quantities"].items():
            if (name, quantity) not in rows:
                # The base pack measures what Qto_*BaseQuantities define; the truth
                # has a few extras (a slab's Length) that no IFC base set holds.
                assert (element["ifc_class"], quantity) in {("IfcSlab", "Length")}
                continue
            row = rows[(name, quantity)]
            assert row.value == pytest.approx(expected, rel=0.005 + tolerance, abs=1e-9), (
                name, quantity)
            checked += 1
    assert checked == len(takeoff.rows) == 50
    # What could not be measured is listed with the reason: the column has no density.
    assert {(s[0], s[2]) for s in takeoff.skipped} == {
        ("QB-COLUMN", "GrossWeight"), ("QB-COLUMN", "NetWeight")}
    assert all("density" in s[3] for s in takeoff.skipped)


def test_rows_carry_identity_metadata_and_provenance(takeoffs):
    row = next(r for r in takeoffs["qto_m.ifc"].rows if r.name == "B1"
               and r.quantity == "NetWeight")
    doc = row.as_dict()
    assert doc["global_id"] == TRUTH["elements"]["B1"]["global_id"]
    assert (doc["ifc_class"], doc["storey"], doc["material"]) == ("IfcBeam", "L0", "S355 steel")
    assert (doc["item"], doc["unit"], doc["rule"]) == ("Qto_BeamBaseQuantities", "kg", "QB-BEAM")
    assert doc["provenance"] == {"function": "weight", "params": {}, "geometry": "net",
                                 "deductions": [], "tessellation": ""}
    assert doc["value"] == pytest.approx(8478.0)
    # In the report every row names the tessellation settings it was measured with.
    report = takeoffs["qto_m.ifc"].as_dict()
    hashes = {r["provenance"]["tessellation"] for r in report["rows"]}
    assert hashes == {report["tessellation"]} and len(report["tessellation"]) == 16


def test_net_and_gross_rows_list_the_openings_they_subtract_or_not(takeoffs):
    rows = {(r.name, r.quantity): r for r in takeoffs["qto_m.ifc"].rows}
    w1 = TRUTH["elements"]["W1"]
    openings = sorted(TRUTH["elements"][o]["global_id"] for o in ("O1", "O2"))
    net, gross = rows[("W1", "NetVolume")], rows[("W1", "GrossVolume")]
    assert net.global_id == w1["global_id"]
    assert [d.opening for d in net.deductions] == openings
    assert all(d.applied for d in net.deductions) and net.geometry == "net"
    assert not any(d.applied for d in gross.deductions) and gross.geometry == "gross"
    fillings = {d.opening: d.filling for d in net.deductions}
    assert fillings == {TRUTH["elements"]["O1"]["global_id"]: "IfcWindow",
                        TRUTH["elements"]["O2"]["global_id"]: None}
    assert rows[("B1", "Length")].deductions == ()  # no openings, nothing listed
    assert rows[("D1", "Area")].geometry == "attributes"
    assert rows[("O1", "Depth")].geometry == "host"


def test_json_is_deterministic_and_unit_independent(takeoffs):
    rules = load_qto_pack(default_qto_pack_path()).rules
    again = run_takeoff(open_model(SAMPLES / "qto_m.ifc"), rules)
    first = json.dumps(takeoffs["qto_m.ifc"].as_dict(["storey"]), sort_keys=True)
    assert json.dumps(again.as_dict(["storey"]), sort_keys=True) == first
    m, mm = takeoffs["qto_m.ifc"].as_dict(), takeoffs["qto_mm.ifc"].as_dict()
    assert [(r["global_id"], r["quantity"]) for r in m["rows"]] == [
        (r["global_id"], r["quantity"]) for r in mm["rows"]]
    for a, b in zip(m["rows"], mm["rows"], strict=True):
        assert a["value"] == pytest.approx(b["value"], rel=1e-6, abs=1e-6)


def test_summary_totals_by_item_quantity_and_storey(takeoffs):
    takeoff = takeoffs["qto_m.ifc"]
    summary = {(s["item"], s["quantity"]): s for s in takeoff.summary(["storey"])}
    walls = summary[("Qto_WallBaseQuantities", "NetVolume")]
    assert walls["total"] == pytest.approx(2.59 + 2.022) and walls["count"] == 2
    assert walls["storey"] == "L0" and walls["unit"] == "m3"
    with pytest.raises(ValueError, match="cannot group by 'colour'"):
        takeoff.summary(["colour"])


def _pack(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "pack.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


RULE = """\
    pack: test
    rules:
      - id: Q1
        name: Walls
        kind: measure
        severity: info
        doc: {what: w, why: y, fix: f}
        a: IfcWall
"""


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ("    item: X\n    quantities: {NetVolume: volume_of_everything}\n", "quantities",
         "unknown function 'volume_of_everything'"),
        ("    quantities: {NetVolume: net_volume}\n", "item", "required"),
        ("    item: X\n", "quantities", "required"),
        ("    item: X\n    quantities: {W: {function: weight, params: {density: [1]}}}\n",
         "quantities", "params must map names to numbers"),
        ("    item: X\n    quantities: {W: {function: weight, colour: red}}\n", "quantities",
         "unknown field 'colour'"),
    ],
)
def test_pack_errors_name_file_rule_and_field(tmp_path, extra, field, message):
    path = _pack(tmp_path, RULE + textwrap.indent(extra, "    "))
    with pytest.raises(RulePackError, match=message) as info:
        load_qto_pack(path)
    assert (info.value.rule, info.value.field) == ("Q1", field)
    assert Path(info.value.path).name == "pack.yaml"


def test_pack_level_errors(tmp_path):
    with pytest.raises(RulePackError, match="relative difference") as info:
        load_qto_pack(_pack(tmp_path, "pack: t\nreconcile: 5\nrules: []\n"))
    assert info.value.field == "reconcile"
    with pytest.raises(RulePackError, match="unknown field 'colour'"):
        load_qto_pack(_pack(tmp_path, "pack: t\ncolour: red\nrules: []\n"))


def test_a_function_that_fails_on_one_element_skips_it_with_the_reason(monkeypatch):
    from bimcheck.qto import functions

    original = functions.FUNCTIONS["thickness"]

    def broken(m, params):
        if m.element.Name == "W1":
            raise ValueError("Points must be coplanar")
        return original.fn(m, params)

    import dataclasses

    monkeypatch.setitem(functions.FUNCTIONS, "thickness", dataclasses.replace(original, fn=broken))
    rules = load_qto_pack(default_qto_pack_path()).rules
    takeoff = run_takeoff(open_model(SAMPLES / "qto_m.ifc"), rules)
    w1 = TRUTH["elements"]["W1"]["global_id"]
    assert ("QB-WALL", w1, "Width",
            "could not be measured: ValueError: Points must be coplanar") in takeoff.skipped
    assert any(r.name == "W2" and r.quantity == "Width" for r in takeoff.rows)
    assert any(r.name == "W1" and r.quantity == "NetVolume" for r in takeoff.rows)


def test_flat_mesh_without_placement_is_measured_along_world_axes():
    import numpy as np

    from bimcheck.geometry.mesh import from_arrays
    from bimcheck.qto import shape

    # A 2 × 0.5 m rectangle in the plane z = 1: no oriented box exists.
    flat = from_arrays(np.array([[0, 0, 1], [2, 0, 1], [2, 0.5, 1], [0, 0.5, 1]], float),
                       np.array([[0, 1, 2], [0, 2, 3]]))
    axis = shape.principal_axis(flat, None)
    assert shape.extent(flat, axis) == pytest.approx(2.0)


def test_rows_are_the_same_measured_in_one_process_or_several(monkeypatch, tmp_path):
    """The forked measuring processes (normally from 192 elements up) give the
    same takeoff, byte for byte, as measuring everything in this process."""
    import bimcheck.qto.takeoff as takeoff_module
    from bimcheck.report.jsonout import dumps

    monkeypatch.setattr(takeoff_module, "_MIN_PARALLEL", 1)
    monkeypatch.setattr(takeoff_module.os, "cpu_count", lambda: 2)
    in_parent = []
    real = takeoff_module._rows_for
    monkeypatch.setattr(takeoff_module, "_rows_for",
                        lambda *a: in_parent.append(1) or real(*a))
    rules = load_qto_pack(default_qto_pack_path()).rules
    for name in ("qto_mm.ifc", "tower_rev_a.ifc"):
        model = open_model(SAMPLES / name)
        serial = run_takeoff(model, rules, threads=1)
        assert in_parent == [1]  # measured here
        forked = run_takeoff(model, rules, threads=2)
        assert in_parent == [1]  # measured in the forked processes only
        in_parent.clear()
        assert dumps(forked.as_dict()) == dumps(serial.as_dict())
        assert len(serial.rows) > 20
