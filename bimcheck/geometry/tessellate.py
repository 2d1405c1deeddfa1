"""Turn IFC elements into welded triangle meshes (world coordinates, metres).

:func:`tessellate` runs IfcOpenShell's multi-threaded geometry iterator on the
elements whose meshes are not in the cache yet, and returns one
:class:`~bimcheck.geometry.mesh.Mesh` per element plus the elements that could
not be tessellated (with the reason) and those with no body representation.

The iterator runs in a forked worker process (POSIX), which streams each shape
back as soon as it is ready; the parent welds it and writes it to the cache at
once. A time budget therefore ends tessellation cleanly and for certain: the
worker is killed, what has arrived stays cached, and the next run starts where
this one stopped. A crash of the geometry kernel loses only the worker.
Without ``fork`` (Windows) the iterator runs in-process and the budget is
checked between shapes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import re
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import ifcopenshell
import ifcopenshell.geom
import ifcopenshell.ifcopenshell_wrapper as wrapper
import numpy as np

from bimcheck.errors import GeometryError, TessellationTimeout
from bimcheck.fingerprint import Fingerprinter
from bimcheck.geometry.cache import CachedFailure, MeshCache
from bimcheck.geometry.mesh import Mesh, concatenate, from_arrays
from bimcheck.model import Model
from bimcheck.units import WELD_TOLERANCE_M

log = logging.getLogger(__name__)

#: Bump when the meaning of a cached mesh changes (welding, post-processing).
MESH_FORMAT_VERSION = 3

#: Representation identifiers that describe an element's 3D body. Others
#: (Axis, FootPrint, Box, Clearance, Annotation...) are not tessellated.
BODY_IDENTIFIERS = frozenset({"Body", "Facetation", "Body-FallBack", "Mesh", "Reference"})

#: Representation types that are not solid or surface geometry.
_NON_BODY_TYPES = frozenset({"Curve2D", "GeometricCurveSet", "Annotation2D", "Point",
                             "PointCloud", "BoundingBox", "Curve3D"})

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class TessellationSettings:
    """How meshes are made. ``subtract_openings=False`` gives gross geometry
    (openings not cut), for quantities."""

    subtract_openings: bool = True

    def iterator_settings(self) -> ifcopenshell.geom.settings:
        """IfcOpenShell settings for these options (metres). Shapes come in
        their local frame with a placement matrix, which :func:`to_world`
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
            "weld_tolerance_m": WELD_TOLERANCE_M,
            "length_scale": repr(float(length_scale)),
            "options": asdict(self),
            "frame": "local+matrix",
            "linear_deflection": s.get("mesher-linear-deflection"),
            "angular_deflection": s.get("mesher-angular-deflection"),
        }
        return json.dumps(doc, sort_keys=True)


@dataclass(frozen=True, order=True)
class Failure:
    """An element without a mesh: GlobalId, class and why."""

    global_id: str
    ifc_class: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"global_id": self.global_id, "ifc_class": self.ifc_class, "reason": self.reason}


@dataclass
class TessellationStats:
    """What a tessellation run did. Times in seconds."""

    requested: int = 0
    from_cache: int = 0
    tessellated: int = 0
    failed: int = 0
    corrupt_rebuilt: int = 0
    seconds_fingerprint: float = 0.0
    seconds_cache: float = 0.0
    seconds_tessellate: float = 0.0


@dataclass
class Geometry:
    """Meshes of a set of elements, keyed by GlobalId, with what is missing."""

    meshes: dict[str, Mesh]
    failures: list[Failure]
    without_body: list[Failure]
    stats: TessellationStats = field(default_factory=TessellationStats)

    def __len__(self) -> int:
        return len(self.meshes)


def has_body(product: ifcopenshell.entity_instance) -> bool:
    """True if the product has a 3D body representation the iterator can mesh."""
    shape = getattr(product, "Representation", None)
    if shape is None:
        return False
    for rep in shape.Representations or ():
        if not rep.is_a("IfcShapeRepresentation"):
            continue
        if rep.RepresentationType in _NON_BODY_TYPES:
            continue
        ident = rep.RepresentationIdentifier
        if ident not in BODY_IDENTIFIERS and ident not in (None, ""):
            continue
        ctx = rep.ContextOfItems
        if ctx is not None and getattr(ctx, "CoordinateSpaceDimension", 3) == 2:
            continue
        if ctx is not None and ctx.is_a("IfcGeometricRepresentationSubContext"):
            parent = ctx.ParentContext
            if parent is not None and getattr(parent, "CoordinateSpaceDimension", 3) == 2:
                continue
        return True
    return False


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
    """Meshes for ``elements`` (default: :meth:`Model.elements_for_geometry`).

    Cached meshes are read back; only the rest are tessellated, by ``threads``
    worker processes (default: one per core). ``timeout`` is the budget in seconds for the whole
    call; when it runs out, :class:`~bimcheck.errors.TessellationTimeout` is
    raised and everything finished so far is already in the cache.
    ``progress(done, total)`` is called as elements complete.
    """
    settings = settings or TessellationSettings()
    started = time.monotonic()
    deadline = None if timeout is None else started + float(timeout)
    stats = TessellationStats()
    products = model.elements_for_geometry() if elements is None else list(elements)
    products = sorted({p.id(): p for p in products}.values(), key=lambda p: p.id())

    with_body: list[ifcopenshell.entity_instance] = []
    without_body: list[Failure] = []
    for p in products:
        if has_body(p):
            with_body.append(p)
        else:
            without_body.append(Failure(p.GlobalId, p.is_a(), "no body representation"))
    without_body.sort()
    stats.requested = len(with_body)
    total = len(with_body)

    # 1. Fingerprints and cache look-ups.
    meshes: dict[str, Mesh] = {}
    failures: list[Failure] = []
    keys: dict[int, str] = {}
    todo: list[ifcopenshell.entity_instance] = []
    if cache is not None:
        keys = _cache_keys(model, with_body, settings, cache)
        stats.seconds_fingerprint = time.monotonic() - started
        t0 = time.monotonic()
        corrupt_before = cache.stats.corrupt
        for p in with_body:
            entry = cache.get(keys[p.id()])
            if entry is None:
                todo.append(p)
            elif isinstance(entry, CachedFailure):
                failures.append(Failure(p.GlobalId, p.is_a(), entry.reason))
            else:
                meshes[p.GlobalId] = entry
        stats.corrupt_rebuilt = cache.stats.corrupt - corrupt_before
        stats.from_cache = len(with_body) - len(todo)
        stats.seconds_cache = time.monotonic() - t0
    else:
        todo = with_body
    if progress is not None:
        progress(stats.from_cache, total)

    # 2. Tessellate what is missing.
    t0 = time.monotonic()
    if todo:
        run = _Run(model, todo, settings, cache, keys, meshes, failures, progress, total)
        run.execute(deadline, timeout, threads or os.cpu_count() or 1)
        stats.tessellated = run.produced
    stats.seconds_tessellate = time.monotonic() - t0
    stats.failed = len(failures)
    failures.sort()
    log.info(
        "%s: %d elements meshed (%d from cache, %d tessellated in %.2f s), %d failed, "
        "%d without a body",
        model.path.name, len(meshes), stats.from_cache, stats.tessellated,
        stats.seconds_tessellate, len(failures), len(without_body),
    )
    for failure in failures:
        log.debug("%s: %s %s failed: %s", model.path.name, failure.ifc_class,
                  failure.global_id, failure.reason)
    return Geometry(
        meshes=dict(sorted(meshes.items())),
        failures=failures,
        without_body=without_body,
        stats=stats,
    )


def _cache_keys(
    model: Model,
    products: list[ifcopenshell.entity_instance],
    settings: TessellationSettings,
    cache: MeshCache,
) -> dict[int, str]:
    """Cache key of each product, by STEP id. Keys computed for this exact file
    (same bytes, same settings) are stored in the cache's key index, so a
    re-run on an unchanged file skips fingerprinting altogether."""
    skey = settings.key(model.length_scale)
    index_name = hashlib.blake2b(
        f"{model.content_digest}|{skey}".encode(), digest_size=20
    ).hexdigest()
    stored = cache.get_index(index_name)
    keys: dict[int, str] = {}
    missing = []
    for p in products:
        key = stored.get(str(p.id()))
        if key is None:
            missing.append(p)
        else:
            keys[p.id()] = key
    if missing:
        fp = Fingerprinter(model.file)
        for p in missing:
            keys[p.id()] = MeshCache.key(fp.geometry(p), skey)
        cache.put_index(index_name, {str(p.id()): keys[p.id()] for p in missing})
    return keys


class _Run:
    """One pass of the geometry iterator over the elements missing from the cache."""

    def __init__(
        self,
        model: Model,
        todo: list[ifcopenshell.entity_instance],
        settings: TessellationSettings,
        cache: MeshCache | None,
        keys: dict[int, str],
        meshes: dict[str, Mesh],
        failures: list[Failure],
        progress: Progress | None,
        total: int,
    ) -> None:
        self.model = model
        self.todo = {p.id(): p for p in todo}
        self.settings = settings
        self.cache = cache
        self.keys = keys
        self.meshes = meshes
        self.failures = failures
        self.progress = progress
        self.total = total
        self.parts: dict[int, dict[str, Mesh]] = {}
        self.empty: set[int] = set()
        self.produced = 0
        self.done_before = total - len(todo)
        # Cache files are written by one background thread (file-system calls
        # release the GIL), in submission order, while shapes keep arriving.
        self._writer: ThreadPoolExecutor | None = None
        self._writes: list[Future] = []

    def _put(self, key: str, entry: Mesh | CachedFailure) -> None:
        if self.cache is None:
            return
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

    def execute(self, deadline: float | None, timeout: float | None, threads: int) -> None:
        try:
            self._execute(deadline, timeout, threads)
        except BaseException:
            with contextlib.suppress(Exception):
                self._flush()  # what arrived is cached even when the run fails
            raise
        self._flush()

    def _execute(self, deadline: float | None, timeout: float | None, threads: int) -> None:
        ids = sorted(self.todo)
        if hasattr(os, "fork"):
            log_text = self._in_worker(ids, threads, deadline, timeout)
        else:  # pragma: no cover - Windows
            log_text = self._in_process(ids, threads, deadline, timeout)
        entries = _log_entries(log_text)
        for sid, product in sorted(self.todo.items()):
            if sid in self.parts:
                continue
            if sid in self.empty:
                reason = "the geometry kernel produced a shape with no triangles"
            else:
                reason = _failure_reason(self.model.file, product, entries)
            self.failures.append(Failure(product.GlobalId, product.is_a(), reason))
            self._put(self.keys.get(sid, ""), CachedFailure(reason))

    # -- receiving shapes ---------------------------------------------------

    def _accept(
        self, sid: int, geometry_id: str, verts: np.ndarray, faces: np.ndarray,
        matrix: np.ndarray,
    ) -> None:
        product = self.todo.get(sid)
        if product is None:
            return  # an element the iterator added by itself (not requested)
        if len(faces) == 0:
            self.empty.add(sid)  # a shape without triangles (e.g. all cut away): no body
            return
        parts = self.parts.setdefault(sid, {})
        if geometry_id in parts:
            return  # the same body listed twice in the file
        world, faces = to_world(verts.reshape(-1, 3), faces.reshape(-1, 3), matrix)
        parts[geometry_id] = from_arrays(world, faces)
        mesh = concatenate([parts[k] for k in sorted(parts)])
        self.meshes[product.GlobalId] = mesh
        self._put(self.keys.get(sid, ""), mesh)
        if len(parts) == 1:
            self.produced += 1
            if self.progress is not None:
                self.progress(self.done_before + self.produced, self.total)

    def _timeout_error(self, timeout: float) -> TessellationTimeout:
        done = self.done_before + self.produced
        return TessellationTimeout(
            f"tessellation exceeded the time budget of {timeout:g} s "
            f"({done} of {self.total} elements done and cached; a re-run continues from there)",
            budget=timeout,
            done=done,
            total=self.total,
            path=self.model.path,
        )

    # -- worker process -------------------------------------------------------

    def _in_worker(
        self, ids: list[int], threads: int, deadline: float | None, timeout: float | None
    ) -> str:
        """Tessellate ``ids`` in ``threads`` forked worker processes, each running
        a single-threaded iterator over an interleaved share of the elements.

        IfcOpenShell 0.9's iterator gains little from its own threads (2
        threads: 11.5 s on the Tekla model against 12.0 s with one), while
        separate processes scale (2 × 1 thread: 7.0 s), so the work is split
        by process. Returns the workers' kernel logs, joined.
        """
        ctx = multiprocessing.get_context("fork")
        n = max(1, min(threads, len(ids)))
        workers: dict[Any, multiprocessing.process.BaseProcess] = {}
        logs: list[str] = []
        try:
            for k in range(n):
                receiver, sender = ctx.Pipe(duplex=False)
                proc = ctx.Process(
                    target=_worker_main,
                    args=(self.model.file, ids[k::n], self.settings, 1, sender),
                    daemon=True,
                )
                proc.start()
                sender.close()
                workers[receiver] = proc
            while workers:
                wait = 0.25
                if deadline is not None:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise self._timeout_error(timeout or 0.0)
                    wait = min(wait, remaining)
                ready = multiprocessing.connection.wait(list(workers), timeout=wait)
                if not ready:
                    for receiver, proc in workers.items():
                        if not proc.is_alive() and not receiver.poll(0):
                            raise self._crashed(proc)
                    continue
                for receiver in ready:
                    try:
                        msg = receiver.recv()
                    except EOFError:
                        proc = workers[receiver]
                        proc.join(1)
                        raise self._crashed(proc) from None
                    if msg[0] == "shape":
                        self._accept(*msg[1:])
                    elif msg[0] == "error":
                        raise GeometryError(
                            f"geometry iterator failed: {msg[1]}", path=self.model.path
                        )
                    else:  # "done"
                        logs.append(msg[1])
                        receiver.close()
                        _stop(workers.pop(receiver))
        finally:
            for receiver, proc in workers.items():
                receiver.close()
                _stop(proc)
        return "\n".join(logs)

    def _crashed(self, proc: multiprocessing.process.BaseProcess) -> GeometryError:
        return GeometryError(
            f"the geometry kernel stopped unexpectedly (exit code {proc.exitcode})",
            path=self.model.path,
        )

    def _in_process(
        self, ids: list[int], threads: int, deadline: float | None, timeout: float | None
    ) -> str:  # pragma: no cover - platforms without fork
        for msg in _iterate(self.model.file, ids, self.settings, threads):
            if msg[0] == "shape":
                self._accept(*msg[1:])
            elif msg[0] == "done":
                return msg[1]
            if deadline is not None and time.monotonic() > deadline:
                raise self._timeout_error(timeout or 0.0)
        return ""


def to_world(
    vertices: np.ndarray, faces: np.ndarray, matrix: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Local vertices (``(n, 3)``, metres) placed by a 4×4 ``matrix`` into world
    coordinates (metres), in float64. A mirroring placement (negative
    determinant) would turn the triangles inside out, so their winding is
    reversed with it."""
    rot = matrix[:3, :3]
    world = vertices @ rot.T + matrix[:3, 3]
    if np.linalg.det(rot) < 0:
        faces = faces[:, ::-1]
    return world, faces


def _stop(proc: multiprocessing.process.BaseProcess) -> None:
    """End the worker for certain: it may be deep in C++ code."""
    if proc.is_alive():
        with contextlib.suppress(ProcessLookupError, OSError):
            os.kill(proc.pid, signal.SIGKILL)
    proc.join(5)


def _worker_main(
    ifc: ifcopenshell.file, ids: list[int], settings: TessellationSettings, threads: int, conn: Any
) -> None:
    """Entry point of the forked worker: stream shapes to the parent.

    The geometry kernel prints diagnostics on stdout (e.g. "local z ... delta"
    for alignment placements); the worker's stdout goes to /dev/null so they
    never mix with a report written to stdout.
    """
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    try:
        for msg in _iterate(ifc, ids, settings, threads):
            conn.send(msg)
    except BaseException as exc:
        with contextlib.suppress(OSError, BrokenPipeError):
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _iterate(
    ifc: ifcopenshell.file, ids: list[int], settings: TessellationSettings, threads: int
) -> Iterator[tuple]:
    """Run the geometry iterator over the given STEP ids; yield
    ``("shape", step_id, geometry_id, vertices, faces, matrix)`` per shape
    (local vertices in metres, the 4×4 placement matrix), then
    ``("done", log_text)``."""
    wrapper.set_log_format_json()
    with contextlib.suppress(Exception):
        ifcopenshell.get_log()  # clear what came before
    include = [ifc.by_id(i) for i in ids]
    iterator = ifcopenshell.geom.iterator(
        settings.iterator_settings(), ifc, max(1, threads), include=include
    )
    if iterator.initialize():
        while True:
            shape = iterator.get()
            g = shape.geometry
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
            if not iterator.next():
                break
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
    entities of its representation graph (no STEP ids, so reasons are stable)."""
    if entries:
        graph = {e.id() for e in ifc.traverse(product.Representation)} | {product.id()}
        found: list[str] = []
        for ids, message in entries:
            if ids & graph and message not in found and not message.startswith(
                "No material and surface styles"
            ):
                found.append(message)
        if found:
            return "; ".join(found[:3])
    return "the geometry iterator produced no shape"
