"""The command line on hostile input and a hostile machine: one clear line
and exit 2, never a traceback or exit 3 for what is not a bug; nothing an
input or an earlier output holds is lost; no process is left behind. One
test per defect of the hostile-input survey."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bimcheck.cli.main import MAX_MESSAGE, cli
from tests.conftest import SAMPLES

MODEL = SAMPLES / "tower_rev_a.ifc"
PLAN = SAMPLES / "tower.lift.yaml"


def _bimcheck(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bimcheck.cli", *args], capture_output=True,
                          text=True, timeout=300, **kwargs)


def _copy(src: Path, dst: Path) -> Path:
    dst.write_bytes(src.read_bytes())
    return dst


@pytest.mark.parametrize("command", [
    ["info", "{model}", "-o", "{model}", "--overwrite"],
    ["qto", "{model}", "--no-history", "-o", "{link}", "--overwrite"],
    ["clash", "{model}", "--no-history", "--csv", "{model}", "--overwrite"],
    ["crane", "{model}", "{plan}", "-o", "{plan}", "--overwrite"],
    ["diff", "{model}", "{model2}", "--html", "{model2}", "--overwrite"],
])
def test_an_output_that_is_an_input_is_refused_and_the_input_kept(tmp_path, command):
    model = _copy(MODEL, tmp_path / "m.ifc")
    model2 = _copy(SAMPLES / "tower_rev_b.ifc", tmp_path / "m2.ifc")
    plan = _copy(PLAN, tmp_path / "p.lift.yaml")
    link = tmp_path / "link.csv"  # the same file under another name
    link.symlink_to(model)
    before = {p: p.read_bytes() for p in (model, model2, plan)}
    args = [a.format(model=model, model2=model2, plan=plan, link=link) for a in command]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "it would be replaced" in result.stderr
    assert {p: p.read_bytes() for p in before} == before


def test_two_outputs_naming_one_file_are_refused_before_anything_is_written(tmp_path):
    # `crane -o X --html X --overwrite` exited 0 with X holding only the HTML.
    out = tmp_path / "x"
    result = CliRunner().invoke(cli, ["crane", str(MODEL), str(PLAN), "-o", str(out),
                                      "--html", str(out), "--overwrite"])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"bimcheck: error: {out}: -o and --html name the same file"
    assert not out.exists()


def test_a_full_disk_on_stdout_is_a_clear_error():
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "bimcheck.cli", "info",
                               str(SAMPLES / "qto_m.ifc"), "--json", "--no-cache"],
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == ["bimcheck: error: output: No space left on device"]


def test_an_output_name_too_long_for_the_file_system_is_a_clear_error(tmp_path):
    name = tmp_path / ("a" * 300 + ".json")
    result = CliRunner().invoke(cli, ["info", str(SAMPLES / "qto_m.ifc"), "-o", str(name)])
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.endswith("File name too long") and len(line) <= MAX_MESSAGE


def test_an_internal_error_says_how_to_see_the_traceback_and_v_shows_it(monkeypatch):
    # "-v adds nothing, and -vv exits 1" before.
    import bimcheck.cli.info as info

    def boom(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(info, "inspect_model", boom)
    quiet = CliRunner().invoke(cli, ["info", str(SAMPLES / "qto_m.ifc")])
    assert quiet.exit_code == 3
    assert quiet.stderr.strip() == ("bimcheck: internal error: RuntimeError: a bug "
                                    "(run with -v for the traceback)")
    for flag in ("-v", "-vv"):
        loud = CliRunner().invoke(cli, [flag, "info", str(SAMPLES / "qto_m.ifc")])
        assert loud.exit_code == 3
        assert "Traceback (most recent call last)" in loud.stderr
        last = loud.stderr.strip().splitlines()[-1]
        assert last == "bimcheck: internal error: RuntimeError: a bug"


def test_a_huge_value_in_an_error_is_cut_to_one_short_line(tmp_path):
    pack = tmp_path / "p.yaml"
    pack.write_text("name: x\nrules:\n  - id: " + "Q" * 2_000_000 + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["clash", str(SAMPLES / "qto_m.ifc"), "--rules", str(pack),
                                      "--no-history"])
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"bimcheck: error: {pack}") and len(line) <= MAX_MESSAGE


def test_the_time_limit_ends_any_command_with_one_line(tmp_path, monkeypatch):
    proc = _bimcheck("clash", str(MODEL), "--no-history", "--timeout", "0.001",
                     "--cache-dir", str(tmp_path / "cache"))
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert str(MODEL) in line and "time limit" in line


def _children(pid: int) -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out.update(int(t) for t in text)
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_geometry_workers_die_with_a_parent_killed_by_sigkill(tmp_path):
    # After kill -9 of the parent during tessellation both workers lived on
    # (one still ran 11 minutes later).
    script = tmp_path / "stall.py"
    script.write_text(
        "import sys, time\n"
        "from bimcheck.geometry import tessellate as t\n"
        "t._iterate = lambda *a, **k: time.sleep(600) or iter(())\n"
        "from bimcheck.model import open_model\n"
        "print('ready', flush=True)\n"
        f"t.tessellate(open_model({str(SAMPLES / 'qto_m.ifc')!r}), cache=None)\n")
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while len(workers) < 2 and time.monotonic() < deadline:
            workers = _children(proc.pid)
            time.sleep(0.05)
        assert len(workers) >= 2
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(w) for w in workers)
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("after", [0.5, 1.5, 3.0])
def test_a_check_killed_with_sigkill_leaves_no_half_report_and_the_next_run_succeeds(
        tmp_path, after):
    import json
    import sqlite3

    out, db, cache = tmp_path / "out", tmp_path / "h.sqlite", tmp_path / "cache"
    cmd = [sys.executable, "-m", "bimcheck.cli", "-q", "check", str(MODEL), "--lift-plan",
           str(PLAN), "--out", str(out), "--db", str(db), "--cache-dir", str(cache)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(after)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    for path in out.glob("*") if out.exists() else ():
        assert not path.name.endswith(".tmp"), f"a half-written {path.name} remains"
        if path.suffix == ".json":
            json.loads(path.read_text())  # whole, or not there at all
    again = subprocess.run([*cmd, "--overwrite"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert json.loads((out / "report.json").read_text())["findings"]
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []


def test_a_model_of_more_elements_than_the_limit_is_refused_cold_and_served(tmp_path):
    import ifcopenshell

    n = len(ifcopenshell.open(str(MODEL)).by_type("IfcProduct"))  # the peer's count
    assert n > 10
    message = (f"{MODEL}: the model holds {n:,} elements (IfcProduct), over the limit of "
               f"{n - 1:,} (--max-elements)")
    cache = str(tmp_path / "cache")
    over = _bimcheck("info", str(MODEL), "--max-elements", str(n - 1), "--cache-dir", cache)
    assert over.returncode == 2, over.stderr
    assert over.stderr.strip().splitlines()[-1] == f"bimcheck: error: {message}"
    # at the limit the model is checked; the result is cached ...
    qto = ["qto", str(MODEL), "--no-history", "--cache-dir", cache, "-o"]
    at = _bimcheck(*qto, str(tmp_path / "a.csv"), "--max-elements", str(n))
    assert at.returncode == 0, at.stderr
    # ... and a run served from that cache, without a parse, keeps the limit
    served = _bimcheck("-v", *qto, str(tmp_path / "b.csv"), "--max-elements", str(n - 1))
    assert served.returncode == 2, served.stderr
    assert served.stderr.strip().splitlines()[-1] == f"bimcheck: error: {message}"
    assert not (tmp_path / "b.csv").exists()
    again = _bimcheck("-v", *qto, str(tmp_path / "c.csv"))
    assert again.returncode == 0 and "without parsing" in again.stderr, again.stderr
    assert (tmp_path / "c.csv").read_bytes() == (tmp_path / "a.csv").read_bytes()
    # info too: its summary served from the cache keeps the limit
    info = ["info", str(MODEL), "--cache-dir", cache]
    assert _bimcheck(*info).returncode == 0
    served_info = _bimcheck("-v", *info, "--max-elements", str(n - 1))
    assert "served from the result cache" in _bimcheck("-v", *info).stderr
    assert served_info.returncode == 2, served_info.stderr
    assert served_info.stderr.strip().splitlines()[-1] == f"bimcheck: error: {message}"
