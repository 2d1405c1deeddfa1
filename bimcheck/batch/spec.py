"""A batch's tasks and their outcomes, as plain data.

IfcOpenShell objects cannot be pickled and never leave the process that
opened them, so a task carries paths (or the model's bytes, for workers
without shared storage) and options, and the process that runs it opens the
models itself. Outcomes carry what the driver needs to record and report:
the check report (plain dataclasses), the history's run records, and the
change order's files as bytes. Times in seconds, memory in MiB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ModelSource:
    """A model as a task reads it: ``path`` on the worker's file system, or
    ``data`` (its bytes) written to a private temporary file of that name,
    with the original's modification time ``mtime`` (s since the epoch: the
    BCF dates come from it)."""

    path: str
    data: bytes | None = None
    mtime: float | None = None

    @property
    def name(self) -> str:
        return self.path.replace("\\", "/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Budget:
    """Per-task limits and the engine's settings: ``timeout`` (s of wall
    time, per model), ``threads`` (geometry worker processes of the task),
    ``cache_dir`` (the mesh cache, ``None``: the default one), ``no_cache``,
    ``max_file_size`` (bytes) and ``max_elements`` of one model (``None``:
    the defaults of :mod:`bimcheck.limits`)."""

    timeout: float | None = None
    threads: int | None = None
    max_file_size: int | None = None
    max_elements: int | None = None
    cache_dir: str | None = None
    no_cache: bool = False


@dataclass(frozen=True)
class CheckSpec:
    """``check`` of one revision: its model, the project's packs, lift plan
    and gate file (paths as the worker sees them)."""

    project: str
    label: str
    model: ModelSource
    sources: tuple[str, ...] = ()
    lift_plan: str | None = None
    gate: str | None = None
    fail_on: str | None = None
    budget: Budget = field(default_factory=Budget)

    @property
    def what(self) -> str:
        return f"{self.project}/{self.label}: check"


@dataclass(frozen=True)
class ChangeSpec:
    """``diff`` and ``price`` of a revision against the previous one."""

    project: str
    label: str
    old: ModelSource
    new: ModelSource
    old_label: str
    rates: str | None = None
    price_rules: str | None = None
    budget: Budget = field(default_factory=Budget)

    @property
    def what(self) -> str:
        return f"{self.project}/{self.label}: diff and price against {self.old_label}"


@dataclass
class Outcome:
    """What a task gave: ``ok``, else ``error`` (one line naming the file and
    what went wrong) and ``failure`` (``input``: a bad model or input;
    ``timeout``; ``size``: over the size limit; ``crash``: the process died;
    ``skipped``: an input revision failed; ``internal``: a bimcheck defect).
    ``value``: the task's own result (:class:`CheckValue`, :class:`ChangeValue`)."""

    what: str
    ok: bool
    value: Any = None
    error: str | None = None
    failure: str | None = None
    seconds: float = 0.0
    #: Peak resident memory of the task's process and its geometry workers (MiB).
    peak_mib: float = 0.0


@dataclass
class CheckValue:
    """A check task's result: the report before the history is applied, the
    verdict's policy and waivers, the history's run record."""

    report: Any
    policy: Any
    waivers: list[Any]
    run: Any


@dataclass
class ChangeValue:
    """A change task's result: the diff and change-order documents, their
    files (name → bytes) and the price run's history record."""

    diff: dict[str, Any]
    order: dict[str, Any]
    files: dict[str, bytes]
    run: Any
