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


def test_nested_values_come_back_equal_with_their_types():
    """Tuples, mappings and dataclasses inside one another, as a check report
    nests them (a finding's elements, its measures, its detail)."""
    ref = ElementRef("2O2Fr$t4X7Zf8NOew3FLOH", "IfcWall", None, None, None, "a.ifc")
    value = [{"refs": (ref, (1, "x", None, True)), "m": {"v": Quantity(1.5, "m")},
              "list": [(), {}, [ref, 2.5]], "empty": ""}, (), 7]
    back = results.decode(json.loads(json.dumps(results.encode(value))))
    assert back == value
    assert type(back[0]["refs"]) is tuple and type(back[0]["refs"][1]) is tuple
    assert type(back[0]["list"][0]) is tuple and type(back[1]) is tuple
    assert list(back[0]) == ["refs", "m", "list", "empty"]
    with pytest.raises(TypeError):
        results.encode([{"a": {1: "b"}}])
    with pytest.raises(TypeError):
        results.encode((ref, {"a": np.int64(1)}))


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


def test_the_report_writer_writes_what_the_standard_indenting_encoder_writes():
    """jsonout writes indented JSON in one walk of its own: byte for byte what
    json.dumps(sort_keys=True, indent=2, ensure_ascii=False) writes of the
    normalised value (floats rounded, NaN and infinities null, no -0.0)."""
    import random

    from bimcheck.report import jsonout

    rng = random.Random(11)

    def value(depth: int = 0):
        pick = rng.randrange(11 if depth < 4 else 6)
        if pick == 0:
            return rng.random() * 10 ** rng.randrange(-12, 12) * rng.choice([1, -1])
        if pick == 1:
            return rng.choice([float("nan"), float("-inf"), -0.0, 1e-9, -4e-7, 1.23456785])
        if pick == 2:
            return rng.randrange(-10**9, 10**9)
        if pick == 3:
            return rng.choice(["", "ä'\"\\\n\t\u2028", "中文", "\x00\x1f"])
        if pick == 4:
            return rng.choice([True, False, None, np.float32(0.1), np.int64(7)])
        if pick == 5:
            return np.array([rng.random() for _ in range(rng.randrange(3))])
        if pick == 6:
            return [value(depth + 1) for _ in range(rng.randrange(4))]
        if pick == 7:
            return tuple(value(depth + 1) for _ in range(rng.randrange(3)))
        if pick == 8:
            return {}
        return {rng.choice(["a", "b", "é", "Z", "1"]): value(depth + 1)
                for _ in range(rng.randrange(1, 4))}

    for _ in range(2000):
        doc = {"doc": value(), "n": [value(), value()]}
        expected = json.dumps(jsonout._normalise(doc, 6), sort_keys=True, indent=2,
                              ensure_ascii=False) + "\n"
        assert jsonout.dumps(doc, decimals=6) == expected
