"""IDS checking on tiny hand-made models and IDS files with known answers.

Each case ifctester 0.9.0 gets wrong has a test here, with a comment saying
what ifctester does; the official buildingSMART cases run in
``tests/shared/test_ids_testcases.py``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import ifcopenshell
import ifcopenshell.api
import pytest

from bimcheck.errors import IdsError
from bimcheck.ids import IdsFailure, check_ids, load_ids
from bimcheck.ids import load as ids_load
from bimcheck.ids.values import IdsValue, real_interval, simple_matches
from bimcheck.model import Model, open_model

HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<ids xmlns="http://standards.buildingsmart.org/IDS" '
    'xmlns:xs="http://www.w3.org/2001/XMLSchema">'
    "<info><title>Hand-made</title></info><specifications>"
)
TAIL = "</specifications></ids>"

WALL = "<entity><name><simpleValue>IFCWALL</simpleValue></name></entity>"


def sv(text: str) -> str:
    """A ``simpleValue``."""
    return f"<simpleValue>{text}</simpleValue>"


def spec(
    requirements: str = "",
    *,
    applicability: str = WALL,
    name: str = "Walls",
    versions: str = "IFC4",
    occurs: str = 'minOccurs="1" maxOccurs="unbounded"',
    identifier: str | None = None,
) -> str:
    """One ``<specification>``."""
    ident = f' identifier="{identifier}"' if identifier else ""
    req = f"<requirements>{requirements}</requirements>" if requirements else ""
    return (
        f'<specification name="{name}" ifcVersion="{versions}"{ident}>'
        f"<applicability {occurs}>{applicability}</applicability>{req}</specification>"
    )


def prop(pset: str, name: str, value: str | None = None, data_type: str | None = None,
         cardinality: str | None = None) -> str:
    """A property facet; ``value`` is raw XML (``sv(...)`` or a restriction)."""
    attrs = (f' dataType="{data_type}"' if data_type else "") + (
        f' cardinality="{cardinality}"' if cardinality else "")
    val = f"<value>{value}</value>" if value is not None else ""
    return (f"<property{attrs}><propertySet>{sv(pset)}</propertySet>"
            f"<baseName>{sv(name)}</baseName>{val}</property>")


def attr(name: str, value: str | None = None, cardinality: str | None = None) -> str:
    """An attribute facet; ``value`` is raw XML."""
    card = f' cardinality="{cardinality}"' if cardinality else ""
    val = f"<value>{value}</value>" if value is not None else ""
    return f"<attribute{card}><name>{sv(name)}</name>{val}</attribute>"


def restriction(base: str, **facets: str | list[str]) -> str:
    """An ``xs:restriction`` with facets such as ``minInclusive="0"``."""
    body = ""
    for kind, values in facets.items():
        for v in values if isinstance(values, list) else [values]:
            body += f'<xs:{kind} value="{v}"/>'
    return f'<xs:restriction base="xs:{base}">{body}</xs:restriction>'


@pytest.fixture
def write_ids(tmp_path: Path):
    """Write specifications into an IDS file; returns its path."""

    def write(*specs: str, name: str = "test.ids") -> Path:
        path = tmp_path / name
        path.write_text(HEAD + "".join(specs) + TAIL, encoding="utf-8")
        return path

    return write


def _model(tmp_path: Path, build, schema: str = "IFC4") -> Model:
    f = ifcopenshell.api.run("project.create_file", version=schema)
    ifcopenshell.api.run("root.create_entity", f, ifc_class="IfcProject", name="P")
    build(f)
    path = tmp_path / f"model-{len(list(tmp_path.glob('model-*.ifc')))}.ifc"
    f.write(str(path))
    return open_model(path, require_geometry=False)


def _wall(f: ifcopenshell.file, name: str | None = "W1", **props) -> ifcopenshell.entity_instance:
    wall = ifcopenshell.api.run("root.create_entity", f, ifc_class="IfcWall")
    wall.Name = name
    if props:
        pset = ifcopenshell.api.run("pset.add_pset", f, product=wall, name="Foo_Bar")
        ifcopenshell.api.run("pset.edit_pset", f, pset=pset, properties=props)
    return wall


def _real_wall(value: float):
    def build(f: ifcopenshell.file) -> None:
        wall = _wall(f)
        pset = f.createIfcPropertySet(
            ifcopenshell.guid.new(), None, "Foo_Bar", None,
            [f.createIfcPropertySingleValue("Foo", None, f.createIfcReal(value), None)])
        f.createIfcRelDefinesByProperties(ifcopenshell.guid.new(), None, None, None, [wall], pset)
    return build


def _refraction(value: float):
    def build(f: ifcopenshell.file) -> None:
        f.createIfcSurfaceStyleRefraction(value, None)
    return build


REFRACTION = "<entity><name><simpleValue>IFCSURFACESTYLEREFRACTION</simpleValue></name></entity>"


# -- values: the IDS 1.0 real tolerance ------------------------------------------------

# The official tolerance cases: (IDS value, model value, matches). ifctester
# applies only the relative 1e-6 (no absolute 1e-6), so it fails every "True"
# case at the edge of the interval and every one around zero.
TOLERANCE = [
    ("1.", 0.999998, True), ("1.", 0.9999979, False),
    ("1.", 1.000002, True), ("1.", 1.0000021, False),
    ("-1.", -1.000002, True), ("-1.", -1.00000200001, False),
    ("-1.", -0.999998, True), ("-1.", -0.9999979, False),
    ("0.", -0.000001, True), ("0.", -0.0000011, False),
    ("0.", 0.000001, True), ("0.", 0.0000011, False),
    ("0.0000001", -0.0000009000001, True), ("0.0000001", -0.00000090000011, False),
    ("0.0000001", 0.0000011000001, True), ("0.0000001", 0.00000110000011, False),
    ("100000.", 99999.899999, True), ("100000.", 99999.8999989, False),
    ("100000.", 100000.100001, True), ("100000.", 100000.1000011, False),
    ("-1000000.", -1000001.000001, True), ("-1000000.", -1000001.0000011, False),
    ("-1000000.", -999998.999999, True), ("-1000000.", -999998.9999989, False),
]


@pytest.mark.parametrize(("expected", "actual", "matches"), TOLERANCE)
def test_real_tolerance(expected: str, actual: float, matches: bool):
    assert simple_matches(expected, actual) is matches


def test_real_interval_is_exact_decimal():
    assert real_interval(Decimal("1")) == (Decimal("0.999998"), Decimal("1.000002"))
    assert real_interval(Decimal("-1")) == (Decimal("-1.000002"), Decimal("-0.999998"))
    assert real_interval(Decimal("0")) == (Decimal("-0.000001"), Decimal("0.000001"))


# Bounds: inclusive ones reach to the far edge of the bound's interval,
# exclusive ones start beyond it. ifctester compares bounds exactly, so it
# fails minInclusive 0 on -1e-6 and passes minExclusive 0 on 9e-7.
BOUNDS = [
    ("minInclusive", -0.000001, True), ("minInclusive", -0.0000011, False),
    ("minExclusive", 0.0000011, True), ("minExclusive", 0.0000009, False),
    ("maxInclusive", 0.000001, True), ("maxInclusive", 0.0000011, False),
    ("maxExclusive", -0.0000011, True), ("maxExclusive", -0.0000009, False),
]


@pytest.mark.parametrize(("kind", "actual", "matches"), BOUNDS)
def test_real_bounds_around_zero(kind: str, actual: float, matches: bool):
    value = IdsValue(base="double", options={kind: "0."})
    assert value.matches(actual) is matches


def test_integers_compare_exactly_and_text_case_sensitively():
    assert simple_matches("42", 42) and not simple_matches("42", 43)
    assert simple_matches("42.0", 42)  # a property without dataType: same number
    assert simple_matches("Foobar", "Foobar") and not simple_matches("Foobar", "foobar")
    assert simple_matches("true", True) and simple_matches("false", False)
    assert not simple_matches("TRUE", True)
    assert not simple_matches("42", "42.0")  # text is text
    assert not IdsValue("x").matches(None)


def test_enumeration_of_reals_uses_the_tolerance():
    value = IdsValue(base="double", options={"enumeration": ["42", "43"]})
    assert value.matches(42.0000001) and value.matches(43.0) and not value.matches(42.5)


def test_pattern_matches_only_text_and_the_whole_of_it():
    value = IdsValue(base="string", options={"pattern": "[A-Z]{2}[0-9]{2}"})
    assert value.matches("AB12") and not value.matches("AB123") and not value.matches(12)


# -- the corrected cases end to end ----------------------------------------------------


def test_real_property_at_the_tolerance_edge_passes(tmp_path, write_ids):
    # ifctester: 0.999998 fails "1." (relative tolerance only).
    doc = load_ids(write_ids(spec(prop("Foo_Bar", "Foo", sv("1."), "IFCREAL"))))
    assert check_ids(_model(tmp_path, _real_wall(0.999998)), doc).passed
    assert not check_ids(_model(tmp_path, _real_wall(0.9999979)), doc).passed


def test_exclusive_bound_within_the_tolerance_fails(tmp_path, write_ids):
    # ifctester: 9e-7 passes minExclusive 0 (no tolerance on bounds).
    value = restriction("double", minExclusive="0.")
    doc = load_ids(write_ids(spec(prop("Foo_Bar", "Foo", value, "IFCREAL"))))
    result = check_ids(_model(tmp_path, _real_wall(0.0000009)), doc)
    assert not result.passed
    assert result.failures[0].message == "Foo_Bar.Foo is 9e-07, expected > 0."
    assert check_ids(_model(tmp_path, _real_wall(0.0000011)), doc).passed


def test_inclusive_bound_within_the_tolerance_passes(tmp_path, write_ids):
    # ifctester: -1e-6 fails minInclusive 0 (no tolerance on bounds).
    value = restriction("double", minInclusive="0.")
    doc = load_ids(write_ids(spec(prop("Foo_Bar", "Foo", value, "IFCREAL"))))
    assert check_ids(_model(tmp_path, _real_wall(-0.000001)), doc).passed


def test_attribute_tolerance(tmp_path, write_ids):
    # ifctester: the attribute facet has the same relative-only tolerance.
    doc = load_ids(write_ids(spec(attr("RefractionIndex", sv("1.")), applicability=REFRACTION)))
    assert check_ids(_model(tmp_path, _refraction(1.000002)), doc).passed
    assert not check_ids(_model(tmp_path, _refraction(1.0000021)), doc).passed


def test_optional_attribute_passes_if_null(tmp_path, write_ids):
    # ifctester: a null Name fails an optional attribute facet ("is empty").
    doc = load_ids(write_ids(spec(attr("Name", sv("Foobar"), cardinality="optional"))))
    assert check_ids(_model(tmp_path, lambda f: _wall(f, name=None)), doc).passed
    # ... but an empty string is a value, and it does not match
    assert not check_ids(_model(tmp_path, lambda f: _wall(f, name="")), doc).passed
    assert check_ids(_model(tmp_path, lambda f: _wall(f, name="Foobar")), doc).passed


def test_optional_specification_with_optional_facet(tmp_path, write_ids):
    # ifctester: fails, as above, on the null Description.
    doc = load_ids(write_ids(spec(
        attr("Name", sv("Waldo")) + attr("Description", sv("Foobar"), cardinality="optional"),
        occurs='minOccurs="0" maxOccurs="unbounded"', versions="IFC2X3")))
    assert check_ids(_model(tmp_path, lambda f: _wall(f, name="Waldo")), doc).passed


def test_unit_conversion_then_tolerance(tmp_path, write_ids):
    # a length of 2000.0000001 mm is 2 m within the tolerance
    def build(f):
        ifcopenshell.api.run("unit.assign_unit", f)  # millimetres
        wall = _wall(f)
        pset = f.createIfcPropertySet(
            ifcopenshell.guid.new(), None, "Foo_Bar", None,
            [f.createIfcPropertySingleValue("Foo", None, f.createIfcLengthMeasure(2000.0000001),
                                            None)])
        f.createIfcRelDefinesByProperties(ifcopenshell.guid.new(), None, None, None, [wall], pset)

    doc = load_ids(write_ids(spec(prop("Foo_Bar", "Foo", sv("2"), "IFCLENGTHMEASURE"))))
    assert check_ids(_model(tmp_path, build), doc).passed


# -- results -----------------------------------------------------------------------------


def test_failures_name_specification_requirement_and_entity(tmp_path, write_ids):
    path = write_ids(spec(
        prop("Pset_WallCommon", "FireRating"), name="Walls need fire rating", identifier="FR-1"))
    model = _model(tmp_path, lambda f: (_wall(f, "A"), _wall(f, "B")))
    result = check_ids(model, load_ids(path))
    assert result.document == "test.ids" and not result.passed
    assert result.specifications == [{
        "name": "Walls need fire rating", "id": "FR-1",
        "applicable": 2, "passed": 0, "failed": 2, "status": "fail"}]
    walls = sorted(model.file.by_type("IfcWall"), key=lambda w: w.GlobalId)
    assert [f.global_id for f in result.failures] == [w.GlobalId for w in walls]
    first = result.failures[0]
    assert first == IdsFailure(
        specification="Walls need fire rating", specification_id="FR-1",
        requirement="Pset_WallCommon.FireRating is required",
        global_id=walls[0].GlobalId, ifc_class="IfcWall", step_id=walls[0].id(),
        message="property set Pset_WallCommon is missing", severity_hint="required")


def test_one_failure_per_requirement_and_entity(tmp_path, write_ids):
    doc = load_ids(write_ids(spec(
        prop("Foo_Bar", "Foo", sv("x"), "IFCLABEL") + attr("Description"))))
    model = _model(tmp_path, lambda f: (_wall(f, "A", Foo="y"), _wall(f, "B", Foo="x")))
    result = check_ids(model, doc)
    assert result.specifications[0] | {"id": ""} == {
        "name": "Walls", "id": "", "applicable": 2, "passed": 0, "failed": 2, "status": "fail"}
    assert sorted((f.requirement, f.message) for f in result.failures) == [
        ("Foo_Bar.Foo = 'x' of type IFCLABEL is required", "Foo_Bar.Foo is 'y', expected 'x'"),
        ("attribute Description is required", "attribute Description has no value (null)"),
        ("attribute Description is required", "attribute Description has no value (null)"),
    ]
    keys = [(f.specification_id, f.global_id or "", f.requirement) for f in result.failures]
    assert keys == sorted(keys)


def test_required_specification_with_nothing_applicable(tmp_path, write_ids):
    doc = load_ids(write_ids(spec(attr("Name"))))
    result = check_ids(_model(tmp_path, lambda f: None), doc)
    (failure,) = result.failures
    assert failure.global_id is None and failure.requirement == "" and failure.step_id is None
    assert failure.severity_hint == "required"
    assert failure.message == (
        "no entity matches the applicability (class IFCWALL), "
        "but the specification requires at least 1")


def test_optional_specification_with_nothing_applicable_passes(tmp_path, write_ids):
    doc = load_ids(write_ids(spec(attr("Name"), occurs='minOccurs="0" maxOccurs="unbounded"')))
    result = check_ids(_model(tmp_path, lambda f: None), doc)
    assert result.passed and result.specifications[0]["applicable"] == 0


def test_prohibited_specification_names_the_entities(tmp_path, write_ids):
    doc = load_ids(write_ids(spec(occurs='minOccurs="0" maxOccurs="0"')))
    model = _model(tmp_path, lambda f: _wall(f))
    (failure,) = check_ids(model, doc).failures
    gid = model.file.by_type("IfcWall")[0].GlobalId
    assert failure.global_id is None and failure.severity_hint == "prohibited"
    assert failure.message == (
        "1 entity matches the applicability (class IFCWALL), which this specification "
        f"prohibits: IfcWall {gid}")
    assert check_ids(_model(tmp_path, lambda f: None), doc).passed


def test_entity_without_global_id(tmp_path, write_ids):
    doc = load_ids(write_ids(spec(attr("RefractionIndex", sv("2")), applicability=REFRACTION)))
    (failure,) = check_ids(_model(tmp_path, _refraction(1.5)), doc).failures
    assert failure.global_id is None and failure.ifc_class == "IfcSurfaceStyleRefraction"
    assert failure.step_id is not None and failure.requirement


def test_ifc_version_is_metadata(tmp_path, write_ids):
    # an IFC2X3-only specification still checks an IFC4 model (official case
    # "specification version is purely metadata")
    doc = load_ids(write_ids(spec(attr("Name", sv("Waldo")), versions="IFC2X3")))
    assert not check_ids(_model(tmp_path, lambda f: _wall(f, "Other")), doc).passed


def test_one_document_checks_several_models(tmp_path, write_ids):
    doc = load_ids(write_ids(spec(attr("Name", sv("Waldo")))))
    good = _model(tmp_path, lambda f: _wall(f, "Waldo"))
    bad = _model(tmp_path, lambda f: _wall(f, "Other"))
    assert not check_ids(bad, doc).passed
    assert check_ids(good, doc).passed
    assert len(check_ids(bad, doc).failures) == 1


def test_specification_ids_are_stable(write_ids):
    body = spec(attr("Name"), name="Named walls")
    first = load_ids(write_ids(body, name="a.ids")).specifications[0].spec_id
    again = load_ids(write_ids(spec(attr("Description"), name="Other") + body, name="b.ids"))
    assert first.startswith("S") and len(first) == 13
    int(first[1:], 16)
    # the same name and applicability give the same id, wherever the specification is
    assert again.specifications[1].spec_id == first
    assert again.specifications[0].spec_id != first
    twins = load_ids(write_ids(body, body, name="c.ids")).specifications
    assert [s.spec_id for s in twins] == [first, f"{first}-2"]
    named = load_ids(write_ids(spec(attr("Name"), identifier="W-01"), name="d.ids"))
    assert named.specifications[0].spec_id == "W-01"


def test_document_fields(write_ids):
    doc = load_ids(write_ids(spec(attr("Name"))))
    assert doc.title == "Hand-made" and doc.path.name == "test.ids"
    assert [s.name for s in doc.specifications] == ["Walls"]
    assert doc.ids is not None and doc.ids.specifications == doc.specifications


# -- invalid IDS: the XSD cannot say these; ifctester accepts them all -------------------

INVALID = {
    "prohibited with requirements": (
        spec(attr("Name", sv("Waldo")), occurs='minOccurs="0" maxOccurs="0"'),
        "requirements", "cannot have requirements"),
    "lower-case entity": (
        spec(applicability="<entity><name><simpleValue>IfcWall</simpleValue></name></entity>"),
        "applicability: entity facet: name", "must be written in upper case"),
    "unknown entity": (
        spec(applicability="<entity><name><simpleValue>IFCRABBIT</simpleValue></name></entity>"),
        "entity facet: name", "IFCRABBIT is not an IFC class in IFC4"),
    "requirement entity never met": (
        spec("<entity><name><simpleValue>IFCSLAB</simpleValue></name></entity>"),
        "requirements: entity facet: name", "never accepts"),
    "unknown attribute": (
        spec(attr("ActingRole")), "attribute facet: name", "not an attribute of IFCWALL"),
    "inverse attribute": (
        spec(attr("ContainedInStructure")), "attribute facet: name", "inverse attribute"),
    "value on an object attribute": (
        spec(attr("OwnerHistory", sv("x"))), "attribute facet: value", "refers to an object"),
    "real written with a comma": (
        spec(attr("RefractionIndex", sv("42,3")), applicability=REFRACTION),
        "attribute facet: value", "'42,3' is not a valid value"),
    "integer with a decimal point": (
        spec(prop("Foo_Bar", "Foo", sv("42.0"), "IFCINTEGER")),
        "property facet: value", "write an integer"),
    "upper-case boolean": (
        spec(prop("Foo_Bar", "Foo", sv("TRUE"), "IFCBOOLEAN")),
        "property facet: value", "true or false, in lower case"),
    "pattern on a number": (
        spec(attr("RefractionIndex", restriction("string", pattern=".*")),
             applicability=REFRACTION),
        "attribute facet: value", "a pattern only applies to text"),
    "unknown data type": (
        spec(prop("Foo_Bar", "Foo", None, "IFCRABBITMEASURE")),
        "property facet: dataType", "not an IFC data type"),
    "predefined type of a class without one": (
        spec("<partOf relation=\"IFCRELASSIGNSTOGROUP\"><entity><name>"
             "<simpleValue>IFCINVENTORY</simpleValue></name><predefinedType>"
             "<simpleValue>X</simpleValue></predefinedType></entity></partOf>",
             versions="IFC2X3 IFC4"),
        "partOf facet: predefinedType", "IFCINVENTORY has no predefined type in IFC2X3"),
    "bad pattern": (
        spec(attr("Name", restriction("string", pattern="[a-"))),
        "attribute facet: value", "not a valid XSD regular expression"),
    "bound not a number": (
        spec(attr("Name", restriction("double", minInclusive="abc"))),
        "attribute facet: value", "minInclusive 'abc' is not a number"),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_ids_is_refused(case: str, write_ids):
    body, field, words = INVALID[case]
    path = write_ids(body)
    with pytest.raises(IdsError) as excinfo:
        load_ids(path)
    err = excinfo.value
    assert field in (err.field or ""), err
    assert words in err.message, err
    assert str(err).startswith(f"{path}: specification 'Walls': ")
    assert "\n" not in str(err)


def test_valid_ids_accepted(write_ids):
    """Rules that must not refuse valid IDS: an IFC2X3 wall's predefined type
    lives on its type object; a name pattern may match; an enumeration of
    numbers for a real; a select attribute without a value."""
    doc = load_ids(write_ids(
        spec("<entity><name><simpleValue>IFCWALL</simpleValue></name><predefinedType>"
             "<simpleValue>SOLIDWALL</simpleValue></predefinedType></entity>",
             versions="IFC2X3 IFC4"),
        spec("<entity><name>" + restriction("string", pattern="IFC.*") + "</name></entity>",
             name="Any class"),
        spec(attr("RefractionIndex", restriction("double", enumeration=["42", "43"])),
             applicability=REFRACTION, name="Refraction"),
        spec(attr("DiffuseColour"), name="Rendering", applicability=(
            "<entity><name><simpleValue>IFCSURFACESTYLERENDERING</simpleValue></name></entity>")),
        spec(prop("Pset_WallCommon", "IsExternal", sv("true"), "IFCBOOLEAN"), name="External"),
    ))
    assert len(doc.specifications) == 5


# -- reading safely -----------------------------------------------------------------------

HOSTILE = {
    "empty": (b"", "the file is empty"),
    "not XML": (b"hello world", "not well-formed XML"),
    "a path as content": (b"/etc/passwd", "not well-formed XML"),
    "wrong root": (b"<?xml version='1.0'?><foo/>", "the root element is <foo>, expected <ids>"),
    "no namespace": (b"<ids/>", "the root <ids> is in namespace ''"),
    "billion laughs": (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b'<ids xmlns="http://standards.buildingsmart.org/IDS">&b;</ids>',
        "declares entities"),
    "external entity": (
        b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<ids xmlns="http://standards.buildingsmart.org/IDS"><info><title>&x;</title></info>'
        b"</ids>",
        "declares entities"),
    "binary": (bytes(range(256)) * 4, "not well-formed XML"),
    "unknown encoding": (b'<?xml version="1.0" encoding="rabbit-8"?><ids/>', "not well-formed XML"),
    "deep nesting": (
        b"<ids xmlns='http://standards.buildingsmart.org/IDS'>" + b"<a>" * 5000
        + b"</a>" * 5000 + b"</ids>",
        "nested too deeply"),
    "not IDS 1.0": (
        (HEAD + '<specification ifcVersion="IFC4"><applicability/></specification>' + TAIL)
        .encode(),
        "does not conform to the IDS 1.0 schema"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_input_is_refused(case: str, tmp_path: Path):
    data, words = HOSTILE[case]
    path = tmp_path / "x.ids"
    path.write_bytes(data)
    with pytest.raises(IdsError) as excinfo:
        load_ids(path)
    assert words in str(excinfo.value)
    assert str(excinfo.value).startswith(f"{path}: ")


def test_xsd_error_names_the_specification(write_ids):
    path = write_ids(spec(attr("Name")).replace("<applicability ", "<applicability foo='1' "))
    with pytest.raises(IdsError) as excinfo:
        load_ids(path)
    assert excinfo.value.field == "specification 'Walls'"


def test_size_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(ids_load, "MAX_IDS_BYTES", 1024)
    path = tmp_path / "big.ids"
    path.write_bytes((HEAD + " " * 2000 + TAIL).encode())
    with pytest.raises(IdsError, match="larger than"):
        load_ids(path)


def test_missing_file_and_folder(tmp_path: Path):
    with pytest.raises(IdsError, match="file not found"):
        load_ids(tmp_path / "nope.ids")
    with pytest.raises(IdsError, match="not a regular file"):
        load_ids(tmp_path)
