"""``bimcheck batch`` from the command line: a folder laid out
DIR/<project>/<revision>.ifc in natural order, the portfolio files, the
second run that does no work and says so, exit codes (2 for a bad manifest
or pack, 1 for a failed gate, 0 otherwise, also with failed models), log
lines with done / total and an ETA, and a batch killed with SIGKILL inside
a revision's transaction that, started again, ends with the same runs,
statuses and files as an uninterrupted one, leaving no process behind.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import yaml
from click.testing import CliRunner

from bimcheck.cli.main import cli
from bimcheck.store.db import PAUSE_ENV
from tests.conftest import REPO, SAMPLES

REV_A, REV_B = SAMPLES / "tower_rev_a.ifc", SAMPLES / "tower_rev_b.ifc"


def bimcheck(*args: object) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(map(str, args)))
    return r.exit_code, r.stdout, r.stderr


def folder(tmp_path: Path) -> Path:
    """tower/r2 = rev A, tower/r10 = rev B: natural order puts r2 first."""
    d = tmp_path / "models"
    (d / "tower").mkdir(parents=True)
    shutil.copy(REV_A, d / "tower" / "r2.ifc")
    shutil.copy(REV_B, d / "tower" / "r10.ifc")
    return d


def test_folder_batch_writes_the_portfolio_and_a_second_run_does_no_work(tmp_path):
    src, out, db = folder(tmp_path), tmp_path / "out", tmp_path / "h.sqlite"
    code, stdout, stderr = bimcheck("batch", src, "--out", out, "--db", db, "-j", "2",
                                    "--digest-json", tmp_path / "digest.json")
    assert code == 0, stdout + stderr
    assert "2 ran, 0 reused, 0 failed" in stdout
    assert "[1/2] tower/r2 done" in stderr and "[2/2] tower/r10 done" in stderr
    assert "ETA" in stderr
    doc = json.loads((out / "batch.json").read_text())
    assert [r["revision"] for r in doc["projects"][0]["revisions"]] == ["r2", "r10"]
    change = doc["projects"][0]["revisions"][1]["change"]
    assert change["against"] == "r2" and change["currency"] is None  # no rate table: unpriced
    assert (out / "tower/r10/diff.json").is_file() and (out / "dashboard.html").is_file()
    digest = (out / "digest.md").read_text()
    assert "## `tower` (latest `r10`)" in digest and "new critical/high" in digest
    assert json.loads((tmp_path / "digest.json").read_text())["projects"][0]["latest"] == "r10"
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.parent != out}

    code, stdout, stderr = bimcheck("batch", src, "--out", out, "--db", db)
    assert code == 0, stderr
    assert "all 2 revision(s) reused from earlier runs; no work done" in stdout
    assert "[2/2] tower/r10 reused" in stderr
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.parent != out}
    assert after == before
    digest = (out / "digest.md").read_text()
    assert "nothing new since the previous batch" in digest


def test_exit_codes_gate_and_bad_manifest(tmp_path):
    src, out, db = folder(tmp_path), tmp_path / "out", tmp_path / "h.sqlite"
    # rev B has critical findings (samples/README.md): --fail-on high fails its gate
    code, stdout, stderr = bimcheck("batch", src, "--out", out, "--db", db, "--fail-on", "high")
    assert code == 1, stdout + stderr
    assert "bimcheck: gate: tower: r10:" in stderr
    # a failed model alone is no reason to fail
    (src / "junk").mkdir()
    (src / "junk" / "a.ifc").write_text("not a model")
    code, stdout, stderr = bimcheck("batch", src, "--out", out, "--db", db)
    assert code == 0 and "failed junk/a" in stdout
    # bad manifests and bad packs: exit 2, naming the file and the field
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"projects": [{"name": "t", "revisions": ["missing.ifc"]}]}))
    code, _, stderr = bimcheck("batch", bad, "--out", out, "--db", db)
    assert code == 2 and "bad.yaml" in stderr and "missing.ifc" in stderr
    pack = tmp_path / "pack.yaml"
    pack.write_text("pack: x\nrules: [{id: 1}]\n")
    bad.write_text(yaml.safe_dump({"projects": [{"name": "t", "revisions": [str(REV_A)],
                                                 "rules": [str(pack)]}]}))
    code, _, stderr = bimcheck("batch", bad, "--out", out, "--db", db)
    assert code == 2 and "pack.yaml" in stderr and "Traceback" not in stderr
    code, _, stderr = bimcheck("batch", src, "--scheduler", "local:2")
    assert code == 2 and "--engine dask" in stderr


# -- kill and resume -----------------------------------------------------------------------

def _portfolio(tmp_path: Path) -> Path:
    projects = [{"name": "tower", "revisions": [str(REV_A), str(REV_B)],
                 "rates": str(SAMPLES / "tower.rates.csv"),
                 "price_rules": str(SAMPLES / "tower.bill.yaml")},
                {"name": "again", "revisions": [str(REV_B), str(REV_A)]}]
    path = tmp_path / "portfolio.yaml"
    path.write_text(yaml.safe_dump({"projects": projects}))
    return path


def _cmd(source: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "bimcheck.cli", "-q", "batch", str(source), "--out",
            str(out / "reports"), "--db", str(out / "h.sqlite"), "-j", "1"]


def _ours(mark: str) -> list[int]:
    """Processes whose environment carries ``mark`` (the batch and its children)."""
    pids = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if mark.encode() in (p / "environ").read_bytes():
                    pids.append(int(p.name))
            except OSError:
                pass
    return pids


def _db_state(db: Path, started: str) -> list:
    """Every run and finding row, and the batch rows, with the batch's start time
    (the one value two batches started at different times differ in) replaced;
    without the batch rows' file digests (the files hold that time: they are
    compared, time replaced, by the caller)."""
    conn = sqlite3.connect(db)
    try:
        rows = []
        for table, order in (("runs", "id"), ("findings", "run_id, key"),
                             ("batch_items", "position")):
            for r in conn.execute(f"SELECT * FROM {table} ORDER BY {order}"):
                values = r[:-1] if table == "batch_items" else r
                rows.append((table, *(v.replace(started, "T") if isinstance(v, str) else v
                                      for v in values)))
        return rows
    finally:
        conn.close()


def _started(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT started FROM batches ORDER BY id LIMIT 1").fetchone()[0]
    finally:
        conn.close()


def test_killed_inside_a_revision_and_resumed_gives_the_uninterrupted_results(tmp_path):
    source = _portfolio(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("BIMCHECK_NO_HISTORY", None)
    whole = tmp_path / "whole"
    subprocess.run(_cmd(source, whole), env=env, check=True, capture_output=True, timeout=600)

    # pause every history write before its COMMIT; kill inside the 4th: open, start of the
    # batch, tower rev A, then tower rev B with its files written and nothing committed
    cut, marker, mark = tmp_path / "cut", tmp_path / "pause", uuid.uuid4().hex
    proc = subprocess.Popen(_cmd(source, cut), env={**env, PAUSE_ENV: str(marker),
                                                    "BIMCHECK_TEST_MARK": mark},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for n in range(1, 5):
        deadline = time.monotonic() + 300
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        if n < 4:
            marker.unlink()
            time.sleep(0.05)
    assert (cut / "reports/tower/tower_rev_b/report.json").is_file()  # written, uncommitted
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    marker.unlink()
    deadline = time.monotonic() + 20
    while _ours(mark) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _ours(mark) == []  # its task processes ended with it

    r = subprocess.run(_cmd(source, cut), env=env, capture_output=True, timeout=600, text=True)
    assert r.returncode == 0, r.stderr
    conn = sqlite3.connect(cut / "h.sqlite")
    assert conn.execute("SELECT count(*) FROM batches").fetchone()[0] == 1  # one batch, resumed
    conn.close()

    def files(out: Path) -> dict[str, bytes]:
        started = _started(out / "h.sqlite").encode()
        return {str(p.relative_to(out)): p.read_bytes().replace(started, b"T")
                for p in sorted((out / "reports").rglob("*")) if p.is_file()}

    assert files(cut) == files(whole)
    assert _db_state(cut / "h.sqlite", _started(cut / "h.sqlite")) == \
        _db_state(whole / "h.sqlite", _started(whole / "h.sqlite"))
