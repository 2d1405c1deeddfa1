"""The run history (bimcheck/store): statuses between runs, the database
file (schema, version, refusals), reviews, trends, and safety: a writer
killed with SIGKILL inside its transaction leaves a sound database without
its run, a reader reads while a writer writes, and processes writing at once lose no run."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bimcheck.errors import HistoryError
from bimcheck.gate import GatePolicy, evaluate
from bimcheck.store import (
    FindingRecord,
    RunInput,
    compare,
    finding_timeline,
    integrity,
    list_runs,
    open_db,
    record_run,
    set_review,
    trends,
)
from bimcheck.store.db import APPLICATION_ID, PAUSE_ENV, SCHEMA_VERSION
from bimcheck.store.inputs import project_name
from bimcheck.store.record import pack_elements, unpack_elements
from bimcheck.store.status import OpenFinding

REPO = Path(__file__).resolve().parents[2]

K1, K2, K3, K4 = ("1" * 32, "2" * 32, "3" * 32, "4" * 32)


def rec(key: str, rule: str = "CL001", elements: tuple[str, ...] = ("A", "B"),
        severity: str = "high") -> FindingRecord:
    return FindingRecord(key, rule, "hard", severity, f"finding {key[:4]}", elements)


class Clock:
    """A clock that ticks one minute per call, from 2025-01-01T00:00:00Z."""

    def __init__(self) -> None:
        self.t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        now = self.t
        self.t += dt.timedelta(minutes=1)
        return now


def run(project: str = "tower", revision: str = "r1", findings: tuple = (),
        rules: tuple[str, ...] = ("CL001", "CL002"), empty: tuple[str, ...] = (),
        elements: tuple[str, ...] = ("A", "B", "C", "D"), command: str = "check",
        **totals) -> RunInput:
    return RunInput(project=project, revision=revision, command=command,
                    models=[{"name": f"{project}_{revision}.ifc", "digest": "d" * 40}],
                    packs=[{"name": "default", "digest": "p" * 40}], findings=list(findings),
                    rules_run=rules, rules_empty=empty, elements=elements, totals=totals)


@pytest.fixture
def db(tmp_path):
    with open_db(tmp_path / "h" / "history.sqlite", clock=Clock()) as store:
        yield store


# -- statuses (pure) ---------------------------------------------------------------------

def test_compare_gives_each_status_and_why():
    before = {k: OpenFinding(r, "new", 1) for k, r in (
        (K1, rec(K1)),                                   # found again: active
        (K2, rec(K2, elements=("A", "C"))),              # gone, all there: resolved
        (K3, rec(K3, rule="CL003")),                     # rule not run
        (K4, rec(K4, elements=("A", "GONE"))),           # an element deleted
    )}
    empty = rec("5" * 32, rule="CL002")
    before[empty.key] = OpenFinding(empty, "active", 1)  # its rule matched nothing
    c = compare(before, [rec(K1), rec("6" * 32)], rules_run={"CL001", "CL002"},
                rules_empty={"CL002"}, elements={"A", "B", "C"})
    assert c.statuses == {K1: "active", "6" * 32: "new"}
    gone = {g.record.key: (g.status, g.reason) for g in c.gone}
    assert gone == {
        K2: ("resolved", None),
        K3: ("unretested", "rule CL003 did not run"),
        K4: ("unretested", "element GONE not in the model"),
        "5" * 32: ("unretested", "rule CL002: its selectors matched nothing"),
    }
    assert c.counts() == {"new": 1, "active": 1, "resolved": 1, "unretested": 3}


def test_an_element_without_a_mesh_leaves_mesh_rules_unretested():
    clash, prop = rec(K1, rule="CL001"), rec(K2, rule="PR001", elements=("B",))
    before = {f.key: OpenFinding(f, "active", 1) for f in (clash, prop)}
    c = compare(before, [], rules_run={"CL001", "PR001"}, rules_empty=(),
                elements={"A", "B"}, unmeshed={"B"}, mesh_rules={"CL001"})
    # the clash could not be tested (B has no mesh); the property rule needs none
    assert {g.record.key: (g.status, g.reason) for g in c.gone} == {
        K1: ("unretested", "element B has no mesh in this run"), K2: ("resolved", None)}


def test_project_name_strips_one_trailing_revision_marker():
    cases = {"tower_rev_a": "tower", "tower_rev_b": "tower", "tower-rev-2": "tower",
             "tower_rev3": "tower", "Tower.Revision_C": "Tower", "tower-r2": "tower",
             "site_v3": "site", "site.V10": "site", "tower_review": "tower_review",
             "tower_rev_a_mm": "tower_rev_a_mm", "rev_a": "rev_a", "v3": "v3",
             "tower_revA": "tower_revA", "block_b_r12": "block_b"}
    assert {s: project_name(s) for s in cases} == cases


def test_element_list_round_trips_sorted_and_unique():
    blob, n = pack_elements(["b", "a", "b", "c$"])
    assert n == 3 and unpack_elements(blob) == ["a", "b", "c$"]
    assert unpack_elements(pack_elements([])[0]) == []


# -- recording ---------------------------------------------------------------------------

def test_first_run_then_statuses_across_runs(db):
    r1 = record_run(db, run(findings=(rec(K1), rec(K2))))
    assert r1.previous is None and r1.comparison.statuses == {K1: "new", K2: "new"}
    assert r1.run.time == "2025-01-01T00:00:00Z"
    r2 = record_run(db, run(revision="r2", findings=(rec(K1), rec(K3))))
    assert r2.previous is not None and r2.previous.id == r1.run.id
    assert r2.comparison.statuses == {K1: "active", K3: "new"}
    assert [(g.record.key, g.status) for g in r2.comparison.gone] == [(K2, "resolved")]
    assert r2.previous_open == {K1, K2}
    # another project and another command do not mix in
    other = record_run(db, run(project="other", findings=(rec(K1),)))
    clash = record_run(db, run(command="clash", findings=(rec(K1),)))
    assert other.previous is None and clash.previous is None


def test_resolved_then_back_is_new_and_unretested_is_carried(db):
    record_run(db, run(findings=(rec(K1), rec(K2, elements=("A", "C")))))
    # K1 resolved; K2's element C is deleted: unretested, carried
    r2 = record_run(db, run(revision="r2", elements=("A", "B")))
    assert {g.record.key: g.status for g in r2.comparison.gone} == {K1: "resolved",
                                                                    K2: "unretested"}
    r3 = record_run(db, run(revision="r3", findings=(rec(K1),), elements=("A", "B")))
    assert r3.comparison.statuses == {K1: "new"}  # it was resolved: new again
    assert [(g.record.key, g.status) for g in r3.comparison.gone] == [(K2, "unretested")]
    # C is back and K2 is found: it never went away, so active, its streak from run 1
    r4 = record_run(db, run(revision="r4", findings=(rec(K1), rec(K2, elements=("A", "C")))))
    assert r4.comparison.statuses == {K1: "active", K2: "active"}
    assert r4.comparison.first_run == {K1: r3.run.id, K2: 1}


def test_duplicate_keys_in_one_run_are_recorded_once(db):
    r = record_run(db, run(findings=(rec(K1), rec(K1))))
    assert r.comparison.statuses == {K1: "new"}
    assert list_runs(db)[0]["findings"] == 1


def test_list_runs_and_trend_per_revision_with_net_cost(db):
    record_run(db, run(revision="a", findings=(rec(K1, severity="critical"),), risk=25.0))
    record_run(db, run(revision="b", findings=(rec(K1), rec(K2, severity="low")), risk=12.5))
    record_run(db, run(revision="a", findings=(rec(K1),), risk=10.0))  # a re-run of a
    record_run(db, run(revision="b", command="price", rules=(), net_cost=-1250.5,
                       currency="CNY"))
    runs = list_runs(db, "tower")
    assert [(r["run"], r["revision"], r["command"]) for r in runs] == [
        (1, "a", "check"), (2, "b", "check"), (3, "a", "check"), (4, "b", "price")]
    assert runs[1]["by_severity"] == {"critical": 0, "high": 1, "medium": 0, "low": 1,
                                      "info": 0}
    assert runs[1]["statuses"] == {"new": 1, "active": 1, "resolved": 0, "unretested": 0}
    assert runs[0]["time"] == "2025-01-01T00:00:00Z" and runs[3]["net_cost"] == -1250.5
    (check, price) = trends(db, "tower")
    assert (check["command"], price["command"]) == ("check", "price")
    # one point per revision: its latest run, in the order revisions were first run
    assert [(p["revision"], p["run"], p["findings"], p["risk"]) for p in check["points"]] == [
        ("a", 3, 1, 10.0), ("b", 2, 2, 12.5)]
    assert [p["net_cost"] for p in check["points"]] == [None, -1250.5]
    assert check["points"][1]["currency"] == "CNY"
    # the recorded run's trend leaves its own revision out
    r = record_run(db, run(revision="c", findings=()))
    assert [p["revision"] for p in r.trend] == ["a", "b"]


# -- reviews -----------------------------------------------------------------------------

def test_reviews_kept_in_force_until_resolved(db):
    record_run(db, run(findings=(rec(K1), rec(K2))))
    set_review(db, K1[:8], "reviewed", "j.chen", "looking")
    set_review(db, K1, "approved", "j.chen", "sleeve agreed, RFI-112")
    r2 = record_run(db, run(revision="r2", findings=(rec(K1), rec(K2))))
    assert r2.approved == {K1}
    assert r2.reviews[K1].note == "sleeve agreed, RFI-112" and r2.reviews[K1].who == "j.chen"
    t = finding_timeline(db, K1)
    assert [(e["state"], e["by"]) for e in t["reviews"]] == [("reviewed", "j.chen"),
                                                            ("approved", "j.chen")]
    assert t["review"]["state"] == "approved"
    record_run(db, run(revision="r3", findings=(rec(K2),)))           # K1 resolved
    r4 = record_run(db, run(revision="r4", findings=(rec(K1), rec(K2))))  # and back
    assert r4.comparison.statuses[K1] == "new" and r4.approved == set()
    t = finding_timeline(db, K1)
    assert [r["status"] for r in t["runs"]] == ["new", "active", "resolved", "new"]
    assert t["review"] is None and len(t["reviews"]) == 2  # the events stay


def test_review_key_errors_name_the_file(db):
    record_run(db, run(findings=(rec(K1), rec("1" * 31 + "2"))))
    record_run(db, run(project="other", findings=(rec(K3),)))
    record_run(db, run(project="third", findings=(rec(K3),)))
    for key, text in (("12", "not a finding key"), ("9" * 32, "no finding with key"),
                      ("1" * 8, "matches 2 findings"), (K3, "give --project"),
                      ("zz" * 16, "not a finding key")):
        with pytest.raises(HistoryError) as err:
            set_review(db, key, "approved", "me", "")
        assert text in str(err.value) and str(db.path) in str(err.value)
    assert set_review(db, K3, "approved", "me", "", project="other").run_id == 2
    with pytest.raises(HistoryError, match="review state"):
        set_review(db, K1, "waived", "me", "")


def test_gate_does_not_count_approved_findings():
    class F:
        def __init__(self, key: str, severity: str) -> None:
            self.key, self.rule, self.severity = key, "CL001", severity

    findings = [F(K1, "critical"), F(K2, "low")]
    policy = GatePolicy(fail_on="critical")
    statuses, verdict = evaluate(findings, policy)
    assert not verdict.passed and verdict.failing == [K1]
    statuses, verdict = evaluate(findings, policy, approved=[K1, K4])
    assert verdict.passed and verdict.approved == [K1] and verdict.counted == 1
    assert statuses == {K1: "open", K2: "open"}  # the status is kept
    assert verdict.as_dict()["approved"] == [K1]


# -- the file ----------------------------------------------------------------------------

def test_new_database_is_wal_versioned_and_has_a_busy_timeout(tmp_path):
    path = tmp_path / "deep" / "er" / "history.sqlite"
    with open_db(path) as store:
        conn = store.conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 10_000
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert path.is_file() and integrity(path) == "ok"
    with open_db(path) as store:  # reopening changes nothing
        assert list_runs(store) == []


def test_missing_database_is_not_created_for_reading(tmp_path):
    with pytest.raises(HistoryError, match="no history database") as err:
        open_db(tmp_path / "none.sqlite", create=False)
    assert str(tmp_path / "none.sqlite") in str(err.value)
    assert not (tmp_path / "none.sqlite").exists()
    with pytest.raises(HistoryError, match="is a folder"):
        open_db(tmp_path)


def test_refuses_a_newer_schema(tmp_path):
    path = tmp_path / "h.sqlite"
    open_db(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(HistoryError, match=r"schema 99 is newer .* upgrade bimcheck") as err:
        open_db(path)
    assert str(path) in str(err.value)


def test_refuses_another_sqlite_database_and_leaves_it_alone(tmp_path):
    path = tmp_path / "app.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (t TEXT)")
    conn.execute("INSERT INTO notes VALUES ('keep me')")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(HistoryError, match="not a bimcheck history database") as err:
        open_db(path)
    assert str(path) in str(err.value)
    assert path.read_bytes() == before and not Path(f"{path}-wal").exists()


@pytest.mark.parametrize("content", [b"", b"not a database at all, just text\n" * 200])
def test_refuses_a_file_that_is_not_sqlite_or_is_corrupt(tmp_path, content):
    path = tmp_path / "h.sqlite"
    if content:
        path.write_bytes(content)
    else:  # a real history database with its pages overwritten
        with open_db(path) as store:
            record_run(store, run(findings=tuple(rec(f"{i:032x}") for i in range(400))))
        data = bytearray(path.read_bytes())
        data[4096:len(data)] = b"\xff" * (len(data) - 4096)
        path.write_bytes(bytes(data))
    with pytest.raises(HistoryError, match="corrupt or not a SQLite file") as err:
        with open_db(path) as store:
            list_runs(store)
            finding_timeline(store, "0" * 32)
    assert str(path) in str(err.value)


# -- safety: two processes ---------------------------------------------------------------

WRITER = textwrap.dedent("""
    import sys
    from bimcheck.store import FindingRecord, RunInput, open_db, record_run
    findings = [FindingRecord(f"{i:032x}", "CL001", "hard", "high", "m" * 200, ("A", "B"))
                for i in range(int(sys.argv[2]))]
    with open_db(sys.argv[1]) as db:
        record_run(db, RunInput(project="tower", revision="r2", command="check",
                                models=[{"name": "t.ifc", "digest": "d"}], findings=findings,
                                rules_run=["CL001"], elements=["A", "B"]))
""")


def start_writer(path: Path, marker: Path, findings: int) -> subprocess.Popen:
    env = {**os.environ, PAUSE_ENV: str(marker), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(findings)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode() if proc.stderr else "writer died")
        assert time.monotonic() < deadline, "the writer never reached its transaction"
        time.sleep(0.02)
    return proc


def committed_run(path: Path) -> None:
    with open_db(path) as store:
        record_run(store, run(revision="r1", findings=(rec(K1),)))


def test_writer_killed_inside_its_transaction_leaves_a_sound_database(tmp_path):
    path, marker = tmp_path / "h.sqlite", tmp_path / "inside"
    committed_run(path)
    proc = start_writer(path, marker, 20_000)  # ~5 MB of rows: more than the page cache
    wal = Path(f"{path}-wal")
    assert wal.stat().st_size > 1_000_000  # the half-written run is on disk, uncommitted
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert integrity(path) == "ok"
    with open_db(path) as store:
        runs = list_runs(store)
        assert [(r["run"], r["revision"], r["findings"]) for r in runs] == [(1, "r1", 1)]
        assert store.query("SELECT count(*) FROM findings")[0][0] == 1
        again = record_run(store, run(revision="r2", findings=(rec(K1),)))
    assert again.run.id == 2 and again.comparison.statuses == {K1: "active"}
    assert integrity(path) == "ok"


def test_a_reader_reads_while_a_writer_is_inside_its_transaction(tmp_path):
    path, marker = tmp_path / "h.sqlite", tmp_path / "inside"
    committed_run(path)
    proc = start_writer(path, marker, 50)
    try:
        t0 = time.monotonic()
        with open_db(path, create=False) as store:
            assert [r["revision"] for r in list_runs(store)] == ["r1"]  # the committed state
        assert time.monotonic() - t0 < 5  # it did not wait for the writer
    finally:
        marker.unlink()
    assert proc.wait(timeout=60) == 0, proc.stderr.read().decode() if proc.stderr else ""
    with open_db(path, create=False) as store:
        runs = list_runs(store)
    assert [(r["revision"], r["findings"]) for r in runs] == [("r1", 1), ("r2", 50)]
    assert runs[1]["statuses"]["new"] == 50 and runs[1]["statuses"]["resolved"] == 1


CONCURRENT_WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from bimcheck.store import FindingRecord, RunInput, open_db, record_run
    path, project, runs, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    while not go.exists():
        time.sleep(0.005)
    for r in range(runs):
        findings = [FindingRecord(f"{project}{i:04d}".ljust(32, "0"), "CL001", "hard",
                                  "high", "m", ("A", "B")) for i in range(r + 1)]
        with open_db(path) as db:
            record_run(db, RunInput(project=project, revision=f"r{r}", command="check",
                                    models=[{"name": f"{project}.ifc", "digest": "d"}],
                                    findings=findings, rules_run=["CL001"], elements=["A", "B"]))
""")


def test_processes_writing_one_history_at_once_lose_no_run(tmp_path):
    # Four processes, released together, each record eight runs of their own
    # project (run r has findings 0..r, so nothing resolves) into one database.
    path, go = tmp_path / "h.sqlite", tmp_path / "go"
    committed_run(path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    projects = ["p0", "p1", "p2", "p3"]
    procs = [subprocess.Popen([sys.executable, "-c", CONCURRENT_WRITER, str(path), p, "8",
                               str(go)], env=env, stderr=subprocess.PIPE) for p in projects]
    time.sleep(0.5)
    go.touch()
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    assert integrity(path) == "ok"
    with open_db(path, create=False) as store:
        runs = list_runs(store)
        assert len(runs) == 1 + 4 * 8
        assert sorted(r["run"] for r in runs) == list(range(1, 34))
        for p in projects:
            mine = sorted((r for r in runs if r["project"] == p), key=lambda r: r["revision"])
            assert [(r["revision"], r["findings"]) for r in mine] == \
                [(f"r{i}", i + 1) for i in range(8)]
        assert store.query("SELECT count(*) FROM findings")[0][0] == 1 + 4 * sum(range(1, 9))
