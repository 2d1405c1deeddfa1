"""The diff on revisions of the sample tower made with one known change each
(bimcheck.testing.revisions): re-issued GlobalIds, re-saves, reformatted
numbers, moves, a storey elevation, swapped places, a type edit, an opening
resize, a property edit, a delete-and-recreate, a shared profile edit.
Expected values are worked out by hand from the sample's dimensions
(samples/tower_rev_a.truth.yaml)."""

from __future__ import annotations

import pytest
import yaml

from bimcheck.diff import diff_models
from bimcheck.model import open_model
from bimcheck.testing import revisions as rv
from tests.conftest import SAMPLES

A = SAMPLES / "tower_rev_a.ifc"
TRUTH = yaml.safe_load((SAMPLES / "tower_rev_a.truth.yaml").read_text())
GID = {name: e["global_id"] for name, e in TRUTH["elements"].items()}
ELEMENTS = len(TRUTH["elements"])  # 82 IfcElements, openings included


def run(path):
    return diff_models(open_model(A), open_model(path), cache=None)


def kinds(result) -> dict[str, list[str]]:
    return {e.global_id: [c.kind for c in e.changes] for e in result.changed()}


def expected(rev) -> dict[str, list[str]]:
    """The revision's own account, restricted to IfcElements (a storey is a cause)."""
    from bimcheck.diff.result import CHANGE_KINDS

    elements = set(GID.values()) | set(rev.global_ids.values())
    return {g: sorted(k, key=CHANGE_KINDS.index) for g, k in rev.changes.items()
            if g in elements}


def test_reissued_global_ids_are_matched_back_with_no_change(tmp_path):
    rev = rv.reissue_global_ids(A, tmp_path / "r.ifc")
    d = run(rev.dst)
    assert d.summary["statuses"] == {"added": 0, "removed": 0, "modified": 0, "moved": 0,
                                     "unchanged": ELEMENTS}
    assert d.summary["matched_by"]["shape_placement"] == ELEMENTS
    assert {e.old_global_id: e.global_id for e in d.elements} == \
        {g: rev.global_ids[g] for g in GID.values()}


@pytest.mark.parametrize("make", [rv.resave, rv.reformat_numbers], ids=["resave", "reformat"])
def test_resave_and_reformatted_numbers_are_not_changes(tmp_path, make):
    d = run(make(A, tmp_path / "x.ifc").dst)
    assert d.changed() == [] and d.causes == []
    assert d.summary["matched_by"]["global_id"] == ELEMENTS


def test_moves_are_moves_with_their_vector(tmp_path):
    names = ["DUCT-2", "C-0-A1", "W-0-partition"]
    rev = rv.move_elements(A, tmp_path / "m.ifc", [GID[n] for n in names], (0.1, -0.2, 0.0))
    d = run(rev.dst)
    assert kinds(d) == expected(rev) == {GID[n]: ["placement"] for n in names}
    for e in d.changed():
        assert e.status == "moved"
        assert e.changes[0].detail["translation"] == pytest.approx([0.1, -0.2, 0.0], abs=1e-9)
    assert not d.summary["geometry_set_unchanged"]


def test_storey_elevation_change_is_one_cause(tmp_path):
    rev = rv.change_storey_elevation(A, tmp_path / "e.ifc", "Level 1", 0.2)
    d = run(rev.dst)
    moved = {g for g in rev.moved if g in set(GID.values())}
    assert moved and kinds(d) == {g: ["placement"] for g in moved}
    (cause,) = d.causes
    assert cause.kind == "storey" and cause.subject["name"] == "Level 1"
    assert cause.detail["old_elevation"] == pytest.approx(3.5)
    assert cause.detail["new_elevation"] == pytest.approx(3.7)
    assert cause.detail["translation"] == pytest.approx([0.0, 0.0, 0.2], abs=1e-9)
    assert set(cause.elements) == moved
    assert all(e.cause == cause.id for e in d.changed())


def test_swapped_identical_elements_move_but_the_geometry_set_is_unchanged(tmp_path):
    rev = rv.swap_places(A, tmp_path / "w.ifc", GID["C-0-A1"], GID["C-0-C2"])
    d = run(rev.dst)
    assert {e.name: e.status for e in d.changed()} == {"C-0-A1": "moved", "C-0-C2": "moved"}
    # A1 (0, 0) and C2 (12, 6) exchange places
    (a1,) = [e for e in d.changed() if e.name == "C-0-A1"]
    assert a1.changes[0].detail["translation"] == pytest.approx([12.0, 6.0, 0.0], abs=1e-9)
    assert d.summary["geometry_set_unchanged"] is True


def test_type_property_edit_is_one_cause_for_its_occurrences(tmp_path):
    rev = rv.edit_type(A, tmp_path / "t.ifc", "WT-200 blockwork", "Pset_WallCommon",
                       "AcousticRating", "45 dB")
    d = run(rev.dst)
    walls = [n for n, e in TRUTH["elements"].items() if e.get("type") == "WT-200 blockwork"]
    assert kinds(d) == {GID[n]: ["properties"] for n in walls}
    (cause,) = d.causes
    assert (cause.kind, cause.subject["name"]) == ("type", "WT-200 blockwork")
    assert cause.detail["properties"] == [{"pset": "Pset_WallCommon",
                                           "property": "AcousticRating", "old": None,
                                           "new": "45 dB"}]
    assert sorted(cause.elements) == sorted(GID[n] for n in walls)
    assert all(e.cause == cause.id for e in d.changed())


def test_resized_opening_changes_its_host_with_the_area_delta(tmp_path):
    rev = rv.resize_opening(A, tmp_path / "o.ifc", GID["O-0-window"], scale=1.5)
    d = run(rev.dst)
    assert kinds(d) == expected(rev)
    (host,) = [e for e in d.changed() if e.name == "W-0-west"]
    assert host.status == "modified" and [c.kind for c in host.changes] == ["openings"]
    # opening 0.4 (x) x 1.2 (y) x 1.2 (z), profile x/y scaled 1.5; across the wall (x):
    # 1.2 x 1.2 = 1.44 m² -> 1.8 x 1.2 = 2.16 m²
    (resized,) = host.changes[0].detail["resized"]
    assert resized["old_area"] == pytest.approx(1.44, abs=1e-6)
    assert resized["new_area"] == pytest.approx(2.16, abs=1e-6)
    assert host.changes[0].detail["area_delta"] == pytest.approx(0.72, abs=1e-6)


def test_property_edit_gives_old_and_new(tmp_path):
    rev = rv.set_property(A, tmp_path / "p.ifc", GID["W-0-west"], "Pset_WallCommon",
                          "FireRating", "REI120")
    d = run(rev.dst)
    (entry,) = d.changed()
    assert entry.changes[0].detail["values"] == [{
        "pset": "Pset_WallCommon", "property": "FireRating", "old": "REI60", "new": "REI120",
        "inherited": False}]


def test_delete_and_recreate_is_matched_back_unchanged(tmp_path):
    names = ["C-0-A1", "C-0-B1", "BM-0-mid", "W-0-west", "D-0-1", "SL-1"]
    rev = rv.delete_and_recreate(A, tmp_path / "c.ifc", [GID[n] for n in names])
    d = run(rev.dst)
    assert d.changed() == []
    assert d.summary["matched_by"] == {"global_id": ELEMENTS - 6, "shape_placement": 6,
                                       "name_position": 0}
    assert {e.old_global_id for e in d.elements if e.old_global_id} == {GID[n] for n in names}


def test_shared_profile_edit_is_one_cause(tmp_path):
    cols = ["C-0-A1", "C-0-A2", "C-0-B1", "C-0-C1", "C-0-C2"]
    shared = rv.share_profile(A, tmp_path / "s1.ifc", [GID[n] for n in cols], "COL-400")
    edited = rv.edit_shared_profile(shared.dst, tmp_path / "s2.ifc", "COL-400", XDim=0.5)
    d = diff_models(open_model(shared.dst), open_model(edited.dst), cache=None)
    (cause,) = d.causes
    assert cause.kind == "profile" and cause.subject["name"] == "COL-400"
    assert (cause.detail["old"]["XDim"], cause.detail["new"]["XDim"]) == (0.4, 0.5)
    assert sorted(cause.elements) == sorted(GID[n] for n in cols)
    for e in d.changed():
        # 0.4 x 0.4 x 3.25 m -> 0.5 x 0.4 x 3.25 m
        geometry = e.changes[0].detail
        assert geometry["volume_delta"] == pytest.approx(0.1 * 0.4 * 3.25, abs=1e-6)
        assert e.cause == cause.id
    # sharing the (identical) profile changed the text, not the geometry
    assert run(shared.dst).changed() == []


def test_reissued_and_moved_is_matched_by_name_and_position(tmp_path):
    """GlobalIds re-issued and one column moved 0.3 m: it no longer matches by
    shape and placement, so by class, Name and the nearest centre (within
    1 m); one moved 2 m (beyond) is removed and added."""
    reissued = rv.reissue_global_ids(A, tmp_path / "r.ifc")
    near, far = reissued.global_ids[GID["C-0-A1"]], reissued.global_ids[GID["C-0-C2"]]
    rv.move_elements(reissued.dst, tmp_path / "m1.ifc", [near], (0.3, 0.0, 0.0))
    rv.move_elements(tmp_path / "m1.ifc", tmp_path / "m2.ifc", [far], (2.0, 0.0, 0.0))
    d = run(tmp_path / "m2.ifc")
    by_name = {(e.name, e.status): e for e in d.changed()}
    moved = by_name[("C-0-A1", "moved")]
    assert (moved.matched_by, moved.old_global_id, moved.global_id) == (
        "name_position", GID["C-0-A1"], near)
    assert moved.changes[0].detail["translation"] == pytest.approx([0.3, 0.0, 0.0], abs=1e-9)
    assert by_name[("C-0-C2", "removed")].global_id == GID["C-0-C2"]
    assert by_name[("C-0-C2", "added")].global_id == far
    assert d.summary["matched_by"] == {"global_id": 0, "shape_placement": ELEMENTS - 2,
                                       "name_position": 1}


def test_reissued_and_reformatted_is_matched_without_a_change(tmp_path):
    """Re-issued GlobalIds written with 1e-12 noise in every real (another
    tool's export): the shape hashes differ, the definitions agree within the
    tolerance, so stage 2 still matches every element and nothing changed."""
    reissued = rv.reissue_global_ids(A, tmp_path / "r.ifc")
    rv.reformat_numbers(reissued.dst, tmp_path / "rf.ifc")
    d = run(tmp_path / "rf.ifc")
    assert d.changed() == []
    assert d.summary["matched_by"]["shape_placement"] == ELEMENTS


def test_definitions_equal_within_the_tolerance(tmp_path):
    """Noise of 1e-10 in every real (kept by the hash's 12 digits) is the same
    definition; a profile 1e-6 wider is not (and the meshes then decide)."""
    from bimcheck.diff.definitions import DefinitionComparer
    from bimcheck.fingerprint import Fingerprinter

    noisy = rv.reformat_numbers(A, tmp_path / "n.ifc", noise=1e-10).dst
    wider = rv.edit_shared_profile(
        rv.share_profile(A, tmp_path / "s.ifc", [GID["C-0-A1"]], "P").dst,
        tmp_path / "w.ifc", "P", XDim=0.400001).dst
    a = open_model(A)
    for other, expect in ((noisy, True), (wider, False)):
        b = open_model(other)
        fa, fb = Fingerprinter(a.file, a.step_text), Fingerprinter(b.file, b.step_text)
        rep_a = a.file.by_guid(GID["C-0-A1"]).Representation
        rep_b = b.file.by_guid(GID["C-0-A1"]).Representation
        assert fa.entity_hash(rep_a) != fb.entity_hash(rep_b)
        assert DefinitionComparer(fa, fb).same(rep_a, rep_b) is expect


def test_material_density_edit_is_a_material_change_with_its_cause(tmp_path):
    """The qto sample's steel beam: Pset_MaterialCommon.MassDensity 7850 ->
    7900 kg/m³ changes no name, but the beam's weight: a material change, and
    a cause naming the material."""
    import ifcopenshell
    import ifcopenshell.util.element

    src = SAMPLES / "qto_m.ifc"
    f = ifcopenshell.open(str(src))
    (steel,) = f.by_type("IfcMaterial")
    pset_id = ifcopenshell.util.element.get_psets(steel)["Pset_MaterialCommon"]["id"]
    (density,) = [p for p in f.by_id(pset_id).Properties if p.Name == "MassDensity"]
    density.NominalValue.wrappedValue = 7900.0
    f.write(str(tmp_path / "denser.ifc"))
    d = diff_models(open_model(src), open_model(tmp_path / "denser.ifc"), cache=None)
    (entry,) = d.changed()
    (change,) = entry.changes
    assert change.kind == "material" and change.detail["old"] == change.detail["new"]
    assert change.detail["properties"] == [{"material": "S355 steel",
                                            "pset": "Pset_MaterialCommon",
                                            "property": "MassDensity", "old": 7850.0,
                                            "new": 7900.0}]
    (cause,) = d.causes
    assert (cause.kind, cause.subject["name"], cause.elements) == (
        "material", "S355 steel", [entry.global_id])
    assert entry.cause == cause.id
    assert "MassDensity 7850.0 -> 7900.0" in entry.change_summary


def test_identical_co_located_twins_are_matched_one_to_one(tmp_path):
    """Five identical bolts at one place (a steel model's habit), GlobalIds
    re-issued: paired one to one without a candidate per pair, none added or
    removed, the same pairing on every run."""
    from bimcheck.testing.ifcfactory import Box, ModelFactory

    f = ModelFactory()
    storey = f.add_storey("L0", 0.0)
    for k in range(5):
        f.add_element("IfcMechanicalFastener", "BOLT", shape=Box((1, 1, 0), (1.02, 1.02, 0.1)),
                      storey=storey, key=f"bolt-{k}")
    src = f.write(tmp_path / "bolts.ifc")
    rev = rv.reissue_global_ids(src, tmp_path / "bolts-r.ifc")
    runs = [diff_models(open_model(src), open_model(rev.dst), cache=None) for _ in range(2)]
    d = runs[0]
    assert d.summary["statuses"]["unchanged"] == 5 and d.changed() == []
    assert d.summary["matched_by"]["shape_placement"] == 5
    pairs = sorted((e.old_global_id, e.global_id) for e in d.elements)
    assert len({o for o, _ in pairs}) == 5 and len({n for _, n in pairs}) == 5
    assert pairs == sorted((e.old_global_id, e.global_id) for e in runs[1].elements)
