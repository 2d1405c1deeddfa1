"""Each task in a fresh child process: a model that crashes the geometry
kernel, runs out of memory or runs past its time-out fails in its place,
and no model stays resident after its task.

:func:`execute` is what an engine runs (a local worker thread, or a Dask
worker): it starts the child (``forkserver``: imports paid once, no fork of
a threaded process), waits for its outcome, and kills the child's whole
process group (its geometry workers too) when the time is up. The child
kills its own group when the parent goes away (a batch killed with SIGKILL
leaves nothing running).

Time-out: the task's run context stops tessellation at ``timeout``, with a
message saying how far it got (its meshes are cached: a re-run continues);
work stuck elsewhere (a parse, the kernel on one element) is killed
:func:`hard_limit` seconds in.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from bimcheck.batch.spec import ChangeSpec, CheckSpec, Outcome

#: Seconds of grace after the time-out before the child is killed: 10 % of
#: the time-out, at least 5 s, at most 30 s.
GRACE_MIN_S, GRACE_MAX_S, GRACE_SHARE = 5.0, 30.0, 0.1

_PRELOAD = ["bimcheck.batch.work", "bimcheck.check", "bimcheck.diff.price"]
_started = threading.Lock()
_context: Any = None


def hard_limit(timeout: float | None) -> float | None:
    """Seconds after which a task's child is killed (``None``: never)."""
    if timeout is None:
        return None
    return timeout + min(GRACE_MAX_S, max(GRACE_MIN_S, GRACE_SHARE * timeout))


#: What a Dask nanny puts in its workers' environment for their own memory
#: (``distributed.nanny.pre-spawn-environ``): glibc returning freed memory at
#: 64 KiB makes IfcOpenShell's many small allocations slower, and a task's
#: memory is its own process's, which ends with the task. Not passed on to it.
_DASK_MALLOC = ("MALLOC_TRIM_THRESHOLD_", "65536")


def _mp() -> Any:
    global _context
    with _started:
        if _context is None:
            if os.environ.get(_DASK_MALLOC[0]) == _DASK_MALLOC[1]:
                del os.environ[_DASK_MALLOC[0]]  # before the forkserver starts
            methods = multiprocessing.get_all_start_methods()
            _context = multiprocessing.get_context(
                "forkserver" if "forkserver" in methods else "spawn")
            if "forkserver" in methods:
                _context.set_forkserver_preload(_PRELOAD)
        return _context


#: ``on_progress(what, stage, done, total)``: the task's progress as its child reports it.
OnProgress = Callable[[str, str, int, int], None]

#: Least seconds between two progress messages of a child.
PROGRESS_EVERY_S = 0.25


def execute(kind: str, spec: CheckSpec | ChangeSpec,
            on_progress: OnProgress | None = None) -> Outcome:
    """Run task ``kind`` (``check`` or ``change``) on ``spec`` in a child
    process; its :class:`Outcome`, failed when the child failed, crashed or
    ran out of time. Never raises for what the task does."""
    timeout = spec.budget.timeout
    limit = hard_limit(timeout)
    t0 = time.monotonic()
    ctx = _mp()
    parent, child = ctx.Pipe(duplex=True)
    proc = ctx.Process(target=_child_main, args=(kind, spec, child, on_progress is not None),
                       daemon=False,
                       name=f"bimcheck {kind} {spec.project}/{spec.label}")
    try:
        proc.start()
    except AssertionError:  # a daemonic process cannot have children
        return Outcome(spec.what, False, failure="internal",
                       error=f"{spec.what}: this worker runs as a daemon process and "
                       "cannot start the task's process (Dask: start workers with "
                       "DASK_DISTRIBUTED__WORKER__DAEMON=False; see docs/scale.md)")
    child.close()
    try:
        while True:
            wait = 1.0 if limit is None else max(0.0, min(1.0, t0 + limit - time.monotonic()))
            if parent.poll(wait):
                try:
                    message = parent.recv()
                except (EOFError, OSError):
                    proc.join(5)
                    return _crashed(spec, proc.exitcode, time.monotonic() - t0)
                if isinstance(message, tuple):  # ("progress", stage, done, total)
                    if on_progress is not None:
                        on_progress(spec.what, *message[1:])
                    continue
                outcome: Outcome = message
                return outcome
            if not proc.is_alive():
                if parent.poll(0):
                    continue
                return _crashed(spec, proc.exitcode, time.monotonic() - t0)
            if limit is not None and time.monotonic() - t0 >= limit:
                _kill_group(proc)
                return Outcome(spec.what, False, failure="timeout",
                               error=f"{spec.what}: stopped at the time-out of {timeout:g} s "
                               f"(killed after {limit:g} s)", seconds=time.monotonic() - t0)
    finally:
        _kill_group(proc)
        proc.join(5)
        parent.close()


def _crashed(spec: CheckSpec | ChangeSpec, code: int | None, seconds: float) -> Outcome:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        why = f"the process was killed by {name}"
        if -code == signal.SIGKILL:
            why += " (out of memory?)"
    else:
        why = f"the process exited with code {code}"
    return Outcome(spec.what, False, failure="crash", error=f"{spec.what}: {why}",
                   seconds=seconds)


def _kill_group(proc: Any) -> None:
    """SIGKILL the child's process group (the child and its geometry workers)."""
    if proc.pid is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        if proc.is_alive():
            proc.kill()


def _watch_parent(conn: Any) -> None:
    """In the child: end the whole group when the parent's end of the pipe closes."""
    while True:
        try:
            if conn.poll(None):
                conn.recv()
        except (EOFError, OSError):
            os.killpg(0, signal.SIGKILL)
            return


def _child_main(kind: str, spec: CheckSpec | ChangeSpec, conn: Any, report: bool) -> None:
    from bimcheck.batch.work import peak_mib, run_change, run_check
    from bimcheck.errors import BimcheckError, TessellationTimeout

    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    # the warnings of a model are in its report, not on the batch's terminal
    logging.getLogger("bimcheck").addHandler(logging.NullHandler())
    logging.getLogger("bimcheck").propagate = False
    threading.Thread(target=_watch_parent, args=(conn,), daemon=True).start()
    t0 = time.perf_counter()
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_S or done == total:
            last[0] = now
            with contextlib.suppress(Exception):
                conn.send(("progress", stage, done, total))

    fn = run_check if kind == "check" else run_change
    try:
        value = fn(spec, progress if report else None)  # type: ignore[arg-type]
        outcome = Outcome(spec.what, True, value=value)
    except TessellationTimeout as exc:
        outcome = Outcome(spec.what, False, failure="timeout", error=str(exc))
    except BimcheckError as exc:
        outcome = Outcome(spec.what, False, failure="input", error=str(exc))
    except MemoryError:
        outcome = Outcome(spec.what, False, failure="memory",
                          error=f"{spec.what}: out of memory")
    except RecursionError:
        outcome = Outcome(spec.what, False, failure="input",
                          error=f"{spec.what}: input nested too deeply")
    except Exception as exc:  # a defect: reported in its place, the batch goes on
        frame = traceback.extract_tb(exc.__traceback__)[-1:]
        where = f" at {frame[0].filename.rsplit('/', 1)[-1]}:{frame[0].lineno}" if frame else ""
        outcome = Outcome(spec.what, False, failure="internal",
                          error=f"{spec.what}: internal error {type(exc).__name__}: "
                          f"{str(exc)[:300]}{where}")
    outcome.seconds = round(time.perf_counter() - t0, 3)
    outcome.peak_mib = peak_mib()
    try:
        conn.send(outcome)
    except Exception as exc:  # the value would not pickle: a defect, said so
        conn.send(Outcome(spec.what, False, failure="internal",
                          error=f"{spec.what}: internal error: result not sendable ({exc})",
                          seconds=outcome.seconds, peak_mib=outcome.peak_mib))
    conn.close()
