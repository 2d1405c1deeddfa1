"""The BCF files of ``bimcheck check``, ``bimcheck clash --bcf`` and ``bimcheck
crane --bcf`` validate against buildingSMART's BCF 2.1 XSDs
(tests/data/bcf21, see its SOURCE.md), and keep the rules of the BCF 2.1
format that the XSDs cannot state (folder per topic GUID, viewpoint
references, one bcf.version at the root)."""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import xmlschema
from click.testing import CliRunner

from bimcheck.cli.main import cli
from bimcheck.report.bcf import topics_bcf
from tests.conftest import SAMPLES

XSD = Path(__file__).resolve().parents[1] / "data" / "bcf21"

#: SHA-256 of the schema files as published (tests/data/bcf21/SOURCE.md).
XSD_SHA256 = {
    "markup.xsd": "04304c316168fd0fd7f3889af4d01092f70077f4610ec876f8a0a7737f5c7387",
    "visinfo.xsd": "ab11687511d9595fc136bcec57b4f640f0e8364d913f9b54c8dc267a13c6f247",
    "version.xsd": "fdc8c54683e2af83efd09effd688d22b0ed61ba416338d11ac7a00773e55b578",
}
#: Which schema each file of a BCF zip follows.
SCHEMA_OF = {"markup.bcf": "markup.xsd", "viewpoint.bcfv": "visinfo.xsd",
             "bcf.version": "version.xsd"}
GUID = "[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"


@pytest.fixture(scope="module")
def schemas() -> dict[str, xmlschema.XMLSchema]:
    return {name: xmlschema.XMLSchema(str(XSD / name)) for name in XSD_SHA256}


def _run(*args: object) -> None:
    r = CliRunner().invoke(cli, ["-q", *map(str, args)], catch_exceptions=False)
    assert r.exit_code == 0, r.output


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, tuple[bytes, dict]]:
    """name → (BCF zip bytes, the JSON report of the same run)."""
    tmp = tmp_path_factory.mktemp("bcf")
    model, plan = SAMPLES / "tower_rev_a.ifc", SAMPLES / "tower.lift.yaml"
    _run("check", model, "--lift-plan", plan, "--out", tmp / "check")
    _run("check", SAMPLES / "tower_rev_b.ifc", "--out", tmp / "check_b")
    _run("clash", model, "-o", tmp / "clash.json", "--bcf", tmp / "clash.bcf")
    _run("clash", model, "-o", tmp / "clash1.json", "--bcf", tmp / "clash1.bcf",
         "--bcf-per-clash")
    _run("crane", model, plan, "-o", tmp / "crane.json", "--bcf", tmp / "crane.bcf")
    _run("diff", model, SAMPLES / "tower_rev_b.ifc", "-o", tmp / "diff.json", "--bcf",
         tmp / "diff.bcf")
    files = {
        "check": ("check/findings.bcf", "check/report.json"),
        "check rev b": ("check_b/findings.bcf", "check_b/report.json"),
        "clash": ("clash.bcf", "clash.json"),
        "clash per clash": ("clash1.bcf", "clash1.json"),
        "crane": ("crane.bcf", "crane.json"),
        "diff": ("diff.bcf", "diff.json"),
    }
    return {name: ((tmp / bcf).read_bytes(), json.loads((tmp / doc).read_text()))
            for name, (bcf, doc) in files.items()}


def _errors(schemas: dict[str, xmlschema.XMLSchema], data: bytes) -> list[str]:
    """Every schema violation of every file of the zip, as 'file: reason at path'."""
    errors = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            schema = schemas[SCHEMA_OF[name.rsplit("/", 1)[-1]]]
            errors += [f"{name}: {e.reason} at {e.path}"
                       for e in schema.iter_errors(zf.read(name).decode("utf-8"))]
    return errors


def _files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_schemas_are_the_published_files():
    """CC BY-ND: the copies must stay verbatim."""
    for name, digest in XSD_SHA256.items():
        assert hashlib.sha256((XSD / name).read_bytes()).hexdigest() == digest, name


NAMES = ["check", "check rev b", "clash", "clash per clash", "crane", "diff"]


@pytest.mark.parametrize("name", NAMES)
def test_every_file_validates_against_the_bcf21_xsds(schemas, outputs, name):
    data, _ = outputs[name]
    files = _files(data)
    assert "bcf.version" in files
    assert sum(n.endswith("/markup.bcf") for n in files) >= 1
    assert _errors(schemas, data) == []


@pytest.mark.parametrize("name", NAMES)
def test_the_rules_the_xsds_cannot_state(outputs, name):
    """One bcf.version (VersionId 2.1) at the root; a folder per topic named by
    its GUID holding markup.bcf and the viewpoint it names, whose GUIDs agree."""
    data, _ = outputs[name]
    files = _files(data)
    version = ET.fromstring(files["bcf.version"])
    assert version.tag == "Version" and version.get("VersionId") == "2.1"
    folders = {n.split("/")[0] for n in files if "/" in n}
    assert all(n.count("/") == 1 for n in files if n != "bcf.version")
    for folder in folders:
        markup = ET.fromstring(files[f"{folder}/markup.bcf"])
        assert markup.find("Topic").get("Guid") == folder
        for vp in markup.findall("Viewpoints"):
            info = ET.fromstring(files[f"{folder}/{vp.findtext('Viewpoint')}"])
            assert info.get("Guid") == vp.get("Guid")
        assert {n.split("/")[1] for n in files if n.startswith(folder + "/")} == {
            "markup.bcf", *(vp.findtext("Viewpoint") for vp in markup.findall("Viewpoints"))}


def test_check_topics_are_the_findings_of_report_json(outputs):
    """One topic per finding not waived: its priority the severity, its
    selection the finding's GlobalIds, its GUID the UUID5 of the key."""
    data, doc = outputs["check"]
    files = _files(data)
    findings = [f for f in doc["findings"] if f["status"] != "waived"]
    assert len({n.split("/")[0] for n in files if "/" in n}) == len(findings) > 0
    namespace = uuid.UUID("ef44ed3e-c1fb-40a2-96af-d03d9358213d")  # report/bcf.py, fixed
    for f in findings:
        guid = str(uuid.uuid5(namespace, f["key"]))
        topic = ET.fromstring(files[f"{guid}/markup.bcf"]).find("Topic")
        assert topic.findtext("Priority") == f["severity"]
        assert f["message"] in topic.findtext("Title") + topic.findtext("Description")
        info = ET.fromstring(files[f"{guid}/viewpoint.bcfv"])
        selected = sorted(c.get("IfcGuid") for c in info.iterfind("Components/Selection/"
                                                                  "Component"))
        assert selected == sorted(e["global_id"] for e in f["elements"])


def test_a_finding_without_location_is_looked_at_on_its_storey(outputs):
    """PR002 (a wall without LoadBearing) has no location: the camera looks at
    the wall's footprint, above its storey, not at the world origin."""
    data, doc = outputs["check"]
    files = _files(data)
    namespace = uuid.UUID("ef44ed3e-c1fb-40a2-96af-d03d9358213d")
    f = next(f for f in doc["findings"] if f["rule"] == "PR002" and f["storey"] == "Level 1")
    assert f["location"] is None
    view = next(v for v in doc["views"] if v["storey"] == "Level 1")
    outline = next(fp["outline"] for fp in view["footprints"]
                   if fp["global_id"] == f["elements"][0]["global_id"])
    info = ET.fromstring(files[f"{uuid.uuid5(namespace, f['key'])}/viewpoint.bcfv"])
    cam = info.find("PerspectiveCamera")
    point = [float(cam.findtext(f"CameraViewPoint/{a}")) for a in "XYZ"]
    d = [float(cam.findtext(f"CameraDirection/{a}")) for a in "XYZ"]
    # the ray from the camera passes over the footprint's centre, 1.5 m above the storey
    target = ((min(p[0] for p in outline) + max(p[0] for p in outline)) / 2,
              (min(p[1] for p in outline) + max(p[1] for p in outline)) / 2,
              view["elevation"] + 1.5)
    t = sum((a - b) * c for a, b, c in zip(target, point, d, strict=True))
    closest = [b + t * c for b, c in zip(point, d, strict=True)]
    assert math.dist(closest, target) < 1e-6


def test_hostile_topics_still_validate(schemas):
    """Non-finite or missing locations, control characters, non-IFC ids, no
    severity, no models: still valid BCF 2.1 (a viewpoint without camera)."""
    ifc = "2O2Fr$t4X7Zf8NOew3FLOH"
    topics = [
        {"key": "nan", "title": "a\x01<&>\"'", "severity": None, "labels": [],
         "description": "", "elements": [], "location": [math.nan, 0.0, 0.0], "spread": 0.0},
        {"key": "inf", "title": "", "severity": "high", "labels": ["x\x0b"],
         "description": "\ud800", "elements": ["not-an-ifc-guid", ifc],
         "location": [1.0, 2.0, math.inf], "spread": math.nan},
        {"key": "none", "title": "t", "severity": "low", "labels": ["x"], "description": "d",
         "elements": [ifc], "location": None, "spread": 5.0},
        {"key": "far", "title": "t", "severity": "low", "labels": ["x"], "description": "d",
         "elements": [ifc], "location": [5e5, 6e6, 1e3], "spread": 1e9},
    ]
    data = topics_bcf(topics, [], when=datetime(2024, 1, 1, tzinfo=UTC))
    assert _errors(schemas, data) == []
    files = _files(data)
    cameras = {ET.fromstring(files[n]).find("PerspectiveCamera") is not None
               for n in files if n.endswith(".bcfv")}
    assert cameras == {True, False}


def test_the_validation_catches_violations(schemas, outputs):
    """The XSDs are live: a misordered topic, a topic without its Guid and a
    field of view over 60° (BCF 2.1's range is 45-60) are refused."""
    data, _ = outputs["clash"]
    files = _files(data)
    name = next(n for n in files if n.endswith("markup.bcf"))
    markup = ET.fromstring(files[name])
    topic = markup.find("Topic")
    title = topic.find("Title")
    topic.remove(title)
    topic.append(title)
    assert not schemas["markup.xsd"].is_valid(ET.tostring(markup, encoding="unicode"))
    del topic.attrib["Guid"]
    assert not schemas["markup.xsd"].is_valid(ET.tostring(markup, encoding="unicode"))
    info = ET.fromstring(files[name.replace("markup.bcf", "viewpoint.bcfv")])
    assert schemas["visinfo.xsd"].is_valid(ET.tostring(info, encoding="unicode"))
    info.find("PerspectiveCamera/FieldOfView").text = "90.0"
    assert not schemas["visinfo.xsd"].is_valid(ET.tostring(info, encoding="unicode"))


def test_guids_match_the_schema_pattern(outputs):
    """Topic and viewpoint GUIDs are lower-case hex UUIDs (BCF's Guid type)."""
    for name in NAMES:
        files = _files(outputs[name][0])
        for n, payload in files.items():
            root = ET.fromstring(payload)
            for el in root.iter():
                if "Guid" in el.attrib:
                    assert re.fullmatch(GUID, el.get("Guid")), (name, n)


def _location_less(elements: list[dict], views: list[dict]) -> dict:
    """A check report of one finding without a location on ``elements``."""
    return {
        "header": {"models": [{"path": "m.ifc"}]},
        "rules": [{"id": "PR001", "name": "Name", "doc": {}}],
        "findings": [{"key": "k" * 32, "rule": "PR001", "family": "property",
                      "severity": "low", "message": "no name", "status": "open",
                      "location": None, "discipline": None, "elements": elements}],
        "views": views,
    }


def test_a_finding_in_no_storey_is_looked_at_from_its_footprint(schemas):
    """Plan views of elements in no storey have no elevation: the camera looks
    at the footprint 1.5 m above z 0, and the BCF stays valid."""
    from bimcheck.report.checkbcf import check_bcf, finding_topics

    gid = "2O2Fr$t4X7Zf8NOew3FLOH"
    doc = _location_less([{"global_id": gid, "model": "m.ifc", "storey": None}],
                         [{"model": "m.ifc", "storey": "-", "elevation": None,
                           "bounds": [0.0, 0.0, 4.0, 2.0],
                           "footprints": [{"global_id": gid,
                                           "outline": [[0, 0], [4, 0], [4, 2]]}]}])
    (topic,) = finding_topics(doc)
    assert topic["location"] == [2.0, 1.0, 1.5]
    assert _errors(schemas, check_bcf(doc, created=datetime(2024, 1, 1, tzinfo=UTC))) == []


def test_the_first_footprint_of_the_elements_model_is_looked_at():
    """The first element with a footprint in a view of its own model wins,
    views and footprints in the report's order; an element's GlobalId in
    another model's view, or a footprint without an outline, does not count."""
    from bimcheck.report.checkbcf import finding_topics

    a, b = "2O2Fr$t4X7Zf8NOew3FLOH", "1hqIFTRjfV6AWq_bMtnZwI"

    def view(model, elevation, gid, outline):
        return {"model": model, "storey": "L1", "elevation": elevation,
                "bounds": [0.0, 0.0, 1.0, 1.0],
                "footprints": [{"global_id": gid, "outline": outline}]}

    doc = _location_less([{"global_id": a, "model": "m.ifc", "storey": "L1"},
                          {"global_id": b, "model": "m.ifc", "storey": "L1"}],
                         [view("other.ifc", 0.0, a, [[100, 100], [102, 100]]),
                          view("m.ifc", 0.0, a, []),
                          view("m.ifc", 3.0, b, [[10, 0], [14, 0], [14, 2]]),
                          view("m.ifc", 6.0, a, [[20, 0], [22, 0], [22, 2]]),
                          view("m.ifc", 9.0, b, [[30, 0], [34, 0]])])
    (topic,) = finding_topics(doc)
    assert topic["location"] == [21.0, 1.0, 7.5]  # a's first outlined footprint in m.ifc


def test_diff_topics_are_its_changed_elements(outputs):
    """Rev A -> B has no cause: one topic per changed element, titled by its
    status, selecting it (a removed element has nothing to select)."""
    data, doc = outputs["diff"]
    files = _files(data)
    titles = sorted(ET.fromstring(files[n]).findtext("Topic/Title")
                    for n in files if n.endswith("/markup.bcf"))
    changed = [e for e in doc["elements"] if e["status"] != "unchanged"]
    assert titles == sorted(f"{e['status']}: {e['ifc_class']} {e['name']}" for e in changed)
    assert len(titles) == 8
