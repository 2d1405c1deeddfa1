"""Finishing one revision of a batch, in the driver, in one history
transaction: record the check run (statuses against the previous revision
that was checked) and the price run, put the history into the report,
write the revision's files under ``--out/<project>/<label>/`` and remember
the revision under its resume key. A failed revision writes ``error.txt``
and its row (so the dashboard shows it), and no history run.

Files of an earlier run of the revision that this run did not write are
removed, so a folder never mixes two runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import Any

from bimcheck.batch.ledger import bytes_digest, save_item
from bimcheck.batch.plan import Item
from bimcheck.batch.spec import Outcome
from bimcheck.batch.summary import change_summary, check_summary
from bimcheck.batch.work import CHANGE_FILES
from bimcheck.report.checkfiles import REPORT_FILES, created_time, report_payloads
from bimcheck.report.files import write_atomic

#: Every file a batch may write in a revision's folder.
ALL_FILES = (*(v for k, v in REPORT_FILES.items() if k != "glb"), *CHANGE_FILES, "error.txt")


def _base(item: Item, batch_id: int) -> dict[str, Any]:
    return {"project": item.project.name, "revision": item.revision.label,
            "position": item.position, "index": item.index, "model": item.revision.path.name,
            "digest": item.digest, "batch": batch_id, "folder": item.folder}


def _write(out: Path, item: Item, files: dict[str, bytes]) -> dict[str, str]:
    """Write the files (each whole) and remove the folder's other batch files;
    ``relative path → digest``."""
    folder = out / item.folder
    folder.mkdir(parents=True, exist_ok=True)
    digests = {}
    for name, data in sorted(files.items()):
        write_atomic(folder / name, data, overwrite=True)
        digests[f"{item.folder}/{name}"] = bytes_digest(data)
    for name in ALL_FILES:
        if name not in files:
            with contextlib.suppress(FileNotFoundError):
                (folder / name).unlink()
    return digests


def finish_failed(db: Any, item: Item, batch_id: int, out: Path,
                  outcome: Outcome) -> dict[str, Any]:
    """A revision whose check failed: ``error.txt`` and its row."""
    summary = {**_base(item, batch_id), "status": "failed", "failure": outcome.failure,
               "error": outcome.error, "check": None, "change": None,
               "runs": {"check": None, "price": None}}
    text = f"{outcome.error}\n".encode()
    with db.write() as conn:
        files = _write(out, item, {"error.txt": text})
        save_item(conn, key=item.key, project=item.project.name, revision=item.revision.label,
                  position=item.position, batch_id=batch_id, check_run=None, price_run=None,
                  result=summary, files=files)
    return summary


def finish_item(db: Any, item: Item, check: Outcome, change: Outcome | None,
                previous: dict[str, Any] | None, batch_id: int, out: Path) -> dict[str, Any]:
    """A checked revision (``previous``: the summary of the project's latest
    revision checked before it in this batch, or ``None``)."""
    from bimcheck.store.checkreport import apply_history
    from bimcheck.store.record import record_in

    value = check.value
    summary = {**_base(item, batch_id), "status": "ok", "failure": None, "error": None}
    with db.write() as conn:
        run = dataclasses.replace(value.run, previous=None if previous is None
                                  else previous["runs"]["check"])
        recorded = record_in(conn, db, run)
        report, _verdict = apply_history(value.report, recorded, db_name=db.path.name,
                                         policy=value.policy, waivers=value.waivers)
        doc = report.as_dict()
        payloads = report_payloads(doc, created=created_time([item.revision.path]))
        files = {REPORT_FILES[k]: v.encode("utf-8") if isinstance(v, str) else v
                 for k, v in payloads.items()}
        runs: dict[str, int | None] = {"check": recorded.run.id, "price": None}
        summary["check"] = check_summary(doc)
        summary["change"] = None
        if change is not None and change.ok:
            cv = change.value
            prev_price = None if previous is None else previous["runs"]["price"]
            priced = record_in(conn, db, dataclasses.replace(cv.run, previous=prev_price))
            runs["price"] = priced.run.id
            files.update(cv.files)
            summary["change"] = {"status": "ok", "against": item.previous.revision.label
                                 if item.previous else None, "error": None,
                                 **change_summary(cv.diff, cv.order)}
        elif change is not None:
            summary["change"] = {"status": change.failure, "against":
                                 item.previous.revision.label if item.previous else None,
                                 "error": change.error}
            files["error.txt"] = f"{change.error}\n".encode()
        summary["runs"] = runs
        digests = _write(out, item, files)
        save_item(conn, key=item.key, project=item.project.name, revision=item.revision.label,
                  position=item.position, batch_id=batch_id, check_run=runs["check"],
                  price_run=runs["price"], result=summary, files=digests)
    return summary
