"""Helpers the benchmark scripts share: installing a peer tool if missing,
running a child process measured (wall time from spawn to reap, its own peak
RSS), and the facts printed with every measurement (the repository's commit,
the machine's load average).

Imported by ``peer_ifcclash.py``, ``peer_ifc5d.py``, ``bench_clash.py``,
``bench_qto.py`` and ``qto_agreement.py`` (run as scripts from this folder,
so it is on ``sys.path``). Not part of bimcheck.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

#: pip's output lines worth passing on.
_PIP_LINES = ("Successfully", "Requirement already", "Collecting", "ERROR")


def ensure_package(
    name: str, version: str, log: Callable[[str], None], mismatch: str
) -> str:
    """Import ``name``; if missing, ``pip install name==version`` into this interpreter.

    Installs with ``sys.executable -m pip`` (so into the running virtualenv,
    through whatever index pip is configured with). Reports on ``log`` and
    returns the installed version; if it is not ``version``, logs
    ``warning: NAME INSTALLED installed, MISMATCH VERSION``. Raises
    ``RuntimeError`` if pip fails (its stderr goes to this process's).
    """
    try:
        module = importlib.import_module(name)
        log(f"{name} {getattr(module, '__version__', '?')} already installed")
    except ImportError:
        cmd = [sys.executable, "-m", "pip", "install", f"{name}=={version}"]
        log(f"{name} missing; running: {' '.join(cmd)}")
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        for line in proc.stdout.splitlines():
            if line.startswith(_PIP_LINES):
                log(f"pip: {line}")
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr)
            raise RuntimeError(
                f"pip install {name}=={version} failed ({proc.returncode})"
            ) from None
        importlib.invalidate_caches()
        module = importlib.import_module(name)
        log(f"installed {name} {getattr(module, '__version__', '?')}")
    installed = str(getattr(module, "__version__", "?"))
    if installed != version:
        log(f"warning: {name} {installed} installed, {mismatch} {version}")
    return installed


def kill_group(pid: int) -> None:
    """SIGKILL the process group ``pid`` leads (gone already: nothing)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def maxrss_bytes(ru_maxrss: int) -> int:
    """``ru_maxrss`` in bytes (kilobytes on Linux, bytes on macOS)."""
    return ru_maxrss if sys.platform == "darwin" else ru_maxrss * 1024


def run_measured(
    cmd: Sequence[str], cwd: Path | None, log_path: Path, timeout: float | None
) -> tuple[int, float, int]:
    """Run ``cmd``, stdout+stderr to ``log_path``; return (exit code, wall
    seconds from spawn to reap, the child's peak RSS in bytes).

    The child gets its own session (so a timeout or Ctrl-C here kills its
    whole process group) and is reaped with ``os.wait4``, whose rusage is that
    child's alone.
    """
    with open(log_path, "wb") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd), cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        timer = None
        if timeout is not None:
            timer = threading.Timer(timeout, kill_group, (proc.pid,))
            timer.start()
        try:
            _, status, rusage = os.wait4(proc.pid, 0)
        except BaseException:
            kill_group(proc.pid)
            proc.wait()
            raise
        finally:
            if timer is not None:
                timer.cancel()
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return proc.returncode, wall, maxrss_bytes(rusage.ru_maxrss)


def repo_revision(paths: Sequence[str] = ("bimcheck", "rules")) -> str:
    """The repository's commit, and whether any of ``paths`` (folders of the
    repository) has uncommitted changes: ``abc1234`` or ``abc1234 (bimcheck/
    or rules/ modified)``; ``unknown`` without git."""
    repo = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--", *paths],
                               capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    where = " or ".join(f"{p}/" for p in paths)
    return head + (f" ({where} modified)" if dirty.strip() else "")


def load_average() -> str:
    """``load average 1.00 0.90 0.80`` (1, 5 and 15 minutes)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"
