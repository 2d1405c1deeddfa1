"""A batch end to end: plan, hand the tasks to an engine, and finish each
revision in batch order (record its runs in the history, write its reports,
remember it under its resume key), then the portfolio files.

Every revision's check runs as soon as a worker is free; diff and price of
a revision run once the checks of it and of the previous revision are done
(task dependencies). The driver finishes revisions in batch order (projects
as listed, revisions oldest first), one transaction each: the history runs,
the report files and the batch row are committed together, so a batch
killed at any point and started again gives the same runs, statuses and
files as an uninterrupted one, and a second run of the same batch does no
work.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bimcheck.batch.finish import finish_failed, finish_item
from bimcheck.batch.ledger import (
    BatchRow,
    StoredItem,
    files_intact,
    finish_batch,
    start_batch,
    stored_item,
)
from bimcheck.batch.manifest import Manifest
from bimcheck.batch.plan import (
    DEFAULT_MAX_FILE_SIZE,
    DEFAULT_TIMEOUT_S,
    Item,
    batch_digest,
    plan_batch,
)
from bimcheck.batch.spec import Budget, ChangeSpec, CheckSpec, ModelSource, Outcome

#: ``events(kind, data)``: ``plan`` {total, reused, batch, resumed}; ``wait``
#: {what, step, steps} (the revision being finished); ``task`` {what, stage,
#: done, total} (a running task's progress, local engine; from worker threads);
#: ``done`` {item summary, reused, done, total, eta_s, elapsed_s}.
Events = Callable[[str, dict[str, Any]], None]


@dataclass
class BatchOptions:
    """How to run a batch (``--out``, ``--db``, the engine, limits)."""

    out: Path
    db: Path
    engine: str = "local"
    jobs: int | None = None
    scheduler: str | None = None
    timeout: float | None = DEFAULT_TIMEOUT_S
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    max_elements: int | None = None
    force: bool = False
    fail_on: str | None = None
    send_models: bool = False
    threads: int | None = None
    cache_dir: Path | None = None
    no_cache: bool = False
    #: The batch's clock (UTC): its start time is the time of every run it
    #: records. Tests fix it to compare batches byte for byte.
    clock: Callable[[], dt.datetime] | None = None

    def workers(self) -> int:
        return self.jobs or os.cpu_count() or 1


@dataclass
class BatchResult:
    """What a batch did: one summary per revision in batch order, how many
    were reused, ran and failed, the peak memory of a task (MiB), and the
    projects whose gate failed."""

    batch: BatchRow
    items: list[dict[str, Any]]
    reused: int = 0
    ran: int = 0
    failed: int = 0
    peak_mib: float = 0.0
    seconds: float = 0.0
    engine: str = ""
    gate_failed: list[str] = field(default_factory=list)


def make_engine(options: BatchOptions, emit: Events | None = None) -> Any:
    """The engine the options ask for (local: with the tasks' progress as
    ``task`` events {what, stage, done, total})."""
    from bimcheck.batch.engines import DaskEngine, LocalEngine

    if options.engine == "dask":
        return DaskEngine(options.scheduler or f"local:{options.workers()}")
    on_progress = None if emit is None else (
        lambda what, stage, done, total: emit("task", {"what": what, "stage": stage,
                                                       "done": done, "total": total}))
    return LocalEngine(options.workers(), on_progress)


def _source(path: Path, send: bool) -> ModelSource:
    p = path.resolve()
    if not send:
        return ModelSource(str(p))
    return ModelSource(str(p), data=p.read_bytes(), mtime=p.stat().st_mtime)


def _specs(item: Item, options: BatchOptions, budget: Budget) -> tuple[CheckSpec,
                                                                        ChangeSpec | None]:
    project, send = item.project, options.send_models
    check = CheckSpec(
        project=project.name, label=item.revision.label,
        model=_source(item.revision.path, send),
        sources=tuple(str(p.resolve()) for p in project.rules),
        lift_plan=None if project.lift_plan is None else str(project.lift_plan.resolve()),
        gate=None if project.gate is None else str(project.gate.resolve()),
        fail_on=options.fail_on, budget=budget)
    if item.previous is None:
        return check, None
    change = ChangeSpec(
        project=project.name, label=item.revision.label,
        old=_source(item.previous.revision.path, send), new=check.model,
        old_label=item.previous.revision.label,
        rates=None if project.rates is None else str(project.rates.resolve()),
        price_rules=None if project.price_rules is None else str(project.price_rules.resolve()),
        budget=budget)
    return check, change


def _reusable(db: Any, item: Item, options: BatchOptions) -> StoredItem | None:
    if options.force or item.refused is not None:
        return None
    stored = stored_item(db, item.key)
    if stored is None or stored.result.get("status") != "ok":
        return None
    if (stored.result.get("change") or {}).get("status") not in (None, "ok"):
        return None  # its diff and price failed or were skipped: tried again
    return stored if files_intact(options.out, stored.files) else None


def run_batch(manifest: Manifest, options: BatchOptions, *,
              events: Events | None = None) -> BatchResult:
    """Run the batch (see the module). Bad inputs raise a
    :class:`~bimcheck.errors.BimcheckError` before any task starts; a
    failing model is a failed revision, never an exception."""
    from bimcheck.store import open_db

    t0 = time.monotonic()
    emit = events or (lambda kind, data: None)
    items = plan_batch(manifest, max_file_size=options.max_file_size,
                       options={"fail_on": options.fail_on})
    threads = options.threads or max(1, (os.cpu_count() or 1) // options.workers())
    budget = Budget(timeout=options.timeout, threads=threads,
                    max_file_size=options.max_file_size, max_elements=options.max_elements,
                    cache_dir=None if options.cache_dir is None else str(options.cache_dir),
                    no_cache=options.no_cache)
    with open_db(options.db, clock=options.clock) as db:
        batch = start_batch(db, batch_digest(items))
        started = dt.datetime.fromisoformat(batch.started.replace("Z", "+00:00"))
        db.clock = lambda: started  # every run of the batch at the batch's time
        reused = {i.position: s for i in items if (s := _reusable(db, i, options)) is not None}
        emit("plan", {"total": len(items), "reused": len(reused), "batch": batch.id,
                      "resumed": batch.resumed})
        engine = make_engine(options, events) if len(reused) < len(items) else None
        result = BatchResult(batch=batch, items=[],
                             engine=engine.describe() if engine is not None else "none")
        try:
            handles = _submit(engine, items, reused, options, budget)
            _finish_all(db, items, reused, handles, engine, options, batch, result, emit, t0)
        finally:
            if engine is not None:
                engine.close()
        finish_batch(db, batch.id)
    result.seconds = round(time.monotonic() - t0, 3)
    result.gate_failed = _gate_failures(items, result.items, options)
    return result


def _submit(engine: Any, items: list[Item], reused: dict[int, StoredItem],
            options: BatchOptions, budget: Budget) -> dict[int, tuple[Any, Any]]:
    """Every task not reused, with its dependencies: ``position → (check, change)``."""
    handles: dict[int, tuple[Any, Any]] = {}
    for item in items:
        if item.position in reused or item.refused is not None:
            continue
        check, change = _specs(item, options, budget)
        check_handle = engine.submit("check", check, [], item.position)
        change_handle = None
        if change is not None:
            prev = item.previous
            assert prev is not None
            if prev.position in handles:
                prev_dep: Any = handles[prev.position][0]
            elif prev.position in reused:
                prev_dep = (True, f"{prev.folder}: check", None)
            else:
                prev_dep = (False, f"{prev.folder}: check", prev.refused)
            change_handle = engine.submit("change", change, [prev_dep, check_handle],
                                          item.position)
        handles[item.position] = (check_handle, change_handle)
    return handles


def _finish_all(db: Any, items: list[Item], reused: dict[int, StoredItem],
                handles: dict[int, tuple[Any, Any]], engine: Any, options: BatchOptions,
                batch: BatchRow, result: BatchResult, emit: Events, t0: float) -> None:
    """Finish each revision in batch order (waiting for its tasks)."""
    last_ok: dict[str, dict[str, Any]] = {}
    ran_times: list[float] = []
    started = time.monotonic()
    for n, item in enumerate(items, 1):
        if item.position in reused:
            summary = reused[item.position].result
            result.reused += 1
        else:
            previous = last_ok.get(item.project.name)
            if item.refused is not None:
                summary = finish_failed(db, item, batch.id, options.out,
                                        Outcome(f"{item.folder}: check", False,
                                                failure="size", error=item.refused))
            else:
                check_h, change_h = handles[item.position]
                steps = 2 if change_h is None else 3
                emit("wait", {"what": f"{item.folder}: check", "step": 0, "steps": steps})
                check = _named(engine.result(check_h), f"{item.folder}: check")
                change = None
                if change_h is not None:
                    emit("wait", {"what": f"{item.folder}: diff and price", "step": 1,
                                  "steps": steps})
                    change = _named(engine.result(change_h), f"{item.folder}: diff and price")
                emit("wait", {"what": f"{item.folder}: reports", "step": steps - 1,
                              "steps": steps})
                if check.ok:
                    summary = finish_item(db, item, check, change, previous, batch.id,
                                          options.out)
                else:
                    summary = finish_failed(db, item, batch.id, options.out, check)
                result.peak_mib = max(result.peak_mib, check.peak_mib,
                                      change.peak_mib if change else 0.0)
                del handles[item.position]  # the driver holds no report it has written
            result.ran += 1
            ran_times.append(time.monotonic() - started)
        if summary.get("status") == "ok":
            last_ok[item.project.name] = summary
        else:
            result.failed += 1
        result.items.append(summary)
        left = len(items) - n
        eta = None
        if ran_times and left:
            per = ran_times[-1] / len(ran_times)
            eta = round(per * sum(1 for i in items[n:] if i.position not in reused), 1)
        emit("done", {"item": summary, "reused": item.position in reused, "done": n,
                      "total": len(items), "eta_s": eta,
                      "elapsed_s": round(time.monotonic() - t0, 1)})


def _named(outcome: Outcome, what: str) -> Outcome:
    if outcome.what == "task":
        return dataclasses.replace(outcome, what=what,
                                   error=f"{what}: {outcome.error}")
    return outcome


def _gate_failures(items: list[Item], summaries: list[dict[str, Any]],
                   options: BatchOptions) -> list[str]:
    """Projects whose latest revision fails its gate (``--fail-on`` or the
    project's gate file); a latest revision that could not be checked fails
    a project that has a gate."""
    latest: dict[str, tuple[Item, dict[str, Any]]] = {}
    for item, summary in zip(items, summaries, strict=True):
        latest[item.project.name] = (item, summary)
    failed = []
    for name, (item, summary) in latest.items():
        gated = options.fail_on is not None or item.project.gate is not None
        if summary.get("status") != "ok":
            if gated:
                failed.append(f"{name}: {item.revision.label} could not be checked "
                              f"({summary.get('error')})")
            continue
        check = summary.get("check") or {}
        if check.get("gate") is False:
            reasons = "; ".join(check.get("gate_reasons") or []) or "gate failed"
            failed.append(f"{name}: {item.revision.label}: {reasons}")
    return failed
