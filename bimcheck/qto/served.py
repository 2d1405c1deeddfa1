"""A takeoff of a model file, served from the result cache when the file's bytes
and the pack are unchanged (:mod:`bimcheck.results`): the file is then not parsed.

Two keys lead to a cached takeoff:

* :func:`takeoff_file` (rules already loaded) looks it up by the model's
  bytes and the rules' content;
* :func:`takeoff_pack_file` (what ``bimcheck qto`` runs) first by the bytes of
  the model and of the pack file. On that hit neither the pack is loaded nor
  IfcOpenShell imported: nothing on that path imports more than the records
  of :mod:`bimcheck.qto.records`. Its entry points to the first one's, and
  holds what the command needs of the pack (name, rule ids, tolerance).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bimcheck.model import Model
from bimcheck.qto.records import DEFAULT_RECONCILE_TOLERANCE, Takeoff

if TYPE_CHECKING:
    from bimcheck.geometry.cache import MeshCache
    from bimcheck.geometry.tessellate import Progress
    from bimcheck.packs.schema import Rule
    from bimcheck.results import Lookup

log = logging.getLogger(__name__)

#: The fields of a :class:`Takeoff` an entry keeps (the model is rebuilt from facts).
_FIELDS = ("rows", "failures", "skipped", "settings_key", "reconcile_tolerance", "compared",
           "findings")

#: What a result key looks like (:func:`bimcheck.results.result_key`).
_RESULT_KEY = re.compile(r"[0-9a-f]{40}")

#: ``reconcile`` of :func:`takeoff_pack_file`: the pack's own tolerance.
PACK_TOLERANCE = "pack"


@dataclass(frozen=True)
class PackRun:
    """What a takeoff command needs of its pack: its name, the ids of its
    rules and the reconciliation tolerance in force (``None``: not run)."""

    name: str
    rule_ids: tuple[str, ...]
    reconcile_tolerance: float | None


def takeoff_file(
    path: str | os.PathLike[str],
    rules: Sequence[Rule],
    *,
    cache: MeshCache | None = None,
    timeout: float | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
    reconcile_tolerance: float | None = DEFAULT_RECONCILE_TOLERANCE,
) -> Takeoff:
    """:func:`~bimcheck.qto.takeoff.run_takeoff` of the model at ``path``.

    With a ``cache``, a takeoff of the same bytes with the same rules and
    tolerance is served from it without parsing the model (the log says so,
    and ``Takeoff.timings`` has ``result_from_cache``); a fresh takeoff is
    stored for the next run. Both render to the same bytes."""
    return _takeoff(Path(path), rules, cache, timeout, threads, progress,
                    reconcile_tolerance, time.monotonic())[0]


def takeoff_pack_file(
    path: str | os.PathLike[str],
    pack: str | os.PathLike[str],
    *,
    reconcile: float | Literal["pack"] | None = PACK_TOLERANCE,
    cache: MeshCache | None = None,
    timeout: float | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
) -> tuple[Takeoff, PackRun]:
    """The takeoff of the model at ``path`` by the measurement pack file
    ``pack``, and what it ran of the pack. ``reconcile``: the relative
    tolerance, ``None`` for no reconciliation, or :data:`PACK_TOLERANCE`
    for the pack's own.

    Served from the cache by the two files' bytes when both are unchanged;
    otherwise the pack is loaded (RulePackError naming it, before the model
    is opened) and the takeoff looked up or run as :func:`takeoff_file`."""
    from bimcheck import results

    t0 = time.monotonic()
    p, pk = Path(path), Path(pack)
    front = results.look_up(cache, "qto-pack", [p, pk], {"reconcile": reconcile})
    hit = _served_by_bytes(front, p)
    if hit is not None:
        takeoff, run = hit
        _log_served(p, front.digest or "")
        takeoff.timings = {"result_from_cache": True,
                           "total_s": round(time.monotonic() - t0, 3)}
        if progress is not None:
            progress(1, 1)
        return takeoff, run
    from bimcheck.qto.rules import load_qto_pack

    loaded = load_qto_pack(pk)
    tolerance = loaded.reconcile_tolerance if reconcile == PACK_TOLERANCE else reconcile
    takeoff, found = _takeoff(p, loaded.rules, cache, timeout, threads, progress, tolerance, t0)
    run = PackRun(loaded.name, tuple(r.id for r in loaded.rules), tolerance)
    if found.store is not None and found.key is not None:
        front.put({"result": found.key, "pack": {
            "name": run.name, "rule_ids": list(run.rule_ids), "reconcile": tolerance}})
    return takeoff, run


def _takeoff(p: Path, rules: Sequence[Rule], cache: MeshCache | None, timeout: float | None,
             threads: int | None, progress: Progress | None,
             reconcile_tolerance: float | None, t0: float) -> tuple[Takeoff, Lookup]:
    from bimcheck import results

    found = results.look_up(cache, "qto", p, {
        "rules": results.canonical(list(rules)), "reconcile_tolerance": reconcile_tolerance})
    served = _served(found.entry, p, found.digest or "")
    if served is not None:
        _log_served(p, found.digest or "")
        served.timings = {"result_from_cache": True, "total_s": round(time.monotonic() - t0, 3)}
        if progress is not None:
            progress(1, 1)
        return served, found
    from bimcheck.model import open_model
    from bimcheck.qto.takeoff import run_takeoff

    model = open_model(p)
    takeoff = run_takeoff(model, rules, cache=cache, timeout=timeout, threads=threads,
                          progress=progress, reconcile_tolerance=reconcile_tolerance)
    if found.store is not None:
        found.put({"facts": results.model_facts(model),
                   "takeoff": {f: results.encode(getattr(takeoff, f)) for f in _FIELDS}})
    takeoff.timings = {**takeoff.timings, "result_from_cache": False,
                       "total_s": round(time.monotonic() - t0, 3)}
    return takeoff, found


def _log_served(p: Path, digest: str) -> None:
    log.info("%s: unchanged (content digest %s): takeoff served from the result "
             "cache without parsing the model", p.name, digest[:12])


def _served_by_bytes(front: Lookup, path: Path) -> tuple[Takeoff, PackRun] | None:
    """The takeoff and pack summary a by-bytes entry points to, or ``None``
    (no entry, the entry it points to is gone, or either does not read)."""
    entry, store = front.entry, front.store
    if entry is None or store is None:
        return None
    try:
        meta = entry["pack"]
        run = PackRun(str(meta["name"]), tuple(str(r) for r in meta["rule_ids"]),
                      None if meta["reconcile"] is None else float(meta["reconcile"]))
        key = str(entry["result"])
        if not _RESULT_KEY.fullmatch(key):  # a key, not a path (the cache may be shared)
            raise ValueError("not a result key")
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("%s: a cached takeoff does not read (%s); measuring again", path.name, exc)
        return None
    digest = (front.digest or "").split(",")[0]
    takeoff = _served(store.get(key), path, digest)
    return None if takeoff is None else (takeoff, run)


def _served(entry: dict[str, Any] | None, path: Path, digest: str) -> Takeoff | None:
    """The takeoff an entry holds, or ``None`` when there is none or it does not read."""
    if entry is None:
        return None
    from bimcheck import results

    try:
        fields = {f: results.decode(entry["takeoff"][f]) for f in _FIELDS}
        model = Model.from_facts(path, entry["facts"], digest)
        fields["skipped"] = [tuple(s) for s in fields["skipped"]]
        return Takeoff(model=model, **fields)
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("%s: a cached takeoff does not read (%s); measuring again", path.name, exc)
        return None
