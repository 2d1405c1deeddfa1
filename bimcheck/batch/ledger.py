"""A batch's own rows in the history database (tables ``batches`` and
``batch_items``, schema 2): which batch is running, which revisions are
done under which resume key, with their summary, their history runs and
the digests of the files they wrote.

A batch started again on the same plan while the last one of that plan is
unfinished continues it (same batch id): a stopped batch and its resumption
are one batch, as an uninterrupted run would be.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bimcheck._version import __version__
from bimcheck.store.db import HistoryDB, iso, utc_now


@dataclass(frozen=True)
class BatchRow:
    """A batch: its id, when it started, whether it continues a stopped one,
    and the batch before it (``None`` for the first)."""

    id: int
    started: str
    resumed: bool
    previous: int | None


@dataclass(frozen=True)
class StoredItem:
    """A revision done earlier: its summary, the batch that did it, its runs
    and the digests of its files (relative to ``--out``)."""

    key: str
    result: dict[str, Any]
    batch_id: int
    check_run: int | None
    price_run: int | None
    files: dict[str, str]


def start_batch(db: HistoryDB, plan_digest: str) -> BatchRow:
    """The batch to run: the unfinished last batch of this plan, or a new one."""
    with db.write() as conn:
        last = conn.execute("SELECT id, manifest, started, finished FROM batches "
                            "ORDER BY id DESC LIMIT 1").fetchone()
        if last is not None and last[1] == plan_digest and last[3] is None:
            before = conn.execute("SELECT max(id) FROM batches WHERE id < ?",
                                  (last[0],)).fetchone()[0]
            return BatchRow(int(last[0]), str(last[2]), True, before)
        started = db.now()
        cur = conn.execute("INSERT INTO batches (manifest, started, finished, version) "
                           "VALUES (?, ?, NULL, ?)", (plan_digest, started, __version__))
        return BatchRow(int(cur.lastrowid or 0), started, False,
                        None if last is None else int(last[0]))


def finish_batch(db: HistoryDB, batch_id: int) -> None:
    with db.write() as conn:
        conn.execute("UPDATE batches SET finished = ? WHERE id = ?", (iso(utc_now()), batch_id))


def stored_item(db: HistoryDB, key: str) -> StoredItem | None:
    rows = db.query("SELECT key, result, batch_id, check_run, price_run, files FROM "
                    "batch_items WHERE key = ?", (key,))
    if not rows:
        return None
    k, result, batch_id, check_run, price_run, files = rows[0]
    return StoredItem(k, json.loads(result), int(batch_id), check_run, price_run,
                      json.loads(files))


def save_item(conn: sqlite3.Connection, *, key: str, project: str, revision: str,
              position: int, batch_id: int, check_run: int | None, price_run: int | None,
              result: dict[str, Any], files: dict[str, str]) -> None:
    """Write (or replace) a revision's row, inside the caller's transaction."""
    conn.execute(
        "INSERT OR REPLACE INTO batch_items (key, project, revision, position, batch_id, "
        "check_run, price_run, result, files) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (key, project, revision, position, batch_id, check_run, price_run,
         json.dumps(result, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
         json.dumps(files, sort_keys=True)))


def bytes_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def files_intact(out: Path, files: dict[str, str]) -> bool:
    """Whether every file is under ``out`` with the digest it was written with."""
    for rel, digest in files.items():
        p = out / rel
        try:
            if bytes_digest(p.read_bytes()) != digest:
                return False
        except OSError:
            return False
    return True
