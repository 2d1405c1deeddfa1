"""Where a batch's tasks run: local worker processes, or an existing Dask
cluster. Both run the same task function (:func:`run_task`), each task in
its own child process (:mod:`bimcheck.batch.isolate`), and both express
"diff and price need the checks of both revisions" as task dependencies.

* :class:`LocalEngine` (the default): ``jobs`` tasks at a time, earliest
  revision first; a task is queued when the tasks it depends on are done.
* :class:`DaskEngine`: ``client.submit`` with the dependency futures as
  arguments, so the Dask scheduler orders the work and may run it on any
  worker. ``local:N`` starts a ``LocalCluster`` of N worker processes.
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

from bimcheck.batch.spec import ChangeSpec, CheckSpec, Outcome
from bimcheck.errors import BimcheckError, MissingDependencyError

#: Message of a missing Dask.
DASK_MISSING = ("the Dask engine needs dask.distributed: pip install 'bimcheck[dask]' "
                "(or pip install 'dask[distributed]')")

#: Progress events of a task: ``on_event(what, "start" | "progress", stage, done, total)``.
TaskEvents = Callable[[str, str, str, int, int], None]


def outcome_ok(outcome: Outcome | tuple[bool, str, str | None]) -> tuple[bool, str, str | None]:
    """``(ok, what, error)`` of an outcome: what a dependent task needs of it."""
    if isinstance(outcome, tuple):
        return outcome
    return outcome.ok, outcome.what, outcome.error


def run_task(kind: str, spec: CheckSpec | ChangeSpec,
             *deps: Outcome | tuple[bool, str, str | None], on_progress: Any = None) -> Outcome:
    """Run task ``kind`` once its dependencies are done: skipped (not run)
    when one of them failed, else in a child process (``on_progress``: see
    :func:`~bimcheck.batch.isolate.execute`)."""
    from bimcheck.batch.isolate import execute

    for ok, what, _error in map(outcome_ok, deps):
        if not ok:
            return Outcome(spec.what, False, failure="skipped",
                           error=f"{spec.what}: not run, because {what} failed")
    return execute(kind, spec, on_progress)


class LocalEngine:
    """``jobs`` worker threads, each running one task's child process at a
    time, taking the earliest queued task first."""

    def __init__(self, jobs: int, on_progress: Any = None) -> None:
        self.jobs = max(1, jobs)
        #: ``on_progress(what, stage, done, total)`` of the running tasks.
        self.on_progress = on_progress
        self._queue: queue.PriorityQueue[Any] = queue.PriorityQueue()
        self._seq = itertools.count()
        self._threads = [threading.Thread(target=self._work, daemon=True,
                                          name=f"bimcheck-batch-{i}")
                         for i in range(self.jobs)]
        for t in self._threads:
            t.start()

    def submit(self, kind: str, spec: CheckSpec | ChangeSpec, deps: Sequence[Any],
               priority: int) -> Future[Outcome]:
        """Queue the task once ``deps`` (futures or ``outcome_ok`` tuples) are done."""
        future: Future[Outcome] = Future()
        waiting = [d for d in deps if isinstance(d, Future)]
        lock = threading.Lock()
        left = [len(waiting)]

        def ready() -> None:
            values = [outcome_ok(d.result() if isinstance(d, Future) else d) for d in deps]
            self._queue.put((priority, next(self._seq), future, kind, spec, values))

        def one_done(_: Future[Any]) -> None:
            with lock:
                left[0] -= 1
                go = left[0] == 0
            if go:
                ready()

        if not waiting:
            ready()
        for d in waiting:
            d.add_done_callback(one_done)
        return future

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item[2] is None:
                return
            _, _, future, kind, spec, values = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(run_task(kind, spec, *values, on_progress=self.on_progress))
            except BaseException as exc:  # pragma: no cover - run_task does not raise
                future.set_exception(exc)

    def result(self, handle: Future[Outcome]) -> Outcome:
        return handle.result()

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put((1 << 62, next(self._seq), None, "", None, []))
        for t in self._threads:
            t.join(timeout=1)

    def describe(self) -> str:
        return f"local, {self.jobs} worker process(es)"


class DaskEngine:
    """Tasks on a Dask cluster: ``scheduler`` ``tcp://HOST:PORT`` (an existing
    one) or ``local:N`` (a ``LocalCluster`` of N worker processes, started and
    stopped here). Workers need bimcheck installed and must run as
    non-daemon processes (each task starts its own child process)."""

    def __init__(self, scheduler: str, *, timeout_s: float = 30.0) -> None:
        try:
            import dask
            import distributed
        except ImportError:
            raise MissingDependencyError(DASK_MISSING) from None
        self._cluster: Any = None
        self.scheduler = scheduler
        try:
            if scheduler.startswith("local:"):
                n = _workers(scheduler)
                # one task per single-thread worker at a time, as the local engine
                # does: with the default saturation (1.1) a worker queues a second
                # long check behind its first while another worker idles
                with dask.config.set({"distributed.worker.daemon": False,
                                      "distributed.scheduler.worker-saturation": 1.0}):
                    self._cluster = distributed.LocalCluster(
                        n_workers=n, threads_per_worker=1, processes=True,
                        dashboard_address=":0", silence_logs=50)
                self.client = distributed.Client(self._cluster, set_as_default=False)
            else:
                self.client = distributed.Client(scheduler, timeout=timeout_s,
                                                 set_as_default=False)
        except (OSError, TimeoutError) as exc:
            self.close()
            raise BimcheckError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
        daemons = sorted(w for w, d in self.client.run(_is_daemon).items() if d)
        if daemons:
            self.close()
            raise BimcheckError(
                f"Dask workers {', '.join(daemons[:3])}{' ...' if len(daemons) > 3 else ''} "
                "run as daemon processes, which cannot start a task's own process: start "
                "them with DASK_DISTRIBUTED__WORKER__DAEMON=False (docs/scale.md)")

    def submit(self, kind: str, spec: CheckSpec | ChangeSpec, deps: Sequence[Any],
               priority: int) -> Any:
        """``client.submit`` of the task, its dependencies (futures of
        outcomes, or ``(ok, what, error)`` of outcomes known) as arguments: the
        scheduler starts it when they are done. (A reducing task per
        dependency would wait for a worker thread behind a long check.)"""
        return self.client.submit(run_task, kind, spec, *deps, pure=False,
                                  priority=-priority)

    def result(self, handle: Any) -> Outcome:
        try:
            return handle.result()
        except Exception as exc:  # a worker lost, or the scheduler gone
            return Outcome("task", False, failure="crash",
                           error=f"the Dask cluster lost the task: {type(exc).__name__}: {exc}")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if getattr(self, "client", None) is not None:
                self.client.close()
        with contextlib.suppress(Exception):
            if self._cluster is not None:
                self._cluster.close()

    def describe(self) -> str:
        if self._cluster is not None:
            return f"dask, LocalCluster of {len(self._cluster.workers)} worker process(es)"
        return f"dask, scheduler {self.scheduler}"


def _is_daemon() -> bool:
    """On a worker: whether its process is daemonic (it then cannot have children)."""
    import multiprocessing

    return bool(multiprocessing.current_process().daemon)


def _workers(scheduler: str) -> int:
    text = scheduler.removeprefix("local:")
    if not text.isdigit() or not 1 <= int(text) <= 1024:
        raise BimcheckError(f"--scheduler {scheduler}: give local:N with N from 1 to 1024, "
                            "or tcp://HOST:PORT")
    return int(text)
