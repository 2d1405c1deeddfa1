"""Forked helper processes that compute one thing and send it back as bytes.

Used where the work is pure and the data is already in this process (the
file's index and memo for fingerprints, every mesh and solid for clash pair
tests): a forked child inherits it instead of being sent it. Callers fork
only where no other thread runs (a fork copies the locks other threads hold)
and fall back to doing the work here when a child fails.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Child:
    """A forked helper: its pid, the read end of its pipe, whether it is reaped."""

    pid: int
    fd: int
    reaped: bool = False


def die_with_parent(parent: int) -> None:
    """Ask the kernel to kill this (forked) process when ``parent`` dies,
    even by SIGKILL (Linux ``PR_SET_PDEATHSIG``); exit at once when it is
    gone already. Elsewhere a no-op: the helper notices a closed pipe."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(1)


def can_fork() -> bool:
    """Whether helpers may be forked here: the platform forks and this process
    runs no other thread."""
    return hasattr(os, "fork") and threading.active_count() == 1


def fork(work: Callable[[], bytes]) -> Child:
    """A child that runs ``work`` and writes what it returns to its pipe; it
    exits with status 1 (and writes nothing) if ``work`` raises."""
    read, write = os.pipe()
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        raise
    if pid == 0:  # the child: no return from here
        code = 1
        try:
            die_with_parent(parent)
            os.close(read)
            blob = work()
            with os.fdopen(write, "wb") as out:
                out.write(blob)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    return Child(pid, read)


def receive(child: Child, timeout: float | None = None) -> bytes | None:
    """Everything ``child`` wrote, once it has exited; ``None`` when it failed,
    or when it has not finished within ``timeout`` seconds (then it is left
    running: :func:`reap` kills it)."""
    chunks = []
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([child.fd], [], [], left)[0]:
                return None
        chunk = os.read(child.fd, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    _, status = os.waitpid(child.pid, 0)
    child.reaped = True
    if status != 0 or not chunks:
        return None
    return b"".join(chunks)


def reap(child: Child) -> None:
    """Close the pipe; a child not reaped yet (after an error here) is killed
    and reaped (a reaped child's pid may belong to another process by now)."""
    with contextlib.suppress(OSError):
        os.close(child.fd)
    if not child.reaped:
        with contextlib.suppress(OSError):
            os.kill(child.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(child.pid, 0)
        child.reaped = True
