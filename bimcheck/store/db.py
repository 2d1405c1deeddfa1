"""The history database file: opening, the schema and its version, the
connection settings that keep it safe, and one write transaction.

* SQLite (stdlib ``sqlite3``), WAL journal: a reader never waits for a
  writer and sees the last committed state; ``synchronous=FULL``; a busy
  timeout of :data:`BUSY_TIMEOUT_S` for a second writer.
* A bimcheck history database says so in its header: ``PRAGMA
  application_id`` = :data:`APPLICATION_ID` and ``PRAGMA user_version`` =
  the schema version. A file with other tables and another application id is
  refused (never written to); a schema newer than :data:`SCHEMA_VERSION` is
  refused with a message asking for a newer bimcheck. Migrations only ever
  add (tables, columns, indexes): no step drops or rewrites data.
* Every ``sqlite3`` error becomes a :class:`~bimcheck.errors.HistoryError`
  naming the file (a corrupt file, "file is not a database", locked too long).
* :meth:`HistoryDB.write` is one ``BEGIN IMMEDIATE`` transaction: all of it
  is committed, or none (a process killed half-way leaves the last committed
  state; the next open rolls the WAL back).

Test hook: when ``BIMCHECK_TEST_PAUSE_IN_WRITE`` names a file, a write
transaction creates that file once its rows are written and waits, before
``COMMIT``, until the file is removed (at most 60 s). Only the tests use it,
to kill a writer inside its transaction and to read while one writes.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bimcheck.errors import HistoryError

#: Version of the schema this code writes (``PRAGMA user_version``).
SCHEMA_VERSION = 2
#: ``PRAGMA application_id`` of a bimcheck history database: "bimc" in ASCII.
APPLICATION_ID = 0x62696D63
#: Seconds a connection waits for another process's write lock.
BUSY_TIMEOUT_S = 15.0
#: Environment variable of the test hook (see the module docstring).
PAUSE_ENV = "BIMCHECK_TEST_PAUSE_IN_WRITE"
#: Longest wait of the test hook, in seconds.
PAUSE_MAX_S = 60.0

Clock = Callable[[], dt.datetime]

_SCHEMA_V1 = """
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    project     TEXT NOT NULL,
    revision    TEXT NOT NULL,
    command     TEXT NOT NULL,
    time        TEXT NOT NULL,
    version     TEXT NOT NULL,
    models      TEXT NOT NULL,
    packs       TEXT NOT NULL,
    totals      TEXT NOT NULL,
    rules_run   TEXT NOT NULL,
    rules_empty TEXT NOT NULL,
    element_count INTEGER NOT NULL,
    elements    BLOB NOT NULL
);
CREATE INDEX runs_by_project ON runs (project, command, id);
CREATE TABLE findings (
    run_id    INTEGER NOT NULL REFERENCES runs (id),
    key       TEXT NOT NULL,
    rule      TEXT NOT NULL,
    kind      TEXT NOT NULL,
    severity  TEXT NOT NULL,
    message   TEXT NOT NULL,
    elements  TEXT NOT NULL,
    status    TEXT NOT NULL CHECK (status IN ('new', 'active', 'resolved', 'unretested')),
    reason    TEXT,
    first_run INTEGER NOT NULL,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX findings_by_key ON findings (key, run_id);
CREATE TABLE reviews (
    id       INTEGER PRIMARY KEY,
    project  TEXT NOT NULL,
    key      TEXT NOT NULL,
    state    TEXT NOT NULL CHECK (state IN ('reviewed', 'approved')),
    who      TEXT NOT NULL,
    note     TEXT NOT NULL,
    time     TEXT NOT NULL,
    run_id   INTEGER NOT NULL
);
CREATE INDEX reviews_by_project ON reviews (project, key, id);
"""

#: Batch runs (:mod:`bimcheck.batch`): one row a batch, one row a revision
#: done, under its resume key (the digests of everything its results rest on).
_SCHEMA_V2 = """
CREATE TABLE batches (
    id       INTEGER PRIMARY KEY,
    manifest TEXT NOT NULL,
    started  TEXT NOT NULL,
    finished TEXT,
    version  TEXT NOT NULL
);
CREATE TABLE batch_items (
    key       TEXT PRIMARY KEY,
    project   TEXT NOT NULL,
    revision  TEXT NOT NULL,
    position  INTEGER NOT NULL,
    batch_id  INTEGER NOT NULL REFERENCES batches (id),
    check_run INTEGER REFERENCES runs (id),
    price_run INTEGER REFERENCES runs (id),
    result    TEXT NOT NULL,
    files     TEXT NOT NULL
);
CREATE INDEX batch_items_by_batch ON batch_items (batch_id, position);
"""

#: Schema steps by the version they lead to; each only adds.
_MIGRATIONS: dict[int, str] = {1: _SCHEMA_V1, 2: _SCHEMA_V2}


def utc_now() -> dt.datetime:
    """The current time, UTC."""
    return dt.datetime.now(dt.UTC)


def iso(t: dt.datetime) -> str:
    """``t`` as UTC ISO 8601 to the second, ``2025-03-01T09:30:00Z``."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class HistoryDB:
    """One open history database. Use :func:`open_db`; close with
    :meth:`close` or as a context manager."""

    def __init__(self, path: Path, conn: sqlite3.Connection, clock: Clock) -> None:
        self.path = path
        self.conn = conn
        self.clock = clock

    def __enter__(self) -> HistoryDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    def now(self) -> str:
        """The clock's time as stored (UTC ISO)."""
        return iso(self.clock())

    def error(self, exc: BaseException) -> HistoryError:
        return _error(self.path, exc)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of one read (autocommit: it sees the last committed state)."""
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise self.error(exc) from None

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``): committed when the
        block ends, rolled back when it raises."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self.error(exc) from None
        try:
            yield self.conn
            _pause_hook()
            self.conn.execute("COMMIT")
        except BaseException as exc:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            if isinstance(exc, sqlite3.Error):
                raise self.error(exc) from None
            raise


def _pause_hook() -> None:
    marker = os.environ.get(PAUSE_ENV)
    if not marker:
        return
    path = Path(marker)
    path.write_text(str(os.getpid()))
    deadline = time.monotonic() + PAUSE_MAX_S
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def _error(path: Path, exc: BaseException) -> HistoryError:
    text = str(exc) or type(exc).__name__
    if "locked" in text or "busy" in text:
        text += f" (another bimcheck kept it for more than {BUSY_TIMEOUT_S:g} s)"
    elif "not a database" in text or "malformed" in text or "corrupt" in text:
        text = f"history database is corrupt or not a SQLite file ({text})"
    return HistoryError(text, path=path)


def open_db(path: str | os.PathLike[str], *, create: bool = True,
            clock: Clock | None = None) -> HistoryDB:
    """Open the history database at ``path``.

    With ``create`` the folder and the file are made on first use; without
    it a missing file is a :class:`~bimcheck.errors.HistoryError`. The schema
    is created or brought up to :data:`SCHEMA_VERSION` (additive steps only)."""
    p = Path(path)
    if p.is_dir():
        raise HistoryError("is a folder, not a history database file", path=p)
    if not p.exists():
        if not create:
            raise HistoryError("no history database here (check, clash, qto and price "
                               "record runs into it; see docs/history.md)", path=p)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(f"cannot create its folder: {exc.strerror or exc}",
                               path=p) from None
    try:
        conn = sqlite3.connect(p, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as exc:
        raise _error(p, exc) from None
    db = HistoryDB(p, conn, clock or utc_now)
    try:
        _configure(db)
        _ensure_schema(db)
    except BaseException:
        conn.close()
        raise
    return db


def _configure(db: HistoryDB) -> None:
    try:
        conn = db.conn
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        _check_header(db)
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise HistoryError(f"cannot switch the journal to WAL (it is {mode})", path=db.path)
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        raise db.error(exc) from None


def _header(db: HistoryDB) -> tuple[int, int, int]:
    """``(application_id, user_version, number of tables)``."""
    conn = db.conn
    app = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    return int(app), int(version), int(tables)


def _check_header(db: HistoryDB) -> None:
    app, version, tables = _header(db)
    if app == 0 and tables == 0:
        return  # a new, empty file: the schema is made next
    if app != APPLICATION_ID:
        raise HistoryError("not a bimcheck history database (another SQLite database; "
                           "give --db a new file)", path=db.path)
    if version > SCHEMA_VERSION:
        raise HistoryError(f"history database schema {version} is newer than this bimcheck "
                           f"understands ({SCHEMA_VERSION}); upgrade bimcheck", path=db.path)


def _ensure_schema(db: HistoryDB) -> None:
    app, version, _ = _header(db)
    if app == APPLICATION_ID and version == SCHEMA_VERSION:
        return
    with db.write() as conn:
        _check_header(db)  # again, under the write lock: another process may have made it
        app, version, _ = _header(db)
        for step in range(version + 1, SCHEMA_VERSION + 1):
            for statement in _statements(_MIGRATIONS[step]):
                conn.execute(statement)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _statements(script: str) -> list[str]:
    """The statements of a schema script (``executescript`` would commit)."""
    return [s.strip() for s in script.split(";") if s.strip()]


def integrity(path: str | os.PathLike[str]) -> str:
    """``PRAGMA integrity_check`` of the file (``"ok"`` when sound)."""
    conn = sqlite3.connect(Path(path), timeout=BUSY_TIMEOUT_S)
    try:
        return "\n".join(str(r[0]) for r in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()
