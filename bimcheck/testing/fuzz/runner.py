"""Run ``bimcheck`` commands on hostile inputs, each in its own forked process.

A case is a command line and a folder to run it in. The runner forks one
child per case from a process that has already imported the CLI and
IfcOpenShell (so a case costs its command, not an interpreter start), puts
the child in its own process group, caps its address space, captures its
stdout and stderr in files and kills the whole group when the case passes
its time limit. A child that dies by a signal (a segmentation fault inside
a native library) cannot take the runner with it.

Each outcome is classified (:func:`classify`):

``ok``        exit 0 or 1 (a result; 1 is findings over the gate)
``clean``     exit 2 with one ``bimcheck: error:`` line naming the file
``internal``  exit 3, a traceback, or an exit 2 whose message is not one line
``crash``     killed by a signal the runner did not send
``hang``      still running at the time limit (the runner kills it)
``memory``    a MemoryError or a refused allocation
``orphan``    the command ended but left processes behind in its group

Only ``ok`` and ``clean`` are acceptable (:data:`GOOD`).
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: Outcome classes that are acceptable for any input.
GOOD: frozenset[str] = frozenset({"ok", "clean"})

#: Default time limit of one case, in seconds (the runner kills the case's
#: process group after it).
CASE_TIMEOUT_S: float = 60.0

#: Default address-space cap of one case, in bytes (8 GiB): past it an
#: allocation fails, which the command must report as a clean error.
CASE_MEMORY_BYTES: int = 8 * 1024**3

#: Seconds a case's helper processes have to end after the case itself did.
ORPHAN_GRACE_S: float = 3.0

#: Longest stderr line of a clean error, in characters.
MAX_ERROR_LINE: int = 2000


@dataclass(frozen=True)
class Case:
    """One command on one input: ``args`` after ``bimcheck``; ``name`` says
    what the input is (``ifc/delete-lines/17``)."""

    name: str
    args: tuple[str, ...]
    cwd: str = "."
    env: tuple[tuple[str, str], ...] = ()


@dataclass
class Outcome:
    """What one case did: exit status or signal, seconds, stderr and its class."""

    case: Case
    kind: str
    exit_code: int | None
    signal: int | None
    seconds: float
    stderr: str = field(repr=False)

    def as_dict(self) -> dict:
        return {"name": self.case.name, "args": list(self.case.args), "kind": self.kind,
                "exit_code": self.exit_code, "signal": self.signal,
                "seconds": round(self.seconds, 3), "stderr": self.stderr[-2000:]}


def classify(exit_code: int | None, sig: int | None, timed_out: bool, orphans: bool,
             stderr: str) -> str:
    """The outcome class of a finished case (see the module doc)."""
    if timed_out:
        return "hang"
    if "MemoryError" in stderr or "std::bad_alloc" in stderr:
        return "memory"
    if sig is not None:
        return "crash"
    if "Traceback (most recent call last)" in stderr or exit_code not in (0, 1, 2):
        return "internal"
    if orphans:
        return "orphan"
    if exit_code == 2:
        errors = [ln for ln in stderr.splitlines() if ln.startswith("bimcheck: error:")]
        if len(errors) != 1 or len(errors[0]) > MAX_ERROR_LINE:
            return "internal"
    return "ok" if exit_code in (0, 1) else "clean"


def _child(case: Case, out: int, err: int, memory: int) -> None:  # pragma: no cover - forked
    code = 70
    try:
        os.setpgid(0, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        sys.stdout = os.fdopen(1, "w", closefd=False)
        sys.stderr = os.fdopen(2, "w", closefd=False)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        os.chdir(case.cwd)
        os.environ.update(dict(case.env))
        from bimcheck.cli.main import cli

        try:
            cli.main(args=list(case.args), prog_name="bimcheck", standalone_mode=True)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 99
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


@dataclass
class _Running:
    case: Case
    pid: int
    started: float
    out: Path
    err: Path


def run_cases(cases: Iterable[Case], *, jobs: int = 2, timeout: float = CASE_TIMEOUT_S,
              memory: int = CASE_MEMORY_BYTES) -> Iterator[Outcome]:
    """Run ``cases``, ``jobs`` at a time, each in a forked child; yield each
    outcome as its case ends (not in input order)."""
    import importlib

    import ifcopenshell  # noqa: F401

    import bimcheck.geometry.tessellate  # noqa: F401
    from bimcheck.cli.main import COMMANDS

    for module, _, _ in COMMANDS.values():  # imported once, before the forks
        importlib.import_module(module)

    pending = iter(cases)
    running: dict[int, _Running] = {}
    with tempfile.TemporaryDirectory(prefix="bimcheck-fuzz-") as tmp:
        serial = 0
        exhausted = False
        while running or not exhausted:
            while not exhausted and len(running) < jobs:
                case = next(pending, None)
                if case is None:
                    exhausted = True
                    break
                serial += 1
                out, err = Path(tmp) / f"{serial}.out", Path(tmp) / f"{serial}.err"
                with out.open("wb") as fo, err.open("wb") as fe:
                    pid = os.fork()
                    if pid == 0:  # pragma: no cover - forked
                        _child(case, fo.fileno(), fe.fileno(), memory)
                running[pid] = _Running(case, pid, time.monotonic(), out, err)
            done = _wait_any(running, timeout)
            for pid, (status, timed_out) in done.items():
                r = running.pop(pid)
                yield _outcome(r, status, timed_out)


def _wait_any(running: dict[int, _Running], timeout: float) -> dict[int, tuple[int, bool]]:
    """Wait until at least one running case ends (or is killed at its limit)."""
    while running:
        done: dict[int, tuple[int, bool]] = {}
        now = time.monotonic()
        for pid, r in running.items():
            try:
                got, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # reaped already: nothing to wait for
                got, status = pid, 0
            if got:
                done[pid] = (status, False)
            elif now - r.started > timeout:
                _kill_group(pid)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                try:
                    _, status = os.waitpid(pid, 0)
                except ChildProcessError:
                    status = 0
                done[pid] = (status, True)
        if done:
            return done
        time.sleep(0.005)
    return {}


def _kill_group(pgid: int) -> bool:
    """SIGKILL every process of group ``pgid``; whether there was any."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _live_members(pgid: int) -> bool:
    """Whether a process of group ``pgid`` is alive (not a zombie); via /proc,
    else whether the group has any member at all."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


def _outcome(r: _Running, status: int, timed_out: bool) -> Outcome:
    seconds = time.monotonic() - r.started
    # Anything still running in the case's group after its leader ended was
    # left behind (exited children not yet reaped by init do not count).
    orphans = False
    if not timed_out:
        # A helper that notices its parent is gone (a forkserver) needs a moment.
        settle = time.monotonic() + ORPHAN_GRACE_S
        while (orphans := _live_members(r.pid)) and time.monotonic() < settle:
            time.sleep(0.05)
    _kill_group(r.pid)
    stderr = r.err.read_bytes().decode("utf-8", "replace")
    r.out.unlink(missing_ok=True)
    r.err.unlink(missing_ok=True)
    exit_code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    if timed_out:
        sig = None
    return Outcome(r.case, classify(exit_code, sig, timed_out, orphans, stderr),
                   exit_code, sig, seconds, stderr)
