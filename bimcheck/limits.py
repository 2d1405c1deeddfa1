"""Resource limits: how much of a machine one model may take, in one place.

Inputs come from uploads, so every command has bounds with sensible
defaults; each limit, when reached, is a clear error (exit 2 in the CLI),
never a hang or a crash.

:func:`time_limit` bounds a whole command: when its time is up, the next
Python instruction of the main thread raises :class:`TimeLimitError` (a
call deep inside IfcOpenShell's C++ finishes first; the parse of a file is
bounded by its size instead, :data:`MAX_FILE_BYTES`).
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import re
import signal
import threading
from collections.abc import Iterator

from bimcheck.errors import BimcheckError

#: Default time limit of one command, per model, in seconds (30 minutes);
#: a batch's per-model default too. The largest shared model (27 MB) takes
#: about 15 s cold.
DEFAULT_TIMEOUT_S: float = 1800.0

#: Default largest model file read, in bytes (2 GiB); for an .ifczip, of the
#: archive and of its extracted member.
DEFAULT_MAX_FILE_BYTES: int = 2 * 1024**3

#: Longest the geometry kernel may work on one element without a result,
#: in seconds: past it the element is a failure and the rest goes on.
KERNEL_ELEMENT_SECONDS: float = 300.0


#: Most points of one profile curve (polyline, arcs as chords, all rings):
#: past it the element is a failure ("its profile has N points, over the
#: limit"). The geometry kernel takes minutes on a 50,000-point profile;
#: the largest in the shared models has a few hundred.
MAX_PROFILE_POINTS: int = 20_000


#: Farthest a mesh vertex may be from the model's origin, in metres (100,000
#: km: georeferenced models put their origin thousands of km away); a mesh
#: with a vertex farther, or not finite, is a failure of its element.
MAX_COORDINATE_M: float = 1e8


#: Most triangles of one element's mesh: past it the element is a failure
#: (a 2,000,000-triangle mesh is 72 MB; the largest element of the shared
#: models has about 60,000).
MAX_ELEMENT_TRIANGLES: int = 2_000_000


#: Default most elements (``IfcProduct`` instances) of one model: past it the
#: model is refused after the parse, before any engine runs. A large metro
#: station or rail-hub model holds a few hundred thousand; the shared
#: models a few thousand each.
DEFAULT_MAX_ELEMENTS: int = 1_000_000


class TimeLimitError(BimcheckError):
    """A command ran past its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float | None, what: str = "the run",
               path: str | None = None) -> Iterator[None]:
    """Raise :class:`TimeLimitError` (naming ``path``) in the main thread
    after ``seconds`` (none for ``None``). Outside the main thread, or where
    there is no SIGALRM, it does nothing."""
    if (seconds is None or not math.isfinite(seconds) or seconds <= 0
            or threading.current_thread() is not threading.main_thread()
            or not hasattr(signal, "setitimer")):
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise TimeLimitError(f"{what} stopped at its time limit of {seconds:g} s "
                             "(--timeout); what finished is cached", path=path)

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_MAX_FILE = contextvars.ContextVar("bimcheck_max_file_bytes", default=DEFAULT_MAX_FILE_BYTES)


def max_file_bytes() -> int:
    """The largest model file :func:`~bimcheck.model.open_model` reads now, in bytes."""
    return _MAX_FILE.get()


@contextlib.contextmanager
def file_size_limit(limit: int | None) -> Iterator[None]:
    """Models opened inside are refused when larger than ``limit`` bytes
    (``None``: :data:`DEFAULT_MAX_FILE_BYTES`)."""
    token = _MAX_FILE.set(DEFAULT_MAX_FILE_BYTES if limit is None else int(limit))
    try:
        yield
    finally:
        _MAX_FILE.reset(token)


_MAX_ELEMENTS = contextvars.ContextVar("bimcheck_max_elements", default=DEFAULT_MAX_ELEMENTS)


def max_elements() -> int:
    """The most elements (``IfcProduct``) a model opened now may hold."""
    return _MAX_ELEMENTS.get()


@contextlib.contextmanager
def element_limit(limit: int | None) -> Iterator[None]:
    """Models opened inside are refused when they hold more than ``limit``
    elements (``None``: :data:`DEFAULT_MAX_ELEMENTS`)."""
    token = _MAX_ELEMENTS.set(DEFAULT_MAX_ELEMENTS if limit is None else int(limit))
    try:
        yield
    finally:
        _MAX_ELEMENTS.reset(token)


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``500M``, ``2G``, ``1.5GiB``, ``123456`` -> bytes (powers of 1024);
    :class:`ValueError` for anything else."""
    m = _SIZE.match(text)
    if not m:
        raise ValueError(f"{text!r}: give bytes, or a number with K, M, G or T")
    scale = 1024 ** " KMGT".index((m.group(2) or " ").upper())
    return int(float(m.group(1)) * scale)


def format_size(n: int) -> str:
    """``2147483648`` -> ``2 GiB`` (for messages)."""
    for unit, scale in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.4g} {unit}"
    return f"{n} bytes"
