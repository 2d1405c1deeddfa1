"""Writing output files atomically.

Every output goes to a temporary file beside the target and is renamed over
it only when complete, so an interrupted run never leaves half a report and
never destroys the previous one. Existing files are kept unless the caller
says ``overwrite``.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from bimcheck.errors import OutputError


def check_writable(path: str | os.PathLike[str], *, overwrite: bool) -> Path:
    """Fail early (OutputError) if ``path`` exists without ``overwrite`` or its
    folder does not exist."""
    p = Path(path)
    if p.is_dir():
        raise OutputError("output path is a directory", path=p)
    if _is_special(p):
        return p  # /dev/stdout, /dev/null, a FIFO: written through, never replaced
    if p.exists() and not overwrite:
        raise OutputError("output file exists; pass --overwrite to replace it", path=p)
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"output folder {parent} does not exist", path=p)
    return p


def check_outputs(outputs: Mapping[str, str | os.PathLike[str] | None],
                  inputs: Iterable[str | os.PathLike[str] | None], *, overwrite: bool,
                  writable: bool = True) -> None:
    """Fail early (OutputError) when an output is one of the ``inputs`` (it
    would replace the model or plan it reads, ``--overwrite`` or not), when
    two outputs are one file (the second would replace the first), or when
    one is not writable (:func:`check_writable`, unless ``writable`` is
    false: a folder the run will make). ``outputs`` maps an
    option's name (``-o``, ``--html``) to its path; ``None`` s are skipped,
    and so are devices such as ``/dev/null``."""
    named = [(opt, Path(p)) for opt, p in outputs.items() if p is not None]
    sources = [Path(p) for p in inputs if p is not None]
    seen: dict[str, str] = {}
    for opt, p in named:
        if _is_special(p):
            continue
        for source in sources:
            if _same_file(p, source):
                raise OutputError(f"{opt} is the input {source}; it would be replaced, so "
                                  "choose another output", path=p)
        key = os.path.realpath(p)
        if key in seen:
            raise OutputError(f"{seen[key]} and {opt} name the same file", path=p)
        seen[key] = opt
    for _, p in named:
        if writable:
            check_writable(p, overwrite=overwrite)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def write_atomic(path: str | os.PathLike[str], data: str | bytes, *, overwrite: bool) -> Path:
    """Write ``data`` to ``path`` via a temp file and rename. Text is UTF-8.

    A special file (character device such as ``/dev/stdout``, FIFO) is written
    to directly: renaming over it would replace the device itself.
    """
    p = check_writable(path, overwrite=overwrite)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if _is_special(p):
        try:
            with p.open("wb") as fh:
                fh.write(payload)
        except OSError as exc:
            raise OutputError(f"cannot write: {exc.strerror or exc}", path=p) from None
        return p
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent or ".")
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror or exc}", path=p) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
            # mkstemp makes the file 0600; give it the mode a plain open() would.
            os.chmod(tmp, 0o666 & ~_umask())
        if not overwrite and p.exists():
            raise OutputError("output file appeared while writing; not replaced", path=p)
        os.replace(tmp, p)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(f"cannot write: {exc.strerror or exc}", path=p) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return p


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _is_special(p: Path) -> bool:
    """True for an existing path that is neither a regular file nor a folder."""
    try:
        mode = p.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))
