"""A clash run on model files, served from the result cache when the files'
bytes and the rules are unchanged (:mod:`bimcheck.results`): the files are
then not parsed.

Two keys lead to a cached report, as for a takeoff (:mod:`bimcheck.qto.served`):

* :func:`clash_files` (rules already made: an ad-hoc rule, a library caller)
  looks it up by the models' bytes and the rules' content;
* :func:`clash_pack_files` (what ``bimcheck clash`` runs with packs) first by
  the bytes of the models and of the pack files. On that hit the packs are
  not loaded (no selector is parsed) and neither IfcOpenShell nor the
  geometry kernels are imported. Its entry points to the first one's and
  holds the rules as they were loaded.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bimcheck.clash.report import ClashReport
from bimcheck.model import Model
from bimcheck.packs.schema import Rule

if TYPE_CHECKING:
    from bimcheck.clash.run import Progress
    from bimcheck.geometry.cache import MeshCache
    from bimcheck.results import Lookup

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
    report, models, _ = _clash(paths, rules, cache, timeout, threads, progress, time.monotonic())
    return report, models


def clash_pack_files(
    paths: Sequence[Path],
    packs: Sequence[Path] = (),
    rule_ids: Iterable[str] = (),
    *,
    cache: MeshCache | None = None,
    timeout: float | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
) -> tuple[ClashReport, list[Model], list[Rule]]:
    """The clash run of the model files at ``paths`` (checked together) by the
    rule pack files ``packs`` (default: the shipped pack), keeping only
    ``rule_ids`` when given; the report, the models and the rules.

    Served from the cache by the bytes of the models and packs when all are
    unchanged; otherwise the packs are loaded (RulePackError naming the file,
    before any model is opened) and the run looked up or made as
    :func:`clash_files`."""
    from bimcheck import results
    from bimcheck.clash.rules import default_pack_path

    t0 = time.monotonic()
    files = [Path(p) for p in paths]
    pack_paths = [Path(p) for p in packs] or [default_pack_path()]
    wanted = list(dict.fromkeys(rule_ids))
    front = results.look_up(cache, "clash-pack", [*files, *pack_paths], {
        "rule_ids": wanted, "names": [p.name for p in files],
        "packs": [p.name for p in pack_paths]})
    hit = _served_by_bytes(front, files, pack_paths)
    if hit is not None:
        report, models = hit
        _served_now(files, report, front.digest or "", t0, progress)
        return report, models, report.rules
    from bimcheck.clash.rules import load_clash_rules

    rules = load_clash_rules(pack_paths, wanted)
    report, models, found = _clash(files, rules, cache, timeout, threads, progress, t0)
    stored = _stored_rules(rules, pack_paths)
    if found.store is not None and found.key is not None and stored is not None:
        front.put({"rules": stored})
    return report, models, rules


def _options(files: Sequence[Path], rules: Sequence[Rule]) -> dict[str, Any]:
    """The options a clash run is cached under (with the models' digests)."""
    from bimcheck import results

    return {"rules": results.canonical(list(rules)), "names": [p.name for p in files]}


def _clash(paths: Sequence[Path], rules: Sequence[Rule], cache: MeshCache | None,
           timeout: float | None, threads: int | None, progress: Progress | None,
           t0: float) -> tuple[ClashReport, list[Model], Lookup]:
    from bimcheck import results

    files = [Path(p) for p in paths]
    found = results.look_up(cache, "clash", files, _options(files, rules))
    served = _served(found.entry, files, rules, found.digest or "")
    if served is not None:
        report, models = served
        _served_now(files, report, found.digest or "", t0, progress)
        return report, models, found
    from bimcheck.clash.run import run_clash
    from bimcheck.model import open_model

    models = [open_model(p) for p in files]
    report = run_clash(models, rules, cache=cache, timeout=timeout, threads=threads,
                       progress=progress)
    if found.store is not None:
        found.put({"facts": [results.model_facts(m) for m in models],
                   "report": {f: results.encode(getattr(report, f)) for f in _FIELDS}})
    report.timings = {**report.timings, "result_from_cache": False,
                      "total_s": round(time.monotonic() - t0, 3)}
    return report, models, found


def _served_now(files: list[Path], report: ClashReport, digest: str, t0: float,
                progress: Progress | None) -> None:
    """Say that ``report`` was served (log, its warnings, timings, progress)."""
    log.info("%s: unchanged (content digest %s): clashes served from the result cache "
             "without parsing the model", ", ".join(p.name for p in files), digest[:12])
    for w in report.warnings:
        log.warning("%s", w)
    report.timings = {"result_from_cache": True, "total_s": round(time.monotonic() - t0, 3)}
    if progress is not None:
        progress("served from the result cache", 1, 1)


#: The fields of a :class:`~bimcheck.packs.schema.Rule` a by-bytes entry keeps
#: (the path is the pack file's, as given now).
_RULE_FIELDS = tuple(f.name for f in dataclasses.fields(Rule) if f.name != "path")


def _stored_rules(rules: Sequence[Rule], pack_paths: list[Path]) -> list[Any] | None:
    """The rules as a by-bytes entry keeps them, each with the index of its
    pack file; ``None`` when they are not kept so (then no such entry is
    made): a rule that does not encode, or a pack that includes others (their
    bytes are not in the key, and a fresh run checks that they exist)."""
    from bimcheck import results

    try:
        if any(b"include" in p.read_bytes() for p in pack_paths):
            return None
        return [{"pack_file": pack_paths.index(r.path),
                 "rule": results.encode({f: getattr(r, f) for f in _RULE_FIELDS})}
                for r in rules]
    except (OSError, ValueError, TypeError) as exc:
        log.debug("clash rules not kept by the packs' bytes (%s)", exc)
        return None


def _rebuilt_rule(kept: Any, pack_paths: list[Path]) -> Rule:
    """A rule as :func:`_stored_rules` kept it; ValueError when it is not one."""
    from bimcheck import results

    fields = results.decode(kept["rule"])
    index = kept["pack_file"]
    if not isinstance(fields, dict) or type(index) is not int or not 0 <= index < len(
            pack_paths):
        raise ValueError("not a stored rule")
    text = ("id", "name", "kind", "severity", "pack", "family")
    if (any(not isinstance(fields.get(f), str) for f in text)
            or any(not isinstance(fields.get(f), dict) for f in ("doc", "params", "extra"))
            or any(fields.get(f) is not None and not isinstance(fields[f], str)
                   for f in ("a", "b"))):
        raise ValueError(f"stored rule {fields.get('id')!r} has fields of other types")
    return Rule(**fields, path=pack_paths[index])


def _served_by_bytes(front: Lookup, files: list[Path], pack_paths: list[Path]
                     ) -> tuple[ClashReport, list[Model]] | None:
    """The report and models of the run a by-bytes entry's rules lead to, or
    ``None`` (no entry, no report cached for those rules, or either does not
    read). The report is looked up under the rules rebuilt from the entry, as
    a fresh run with them would store it, so it always goes with them."""
    entry, store = front.entry, front.store
    if entry is None or store is None:
        return None
    from bimcheck import results

    digests = (front.digest or "").split(",")[:len(files)]  # the models' (then the packs')
    try:
        rules = [_rebuilt_rule(kept, pack_paths) for kept in entry["rules"]]
        key = results.result_key("clash", digests, _options(files, rules))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        log.warning("%s: a cached clash report does not read (%s); checking again",
                    files[0].name, exc)
        return None
    return _served(store.get(key), files, rules, ",".join(digests))


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
        report = ClashReport(rules=list(rules), **fields)
        ids = {r.id for r in rules}
        if any(getattr(c, "rule", None) not in ids for c in report.rule_coverage):
            raise ValueError("its coverage names other rules")
        return report, models
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        log.warning("%s: a cached clash report does not read (%s); checking again",
                    files[0].name, exc)
        return None
