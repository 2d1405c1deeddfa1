"""A takeoff of a model file, served from the result cache when the file's bytes
and the pack are unchanged (:mod:`bimcheck.results`): the file is then not parsed."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bimcheck.geometry.cache import MeshCache
from bimcheck.geometry.tessellate import Progress
from bimcheck.model import Model, open_model
from bimcheck.packs.schema import Rule
from bimcheck.qto.rules import DEFAULT_RECONCILE_TOLERANCE
from bimcheck.qto.takeoff import Takeoff, run_takeoff

log = logging.getLogger(__name__)

#: The fields of a :class:`Takeoff` an entry keeps (the model is rebuilt from facts).
_FIELDS = ("rows", "failures", "skipped", "settings_key", "reconcile_tolerance", "compared",
           "findings")


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
    from bimcheck import results

    t0 = time.monotonic()
    p = Path(path)
    found = results.look_up(cache, "qto", p, {
        "rules": results.canonical(list(rules)), "reconcile_tolerance": reconcile_tolerance})
    served = _served(found.entry, p, found.digest or "")
    if served is not None:
        log.info("%s: unchanged (content digest %s): takeoff served from the result "
                 "cache without parsing the model", p.name, (found.digest or "")[:12])
        served.timings = {"result_from_cache": True, "total_s": round(time.monotonic() - t0, 3)}
        if progress is not None:
            progress(1, 1)
        return served
    model = open_model(p)
    takeoff = run_takeoff(model, rules, cache=cache, timeout=timeout, threads=threads,
                          progress=progress, reconcile_tolerance=reconcile_tolerance)
    if found.store is not None:
        found.put({"facts": results.model_facts(model),
                   "takeoff": {f: results.encode(getattr(takeoff, f)) for f in _FIELDS}})
    takeoff.timings = {**takeoff.timings, "result_from_cache": False,
                       "total_s": round(time.monotonic() - t0, 3)}
    return takeoff


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
