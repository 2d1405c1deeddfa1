"""A clash run on model files, served from the result cache when the files'
bytes and the rules are unchanged (:mod:`bimcheck.results`): the files are
then not parsed."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bimcheck.clash.run import ClashReport, Progress, run_clash
from bimcheck.geometry.cache import MeshCache
from bimcheck.model import Model, open_model
from bimcheck.packs.schema import Rule

log = logging.getLogger(__name__)

#: The fields of a :class:`ClashReport` an entry keeps (the rules are the
#: caller's; timings are this run's).
_FIELDS = ("models", "clashes", "groups", "rule_coverage", "tests", "without_geometry",
           "failed", "warnings")


def clash_files(
    paths: Sequence[Path],
    rules: Sequence[Rule],
    *,
    cache: MeshCache | None = None,
    timeout: float | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
) -> tuple[ClashReport, list[Model]]:
    """:func:`~bimcheck.clash.run.run_clash` of the model files at ``paths``
    (checked together), and the models.

    With a ``cache``, a run on the same bytes under the same names with the
    same rules is served from it without parsing the models (the log says so,
    and ``ClashReport.timings`` has ``result_from_cache``); a fresh report is
    stored for the next run. Both render to the same bytes. The models of a
    served report answer their schema, units and GlobalIds from stored facts
    and are parsed only if something asks for more."""
    from bimcheck import results

    t0 = time.monotonic()
    files = [Path(p) for p in paths]
    found = results.look_up(cache, "clash", files, {
        "rules": results.canonical(list(rules)), "names": [p.name for p in files]})
    served = _served(found.entry, files, rules, found.digest or "")
    if served is not None:
        report, models = served
        log.info("%s: unchanged (content digest %s): clashes served from the result cache "
                 "without parsing the model", ", ".join(p.name for p in files),
                 (found.digest or "")[:12])
        for w in report.warnings:
            log.warning("%s", w)
        report.timings = {"result_from_cache": True, "total_s": round(time.monotonic() - t0, 3)}
        if progress is not None:
            progress("served from the result cache", 1, 1)
        return report, models
    models = [open_model(p) for p in files]
    report = run_clash(models, rules, cache=cache, timeout=timeout, threads=threads,
                       progress=progress)
    if found.store is not None:
        found.put({"facts": [results.model_facts(m) for m in models],
                   "report": {f: results.encode(getattr(report, f)) for f in _FIELDS}})
    report.timings = {**report.timings, "result_from_cache": False,
                      "total_s": round(time.monotonic() - t0, 3)}
    return report, models


def _served(entry: dict[str, Any] | None, files: list[Path], rules: Sequence[Rule],
            digests: str) -> tuple[ClashReport, list[Model]] | None:
    """The report and models an entry holds, or ``None`` when there is none or
    it does not read."""
    if entry is None:
        return None
    from bimcheck import results

    try:
        fields = {f: results.decode(entry["report"][f]) for f in _FIELDS}
        models = results.models_from_facts(entry["facts"], files, digests)
        return ClashReport(rules=list(rules), **fields), models
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("%s: a cached clash report does not read (%s); checking again",
                    files[0].name, exc)
        return None
