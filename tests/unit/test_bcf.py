"""BCF 2.1 export: read back with bcf-client, schema order, stable GUIDs, determinism."""

from __future__ import annotations

import copy
import dataclasses
import io
import math
import re
import types
import typing
import uuid
import zipfile
from collections import Counter
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

import bcf.v2.model as mdl
import pytest
from bcf.v2.bcfxml import BcfXml
from xsdata.models.datatype import XmlDateTime

from bimcheck.errors import OutputError
from bimcheck.report.bcf import (
    TOPIC_NAMESPACE,
    bcf_bytes,
    camera,
    topic_guid,
    topics_bcf,
    write_bcf,
    xml_safe,
)

CREATED = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
DUCT = "2O2Fr$t4X7Zf8NOew3FLOH"
BEAM1 = "1hqIFTRjfV6AWq_bMtnZwI"
BEAM2 = "3cUkl32yn9qRSPvBJVyWYp"
PIPE = "0EF_VKtXz4Bf3uYoNiiSCx"
WALL = "2AzF8J_Nn0ywxmVBO2RyRs"
EVIL = "BM <&\x01> 'mid'"  # XML-special and a control character


def _el(gid, cls, name, disc, model):
    return {"global_id": gid, "ifc_class": cls, "name": name, "storey": "Level 1",
            "discipline": disc, "model": model}  # fmt: skip


def _clash(key, rule, kind, a, b, group, loc, **kw):
    c = {"key": key, "rule": rule, "kind": kind, "relation": kind, "severity": "high",
         "group": group, "exact": True, "a": a, "b": b, "overlap_volume": 0.0012,
         "penetration_depth": 0.05, "distance": 0.0, "location": loc, "point_a": None,
         "point_b": None, "storey": "Level 1"}  # fmt: skip
    c.update(kw)
    return c


@pytest.fixture
def report():
    duct = _el(DUCT, "IfcDuctSegment", "DUCT-1", "MEP", "mep.ifc")
    c1 = _clash("1" * 32, "CL001", "hard", _el(BEAM1, "IfcBeam", EVIL, "Structure", "arc.ifc"),
                duct, "a" * 16, [1.0, 2.0, 3.0])  # fmt: skip
    c2 = _clash("2" * 32, "CL001", "hard", _el(BEAM2, "IfcBeam", "BM-2", "Structure", "arc.ifc"),
                duct, "a" * 16, [21.0, 2.0, 3.0])  # fmt: skip
    c3 = _clash("3" * 32, "CL002", "clearance", _el(PIPE, "IfcPipeSegment", None, "MEP", "mep.ifc"),
                _el(WALL, "IfcWall", "W-7", "Architecture", "arc.ifc"), "b" * 16,
                [5.0, 5.0, 1.0], severity="medium", relation="clearance", overlap_volume=0.0,
                penetration_depth=0.0, distance=0.02, exact=False,
                point_a=[5.0, 5.0, 0.99], point_b=[5.0, 5.0, 1.01])  # fmt: skip
    groups = [
        {"id": "a" * 16, "rule": "CL001", "by": "element", "element": DUCT, "storey": "Level 1",
         "clashes": [c1["key"], c2["key"]], "elements": sorted([DUCT, BEAM1, BEAM2]),
         "severity": "high", "location": [11.0, 2.0, 3.0]},
        {"id": "b" * 16, "rule": "CL002", "by": "cluster", "element": None, "storey": "Level 1",
         "clashes": [c3["key"]], "elements": sorted([PIPE, WALL]), "severity": "medium",
         "location": [5.0, 5.0, 1.0]},
    ]  # fmt: skip
    return {
        "tool": {"name": "bimcheck", "version": "0.1.0", "command": "clash"},
        "models": [{"path": "models/arc.ifc"}, {"path": "models/mep.ifc"}],
        "rules": [
            {"id": "CL001", "name": "Ducts through beams", "kind": "hard"},
            {"id": "CL002", "name": "Pipe clearance", "kind": "clearance"},
        ],
        "clashes": [c1, c2, c3],
        "groups": groups,
    }


def _load(tmp_path, report, **kw):
    path = write_bcf(report, tmp_path / "clashes.bcfzip", created=CREATED, **kw)
    return BcfXml.load(path)


def _vec(v):
    return (v.x, v.y, v.z)


def _check_camera(cam, location):
    view, d, up = (
        _vec(cam.camera_view_point),
        _vec(cam.camera_direction),
        _vec(cam.camera_up_vector),
    )
    assert math.isclose(math.hypot(*d), 1.0, abs_tol=1e-12)
    assert math.isclose(math.hypot(*up), 1.0, abs_tol=1e-12)
    assert abs(sum(a * b for a, b in zip(d, up, strict=True))) < 1e-12
    assert up[2] > 0
    t = sum((loc - v) * di for loc, v, di in zip(location, view, d, strict=True))
    assert t >= 5.0  # in front of the camera, at least 5 m away
    closest = [v + t * di for v, di in zip(view, d, strict=True)]
    assert math.dist(closest, location) < 1e-6
    assert view[2] > location[2]  # from above
    assert cam.field_of_view == 60.0
    return t


# --- schema conformance, from bcf-client's models generated from the BCF 2.1 XSDs ----------


def _inner(tp):
    """The element type behind Optional[...] / list[...]."""
    while typing.get_origin(tp) in (list, typing.Union, types.UnionType):
        tp = next(a for a in typing.get_args(tp) if a is not type(None))
    return tp


def _simple_errors(text, f, tp, where):
    meta, errors = f.metadata, []
    if "pattern" in meta and not re.fullmatch(meta["pattern"], text):
        errors.append(f"{where}: {text!r} does not match {meta['pattern']}")
    if "length" in meta and len(text) != meta["length"]:
        errors.append(f"{where}: length of {text!r} is not {meta['length']}")
    try:
        if tp is float:
            x = float(text)
            if not meta.get("min_inclusive", -math.inf) <= x <= meta.get("max_inclusive", math.inf):
                errors.append(f"{where}: {x} out of range")
        elif tp is int:
            int(text)
        elif tp is bool and text not in ("true", "false", "1", "0"):
            errors.append(f"{where}: {text!r} is not a boolean")
        elif tp is XmlDateTime:
            XmlDateTime.from_string(text)
    except ValueError as exc:
        errors.append(f"{where}: {exc}")
    return errors


def _schema_errors(elem, cls, where=""):
    """Check ``elem`` against the xsdata dataclass ``cls``: known attributes and
    children only, children in the XSD sequence order, no repeats of single
    elements, required ones present, simple values of the right type/pattern."""
    where = f"{where}/{elem.tag}"
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)
    attrs = {f.metadata["name"]: f for f in fields if f.metadata.get("type") == "Attribute"}
    elems = [f for f in fields if f.metadata.get("type") == "Element"]
    order = {f.metadata["name"]: i for i, f in enumerate(elems)}
    errors = []
    for name, value in elem.attrib.items():
        if name not in attrs:
            errors.append(f"{where}: unknown attribute {name}")
        else:
            errors += _simple_errors(value, attrs[name], _inner(hints[attrs[name].name]), where)
    errors += [
        f"{where}: missing attribute {n}"
        for n, f in attrs.items()
        if f.metadata.get("required") and n not in elem.attrib
    ]
    seen, last = Counter(), -1
    for child in elem:
        i = order.get(child.tag)
        if i is None:
            errors.append(f"{where}: unknown element {child.tag}")
            continue
        if i < last:
            errors.append(f"{where}: {child.tag} out of order")
        last = i
        seen[child.tag] += 1
        tp = hints[elems[i].name]
        if typing.get_origin(tp) is not list and seen[child.tag] > 1:
            errors.append(f"{where}: {child.tag} repeated")
        if dataclasses.is_dataclass(_inner(tp)):
            errors += _schema_errors(child, _inner(tp), where)
        else:
            errors += _simple_errors(child.text or "", elems[i], _inner(tp), f"{where}/{child.tag}")
    errors += [
        f"{where}: missing element {f.metadata['name']}"
        for f in elems
        if (f.metadata.get("required") or f.metadata.get("min_occurs", 0) >= 1)
        and not seen[f.metadata["name"]]
    ]
    return errors


SCHEMAS = {
    "bcf.version": mdl.Version,
    "markup.bcf": mdl.Markup,
    "viewpoint.bcfv": mdl.VisualizationInfo,
}


@pytest.mark.parametrize("per_clash", [False, True])
def test_every_file_conforms_to_the_bcf21_schemas(report, per_clash):
    zf = zipfile.ZipFile(io.BytesIO(bcf_bytes(report, per_clash=per_clash, created=CREATED)))
    names = zf.namelist()
    assert len(names) == 1 + 2 * (3 if per_clash else 2)
    for name in names:
        root = ET.fromstring(zf.read(name))
        cls = SCHEMAS[name.rsplit("/", 1)[-1]]
        assert root.tag == {mdl.Version: "Version", mdl.Markup: "Markup"}.get(cls, root.tag)
        assert _schema_errors(root, cls) == [], name


def test_schema_check_catches_misordered_and_unknown_elements(report):
    zf = zipfile.ZipFile(io.BytesIO(bcf_bytes(report, created=CREATED)))
    markup = ET.fromstring(zf.read(next(n for n in zf.namelist() if n.endswith("markup.bcf"))))
    topic = markup.find("Topic")
    title = topic.find("Title")
    topic.remove(title)
    topic.append(title)  # Title after Description: wrong order
    ET.SubElement(topic, "Bogus")
    errors = _schema_errors(markup, mdl.Markup)
    assert any("Title out of order" in e for e in errors)
    assert any("unknown element Bogus" in e for e in errors)


# --- content, read back with bcf-client --------------------------------------------------------


def test_group_topics_read_back(tmp_path, report):
    bcf = _load(tmp_path, report)
    assert bcf.version.version_id == "2.1"
    assert bcf.version.detailed_version == "2.1"
    assert set(bcf.topics) == {topic_guid("a" * 16), topic_guid("b" * 16)}
    assert topic_guid("a" * 16) == str(uuid.uuid5(TOPIC_NAMESPACE, "a" * 16))
    for group in report["groups"]:
        handler = bcf.topics[topic_guid(group["id"])]
        topic = handler.topic
        assert topic.guid == topic_guid(group["id"])
        assert (topic.topic_type, topic.topic_status) == ("Clash", "Open")
        assert topic.priority == group["severity"]
        assert topic.creation_author == "bimcheck"
        assert topic.creation_date.to_datetime() == CREATED
        assert [f.filename for f in handler.header.file] == ["arc.ifc", "mep.ifc"]
        assert list(handler.viewpoints) == ["viewpoint.bcfv"]
        (vp_ref,) = handler.markup.viewpoints
        assert vp_ref.guid == str(uuid.uuid5(TOPIC_NAMESPACE, topic.guid + ":viewpoint"))
        visinfo = handler.viewpoints["viewpoint.bcfv"].visualization_info
        assert visinfo.guid == vp_ref.guid
        selected = [c.ifc_guid for c in visinfo.components.selection.component]
        assert selected == group["elements"]
        assert visinfo.components.visibility.default_visibility is True
        _check_camera(visinfo.perspective_camera, group["location"])

    by_element = bcf.topics[topic_guid("a" * 16)].topic
    assert by_element.title == "CL001: 'DUCT-1' (IfcDuctSegment) causes 2 clashes"
    assert by_element.labels == ["CL001", "hard", "MEP", "Structure"]
    desc = by_element.description
    assert "Ducts through beams" in desc and "0.0012 m³" in desc and "0.05 m" in desc
    assert "BM <&> 'mid'" in desc and "BM-2" in desc and "(21.000, 2.000, 3.000) m" in desc
    cluster = bcf.topics[topic_guid("b" * 16)].topic
    assert cluster.title == "CL002: 1 clash near Level 1"
    assert cluster.labels == ["CL002", "clearance", "Architecture", "MEP"]
    assert "not exact" in cluster.description and "0.02 m" in cluster.description


def test_camera_frames_a_spread_out_group(tmp_path, report):
    bcf = _load(tmp_path, report)
    visinfo = bcf.topics[topic_guid("a" * 16)].viewpoints["viewpoint.bcfv"].visualization_info
    # members 10 m either side of the group's centre: the camera stands 2 × 10 m away
    assert math.isclose(_check_camera(visinfo.perspective_camera, [11.0, 2.0, 3.0]), 20.0)


@pytest.mark.parametrize("location", [[0.0, 0.0, 0.0], [-123456.7, 98765.4, -12.5]])
def test_camera_vectors(location):
    view, d, up = camera(location, 0.1)
    assert math.isclose(math.dist(view, location), 5.0)
    assert all(
        math.isclose(v + 5.0 * di, loc) for v, di, loc in zip(view, d, location, strict=True)
    )
    assert view[0] < location[0] and view[1] < location[1] and view[2] > location[2]
    assert abs(sum(a * b for a, b in zip(d, up, strict=True))) < 1e-12 and up[2] > 0


def test_per_clash_gives_one_topic_per_clash(tmp_path, report):
    bcf = _load(tmp_path, report, per_clash=True)
    assert set(bcf.topics) == {topic_guid(c["key"]) for c in report["clashes"]}
    for c in report["clashes"]:
        handler = bcf.topics[topic_guid(c["key"])]
        assert handler.topic.priority == c["severity"]
        visinfo = handler.viewpoints["viewpoint.bcfv"].visualization_info
        selected = {x.ifc_guid for x in visinfo.components.selection.component}
        assert selected == {c["a"]["global_id"], c["b"]["global_id"]}
        _check_camera(visinfo.perspective_camera, c["location"])
    first = bcf.topics[topic_guid("1" * 32)].topic
    assert first.title == "CL001 hard: IfcBeam 'BM <&> 'mid'' × IfcDuctSegment 'DUCT-1'"
    assert first.labels == ["CL001", "hard", "MEP", "Structure"]
    unnamed = bcf.topics[topic_guid("3" * 32)].topic
    assert unnamed.title == f"CL002 clearance: IfcPipeSegment {PIPE} × IfcWall 'W-7'"
    assert "Closest points" in unnamed.description


def test_names_are_escaped_and_stripped_of_illegal_characters(report):
    data = bcf_bytes(report, per_clash=True, created=CREATED)
    zf = zipfile.ZipFile(io.BytesIO(data))
    raw = zf.read(f"{topic_guid('1' * 32)}/markup.bcf")
    assert b"\x01" not in raw
    assert b"BM &lt;&amp;&gt; 'mid'" in raw
    assert ET.fromstring(raw).find("Topic/Title").text.startswith("CL001 hard: IfcBeam 'BM <&> ")


def test_xml_safe():
    assert xml_safe("<&\x01>") == "<&>"
    assert xml_safe("a\x00b\x08c\x0b\x0c\x1f\ud800\ufffe\uffff") == "abc"
    assert xml_safe("tab\tnl\ncr\r é € 🏗") == "tab\tnl\ncr\r é € 🏗"
    assert xml_safe(12.5) == "12.5"


# --- stability and determinism ----------------------------------------------------------------


def test_fixed_created_gives_identical_bytes(report):
    a = bcf_bytes(report, created=CREATED)
    assert a == bcf_bytes(copy.deepcopy(report), created=CREATED)
    assert a != bcf_bytes(report, created=datetime(2024, 5, 2, tzinfo=UTC))
    zf = zipfile.ZipFile(io.BytesIO(a))
    names = zf.namelist()
    assert names[0] == "bcf.version" and names[1:] == sorted(names[1:])
    for info in zf.infolist():
        assert info.date_time == (2024, 5, 1, 12, 30, 0)
        assert info.compress_type == zipfile.ZIP_DEFLATED
    folders = Counter(n.split("/")[0] for n in names[1:])
    assert folders == {topic_guid("a" * 16): 2, topic_guid("b" * 16): 2}


def test_default_created_is_now_in_utc(report):
    before = datetime.now(UTC).replace(microsecond=0)
    zf = zipfile.ZipFile(io.BytesIO(bcf_bytes(report)))
    text = ET.fromstring(zf.read(f"{topic_guid('a' * 16)}/markup.bcf")).find("Topic/CreationDate")
    when = datetime.fromisoformat(text.text)
    assert when.tzinfo is not None and before <= when <= datetime.now(UTC)


@pytest.mark.parametrize("per_clash", [False, True])
def test_swapping_a_and_b_keeps_the_topic_guids(report, per_clash):
    swapped = copy.deepcopy(report)
    for c in swapped["clashes"]:
        c["a"], c["b"] = c["b"], c["a"]

    def guids(r):
        names = zipfile.ZipFile(io.BytesIO(bcf_bytes(r, per_clash=per_clash))).namelist()
        return {n.split("/")[0] for n in names[1:]}

    assert guids(report) == guids(swapped)


# --- writing ----------------------------------------------------------------------------------


def test_write_refuses_to_overwrite(tmp_path, report):
    path = tmp_path / "clashes.bcfzip"
    write_bcf(report, path, created=CREATED)
    before = path.read_bytes()
    with pytest.raises(OutputError) as exc:
        write_bcf(report, path, per_clash=True, created=CREATED)
    assert str(path) in str(exc.value)
    assert path.read_bytes() == before
    write_bcf(report, path, per_clash=True, created=CREATED, overwrite=True)
    assert path.read_bytes() == bcf_bytes(report, per_clash=True, created=CREATED)


def test_write_into_missing_folder_names_the_path(tmp_path, report):
    path = tmp_path / "nope" / "clashes.bcfzip"
    with pytest.raises(OutputError, match="nope"):
        write_bcf(report, path)


def _elementtree_bytes(raw: bytes) -> bytes:
    """``raw`` parsed and written again by ElementTree, indented as the writer does."""
    root = ET.fromstring(raw)
    ET.indent(root, space="  ")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
            + "\n").encode("utf-8")


ODD_TOPIC = {"key": "odd", "title": "", "severity": None, "labels": ["a&b", "<c>", '"q"'],
             # (no carriage return: a parser reads it back as a line feed)
             "description": 'line 1\nline 2\t"quoted" <&> \x02 é 🏗', "elements": [DUCT, "x y"],
             "location": [1.0, float("nan"), 3.0], "spread": 1.0}


@pytest.mark.parametrize("per_clash", [False, True])
def test_every_member_is_written_as_elementtree_writes_it(report, per_clash):
    """The templates give ElementTree's bytes: each member is a fixed point of
    parsing and writing again, escapes, empty and self-closed elements included."""
    zf = zipfile.ZipFile(io.BytesIO(bcf_bytes(report, per_clash=per_clash, created=CREATED)))
    for name in zf.namelist():
        raw = zf.read(name)
        assert raw == _elementtree_bytes(raw), name


def test_an_odd_topic_is_written_as_elementtree_writes_it():
    data = topics_bcf([ODD_TOPIC, {**ODD_TOPIC, "key": "odd2", "location": [1.0, 2.0, 3.0],
                                   "severity": "high", "title": None}],
                      ["a&b.ifc", "<m>.ifc"], when=CREATED, topic_type='Is"sue')
    zf = zipfile.ZipFile(io.BytesIO(data))
    for name in zf.namelist():
        raw = zf.read(name)
        assert raw == _elementtree_bytes(raw), name
    markup = ET.fromstring(zf.read(f"{topic_guid('odd')}/markup.bcf"))
    assert markup.find("Topic").get("TopicType") == 'Is"sue'
    assert markup.find("Topic/Description").text == 'line 1\nline 2\t"quoted" <&>  é 🏗'
    assert [e.text for e in markup.findall("Topic/Labels")] == ["a&b", "<c>", '"q"']
    assert [e.text for e in markup.findall("Header/File/Filename")] == ["a&b.ifc", "<m>.ifc"]
    assert markup.find("Topic/Title").text is None
    view = ET.fromstring(zf.read(f"{topic_guid('odd')}/viewpoint.bcfv"))
    assert view.find("PerspectiveCamera") is None  # nan: no camera
    assert [c.get("IfcGuid") for c in view.iter("Component")] == [DUCT]


@pytest.mark.parametrize("year", [1970, 2200])
def test_a_creation_date_outside_the_zip_range_is_clamped(report, year):
    """A model file's time can be any date; a zip's run from 1980 to 2107."""
    data = bcf_bytes(report, created=datetime(year, 6, 1, tzinfo=UTC))
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert zf.testzip() is None
    assert {i.date_time[0] for i in zf.infolist()} == {1980 if year < 1980 else 2107}
    markup = ET.fromstring(zf.read(next(n for n in zf.namelist() if n.endswith(".bcf"))))
    assert markup.find("Topic/CreationDate").text.startswith(str(year))
