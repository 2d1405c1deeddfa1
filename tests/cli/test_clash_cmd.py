"""``bimcheck clash`` end to end on the tower sample.

Every expected value comes from ``samples/tower_rev_a.truth.yaml`` (written by
``samples/build_samples.py`` from the dimensions it used) or from hand
arithmetic on the default pack (``rules/clash/default.yaml``), never from what
the command printed before.

The default pack against rev A, by hand (the truth's pairs within 50 mm and
the pack's selectors; no MEP element touches anything in rev A):

=====  ===========================  =========  ===================================
rule   pair                         relation   severity (rule's, then first band)
=====  ===========================  =========  ===================================
CL001  BM-1-mid / DUCT-1            hard       high, depth 0.15 >= 0.10: critical
CL002  P-1-wall / W-1-west          hard       medium, depth 0.10 >= 0.10: high
CL004  CT-0-1 / DUCT-2              clearance  low, distance 0.04: low
CL005  C-1-B1 / C-1-B1-DUP          duplicate  high (no duplicate bands): high
CL006  W-1-south-2a / W-1-south-2b  hard       medium, depth 0.05: medium
CL006  C-1-B1 / C-1-B1-DUP          duplicate  medium, depth 0.40 >= 0.10: high
CL007  BM-1-mid / DUCT-1            hard       medium, distance 0 < 0.01: high
CL007  P-0-col / C-0-B2             clearance  medium, distance 0.02: medium
CL007  DUCT-2 / BM-0-mid            clearance  medium, distance 0.03: medium
=====  ===========================  =========  ===================================

(a hard rule labels a same-class pair sharing >= 95 % of each volume
``duplicate``; a clearance rule reports a penetration as ``hard``.)
"""

from __future__ import annotations

import csv
import json
import math
import re
import uuid
from collections import Counter
from pathlib import Path

import pytest
import yaml
from bcf.v2.bcfxml import BcfXml
from click.testing import CliRunner

from bimcheck.cli.main import cli
from bimcheck.testing.ifcfactory import Box, ModelFactory
from tests.conftest import SAMPLES

TOWER = SAMPLES / "tower_rev_a.ifc"
TOWER_MM = SAMPLES / "tower_rev_a_mm.ifc"
TRUTH = yaml.safe_load((SAMPLES / "tower_rev_a.truth.yaml").read_text())
ELEMENTS: dict[str, dict] = TRUTH["elements"]
NAME_OF = {e["global_id"]: name for name, e in ELEMENTS.items()}
GID = {name: e["global_id"] for name, e in ELEMENTS.items()}
CLASH_PAIRS = [p for p in TRUTH["pairs"] if p["relation"] in ("hard", "clearance", "duplicate")]
TRUTH_BY_PAIR = {frozenset((p["a"], p["b"])): p for p in CLASH_PAIRS}

#: (rule, names) -> severity, by hand (module docstring).
EXPECTED = {
    ("CL001", frozenset({"BM-1-mid", "DUCT-1"})): "critical",
    ("CL002", frozenset({"P-1-wall", "W-1-west"})): "high",
    ("CL004", frozenset({"CT-0-1", "DUCT-2"})): "low",
    ("CL005", frozenset({"C-1-B1", "C-1-B1-DUP"})): "high",
    ("CL006", frozenset({"W-1-south-2a", "W-1-south-2b"})): "medium",
    ("CL006", frozenset({"C-1-B1", "C-1-B1-DUP"})): "high",
    ("CL007", frozenset({"BM-1-mid", "DUCT-1"})): "high",
    ("CL007", frozenset({"P-0-col", "C-0-B2"})): "medium",
    ("CL007", frozenset({"DUCT-2", "BM-0-mid"})): "medium",
}
#: The clash whose severity sits exactly on a band edge (depth 0.10 m, band min 0.10).
ON_BAND_EDGE = ("CL002", frozenset({"P-1-wall", "W-1-west"}))
RANK = {s: i for i, s in enumerate(("critical", "high", "medium", "low", "info"))}
ELEMENT_KEYS = {"global_id", "ifc_class", "name", "storey", "discipline"}
CLASH_KEYS = {"key", "rule", "kind", "severity", "group", "exact", "a", "b", "overlap_volume",
              "penetration_depth", "distance", "location"}


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def names(clash: dict) -> frozenset[str]:
    return frozenset({clash["a"]["name"], clash["b"]["name"]})


def box_of(name: str) -> tuple[list[float], list[float]]:
    box = ELEMENTS[name]["box"]
    return box["min"], box["max"]


def box_overlap(a: tuple[list[float], list[float]], b: tuple[list[float], list[float]]):
    """Volume, smallest width and centroid of the shared box, by interval arithmetic."""
    lo = [max(x, y) for x, y in zip(a[0], b[0], strict=True)]
    hi = [min(x, y) for x, y in zip(a[1], b[1], strict=True)]
    widths = [h - low for low, h in zip(lo, hi, strict=True)]
    assert all(w > 0 for w in widths)
    centre = [(low + h) / 2 for low, h in zip(lo, hi, strict=True)]
    return math.prod(widths), min(widths), centre


def one_error_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("bimcheck: error: "), err
    return lines[0]


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> dict:
    """One default-pack run with JSON, CSV and BCF (cold cache in its own folder:
    a module fixture runs before the autouse per-test cache fixture)."""
    tmp = tmp_path_factory.mktemp("clash_full")
    out, out_csv, out_bcf, cache = (tmp / "out.json", tmp / "out.csv", tmp / "out.bcf",
                                    tmp / "cache")
    code, stdout, stderr = run("clash", TOWER, "-o", out, "--csv", out_csv, "--bcf", out_bcf,
                               "--cache-dir", cache)
    return {"code": code, "stdout": stdout, "stderr": stderr, "json": out, "csv": out_csv,
            "bcf": out_bcf, "cache": cache, "doc": json.loads(out.read_text()), "tmp": tmp}


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> tuple[int, str, str]:
    cache = tmp_path_factory.mktemp("clash_table_cache")
    return run("clash", TOWER, "--cache-dir", cache, "--limit", "0")


# -- the default pack: report contents ---------------------------------------------------------


def test_truth_has_the_seven_deliberate_clash_pairs():
    assert len(CLASH_PAIRS) == 7


def test_full_run_exits_0_and_json_has_the_contract_keys(full):
    assert full["code"] == 0, full["stderr"]
    doc = full["doc"]
    assert {"clashes", "coverage", "groups"} <= set(doc)
    assert doc["models"][0]["path"] == "tower_rev_a.ifc"
    assert doc["models"][0]["schema"] == TRUTH["schema"] == "IFC4"
    assert doc["models"][0]["length_unit"] == "m"
    for c in doc["clashes"]:
        assert CLASH_KEYS <= set(c), c
        assert re.fullmatch(r"[0-9a-f]{32}", c["key"])
        for side in ("a", "b"):
            assert ELEMENT_KEYS <= set(c[side]), c[side]
            assert c[side]["model"] == "tower_rev_a.ifc"
    assert len({c["key"] for c in doc["clashes"]}) == len(doc["clashes"])
    assert doc["coverage"]["warnings"] == []
    assert doc["coverage"]["failed"] == []


def test_pairs_and_relations_equal_the_truth(full):
    found = {(frozenset((c["a"]["global_id"], c["b"]["global_id"])), c["relation"])
             for c in full["doc"]["clashes"]}
    expected = {(frozenset((p["a"], p["b"])), p["relation"]) for p in CLASH_PAIRS}
    assert found == expected
    assert len(found) == 7


def test_each_rule_finds_the_pairs_worked_out_by_hand(full):
    found = [(c["rule"], names(c)) for c in full["doc"]["clashes"]]
    assert len(found) == len(set(found)) == 9
    assert set(found) == set(EXPECTED)
    assert full["doc"]["summary"]["clashes"] == 9


def test_elements_measures_and_storeys_match_the_truth(full):
    for c in full["doc"]["clashes"]:
        truth = TRUTH_BY_PAIR[frozenset((c["a"]["global_id"], c["b"]["global_id"]))]
        assert c["relation"] == truth["relation"]
        assert c["kind"] == {"CL004": "clearance", "CL005": "duplicate",
                             "CL007": "clearance"}.get(c["rule"], "hard")
        assert c["a"]["global_id"] < c["b"]["global_id"]  # a: the smaller GlobalId
        for side in ("a", "b"):
            el = ELEMENTS[NAME_OF[c[side]["global_id"]]]
            assert c[side]["name"] == NAME_OF[c[side]["global_id"]]
            assert c[side]["ifc_class"] == el["ifc_class"]
            assert c[side]["storey"] == el["storey"]
        # every deliberate pair lies within one storey
        assert c["storey"] == ELEMENTS[c["a"]["name"]]["storey"]
        assert c["exact"] is True
        assert c["overlap_volume"] == pytest.approx(truth["overlap_volume"], rel=0.01, abs=1e-9)
        assert c["penetration_depth"] == pytest.approx(truth["penetration_depth"], abs=1e-3)
        assert c["distance"] == pytest.approx(truth["distance"], abs=1e-3)


def test_locations_by_hand(full):
    for c in full["doc"]["clashes"]:
        a, b = c["a"]["name"], c["b"]["name"]
        if c["relation"] in ("hard", "duplicate"):
            # centroid of the shared solid: the intersection of the two boxes
            volume, depth, centre = box_overlap(box_of(a), box_of(b))
            assert c["location"] == pytest.approx(centre, abs=1e-6), (a, b)
            assert volume == pytest.approx(c["overlap_volume"], rel=0.01)
            assert depth == pytest.approx(c["penetration_depth"], abs=1e-6)
        else:
            pa, pb = c["point_a"], c["point_b"]
            assert math.dist(pa, pb) == pytest.approx(c["distance"], abs=1e-3)
            mid = [(x + y) / 2 for x, y in zip(pa, pb, strict=True)]
            assert c["location"] == pytest.approx(mid, abs=1e-6)
            for name, point in ((a, pa), (b, pb)):
                if "box" in ELEMENTS[name]:  # on the element's surface, so in its box
                    lo, hi = box_of(name)
                    assert all(lo[i] - 1e-6 <= point[i] <= hi[i] + 1e-6 for i in range(3))
    by_pair = {(c["rule"], names(c)): c for c in full["doc"]["clashes"]}
    # DUCT-1 z 6.10..6.40 x beam z 6.25..6.75 -> 6.325; x 5.875..6.125 -> 6.0; y 2.8..3.2 -> 3.0
    assert by_pair[("CL001", frozenset({"BM-1-mid", "DUCT-1"}))]["location"] == \
        pytest.approx([6.0, 3.0, 6.325])
    # P-0-col: pipe surface y 5.73 + 0.05 = 5.78, column face y 5.8, axis z 2.0
    pipe = by_pair[("CL007", frozenset({"P-0-col", "C-0-B2"}))]
    assert pipe["location"][1:] == pytest.approx([5.79, 2.0], abs=1e-6)


def test_severities_follow_the_pack_bands(full):
    for c in full["doc"]["clashes"]:
        assert c["severity"] == EXPECTED[(c["rule"], names(c))], (c["rule"], names(c))


def test_band_minimum_is_inclusive_at_exactly_100_mm(full):
    (clash,) = [c for c in full["doc"]["clashes"] if (c["rule"], names(c)) == ON_BAND_EDGE]
    assert clash["penetration_depth"] == 0.1  # the report itself says 100 mm
    assert clash["severity"] == "high"  # medium + 1 (100 mm or deeper)
    (group,) = [g for g in full["doc"]["groups"] if g["id"] == clash["group"]]
    assert group["severity"] == "high"
    assert full["doc"]["summary"]["by_severity"] == {"critical": 1, "high": 4, "medium": 3,
                                                      "low": 1}


def test_groups_partition_the_clashes(full):
    doc = full["doc"]
    keys = {c["key"]: c for c in doc["clashes"]}
    members = [k for g in doc["groups"] for k in g["clashes"]]
    assert sorted(members) == sorted(keys)
    for g in doc["groups"]:
        for k in g["clashes"]:
            assert keys[k]["group"] == g["id"]
            assert keys[k]["rule"] == g["rule"]
        involved = {keys[k][s]["global_id"] for k in g["clashes"] for s in ("a", "b")}
        assert g["elements"] == sorted(involved)
    # No element causes two clashes of one rule, and the only two clashes of one
    # rule in one storey (CL006, Level 1) lie sqrt(3.025² + 0.25²) = 3.035 m
    # apart, beyond the 3.0 m radius: every clash is its own group.
    assert len(doc["groups"]) == 9
    assert {g["by"] for g in doc["groups"]} == {"single"}


def test_csv_has_one_row_per_clash(full):
    with full["csv"].open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    doc = full["doc"]
    assert [r["key"] for r in rows] == [c["key"] for c in doc["clashes"]]
    for r, c in zip(rows, doc["clashes"], strict=True):
        assert {r["a_name"], r["b_name"]} == names(c)
        assert r["rule"] == c["rule"]
        assert float(r["overlap_volume_m3"]) == pytest.approx(c["overlap_volume"], abs=1e-7)
        assert float(r["distance_m"]) == pytest.approx(c["distance"], abs=1e-7)


def test_bcf_reads_back_with_one_topic_per_group(full):
    bcf = BcfXml.load(full["bcf"])
    try:
        doc = full["doc"]
        assert bcf.version.version_id == "2.1"
        assert len(bcf.topics) == len(doc["groups"]) == 9
        selections = Counter()
        for handler in bcf.topics.values():
            assert [f.filename for f in handler.header.file] == ["tower_rev_a.ifc"]
            visinfo = handler.viewpoints["viewpoint.bcfv"].visualization_info
            selections[frozenset(NAME_OF[x.ifc_guid]
                                 for x in visinfo.components.selection.component)] += 1
        # one topic per clash here (every group is single): pairs as in EXPECTED
        assert selections == Counter(pair for _, pair in EXPECTED)
    finally:
        bcf.close()


def test_bcf_per_clash(tmp_path):
    out = tmp_path / "per.bcf"
    code, _, err = run("clash", TOWER, "--rule", "CL007", "--bcf", out, "--bcf-per-clash")
    assert code == 0, err
    bcf = BcfXml.load(out)
    try:
        assert len(bcf.topics) == 3  # CL007: DUCT-1, P-0-col, DUCT-2 (module docstring)
    finally:
        bcf.close()


def test_coverage_counts_from_the_truth(full):
    counts = TRUTH["counts"]
    mep = counts["IfcDuctSegment"] + counts["IfcPipeSegment"] + counts["IfcCableCarrierSegment"]
    structure = sum(counts.get(c, 0) for c in ("IfcBeam", "IfcColumn", "IfcSlab", "IfcFooting",
                                               "IfcPile", "IfcMember", "IfcPlate"))
    cov = {r["rule"]: r for r in full["doc"]["coverage"]["rules"]}
    assert (cov["CL001"]["a_matched"], cov["CL001"]["b_matched"]) == (mep, structure) == (9, 40)
    assert cov["CL005"]["a_matched"] == structure + counts["IfcWall"] == 60
    assert {r: cov[r]["clashes"] for r in cov} == dict(
        Counter(rule for rule, _ in EXPECTED), CL003=0)


# -- determinism, table, gate ------------------------------------------------------------------


def test_json_is_byte_identical_with_warm_cache_and_without_cache(full, tmp_path):
    first = full["json"].read_bytes()
    warm, nocache = tmp_path / "warm.json", tmp_path / "nocache.json"
    assert run("clash", TOWER, "-o", warm, "--cache-dir", full["cache"])[0] == 0
    assert run("clash", TOWER, "-o", nocache, "--no-cache")[0] == 0
    assert warm.read_bytes() == first
    assert nocache.read_bytes() == first
    code, stdout, _ = run("clash", TOWER, "--json", "--cache-dir", full["cache"])
    assert code == 0 and stdout.encode() == first


def test_table_lists_each_clash_by_element_names(table):
    code, stdout, _ = table
    assert code == 0
    lines = stdout.splitlines()
    for rule, pair in EXPECTED:
        hits = [ln for ln in lines if ln.startswith(rule + " ")
                and all(re.search(rf"\b{re.escape(n)}(\s|$)", ln) for n in pair)]
        assert len(hits) == 1, (rule, pair, stdout)
    assert "9 clash(es) in 9 group(s)" in stdout


def test_limit_cuts_the_table(tmp_path):
    code, stdout, _ = run("clash", TOWER, "--limit", "2")
    assert code == 0
    assert "... 7 more" in stdout  # 9 clashes, 2 shown
    assert stdout.splitlines()[1].startswith("CL001  critical")  # worst first


def test_fail_on_high_exits_1(table, tmp_path):
    out = tmp_path / "gate.json"
    code, _, err = run("clash", TOWER, "--fail-on", "high", "-o", out)
    assert code == 1
    assert "at or above high" in err
    doc = json.loads(out.read_text())  # the report is still written
    assert any(RANK[c["severity"]] <= RANK["high"] for c in doc["clashes"])


def test_fail_on_critical_exits_1_because_duct1_is_critical(full):
    criticals = [c for c in full["doc"]["clashes"] if c["severity"] == "critical"]
    # by hand: only CL001 DUCT-1/BM-1-mid (high, depth 0.15 >= 0.10 -> critical)
    assert [(c["rule"], names(c)) for c in criticals] == [
        ("CL001", frozenset({"BM-1-mid", "DUCT-1"}))]
    code, _, err = run("clash", TOWER, "--fail-on", "critical")
    assert code == 1
    assert "1 clash(es) at or above critical" in err


def test_fail_on_not_reached_exits_0():
    code, stdout, err = run("clash", TOWER, "--rule", "CL004", "--fail-on", "high")
    assert code == 0, err
    assert "CT-0-1" in stdout and "DUCT-2" in stdout  # the low clash is still listed


# -- ad hoc ------------------------------------------------------------------------------------


def adhoc(tmp_path: Path, *args: str) -> dict:
    out = tmp_path / f"adhoc{len(list(tmp_path.iterdir()))}.json"
    code, _, err = run("clash", TOWER, "-o", out, *args)
    assert code == 0, err
    return json.loads(out.read_text())


def test_adhoc_duct_through_beam(tmp_path):
    doc = adhoc(tmp_path, "--a", "IfcDuctSegment", "--b", "IfcBeam", "--kind", "hard")
    (c,) = doc["clashes"]
    assert names(c) == {"DUCT-1", "BM-1-mid"}
    assert c["relation"] == "hard"
    assert c["overlap_volume"] == pytest.approx(0.25 * 0.40 * 0.15, rel=0.01)
    assert c["penetration_depth"] == pytest.approx(0.15, abs=1e-3)
    (cov,) = doc["coverage"]["rules"]
    assert (cov["a_matched"], cov["b_matched"]) == (TRUTH["counts"]["IfcDuctSegment"],
                                                    TRUTH["counts"]["IfcBeam"])


def test_adhoc_pipe_column_clearance(tmp_path):
    doc = adhoc(tmp_path, "--a", "IfcPipeSegment", "--b", "IfcColumn", "--kind", "clearance",
                "--clearance", "0.05")
    (c,) = doc["clashes"]
    assert names(c) == {"P-0-col", "C-0-B2"}
    assert c["relation"] == "clearance"
    assert c["distance"] == pytest.approx(0.07 - 0.05, abs=1e-3)


def test_adhoc_duplicate_columns(tmp_path):
    doc = adhoc(tmp_path, "--kind", "duplicate", "--a", "IfcColumn")
    (c,) = doc["clashes"]
    assert names(c) == {"C-1-B1", "C-1-B1-DUP"}
    assert c["relation"] == "duplicate"
    assert c["overlap_volume"] == pytest.approx(0.4 * 0.4 * 3.25, rel=0.01)


def test_adhoc_touching_only_on_request(tmp_path):
    beam_column = {
        frozenset((p["a"], p["b"])) for p in TRUTH["pairs"]
        if {ELEMENTS[p["a_name"]]["ifc_class"], ELEMENTS[p["b_name"]]["ifc_class"]}
        == {"IfcBeam", "IfcColumn"}
    }
    assert {p["relation"] for p in TRUTH["pairs"]
            if frozenset((p["a"], p["b"])) in beam_column} == {"touching"}
    assert adhoc(tmp_path, "--a", "IfcBeam", "--b", "IfcColumn")["clashes"] == []
    doc = adhoc(tmp_path, "--a", "IfcBeam", "--b", "IfcColumn", "--report-touching")
    found = {frozenset((c["a"]["global_id"], c["b"]["global_id"])) for c in doc["clashes"]}
    assert found == beam_column
    assert len(found) == len(doc["clashes"])
    for c in doc["clashes"]:
        assert (c["relation"], c["overlap_volume"], c["distance"]) == ("touching", 0.0, 0.0)


def test_swapping_a_and_b_gives_the_same_keys(tmp_path):
    ab = adhoc(tmp_path, "--a", "IfcDuctSegment, IfcPipeSegment", "--b", "IfcBeam, IfcWall")
    ba = adhoc(tmp_path, "--a", "IfcBeam, IfcWall", "--b", "IfcDuctSegment, IfcPipeSegment")
    # DUCT-1 / BM-1-mid and P-1-wall / W-1-west
    assert {names(c) for c in ab["clashes"]} == {frozenset({"DUCT-1", "BM-1-mid"}),
                                                 frozenset({"P-1-wall", "W-1-west"})}
    assert [c["key"] for c in ab["clashes"]] == [c["key"] for c in ba["clashes"]]
    for x, y in zip(ab["clashes"], ba["clashes"], strict=True):
        assert x["a"]["global_id"] == y["a"]["global_id"]  # a stays the smaller GlobalId


def test_selector_matching_nothing_is_a_warning(tmp_path):
    assert "IfcFooting" not in TRUTH["counts"]
    out = tmp_path / "w.json"
    code, _, err = run("clash", TOWER, "--a", "IfcFooting", "-o", out)
    assert code == 0
    assert "IfcFooting" in err and "matched no element" in err
    doc = json.loads(out.read_text())
    assert doc["clashes"] == []
    (warning,) = doc["coverage"]["warnings"]
    assert "IfcFooting" in warning and "matched no element" in warning


# -- usage errors and bad input ----------------------------------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (["--b", "IfcBeam"], "need --a"),
    (["--a", "IfcBeam", "--rules", "rules/clash/default.yaml"], "cannot be combined"),
    (["--a", "IfcBeam", "--rule", "CL001"], "cannot be combined"),
    (["--a", "IfcBeam", "--kind", "clearance", "--tolerance", "0.01"], "--tolerance"),
    (["--bcf-per-clash"], "--bcf-per-clash"),
])
def test_usage_errors_exit_2(args, message):
    code, stdout, err = run("clash", TOWER, *args)
    assert code == 2
    assert stdout == ""
    assert "Error:" in err and message in err
    assert "Traceback" not in err


def test_same_file_for_json_and_csv_is_a_usage_error(tmp_path):
    out = tmp_path / "same.txt"
    code, _, err = run("clash", TOWER, "-o", out, "--csv", tmp_path / "x" / ".." / "same.txt")
    assert code == 2
    assert "-o and --csv name the same file" in err
    assert not out.exists()


def test_missing_model(tmp_path):
    path = tmp_path / "nope.ifc"
    code, stdout, err = run("clash", path)
    assert code == 2 and stdout == ""
    line = one_error_line(err)
    assert str(path) in line and "not found" in line


def test_non_ifc_model(tmp_path):
    path = tmp_path / "notes.ifc"
    path.write_text("just some notes\n")
    code, stdout, err = run("clash", path)
    assert code == 2 and stdout == ""
    line = one_error_line(err)
    assert str(path) in line and "not an IFC file" in line


PACK = """\
pack: test
version: 1
rules:
  - id: T001
    name: ducts through beams
    kind: hard
    severity: {severity}
    a: IfcDuctSegment
    b: "{b}"
    doc: {{what: w, why: y, fix: f}}
"""


def test_pack_with_a_bad_severity(tmp_path):
    pack = tmp_path / "badsev.yaml"
    pack.write_text(PACK.format(severity="urgent", b="IfcBeam"))
    code, stdout, err = run("clash", TOWER, "--rules", pack)
    assert code == 2 and stdout == ""
    line = one_error_line(err)
    assert str(pack) in line and "T001" in line and "severity" in line and "urgent" in line


def test_pack_with_a_bad_selector(tmp_path):
    pack = tmp_path / "badsel.yaml"
    # "IfcBeam, , IfcColumn": the second comma is at column 10
    pack.write_text(PACK.format(severity="high", b="IfcBeam, , IfcColumn"))
    code, stdout, err = run("clash", TOWER, "--rules", pack)
    assert code == 2 and stdout == ""
    line = one_error_line(err)
    assert str(pack) in line and "T001" in line
    assert re.search(r"\bb\b", line.split("T001", 1)[1])  # the field
    assert "column 10" in line


def test_unknown_rule_id():
    code, stdout, err = run("clash", TOWER, "--rule", "NOPE")
    assert code == 2 and stdout == ""
    line = one_error_line(err)
    assert "NOPE" in line and "default.yaml" in line


# -- output files ------------------------------------------------------------------------------


def test_existing_output_needs_overwrite(full, tmp_path):
    out = tmp_path / "out.json"
    out.write_text("old\n")
    code, _, err = run("clash", TOWER, "-o", out)
    assert code == 2
    line = one_error_line(err)
    assert str(out) in line and "--overwrite" in line
    assert out.read_text() == "old\n"
    code, _, err = run("clash", TOWER, "-o", out, "--overwrite")
    assert code == 0, err
    assert out.read_bytes() == full["json"].read_bytes()


def test_a_bad_later_output_writes_nothing(tmp_path):
    out, out_csv, bcf = tmp_path / "o.json", tmp_path / "o.csv", tmp_path / "missing" / "o.bcf"
    code, _, err = run("clash", TOWER, "-o", out, "--csv", out_csv, "--bcf", bcf)
    assert code == 2
    line = one_error_line(err)
    assert str(bcf) in line and "does not exist" in line
    assert not out.exists() and not out_csv.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no temp files either


# -- units and federation ----------------------------------------------------------------------


def test_millimetre_model_gives_the_same_clashes(full, tmp_path):
    out = tmp_path / "mm.json"
    assert run("clash", TOWER_MM, "-o", out)[0] == 0
    mm = json.loads(out.read_text())
    assert [c["key"] for c in mm["clashes"]] == [c["key"] for c in full["doc"]["clashes"]]
    for c in mm["clashes"]:
        truth = TRUTH_BY_PAIR[frozenset((c["a"]["global_id"], c["b"]["global_id"]))]
        assert c["overlap_volume"] == pytest.approx(truth["overlap_volume"], rel=0.01, abs=1e-9)
        assert c["distance"] == pytest.approx(truth["distance"], abs=1e-3)


def mep_model(path: Path) -> Box:
    """One duct along x through BM-0-mid (x 5.875..6.125, y 0.2..5.8, z 2.75..3.25)."""
    duct = Box((5.0, 2.0, 2.9), (7.0, 2.4, 3.1))
    f = ModelFactory(project_name="MEP", building_name="Tower",
                     guid_namespace=uuid.UUID("0b8a4a52-7c0e-4d3f-9f2e-5a6b7c8d9e01"))
    storey = f.add_storey("Level 0", 0.0)
    f.add_element("IfcDuctSegment", "DUCT-F1", shape=duct, axis="x", storey=storey,
                  predefined_type="RIGIDSEGMENT")
    f.write(path)
    return duct


def test_federated_models(tmp_path):
    mep = tmp_path / "mep.ifc"
    duct = mep_model(mep)
    beam = box_of("BM-0-mid")
    # by hand: x 5.875..6.125 (0.25) x y 2.0..2.4 (0.4) x z 2.9..3.1 (0.2) = 0.02 m³
    volume, depth, centre = box_overlap((list(duct.lo), list(duct.hi)), beam)
    assert volume == pytest.approx(0.25 * 0.4 * 0.2)
    out = tmp_path / "fed.json"
    code, _, err = run("clash", TOWER, mep, "--a", "IfcDuctSegment", "--b", "IfcBeam",
                       "-o", out)
    assert code == 0, err
    doc = json.loads(out.read_text())
    assert [m["path"] for m in doc["models"]] == ["tower_rev_a.ifc", "mep.ifc"]
    by_names = {names(c): c for c in doc["clashes"]}
    assert set(by_names) == {frozenset({"DUCT-1", "BM-1-mid"}),
                             frozenset({"DUCT-F1", "BM-0-mid"})}
    c = by_names[frozenset({"DUCT-F1", "BM-0-mid"})]
    sides = {c[s]["name"]: c[s] for s in ("a", "b")}
    assert sides["BM-0-mid"]["model"] == "tower_rev_a.ifc"
    assert sides["BM-0-mid"]["global_id"] == GID["BM-0-mid"]
    assert sides["DUCT-F1"]["model"] == "mep.ifc"
    assert sides["DUCT-F1"]["global_id"] not in NAME_OF
    assert c["relation"] == "hard"
    assert c["overlap_volume"] == pytest.approx(volume, rel=0.01)
    assert c["penetration_depth"] == pytest.approx(depth, abs=1e-3)
    assert c["location"] == pytest.approx(centre, abs=1e-6)
    assert c["storey"] == "Level 0"
    tower = by_names[frozenset({"DUCT-1", "BM-1-mid"})]
    assert {tower["a"]["model"], tower["b"]["model"]} == {"tower_rev_a.ifc"}
