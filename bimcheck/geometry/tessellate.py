"""Turn IFC elements into welded triangle meshes (world coordinates, metres).

:func:`tessellate_models` (and :func:`tessellate` for one model) runs
IfcOpenShell's geometry iterator on the elements whose meshes are not in the
cache yet, and returns one :class:`~bimcheck.geometry.mesh.Mesh` per element
plus the elements that could not be tessellated (with the reason) and those
with no body representation. An element's mesh is made of its body
representation only (:mod:`~bimcheck.geometry.bodies`: ``Body`` first, then
the other body identifiers, representations without identifier only when it
has none of these).

The iterator runs in forked worker processes (POSIX), one per core, shared by
every model of the run. They take batches of elements from the parent and
stream each shape back as soon as it is ready; the parent welds it and writes
it to the cache at once, while it goes on fingerprinting and looking up the
elements that follow. Elements with the same local shape are tessellated
once (:mod:`~bimcheck.geometry.instances`). A time budget therefore ends
tessellation cleanly and for certain: the workers are killed, what has
arrived stays cached, and the next run starts where this one stopped. A crash
of the geometry kernel loses only a worker. Without ``fork`` (Windows) the
iterator runs in-process and the budget is checked between shapes.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import re
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import ifcopenshell
import ifcopenshell.geom
import ifcopenshell.ifcopenshell_wrapper as wrapper
import numpy as np

from bimcheck.errors import TessellationTimeout
from bimcheck.fingerprint import Fingerprinter
from bimcheck.forking import die_with_parent
from bimcheck.geometry import csg, extrusions, facets, manifest, profiles
from bimcheck.geometry.bodies import (
    BODY_IDENTIFIERS,
    body_representations,
    geometry_representation_id,
    has_body,
    unused_geometry_ids,
)
from bimcheck.geometry.cache import CachedFailure, MeshCache
from bimcheck.geometry.instances import Placements, shape_key
from bimcheck.geometry.mesh import Mesh, concatenate, from_arrays, moved
from bimcheck.geometry.records import Failure, Geometry, TessellationStats
from bimcheck.geometry.screen import Screen
from bimcheck.limits import KERNEL_ELEMENT_SECONDS, MAX_COORDINATE_M, MAX_ELEMENT_TRIANGLES
from bimcheck.model import Model
from bimcheck.steptext import StepText
from bimcheck.units import WELD_TOLERANCE_M

log = logging.getLogger(__name__)

_MANIFOLD_VERSION = importlib.metadata.version("manifold3d")

#: Bump when the meaning of a cached mesh changes (welding, post-processing,
#: which representations make the body). 6: the body representation only
#: (:mod:`~bimcheck.geometry.bodies`), no longer every 3D representation.
MESH_FORMAT_VERSION = 6

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class TessellationSettings:
    """How meshes are made. ``subtract_openings=False`` gives gross geometry
    (openings not cut), for quantities."""

    subtract_openings: bool = True

    def iterator_settings(self) -> ifcopenshell.geom.settings:
        """IfcOpenShell settings for these options (metres). Shapes come in
        their local frame with a placement matrix, which the tessellator
        applies: the kernel then meshes a representation shared by many
        elements (mapped items) once, and world coordinates cost nothing."""
        s = ifcopenshell.geom.settings()
        if not self.subtract_openings:
            s.set("disable-opening-subtractions", True)
        return s

    def key(self, length_scale: float) -> str:
        """Everything a cached mesh depends on besides the element itself."""
        s = self.iterator_settings()
        doc = {
            "ifcopenshell": ifcopenshell.version,
            "mesh_format": MESH_FORMAT_VERSION,
            "body_identifiers": list(BODY_IDENTIFIERS),
            "weld_tolerance_m": WELD_TOLERANCE_M,
            "length_scale": repr(float(length_scale)),
            "options": asdict(self),
            "frame": "local+matrix",
            "csg": f"manifold3d {_MANIFOLD_VERSION}",
            "faceted": facets.VERSION,
            "extruded": extrusions.VERSION,
            "linear_deflection": s.get("mesher-linear-deflection"),
            "angular_deflection": s.get("mesher-angular-deflection"),
        }
        return json.dumps(doc, sort_keys=True)


def tessellate(
    model: Model,
    elements: Iterable[ifcopenshell.entity_instance] | None = None,
    *,
    settings: TessellationSettings | None = None,
    cache: MeshCache | None = None,
    timeout: float | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
) -> Geometry:
    """Meshes for ``elements`` of one model (default: :meth:`Model.elements_for_geometry`).

    The one-model case of :func:`tessellate_models`; see there.
    """
    return tessellate_models(
        [(model, elements)], settings=settings, cache=cache, timeout=timeout, threads=threads,
        progress=progress,
    )[0]


def tessellate_models(
    requests: Sequence[tuple[Model, Iterable[ifcopenshell.entity_instance] | None]],
    *,
    settings: TessellationSettings | None = None,
    cache: MeshCache | None = None,
    timeout: float | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
    fingerprinters: Sequence[Fingerprinter | None] | None = None,
    element_timeout: float = KERNEL_ELEMENT_SECONDS,
) -> list[Geometry]:
    """Meshes for the elements of several models, in one pass (one :class:`Geometry`
    per ``(model, elements)`` request; ``elements=None`` means
    :meth:`Model.elements_for_geometry`). ``fingerprinters``, one per request,
    share their memoised hashes with the caller (a run context's, so a
    revision diff and a takeoff of one run hash each entity once).

    Cached meshes are read back; the rest are tessellated by ``threads``
    worker processes (default: one per core) shared by all the models, while
    the parent is still fingerprinting and looking up the elements that
    follow. Of each group of elements with the same local shape
    (:mod:`~bimcheck.geometry.instances`) only one is tessellated. ``timeout``
    is the budget in seconds for the whole call; when it runs out,
    :class:`~bimcheck.errors.TessellationTimeout` is raised and everything
    finished so far is already in the cache. ``progress(done, total)`` is
    called as elements complete, counted over all the models.

    A worker that crashes on an element, or works ``element_timeout``
    seconds on one without a result, is replaced: that element is a failure
    (its reason says which), the others are meshed.
    """
    settings = settings or TessellationSettings()
    started = time.monotonic()
    deadline = None if timeout is None else started + float(timeout)
    fps = list(fingerprinters or [None] * len(requests))
    # A whole model not parsed yet whose every element the cache holds: served
    # from its manifest, not parsed. Manifests are named by the file's bytes,
    # which fix its length unit: their settings key holds a placeholder scale.
    manifest_key = settings.key(1.0)
    results: list[Geometry | None] = [
        manifest.served(model, manifest_key, cache)
        if elements is None and not model.parsed and cache is not None else None
        for model, elements in requests]
    todo = [i for i, r in enumerate(results) if r is None]
    jobs = [_Job(n, requests[i][0], requests[i][1], fps[i]) for n, i in enumerate(todo)]
    run = _Run(jobs, settings, cache, progress, threads or os.cpu_count() or 1, deadline, timeout,
               element_timeout)
    run.done = sum(len(r) + len(r.failures) for r in results if r is not None)
    run.total += run.done
    run.execute()
    for i, job in zip(todo, jobs, strict=True):
        job.stats.seconds_tessellate = time.monotonic() - started - job.stats.seconds_fingerprint
        results[i] = job.result()
        if requests[i][1] is None and cache is not None and not job.unreadable:
            manifest.remember(job.model, manifest_key, cache, job.with_body, job.keys,
                              job.without_body)
    if progress is not None and not jobs:
        progress(run.done, run.total)
    return [r for r in results if r is not None]


class _Job:
    """One model's share of a tessellation run: its elements and what became of them."""

    def __init__(
        self, index: int, model: Model, elements: Iterable[ifcopenshell.entity_instance] | None,
        fingerprinter: Fingerprinter | None = None,
    ) -> None:
        self.index = index
        self.model = model
        products = model.elements_for_geometry() if elements is None else list(elements)
        products = sorted({p.id(): p for p in products}.values(), key=lambda p: p.id())
        self.with_body: list[ifcopenshell.entity_instance] = []
        self.without_body: list[Failure] = []
        #: Elements whose geometry cannot be read (:mod:`~bimcheck.geometry.screen`).
        self.unreadable: list[Failure] = []
        screen = Screen(model.file, model.integrity)
        for p in products:
            problem = screen.reason(p)
            if problem is not None:
                self.unreadable.append(Failure(p.GlobalId, p.is_a(), problem))
            elif has_body(p):
                self.with_body.append(p)
            else:
                self.without_body.append(Failure(p.GlobalId, p.is_a(), "no body representation"))
        self.without_body.sort()
        self.stats = TessellationStats(requested=len(self.with_body) + len(self.unreadable))
        self.meshes: dict[str, Mesh] = {}
        self.failures: list[Failure] = list(self.unreadable)
        self.keys: dict[int, str] = {}
        #: Elements not in the cache, by STEP id.
        self.todo: dict[int, ifcopenshell.entity_instance] = {}
        #: Representative STEP id -> the other members of its shape group.
        self.groups: dict[int, list[ifcopenshell.entity_instance]] = {}
        #: Member STEP id -> its representative's STEP id.
        self.representative: dict[int, int] = {}
        self.by_shape: dict[str, ifcopenshell.entity_instance] = {}
        #: STEP ids of elements placed by their own placement (they have a shape key).
        self.placed: set[int] = set()
        #: Representative STEP id -> {geometry id: (welded local mesh, matrix)}.
        self.parts: dict[int, dict[str, tuple[Mesh, np.ndarray]]] = {}
        self.empty: set[int] = set()
        #: Representative STEP id -> why the kernel could not mesh it (it crashed or stalled).
        self.kernel_failed: dict[int, str] = {}
        #: STEP id -> why its placed mesh is not kept (coordinates not finite).
        self.bad_mesh: dict[int, str] = {}
        self.logs: list[str] = []
        self.fingerprinter = fingerprinter or Fingerprinter(model.file, lambda: model.step_text,
                                                        model.prehashed)
        self.placements = Placements(model.length_scale)

    def result(self) -> Geometry:
        self.failures.sort()
        self.stats.failed = len(self.failures)
        s = self.stats
        log.info(
            "%s: %d elements meshed (%d from cache, %d tessellated: %d placed copies, %d "
            "booleans by manifold3d, %d faceted bodies by numpy, %d extrusions by manifold3d), "
            "%d failed, %d without a body",
            self.model.path.name, len(self.meshes), s.from_cache, s.tessellated, s.reused,
            s.csg, s.faceted, s.extruded, s.failed, len(self.without_body),
        )
        for failure in self.failures:
            log.debug("%s: %s %s failed: %s", self.model.path.name, failure.ifc_class,
                      failure.global_id, failure.reason)
        return Geometry(
            meshes=dict(sorted(self.meshes.items())),
            failures=self.failures,
            without_body=self.without_body,
            stats=self.stats,
            keys={p.GlobalId: self.keys[p.id()] for p in self.with_body if p.id() in self.keys},
        )


@dataclass
class _Worker:
    """A forked kernel process, its pipe, and the batch it is working on."""

    proc: multiprocessing.process.BaseProcess
    conn: Any
    batch: tuple[int, list[int]] | None = None
    #: When it last sent something, or was given its batch (monotonic seconds).
    last: float = 0.0
    #: STEP ids of its batch whose shapes have arrived.
    got: set[int] = field(default_factory=set)


#: Elements hashed one entity at a time before the first vectorised chunk,
#: and elements whose graphs are hashed at once after that
#: (:meth:`~bimcheck.fingerprint.Fingerprinter.prepare_geometry`).
_FIRST_HASH_CHUNK = 16
_HASH_CHUNK = 256

#: How much lower than the parent's the workers' scheduling priority is.
_WORKER_NICENESS = 10

#: Most shapes in one batch sent to a worker. Each batch costs one iterator
#: start (4-20 ms on the shared models), so batches are not single elements;
#: at most this many keeps the workers' loads even towards the end.
_MAX_BATCH = 64


class _Run:
    """One tessellation pass over several models.

    The parent looks every element up (fingerprint, cache) in STEP-id order;
    an element missing from the cache either joins the group of an earlier
    element with the same local shape, or becomes a group's representative
    and is queued for the workers. Workers take batches of representatives of
    one model at a time and stream each shape back; the parent welds it,
    moves it into the place of every group member, and writes the cache, all
    while the look-ups continue.
    """

    def __init__(
        self,
        jobs: list[_Job],
        settings: TessellationSettings,
        cache: MeshCache | None,
        progress: Progress | None,
        threads: int,
        deadline: float | None,
        timeout: float | None,
        element_timeout: float = KERNEL_ELEMENT_SECONDS,
    ) -> None:
        self.jobs = jobs
        self.settings = settings
        self.cache = cache
        self.progress = progress
        self.threads = max(1, threads)
        self.deadline = deadline
        self.timeout = timeout
        self.total = sum(len(j.with_body) for j in jobs)
        self.done = 0
        self.pending: deque[tuple[int, int]] = deque()  # (job index, representative id)
        #: Representatives of a batch whose worker crashed or stalled: each is
        #: tried again alone, and fails alone if it does that again.
        self.suspects: deque[tuple[int, int]] = deque()
        self.element_timeout = element_timeout
        self.looking_up = True
        self.workers: list[_Worker] | None = None
        # Cache files are written by one background thread (file-system calls
        # release the GIL), in submission order, while shapes keep arriving.
        # It starts after the workers are forked, never before.
        self._writer: ThreadPoolExecutor | None = None
        self._writes: list[Future] = []
        self._putting: set[str] = set()

    # -- the pass -------------------------------------------------------------

    def execute(self) -> None:
        try:
            for job in self.jobs:
                self._look_up(job)
            self.looking_up = False
            self._drain()
            for job in self.jobs:
                self._finish(job)
        except BaseException:
            with contextlib.suppress(Exception):
                self._flush()  # what arrived is cached even when the run fails
            raise
        finally:
            self._stop_workers()
        self._flush()

    def _look_up(self, job: _Job) -> None:
        """Fingerprint and look up ``job``'s elements; queue what must be tessellated."""
        cache = self.cache
        stored: dict[str, str] = {}
        new_keys: dict[str, str] = {}
        index_name = skey = ""
        corrupt_before = cache.stats.corrupt if cache is not None else 0
        if cache is not None:
            # Keys computed for this exact file (same bytes, same settings) are
            # stored in the cache's key index: a re-run on an unchanged file
            # skips fingerprinting altogether.
            skey = self.settings.key(job.model.length_scale)
            index_name = hashlib.blake2b(
                f"{job.model.content_digest}|{skey}".encode(), digest_size=20
            ).hexdigest()
            stored = cache.get_index(index_name)
        clock = time.perf_counter
        # The graphs to hash are hashed many at a time (vectorised over the
        # file's text), a chunk ahead of the look-ups. The first few are hashed
        # one entity at a time instead (the vectors first index the whole file,
        # ~1 s for 27 MB), so that the workers have shapes to mesh meanwhile.
        need = [p for p in job.with_body if cache is None or str(p.id()) not in stored]
        place = {p.id(): i for i, p in enumerate(need)}
        hashed = 0
        for n, p in enumerate(job.with_body):
            sid = p.id()
            if place.get(sid, -1) >= hashed:
                if hashed == 0:
                    hashed = _FIRST_HASH_CHUNK  # left to the walk, element by element
                elif self.workers is None and cache is not None and hashed == _FIRST_HASH_CHUNK:
                    # The first elements were all in the cache (no worker was
                    # needed): most likely a re-saved file or a revision, where
                    # the cores are idle while the parent hashes. The rest is
                    # hashed at once, shared with helper processes.
                    t0 = clock()
                    job.fingerprinter.prepare_geometry_parallel(need[hashed:],
                                                                helpers=self.threads - 1)
                    hashed = len(need)
                    job.stats.seconds_fingerprint += clock() - t0
                else:
                    t0 = clock()
                    job.fingerprinter.prepare_geometry(need[hashed:hashed + _HASH_CHUNK])
                    hashed += _HASH_CHUNK
                    job.stats.seconds_fingerprint += clock() - t0
            if cache is not None:
                key = stored.get(str(sid))
                if key is None:
                    t0 = clock()
                    key = MeshCache.key(job.fingerprinter.geometry(p), skey)
                    job.stats.seconds_fingerprint += clock() - t0
                    new_keys[str(sid)] = key
                job.keys[sid] = key
                t0 = clock()
                # A key this run is writing (an element with the same geometry
                # met earlier) is not read back: whether the writer thread has
                # stored it yet is a race, and the statistics would depend on
                # it. The element joins its twin's group instead.
                entry = None if key in self._putting else cache.get(key)
                job.stats.seconds_cache += clock() - t0
                if entry is not None:
                    job.stats.from_cache += 1
                    if isinstance(entry, CachedFailure):
                        job.failures.append(Failure(p.GlobalId, p.is_a(), entry.reason))
                    else:
                        job.meshes[p.GlobalId] = entry
                    self._advance(1)
                    continue
            job.todo[sid] = p
            t0 = clock()
            self._plan(job, p)
            job.stats.seconds_fingerprint += clock() - t0
            if self.workers is not None and n % 4 == 0:
                self._service(0.0)
        if cache is not None:
            job.stats.corrupt_rebuilt = cache.stats.corrupt - corrupt_before
            if new_keys:
                cache.put_index(index_name, new_keys)

    def _plan(self, job: _Job, p: ifcopenshell.entity_instance) -> None:
        """Make ``p`` a representative (queued) or a member of an earlier one's group."""
        sid = p.id()
        shape = shape_key(p, job.fingerprinter, job.placements)
        rep = job.by_shape.get(shape) if shape is not None else None
        if shape is not None:
            job.placed.add(sid)
        if rep is None:
            job.groups[sid] = []
            if shape is not None:
                job.by_shape[shape] = p
                local = _csg_mesh(p, job.model.length_scale)
                if local is not None:
                    job.parts[sid] = {"csg": (local, np.eye(4))}
                    job.stats.csg += 1
                    self._place(job, sid, [p])
                    return
            self.pending.append((job.index, sid))
            if self.workers is None and hasattr(os, "fork"):
                self._start_workers()
            return
        rid = rep.id()
        job.groups[rid].append(p)
        job.representative[sid] = rid
        if rid in job.parts:  # its shape is here already
            self._place(job, rid, [p])

    def _drain(self) -> None:
        """Wait until every queued representative is tessellated."""
        if self.workers is None:  # pragma: no cover - platforms without fork
            self._drain_in_process()
            return
        while self.pending or self.suspects or any(w.batch is not None for w in self.workers):
            wait = 0.25
            if self.deadline is not None:
                wait = min(wait, self.deadline - time.monotonic())
            self._service(max(wait, 0.0))

    def _finish(self, job: _Job) -> None:
        """Failures of ``job``: representatives without a shape, and their members."""
        entries = _log_entries("\n".join(job.logs))
        reasons: dict[int, str] = {}
        for sid, product in sorted(job.todo.items()):
            if product.GlobalId in job.meshes:
                continue
            rid = job.representative.get(sid, sid)
            if sid in job.bad_mesh:
                job.failures.append(Failure(product.GlobalId, product.is_a(), job.bad_mesh[sid]))
                self._put(job.keys.get(sid, ""), CachedFailure(job.bad_mesh[sid]))
                self._advance(1)
                continue
            if rid in reasons:
                reason = reasons[rid]
            elif rid in job.empty:
                reason = "the geometry kernel produced a shape with no triangles"
            elif rid in job.kernel_failed:
                reason = job.kernel_failed[rid]
            else:
                reason = _failure_reason(job.model.file, job.todo[rid], entries)
            reasons[rid] = reason
            job.failures.append(Failure(product.GlobalId, product.is_a(), reason))
            self._put(job.keys.get(sid, ""), CachedFailure(reason))
            self._advance(1)  # done, if without a mesh: progress ends at the total

    # -- receiving shapes ---------------------------------------------------

    def _accept(
        self, job: _Job, sid: int, geometry_id: str, local: Mesh, matrix: np.ndarray,
    ) -> None:
        product = job.todo.get(sid)
        if product is None or sid not in job.groups:
            return  # an element the iterator added by itself (not requested)
        local.vertices.setflags(write=False)  # pickling through the pipe drops the flag
        local.faces.setflags(write=False)
        if len(local.faces) == 0:
            job.empty.add(sid)  # a shape without triangles (e.g. all cut away): no body
            return
        parts = job.parts.setdefault(sid, {})
        if geometry_id in parts:
            return  # the same body listed twice in the file
        if geometry_id == _FACETED_ID:
            job.stats.faceted += 1
        elif geometry_id == _EXTRUDED_ID:
            job.stats.extruded += 1
        own = job.placements.matrix(product.ObjectPlacement) if sid in job.placed else None
        if own is not None:
            # What the kernel put between the element's placement and its shape
            # (a mapped item's target, usually nothing), rounded so that it is the
            # same whichever member of the group was tessellated.
            matrix = np.round(np.linalg.inv(own) @ matrix, 12) + 0.0
        parts[geometry_id] = (local, matrix)
        self._place(job, sid, [product, *job.groups[sid]])

    def _place(self, job: _Job, rid: int, elements: list[ifcopenshell.entity_instance]) -> None:
        """World meshes of ``elements`` (members of representative ``rid``'s group)
        from the representative's local meshes.

        Each is its own placement times the group's local mesh (welded once in
        the local frame), so an element's mesh does not depend on which member
        of its group happened to be tessellated, nor on the file's entity order.
        """
        parts = job.parts[rid]
        for element in elements:
            own = (
                job.placements.matrix(element.ObjectPlacement) if element.id() in job.placed
                else None
            )
            mesh = concatenate([
                moved(local, matrix if own is None else own @ matrix)
                for local, matrix in (parts[k] for k in sorted(parts))
            ])
            problem = _mesh_problem(mesh)
            if problem is not None:
                job.bad_mesh[element.id()] = problem
                if job.meshes.pop(element.GlobalId, None) is not None:  # an earlier part's
                    job.stats.tessellated -= 1
                    self.done -= 1
                continue
            fresh = element.GlobalId not in job.meshes
            job.meshes[element.GlobalId] = mesh
            self._put(job.keys.get(element.id(), ""), mesh)
            if fresh:
                job.stats.tessellated += 1
                job.stats.reused += element.id() != rid
                self._advance(1)

    def _advance(self, n: int) -> None:
        if n:
            self.done += n
            if self.progress is not None:
                self.progress(self.done, self.total)

    # -- cache writes ---------------------------------------------------------

    def _put(self, key: str, entry: Mesh | CachedFailure) -> None:
        if self.cache is None:
            return
        self._putting.add(key)
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="bimcheck-cache")
        self._writes.append(self._writer.submit(self.cache.put, key, entry))

    def _flush(self) -> None:
        """Wait for every cache write; raise the first one's error (CacheError)."""
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None
        writes, self._writes = self._writes, []
        for future in writes:
            future.result()

    # -- worker processes -----------------------------------------------------

    def _start_workers(self) -> None:
        """Fork the kernel workers (every model is parsed by now, so they share it).

        IfcOpenShell 0.9's iterator gains little from its own threads (2
        threads: 11.5 s on the Tekla model against 12.0 s with one), while
        separate processes scale (2 × 1 thread: 7.0 s), so the work is split
        by process.
        """
        self.workers = [self._spawn() for _ in range(self.threads)]

    def _spawn(self) -> _Worker:
        """One forked kernel worker."""
        ctx = multiprocessing.get_context("fork")
        files = [(job.model.file, job.model.length_scale, job.model.step_text)
                 for job in self.jobs]
        parent_end, child_end = ctx.Pipe(duplex=True)
        proc = ctx.Process(target=_worker_main,
                           args=(files, self.settings, child_end, os.getpid()), daemon=True)
        proc.start()
        child_end.close()
        return _Worker(proc, parent_end)

    def _stop_workers(self) -> None:
        for w in self.workers or ():
            with contextlib.suppress(OSError):
                if w.batch is None and w.proc.is_alive():
                    w.conn.send(None)  # a clean goodbye
            w.conn.close()
            _stop(w.proc)
        self.workers = None

    def _dispatch(self) -> None:
        """Hand queued representatives to idle workers, one model per batch."""
        assert self.workers is not None
        idle = [w for w in self.workers if w.batch is None]
        for w in idle:
            if self.suspects:
                job_index, sid = self.suspects.popleft()
                self._give(w, (job_index, [sid]))
                continue
            if not self.pending:
                return
            job_index = self.pending[0][0]
            same = 0
            for j, _ in self.pending:
                if j != job_index:
                    break
                same += 1
            size = same
            if not self.looking_up:  # the queue is final: share it out evenly
                size = -(-same // (2 * len(self.workers)))
            size = max(1, min(size, _MAX_BATCH))
            ids = [self.pending.popleft()[1] for _ in range(size)]
            self._give(w, (job_index, ids))

    def _give(self, w: _Worker, batch: tuple[int, list[int]]) -> None:
        w.batch, w.last, w.got = batch, time.monotonic(), set()
        try:
            w.conn.send(batch)
        except OSError:
            self._lost(w, "stopped before it started")

    def _service(self, timeout: float) -> None:
        """Dispatch work, then take in what the workers sent, waiting up to ``timeout`` s."""
        assert self.workers is not None
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self._receive(0.0)  # what the workers sent already is kept (and cached)
            raise self._timeout_error()
        self._dispatch()
        self._receive(timeout)
        self._dispatch()

    def _receive(self, timeout: float) -> None:
        """Take in what the workers sent, waiting up to ``timeout`` s for the first;
        a worker that died, failed, or sent nothing for :attr:`element_timeout`
        seconds is replaced (:meth:`_lost`)."""
        assert self.workers is not None
        busy = {w.conn: w for w in self.workers if w.batch is not None}
        if not busy:
            return
        ready = multiprocessing.connection.wait(list(busy), timeout=timeout)
        now = time.monotonic()
        for w in busy.values():
            if w.conn in ready:
                continue
            if not w.proc.is_alive():
                self._lost(w, f"stopped unexpectedly (exit code {w.proc.exitcode})")
            elif now - w.last > self.element_timeout:
                self._lost(w, f"took more than {self.element_timeout:g} s")
        for conn in ready:
            w = busy[conn]
            while w.batch is not None:
                try:
                    msg = conn.recv()
                except (EOFError, OSError):
                    w.proc.join(1)
                    self._lost(w, f"stopped unexpectedly (exit code {w.proc.exitcode})")
                    break
                w.last = time.monotonic()
                job = self.jobs[w.batch[0]]
                if msg[0] == "shape":
                    w.got.add(msg[1])
                    self._accept(job, *msg[1:])
                elif msg[0] == "failed":  # too large to give the kernel
                    w.got.add(msg[1])
                    job.kernel_failed[msg[1]] = msg[2]
                elif msg[0] == "error":
                    self._lost(w, f"failed ({msg[1]})")
                    break
                else:  # "done"
                    job.logs.append(msg[1])
                    w.batch = None
                if not conn.poll(0):
                    break

    def _lost(self, w: _Worker, why: str) -> None:
        """Replace worker ``w``, which crashed, failed or stalled on its batch:
        the batch's representatives without a shape are tried again one at a
        time; a representative tried alone fails, with ``why`` as its reason."""
        assert self.workers is not None and w.batch is not None
        job_index, ids = w.batch
        job = self.jobs[job_index]
        w.batch = None
        with contextlib.suppress(OSError):
            w.conn.close()
        _stop(w.proc)
        left = [sid for sid in ids if sid not in w.got]
        if len(ids) == 1:
            for sid in left:
                job.kernel_failed[sid] = f"the geometry kernel {why} on it"
            log.warning("%s: the geometry kernel %s on #%d; it is reported as a failure",
                        job.model.path.name, why, ids[0])
        else:
            log.info("%s: the geometry kernel %s on a batch of %d; trying its %d elements "
                     "one at a time", job.model.path.name, why, len(ids), len(left))
            self.suspects.extend((job_index, sid) for sid in left)
        # A fork must not copy the lock of a thread at work: the cache writer
        # is stopped first (it starts again at the next write).
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None
        self.workers[self.workers.index(w)] = self._spawn()

    def _timeout_error(self) -> TessellationTimeout:
        names = ", ".join(j.model.path.name for j in self.jobs)
        return TessellationTimeout(
            f"tessellation exceeded the time limit of {self.timeout or 0.0:g} s (--timeout) "
            f"({self.done} of {self.total} elements done and cached; a re-run continues "
            "from there)",
            budget=self.timeout or 0.0,
            done=self.done,
            total=self.total,
            path=self.jobs[0].model.path if len(self.jobs) == 1 else names,
        )

    def _drain_in_process(self) -> None:  # pragma: no cover - platforms without fork
        while self.pending:
            job_index = self.pending[0][0]
            ids = []
            while self.pending and self.pending[0][0] == job_index:
                ids.append(self.pending.popleft()[1])
            job = self.jobs[job_index]
            for msg in _iterate(job.model.file, ids, self.settings, self.threads,
                                job.model.length_scale, job.model.step_text):
                if msg[0] == "shape":
                    self._accept(job, *msg[1:])
                elif msg[0] == "failed":
                    job.kernel_failed[msg[1]] = msg[2]
                elif msg[0] == "done":
                    job.logs.append(msg[1])
                if self.deadline is not None and time.monotonic() > self.deadline:
                    raise self._timeout_error()


def _mesh_problem(mesh: Mesh) -> str | None:
    """Why a placed mesh is not kept: coordinates not finite or absurd (a
    1E400 in the file: every measure of it would be NaN or infinite), or
    more triangles than :data:`~bimcheck.limits.MAX_ELEMENT_TRIANGLES`."""
    if len(mesh.faces) > MAX_ELEMENT_TRIANGLES:
        return (f"its mesh has {len(mesh.faces):,} triangles, over the limit of "
                f"{MAX_ELEMENT_TRIANGLES:,}")
    if len(mesh.vertices) and not (np.abs(mesh.vertices) <= MAX_COORDINATE_M).all():
        return ("its geometry has coordinates that are not finite or are more than "
                f"{MAX_COORDINATE_M:g} m from the origin")
    return None


def _csg_mesh(product: ifcopenshell.entity_instance, length_scale: float) -> Mesh | None:
    """The welded local mesh of a boolean of extrusions without openings, built
    by :mod:`~bimcheck.geometry.csg`; ``None`` leaves the element to the kernel."""
    if getattr(product, "HasOpenings", None):
        return None
    bodies = body_representations(product)
    if len(bodies) != 1 or bodies[0].RepresentationType != "CSG":
        return None
    built = csg.local_mesh(bodies[0], length_scale)
    return None if built is None else from_arrays(*built)


#: The geometry id under which a faceted body meshed by numpy is placed.
_FACETED_ID = "bimcheck-faceted"
#: The geometry id under which an extruded body meshed by manifold3d is placed.
_EXTRUDED_ID = "bimcheck-extruded"


def _faceted_mesh(
    product: ifcopenshell.entity_instance, settings: TessellationSettings, length_scale: float,
    placements: Placements, text: StepText | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``(vertices, faces, placement matrix)`` of a faceted body meshed by
    :mod:`~bimcheck.geometry.facets` in the element's frame, or ``None`` to
    leave it to the kernel: other bodies, openings to cut, placements the
    kernel alone evaluates."""
    if settings.subtract_openings and getattr(product, "HasOpenings", None):
        return None
    bodies = body_representations(product)
    if len(bodies) != 1 or not facets.covers(bodies[0]):
        return None
    own = placements.matrix(getattr(product, "ObjectPlacement", None))
    if own is None:
        return None
    built = facets.local_mesh(bodies[0], length_scale, text)
    if built is None:
        return None
    vertices, faces = built
    return vertices.reshape(-1), faces.astype(np.int32).reshape(-1), own


def _extruded_mesh(
    product: ifcopenshell.entity_instance, settings: TessellationSettings, length_scale: float,
    angle_scale: float, placements: Placements, memo: dict | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``(vertices, faces, placement matrix)`` of an extruded body meshed by
    :mod:`~bimcheck.geometry.extrusions` in the element's frame, its openings
    cut (unless ``settings`` keeps them), or ``None`` to leave it to the kernel:
    other bodies, openings that are not extrusions, placements the kernel
    alone evaluates."""
    bodies = body_representations(product)
    if len(bodies) != 1 or not extrusions.covers(bodies[0]):
        return None
    own = placements.matrix(getattr(product, "ObjectPlacement", None))
    if own is None:
        return None
    openings = []
    if settings.subtract_openings:
        inverse = None
        for rel in getattr(product, "HasOpenings", None) or ():
            opening = rel.RelatedOpeningElement
            found = body_representations(opening)
            if len(found) != 1 or not extrusions.covers(found[0]):
                return None
            where = placements.matrix(opening.ObjectPlacement)
            if where is None:
                return None
            if inverse is None:
                inverse = np.linalg.inv(own)
            openings.append((found[0], inverse @ where))
    built = extrusions.local_mesh(bodies[0], length_scale, angle_scale, openings, memo)
    if built is None:
        return None
    vertices, faces = built
    return vertices.reshape(-1), faces.astype(np.int32).reshape(-1), own


#: The memo of mapped solids (:func:`bimcheck.geometry.extrusions.local_mesh`)
#: of the file a worker meshes, kept between its batches.
_MEMOS: dict[int, tuple[ifcopenshell.file, dict]] = {}


def _solid_memo(ifc: ifcopenshell.file) -> dict:
    found = _MEMOS.get(id(ifc))
    if found is None or found[0] is not ifc:
        if len(_MEMOS) > 8:
            _MEMOS.clear()
        found = _MEMOS[id(ifc)] = (ifc, {})
    return found[1]


def _angle_scale(ifc: ifcopenshell.file) -> float:
    """Radians per plane angle unit of the file (1 when it declares none)."""
    import ifcopenshell.util.unit

    try:
        scale = float(ifcopenshell.util.unit.calculate_unit_scale(ifc, "PLANEANGLEUNIT"))
    except Exception:  # malformed units: the kernel decides alone
        return float("nan")
    return scale if scale > 0 and np.isfinite(scale) else float("nan")


def _stop(proc: multiprocessing.process.BaseProcess) -> None:
    """End the worker for certain: it may be deep in C++ code."""
    if proc.is_alive():
        with contextlib.suppress(ProcessLookupError, OSError):
            os.kill(proc.pid, signal.SIGKILL)
    proc.join(5)


def _worker_main(
    files: list[tuple[ifcopenshell.file, float, StepText | None]],
    settings: TessellationSettings, conn: Any, parent: int,
) -> None:
    """Entry point of a forked worker: take ``(model index, STEP ids)`` batches
    from the parent, stream each batch's shapes back and then ``("done", log)``;
    stop on ``None`` or when the parent goes away.

    The geometry kernel prints diagnostics on stdout (e.g. "local z ... delta"
    for alignment placements); the worker's stdout goes to /dev/null so they
    never mix with a report written to stdout. It dies with its parent
    (:func:`~bimcheck.forking.die_with_parent`), even one killed with -9.
    """
    die_with_parent(parent)
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    with contextlib.suppress(OSError, AttributeError):
        # The parent hashes and looks up what the workers mesh: on as many
        # cores as workers, it would get a third of a core and starve them;
        # at a lower priority the workers take what it leaves.
        os.nice(_WORKER_NICENESS)
    try:
        while True:
            try:
                batch = conn.recv()
            except EOFError:
                return
            if batch is None:
                return
            index, ids = batch
            ifc, length_scale, text = files[index]
            for msg in _iterate(ifc, ids, settings, 1, length_scale, text):
                conn.send(msg)
    except BaseException as exc:
        with contextlib.suppress(OSError, BrokenPipeError):
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _iterate(
    ifc: ifcopenshell.file, ids: list[int], settings: TessellationSettings, threads: int,
    length_scale: float, text: StepText | None = None,
) -> Iterator[tuple]:
    """Mesh the given STEP ids: faceted bodies with :mod:`~bimcheck.geometry.facets`,
    extrusions with :mod:`~bimcheck.geometry.extrusions`, the rest with the
    geometry iterator. Yield ``("shape", step_id, geometry_id, mesh,
    matrix)`` (the mesh welded) per shape of an element's body representation
    (:func:`~bimcheck.geometry.bodies.body_representations`; the kernel meshes
    every 3D representation, the others' shapes are dropped here) with local
    vertices in metres and the 4×4 placement matrix, then ``("done", log_text)``."""
    for msg in _shapes(ifc, ids, settings, threads, length_scale, text):
        if msg[0] == "shape":
            # Welded here, in the worker: the parent only places the meshes.
            _, sid, geometry_id, verts, faces, matrix = msg
            msg = ("shape", sid, geometry_id,
                   from_arrays(verts.reshape(-1, 3), faces.reshape(-1, 3)), matrix)
        yield msg


def _shapes(
    ifc: ifcopenshell.file, ids: list[int], settings: TessellationSettings, threads: int,
    length_scale: float, text: StepText | None = None,
) -> Iterator[tuple]:
    """:func:`_iterate`'s shapes before welding."""
    wrapper.set_log_format_json()
    with contextlib.suppress(Exception):
        ifcopenshell.get_log()  # clear what came before
    placements = Placements(length_scale)
    angle_scale: float | None = None
    include = []
    #: STEP id -> geometry of its other representations (not its body), to drop.
    unused: dict[int, frozenset[int]] = {}
    for i in ids:
        product = ifc.by_id(i)
        faceted = _faceted_mesh(product, settings, length_scale, placements, text)
        if faceted is not None:
            yield ("shape", i, _FACETED_ID, *faceted)
            continue
        if angle_scale is None:
            angle_scale = _angle_scale(ifc)
        extruded = None
        if np.isfinite(angle_scale):
            try:
                extruded = _extruded_mesh(product, settings, length_scale, angle_scale,
                                          placements, _solid_memo(ifc))
            except profiles.TooLarge as exc:
                yield ("failed", i, str(exc))
                continue
        if extruded is not None:
            yield ("shape", i, _EXTRUDED_ID, *extruded)
            continue
        include.append(product)
        unused[i] = unused_geometry_ids(product)
    if not include:
        yield ("done", "")
        return
    iterator = ifcopenshell.geom.iterator(
        settings.iterator_settings(), ifc, max(1, threads), include=include
    )
    more = iterator.initialize()
    while more:
        shape = iterator.get()
        g = shape.geometry
        # Shapes of the element's other representations (an Axis, a Clearance, a
        # leftover without identifier next to its Body) are not its body.
        if geometry_representation_id(str(g.id)) not in unused.get(int(shape.id), ()):
            yield (
                "shape",
                int(shape.id),
                str(g.id),
                np.frombuffer(g.verts_buffer, dtype=np.float64),
                np.frombuffer(g.faces_buffer, dtype=np.int32),
                np.frombuffer(shape.transformation_buffer, dtype=np.float64).reshape(
                    (4, 4), order="F"
                ),
            )
        more = iterator.next()
    yield ("done", ifcopenshell.get_log())


_INSTANCE = re.compile(r"#(\d+)=(\w+)")

#: Log codes that are bookkeeping, not a reason for a failure.
_BOOKKEEPING = ("SYS",)


def _log_entries(text: str) -> list[tuple[frozenset[int], str]]:
    """(STEP ids an entry names, "message (IfcClass)") for IfcOpenShell's JSON log
    lines of level notice and above that are not bookkeeping."""
    out = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("level") not in ("notice", "warning", "error") or str(
            entry.get("code", "")
        ).startswith(_BOOKKEEPING):
            continue
        ids, classes = set(), []
        for key in ("instance", "product"):
            m = _INSTANCE.match(str(entry.get(key, "")))
            if m:
                ids.add(int(m.group(1)))
                classes.append(m.group(2))
        if not ids:
            continue
        message = " ".join(str(entry.get("message", "")).split()).rstrip(": ")
        out.append((frozenset(ids), f"{message} ({classes[0]})"))
    return out


def _failure_reason(
    ifc: ifcopenshell.file, product: ifcopenshell.entity_instance,
    entries: list[tuple[frozenset[int], str]],
) -> str:
    """Why the iterator gave no shape for ``product``: the log messages about
    entities of its body representations' graph (no STEP ids, so reasons are
    stable)."""
    if entries:
        graph = {product.id()}
        for rep in body_representations(product):
            graph.update(e.id() for e in ifc.traverse(rep))
        found: list[str] = []
        for ids, message in entries:
            if ids & graph and message not in found and not message.startswith(
                "No material and surface styles"
            ):
                found.append(message)
        if found:
            return "; ".join(found[:3])
    return "the geometry iterator produced no shape"
