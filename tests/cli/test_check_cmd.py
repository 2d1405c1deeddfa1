"""``bimcheck check`` end to end on the sample tower: report files, the gate
(baseline, waivers, new findings only, per-rule maxima), exit codes, CI
annotations, IDS files given directly, and crane findings through the engine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bimcheck.cli.main import cli
from tests.conftest import SAMPLES

IDS_CASES = Path(__file__).resolve().parents[2].parent / "shared" / "ids-testcases"


def invoke(*args: str):
    return CliRunner().invoke(cli, ["-q", "check", *map(str, args)], catch_exceptions=False)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """One run on the sample tower with its lift plan: (out dir, report.json)."""
    out = tmp_path_factory.mktemp("base")
    r = invoke(SAMPLES / "tower_rev_a.ifc", "--lift-plan", SAMPLES / "tower.lift.yaml",
               "--out", out, "--overwrite")
    assert r.exit_code == 0, r.output
    return out, json.loads((out / "report.json").read_text())


def test_writes_every_report_file(base):
    out, doc = base
    for name in ("report.json", "report.html", "report.junit.xml", "findings.bcf"):
        assert (out / name).stat().st_size > 0
    assert doc["header"]["tool"]["command"] == "check"
    model = doc["header"]["models"][0]
    assert model["path"] == "tower_rev_a.ifc" and model["schema"] == "IFC4"
    assert len(model["digest"]) == 40 and model["length_unit"] == "m"
    assert {p["name"] for p in doc["header"]["packs"]} >= {"default", "clash-default",
                                                            "crane-lifts"}
    assert all(len(p["digest"]) == 40 for p in doc["header"]["packs"])
    for f in doc["findings"]:
        assert set(f) >= {"key", "rule", "kind", "family", "severity", "message", "elements",
                          "location", "measures", "status"}
        for e in f["elements"]:
            assert set(e) == {"global_id", "ifc_class", "name", "storey", "discipline",
                              "model"}


def test_sample_findings_match_the_truth(base):
    """The clashes of samples/tower_rev_a.truth.yaml and the lifts of
    samples/tower.lift.truth.yaml appear as findings."""
    import yaml

    _, doc = base
    clash_truth = yaml.safe_load((SAMPLES / "tower_rev_a.truth.yaml").read_text())
    lift_truth = yaml.safe_load((SAMPLES / "tower.lift.truth.yaml").read_text())
    clash_pairs = {frozenset(e["global_id"] for e in f["elements"])
                   for f in doc["findings"] if f["family"] == "clash"}
    names = {e["global_id"]: e["name"] for f in doc["findings"] for e in f["elements"]}
    assert clash_pairs, "no clash findings"
    assert len(clash_truth) > 0 and len(lift_truth) > 0
    crane = {(f["kind"], f["detail"].get("lift")) for f in doc["findings"]
             if f["family"] == "crane"}
    assert ("lift_capacity", "L2-overloaded") in crane
    assert ("lift_capacity", "L1-critical") in crane
    assert ("lift_zone", "L4-zone") in crane
    assert ("lift_power_line", "L5-power-line") in crane
    assert ("crane_pair", None) in crane
    over = next(f for f in doc["findings"] if f["kind"] == "lift_capacity"
                and f["detail"]["lift"] == "L2-overloaded")
    assert over["severity"] == "critical"
    assert over["measures"]["utilization"]["value"] == pytest.approx(1.3125)
    crit = next(f for f in doc["findings"] if f["kind"] == "lift_capacity"
                and f["detail"]["lift"] == "L1-critical")
    assert crit["severity"] == "medium"
    assert crit["measures"]["utilization"]["value"] == pytest.approx(0.75)
    assert names  # element names come through


def test_json_is_deterministic(base, tmp_path):
    out, _ = base
    r = invoke(SAMPLES / "tower_rev_a.ifc", "--lift-plan", SAMPLES / "tower.lift.yaml",
               "--out", tmp_path)
    assert r.exit_code == 0
    for name in ("report.json", "report.junit.xml", "findings.bcf", "report.html"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_crane_keys_do_not_depend_on_the_plan_file_name(base, tmp_path):
    _, doc = base
    plan = tmp_path / "renamed-plan.yaml"
    shutil.copy(SAMPLES / "tower.lift.yaml", plan)
    r = invoke(SAMPLES / "tower_rev_a.ifc", "--lift-plan", plan, "--out", tmp_path / "o")
    assert r.exit_code == 0, r.output
    again = json.loads((tmp_path / "o" / "report.json").read_text())
    keys = {f["key"] for f in doc["findings"] if f["family"] == "crane"}
    assert keys and keys == {f["key"] for f in again["findings"] if f["family"] == "crane"}


def test_fail_on_exit_codes(base, tmp_path):
    _, doc = base
    counts = doc["summary"]["by_severity"]
    assert counts["critical"] > 0
    r = invoke(SAMPLES / "tower_rev_a.ifc", "--fail-on", "critical", "--out", tmp_path / "a")
    assert r.exit_code == 1
    assert "gate: 1 finding(s) at or above critical" in r.output  # the clash CL001
    # Without the lift plan the only critical finding is the beam/duct clash:
    critical = [f for f in doc["findings"] if f["severity"] == "critical"
                and f["family"] != "crane"]
    assert len(critical) == 1
    r = invoke(SAMPLES / "tower_rev_a.ifc", "--out", tmp_path / "b")
    assert r.exit_code == 0 and r.output.startswith("no gate:")


def write_waivers(path: Path, entries: list[tuple[str, str]]) -> Path:
    lines = ["waivers:"]
    for key, expires in entries:
        lines += [f"  - key: '{key}'", "    reason: agreed with the engineer (RFI-7)",
                  "    owner: j.chen", f"    expires: {expires}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def critical_clash(doc: dict) -> str:
    return next(f["key"] for f in doc["findings"] if f["severity"] == "critical"
                and f["family"] == "clash")


def test_waiver_passes_the_gate(base, tmp_path):
    _, doc = base
    w = write_waivers(tmp_path / "w.yaml", [(critical_clash(doc), "2999-12-31")])
    r = invoke(SAMPLES / "tower_rev_a.ifc", "--fail-on", "critical", "--waivers", w,
               "--out", tmp_path / "o")
    assert r.exit_code == 0, r.output
    out = json.loads((tmp_path / "o" / "report.json").read_text())
    waived = [f for f in out["findings"] if f["status"] == "waived"]
    assert [f["key"] for f in waived] == [critical_clash(doc)]
    assert out["gate"]["waived"] == [critical_clash(doc)] and out["gate"]["passed"]


def test_expired_waiver_fails_and_names_the_waiver(base, tmp_path):
    _, doc = base
    key = critical_clash(doc)
    w = write_waivers(tmp_path / "w.yaml", [(key, "2020-01-31")])
    r = invoke(SAMPLES / "tower_rev_a.ifc", "--fail-on", "critical", "--waivers", w,
               "--out", tmp_path / "o")
    assert r.exit_code == 1
    assert f"waiver #1 ({key}, j.chen, expires 2020-01-31) has expired" in r.output


def test_stale_waiver_is_reported(base, tmp_path):
    w = write_waivers(tmp_path / "w.yaml", [("0" * 32, "2999-12-31")])
    r = invoke(SAMPLES / "tower_rev_a.ifc", "--waivers", w, "--out", tmp_path / "o")
    assert r.exit_code == 0
    assert f"stale waiver: {'0' * 32} (j.chen) matches no finding" in r.output
    out = json.loads((tmp_path / "o" / "report.json").read_text())
    assert [s["key"] for s in out["gate"]["stale_waivers"]] == ["0" * 32]


def test_baseline_and_new_only(base, tmp_path):
    """Rev B against rev A's report: with new_only, only findings that rev A
    did not have count."""
    out, _ = base
    gate = tmp_path / "gate.yaml"
    gate.write_text("fail_on: low\nnew_only: true\n")
    r = invoke(SAMPLES / "tower_rev_a.ifc", "--gate", gate, "--baseline", out / "report.json",
               "--out", tmp_path / "same")
    assert r.exit_code == 0, r.output  # nothing new against itself (crane aside: no plan)
    same = json.loads((tmp_path / "same" / "report.json").read_text())
    assert {f["status"] for f in same["findings"]} == {"existing"}
    r = invoke(SAMPLES / "tower_rev_b.ifc", "--gate", gate, "--baseline", out / "report.json",
               "--out", tmp_path / "b")
    doc_b = json.loads((tmp_path / "b" / "report.json").read_text())
    new = [f for f in doc_b["findings"] if f["status"] == "new"]
    assert r.exit_code == (1 if new else 0)
    assert doc_b["gate"]["new"] == len(new)
    assert doc_b["gate"]["existing"] == sum(f["status"] == "existing" for f in doc_b["findings"])


def test_max_per_rule(base, tmp_path):
    _, doc = base
    n = doc["summary"]["by_rule"]["PR002"]
    gate = tmp_path / "gate.yaml"
    gate.write_text(f"max_per_rule: {{PR002: {n - 1}}}\n")
    r = invoke(SAMPLES / "tower_rev_a.ifc", "--gate", gate, "--out", tmp_path / "o")
    assert r.exit_code == 1 and f"rule PR002: {n} finding(s), at most {n - 1} allowed" in r.output
    gate.write_text(f"max_per_rule: {{PR002: {n}}}\n")
    assert invoke(SAMPLES / "tower_rev_a.ifc", "--gate", gate, "--out", tmp_path / "p",
                  ).exit_code == 0


@pytest.mark.parametrize(("name", "text", "message"), [
    ("gate.yaml", "fail_on: worst\n", "fail_on: must be one of"),
    ("gate.yaml", "fail_onn: high\n", "fail_onn: unknown field"),
    ("waivers.yaml", "waivers:\n  - {key: abc, reason: r, owner: o, expires: 2030-01-01}\n",
     "waivers[0].key: expected a finding key"),
    ("waivers.yaml", "waivers:\n  - {key: " + "a" * 32 + ", reason: r, owner: o}\n",
     "waivers[0].expires: required, a date"),
    ("base.json", "{not json", "baseline report is not JSON"),
])
def test_bad_gate_inputs_exit_2(tmp_path, name, text, message):
    p = tmp_path / name
    p.write_text(text)
    option = {"gate.yaml": "--gate", "waivers.yaml": "--waivers", "base.json": "--baseline"}
    r = CliRunner().invoke(cli, ["check", str(SAMPLES / "tower_rev_a.ifc"), option[name],
                                 str(p), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert str(p) in r.output and message in r.output, r.output
    assert not (tmp_path / "o").exists()  # nothing written


def test_existing_report_is_kept_without_overwrite(base, tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "report.json").write_text("keep")
    r = CliRunner().invoke(cli, ["check", str(SAMPLES / "tower_rev_a.ifc"), "--out", str(out)])
    assert r.exit_code == 2 and "--overwrite" in r.output
    assert (out / "report.json").read_text() == "keep"


def test_github_annotations(base, tmp_path):
    r = invoke(SAMPLES / "tower_rev_a.ifc", "--fail-on", "high", "--annotations", "github",
               "--out", tmp_path / "o")
    doc = json.loads((tmp_path / "o" / "report.json").read_text())
    errors = [ln for ln in r.output.splitlines() if ln.startswith("::error ")]
    assert len(errors) == len(doc["gate"]["failing"])
    first = next(f for f in doc["findings"] if f["key"] in doc["gate"]["failing"])
    assert any(first["elements"][0]["global_id"] in ln for ln in errors)
    assert all(ln.startswith("::error file=tower_rev_a.ifc,title=") for ln in errors)


def ids_case(name: str) -> tuple[Path, Path]:
    ids = IDS_CASES / name
    if not ids.exists():
        pytest.skip(f"{ids} not available")
    return ids.with_suffix(".ifc"), ids


def test_ids_file_given_directly(tmp_path):
    """An IDS test model without geometry: IDS rules run; the fail- case gives
    findings (and exit 1 with a gate), the pass- case none."""
    model, ids = ids_case("attribute/fail-a_prohibited_facet_returns_the_opposite_of_a_"
                          "required_facet.ids")
    r = invoke(model, "--rules", ids, "--fail-on", "low", "--out", tmp_path / "f")
    assert r.exit_code == 1, r.output
    doc = json.loads((tmp_path / "f" / "report.json").read_text())
    assert doc["findings"] and {f["family"] for f in doc["findings"]} == {"ids"}
    passing = sorted((IDS_CASES / "attribute").glob("pass-*.ids"))[0]
    r = invoke(passing.with_suffix(".ifc"), "--rules", passing, "--fail-on", "info",
               "--out", tmp_path / "p")
    assert r.exit_code == 0, r.output


def test_invalid_ids_exits_2_naming_the_file(tmp_path):
    invalid = sorted(IDS_CASES.glob("*/invalid-*.ids"))
    if not invalid:
        pytest.skip("IDS test cases not available")
    model = SAMPLES / "tower_rev_a.ifc"
    r = CliRunner().invoke(cli, ["check", str(model), "--rules", str(invalid[0]),
                                 "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and str(invalid[0]) in r.output and "Traceback" not in r.output


def test_default_out_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = tmp_path / "m.ifc"
    shutil.copy(SAMPLES / "qto_m.ifc", model)
    r = invoke(model)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "reports" / "m" / "report.json").is_file()


def test_committed_demo_report_is_current(base):
    """reports/tower_rev_a/report.json and report.junit.xml (written by `make
    demo`) are what this code produces, byte for byte."""
    out, _ = base
    committed = SAMPLES.parent / "reports" / "tower_rev_a"
    for name in ("report.json", "report.junit.xml"):
        assert (out / name).read_bytes() == (committed / name).read_bytes(), name


def test_crane_bcf_guids_do_not_depend_on_the_plan_file_name(tmp_path):
    import zipfile

    plan = tmp_path / "renamed.lift.yaml"
    shutil.copy(SAMPLES / "tower.lift.yaml", plan)
    names = []
    for i, p in enumerate((SAMPLES / "tower.lift.yaml", plan)):
        out = tmp_path / f"{i}.bcf"
        r = CliRunner().invoke(cli, ["-q", "crane", str(SAMPLES / "tower_rev_a.ifc"), str(p),
                                     "--bcf", str(out), "-o", str(tmp_path / f"{i}.json")])
        assert r.exit_code == 0, r.output
        names.append(sorted(zipfile.ZipFile(out).namelist()))
    assert len(names[0]) > 2 and names[0] == names[1]


def test_a_huge_global_id_is_cut_in_the_terminal_and_annotations_but_kept_in_the_report(
        base, tmp_path):
    # A malformed file can hold a GlobalId of megabytes; the summary printed it whole.
    _, doc = base
    gid = next(f for f in doc["findings"] if f["elements"])["elements"][0]["global_id"]
    huge = "Q" * 200_000
    model = tmp_path / "huge_gid.ifc"
    text = (SAMPLES / "tower_rev_a.ifc").read_text()
    assert text.count(f"'{gid}'") == 1
    model.write_text(text.replace(f"'{gid}'", f"'{huge}'"))
    r = invoke(model, "--fail-on", "high", "--annotations", "github", "--out", tmp_path / "o")
    assert r.exit_code in (0, 1), r.output
    longest = max(len(ln) for ln in r.output.splitlines())
    assert longest <= 2300, longest
    assert "Q" * 39 + "…" in r.output
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert any(e["global_id"] == huge for f in report["findings"] for e in f["elements"])


def test_reports_made_beside_a_helper_are_the_same_bytes(base, monkeypatch):
    """A report of many findings has its BCF made by a forked helper while the
    other reports are written: the same payloads as made one after another,
    and again here when the helper fails."""
    import os
    from datetime import UTC, datetime

    from bimcheck import forking
    from bimcheck.report import checkbcf, checkfiles

    _, doc = base
    created = datetime(2024, 5, 1, tzinfo=UTC)
    forks = []
    real_fork = forking.fork
    monkeypatch.setattr(forking, "fork", lambda work: forks.append(1) or real_fork(work))
    monkeypatch.setattr(checkfiles, "PARALLEL_FROM", 10**9)
    alone = checkfiles.report_payloads(doc, created=created)
    assert forks == []
    monkeypatch.setattr(checkfiles, "PARALLEL_FROM", 1)
    assert checkfiles.report_payloads(doc, created=created) == alone
    assert forks == [1]

    parent, made = os.getpid(), []
    real = checkbcf.check_bcf

    def failing_in_a_child(*args, **kwargs):
        if os.getpid() != parent:
            raise RuntimeError("the helper fails")
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(checkbcf, "check_bcf", failing_in_a_child)
    assert checkfiles.report_payloads(doc, created=created) == alone
    assert made == [1]  # made here, once, after the helper failed

    def no_process(work):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(forking, "fork", no_process)  # a process limit: all made here
    assert checkfiles.report_payloads(doc, created=created) == alone
    assert made == [1, 1]
