"""Batch runs end to end in the library: the sample tower (rev A, rev B) and
one real shared model, on the local engine with one and two workers and on
a Dask LocalCluster of worker processes, byte for byte the same; the same
report as ``bimcheck check`` on each revision; the change order's hand-made
total; reuse on a second run; failures in their place (a text file, a
model that crashes IfcOpenShell with SIGSEGV, a time-out, a file over the
size limit) while the batch goes on.

Expected values come from the samples' truth files (the change order's
total is the one worked out by hand in tower_rev_b.truth.yaml's ``diff``
section and docs/price.md) and from ``bimcheck check`` itself, whose
statuses tests/cli/test_history_cmd.py holds against the truth.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bimcheck.batch import load_manifest
from bimcheck.batch.runner import BatchOptions, run_batch
from bimcheck.cli.main import cli
from tests.conftest import SAMPLES, shared_model

REV_A, REV_B = SAMPLES / "tower_rev_a.ifc", SAMPLES / "tower_rev_b.ifc"
TRUTH_B = yaml.safe_load((SAMPLES / "tower_rev_b.truth.yaml").read_text())
NAME_OF = {e["global_id"]: n for n, e in TRUTH_B["elements"].items()}
CLOCK = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
#: The change order A → B priced with samples/tower.rates.csv and tower.bill.yaml,
#: by hand (samples/README.md, docs/price.md).
NET_A_TO_B = 3525.56


def manifest(tmp_path: Path, *, real: bool = True, extra: list[dict] | None = None) -> Path:
    projects = [{
        "name": "tower",
        "revisions": [{"path": str(REV_A), "label": "A"}, {"path": str(REV_B), "label": "B"}],
        "lift_plan": str(SAMPLES / "tower.lift.yaml"),
        "rates": str(SAMPLES / "tower.rates.csv"),
        "price_rules": str(SAMPLES / "tower.bill.yaml"),
    }]
    if real:
        projects.append({"name": "duplex",
                         "revisions": [str(shared_model("Ifc2s3_Duplex_Electrical.ifc"))]})
    projects += extra or []
    path = tmp_path / "portfolio.yaml"
    path.write_text(yaml.safe_dump({"projects": projects}))
    return path


def run(tmp_path: Path, source: Path, name: str, **kw):
    out = tmp_path / name
    options = BatchOptions(out=out / "reports", db=out / "h.sqlite", clock=lambda: CLOCK, **kw)
    return out, run_batch(load_manifest(source), options)


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    """The same batch on -j 1, -j 2 and a 2-worker Dask LocalCluster."""
    tmp = tmp_path_factory.mktemp("engines")
    source = manifest(tmp)
    from bimcheck.batch.portfolio import portfolio, portfolio_files

    runs = {}
    for name, kw in (("j1", {"jobs": 1}), ("j2", {"jobs": 2}),
                     ("dask", {"engine": "dask", "scheduler": "local:2"})):
        out, result = run(tmp, source, name, **kw)
        for file, text in portfolio_files(portfolio(result, db_name="h.sqlite")).items():
            (out / "reports" / file).write_text(text)
        runs[name] = (out, result)
    return runs


def test_local_and_dask_engines_give_byte_identical_results(engines):
    trees = {name: tree(out / "reports") for name, (out, _) in engines.items()}
    names = set(trees["j1"])
    assert {"tower/A/report.json", "tower/B/report.json", "tower/B/diff.json",
            "tower/B/change_order.xlsx", "duplex/Ifc2s3_Duplex_Electrical/report.html",
            "dashboard.html", "digest.md", "batch.json"} <= names
    assert "tower/A/diff.json" not in names  # the first revision has nothing to diff with
    for name in ("j2", "dask"):
        assert set(trees[name]) == names
        differ = [f for f in names if trees[name][f] != trees["j1"][f]]
        assert differ == [], name
    assert "dask, LocalCluster of 2" in engines["dask"][1].engine
    for _, result in engines.values():
        assert (result.ran, result.reused, result.failed) == (3, 0, 0)
        assert 0 < result.peak_mib < 8192


def test_change_order_is_the_hand_made_total_and_statuses_follow_the_revisions(engines):
    out, result = engines["j1"]
    order = json.loads((out / "reports/tower/B/change_order.json").read_text())
    assert order["totals"]["net"] == pytest.approx(NET_A_TO_B, abs=0.005)
    diff = json.loads((out / "reports/tower/B/diff.json").read_text())
    assert diff["summary"]["statuses"] == {"added": 1, "removed": 1, "modified": 5,
                                           "moved": 1, "unchanged": 75}
    b = json.loads((out / "reports/tower/B/report.json").read_text())
    assert b["history"]["previous"]["revision"] == "A"
    new = {frozenset(NAME_OF[e["global_id"]] for e in f["elements"])
           for f in b["findings"] if f["family"] == "clash" and f["status"] == "new"}
    resolved = {frozenset(NAME_OF.get(g, g) for g in x["elements"])
                for x in b["history"]["gone"] if x["status"] == "resolved"}
    assert new == {frozenset({"P-1-riser", "SL-2"})}  # samples/README.md, Rev B
    assert frozenset({"DUCT-1", "BM-1-mid"}) in resolved
    tower = next(s for s in result.items if s["revision"] == "B")
    assert tower["change"]["totals"]["net"] == pytest.approx(NET_A_TO_B, abs=0.005)
    assert tower["check"]["new"]["high"] == 2  # CL001 and CL007 of the riser


def _no_times(text: str) -> str:
    return re.sub(r'"time": "[^"]*"', '"time": "T"', text)


def test_each_report_is_what_bimcheck_check_writes(engines, tmp_path, monkeypatch):
    monkeypatch.delenv("BIMCHECK_NO_HISTORY", raising=False)
    out, _ = engines["j1"]
    db = tmp_path / "h.sqlite"
    for model, label in ((REV_A, "A"), (REV_B, "B")):
        r = CliRunner().invoke(cli, [
            "-q", "check", str(model), "--lift-plan", str(SAMPLES / "tower.lift.yaml"),
            "--timeout", "1800", "--db", str(db), "--project", "tower", "--revision", label,
            "--out", str(tmp_path / label)])
        assert r.exit_code == 0, r.output
        for name in ("report.json", "findings.bcf", "report.junit.xml"):
            mine = (tmp_path / label / name).read_bytes()
            batch = (out / "reports" / "tower" / label / name).read_bytes()
            if name == "report.json":
                mine, batch = _no_times(mine.decode()), _no_times(batch.decode())
            assert mine == batch, (label, name)


def test_a_second_run_reuses_every_revision_and_force_redoes_them(engines, tmp_path):
    out, first = engines["j2"]
    before = tree(out / "reports")
    options = BatchOptions(out=out / "reports", db=out / "h.sqlite", jobs=2,
                           clock=lambda: CLOCK)
    source = manifest(tmp_path)
    again = run_batch(load_manifest(source), options)
    assert (again.ran, again.reused) == (0, 3)
    assert again.engine == "none"  # no engine was even started
    assert again.batch.id == first.batch.id + 1 and not again.batch.resumed
    assert tree(out / "reports") == before
    assert [s["batch"] for s in again.items] == [first.batch.id] * 3
    # a changed file on disk is redone
    (out / "reports/tower/B/report.html").write_text("edited")
    third = run_batch(load_manifest(source), options)
    assert (third.ran, third.reused) == (1, 2)
    # redone: a new run in the history, against the same previous revision, same statuses
    old = json.loads(before["tower/B/report.json"])
    new = json.loads((out / "reports/tower/B/report.json").read_text())
    assert new["history"]["run"] > old["history"]["run"]
    assert new["history"]["previous"] == old["history"]["previous"]
    for doc in (old, new):
        doc["history"].pop("run")
    assert new == old


@pytest.fixture
def crashing_parser(monkeypatch):
    """Batch tasks whose parse of a file called segv.ifc dies by SIGSEGV
    (:mod:`tests.unit.segv_on_parse`, preloaded into a fresh forkserver)."""
    import multiprocessing.forkserver as forkserver

    from bimcheck.batch import isolate

    def restart():
        forkserver._forkserver._stop()
        isolate._context = None

    monkeypatch.setattr(isolate, "_PRELOAD", [*isolate._PRELOAD, "tests.unit.segv_on_parse"])
    restart()
    yield
    monkeypatch.undo()
    restart()


def test_failures_are_reported_in_their_place_and_the_batch_goes_on(tmp_path, crashing_parser):
    text = tmp_path / "notes.ifc"
    text.write_text("this is not a model\n")
    segv = tmp_path / "segv.ifc"  # its parse crashes (the crashing_parser fixture)
    segv.write_bytes(REV_A.read_bytes())
    big = tmp_path / "big.ifc"
    big.write_bytes(REV_A.read_bytes())
    source = manifest(tmp_path, real=False, extra=[
        {"name": "text", "revisions": [str(text)]},
        {"name": "crash", "revisions": [str(segv), str(REV_B)]},
    ])
    _, result = run(tmp_path, source, "failures", jobs=2)
    by = {(s["project"], s["revision"]): s for s in result.items}
    assert by[("tower", "B")]["status"] == "ok"
    assert by[("text", "notes")]["failure"] == "input"
    assert "not an IFC file" in by[("text", "notes")]["error"]
    assert by[("crash", "segv")]["failure"] == "crash"
    assert "SIGSEGV" in by[("crash", "segv")]["error"]
    # the next revision is checked; its diff against the crashed one is skipped
    after = by[("crash", "tower_rev_b")]
    assert after["status"] == "ok" and after["change"]["status"] == "skipped"
    assert result.failed == 2
    err = (tmp_path / "failures/reports/crash/segv/error.txt").read_text()
    assert "SIGSEGV" in err

    # over the size limit: not read at all; a time-out: stopped in its place
    _, small = run(tmp_path, manifest(tmp_path, real=False), "limits",
                   max_file_size=1000, jobs=1)
    assert [s["failure"] for s in small.items] == ["size", "size"]
    assert "over the size limit" in small.items[0]["error"]
    _, many = run(tmp_path, manifest(tmp_path, real=False), "elements", max_elements=3,
                  jobs=1)
    assert [s["failure"] for s in many.items] == ["input", "input"]
    assert "over the limit of 3 (--max-elements)" in many.items[0]["error"]
    _, slow = run(tmp_path, manifest(tmp_path, real=False), "slow", timeout=0.001, jobs=1,
                  no_cache=True)
    assert [s["failure"] for s in slow.items] == ["timeout", "timeout"]


def test_dask_missing_says_how_to_install(monkeypatch):
    import sys

    from bimcheck.batch.engines import DaskEngine
    from bimcheck.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'bimcheck\[dask\]'"):
        DaskEngine("local:1")
