"""Run history end to end: ``check`` / ``clash`` / ``qto`` recording, the
statuses of the sample tower's clashes from rev A to rev B against the
ground truth, unretested when a rule is dropped or matches nothing, resolved
then back is new, approved findings and the gate, ``--no-history``,
``bimcheck history`` and ``bimcheck status``, and a reader beside a writer.

Expected statuses come from the truth files (``samples/tower_rev_{a,b}.truth.yaml``
``pairs``, ``elements`` and ``changes``) and samples/README.md's Rev B
table, never from what the commands printed before."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bimcheck.cli.main import cli
from bimcheck.findings import finding_key
from tests.conftest import REPO, SAMPLES

TRUTH_A = yaml.safe_load((SAMPLES / "tower_rev_a.truth.yaml").read_text())
TRUTH_B = yaml.safe_load((SAMPLES / "tower_rev_b.truth.yaml").read_text())
REV_A, REV_B = SAMPLES / "tower_rev_a.ifc", SAMPLES / "tower_rev_b.ifc"
NAME_OF = {e["global_id"]: n for t in (TRUTH_A, TRUTH_B) for n, e in t["elements"].items()}
GID = {n: g for g, n in NAME_OF.items()}
CLASH_RELATIONS = ("hard", "clearance", "duplicate")
DUCT_BEAM = frozenset({GID["DUCT-1"], GID["BM-1-mid"]})


@pytest.fixture(autouse=True)
def _history_on(monkeypatch):
    """The suite records nothing (tests/conftest.py); these tests do, into tmp_path."""
    monkeypatch.delenv("BIMCHECK_NO_HISTORY", raising=False)
    monkeypatch.delenv("BIMCHECK_HISTORY_DB", raising=False)


def bimcheck(*args: object) -> tuple[int, str]:
    r = CliRunner().invoke(cli, ["-q", *map(str, args)])
    return r.exit_code, r.output


def clash_pairs(truth: dict) -> set[frozenset[str]]:
    return {frozenset((p["a"], p["b"])) for p in truth["pairs"]
            if p["relation"] in CLASH_RELATIONS}


def names(pairs: set[frozenset[str]]) -> set[frozenset[str]]:
    return {frozenset(NAME_OF[g] for g in p) for p in pairs}


def pack(tmp_path: Path, name: str, rules: dict[str, dict]) -> Path:
    """A pack of the shipped clash pack's rules ``rules`` (id → field overrides)."""
    base = yaml.safe_load((REPO / "rules" / "clash" / "default.yaml").read_text())
    chosen = [{**r, **rules[r["id"]]} for r in base["rules"] if r["id"] in rules]
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({**base, "pack": name, "rules": chosen}))
    return path


def report(out: Path) -> dict:
    return json.loads((out / "report.json").read_text())


# -- the samples -------------------------------------------------------------------------

def test_rev_a_then_rev_b_clash_statuses_are_the_truths(tmp_path):
    db = tmp_path / "ci" / "history.sqlite"
    for model, out in ((REV_A, "a"), (REV_B, "b")):
        code, output = bimcheck("check", model, "--db", db, "--out", tmp_path / out)
        assert code == 0, output
    a, b = report(tmp_path / "a"), report(tmp_path / "b")
    pairs_a, pairs_b = clash_pairs(TRUTH_A), clash_pairs(TRUTH_B)
    in_b = {e["global_id"] for e in TRUTH_B["elements"].values()}
    removed = {e["global_id"] for e in TRUTH_B["changes"]["removed"]}
    gone = pairs_a - pairs_b
    unretested = {p for p in gone if p - in_b}  # an element is missing from rev B
    expected = {**{p: {"new"} for p in pairs_b - pairs_a},
                **{p: {"active"} for p in pairs_b & pairs_a},
                **{p: {"resolved"} for p in gone - unretested},
                **{p: {"unretested"} for p in unretested}}
    # samples/README.md, "Rev B": the new riser clash, the rerouted duct, the deleted
    # duplicate column (its element is gone: unretested, not resolved), the rest active
    by_status = {s: names({p for p, v in expected.items() if v == {s}})
                 for s in ("new", "resolved", "unretested")}
    assert by_status == {"new": {frozenset({"P-1-riser", "SL-2"})},
                         "resolved": {frozenset({"DUCT-1", "BM-1-mid"})},
                         "unretested": {frozenset({"C-1-B1", "C-1-B1-DUP"})}}
    assert len([p for p, v in expected.items() if v == {"active"}]) == 5
    assert {g for p in unretested for g in p} & removed == {GID["C-1-B1-DUP"]}

    clash_rules = {r["id"] for r in b["rules"] if r["family"] == "clash"}
    got: dict[frozenset[str], set[str]] = {}
    for f in b["findings"]:
        if f["family"] == "clash":
            got.setdefault(frozenset(e["global_id"] for e in f["elements"]), set()).add(
                f["status"])
    for g in b["history"]["gone"]:
        if g["rule"] in clash_rules:
            got.setdefault(frozenset(g["elements"]), set()).add(g["status"])
            if g["status"] == "unretested":
                assert g["reason"] == f"element {GID['C-1-B1-DUP']} not in the model"
    assert got == expected

    # the first run has nothing to compare with; the second names it
    assert {f["status"] for f in a["findings"]} == {"open"}
    h = b["history"]
    assert (h["project"], h["revision"], h["previous"]["revision"]) == (
        "tower", "tower_rev_b", "tower_rev_a")
    assert h["baseline"] == "previous run" and h["db"] == "history.sqlite"
    assert [p["revision"] for p in b["trend"]] == ["tower_rev_a"]
    assert b["trend"][0]["findings"] == a["summary"]["findings"]
    page = (tmp_path / "b" / "report.html").read_text()
    assert '<section id="history">' in page and 'id="history-trend"' in page
    assert f'<b id="hist-resolved">{h["counts"]["resolved"]}</b>' in page
    assert db.is_file()


def test_clash_command_records_resolved_then_back_as_new_and_drops_its_approval(tmp_path):
    db = tmp_path / "h.sqlite"
    clash = ("clash", "--rule", "CL001", "--db", db, "--fail-on", "critical")
    code, out = bimcheck(*clash, REV_A)
    assert code == 1 and "history: run 1, first of project 'tower'" in out
    doc = json.loads(CliRunner().invoke(cli, ["history", "--db", str(db), "--json"]).output)
    assert doc["runs"][0]["command"] == "clash" and doc["runs"][0]["findings"] == 1
    key = finding_key("CL001", "hard", DUCT_BEAM)
    code, out = bimcheck("status", key[:10], "--set", "approved", "--by", "j.chen",
                         "--note", "beam penetration agreed (RFI-7)", "--db", db)
    assert code == 0, out
    assert "approved by j.chen" in out
    code, out = bimcheck(*clash, REV_A)
    assert code == 0, out  # approved: the critical clash no longer fails --fail-on
    assert "active, approved" in out
    code, out = bimcheck(*clash, REV_B)
    assert code == 0 and "resolved" in out and "BM-1-mid" in out
    code, out = bimcheck(*clash, REV_A)
    assert code == 1, out  # back: new again, and no longer approved
    row = next(ln for ln in out.splitlines() if "DUCT-1" in ln)
    assert row.endswith("new")
    code, out = bimcheck("status", key, "--db", db, "--json")
    t = json.loads(out)
    assert [r["status"] for r in t["runs"]] == ["new", "active", "resolved", "new"]
    assert t["review"] is None and [e["state"] for e in t["reviews"]] == ["approved"]


def test_unretested_when_a_rule_is_dropped_or_matches_nothing(tmp_path):
    db = tmp_path / "h.sqlite"
    both = pack(tmp_path, "both", {"CL001": {}, "CL002": {}})
    only2 = pack(tmp_path, "only2", {"CL002": {}})
    nothing = pack(tmp_path, "nothing", {"CL001": {"b": "IfcPile"}, "CL002": {}})
    assert not [e for e in TRUTH_A["elements"].values() if e["ifc_class"] == "IfcPile"]
    pipe_wall = frozenset({GID["P-1-wall"], GID["W-1-west"]})

    def run(rules: Path, out: str) -> dict:
        code, output = bimcheck("check", REV_A, "--rules", rules, "--db", db,
                                "--out", tmp_path / out)
        assert code == 0, output
        doc = report(tmp_path / out)
        statuses = {(f["rule"], frozenset(e["global_id"] for e in f["elements"])): f["status"]
                    for f in doc["findings"]}
        gone = {(g["rule"], frozenset(g["elements"])): (g["status"], g["reason"])
                for g in doc["history"]["gone"]}
        return {"found": statuses, "gone": gone}

    run(both, "1")
    second = run(only2, "2")
    assert second == {"found": {("CL002", pipe_wall): "active"},
                      "gone": {("CL001", DUCT_BEAM): ("unretested", "rule CL001 did not run")}}
    third = run(nothing, "3")
    assert third["gone"] == {("CL001", DUCT_BEAM): (
        "unretested", "rule CL001: its selectors matched nothing")}
    fourth = run(both, "4")  # retested and found: it never went away
    assert fourth == {"found": {("CL001", DUCT_BEAM): "active", ("CL002", pipe_wall): "active"},
                      "gone": {}}


def test_approved_finding_does_not_fail_the_check_gate(tmp_path):
    db = tmp_path / "h.sqlite"
    rules = pack(tmp_path, "cl001", {"CL001": {}})
    args = ("check", REV_A, "--rules", rules, "--db", db, "--fail-on", "critical",
            "--out", tmp_path / "o", "--overwrite")
    code, out = bimcheck(*args)
    assert code == 1, out
    key = report(tmp_path / "o")["findings"][0]["key"]
    code, out = bimcheck("status", key, "--set", "approved", "--by", "site QA <script>",
                         "--note", "ok per RFI-9", "--db", db)
    assert code == 0, out
    code, out = bimcheck(*args)
    assert code == 0, out
    doc = report(tmp_path / "o")
    assert doc["gate"]["approved"] == [key] and doc["gate"]["passed"]
    assert doc["findings"][0]["status"] == "active"
    assert doc["history"]["reviews"][key]["by"] == "site QA <script>"
    page = (tmp_path / "o" / "report.html").read_text()
    assert 'class="review review-approved"' in page
    assert "site QA <script>" not in page and "site QA &lt;script&gt;" in page
    code, out = bimcheck("status", key, "--set", "reviewed", "--by", "lead", "--note",
                         "withdrawn: needs the engineer", "--db", db)
    assert code == 0
    code, out = bimcheck(*args)
    assert code == 1, out  # the latest review is in force: approval withdrawn


def test_baseline_file_wins_over_the_history_for_statuses(tmp_path):
    db = tmp_path / "h.sqlite"
    rules = pack(tmp_path, "cl", {"CL001": {}, "CL002": {}})
    common = ("--rules", rules, "--db", db)
    assert bimcheck("check", REV_A, *common, "--out", tmp_path / "a")[0] == 0
    code, out = bimcheck("check", REV_B, *common, "--out", tmp_path / "b",
                         "--baseline", tmp_path / "a" / "report.json")
    assert code == 0, out
    b = report(tmp_path / "b")
    assert b["history"]["baseline"] == "file"
    # CL001 P-1-riser/SL-2 is new, CL002 P-1-wall/W-1-west existing (baseline words)...
    assert sorted(f["status"] for f in b["findings"]) == ["existing", "new"]
    # ...and the history's own statuses are in the history section
    assert sorted(b["history"]["statuses"].values()) == ["active", "new"]
    assert [g["status"] for g in b["history"]["gone"]] == ["resolved"]


# -- recording options -------------------------------------------------------------------

def test_default_location_project_revision_and_no_history(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = SAMPLES / "qto_m.ifc"
    code, out = bimcheck("check", model, "--no-history", "--out", "o1")
    assert code == 0, out
    code, out = bimcheck("qto", model, "--no-history", "--db", "x.sqlite")
    assert code == 0, out
    assert not (tmp_path / ".bimcheck").exists() and not (tmp_path / "x.sqlite").exists()
    assert "history:" not in out
    code, out = bimcheck("qto", model)
    assert code == 0 and "history: run 1, first of project 'qto_m'" in out
    code, out = bimcheck("clash", model, "--project", "Tower A", "--revision", "IFC-03")
    assert code == 0, out
    db = tmp_path / ".bimcheck" / "history.sqlite"
    assert db.is_file()
    monkeypatch.setenv("BIMCHECK_NO_HISTORY", "1")
    assert bimcheck("qto", model)[0] == 0
    monkeypatch.delenv("BIMCHECK_NO_HISTORY")
    code, out = bimcheck("history", "--json")
    runs = json.loads(out)["runs"]
    assert [(r["project"], r["revision"], r["command"]) for r in runs] == [
        ("qto_m", "qto_m", "qto"), ("Tower A", "IFC-03", "clash")]
    assert runs[0]["models"] == [{"name": "qto_m.ifc", "digest": runs[0]["models"][0]["digest"]}]
    assert len(runs[0]["models"][0]["digest"]) == 40


def test_history_table_json_and_project_filter(tmp_path):
    db = tmp_path / "h.sqlite"
    for model in (REV_A, REV_B):
        assert bimcheck("clash", model, "--rule", "CL001", "--db", db)[0] == 0
    code, first = bimcheck("history", "--db", db, "--json")
    assert code == 0 and bimcheck("history", "--db", db, "--json")[1] == first
    doc = json.loads(first)
    assert [(r["revision"], r["findings"], r["statuses"]) for r in doc["runs"]] == [
        ("tower_rev_a", 1, {"new": 1, "active": 0, "resolved": 0, "unretested": 0}),
        ("tower_rev_b", 1, {"new": 1, "active": 0, "resolved": 1, "unretested": 0})]
    (trend,) = doc["trends"]
    assert (trend["project"], trend["command"]) == ("tower", "clash")
    assert [p["revision"] for p in trend["points"]] == ["tower_rev_a", "tower_rev_b"]
    code, table = bimcheck("history", "--db", db)
    assert code == 0 and "trend: tower / clash" in table
    assert table.splitlines()[0].split()[:6] == ["run", "time", "(UTC)", "project",
                                                "revision", "command"]
    assert bimcheck("history", "--db", db, "--project", "elsewhere")[1] == "no runs recorded\n"


# -- errors ------------------------------------------------------------------------------

def test_unusable_databases_exit_2_naming_the_file(tmp_path):
    missing = tmp_path / "none.sqlite"
    code, out = bimcheck("history", "--db", missing)
    assert code == 2 and str(missing) in out and not missing.exists()
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    code, out = bimcheck("check", REV_A, "--db", other, "--out", tmp_path / "o")
    assert code == 2 and str(other) in out and "not a bimcheck history database" in out
    assert not (tmp_path / "o").exists()  # refused before the run
    text = tmp_path / "text.sqlite"
    text.write_text("hello\n" * 100)
    code, out = bimcheck("clash", REV_A, "--db", text)
    assert code == 2 and str(text) in out and "Traceback" not in out
    under_a_file = text / "h.sqlite"
    code, out = bimcheck("qto", SAMPLES / "qto_m.ifc", "--db", under_a_file)
    assert code == 2 and "not a writable folder" in out and str(under_a_file) in out
    db = tmp_path / "h.sqlite"
    assert bimcheck("qto", SAMPLES / "qto_m.ifc", "--db", db)[0] == 0
    code, out = bimcheck("status", "ab" * 16, "--db", db)
    assert code == 2 and "no finding with key" in out and str(db) in out
    code, out = bimcheck("status", "ab" * 16, "--set", "approved", "--db", db)
    assert code == 2 and "--by" in out


def test_history_reads_while_another_process_writes(tmp_path):
    from tests.unit.test_store import committed_run, start_writer

    db, marker = tmp_path / "h.sqlite", tmp_path / "inside"
    committed_run(db)
    proc = start_writer(db, marker, 20)
    try:
        code, out = bimcheck("history", "--db", db, "--json")
        assert code == 0, out
        assert [r["revision"] for r in json.loads(out)["runs"]] == ["r1"]
    finally:
        marker.unlink()
    assert proc.wait(timeout=60) == 0
    code, out = bimcheck("history", "--db", db, "--json")
    assert [r["revision"] for r in json.loads(out)["runs"]] == ["r1", "r2"]
