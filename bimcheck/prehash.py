"""Fingerprint digests hashed from a file's bytes while IfcOpenShell parses it.

The parse (0.4-0.8 s on a 27 MB file) runs on one core. The geometry
fingerprints of a changed file need the file's index and the Merkle hashes of
its entity graphs (:mod:`~bimcheck.merkle`, 1.5-2 s on that file), and until
now were computed after the parse, while the tessellation workers waited for
their first shapes. Neither needs the other: :func:`start` forks a helper
before the parse that indexes the bytes and hashes every entity whose whole
graph is on the fast path (:func:`~bimcheck.merkle.hash_closed`: about 90 %
of the entities of the shared models). :class:`~bimcheck.fingerprint.Fingerprinter`
takes those digests on its first bulk hashing and walks only what is left
(shape representations hold strings, and what reaches them), one entity at a
time with the rest memoised. The digests are content hashes, so who computes
them changes nothing: fingerprints, cache keys and reports are identical.

The helper is used where it can pay: a plain STEP file of at least
:data:`MIN_BYTES`, a platform that forks, no other thread running (a fork
copies the locks other threads hold). It dies with its parent, is killed
when nobody takes its digests, and a helper that fails only means the
hashing is done here as before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import weakref
from pathlib import Path

from bimcheck import forking

log = logging.getLogger(__name__)

#: Smallest file worth a helper process: below it the fork and the transfer
#: cost about what hashing in the parent costs.
MIN_BYTES = 4 << 20

#: The parent waits for a helper at most this long (seconds) plus
#: :data:`WAIT_S_PER_MIB` per MiB of the file (Janesville, 27 MB: 1.6 s of
#: hashing), then stops it and hashes alone: a helper stopped or stuck in I/O
#: does not hang the run.
WAIT_S = 30.0
WAIT_S_PER_MIB = 1.0

#: The helper sends nothing back when it could hash less than this share of
#: the file's entities (a file of string-heavy geometry): the parent's own
#: vectorised hashing is then the faster way.
MIN_SHARE = 0.5


class Prehash:
    """A helper hashing one file; :meth:`digests` waits for what it sends."""

    def __init__(self, child: forking.Child, size: int = 0) -> None:
        self._child: forking.Child | None = child
        self._digests: dict[int, bytes] | None = None
        self._timeout = WAIT_S + WAIT_S_PER_MIB * size / (1 << 20)
        self._finalizer = weakref.finalize(self, forking.reap, child)

    def digests(self) -> dict[int, bytes] | None:
        """STEP id -> digest of what the helper hashed (waits for it, once),
        ``None`` when it failed or found too little to hash."""
        child = self._child
        if child is not None:
            self._child = None
            try:
                from bimcheck.merkle import decode_digests

                received = decode_digests(forking.receive(child, self._timeout))
            finally:
                self._finalizer()
            self._digests = dict(received) if received else None
        return self._digests

    def cancel(self) -> None:
        """Stop the helper (the parse failed, or nothing will fingerprint)."""
        self._child = None
        self._finalizer()


#: Helpers started by :func:`begin`, by (resolved path, size, mtime, device,
#: inode), until :func:`start` adopts them or :func:`discard_early` stops them.
_EARLY: dict[tuple[str, int, int, int, int], Prehash] = {}


def _identity(p: Path) -> tuple[str, int, int, int, int]:
    """What ties a helper to the bytes it read: resolved path, size,
    modification time (ns), device and inode (a file replaced by a rename,
    as editors and copy tools save, has another inode)."""
    st = p.stat()
    return (str(p.resolve()), st.st_size, st.st_mtime_ns, st.st_dev, st.st_ino)


def begin(path: str | os.PathLike[str]) -> None:
    """Start the helper for a model file a command will open, before it loads
    its packs and looks its results up (0.3-0.5 s earlier than
    :func:`start` from the parse would); the parse adopts it. A helper for a
    result then served from the cache is killed unused. Nothing for a file
    that is not there (the command's own error names it)."""
    p = Path(path)
    try:
        key = _identity(p)
    except (OSError, RuntimeError):
        return
    if key in _EARLY or not p.is_file():
        return
    early = _start(p, key[1:3])
    if early is not None:
        _EARLY[key] = early


def discard_early() -> None:
    """Stop the helpers :func:`begin` started that no parse adopted (the
    command's result was served, or it failed before opening the model)."""
    while _EARLY:
        _EARLY.popitem()[1].cancel()


def start(path: Path, stat: tuple[int, int]) -> Prehash | None:
    """The helper hashing the file at ``path`` (which has ``stat``: size and
    modification time in ns, as the parse will see it): the one :func:`begin`
    started for these bytes, else a new one; ``None`` where it would not pay
    or cannot run (see the module docstring)."""
    try:
        key = _identity(path)
        early = _EARLY.pop(key, None) if key[1:3] == tuple(stat) else None
    except (OSError, RuntimeError):
        early = None
    return early if early is not None else _start(path, stat)


def _start(path: Path, stat: tuple[int, int]) -> Prehash | None:
    if stat[0] < MIN_BYTES or not forking.can_fork():
        return None
    try:
        return Prehash(forking.fork(lambda: _hash_file(path, stat)), stat[0])
    except OSError as exc:  # out of processes or memory: hash in the parent instead
        log.debug("%s: no helper for the fingerprints (%s)", path.name, exc)
        return None


def _hash_file(path: Path, stat: tuple[int, int]) -> bytes:
    """In the helper: the digests of :func:`~bimcheck.merkle.hash_closed`
    for the file's bytes, encoded; empty when there is nothing worth sending."""
    from bimcheck import merkle
    from bimcheck.steptext import StepText

    with contextlib.suppress(OSError):
        os.nice(5)  # the parse in the parent comes first
    text = StepText.for_file(path, *stat)
    if text is None or text.spans is None:
        return b""
    index = merkle.FileIndex(text)
    closed = merkle.closed_entities(index)
    if len(closed) < MIN_SHARE * index.count:
        return b""
    return merkle.encode_digests(merkle.hash_entities(index, closed).items())
