"""Safe YAML loading for rule packs and the directory of built-in packs.

Rule packs come from uploads: they are read with a safe, bounded loader only
(:mod:`~bimcheck.packs.safeyaml`), limited in size, and every problem becomes
a :class:`RulePackError` that names the file (and rule id and field where
known).
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from pathlib import Path
from typing import Any

import yaml

from bimcheck.errors import BimcheckError, RulePackError
from bimcheck.packs import safeyaml

#: Largest rule-pack file read, in bytes (4 MiB): packs are small; this bounds
#: memory and parse time for hostile uploads.
MAX_PACK_BYTES: int = 4 * 1024 * 1024


def builtin_rules_dir() -> Path:
    """The ``rules/`` folder shipped with bimcheck: ``$BIMCHECK_RULES`` if set,
    else the source tree's (a checkout or an editable install), else the one a
    wheel installs under ``<prefix>/share/bimcheck/rules``."""
    env = os.environ.get("BIMCHECK_RULES")
    if env:
        return Path(env)
    source = Path(__file__).resolve().parents[2] / "rules"
    if source.is_dir():
        return source
    installed = Path(sys.prefix) / "share" / "bimcheck" / "rules"
    return installed if installed.is_dir() else source


def read_bounded(path: str | os.PathLike[str], *, limit: int, what: str,
                 error: type[BimcheckError]) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; ``error``
    naming the file (and ``what`` it is) when it cannot be read, is not a
    regular file (a FIFO, a device such as /dev/zero) or is larger. At most
    ``limit + 1`` bytes are read whatever its size says."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise error(f"cannot read {what}: {exc.strerror or exc}", path=p) from None
    if not stat.S_ISREG(st.st_mode):
        raise error(f"cannot read {what}: not a regular file", path=p)
    if st.st_size > limit:
        raise error(f"{what} is {st.st_size} bytes, over the {limit} limit", path=p)
    try:
        with p.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise error(f"cannot read {what}: {exc.strerror or exc}", path=p) from None
    if len(data) > limit:
        raise error(f"{what} is over the {limit} byte limit", path=p)
    return data


def parse_yaml(data: bytes, path: str | os.PathLike[str], *, what: str = "rule pack",
               error: type[BimcheckError] = RulePackError) -> Any:
    """Safe, bounded YAML (:mod:`~bimcheck.packs.safeyaml`) of UTF-8 bytes;
    ``error`` naming the file, line and column."""
    p = Path(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"cannot read {what}: {exc}", path=p) from None
    try:
        return safeyaml.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"invalid YAML{where}: {problem}", path=p) from None
    except RecursionError:
        raise error("invalid YAML: nested too deeply", path=p) from None


def load_yaml(path: str | os.PathLike[str], *, what: str = "rule pack",
              error: type[BimcheckError] = RulePackError) -> Any:
    """Parse one YAML file safely; ``error`` (RulePackError by default) naming
    the file on any problem, ``what`` the kind of file in the message (a gate
    file, a waiver file, a lift plan)."""
    data = read_bounded(path, limit=MAX_PACK_BYTES, what=what, error=error)
    return parse_yaml(data, path, what=what, error=error)


def require(mapping: Any, key: str, kind: type | tuple[type, ...], *, path: Path,
            rule: str | None = None, where: str = "") -> Any:
    """``mapping[key]`` checked to be of ``kind``; RulePackError naming the field otherwise."""
    field = f"{where}.{key}" if where else key
    if not isinstance(mapping, dict) or key not in mapping:
        raise RulePackError("missing required field", path=path, rule=rule, field=field)
    value = mapping[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise RulePackError(
            f"expected {names}, got {type(value).__name__}", path=path, rule=rule, field=field
        )
    return value


def file_digest(path: Path) -> str:
    """BLAKE2b-160 hex digest of a file's bytes (read up to the pack size bound)."""
    h = hashlib.blake2b(digest_size=20)
    with path.open("rb") as fh:
        h.update(fh.read(MAX_PACK_BYTES + 1))
    return h.hexdigest()
