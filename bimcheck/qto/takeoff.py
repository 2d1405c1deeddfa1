"""Run a measurement pack on a model: one row per element and quantity.

:func:`run_takeoff` selects each rule's elements, measures them from the
cached tessellation (:func:`~bimcheck.qto.measure.measure_elements`, one pass
for all rules) and returns a :class:`Takeoff`: rows with the element's
identity and metadata, the item code, quantity, value and unit, and where the
number came from (rule, function, its params, the geometry it was measured
on, which openings were deducted or kept and why, the tessellation
settings), and, where the file declares base quantities, the
:mod:`~bimcheck.qto.reconcile` findings.
Rows are sorted (item, quantity, GlobalId) and values rounded to
:data:`VALUE_DECIMALS` in the plain-data form, so the same inputs give the
same bytes.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import sqlite3
from collections.abc import Sequence
from typing import Any

from bimcheck.forking import die_with_parent
from bimcheck.geometry.cache import MeshCache
from bimcheck.geometry.tessellate import Progress, TessellationSettings
from bimcheck.model import Model
from bimcheck.packs.schema import Rule
from bimcheck.qto import deductions, reuse
from bimcheck.qto.functions import FUNCTIONS, Measure
from bimcheck.qto.measure import build_measures, request_measured
from bimcheck.qto.reconcile import reconcile
from bimcheck.qto.records import DEFAULT_RECONCILE_TOLERANCE, Row, Takeoff
from bimcheck.qto.reuse import Measured
from bimcheck.qto.rules import rule_item, rule_quantities

log = logging.getLogger(__name__)

def run_takeoff(
    model: Model,
    rules: Sequence[Rule],
    *,
    cache: MeshCache | None = None,
    timeout: float | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
    reconcile_tolerance: float | None = DEFAULT_RECONCILE_TOLERANCE,
    context: Any = None,
    index: int = 0,
) -> Takeoff:
    """Measure ``rules`` (from :func:`~bimcheck.qto.rules.load_qto_pack`) on
    ``model``, and compare the rows with the quantities the file declares
    (differences over ``reconcile_tolerance`` are findings; ``None``: no
    comparison). With a run ``context`` (model ``index`` of it) the meshes
    and the time budget are the context's; otherwise one is made here."""
    if context is None:
        from bimcheck.context import RunContext

        context, index = RunContext.single(model, cache=cache, timeout=timeout,
                                           threads=threads, progress=progress), 0
    selected, union = select_takeoff(context, index, rules)
    products, parts_of = request_measured(context, index,
                                          sorted(union.values(), key=lambda e: e.id()))
    measures, failures = build_measures(model, products, parts_of, context.geometry(index),
                                        context.gross(index))
    settings_key = hashlib.blake2b(
        TessellationSettings().key(model.length_scale).encode(), digest_size=8
    ).hexdigest()
    order = {e.id(): n for n, e in enumerate(sorted(union.values(), key=lambda e: e.id()))}
    jobs = [(rule, element) for rule in rules for element in selected[rule.id]]
    by_element, reused = _reused_or_measured(context, index, jobs, measures, parts_of, order,
                                             settings_key)
    rows = [r for m in by_element.values() for r in m[0]]
    skipped = sorted(s for m in by_element.values() for s in m[1])
    for warning in sorted(w for m in by_element.values() for w in m[2]):
        log.warning("%s", warning)
    rows.sort(key=lambda r: (r.item, r.quantity, r.global_id, r.rule))
    compared, findings = 0, []
    if reconcile_tolerance is not None:
        compared, findings = reconcile(rows, {e.GlobalId: e for e in union.values()},
                                       model.file, reconcile_tolerance)
    return Takeoff(model=model, rows=rows, failures=failures, skipped=skipped,
                   settings_key=settings_key, reconcile_tolerance=reconcile_tolerance,
                   compared=compared, findings=findings,
                   timings={"elements_reused": reused,
                            "elements_measured": len(by_element) - reused})


def _reused_or_measured(context: Any, index: int, jobs: _Jobs, measures: dict[str, Measure],
                        parts_of: dict[int, list[Any]], order: dict[int, int],
                        settings_key: str) -> tuple[dict[str, Measured], int]:
    """Every element's rows, skipped quantities and warnings, by GlobalId:
    those stored for an element whose inputs are unchanged
    (:mod:`~bimcheck.qto.reuse`) taken as they are, the rest measured (and
    stored); and how many elements were reused."""
    model = context.models[index]
    store = reuse.RowStore.of(context.cache)
    keys: dict[str, str] = {}
    found: dict[str, Measured] = {}
    if store is not None:
        try:
            keys = reuse.element_keys(model, context.fingerprinter(index), jobs, measures,
                                      parts_of, settings_key, context.geometry(index).keys,
                                      context.gross(index).keys)
            found = store.get_many(keys.values())
        except sqlite3.Error as exc:
            log.warning("%s: quantity rows not reused (%s: %s)", store.path, type(exc).__name__,
                        exc)
            store.close()
            store, keys, found = None, {}, {}
    fresh = [(r, e) for r, e in jobs if keys.get(e.GlobalId) not in found]
    measured = _measure_rows(model, fresh, measures, order, context.threads)
    if store is not None:
        try:
            store.put_many({keys[g]: m for g, m in measured.items()})
        except sqlite3.Error as exc:
            log.warning("%s: quantity rows not stored (%s: %s)", store.path,
                        type(exc).__name__, exc)
        finally:
            store.close()
    out = {g: found[k] for g, k in keys.items() if k in found}
    if out:
        log.info("%s: quantities of %d element(s) reused (unchanged), %d measured",
                 model.path.name, len(out), len(measured))
    out.update(measured)
    return dict(sorted(out.items())), len(out) - len(measured)


def select_takeoff(
    context: Any, index: int, rules: Sequence[Rule]
) -> tuple[dict[str, list[Any]], dict[int, Any]]:
    """``({rule id: elements}, {STEP id: element})``: what each rule measures
    on model ``index``; the context is asked for their meshes."""
    memo_key = ("takeoff", index, tuple(r.id for r in rules))
    if memo_key in context.scratch:
        return context.scratch[memo_key]
    model = context.models[index]
    selected: dict[str, list] = {}
    union: dict[int, Any] = {}
    for rule in rules:
        chosen = [e for e in model.select(rule.a) if getattr(e, "GlobalId", None)]
        selected[rule.id] = chosen
        for e in chosen:
            union[e.id()] = e
    request_measured(context, index, sorted(union.values(), key=lambda e: e.id()))
    context.scratch[memo_key] = (selected, union)
    return selected, union


#: Fewest elements worth forking measuring processes for.
_MIN_PARALLEL = 192

_Jobs = list[tuple[Rule, Any]]
#: Per GlobalId: (rows, skipped quantities, warnings).
_Result = dict[str, Measured]


def _measure_rows(model: Model, jobs: _Jobs, measures: dict[str, Measure],
                  order: dict[int, int], threads: int | None) -> _Result:
    """Rows, skipped quantities and warnings of every (rule, element) job.

    With several cores and enough elements the jobs are shared out among
    forked processes (they inherit the meshes), element by element (each
    element's jobs to one process, so that its quantities share its memoised
    sections and outlines; balanced by triangle count). Every
    function is pure, so the rows do not depend on the split; the caller
    sorts them."""
    processes = min(threads or os.cpu_count() or 1, os.cpu_count() or 1)
    if not jobs:
        return {}
    elements = len({element.id() for _, element in jobs})
    if processes < 2 or elements < _MIN_PARALLEL or not hasattr(os, "fork"):
        return _rows_for(model, jobs, measures)
    # Elements by estimated cost (triangles, plus a constant per job), largest
    # first, each to the least loaded process: deterministic, and even.
    cost: dict[int, float] = {}
    for _, element in jobs:
        m = measures.get(element.GlobalId)
        size = len(m.net.faces) if m is not None and m.net is not None else 0
        cost[element.id()] = cost.get(element.id(), 0.0) + 200.0 + size
    load = [0.0] * processes
    owner: dict[int, int] = {}
    for eid in sorted(cost, key=lambda i: (-cost[i], order[i])):
        k = min(range(processes), key=lambda p: (load[p], p))
        owner[eid] = k
        load[k] += cost[eid]
    shares: list[_Jobs] = [[] for _ in range(processes)]
    for rule, element in jobs:
        shares[owner[element.id()]].append((rule, element))
    global _FORKED
    _FORKED = (model, shares, measures)
    try:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(processes, die_with_parent, (os.getpid(),)) as pool:
            parts = pool.map(_forked_rows, range(processes), chunksize=1)
    finally:
        _FORKED = None
    return {g: m for part in parts for g, m in part.items()}  # an element is in one part


#: What forked measuring processes read: (model, jobs per process, measures).
_FORKED: tuple[Model, list[_Jobs], dict[str, Measure]] | None = None


def _forked_rows(index: int) -> _Result:
    assert _FORKED is not None
    model, shares, measures = _FORKED
    return _rows_for(model, shares[index], measures)


def _rows_for(model: Model, jobs: _Jobs, measures: dict[str, Measure]) -> _Result:
    out: _Result = {}
    for rule, element in jobs:
        rows, skipped, warnings = out.setdefault(element.GlobalId, ([], [], []))
        item = rule_item(rule)
        measure = measures.get(element.GlobalId)
        info = model.describe(element)
        for spec in rule_quantities(rule):
            try:
                value = (None if measure is None
                         else FUNCTIONS[spec.function](measure, spec.params))
                reason = FUNCTIONS[spec.function].missing
            except Exception as exc:  # one odd element must not end the takeoff
                warnings.append(f"{model.path.name}: {rule.id} {element.GlobalId}: "
                                f"{spec.name} could not be measured: {type(exc).__name__}: {exc}")
                value, reason = None, f"could not be measured: {type(exc).__name__}: {exc}"
            if value is None:
                skipped.append((rule.id, element.GlobalId, spec.name, reason))
                continue
            geometry = FUNCTIONS[spec.function].geometry
            if geometry == "deducted":
                taken = deductions.plan(measure, spec.params)
            else:
                taken = deductions.listed(measure, geometry)
            rows.append(Row(
                global_id=info.global_id, ifc_class=info.ifc_class, type=info.type_name,
                name=info.name, storey=info.storey,
                material=info.materials[0] if info.materials else None,
                classification=info.classifications[0] if info.classifications else None,
                item=item, quantity=spec.name, value=float(value) * spec.factor, unit=spec.unit,
                rule=rule.id, function=spec.function,
                params=tuple(sorted(spec.params.items())),
                geometry=geometry, deductions=taken,
            ))
    return out
