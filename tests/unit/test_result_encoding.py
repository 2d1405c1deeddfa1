"""What the result cache stores decodes to an equal value that renders the
same: mapping order kept, float arrays exact, keys stable across processes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bimcheck import results
from bimcheck.findings import ElementRef, Quantity


def test_mapping_order_survives_the_round_trip():
    value = {"fail": 2, "ok": 1, "warning": 2}  # not sorted: a report shows this order
    back = results.decode(json.loads(json.dumps(results.encode(value), sort_keys=True)))
    assert list(back) == ["fail", "ok", "warning"]
    value = {"warning": 2, "ok": 1, "fail": 2}
    back = results.decode(json.loads(json.dumps(results.encode(value), sort_keys=True)))
    assert list(back) == ["warning", "ok", "fail"]


def test_float_arrays_and_dataclasses_come_back_exact():
    ref = ElementRef("2O2Fr$t4X7Zf8NOew3FLOH", "IfcWall", "W-1", "Level 1", "architecture",
                     "a.ifc")
    value = {"at": np.array([0.1, 1e-17, 2.0 / 3.0]), "who": (ref,),
             "q": Quantity(0.015000000000000003, "m3")}
    back = results.decode(json.loads(json.dumps(results.encode(value))))
    assert back["at"].dtype == np.float64
    assert back["at"].tolist() == [0.1, 1e-17, 2.0 / 3.0]
    assert back["who"] == (ref,) and back["q"] == value["q"]


@pytest.mark.parametrize("bad", [
    {"@": "floats", "dtype": "|O", "items": [1.0]},
    {"@": "Model", "path": "x"},
    {"@": "ElementRef", "global_id": "x"},
])
def test_an_entry_that_is_not_a_known_value_does_not_decode(bad):
    with pytest.raises(ValueError):
        results.decode(bad)


def test_canonical_sorts_sets_whatever_their_order():
    a = results.canonical({"fail": frozenset({"wind", "band_fail", "collision"})})
    b = results.canonical({"fail": frozenset({"collision", "wind", "band_fail"})})
    assert a == b == ["map", [["fail", ["set", ["band_fail", "collision", "wind"]]]]]


def test_unregistered_values_are_refused_when_stored():
    with pytest.raises(TypeError):
        results.encode(np.int64(3))
    with pytest.raises(TypeError):
        results.encode({1: "a"})
