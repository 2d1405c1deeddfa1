"""On-disk mesh cache, keyed by geometry fingerprint and tessellation settings.

One file per entry under ``<root>/meshes/v1/<key[:2]>/<key>.mesh``. An entry
is either a mesh (welded vertices in metres and triangles) or a recorded
tessellation failure (its reason), so a failing element is not retried on
every run. Each file ends with a BLAKE2b checksum of everything before it; a
file that is short, garbled or fails its checksum is counted as corrupt,
deleted, and treated as a miss (the caller rebuilds it).

Writes go to a unique temporary file in the same directory, are flushed, and
are then renamed over the target (``os.replace`` is atomic on POSIX and
Windows), so readers never see half a file and two processes filling the
same cache at once corrupt nothing: the last rename wins with an identical
entry.

The default root is ``$BIMCHECK_CACHE`` or ``~/.cache/bimcheck``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bimcheck.errors import CacheError
from bimcheck.geometry.mesh import Mesh

_MAGIC = b"BIMCHKM1"
_FORMAT_DIR = "meshes/v1"
_INDEX_DIR = "index/v1"
_CHECKSUM_SIZE = 16
_HEADER = struct.Struct("<8sI")  # magic, JSON header length


@dataclass(frozen=True)
class CachedFailure:
    """A tessellation failure remembered by the cache."""

    reason: str


def default_cache_dir() -> Path:
    """``$BIMCHECK_CACHE`` if set, else ``~/.cache/bimcheck`` (XDG_CACHE_HOME honoured)."""
    env = os.environ.get("BIMCHECK_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "bimcheck"


@dataclass
class CacheStats:
    """Counters for one run: hits, misses, corrupt entries rebuilt, writes."""

    hits: int = 0
    misses: int = 0
    corrupt: int = 0
    writes: int = 0


class MeshCache:
    """A directory of cached meshes. Safe to share between processes."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_cache_dir()
        self.stats = CacheStats()
        self._dir = self.root / _FORMAT_DIR
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(
                f"cannot create cache directory: {exc.strerror or exc}", path=self._dir
            ) from None
        if not os.access(self._dir, os.W_OK):
            raise CacheError("cache directory is not writable", path=self._dir)

    @staticmethod
    def key(geometry_fingerprint: str, settings_key: str) -> str:
        """Cache key for an element's geometry under given tessellation settings."""
        return hashlib.blake2b(
            f"{geometry_fingerprint}|{settings_key}".encode(), digest_size=20
        ).hexdigest()

    def path_of(self, key: str) -> Path:
        """Where the entry for ``key`` lives."""
        return self._dir / key[:2] / f"{key}.mesh"

    def get(self, key: str) -> Mesh | CachedFailure | None:
        """The cached mesh or failure for ``key``; None on a miss or corrupt entry."""
        path = self.path_of(key)
        try:
            blob = path.read_bytes()
        except OSError:  # absent (the usual miss) or unreadable
            self.stats.misses += 1
            return None
        entry = _decode(blob)
        if entry is None:
            self.stats.corrupt += 1
            self.stats.misses += 1
            try:
                path.unlink()
            except OSError:
                pass
            return None
        self.stats.hits += 1
        return entry

    def put(self, key: str, entry: Mesh | CachedFailure) -> None:
        """Store an entry atomically (temp file + rename)."""
        write_atomic(self.path_of(key), _encode(entry), "cache entry")
        self.stats.writes += 1

    # -- key index: cache keys of one exact file, so re-runs skip fingerprinting --

    def _index_path(self, name: str) -> Path:
        return self.root / _INDEX_DIR / f"{name}.keys"

    def get_index(self, name: str) -> dict[str, str]:
        """The stored ``{STEP id: cache key}`` map called ``name`` ({} if none,
        or it is short, garbled or fails its checksum: a damaged index would
        give elements each other's meshes)."""
        try:
            body = _checked(self._index_path(name).read_bytes())
        except OSError:
            return {}
        if body is None:
            return {}
        try:
            keys = json.loads(body)["keys"]
        except (ValueError, KeyError, TypeError):
            return {}
        if not isinstance(keys, dict):
            return {}
        return {str(k): str(v) for k, v in keys.items()}

    def put_index(self, name: str, keys: dict[str, str]) -> None:
        """Store a key map atomically, with a checksum (merged with what is there)."""
        merged = {**self.get_index(name), **keys}
        body = json.dumps({"keys": merged}, sort_keys=True, separators=(",", ":")).encode()
        write_atomic(self._index_path(name), _with_checksum(body), "cache index")

    # -- manifests: every element of one exact file, so a re-run need not parse it --

    def get_manifest(self, name: str) -> dict | None:
        """The stored manifest called ``name`` (``None`` if there is none, or
        it is short, garbled or fails its checksum)."""
        try:
            body = _checked((self.root / _INDEX_DIR / f"{name}.manifest").read_bytes())
        except OSError:
            return None
        if body is None:
            return None
        try:
            doc = json.loads(body)
        except ValueError:
            return None
        return doc if isinstance(doc, dict) else None

    def put_manifest(self, name: str, doc: dict) -> None:
        """Store a manifest atomically, with a checksum."""
        body = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
        write_atomic(self.root / _INDEX_DIR / f"{name}.manifest", _with_checksum(body),
                     "cache manifest")

    def usage(self) -> tuple[int, int]:
        """(number of entries, total bytes) currently in the cache."""
        return folder_usage(self._dir, ".mesh")

    def clear(self) -> int:
        """Delete every entry (and stray temp files); returns how many entries went."""
        removed = clear_folder(self._dir, ".mesh")
        for path in (self.root / _INDEX_DIR).glob("*"):
            with contextlib.suppress(OSError):
                path.unlink()
        return removed


def folder_usage(folder: Path, suffix: str) -> tuple[int, int]:
    """(number of ``*suffix`` entries, their total bytes) in ``folder``'s
    two-character subfolders."""
    entries = total = 0
    for path in folder.glob(f"*/*{suffix}"):
        try:
            total += path.stat().st_size
        except OSError:
            continue
        entries += 1
    return entries, total


def clear_folder(folder: Path, suffix: str) -> int:
    """Delete every file in ``folder``'s subfolders (entries and stray temp
    files) and the emptied subfolders; how many ``*suffix`` entries went."""
    removed = 0
    for path in folder.glob("*/*"):
        try:
            path.unlink()
        except OSError:
            continue
        removed += path.name.endswith(suffix)
    for sub in folder.glob("*"):
        with contextlib.suppress(OSError):
            sub.rmdir()
    return removed


def write_atomic(path: Path, data: bytes, what: str) -> None:
    """Write to a unique temp file beside ``path``, then rename over it;
    CacheError naming ``what`` and the path if the file system refuses."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:8]}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise CacheError(f"cannot write {what}: {exc.strerror or exc}", path=path) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise CacheError(f"cannot write {what}: {exc.strerror or exc}", path=path) from None
        raise


def _encode(entry: Mesh | CachedFailure) -> bytes:
    if isinstance(entry, CachedFailure):
        header = {"kind": "failure", "reason": entry.reason}
        payload = b""
    else:
        v = np.ascontiguousarray(entry.vertices, dtype="<f8")
        f = np.ascontiguousarray(entry.faces, dtype="<i4")
        header = {"kind": "mesh", "nv": len(v), "nf": len(f), "closed": bool(entry.closed)}
        payload = v.tobytes() + f.tobytes()
    hb = json.dumps(header, sort_keys=True).encode()
    return _with_checksum(_HEADER.pack(_MAGIC, len(hb)) + hb + payload)


def _with_checksum(body: bytes) -> bytes:
    """``body`` followed by its BLAKE2b checksum."""
    return body + hashlib.blake2b(body, digest_size=_CHECKSUM_SIZE).digest()


def _checked(blob: bytes) -> bytes | None:
    """The body of a blob :func:`_with_checksum` made; ``None`` when it is
    short or fails its checksum."""
    if len(blob) <= _CHECKSUM_SIZE:
        return None
    body, checksum = blob[:-_CHECKSUM_SIZE], blob[-_CHECKSUM_SIZE:]
    if hashlib.blake2b(body, digest_size=_CHECKSUM_SIZE).digest() != checksum:
        return None
    return body


def _decode(blob: bytes) -> Mesh | CachedFailure | None:
    body = _checked(blob) if len(blob) >= _HEADER.size + _CHECKSUM_SIZE else None
    if body is None:
        return None
    magic, hlen = _HEADER.unpack_from(body)
    if magic != _MAGIC or _HEADER.size + hlen > len(body):
        return None
    try:
        header = json.loads(body[_HEADER.size : _HEADER.size + hlen])
        if header["kind"] == "failure":
            return CachedFailure(str(header["reason"]))
        nv, nf = int(header["nv"]), int(header["nf"])
        start = _HEADER.size + hlen
        if len(body) != start + nv * 24 + nf * 12:
            return None
        v = np.frombuffer(body, dtype="<f8", count=nv * 3, offset=start).reshape(nv, 3)
        f = np.frombuffer(body, dtype="<i4", count=nf * 3, offset=start + nv * 24).reshape(nf, 3)
        closed = bool(header["closed"])
    except (ValueError, KeyError, TypeError):
        return None
    if nf and (int(f.min()) < 0 or int(f.max()) >= nv):
        return None
    return Mesh(vertices=v, faces=f, closed=closed)
