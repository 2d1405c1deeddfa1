"""bimcheck.testing.revisions on the sample tower: each revision makes the
change it says (checked against the dimensions of samples/README.md and the
truth file) and nothing else (checked with geometry/data fingerprints)."""

from __future__ import annotations

from collections import Counter

import ifcopenshell
import ifcopenshell.util.element
import numpy as np
import pytest
import yaml

from bimcheck.fingerprint import Fingerprinter
from bimcheck.testing import revisions as rv
from bimcheck.testing.revtools import world_matrices
from tests.conftest import SAMPLES

SRC = SAMPLES / "tower_rev_a.ifc"
TRUTH = yaml.safe_load((SAMPLES / "tower_rev_a.truth.yaml").read_text())
ELEMENTS = TRUTH["elements"]


def gid(name: str) -> str:
    return ELEMENTS[name]["global_id"]


def prints(path) -> dict[str, tuple[str, str]]:
    """GlobalId → (geometry, data) fingerprint of every IfcProduct."""
    f = ifcopenshell.open(str(path))
    fp = Fingerprinter(f)
    return {e.GlobalId: (fp.geometry(e), fp.data(e)) for e in f.by_type("IfcProduct")}


def changed(a: dict, b: dict, which: int, renamed: dict | None = None) -> set[str]:
    renamed = renamed or {}
    assert {renamed.get(g, g) for g in a} == set(b)
    return {renamed.get(g, g) for g in a if a[g][which] != b[renamed.get(g, g)][which]}


@pytest.fixture(scope="module")
def before():
    return prints(SRC)


def test_reissued_global_ids_change_every_id_and_nothing_else(tmp_path, before):
    rev = rv.reissue_global_ids(SRC, tmp_path / "b.ifc")
    f_old, f_new = ifcopenshell.open(str(SRC)), ifcopenshell.open(str(tmp_path / "b.ifc"))
    old_ids = {e.GlobalId for e in f_old.by_type("IfcRoot")}
    new_ids = {e.GlobalId for e in f_new.by_type("IfcRoot")}
    assert set(rev.global_ids) == old_ids and set(rev.global_ids.values()) == new_ids
    assert not old_ids & new_ids and len(new_ids) == len(old_ids) == 220
    after = prints(tmp_path / "b.ifc")
    assert changed(before, after, 0, rev.global_ids) == set()
    assert changed(before, after, 1, rev.global_ids) == set()
    assert rev.changes == {} and rev.moved == {}
    rv.reissue_global_ids(SRC, tmp_path / "again.ifc")
    assert (tmp_path / "again.ifc").read_bytes() == (tmp_path / "b.ifc").read_bytes()


def test_resave_renumbers_ids_and_changes_nothing(tmp_path, before):
    rv.resave(SRC, tmp_path / "b.ifc")
    f_old, f_new = ifcopenshell.open(str(SRC)), ifcopenshell.open(str(tmp_path / "b.ifc"))
    assert len(list(f_new)) == len(list(f_old))
    same_id = [e for e in f_old.by_type("IfcProduct") if f_new.by_guid(e.GlobalId).id() == e.id()]
    assert len(same_id) <= 2  # a shuffle may leave one or two where they were
    assert prints(tmp_path / "b.ifc") == before


def _reals(f: ifcopenshell.file) -> dict[tuple[int, int], object]:
    return {(e.id(), i): v for e in f for i, v in enumerate(e) if not isinstance(v, str)}


def _close(a, b, rel: float) -> bool:
    if isinstance(a, float):
        return abs(a - b) <= rel * abs(a)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_close(x, y, rel) for x, y in zip(a, b, strict=True))
    if isinstance(a, ifcopenshell.entity_instance):
        return a.id() == b.id()
    return a == b


@pytest.mark.parametrize("noise", [0.0, 1e-12])
def test_reformatted_numbers_keep_values_within_noise(tmp_path, before, noise):
    rev = rv.reformat_numbers(SRC, tmp_path / "b.ifc", noise=noise)
    text_old, text_new = SRC.read_text(), (tmp_path / "b.ifc").read_text()
    assert "IFCCARTESIANPOINT((0.,0.,3.5))" in text_old
    assert "IFCCARTESIANPOINT((0.,0.,3.5))" not in text_new
    assert rev.detail["reals"] > 1000 and rev.detail["max_relative_change"] <= noise * 1.001
    old = _reals(ifcopenshell.open(str(SRC)))
    new = _reals(ifcopenshell.open(str(tmp_path / "b.ifc")))
    assert old.keys() == new.keys()
    assert all(_close(old[k], new[k], 1e-9) for k in old)
    if noise == 0.0:  # the same doubles: fingerprints of IfcOpenShell's own text agree
        assert all(_close(old[k], new[k], 0.0) for k in old)
        assert prints(tmp_path / "b.ifc") == before


def test_move_carries_openings_and_fillings_and_nothing_else(tmp_path, before):
    wall, column = gid("W-0-south-1"), gid("C-0-A1")
    rev = rv.move_elements(SRC, tmp_path / "b.ifc", [wall, column], (0.1, 0.0, -0.05))
    carried = {gid("O-0-door"), gid("D-0-1")}  # placed relative to the wall, the door's opening
    assert rev.moved == {g: (0.1, 0.0, -0.05) for g in {wall, column} | carried}
    assert rev.changes == {g: ["placement"] for g in rev.moved}
    after = prints(tmp_path / "b.ifc")
    assert changed(before, after, 0) == {wall, column} | carried
    assert changed(before, after, 1) == set()
    m_old = world_matrices(ifcopenshell.open(str(SRC)))[column]
    m_new = world_matrices(ifcopenshell.open(str(tmp_path / "b.ifc")))[column]
    assert np.allclose(m_new[:3, 3] - m_old[:3, 3], [0.1, 0.0, -0.05], atol=1e-12)


def test_move_in_a_millimetre_file_converts_the_vector(tmp_path):
    src = SAMPLES / "tower_rev_a_mm.ifc"
    column = gid("C-0-A1")
    rev = rv.move_elements(src, tmp_path / "b.ifc", [column], (0.1, 0.0, 0.0))
    assert rev.moved == {column: (0.1, 0.0, 0.0)}
    m_old = world_matrices(ifcopenshell.open(str(src)))[column]
    m_new = world_matrices(ifcopenshell.open(str(tmp_path / "b.ifc")))[column]
    assert np.allclose(m_new[:3, 3] - m_old[:3, 3], [100.0, 0.0, 0.0], atol=1e-9)  # mm


def test_set_property_changes_one_value(tmp_path, before):
    wall = gid("W-0-south-1")
    rev = rv.set_property(SRC, tmp_path / "b.ifc", wall, "Pset_WallCommon", "FireRating", "REI90")
    assert rev.properties == [rv.PropertyEdit(wall, "Pset_WallCommon", "FireRating", "REI60",
                                              "REI90")]
    f = ifcopenshell.open(str(tmp_path / "b.ifc"))
    psets = ifcopenshell.util.element.get_psets(f.by_guid(wall))
    assert psets["Pset_WallCommon"]["FireRating"] == "REI90"
    assert psets["Pset_WallCommon"]["IsExternal"] is True
    after = prints(tmp_path / "b.ifc")
    assert changed(before, after, 1) == {wall} and changed(before, after, 0) == set()


def test_storey_elevation_moves_everything_in_the_storey(tmp_path, before):
    rev = rv.change_storey_elevation(SRC, tmp_path / "b.ifc", "Level 1", 0.25)
    storey = TRUTH["storeys"][1]["global_id"]
    in_level_1 = {t["global_id"] for t in ELEMENTS.values() if t.get("storey") == "Level 1"}
    assert set(rev.moved) == in_level_1 | {storey}
    assert set(rev.moved.values()) == {(0.0, 0.0, 0.25)}
    assert rev.detail["old_elevation_m"] == 3.5 and rev.detail["new_elevation_m"] == 3.75
    f = ifcopenshell.open(str(tmp_path / "b.ifc"))
    assert f.by_guid(storey).Elevation == 3.75
    after = prints(tmp_path / "b.ifc")
    assert changed(before, after, 0) == set(rev.moved)
    assert changed(before, after, 1) == {storey}  # its Elevation attribute


NAMES_6 = ["C-0-A1", "C-1-B2", "BM-0-mid", "SL-0", "DUCT-2", "PL-0-deck"]


def test_delete_and_recreate_gives_identical_copies_with_new_ids(tmp_path, before):
    old_ids = [gid(n) for n in NAMES_6]
    rev = rv.delete_and_recreate(SRC, tmp_path / "b.ifc", old_ids)
    assert sorted(rev.global_ids) == sorted(old_ids)
    assert not set(rev.global_ids.values()) & set(before)
    after = prints(tmp_path / "b.ifc")
    assert changed(before, after, 0, rev.global_ids) == set()
    assert changed(before, after, 1, rev.global_ids) == set()
    f_old, f_new = ifcopenshell.open(str(SRC)), ifcopenshell.open(str(tmp_path / "b.ifc"))
    u = ifcopenshell.util.element
    for old, new in rev.global_ids.items():
        a, b = f_old.by_guid(old), f_new.by_guid(new)
        assert (a.is_a(), a.Name) == (b.is_a(), b.Name)
        for relation in (u.get_container, u.get_aggregate, u.get_type):
            assert getattr(relation(a), "Name", None) == getattr(relation(b), "Name", None)
    assert Counter(e.is_a() for e in f_new.by_type("IfcRoot")) == Counter(
        e.is_a() for e in f_old.by_type("IfcRoot"))
    # the deck stays in the platform assembly (SL-0 kept its classification: data prints)
    assert f_new.by_guid(rev.global_ids[gid("PL-0-deck")]).Decomposes


def test_swapped_places_keep_the_set_of_geometry(tmp_path, before):
    a, b = gid("C-0-A1"), gid("C-0-C2")
    rev = rv.swap_places(SRC, tmp_path / "b.ifc", a, b)
    assert rev.moved == {a: (12.0, 6.0, 0.0), b: (-12.0, -6.0, 0.0)}  # grid A1 <-> C2
    after = prints(tmp_path / "b.ifc")
    assert changed(before, after, 0) == {a, b} and changed(before, after, 1) == set()
    assert Counter(g for g, _ in after.values()) == Counter(g for g, _ in before.values())
    with pytest.raises(rv.RevisionError):
        rv.swap_places(SRC, tmp_path / "c.ifc", a, gid("BM-0-mid"))


def test_resized_opening_changes_it_and_its_host(tmp_path, before):
    opening, host = gid("O-1-sleeve"), gid("W-1-east")
    rev = rv.resize_opening(SRC, tmp_path / "b.ifc", opening, dims_m=(0.4, 0.4))
    # profile x = through the wall (0.4), y = along it: 0.3 -> 0.4 (README: 300x300 sleeve)
    assert rev.detail["old_dims_m"] == [0.4, 0.3] and rev.detail["new_dims_m"] == [0.4, 0.4]
    assert rev.changes == {opening: ["geometry"], host: ["openings"]}
    after = prints(tmp_path / "b.ifc")
    assert changed(before, after, 0) == {opening, host} and changed(before, after, 1) == set()
    rev = rv.resize_opening(SRC, tmp_path / "c.ifc", opening, scale=2.0)
    assert rev.detail["new_dims_m"] == pytest.approx([0.8, 0.6])


def test_type_property_is_inherited_unless_overridden(tmp_path, before):
    walls = {t["global_id"] for t in ELEMENTS.values() if t.get("type") == "WT-200 blockwork"}
    assert len(walls) == 19
    rev = rv.edit_type(SRC, tmp_path / "b.ifc", "WT-200 blockwork", "Pset_WallCommon",
                       "AcousticRating", "45 dB")
    assert set(rev.changes) == walls and rev.detail["overriding"] == []
    after = prints(tmp_path / "b.ifc")
    assert changed(before, after, 1) == walls and changed(before, after, 0) == set()
    f = ifcopenshell.open(str(tmp_path / "b.ifc"))
    wall = f.by_guid(gid("W-0-south-1"))
    assert ifcopenshell.util.element.get_psets(wall)["Pset_WallCommon"]["AcousticRating"] == "45 dB"
    # every wall has its own FireRating: a type FireRating changes no element's value
    rev = rv.edit_type(SRC, tmp_path / "c.ifc", "WT-200 blockwork", "Pset_WallCommon",
                       "FireRating", "REI120")
    assert rev.changes == {} and set(rev.detail["overriding"]) == walls
    assert changed(before, prints(tmp_path / "c.ifc"), 1) == set()


def test_shared_profile_edit_changes_every_user(tmp_path):
    cols = [gid("C-0-A1"), gid("C-0-A2"), gid("C-0-B1")]
    rv.share_profile(SRC, tmp_path / "a.ifc", cols, "COL-400")
    before = prints(tmp_path / "a.ifc")
    rev = rv.edit_shared_profile(tmp_path / "a.ifc", tmp_path / "b.ifc", "COL-400", XDim=0.5)
    assert rev.detail["old_m"] == {"XDim": 0.4} and rev.detail["users"] == sorted(cols)
    after = prints(tmp_path / "b.ifc")
    assert changed(before, after, 0) == set(cols) and changed(before, after, 1) == set()
    with pytest.raises(rv.RevisionError):
        rv.edit_shared_profile(tmp_path / "a.ifc", tmp_path / "c.ifc", "COL-400", ProfileType=1.0)


def test_benchmark_revision_moves_and_edits_disjoint_shares(tmp_path, before):
    rev = rv.make_benchmark_revision(SRC, tmp_path / "b.ifc", 0.1, 0.1, seed=3)
    # 74 elements with geometry (not openings, not the proxy or assembly without a body)
    assert rev.detail["elements_with_geometry"] == 74
    moved, edited = rev.detail["moved_requested"], rev.detail["edited"]
    assert len(moved) == len(edited) == 7 and not set(moved) & set(edited)
    assert set(moved) <= set(rev.moved)
    after = prints(tmp_path / "b.ifc")
    assert changed(before, after, 0) == set(rev.moved)
    assert changed(before, after, 1) == set(edited)
    rv.make_benchmark_revision(SRC, tmp_path / "c.ifc", 0.1, 0.1, seed=3)
    assert (tmp_path / "c.ifc").read_bytes() == (tmp_path / "b.ifc").read_bytes()


def test_opening_cut_by_several_profiles_has_each_resized(tmp_path):
    from tests.conftest import shared_model

    src = shared_model("AC20-FZK-Haus.ifc")
    door = "04RcXu1mKxpGnJw_7oRBLn"  # 'Haustuer': two 1.01 x 2.01 m extrusions, one per layer
    rev = rv.resize_opening(src, tmp_path / "b.ifc", door, scale=1.25)
    assert rev.detail["profiles"] == 2
    f = ifcopenshell.open(str(tmp_path / "b.ifc"))
    dims = [(p.XDim, p.YDim) for p in f.traverse(f.by_guid(door).Representation)
            if p.is_a("IfcRectangleProfileDef")]
    assert dims == [pytest.approx((1.2625, 2.5125))] * 2


def test_a_property_entity_shared_by_two_sets_is_copied_before_the_edit(tmp_path):
    # Exporters write an identical property once and list it in many sets.
    f = ifcopenshell.open(str(SRC))
    south, north = f.by_guid(gid("W-0-south-1")), f.by_guid(gid("W-0-north-1"))
    u = ifcopenshell.util.element
    psets = [u.get_psets(w)["Pset_WallCommon"]["id"] for w in (south, north)]
    shared = next(p for p in f.by_id(psets[0]).HasProperties if p.Name == "FireRating")
    other = f.by_id(psets[1])
    other.HasProperties = tuple(shared if p.Name == "FireRating" else p
                                for p in other.HasProperties)
    f.write(str(tmp_path / "a.ifc"))
    before = prints(tmp_path / "a.ifc")
    rv.set_property(tmp_path / "a.ifc", tmp_path / "b.ifc", south.GlobalId, "Pset_WallCommon",
                    "FireRating", "REI90")
    after = prints(tmp_path / "b.ifc")
    assert changed(before, after, 1) == {south.GlobalId}
    g = ifcopenshell.open(str(tmp_path / "b.ifc"))
    assert ifcopenshell.util.element.get_psets(g.by_guid(north.GlobalId))["Pset_WallCommon"][
        "FireRating"] == "REI60"
