"""A check served from the result cache (:mod:`bimcheck.results`) when the
models' bytes and every input of the run are unchanged: the models are then
not parsed. :func:`bimcheck.check.prepare_check` looks the run up,
:func:`bimcheck.check.run_prepared` serves or stores it.

The key holds the model digests and names, every rule as loaded, the packs'
headers (file digests), the lift plan as loaded and its file's digest, and the
run options but the gate's. What is cached is the report before the gate: the gate policy,
baseline and waivers are applied afresh to a served report, as is the run
history.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bimcheck.geometry.cache import MeshCache
from bimcheck.model import Model
from bimcheck.packs.schema import Rule

log = logging.getLogger(__name__)

#: The fields of a :class:`~bimcheck.run.CheckReport` an entry keeps (rules
#: are the caller's; timings are this run's; gate, trend and history are
#: applied after).
_FIELDS = ("header", "findings", "rows", "coverage", "geometry", "sections", "warnings",
           "views")


#: Options the gate applies after the run: not in the key, and a served
#: report's header takes this run's.
_GATE_OPTIONS = ("gate", "fail_on", "baseline", "waivers")


def look_up(options: Any, packs: Sequence[Any], rules: Sequence[Rule], plan: Any,
            cache: MeshCache | None) -> Any:
    """The :class:`~bimcheck.results.Lookup` of a check with these inputs
    (``options`` a :class:`~bimcheck.check.CheckOptions`)."""
    from bimcheck import results
    from bimcheck.packs.loader import file_digest

    files = [Path(m) for m in options.models]
    plan_file = options.lift_plan
    key_options = {
        "names": [p.name for p in files],
        "rules": results.canonical(list(rules)),
        "packs": [p.header() for p in packs],
        "lift_plan": results.canonical(plan),
        "lift_plan_digest": (None if plan_file is None or not Path(plan_file).is_file()
                             else file_digest(Path(plan_file))),
        "options": {k: v for k, v in options.header().items() if k not in _GATE_OPTIONS},
    }
    return results.look_up(cache, "check", files, key_options)


def facts_models(found: Any, paths: Sequence[Path]) -> list[Model] | None:
    """The models of a cached check, made from its stored facts (not parsed),
    or ``None`` on a miss."""
    from bimcheck import results

    if found.entry is None:
        return None
    try:
        return results.models_from_facts(found.entry["facts"], paths, found.digest or "")
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("%s: a cached check does not read (%s); checking again",
                    Path(paths[0]).name, exc)
        found.entry = None
        return None


def served_report(prepared: Any) -> Any:
    """The :class:`~bimcheck.run.CheckReport` of ``prepared``'s cached run (and
    its ``unmeshed`` set on ``prepared``), or ``None`` on a miss."""
    from bimcheck import results
    from bimcheck.run import CheckReport

    found = prepared.found
    if found is None or found.entry is None:
        return None
    try:
        data = found.entry["report"]
        fields = {f: results.decode(data[f]) for f in _FIELDS}
        unmeshed = {str(g) for g in results.decode(found.entry["unmeshed"])}
        report = CheckReport(rules=list(prepared.rules), **fields)
        report.header["options"] = dict(sorted(prepared.options.header().items()))
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("%s: a cached check does not read (%s); checking again",
                    prepared.models[0].path.name, exc)
        return None
    prepared.unmeshed = unmeshed
    names = ", ".join(m.path.name for m in prepared.models)
    log.info("%s: unchanged (content digest %s): check served from the result cache "
             "without parsing the model", names, (found.digest or "")[:12])
    for w in report.warnings:
        log.warning("%s", w)
    return report


def store_report(prepared: Any, report: Any) -> None:
    """Store a fresh check for the next run (nothing without a cache, or when
    the report holds what the cache cannot keep)."""
    from bimcheck import results

    found = prepared.found
    if found is None or found.store is None:
        return
    try:
        entry = {"facts": [results.model_facts(m) for m in prepared.models],
                 "report": {f: results.encode(getattr(report, f)) for f in _FIELDS},
                 "unmeshed": sorted(prepared.unmeshed)}
    except TypeError as exc:
        log.debug("check not cached: %s", exc)
        return
    found.put(entry)
