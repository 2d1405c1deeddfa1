"""Fingerprints: independent of STEP numbering; geometry vs data changes are
told apart exactly as the rev A → rev B truth says."""

from __future__ import annotations

import re

import ifcopenshell
import pytest
import yaml

from bimcheck.fingerprint import Fingerprinter
from tests.conftest import SAMPLES

CHANGES = yaml.safe_load((SAMPLES / "tower_rev_b.truth.yaml").read_text())["changes"]
ELEMENTS = yaml.safe_load((SAMPLES / "tower_rev_a.truth.yaml").read_text())["elements"]


def _prints(path) -> dict[str, tuple[str, str]]:
    f = ifcopenshell.open(str(path))
    fp = Fingerprinter(f)
    return {e.GlobalId: (fp.geometry(e), fp.data(e)) for e in f.by_type("IfcProduct")}


def _renumbered(src, dst) -> None:
    """Rewrite a STEP file with every entity id changed (reversed and offset),
    leaving string literals alone."""
    text = src.read_text()
    head, body = text.split("DATA;", 1)
    ids = [int(i) for i in re.findall(r"^#(\d+)=", body, flags=re.M)]
    new = {old: 100000 - old for old in ids}
    token = re.compile(r"'(?:[^']|'')*'|#(\d+)")
    body = token.sub(lambda m: f"#{new[int(m.group(1))]}" if m.group(1) else m.group(0), body)
    dst.write_text(head + "DATA;" + body)


def test_renumbering_changes_no_fingerprint(tmp_path):
    src = SAMPLES / "tower_rev_a.ifc"
    _renumbered(src, tmp_path / "renumbered.ifc")
    a, b = _prints(src), _prints(tmp_path / "renumbered.ifc")
    assert ifcopenshell.open(str(tmp_path / "renumbered.ifc")).by_id(100000 - 1) is not None
    assert a == b


def test_revision_changes_are_classified_as_the_truth_says():
    a = _prints(SAMPLES / "tower_rev_a.ifc")
    b = _prints(SAMPLES / "tower_rev_b.ifc")
    geometry_changed = {c["global_id"] for c in CHANGES["geometry_changed"]}
    data_changed = {c["global_id"] for c in CHANGES["data_changed"]}
    assert {c["global_id"] for c in CHANGES["added"]} == set(b) - set(a)
    assert {c["global_id"] for c in CHANGES["removed"]} <= set(a) - set(b)
    checked = 0
    for t in ELEMENTS.values():
        gid = t["global_id"]
        if gid not in b:
            continue
        assert (a[gid][0] != b[gid][0]) == (gid in geometry_changed), t
        assert (a[gid][1] != b[gid][1]) == (gid in data_changed), t
        checked += 1
    assert checked == len(ELEMENTS) - len(CHANGES["removed"])


@pytest.fixture()
def wall_model():
    from bimcheck.testing.ifcfactory import Box, ModelFactory

    f = ModelFactory()
    storey = f.add_storey("L0", 0.0)
    wall = f.add_element("IfcWall", "W", shape=Box((0, 0, 0), (10, 0.2, 3)), storey=storey)
    opening = f.add_opening("O", host=wall, shape=Box((4, -0.1, 1), (5, 0.3, 2)), axis="y")
    f.add_pset(wall, "Pset_WallCommon", {"FireRating": "REI60"})
    return f.finish(), wall, opening


def _state(ifc, wall):
    fp = Fingerprinter(ifc)
    return fp.geometry(wall), fp.data(wall)


def test_lengthening_a_wall_changes_only_its_geometry(wall_model):
    ifc, wall, _ = wall_model
    g0, d0 = _state(ifc, wall)
    wall.Representation.Representations[0].Items[0].SweptArea.XDim = 11.0
    g1, d1 = _state(ifc, wall)
    assert g1 != g0 and d1 == d0


def test_editing_a_property_changes_only_the_data(wall_model):
    import ifcopenshell.api

    ifc, wall, _ = wall_model
    g0, d0 = _state(ifc, wall)
    pset = ifc.by_type("IfcPropertySet")[0]
    ifcopenshell.api.pset.edit_pset(ifc, pset=pset, properties={"FireRating": "REI90"})
    g1, d1 = _state(ifc, wall)
    assert g1 == g0 and d1 != d0


def test_resizing_an_opening_changes_the_host_geometry(wall_model):
    ifc, wall, opening = wall_model
    g0, d0 = _state(ifc, wall)
    opening.Representation.Representations[0].Items[0].SweptArea.XDim = 1.2
    g1, d1 = _state(ifc, wall)
    assert g1 != g0 and d1 == d0


def test_moving_the_storey_changes_the_geometry(wall_model):
    ifc, wall, _ = wall_model
    g0, _ = _state(ifc, wall)
    storey = ifc.by_type("IfcBuildingStorey")[0]
    storey.ObjectPlacement.RelativePlacement.Location.Coordinates = (0.0, 0.0, 3.0)
    assert _state(ifc, wall)[0] != g0


def test_reals_are_hashed_in_one_spelling():
    from bimcheck.fingerprint import canonical
    from bimcheck.merkle import canonical_real

    six, quarter, minus_one = (canonical_real(t) for t in (b"6.", b"0.25", b"-1."))
    assert six == b"~4018000000000000"  # the IEEE bits of 6.0
    assert canonical(b"IFCCARTESIANPOINT((6.,6.0,6.0E0,2.5E-1,-1.))") == \
        b"IFCCARTESIANPOINT((" + b",".join([six, six, six, quarter, minus_one]) + b"))"
    # the shortest round trips of two writers that differ in the last digit
    assert canonical(b"(0.08333333333333332)") == canonical(b"(0.08333333333333331)")
    # string literals, references, enumerations and integers are left alone
    text = b"IFCX('6. and 2.50',#12,.T.,7,1.5)"
    assert canonical(text) == b"IFCX('6. and 2.50',#12,.T.,7," + canonical_real(b"1.5") + b")"


def test_a_file_written_by_another_writer_keeps_its_fingerprints(tmp_path):
    """IfcOpenShell re-writing the file (its own real formatting) and a
    re-export that spells every real otherwise (``2.5000000000000000E-01``,
    ``0.0``) change no fingerprint. (Noise of 1e-12 relative is above the 40
    bits (about 12 digits) kept: the diff compares such shapes by their meshes.)"""
    from bimcheck.testing.revisions import reformat_numbers

    src = SAMPLES / "tower_rev_a.ifc"
    ifcopenshell.open(str(src)).write(str(tmp_path / "rewritten.ifc"))
    reformat_numbers(src, tmp_path / "reformatted.ifc", noise=0.0)
    a = _prints(src)
    assert _prints(tmp_path / "rewritten.ifc") == a
    assert {g: p[0] for g, p in _prints(tmp_path / "reformatted.ifc").items()} == \
        {g: p[0] for g, p in a.items()}


def test_keywords_are_hashed_in_capitals():
    """STEP keywords are case-insensitive (GeometryGym writes
    IfcProductDefinitionShape, IfcOpenShell IFCPRODUCTDEFINITIONSHAPE);
    string literals keep their case."""
    from bimcheck.fingerprint import canonical

    assert canonical(b"IfcProductDefinitionShape($,$,(#7))") == \
        b"IFCPRODUCTDEFINITIONSHAPE($,$,(#7))"
    assert canonical(b"IfcWall('Mixed Case',.notdefined.)") == \
        b"IFCWALL('Mixed Case',.NOTDEFINED.)"
