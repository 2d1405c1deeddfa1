"""Running clash rules over one model or a federation of models.

:func:`run_clash` selects the elements of every rule, tessellates their union
once per model (through the mesh cache), then per rule: broad phase (AABB
grid, expanded by the clearance), ignore rules, the kind's pair test, severity
bands, grouping. It returns a :class:`ClashReport` whose :meth:`as_dict` is
the deterministic JSON document described in docs/clash.md.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import ifcopenshell
import numpy as np

from bimcheck.clash import clearance, duplicate, hard, parallel
from bimcheck.clash.grouping import group_clashes
from bimcheck.clash.identity import clash_key
from bimcheck.clash.records import Clash, Group, PairResult, RuleCoverage, Subject
from bimcheck.clash.relations import Relations, ignore_reason
from bimcheck.clash.report import ClashReport
from bimcheck.clash.reuse import PairReuse
from bimcheck.clash.rules import rule_bands, rule_grouping
from bimcheck.errors import GeometryError
from bimcheck.geometry.cache import MeshCache
from bimcheck.geometry.index import candidate_pairs
from bimcheck.geometry.query import is_solid
from bimcheck.geometry.tessellate import Failure, TessellationSettings
from bimcheck.model import Model
from bimcheck.packs.schema import Rule, shift_severity
from bimcheck.units import CONTACT_TOLERANCE_M

log = logging.getLogger(__name__)

#: ``progress(stage, done, total)``: stage is a short label ("tessellating x.ifc",
#: "checking CL001").
Progress = Callable[[str, int, int], None]

_TESTS: dict[str, ModuleType] = {"hard": hard, "clearance": clearance, "duplicate": duplicate}

#: Classes never taken as clash elements unless a selector names them: voids
#: and spatial/annotation objects overlap what they describe by design.
_NOT_ELEMENTS = ("IfcFeatureElementSubtraction", "IfcSpatialElement",
                 "IfcSpatialStructureElement", "IfcAnnotation", "IfcGrid", "IfcPort")


_CLASS_NAME = re.compile(r"Ifc[A-Za-z0-9]+")


def _classes_named(selector: str) -> set[str]:
    return {m.lower() for m in _CLASS_NAME.findall(selector)}


def _lineage(e: ifcopenshell.entity_instance) -> list[str]:
    """The element's class and its supertypes, lower case, most specific first."""
    decl = e.declaration
    out = []
    while decl is not None:
        out.append(decl.name().lower())
        decl = decl.supertype()
    return out


def _selected(model: Model, selector: str) -> list[ifcopenshell.entity_instance]:
    """Products a selector matches, minus voids, spaces, annotations, grids and
    ports unless the selector names their class or a supertype of it below
    those categories (``IfcOpeningElement``, ``IfcSpace``...)."""
    named = _classes_named(selector)
    excluded = {c.lower() for c in _NOT_ELEMENTS}
    out = []
    for e in model.select(selector):
        if not e.is_a("IfcProduct") or not getattr(e, "GlobalId", None):
            continue
        lineage = _lineage(e)
        cut = next((i for i, c in enumerate(lineage) if c in excluded), None)
        if cut is not None and not named.intersection(lineage[: cut + 1]):
            continue
        out.append(e)
    return out


def run_clash(
    models: Sequence[Model],
    rules: Sequence[Rule],
    *,
    cache: MeshCache | None = None,
    timeout: float | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
    settings: TessellationSettings | None = None,
) -> ClashReport:
    """Check ``rules`` against ``models`` (one, or several federated).

    Selectors apply to every model. ``timeout`` (seconds) is the tessellation
    budget of the run, all models together
    (:class:`~bimcheck.errors.TessellationTimeout`). Each element is
    tessellated once per run, whatever the number of rules, and the models
    are tessellated side by side by one set of worker processes.
    A thin user of the check engine: a :class:`~bimcheck.context.RunContext`,
    :func:`select_clash`, :func:`check_clash`.
    """
    from bimcheck.context import RunContext

    ctx = RunContext(models, cache=cache, timeout=timeout, threads=threads, progress=progress,
                     settings=settings)
    select_clash(ctx, rules)
    report = check_clash(ctx, rules)
    for w in report.warnings:
        log.warning("%s", w)
    return report


@dataclass
class _Selection:
    """What :func:`select_clash` picked: per model, per rule id, the GlobalIds
    of a and b; per model the union by GlobalId; coverage; warnings; seconds."""

    per_model: list[dict[str, tuple[list[str], list[str] | None]]]
    union: list[dict[str, ifcopenshell.entity_instance]]
    coverage: dict[str, RuleCoverage]
    warnings: list[str]
    seconds: float


def select_clash(ctx: Any, rules: Sequence[Rule]) -> None:
    """Select the elements of every clash rule on every model of ``ctx`` and
    ask the context for their meshes (kept for :func:`check_clash`)."""
    t0 = time.monotonic()
    warnings: list[str] = []
    selected: list[dict[str, tuple[list[str], list[str] | None]]] = []
    by_model_union: list[dict[str, ifcopenshell.entity_instance]] = []
    coverage = {r.id: RuleCoverage(r.id) for r in rules}
    for model in ctx.models:
        union: dict[str, ifcopenshell.entity_instance] = {}
        per_rule = {}
        picked: dict[str, list[ifcopenshell.entity_instance]] = {}  # a pack repeats selectors
        for rule in rules:
            for selector in (rule.a, rule.b):
                if selector is not None and selector not in picked:
                    picked[selector] = _selected(model, selector)
            a = picked[rule.a]
            b = picked[rule.b] if rule.b is not None else None
            per_rule[rule.id] = ([e.GlobalId for e in a], None if b is None else
                                 [e.GlobalId for e in b])
            for e in a + (b or []):
                union[e.GlobalId] = e
            coverage[rule.id].a_matched += len(a)
            coverage[rule.id].b_matched += len(b or [])
        selected.append(per_rule)
        by_model_union.append(union)
    for rule in rules:
        cov = coverage[rule.id]
        if cov.a_matched == 0:
            warnings.append(f"rule {rule.id}: selector a {rule.a!r} matched no element")
        if rule.b is not None and cov.b_matched == 0:
            warnings.append(f"rule {rule.id}: selector b {rule.b!r} matched no element")
    for index, union in enumerate(by_model_union):
        ctx.request(index, list(union.values()))
    ctx.scratch[("clash", tuple(r.id for r in rules))] = _Selection(
        selected, by_model_union, coverage, warnings, time.monotonic() - t0)


def check_clash(ctx: Any, rules: Sequence[Rule]) -> ClashReport:
    """Run the clash ``rules`` on the elements :func:`select_clash` picked,
    with the context's meshes, relations and fingerprints."""
    chosen: _Selection = ctx.scratch[("clash", tuple(r.id for r in rules))]
    models = ctx.models
    selected, by_model_union, coverage = chosen.per_model, chosen.union, chosen.coverage
    warnings = list(chosen.warnings)
    timings: dict[str, float] = {"select": chosen.seconds}

    # 2. Geometry, once per run (shared with every other kind of the run).
    subjects: dict[str, Subject] = {}
    failed: list[Failure] = []
    without: list[dict] = []
    relations: list[Relations] = []
    mesh_keys: dict[str, str | None] = {}
    t0 = time.monotonic()
    need_fp = any(r.kind == "duplicate" for r in rules)
    for index, (model, union) in enumerate(zip(models, by_model_union, strict=True)):
        geometry = ctx.geometry(index)
        failed.extend(f for f in geometry.failures if f.global_id in union)
        for f in geometry.without_body:
            if f.global_id not in union:
                continue
            e = union[f.global_id]
            without.append({"global_id": f.global_id, "ifc_class": f.ifc_class,
                            "name": getattr(e, "Name", None), "model": model.path.name})
        fingerprinter = ctx.fingerprinter(index) if need_fp else None
        clashing_ids: dict[str, list[str]] = {}
        for gid, mesh in geometry.meshes.items():
            if gid not in union:
                continue
            if gid in subjects:
                first = models[subjects[gid].model_index].path.name
                clashing_ids.setdefault(first, []).append(gid)
                continue
            element = union[gid]
            fp = None
            if fingerprinter is not None:
                fp = functools.partial(fingerprinter.geometry, element)
            subjects[gid] = Subject(functools.partial(ctx.ref, index, element), mesh,
                                    functools.partial(is_solid, mesh), fp, index,
                                    ifc_class=element.is_a())
            mesh_keys[gid] = geometry.keys.get(gid)
        for first, gids in sorted(clashing_ids.items()):
            warnings.append(
                f"{len(gids)} GlobalId(s) of {model.path.name} are also in {first} "
                f"(e.g. {gids[0]}); those elements of {model.path.name} are left out"
            )
        relations.append(ctx.relations(index))
    timings["geometry"] = time.monotonic() - t0
    if failed:
        warnings.append(f"{len(failed)} element(s) failed to tessellate and were not checked")

    # 3. Rules (the pair tests of a large rule shared among the cores).
    cores = os.cpu_count() or 1
    processes = min(ctx.threads or cores, cores)
    clashes: list[Clash] = []
    groups: list[Group] = []
    t0 = time.monotonic()
    reuse = PairReuse(ctx.cache, mesh_keys)
    try:
        for n, rule in enumerate(rules):
            cov = coverage[rule.id]
            found = _check_rule(rule, _ids(selected, rule, subjects, cov), subjects, relations,
                                models, cov, ctx.progress, processes, reuse,
                                keep_shared=n < len(rules) - 1)
            grouping = rule_grouping(rule)
            groups.extend(group_clashes(found, radius=grouping.radius,
                                        min_element_clashes=grouping.min_element_clashes))
            cov.clashes = len(found)
            clashes.extend(found)
    finally:
        reuse.close()
    timings["check"] = time.monotonic() - t0
    timings["pairs_reused"], timings["pairs_tested"] = reuse.reused, reuse.tested
    tests = {gid: ("exact" if s.exact else "triangles") if s.tested else "untested"
             for gid, s in subjects.items()}
    clashes.sort(key=lambda c: (c.rule, c.key))
    groups.sort(key=lambda g: (g.rule, g.id))
    model_docs = [
        {"path": m.path.name, "schema": m.schema_identifier, "length_unit": m.length_unit,
         "content_digest": m.content_digest}
        for m in models
    ]
    return ClashReport(
        models=model_docs, rules=list(rules), clashes=clashes, groups=groups,
        rule_coverage=[coverage[r.id] for r in rules], tests=tests,
        without_geometry=sorted(without, key=lambda d: (d["model"], d["global_id"])),
        failed=sorted(failed), warnings=warnings, timings=timings,
    )


def _ids(selected: list[dict[str, tuple[list[str], list[str] | None]]], rule: Rule,
         subjects: dict[str, Subject], cov: RuleCoverage) -> tuple[list[str], list[str] | None]:
    """The GlobalIds with a mesh the rule's ``a`` and ``b`` selected (``b``
    None for a rule of ``a`` against itself), counted in ``cov``."""
    a_ids = sorted({g for per in selected for g in per[rule.id][0] if g in subjects})
    b_ids = None
    if rule.b is not None:
        b_ids = sorted({g for per in selected for g in per[rule.id][1] if g in subjects})
    cov.a_meshed, cov.b_meshed = len(a_ids), len(b_ids or [])
    return a_ids, b_ids


def _check_rule(
    rule: Rule,
    ids: tuple[list[str], list[str] | None],
    subjects: dict[str, Subject],
    relations: list[Relations],
    models: Sequence[Model],
    cov: RuleCoverage,
    progress: Progress | None,
    processes: int,
    reuse: PairReuse,
    keep_shared: bool = True,
) -> list[Clash]:
    a_ids, b_ids = ids
    params = rule.params
    if rule.kind == "clearance":
        expand = float(params["clearance"])
    elif rule.kind == "hard" and not params["allow_touching"]:
        expand = CONTACT_TOLERANCE_M
    else:
        expand = 0.0
    if not a_ids or (b_ids is not None and not b_ids):
        return []
    bounds_a = np.array([subjects[g].mesh.bounds for g in a_ids])
    if b_ids is None:
        raw = candidate_pairs(bounds_a, None, expand)
        pairs = [(a_ids[i], a_ids[j]) for i, j in raw]
    else:
        bounds_b = np.array([subjects[g].mesh.bounds for g in b_ids])
        raw = candidate_pairs(bounds_a, bounds_b, expand)
        unique = {tuple(sorted((a_ids[i], b_ids[j]))) for i, j in raw if a_ids[i] != b_ids[j]}
        pairs = sorted(unique)
    cov.candidates = len(pairs)
    test = _TESTS[rule.kind]
    ignore = params["ignore"]
    bands = rule_bands(rule)
    stage = f"checking {rule.id}"
    todo: list[tuple[str, str]] = []
    for ga, gb in pairs:
        sa, sb = subjects[ga], subjects[gb]
        other_class = sa.ifc_class != sb.ifc_class
        if rule.kind == "duplicate" and params["same_class"] and other_class:
            cov.ignored["other_class"] = cov.ignored.get("other_class", 0) + 1
            continue
        reason = ignore_reason(relations[sa.model_index], ga, relations[sb.model_index], gb,
                               ignore)
        if reason is not None:
            cov.ignored[reason] = cov.ignored.get(reason, 0) + 1
            continue
        cov.tested += 1
        sa.tested = sb.tested = True
        todo.append((ga, gb))
    report = None if progress is None else (lambda done, total: progress(stage, done, total))
    results = reuse.results(
        rule, todo, [(subjects[ga], subjects[gb]) for ga, gb in todo],
        functools.partial(_test_pair, test, params=params), processes, report,
        keep_shared=keep_shared)
    found: list[Clash] = []
    for (ga, gb), result in zip(todo, results, strict=True):
        if result is None:
            continue
        sa, sb = subjects[ga], subjects[gb]
        severity = rule.severity
        for band in bands:
            if band.matches(getattr(result, band.metric)):
                severity = shift_severity(severity, band.shift)
                break
        found.append(Clash(
            key=clash_key(rule.id, rule.kind, ga, gb), rule=rule.id, kind=rule.kind,
            severity=severity, a=sa.ref, b=sb.ref, found=result,
            storey=_storey_at(models[sa.model_index], result.location, sa, sb),
        ))
    if progress is not None:
        progress(stage, len(todo), len(todo))
    return found


def _test_pair(test: ModuleType, sa: Subject, sb: Subject, *,
               params: dict) -> PairResult | None:
    """The kind's pair test; a solid the volume kernel rejects after all falls
    back to the triangle test (and is reported as such)."""
    try:
        return test.check_pair(sa, sb, params)
    except GeometryError as exc:
        log.warning("%s / %s: exact test failed (%s); using the triangle test",
                    sa.ref.global_id, sb.ref.global_id, exc)
        sa.exact = sb.exact = False
        parallel.fallbacks += 1
        return test.check_pair(sa, sb, params)


def _storey_at(model: Model, location: np.ndarray, sa: Subject, sb: Subject) -> str | None:
    """The storey a clash location lies in: the highest storey whose elevation
    (m) is at or below the location's z; the lowest one below all of them.
    Storeys without a known elevation are not used; without any, the
    elements' own storey. (``Model.storeys`` is sorted by elevation.)"""
    storeys = [s for s in model.storeys if s.elevation is not None]
    if not storeys:
        return sa.ref.storey or sb.ref.storey
    z = float(location[2])
    chosen = storeys[0]
    for s in storeys:
        if s.elevation <= z + CONTACT_TOLERANCE_M:
            chosen = s
    return chosen.name or chosen.global_id
