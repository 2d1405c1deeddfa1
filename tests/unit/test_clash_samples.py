"""The default clash pack on the tower samples, against their ground truth
(samples/*.truth.yaml, written from the dimensions the builder used)."""

from __future__ import annotations

import math

import pytest
import yaml

from bimcheck.clash.rules import adhoc_rule, load_clash_rules
from bimcheck.clash.run import run_clash
from bimcheck.geometry.cache import MeshCache
from bimcheck.model import open_model
from bimcheck.report.jsonout import dumps
from tests.conftest import SAMPLES

CLASH_RELATIONS = {"hard", "clearance", "duplicate"}


def truth(name: str) -> dict:
    return yaml.safe_load((SAMPLES / f"{name}.truth.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rev_a(tmp_path_factory):
    cache = MeshCache(tmp_path_factory.mktemp("cache"))
    report = run_clash([open_model(SAMPLES / "tower_rev_a.ifc")], load_clash_rules(),
                       cache=cache)
    return report


def found_pairs(report) -> dict[tuple[frozenset, str], list]:
    out: dict = {}
    for c in report.clashes:
        out.setdefault((frozenset((c.a.global_id, c.b.global_id)), c.found.relation), []).append(c)
    return out


def expected_pairs(t: dict) -> dict[tuple[frozenset, str], dict]:
    return {
        (frozenset((p["a"], p["b"])), p["relation"]): p
        for p in t["pairs"] if p["relation"] in CLASH_RELATIONS
    }


def test_recall_and_precision_are_100_percent(rev_a):
    expected = expected_pairs(truth("tower_rev_a"))
    found = found_pairs(rev_a)
    assert len(expected) == 7
    assert set(found) == set(expected)  # recall and precision both 100 %


def test_measurements_match_the_hand_computed_values(rev_a):
    t = truth("tower_rev_a")
    expected = expected_pairs(t)
    for pair, clashes in found_pairs(rev_a).items():
        p = expected[pair]
        for c in clashes:
            f = c.found
            assert f.exact is True
            if p["relation"] == "clearance":
                assert abs(f.distance - p["distance"]) <= 0.001, (p, f)
                assert f.distance < p["required_clearance"]
                assert f.overlap_volume == 0.0
            else:
                assert f.distance == 0.0
                tol = 0.01 * p["overlap_volume"]
                assert abs(f.overlap_volume - p["overlap_volume"]) <= tol, (p, f)
                assert abs(f.penetration_depth - p["penetration_depth"]) <= 0.001, (p, f)


def test_the_issue_cases_are_each_found(rev_a):
    """Collinear walls, duplicate column, a pipe through a wall that has an
    opening elsewhere; the pipe through its own provisioned opening is not a clash."""
    el = truth("tower_rev_a")["elements"]
    found = found_pairs(rev_a)

    def pair(x, y):
        return frozenset((el[x]["global_id"], el[y]["global_id"]))

    assert (pair("W-1-south-2a", "W-1-south-2b"), "hard") in found
    assert (pair("C-1-B1", "C-1-B1-DUP"), "duplicate") in found
    assert (pair("P-1-wall", "W-1-west"), "hard") in found
    assert not any(p == pair("P-1-sleeve", "W-1-east") for p, _ in found)
    # The duct through the beam: the hard rule and, under the 50 mm clearance
    # rule, reported with distance 0 and its overlap rather than dropped.
    rules = {c.rule: c for c in found[(pair("DUCT-1", "BM-1-mid"), "hard")]}
    assert set(rules) == {"CL001", "CL007"}
    assert rules["CL007"].found.distance == 0.0
    assert rules["CL007"].found.overlap_volume == pytest.approx(0.015, rel=0.01)
    # Severity bands: 0.15 m deep is >= 0.10 m, so high moves to critical.
    assert rules["CL001"].severity == "critical"


def test_coverage_and_selectors(rev_a):
    t = truth("tower_rev_a")
    # Every element a pair test ran on had a closed solid, so the exact test
    # ran; elements no rule brought near another are "untested".
    assert set(rev_a.tests.values()) == {"exact", "untested"}
    for c in rev_a.clashes:
        assert rev_a.tests[c.a.global_id] == rev_a.tests[c.b.global_id] == "exact"
    assert rev_a.failed == [] and rev_a.without_geometry == []
    cov = {c.rule: c for c in rev_a.rule_coverage}
    mep = sum(1 for e in t["elements"].values()
              if e["ifc_class"] in {"IfcDuctSegment", "IfcPipeSegment",
                                    "IfcCableCarrierSegment"})
    assert cov["CL001"].a_matched == mep == 9
    assert rev_a.warnings == []


def test_millimetre_file_gives_the_same_clashes(rev_a):
    mm = run_clash([open_model(SAMPLES / "tower_rev_a_mm.ifc")], load_clash_rules())
    assert [c.key for c in mm.clashes] == [c.key for c in rev_a.clashes]
    for c_m, c_mm in zip(rev_a.clashes, mm.clashes, strict=True):
        a, b = c_m.found, c_mm.found
        assert math.isclose(a.distance, b.distance, abs_tol=1e-6)
        if a.overlap_volume:
            assert math.isclose(a.overlap_volume, b.overlap_volume, rel_tol=1e-6)
    assert [g.id for g in mm.groups] == [g.id for g in rev_a.groups]


def test_json_is_byte_identical_across_runs(rev_a, tmp_path):
    again = run_clash([open_model(SAMPLES / "tower_rev_a.ifc")], load_clash_rules(),
                      cache=MeshCache(tmp_path))
    assert dumps(again.as_dict()) == dumps(rev_a.as_dict())


def test_rev_b_against_its_truth_and_keys_stable(rev_a):
    """Rev B: DUCT-1 rerouted clear of the beam, the duplicate column deleted, a
    new riser through SL-2. Clashes between unchanged elements keep their keys."""
    rev_b = run_clash([open_model(SAMPLES / "tower_rev_b.ifc")], load_clash_rules())
    t = truth("tower_rev_b")
    assert set(found_pairs(rev_b)) == set(expected_pairs(t))
    changes = t["changes"]
    touched = {e["global_id"] for kind in ("added", "removed", "geometry_changed")
               for e in changes[kind]}
    keys_b = {c.key for c in rev_b.clashes}
    kept = [c for c in rev_a.clashes if not {c.a.global_id, c.b.global_id} & touched]
    gone = [c for c in rev_a.clashes if {c.a.global_id, c.b.global_id} & touched]
    # Kept: P-1-wall, the collinear walls, 3 clearances. Gone: DUCT-1 (CL001, CL007)
    # and the duplicate column (CL005, CL006).
    assert len(kept) == 5 and len(gone) == 4
    assert {c.key for c in kept} <= keys_b
    assert not {c.key for c in gone} & keys_b
    groups_b = {g.id for g in rev_b.groups}
    assert {c.group for c in kept} <= groups_b


def test_adhoc_pair_order_does_not_change_keys():
    model = open_model(SAMPLES / "tower_rev_a.ifc")
    ab = run_clash([model], [adhoc_rule(a="IfcDuctSegment", b="IfcBeam", kind="hard")])
    ba = run_clash([model], [adhoc_rule(a="IfcBeam", b="IfcDuctSegment", kind="hard")])
    assert [c.key for c in ab.clashes] == [c.key for c in ba.clashes]
    assert len(ab.clashes) == 1
    (c,) = ab.clashes
    assert c.a.global_id < c.b.global_id
    assert c.found.overlap_volume == pytest.approx(0.015, rel=1e-6)


def test_committed_demo_report_is_current(rev_a):
    """reports/tower_rev_a.clashes.json (written by `make demo`) is what this
    code produces: byte for byte, so a stale example report fails here."""
    committed = (SAMPLES.parent / "reports" / "tower_rev_a.clashes.json").read_text("utf-8")
    assert dumps(rev_a.as_dict()) == committed


def test_the_same_model_twice_warns_once_and_checks_once():
    """Federating a model with its own millimetre copy: every GlobalId is in
    both, so the copy's elements are left out with one warning, not 19."""
    models = [open_model(SAMPLES / "tower_rev_a.ifc"), open_model(SAMPLES / "tower_rev_a_mm.ifc")]
    report = run_clash(models, [adhoc_rule(a="IfcColumn", b=None, kind="duplicate")])
    columns = sum(1 for e in truth("tower_rev_a")["elements"].values()
                  if e["ifc_class"] == "IfcColumn")
    assert columns == 19
    assert report.warnings == [
        f"{columns} GlobalId(s) of tower_rev_a_mm.ifc are also in tower_rev_a.ifc "
        f"(e.g. {sorted(report.tests)[0]}); those elements of tower_rev_a_mm.ifc are left out"
    ]
    assert len(report.clashes) == 1  # the duplicate column, found once
