"""Broken and hostile IFC files: each defect of the hostile-input survey has
a regression test here. A file whose structure cannot be read is a clear
ModelError naming it (exit 2); an element whose geometry cannot be read is
a failure with its GlobalId, class and reason, and the rest is checked.

Cases that crashed IfcOpenShell's parser (SIGSEGV) run in a subprocess, so a
regression fails the test instead of killing the test run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bimcheck.errors import BrokenModelError, ModelError, NotIfcError
from bimcheck.geometry.tessellate import tessellate
from bimcheck.model import open_model
from bimcheck.stepcheck import scan_references
from tests.conftest import SAMPLES

QTO = SAMPLES / "qto_m.ifc"


def _edited(tmp_path: Path, name: str, edit) -> Path:
    out = tmp_path / name
    out.write_bytes(edit(QTO.read_bytes()))
    return out


def _line(data: bytes, step_id: int) -> bytes:
    m = re.search(rb"^#%d=.*$" % step_id, data, re.M)
    assert m is not None
    return m.group(0)


def _info(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bimcheck.cli", "info", str(path),
                           "--no-cache"], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("schema", [b"$", b"*", b"(#1)", b"((.T.))", b"(('" + b"X" * 5000 + b"'))",
                                    b"(())", b"(('IFC4','IFC2X3'))"])
def test_a_malformed_file_schema_is_refused_before_the_parser_sees_it(tmp_path, schema):
    # FILE_SCHEMA($), (*), (#1), ((.T.)) and a 5,000-character name crashed
    # IfcOpenShell 0.8's parser with SIGSEGV.
    path = _edited(tmp_path, "s.ifc", lambda d: re.sub(rb"FILE_SCHEMA\([^;]*\);",
                                                        b"FILE_SCHEMA(" + schema + b");", d))
    proc = _info(path)
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"bimcheck: error: {path}: the STEP header")
    assert len(line) < 300


def test_a_file_without_a_header_is_refused(tmp_path):
    path = _edited(tmp_path, "h.ifc", lambda d: re.sub(rb"FILE_NAME\([^;]*\);", b"", d))
    with pytest.raises(NotIfcError, match="the STEP header has no FILE_NAME"):
        open_model(path)


def test_an_entity_defined_twice_names_it_and_both_lines(tmp_path):
    data = QTO.read_bytes()
    lines = data.split(b"\n")
    at = next(i for i, ln in enumerate(lines) if ln.startswith(b"#9="))
    lines.insert(at + 3, b"#9=IFCCARTESIANPOINT((1.,2.,3.));")
    path = tmp_path / "dup.ifc"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(BrokenModelError) as info:
        open_model(path)
    assert str(info.value) == (f"{path}: entity #9 is defined twice (lines {at + 1} and "
                               f"{at + 4}); the file's structure cannot be read")


def test_an_entity_id_too_long_to_read_is_refused(tmp_path):
    path = _edited(tmp_path, "long.ifc", lambda d: d.replace(b"(#36)", b"(#36000000000000)", 1))
    with pytest.raises(BrokenModelError, match="an entity id of more than 9 digits"):
        open_model(path)


def test_references_inside_strings_and_comments_are_not_references(tmp_path):
    data = QTO.read_bytes().replace(b"DATA;\n", b"DATA;\n/* see #99999 */\n", 1)
    data = data.replace(b"'Site'", b"'Site #88888, it''s #77777'", 1)
    path = tmp_path / "strings.ifc"
    path.write_bytes(data)
    found = scan_references(path)
    assert found.dangling == {}
    assert found.entities == data.count(b"\n#")


def test_a_dangling_reference_fails_only_the_element_whose_geometry_uses_it(tmp_path):
    # Deleting a solid's line leaves its shape representation referring to
    # nothing: IfcOpenShell reads the list without it, an element with no
    # body. It must be a failure naming the missing entity instead.
    whole = open_model(QTO)
    owner = next(p for p in whole.file.by_type("IfcProduct") if p.Representation is not None
                 and any(i.id() == 36 for r in p.Representation.Representations
                         for i in r.Items))
    data = QTO.read_bytes()
    path = tmp_path / "dangling.ifc"
    path.write_bytes(data.replace(_line(data, 36) + b"\n", b""))
    model = open_model(path)
    assert model.integrity.dangling == {36: (37,)}
    geometry = tessellate(model, cache=None)
    (failure,) = geometry.failures
    assert (failure.global_id, failure.ifc_class) == (owner.GlobalId, owner.is_a())
    assert failure.reason == "its geometry refers to #36, which is not in the file"
    reference = tessellate(whole, cache=None)
    assert geometry.meshes.keys() == reference.meshes.keys() - {owner.GlobalId}
    for gid, mesh in geometry.meshes.items():
        np.testing.assert_allclose(mesh.vertices, reference.meshes[gid].vertices, atol=1e-12)


def test_a_missing_placement_point_fails_the_elements_placed_by_it(tmp_path):
    whole = open_model(QTO)
    owner = next(p for p in whole.file.by_type("IfcElement")
                 if p.ObjectPlacement is not None and p.Representation is not None
                 and not p.is_a("IfcOpeningElement"))
    location = owner.ObjectPlacement.RelativePlacement.Location
    users = [p for p in whole.file.get_inverse(location)]
    assert len(users) == 1, "the factory writes one point per placement"
    data = QTO.read_bytes()
    path = tmp_path / "placement.ifc"
    path.write_bytes(data.replace(_line(data, location.id()) + b"\n", b""))
    geometry = tessellate(open_model(path), cache=None)
    failed = {f.global_id: f.reason for f in geometry.failures}
    assert failed[owner.GlobalId] == (f"its geometry refers to #{location.id()}, which is not "
                                      "in the file")
    assert owner.GlobalId not in geometry.meshes


def test_a_reference_of_the_wrong_type_is_a_failure_not_a_crash(tmp_path):
    # A product whose Representation is a point: AttributeError
    # 'Representations' in every command before.
    whole = open_model(QTO)
    beam = whole.file.by_type("IfcBeam")[0]
    data = QTO.read_bytes()
    line = _line(data, beam.id())
    rep = beam.Representation.id()
    bad = line.replace(b",#%d," % rep, b",#7,") if b",#%d," % rep in line else \
        line.replace(b",#%d)" % rep, b",#7)")
    path = tmp_path / "wrongtype.ifc"
    path.write_bytes(data.replace(line, bad))
    geometry = tessellate(open_model(path), cache=None)
    failed = {f.global_id: f.reason for f in geometry.failures}
    assert failed == {beam.GlobalId: "its Representation is #7 IfcCartesianPoint, not an "
                                     "IfcProductRepresentation"}


@pytest.mark.parametrize(("unit", "message"), [
    (b"IFCCONVERSIONBASEDUNIT(*,.LENGTHUNIT.,'foot',$)",
     r"length unit cannot be read: #\d+ IfcConversionBasedUnit is malformed"),
    (b"IFCSIUNIT(*,.LENGTHUNIT.,$,$)", r"length unit cannot be read: #\d+ IfcSIUnit is malformed"),
    (b"IFCSIUNIT(*,.LENGTHUNIT.,.EXA.,.METRE.)", r"length unit is 1e\+18 m, outside"),
    (b"IFCSIUNIT(*,.LENGTHUNIT.,.ATTO.,.METRE.)", "length unit is 1e-18 m, outside"),
])
def test_a_nonsense_length_unit_is_a_clear_error(tmp_path, unit, message):
    # A conversion-based unit without its factor ended in
    # "float *= NoneType"; an EXA-metre unit hung the geometry kernel.
    path = _edited(tmp_path, "u.ifc", lambda d: d.replace(
        b"IFCSIUNIT(*,.LENGTHUNIT.,$,.METRE.)", unit, 1))
    with pytest.raises(ModelError, match=message):
        open_model(path).length_scale  # noqa: B018
    proc = _info(path)
    assert proc.returncode == 2 and re.search(message, proc.stderr) and str(path) in proc.stderr


def test_a_profile_of_too_many_points_fails_its_element_without_the_kernel(tmp_path):
    # A 200,000-point polyline profile hung every command in the kernel.
    import math

    from bimcheck.limits import MAX_PROFILE_POINTS

    whole = open_model(QTO)
    solid = whole.file.by_id(36)
    owner = next(p for p in whole.file.by_type("IfcProduct") if p.Representation is not None
                 and any(i.id() == 36 for r in p.Representation.Representations
                         for i in r.Items))
    n = MAX_PROFILE_POINTS + 1000
    first = max(e.id() for e in whole.file) + 1
    points = [b"#%d=IFCCARTESIANPOINT((%.6f,%.6f));" % (
        first + k, 0.2 * math.cos(2 * math.pi * k / n), 0.2 * math.sin(2 * math.pi * k / n))
        for k in range(n)]
    refs = b",".join(b"#%d" % (first + k) for k in range(n))
    extra = [*points, b"#%d=IFCPOLYLINE((%s,#%d));" % (first + n, refs, first),
             b"#%d=IFCARBITRARYCLOSEDPROFILEDEF(.AREA.,$,#%d);" % (first + n + 1, first + n)]
    data = QTO.read_bytes()
    line = _line(data, 36)
    new = line.replace(b"(#%d," % solid.SweptArea.id(), b"(#%d," % (first + n + 1), 1)
    data = data.replace(line, new).replace(b"ENDSEC;\nEND-ISO", b"\n".join(extra)
                                           + b"\nENDSEC;\nEND-ISO")
    path = tmp_path / "huge.ifc"
    path.write_bytes(data)
    geometry = tessellate(open_model(path), cache=None)
    failed = {f.global_id: f.reason for f in geometry.failures}
    assert failed == {owner.GlobalId: f"a polyline of its profile has {n + 1:,} points, over "
                                      f"the limit of {MAX_PROFILE_POINTS:,}"}
    assert len(geometry.meshes) == len(tessellate(whole, cache=None).meshes) - 1


def test_relationships_with_a_missing_or_wrong_end_are_set_aside_and_the_rest_read(tmp_path):
    # An opening's line deleted: its IfcRelVoidsElement reads a None end
    # ('NoneType' object has no attribute 'id' in qto); a containment's
    # structure pointed at a profile ('IfcRectangleProfileDef' has no
    # attribute 'GlobalId' in check).
    from click.testing import CliRunner

    from bimcheck.cli.main import cli

    whole = open_model(QTO)
    voids = whole.file.by_type("IfcRelVoidsElement")[0]
    opening = voids.RelatedOpeningElement
    contained = whole.file.by_type("IfcRelContainedInSpatialStructure")[0]
    profile = whole.file.by_type("IfcRectangleProfileDef")[0]
    data = QTO.read_bytes()
    data = data.replace(_line(data, opening.id()) + b"\n", b"")
    line = _line(data, contained.id())
    structure = b"#%d);" % contained.RelatingStructure.id()
    assert line.endswith(structure)
    data = data.replace(line, line[: -len(structure)] + b"#%d);" % profile.id())
    path = tmp_path / "rels.ifc"
    path.write_bytes(data)
    model = open_model(path)
    ids = {e.id() for e in model.file.by_type("IfcRelationship")}
    # Set aside: the containment, and what had the opening as an end (its
    # void, and the filling of the door or window that sits in it).
    using_opening = {r.id() for r in whole.file.get_inverse(opening)
                     if r.is_a("IfcRelVoidsElement") or r.is_a("IfcRelFillsElement")}
    assert voids.id() in using_opening
    assert {r.id() for r in whole.file.by_type("IfcRelationship")} - ids == \
        using_opening | {contained.id()}
    for args in (["qto", str(path), "--no-history", "-o", str(tmp_path / "t.csv")],
                 ["check", str(path), "--no-history", "--out", str(tmp_path / "r")]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code in (0, 1), result.output
        assert (f"#{contained.id()} IfcRelContainedInSpatialStructure: its RelatingStructure is "
                f"#{profile.id()} IfcRectangleProfileDef, not an IfcProduct") in result.stderr


@pytest.mark.parametrize("y", [b"-1.E308", b"1.E200", b"5.E8"])
def test_an_element_placed_absurdly_far_away_is_a_failure(tmp_path, y):
    # A placement at y = -1E308 reached the report's plan view as NaN
    # (GEOSException in shapely), through the overflowing arithmetic.
    from bimcheck.limits import MAX_COORDINATE_M

    whole = open_model(QTO)
    owner = next(p for p in whole.file.by_type("IfcElement")
                 if p.ObjectPlacement is not None and p.Representation is not None
                 and not p.is_a("IfcOpeningElement") and not getattr(p, "HasOpenings", None))
    location = owner.ObjectPlacement.RelativePlacement.Location
    assert len(whole.file.get_inverse(location)) == 1
    data = QTO.read_bytes()
    line = _line(data, location.id())
    x, _, z = location.Coordinates
    moved = b"#%d=IFCCARTESIANPOINT((%r,%s,%r));" % (location.id(), x, y, z)
    path = tmp_path / "far.ifc"
    path.write_bytes(data.replace(line, moved))
    geometry = tessellate(open_model(path), cache=None)
    failed = {f.global_id: f.reason for f in geometry.failures}
    assert failed == {owner.GlobalId: "its geometry has coordinates that are not finite or are "
                                      f"more than {MAX_COORDINATE_M:g} m from the origin"}


def test_an_element_of_more_triangles_than_the_limit_is_a_failure(tmp_path, monkeypatch):
    from bimcheck import limits
    from bimcheck.geometry import tessellate as tess

    monkeypatch.setattr(tess, "MAX_ELEMENT_TRIANGLES", 11)  # a box has 12
    geometry = tess.tessellate(open_model(QTO), cache=None)
    reasons = {f.reason for f in geometry.failures}
    assert "its mesh has 12 triangles, over the limit of 11" in reasons
    assert all(len(m.faces) <= 11 for m in geometry.meshes.values())
    assert limits.MAX_ELEMENT_TRIANGLES == 2_000_000


def test_a_property_whose_value_is_an_entity_reads_as_no_value(tmp_path):
    # AttributeError 'wrappedValue' in check's property rules before.
    from click.testing import CliRunner

    from bimcheck.cli.main import cli
    from bimcheck.qto.functions import material_density

    data = QTO.read_bytes()
    old = b"IFCPROPERTYSINGLEVALUE('MassDensity',$,IFCMASSDENSITYMEASURE(7850.),$)"
    assert old in data
    whole = open_model(QTO)  # kept: its file owns the entities
    assert material_density(whole.file.by_type("IfcBeam")[0]) == 7850.0
    path = tmp_path / "value.ifc"
    path.write_bytes(data.replace(old, b"IFCPROPERTYSINGLEVALUE('MassDensity',$,#1,$)"))
    broken = open_model(path)
    assert material_density(broken.file.by_type("IfcBeam")[0]) is None
    result = CliRunner().invoke(cli, ["check", str(path), "--no-history", "--out",
                                      str(tmp_path / "r")])
    assert result.exit_code in (0, 1), result.output


def _with_boolean_body(tmp_path: Path, name: str, chain) -> tuple[Path, str]:
    """qto_m with the body item #36 (an extrusion) of one element replaced by
    the booleans ``chain(first_id, solid_id)`` gives (STEP lines, the top's
    id); its representation still says 'SweptSolid'. (path, that GlobalId)."""
    whole = open_model(QTO)
    owner = next(p for p in whole.file.by_type("IfcProduct") if p.Representation is not None
                 and any(i.id() == 36 for r in p.Representation.Representations
                         for i in r.Items))
    rep = next(r for r in owner.Representation.Representations
               if any(i.id() == 36 for i in r.Items))
    first = max(e.id() for e in whole.file) + 1
    lines, top = chain(first, 36)
    data = QTO.read_bytes()
    line = _line(data, rep.id())
    assert b"'SweptSolid'" in line
    data = data.replace(line, line.replace(b"#36", b"#%d" % top, 1))
    data = data.replace(b"ENDSEC;\nEND-ISO", b"\n".join(lines) + b"\nENDSEC;\nEND-ISO")
    path = tmp_path / name
    path.write_bytes(data)
    return path, owner.GlobalId


def _chain(n: int):
    def make(first: int, solid: int) -> tuple[list[bytes], int]:
        lines = [b"#%d=IFCBOOLEANRESULT(.UNION.,#%d,#%d);" % (first, solid, solid)]
        lines += [b"#%d=IFCBOOLEANRESULT(.UNION.,#%d,#%d);" % (first + k, first + k - 1, solid)
                  for k in range(1, n)]
        return lines, first + n - 1
    return make


def _loop(first: int, solid: int) -> tuple[list[bytes], int]:
    return [b"#%d=IFCBOOLEANRESULT(.UNION.,#%d,#%d);" % (first, first + 1, solid),
            b"#%d=IFCBOOLEANRESULT(.UNION.,#%d,#%d);" % (first + 1, first, solid)], first


def _in_csg_solid(chain):
    """``chain`` under an IfcCsgSolid, as a CSG body usually is."""
    def make(first: int, solid: int) -> tuple[list[bytes], int]:
        lines, top = chain(first + 1, solid)
        return [*lines, b"#%d=IFCCSGSOLID(#%d);" % (first, top)], first
    return make


def _csg_loop(first: int, solid: int) -> tuple[list[bytes], int]:
    # a boolean whose operand is a CSG solid that wraps the boolean
    return [b"#%d=IFCCSGSOLID(#%d);" % (first, first + 1),
            b"#%d=IFCBOOLEANRESULT(.UNION.,#%d,#%d);" % (first + 1, first, solid)], first


def _doubling(n: int):
    """``#k = #k-1 UNION #k-1``: depth n, 2^n - 1 operations for the kernel."""
    def make(first: int, solid: int) -> tuple[list[bytes], int]:
        lines = [b"#%d=IFCBOOLEANRESULT(.UNION.,#%d,#%d);" % (first, solid, solid)]
        lines += [b"#%d=IFCBOOLEANRESULT(.UNION.,#%d,#%d);" % (first + k, first + k - 1,
                                                                 first + k - 1)
                  for k in range(1, n)]
        return lines, first + n - 1
    return make


DEEP = "its body nests booleans deeper than 64 levels, or in a loop"
MANY = "its body has more than 512 boolean operations (shared operands counted at each use)"


@pytest.mark.parametrize(("name", "chain", "reason"), [
    ("chain", _chain(2000), DEEP), ("loop", _loop, DEEP),
    ("csg-chain", _in_csg_solid(_chain(2000)), DEEP), ("csg-loop", _csg_loop, DEEP),
    ("doubling", _doubling(10), MANY)])
def test_booleans_too_deep_or_in_a_loop_fail_their_element_whatever_the_type_says(
        tmp_path, name, chain, reason):
    # 2,000 nested unions in a representation typed 'SweptSolid' took the
    # kernel 10 s: the depth was only checked under 'CSG' and 'Clipping'. A
    # loop stalled it for 300 s; inside an IfcCsgSolid the chain was not
    # seen; ten doublings (1,023 unions, depth 10) took it about a minute.
    import time

    path, gid = _with_boolean_body(tmp_path, f"{name}.ifc", chain)
    started = time.monotonic()
    geometry = tessellate(open_model(path), cache=None)
    assert time.monotonic() - started < 5
    failed = {f.global_id: f.reason for f in geometry.failures}
    assert failed == {gid: reason}


@pytest.mark.parametrize("chain", [_chain(64), _doubling(9)])  # 64 and 511 operations
def test_booleans_at_the_limits_are_meshed(tmp_path, chain):
    path, gid = _with_boolean_body(tmp_path, "ok.ifc", chain)
    geometry = tessellate(open_model(path), cache=None)
    assert gid not in {f.global_id for f in geometry.failures}
    assert gid in geometry.meshes


def test_boolean_depth_counts_the_longest_path_through_shared_operands():
    import ifcopenshell

    from bimcheck.geometry.screen import _boolean_extent

    f = ifcopenshell.file(schema="IFC4")
    solid = f.createIfcBlock(f.createIfcAxis2Placement3D(f.createIfcCartesianPoint((0., 0., 0.))),
                             1.0, 1.0, 1.0)
    chain = [f.createIfcBooleanResult("UNION", solid, solid)]
    for _ in range(9):
        chain.append(f.createIfcBooleanResult("UNION", chain[-1], solid))
    assert _boolean_extent(chain[-1], {}) == (10, 10)
    # the top uses the chain's bottom directly and through the chain: depth
    # 1 + 10; operations 1 + 1 + 10 (the bottom is done twice)
    top = f.createIfcBooleanResult("UNION", chain[0], chain[-1])
    assert _boolean_extent(top, {}) == (11, 12)
    top2 = f.createIfcBooleanResult("UNION", chain[-1], chain[0])
    known: dict = {}
    assert _boolean_extent(top2, known) == (11, 12)
    assert _boolean_extent(top, known) == (11, 12)  # from what the first call learnt


def test_the_boolean_check_follows_mapped_items():
    import ifcopenshell

    from bimcheck.geometry.screen import _items

    f = ifcopenshell.file(schema="IFC4")
    origin = f.createIfcAxis2Placement3D(f.createIfcCartesianPoint((0., 0., 0.)))
    solid = f.createIfcBlock(origin, 1.0, 1.0, 1.0)
    boolean = f.createIfcBooleanResult("UNION", solid, solid)
    inner = f.createIfcShapeRepresentation(None, "Body", "CSG", [boolean])
    source = f.createIfcRepresentationMap(origin, inner)
    operator = f.createIfcCartesianTransformationOperator3D(
        None, None, f.createIfcCartesianPoint((0., 0., 0.)), 1.0, None)
    mapped = f.createIfcMappedItem(source, operator)
    outer = f.createIfcShapeRepresentation(None, "Body", "MappedRepresentation", [mapped])
    loop = f.createIfcShapeRepresentation(None, "Body", "MappedRepresentation", [])
    loop.Items = [f.createIfcMappedItem(f.createIfcRepresentationMap(origin, loop), operator)]
    assert [i.id() for i in _items((outer,))] == [boolean.id()]
    assert list(_items((loop,)))[-1] is None  # a map of itself ends, as a failure


def test_a_body_that_maps_too_many_representations_is_a_failure(monkeypatch):
    import ifcopenshell

    from bimcheck.geometry import screen

    f = ifcopenshell.file(schema="IFC4")
    origin = f.createIfcAxis2Placement3D(f.createIfcCartesianPoint((0., 0., 0.)))
    operator = f.createIfcCartesianTransformationOperator3D(
        None, None, f.createIfcCartesianPoint((0., 0., 0.)), 1.0, None)
    rep = f.createIfcShapeRepresentation(None, "Body", "Brep", [])
    for _ in range(5):  # each maps the one before: a chain of 5
        source = f.createIfcRepresentationMap(origin, rep)
        rep = f.createIfcShapeRepresentation(None, "Body", "MappedRepresentation",
                                             [f.createIfcMappedItem(source, operator)])
    monkeypatch.setattr(screen, "MAX_MAPPED_REPRESENTATIONS", 5)
    assert list(screen._items((rep,))) == []
    monkeypatch.setattr(screen, "MAX_MAPPED_REPRESENTATIONS", 4)
    assert list(screen._items((rep,))) == [None]
    probe = screen.Screen.__new__(screen.Screen)
    probe._booleans = {}
    assert screen.Screen._boolean_problem(probe, rep) == (
        "its body maps representations more than 4 times, or maps itself")


def test_the_operation_limit_counts_every_boolean_of_a_body_and_every_use():
    # Found by review: each boolean item was held to 512 on its own, so eight
    # items of 511, or one listed 50 times, passed.
    import ifcopenshell

    from bimcheck.geometry import screen

    f = ifcopenshell.file(schema="IFC4")
    origin = f.createIfcAxis2Placement3D(f.createIfcCartesianPoint((0., 0., 0.)))
    solid = f.createIfcBlock(origin, 1.0, 1.0, 1.0)
    tree = f.createIfcBooleanResult("UNION", solid, solid)
    for _ in range(7):  # each the union of the one before with itself: 255 operations
        tree = f.createIfcBooleanResult("UNION", tree, tree)
    probe = screen.Screen.__new__(screen.Screen)
    probe._booleans = {}
    assert screen._boolean_extent(tree, {}) == (8, 255)
    once = f.createIfcShapeRepresentation(None, "Body", "CSG", [tree, tree])  # 510
    assert screen.Screen._boolean_problem(probe, once) is None
    twice = f.createIfcShapeRepresentation(None, "Body", "CSG", [tree, tree, tree])  # 765
    many = ("its body has more than 512 boolean operations (shared operands counted at "
            "each use)")
    assert screen.Screen._boolean_problem(probe, twice) == many
    operator = f.createIfcCartesianTransformationOperator3D(
        None, None, f.createIfcCartesianPoint((0., 0., 0.)), 1.0, None)
    source = f.createIfcRepresentationMap(origin, once)
    mapped = f.createIfcShapeRepresentation(None, "Body", "MappedRepresentation", [
        f.createIfcMappedItem(source, operator), f.createIfcMappedItem(source, operator)])  # 1020
    assert screen.Screen._boolean_problem(probe, mapped) == many


@pytest.mark.parametrize("number", [b"-NAN", b"-INF", b"+inf"])
def test_a_number_that_is_not_finite_fails_the_element_before_the_kernel(tmp_path, number):
    # NAN or -INF in a point or a direction made the kernel loop: the command
    # waited for its time limit (or the 300 s per element).
    import time

    whole = open_model(QTO)
    owner = next(p for p in whole.file.by_type("IfcProduct") if p.Representation is not None
                 and any(i.id() == 36 for r in p.Representation.Representations
                         for i in r.Items))
    data = QTO.read_bytes()
    assert b"#36=IFCEXTRUDEDAREASOLID(#30,#34,#35,3.);" in data
    path = tmp_path / "nonfinite.ifc"
    path.write_bytes(data.replace(b"#36=IFCEXTRUDEDAREASOLID(#30,#34,#35,3.);",
                                  b"#36=IFCEXTRUDEDAREASOLID(#30,#34,#35,%s);" % number))
    model = open_model(path)
    assert model.integrity.non_finite == (36,)
    started = time.monotonic()
    geometry = tessellate(model, cache=None)
    assert time.monotonic() - started < 10
    failed = {f.global_id: f.reason for f in geometry.failures}
    assert failed == {owner.GlobalId: "its geometry uses #36, which holds a number that is not "
                                      "finite"}
    assert len(geometry.meshes) == len(tessellate(whole, cache=None).meshes) - 1


def test_a_number_beyond_a_double_is_a_file_that_cannot_be_read(tmp_path):
    data = QTO.read_bytes().replace(b"#36=IFCEXTRUDEDAREASOLID(#30,#34,#35,3.);",
                                    b"#36=IFCEXTRUDEDAREASOLID(#30,#34,#35,1.E400);")
    path = tmp_path / "overflow.ifc"
    path.write_bytes(data)
    with pytest.raises(NotIfcError, match="cannot parse the file"):
        open_model(path)


@pytest.mark.parametrize(("text", "found"), [
    (b"#5=IFCCARTESIANPOINT((1.,-NAN,0.));", (5,)),
    (b"#5=IFCCARTESIANPOINT((1.,+inf,0.));", (5,)),
    (b"#5=IFCCARTESIANPOINT((1.,-Infinity,0.));", (5,)),
    (b"#5=IFCCARTESIANPOINT((1.,1.5E308,0.));", ()),  # finite: the mesh limits catch it
    (b"#5=IFCPROPERTYSINGLEVALUE('NAN -INF',$,IFCLABEL('1E999 -INF'),$);", ()),  # strings
    (b"#5=IFCPROPERTYSINGLEVALUE('x',$,IFCREAL(-INF),$);", (5,)),  # an inline typed value
    (b"#5=IFCWALL('0xw4eCx0TMnwDjsvQDh5qs',$,'INFO',$,$,$,$,$,.NOTDEFINED.);", ()),  # a word
    # a quote in a comment flipped what counts as a string (found by review)
    (b"/* it's a comment */\n#5=IFCCARTESIANPOINT((1.,-NAN,0.));", (5,)),
    (b"#5=IFCCARTESIANPOINT((1.,2.,0.)); /* tolerance -inf */", ()),  # in a comment
    # an empty comment /*/, and junk between statements, which the parser
    # skips: the scan's lexing cannot follow the latter (found by review)
    (b"/*/ #5=IFCCARTESIANPOINT((1.,-NAN,0.));", (5,)),
    (b"X';\n#5=IFCCARTESIANPOINT((1.,-NAN,0.));", (5,)),
    (b"#6=IFCPROPERTYSINGLEVALUE('it''s -INF',$,$,$);\n#7=IFCCARTESIANPOINT((-INF,0.,0.));",
     (7,)),  # an escaped quote
])
def test_numbers_that_are_not_finite_are_found_and_nothing_else(tmp_path, text, found):
    path = tmp_path / "n.ifc"
    header = QTO.read_bytes()[:QTO.read_bytes().index(b"DATA;")]
    path.write_bytes(header + b"DATA;\n#1=IFCCARTESIANPOINT((2.,0.,0.));\n" + text
                     + b"\nENDSEC;\nEND-ISO-10303-21;\n")
    assert open_model(path, require_geometry=False).integrity.non_finite == found


def test_references_in_a_data_section_that_defines_nothing(tmp_path):
    # Found by the guided fuzzing (atheris): the scan indexed an empty array
    # (IndexError, exit 3).
    path = tmp_path / "nothing.ifc"
    header = QTO.read_bytes()[:QTO.read_bytes().index(b"DATA;")]
    path.write_bytes(header + b"DATA;\n#1));\n(#7);\nENDSEC;\nEND-ISO-10303-21;\n")
    assert scan_references(path).dangling == {1: (0,), 7: (0,)}
    with pytest.raises(ModelError):
        open_model(path)


@pytest.mark.parametrize("items", [b"5", b".T.", b"'x'", b"$"])
def test_a_representation_whose_items_are_not_a_list_fails_its_element(tmp_path, items):
    # Found by review: the boolean check iterated a number (TypeError, exit 3).
    whole = open_model(QTO)
    owner = next(p for p in whole.file.by_type("IfcProduct") if p.Representation is not None
                 and any(r.id() == 37 for r in p.Representation.Representations))
    data = QTO.read_bytes()
    line = b"#37=IFCSHAPEREPRESENTATION(#12,'Body','SweptSolid',(#36));"
    assert line in data
    path = tmp_path / "items.ifc"
    path.write_bytes(data.replace(line, line.replace(b"(#36)", items)))
    geometry = tessellate(open_model(path), cache=None)
    failed = {f.global_id: f.reason for f in geometry.failures}
    assert owner.GlobalId in failed
    assert owner.GlobalId not in geometry.meshes
    proc = _info(path)
    assert proc.returncode == 0, proc.stderr


def test_a_reference_after_a_commented_quote_is_still_seen(tmp_path):
    path = tmp_path / "c.ifc"
    path.write_bytes(b"ISO-10303-21;\nHEADER;\nENDSEC;\nDATA;\n/* the writer's note */\n"
                     b"#1=IFCX(#2);\n#3=IFCY('#4 is text',#5);\nENDSEC;\nEND-ISO-10303-21;\n")
    assert scan_references(path).dangling == {2: (1,), 5: (3,)}


def test_every_entity_holding_a_non_finite_number_is_kept_however_many(tmp_path):
    # Found by review: past 10,000 the rest were dropped, so an element using
    # a later one reached the kernel.
    lines = b"".join(b"#%d=IFCCARTESIANPOINT((-NAN,0.,0.));\n" % i for i in range(1, 12_001))
    path = tmp_path / "many.ifc"
    header = QTO.read_bytes()[:QTO.read_bytes().index(b"DATA;")]
    path.write_bytes(header + b"DATA;\n" + lines
                     + b"#99999=IFCCARTESIANPOINT((-INF,0.,0.));\n"
                     + b"".join(b"#%d=IFCX(#0);\n" % (100_000 + i) for i in range(12_000))
                     + b"ENDSEC;\nEND-ISO-10303-21;\n")
    integrity = scan_references(path)
    assert len(integrity.non_finite) == 12_001 and integrity.non_finite[-1] == 99999
    assert integrity.dangling == {0: tuple(range(100_000, 112_000))}
    held = open_model(path, require_geometry=False).integrity.non_finite
    assert len(held) == 12_001 and held[-1] == 99999


@pytest.mark.parametrize(("gid", "shown"), [(b"12345", "the number 12345"),
                                            (b"#12", "#12 IfcGeometricRepresentationSubContext"),
                                            (b"('a','b')", "a tuple"),
                                            (b".T.", "the boolean .T.")])
def test_a_global_id_that_is_not_text_names_the_entity(tmp_path, gid, shown):
    # Found by review: a number as GlobalId ended in "'<' not supported
    # between 'str' and 'int'" (exit 3) when elements were sorted.
    path = _edited(tmp_path, "gid.ifc", lambda d: d.replace(
        b"#28=IFCWALL('0xw4eCx0TMnwDjsvQDh5qs',", b"#28=IFCWALL(%s," % gid, 1))
    with pytest.raises(BrokenModelError) as info:
        open_model(path)
    assert str(info.value) == (f"{path}: #28 IfcWall has {shown} as its GlobalId, where IFC "
                               "requires text")
    proc = _info(path)
    assert proc.returncode == 2 and proc.stderr.strip().endswith("where IFC requires text")


@pytest.mark.parametrize(("edit", "why"), [
    (lambda d: d.replace(_line(d, 179) + b"\n", b""),
     "its RelatingMaterial refers to an entity that is not in the file"),
    (lambda d: d.replace(b",(#166),#179);", b",(#166),#166);"),
     "its RelatingMaterial is #166 IfcBeam, not an IfcMaterialDefinition or"),
])
def test_a_material_relationship_without_its_material_is_set_aside(tmp_path, edit, why):
    # Found by the long fuzz run: `check` measured densities through it and
    # ended in "'NoneType' object has no attribute 'is_a'" (exit 3).
    import logging

    path = _edited(tmp_path, "material.ifc", edit)
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda r: records.append(r.getMessage())
    logging.getLogger("bimcheck").addHandler(handler)
    try:
        model = open_model(path)
    finally:
        logging.getLogger("bimcheck").removeHandler(handler)
    assert any(f"#180 IfcRelAssociatesMaterial: {why}" in r for r in records), records
    assert not model.file.by_type("IfcRelAssociatesMaterial")
    proc = subprocess.run([sys.executable, "-m", "bimcheck.cli", "check", str(path),
                           "--no-history", "--no-cache", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr


def test_an_entity_of_an_unknown_class_fails_what_uses_it(tmp_path):
    # Found by the long fuzz run: the parser drops an entity of a class not
    # in the schema, and "Instance #37 not found" ended `check` (exit 3).
    whole = open_model(QTO)
    owner = next(p for p in whole.file.by_type("IfcProduct") if p.Representation is not None
                 and any(r.id() == 37 for r in p.Representation.Representations))
    path = _edited(tmp_path, "unknown.ifc", lambda d: d.replace(
        b"#37=IFCSHAPEREPRESENTATION(", b"#37=IFCNOSUCHTHING(", 1))
    model = open_model(path)
    assert model.integrity.unread == {37: (owner.Representation.id(),)}
    assert model.integrity.dangling == {}
    geometry = tessellate(model, cache=None)
    failed = {f.global_id: f.reason for f in geometry.failures}
    assert failed == {owner.GlobalId: "its geometry refers to #37, which the parser could not "
                                      "read"}
    assert len(geometry.meshes) == len(tessellate(whole, cache=None).meshes) - 1
    proc = subprocess.run([sys.executable, "-m", "bimcheck.cli", "check", str(path),
                           "--no-history", "--no-cache", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr


@pytest.mark.parametrize(("old", "new", "rel", "why"), [
    (b"$,#28,#42);", b"$,(#28),#42);", 43,
     "its RelatingBuildingElement is a list, against the schema"),
    (b",(#28,#70,#84,#111,#125,#166,#181),#23);", b",(#28,#70,#84,#111,#125,#166,#181),(#23));",
     29, "its RelatingStructure is a list, against the schema"),
    (b"$,$,$,#1,(#13));", b"$,$,$,(#1),(#13));", 14,
     "its RelatingObject is a list, against the schema"),
    (b"$,$,$,#1,(#13));", b"$,$,$,#1,#13);", 14, "its RelatedObjects is not a list, against the "
                                                "schema"),
])
def test_a_relationship_end_of_the_wrong_arity_is_set_aside(tmp_path, old, new, rel, why):
    # Found by review: (#28) as the wall an opening voids ended `check` in
    # "'tuple' object has no attribute 'id'" (exit 3).
    import logging

    data = QTO.read_bytes()
    assert data.count(old) == 1
    path = tmp_path / "arity.ifc"
    path.write_bytes(data.replace(old, new))
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda r: records.append(r.getMessage())
    logging.getLogger("bimcheck").addHandler(handler)
    try:
        open_model(path)
    finally:
        logging.getLogger("bimcheck").removeHandler(handler)
    assert any(f"#{rel} " in r and why in r for r in records), records
    proc = subprocess.run([sys.executable, "-m", "bimcheck.cli", "check", str(path),
                           "--no-history", "--no-cache", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr


def test_a_relationship_cut_short_swallowing_the_next_lines_fails_cleanly(tmp_path):
    # Found by the long fuzz run: "(#203)" without its closing parenthesis
    # makes the parser read the following lines into the relationship; the
    # relationship is set aside, and walking up from the entities it swallowed
    # raised "Instance #204 not found" (exit 3).
    data = (SAMPLES / "frame_4d.ifc").read_bytes()
    line = b"#204=IFCRELNESTS('1T_Uh9_ZbVhhoR4mo$UOT2',$,$,$,#201,(#203,#206));"
    assert line in data
    path = tmp_path / "cut.ifc"
    path.write_bytes(data.replace(line, line.replace(b",(#203,#206));", b",(#203);")))
    model = open_model(path)
    assert model.integrity.unread  # what the cut relationship swallowed
    tessellate(model, cache=None)
    proc = subprocess.run([sys.executable, "-m", "bimcheck.cli", "check", str(path),
                           "--no-history", "--no-cache", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
