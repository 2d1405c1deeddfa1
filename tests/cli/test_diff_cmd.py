"""``bimcheck diff OLD NEW`` end to end: the table, the JSON file, errors."""

from __future__ import annotations

import json

from click.testing import CliRunner

from bimcheck.cli.main import cli
from tests.conftest import SAMPLES

A, B = SAMPLES / "tower_rev_a.ifc", SAMPLES / "tower_rev_b.ifc"


def invoke(*args: object):
    return CliRunner().invoke(cli, ["-q", "diff", *map(str, args)], catch_exceptions=False)


def test_table_lists_every_change_and_the_counts():
    r = invoke(A, B, "--no-cache")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].split()[:3] == ["status", "element", "storey"]
    body = "\n".join(lines)
    for name in ("P-1-riser", "C-1-B1-DUP", "DUCT-1", "O-1-sleeve", "SL-R", "W-0-partition",
                 "W-0-south-1", "W-1-east"):
        assert name in body
    assert "moved (0, 0, -0.25) m" in body
    assert "FireRating REI60 -> REI90" in body
    assert lines[-1] == ("tower_rev_a.ifc -> tower_rev_b.ifc: 1 added, 1 removed, 5 modified, "
                         "1 moved, 75 unchanged")


def test_json_file_and_refusal_to_overwrite(tmp_path):
    out = tmp_path / "diff.json"
    r = invoke(A, B, "--no-cache", "-o", out)
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    assert doc["header"]["tool"]["command"] == "diff"
    assert [m["path"] for m in doc["header"]["models"]] == ["tower_rev_a.ifc", "tower_rev_b.ifc"]
    assert len(doc["elements"]) == 83  # 82 of rev A, the riser added
    assert {e["matched_by"] for e in doc["elements"] if e["status"] not in
            ("added", "removed")} == {"global_id"}
    before = out.read_bytes()
    r = invoke(A, B, "--no-cache", "-o", out)
    assert r.exit_code == 2 and "exists" in r.output
    assert out.read_bytes() == before


def test_bad_input_is_exit_2_naming_the_file(tmp_path):
    bad = tmp_path / "broken.ifc"
    bad.write_text("not a model")
    r = invoke(A, bad, "--no-cache")
    assert r.exit_code == 2
    assert "broken.ifc" in r.output and "Traceback" not in r.output


def test_html_page_has_a_plan_per_storey_and_escapes_the_model(tmp_path):
    page = tmp_path / "diff.html"
    out = tmp_path / "diff.json"
    r = invoke(A, B, "--no-cache", "--html", page, "-o", out)
    assert r.exit_code == 0, r.output
    text = page.read_text()
    assert "Content-Security-Policy" in text and "default-src" in text
    assert "<script" not in text
    for storey in ("Level 0", "Level 1", "Level 2"):
        assert f'aria-label="plan of {storey}"' in text
    # the riser is drawn as added, the duct at its new and its old place
    assert "IfcPipeSegment P-1-riser: added" in text
    assert "IfcDuctSegment DUCT-1: moved (old place)" in text
    assert "IfcColumn C-1-B1-DUP: removed (old place)" in text
    assert "views" not in json.loads(out.read_text())  # the JSON is the same with or without


def test_html_escapes_what_comes_from_the_model():
    from bimcheck.report.diffhtml import diff_html

    doc = {"header": {"models": [{"path": "<a>.ifc"}, {"path": "b.ifc"}]},
           "summary": {"statuses": {"added": 1}},
           "elements": [{"global_id": "x", "ifc_class": "IfcWall", "name": "<script>alert(1)"
                         "</script>", "status": "added", "changes": []}],
           "causes": [], "views": [{"storey": "<b>L1</b>", "bounds": [0, 0, 1, 1],
                                    "footprints": [{"global_id": "x", "ifc_class": "IfcWall",
                                                    "name": "<i>", "status": "added",
                                                    "outline": [[0, 0], [1, 0], [1, 1]]}]}]}
    text = diff_html(doc)
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)" in text
    assert "<b>L1</b>" not in text and "&lt;a&gt;.ifc" in text


def test_committed_demo_diff_is_current(tmp_path):
    """reports/tower.diff.json (written by `make demo`) is what this code
    produces, byte for byte."""
    out = tmp_path / "diff.json"
    assert invoke(A, B, "--no-cache", "-o", out).exit_code == 0
    assert out.read_bytes() == (SAMPLES.parent / "reports" / "tower.diff.json").read_bytes()
