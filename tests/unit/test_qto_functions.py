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
