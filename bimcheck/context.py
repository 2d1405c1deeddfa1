"""The run context: what one check run owns and shares among its kinds.

A :class:`RunContext` holds the models of the run, the mesh cache, the time
budget, the worker count and the progress callback, and builds each input a
kind asks for once per run: the net meshes (one tessellation pass for every
element any kind selected, all models side by side), the gross meshes of
voided elements, the clash relations, the fingerprinters, the element
references, the lift plan. Clash, qto, crane and health rules of one
``bimcheck check`` therefore share one tessellation pass (a test counts them).

Times in seconds. IfcOpenShell objects never leave the process: a batch task
carries paths and options and builds its own context.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import ifcopenshell

from bimcheck.errors import TessellationTimeout
from bimcheck.findings import ElementRef
from bimcheck.geometry.cache import MeshCache
from bimcheck.geometry.tessellate import (
    Geometry,
    TessellationSettings,
    TessellationStats,
    tessellate_models,
)
from bimcheck.model import Model

log = logging.getLogger(__name__)

#: ``progress(stage, done, total)``: stage is a short label ("tessellating
#: tower.ifc", "checking CL001").
Progress = Callable[[str, int, int], None]


@dataclass
class TessellationPass:
    """One call of the tessellator by the context: which settings (``net`` or
    ``gross``), how many elements of each model, how long (s)."""

    settings: str
    elements: list[int]
    seconds: float


@dataclass
class _Built:
    """Meshes built so far for one model and one settings, and the STEP ids asked."""

    geometry: Geometry
    done: set[int] = field(default_factory=set)
    pending: dict[int, ifcopenshell.entity_instance] = field(default_factory=dict)


def _merge(into: Geometry, more: Geometry) -> None:
    into.keys.update(more.keys)
    into.meshes.update(more.meshes)
    into.meshes = dict(sorted(into.meshes.items()))
    into.failures = sorted({*into.failures, *more.failures})
    into.without_body = sorted({*into.without_body, *more.without_body})
    for name, value in vars(more.stats).items():
        setattr(into.stats, name, getattr(into.stats, name) + value)


class RunContext:
    """The models of one run and everything built from them once.

    ``timeout`` is the budget in seconds for all the tessellation of the run,
    every kind and model together; :meth:`remaining` says what is left.
    """

    def __init__(
        self,
        models: Sequence[Model],
        *,
        cache: MeshCache | None = None,
        timeout: float | None = None,
        threads: int | None = None,
        progress: Progress | None = None,
        settings: TessellationSettings | None = None,
        lift_plan: Any = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.models = list(models)
        self.cache = cache
        self.timeout = timeout
        self.threads = threads
        self.progress = progress
        self.settings = settings or TessellationSettings()
        self.gross_settings = TessellationSettings(subtract_openings=False)
        self.lift_plan = lift_plan
        self.options = dict(options or {})
        self.started = time.monotonic()
        self.deadline = None if timeout is None else self.started + float(timeout)
        self.passes: list[TessellationPass] = []
        self.timings: dict[str, float] = {}
        self._built: dict[str, list[_Built]] = {
            name: [_Built(Geometry({}, [], [], TessellationStats())) for _ in self.models]
            for name in ("net", "gross")
        }
        self._relations: dict[int, Any] = {}
        self._fingerprinters: dict[int, Any] = {}
        self._refs: dict[tuple[int, int], ElementRef] = {}
        #: What a kind's ``select`` keeps for its ``run`` (keyed by the kind).
        self.scratch: dict[Any, Any] = {}

    @classmethod
    def single(cls, model: Model, *, cache: MeshCache | None = None,
               timeout: float | None = None, threads: int | None = None,
               progress: Callable[[int, int], None] | None = None) -> RunContext:
        """A context of one model for a command that runs one kind on its own
        (``run_takeoff``, ``run_lifts``); ``progress(done, total)``."""
        return cls([model], cache=cache, timeout=timeout, threads=threads,
                   progress=None if progress is None else (lambda stage, d, t: progress(d, t)))

    # -- budget -------------------------------------------------------------

    def remaining(self) -> float | None:
        """Seconds left of the time budget (``None``: no budget); raises
        :class:`TessellationTimeout` when it is spent."""
        if self.deadline is None:
            return None
        left = self.deadline - time.monotonic()
        if left <= 0:
            names = [m.path for m in self.models]
            raise TessellationTimeout(
                f"the time limit of {self.timeout:g} s (--timeout) is spent",
                budget=float(self.timeout or 0), done=0, total=0,
                path=names[0] if len(names) == 1 else ", ".join(str(n) for n in names) or None,
            )
        return left

    # -- meshes -------------------------------------------------------------

    def request(self, index: int, elements: Iterable[ifcopenshell.entity_instance] | None,
                *, gross: bool = False) -> None:
        """Ask for meshes of ``elements`` of model ``index`` (``None``: every
        element with geometry). Nothing is built until a kind reads them, so
        every request made before that shares one pass."""
        model = self.models[index]
        built = self._built["gross" if gross else "net"][index]
        chosen = model.elements_for_geometry() if elements is None else elements
        for e in chosen:
            if e.id() not in built.done:
                built.pending[e.id()] = e

    def geometry(self, index: int) -> Geometry:
        """Net meshes (openings subtracted) of every element of model ``index``
        requested so far; builds what is pending, for all models in one pass."""
        return self._build("net", index)

    def gross(self, index: int) -> Geometry:
        """Meshes without openings subtracted, of the elements requested with ``gross``."""
        return self._build("gross", index)

    def _build(self, name: str, index: int) -> Geometry:
        built = self._built[name]
        if any(b.pending for b in built):
            settings = self.settings if name == "net" else self.gross_settings
            requests = [(m, sorted(b.pending.values(), key=lambda e: e.id()))
                        for m, b in zip(self.models, built, strict=True)]
            stage = ("tessellating " if name == "net" else "tessellating (gross) ") + ", ".join(
                m.path.name for m in self.models)
            progress = self.progress
            t0 = time.monotonic()
            results = tessellate_models(
                requests, settings=settings, cache=self.cache, timeout=self.remaining(),
                threads=self.threads,
                progress=None if progress is None else (lambda d, t: progress(stage, d, t)),
                fingerprinters=[self.fingerprinter(i) for i in range(len(self.models))],
            )
            seconds = time.monotonic() - t0
            self.passes.append(TessellationPass(name, [len(r[1]) for r in requests], seconds))
            self.timings[f"tessellate_{name}"] = self.timings.get(f"tessellate_{name}", 0.0) + \
                seconds
            for b, result in zip(built, results, strict=True):
                _merge(b.geometry, result)
                b.done.update(b.pending)
                b.pending.clear()
        return built[index].geometry

    def built(self, index: int) -> tuple[int, Geometry]:
        """``(elements requested, net meshes built)`` of model ``index`` so far,
        without building what is pending (for coverage and plan views)."""
        b = self._built["net"][index]
        return len(b.done), b.geometry

    # -- other inputs -------------------------------------------------------

    def relations(self, index: int) -> Any:
        """The clash ignore relations of model ``index`` (built once)."""
        if index not in self._relations:
            from bimcheck.clash.relations import Relations

            self._relations[index] = Relations(self.models[index].file)
        return self._relations[index]

    def fingerprinter(self, index: int) -> Any:
        """The fingerprinter of model ``index`` (memoised hashes, built once)."""
        if index not in self._fingerprinters:
            from bimcheck.fingerprint import Fingerprinter

            model = self.models[index]
            self._fingerprinters[index] = Fingerprinter(model.file, lambda: model.step_text,
                                                         model.prehashed)
        return self._fingerprinters[index]

    def ref(self, index: int, element: ifcopenshell.entity_instance) -> ElementRef:
        """The report's reference to ``element`` of model ``index`` (built once)."""
        key = (index, element.id())
        ref = self._refs.get(key)
        if ref is None:
            ref = self.models[index].ref(element)
            self._refs[key] = ref
        return ref

    def report_progress(self, stage: str, done: int, total: int) -> None:
        """Tell the progress callback, if any."""
        if self.progress is not None:
            self.progress(stage, done, total)
