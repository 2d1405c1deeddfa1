"""Coverage-guided fuzzing (atheris) of the readers of untrusted bytes, in a
bounded form: a fixed seed and 1,000 inputs per target, each in its own
process (libFuzzer ends the process it runs in). An input that makes a
reader raise anything but a clear bimcheck error fails the test, with the
traceback and the input's bytes in the output."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("atheris")

from bimcheck.testing.fuzz.guided import TARGETS

RUNS = 1000


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_guided_fuzzing_finds_no_internal_error(tmp_path, target):
    proc = subprocess.run(
        [sys.executable, "-m", "bimcheck.testing.fuzz.guided", target, f"-runs={RUNS}",
         "-seed=1", "-max_len=8192", "-timeout=10", "-rss_limit_mb=4096"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env={"BIMCHECK_CACHE": str(tmp_path / "cache"), "TMPDIR": str(tmp_path),
             "PATH": "/usr/bin:/bin"})
    out = "\n".join(ln for ln in proc.stderr.splitlines() if "Instrumenting" not in ln)
    assert proc.returncode == 0, out[-6000:]
    assert f"Done {RUNS} runs" in out
    assert not list(tmp_path.glob("crash-*")) and not list(tmp_path.glob("timeout-*"))
