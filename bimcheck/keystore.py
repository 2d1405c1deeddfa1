"""Small results kept by key in one SQLite file under the result cache.

The per-element quantity rows (:mod:`bimcheck.qto.reuse`) and the per-pair
clash results (:mod:`bimcheck.clash.reuse`) are many small entries looked up
thousands at a time: one SQLite table each (key, then the entry as the
subclass encodes it), read and written in batches, under
``<cache root>/results/v1/``. An entry that does not decode is a miss; a
file that is not a database is deleted and made anew (with a warning).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Self

from bimcheck.geometry.cache import MeshCache

log = logging.getLogger(__name__)

#: SQLite parameters per query (well under SQLite's own limit).
_BATCH = 500


class KeyStore:
    """Entries by key in the table :attr:`TABLE` of the file :attr:`FILE`;
    subclasses say how an entry is written (:meth:`encode`) and read back
    (:meth:`decode`, ``None`` when it does not read)."""

    FILE = ""
    TABLE = ""

    def __init__(self, cache: MeshCache) -> None:
        from bimcheck.results import ResultCache

        self.path = ResultCache(cache).root / self.FILE
        self.hits = self.misses = 0
        self._db: sqlite3.Connection | None = None

    @classmethod
    def of(cls, cache: MeshCache | None) -> Self | None:
        """The store of ``cache`` (``None`` without a cache)."""
        return None if cache is None else cls(cache)

    def encode(self, value: Any) -> bytes:
        raise NotImplementedError

    def decode(self, body: bytes) -> Any | None:
        raise NotImplementedError

    def _open(self) -> sqlite3.Connection:
        """The connection (opened on first use); sqlite3.Error when the file
        cannot be made or opened, its folder included."""
        if self._db is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise sqlite3.OperationalError(f"cannot create {self.path.parent}: {exc}") \
                    from exc
            try:
                self._db = self._connect()
            except sqlite3.DatabaseError as exc:
                if type(exc) is not sqlite3.DatabaseError:  # locked, read-only...: kept
                    raise
                # Not a database (a torn or foreign file): it only held a
                # cache, so it is made anew instead of warning on every run.
                log.warning("%s: %s; made anew", self.path, exc)
                self._remove(self.path)
                self._db = self._connect()
        return self._db

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            db.execute(f"CREATE TABLE IF NOT EXISTS {self.TABLE} "
                       "(key TEXT PRIMARY KEY, body BLOB)")
        except BaseException:
            db.close()
            raise
        return db

    @staticmethod
    def _remove(path: Path) -> None:
        """The store's file and SQLite's side files, deleted."""
        for p in (path, path.with_name(path.name + "-journal"),
                  path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            p.unlink(missing_ok=True)

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The stored entries of those ``keys`` that have one that reads."""
        wanted = sorted(set(keys))
        found: dict[str, Any] = {}
        db = self._open()
        for start in range(0, len(wanted), _BATCH):
            chunk = wanted[start:start + _BATCH]
            marks = ",".join("?" * len(chunk))
            for key, body in db.execute(
                    f"SELECT key, body FROM {self.TABLE} WHERE key IN ({marks})", chunk):
                if not isinstance(body, bytes):  # NULL or text: not an entry
                    continue
                entry = self.decode(body)
                if entry is not None:
                    found[key] = entry
        self.hits += len(found)
        self.misses += len(wanted) - len(found)
        return found

    def put_many(self, entries: Mapping[str, Any]) -> None:
        """Store every entry, in one transaction."""
        if not entries:
            return
        db = self._open()
        rows = [(k, self.encode(v)) for k, v in sorted(entries.items())]
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(f"INSERT OR REPLACE INTO {self.TABLE} (key, body) VALUES (?, ?)",
                           rows)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @classmethod
    def usage(cls, cache: MeshCache) -> tuple[int, int]:
        """(entries, bytes of the file) of the store under ``cache``."""
        path = cls(cache).path
        if not path.is_file():
            return 0, 0
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
            try:
                (count,) = db.execute(f"SELECT COUNT(*) FROM {cls.TABLE}").fetchone()
            finally:
                db.close()
        except sqlite3.Error:
            count = 0
        return int(count), path.stat().st_size

    @classmethod
    def clear(cls, cache: MeshCache) -> int:
        """Delete the store (and SQLite's side files); how many entries it held."""
        count, _ = cls.usage(cache)
        cls._remove(cls(cache).path)
        return count
