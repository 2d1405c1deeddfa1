"""Quantity functions against the hand-computed truth of the qto samples
(samples/qto.truth.yaml, written by samples/build_qto_samples.py from the
dimensions alone), in the metre and the millimetre file: every quantity
within 0.5 %, the round column within its documented tessellation error."""

from __future__ import annotations

import pytest
import yaml

from bimcheck.model import open_model
from bimcheck.qto.functions import FUNCTIONS
from bimcheck.qto.measure import measure_elements
from tests.conftest import SAMPLES

#: IFC base quantity name -> bimcheck quantity function.
BASE = {
    "Length": "length",
    "Height": "height",
    "Width": "thickness",
    "GrossSideArea": "gross_side_area",
    "NetSideArea": "net_side_area",
    "GrossVolume": "gross_volume",
    "NetVolume": "net_volume",
    "Perimeter": "perimeter",
    "GrossArea": "gross_footprint_area",
    "NetArea": "footprint_area",
    "CrossSectionArea": "cross_section_area",
    "OuterSurfaceArea": "outer_surface_area",
    "GrossSurfaceArea": "gross_surface_area",
    "NetWeight": "weight",
    "GrossWeight": "gross_weight",
    "Depth": "opening_depth",
}
#: Where a class's base quantity of the same name means something else.
BY_CLASS = {
    "IfcOpeningElement": {"Area": "opening_area"},
    "IfcWindow": {"Area": "overall_area", "Width": "overall_width", "Height": "overall_height"},
    "IfcDoor": {"Area": "overall_area", "Width": "overall_width", "Height": "overall_height"},
}


def _truth() -> dict:
    return yaml.safe_load((SAMPLES / "qto.truth.yaml").read_text(encoding="utf-8"))


def _cases():
    truth = _truth()
    for model in truth["models"]:
        for name, element in sorted(truth["elements"].items()):
            for q, value in sorted(element["quantities"].items()):
                fn = BY_CLASS.get(element["ifc_class"], {}).get(q, BASE.get(q))
                if fn is not None:
                    yield pytest.param(model, name, q, fn, value, id=f"{model}-{name}-{q}")


@pytest.fixture(scope="module")
def measured():
    out = {}
    for model_name in _truth()["models"]:
        model = open_model(SAMPLES / model_name)
        measures, failures = measure_elements(model)
        assert failures == []
        out[model_name] = {m.element.Name: m for m in measures.values()}
    return out


@pytest.mark.parametrize(("model", "name", "quantity", "function", "expected"), list(_cases()))
def test_quantity_matches_the_hand_computed_value(measured, model, name, quantity, function,
                                                  expected):
    element = _truth()["elements"][name]
    tolerance = element.get("tessellation_tolerance", 0.0)
    value = FUNCTIONS[function](measured[model][name])
    assert value is not None
    assert value == pytest.approx(expected, rel=0.005 + tolerance, abs=1e-9)


def test_every_function_is_registered_with_a_unit_and_a_description():
    required = {
        "net_volume", "gross_volume", "net_side_area", "gross_side_area", "footprint_area",
        "top_area", "outer_surface_area", "cross_section_area", "length", "perimeter",
        "count", "weight", "opening_area", "opening_depth", "overall_area",
    }
    assert required <= set(FUNCTIONS)
    for f in FUNCTIONS.values():
        assert f.unit in {"m", "m2", "m3", "kg", "1"} and f.description


@pytest.mark.parametrize("model", _truth()["models"])
def test_face_and_surface_areas(measured, model):
    m = measured[model]
    q = {n: e["quantities"] for n, e in _truth()["elements"].items()}
    # Seen across the thickness, a slab's face is its plan and a wall's its elevation.
    assert FUNCTIONS["face_area"](m["S1"]) == pytest.approx(q["S1"]["GrossArea"], rel=1e-6)
    assert FUNCTIONS["net_face_area"](m["S1"]) == pytest.approx(q["S1"]["NetArea"], rel=1e-6)
    assert FUNCTIONS["face_area"](m["W1"]) == pytest.approx(q["W1"]["GrossSideArea"], rel=1e-6)
    assert FUNCTIONS["net_face_area"](m["W1"]) == pytest.approx(q["W1"]["NetSideArea"], rel=1e-6)
    # No openings: the net surface is the whole surface, 11.16 m² for the beam.
    assert FUNCTIONS["net_surface_area"](m["B1"]) == pytest.approx(
        q["B1"]["GrossSurfaceArea"], rel=1e-6)
    # W1 with its two openings (both inside the wall's faces): its two faces 2 × 12.95,
    # top, bottom and ends 2 × (5 + 3) × 0.2, and the reveals 0.2 × the openings'
    # perimeters, 0.2 × (2 × (1.2 + 1.5) + 2 × (0.5 + 0.5)) = 1.48.
    expected = 2 * 12.95 + 2 * (5 + 3) * 0.2 + 0.2 * (2 * (1.2 + 1.5) + 2 * (0.5 + 0.5))
    assert FUNCTIONS["net_surface_area"](m["W1"]) == pytest.approx(expected, rel=1e-6)


def test_an_aggregate_without_a_body_is_measured_on_its_parts(tmp_path):
    import ifcopenshell
    import ifcopenshell.api.aggregate
    import ifcopenshell.api.root

    f = ifcopenshell.open(str(SAMPLES / "qto_m.ifc"))
    railing = ifcopenshell.api.root.create_entity(f, ifc_class="IfcRailing", name="R1")
    beam = next(e for e in f.by_type("IfcBeam") if e.Name == "B1")
    ifcopenshell.api.aggregate.assign_object(f, products=[beam], relating_object=railing)
    path = tmp_path / "railing.ifc"
    f.write(str(path))
    model = open_model(path)
    measures, _ = measure_elements(model, [model.element(railing.GlobalId)])
    r1 = measures[railing.GlobalId]
    assert FUNCTIONS["length"](r1) == pytest.approx(6.0, rel=1e-6)  # the beam's run
    assert FUNCTIONS["net_volume"](r1) == pytest.approx(1.08, rel=1e-6)
