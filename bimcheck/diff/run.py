"""Diff two revisions of a model: :func:`diff_models` → :class:`RevisionDiff`.

1. Read both models (:func:`~bimcheck.diff.snapshot.snapshot`): no geometry.
2. Match stages 1 and 2 (GlobalId; class + shape + world placement, the
   shape by hash or by representations equal within the tolerance); a
   matched pair whose representations are equal within the tolerance has the
   same shape from here on (a re-export with noise in the last digits).
3. Mesh only what needs it, in one tessellation pass through the run
   context (cached): matched elements whose shapes' hashes differ, every
   element still unmatched, and the hosts of openings among them.
4. Match stage 2 again by meshes (hashes differ, meshes the same), then
   stage 3 (class + Name/Tag + nearest centre); compare every pair, then the
   hosts' openings, then find the causes.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from bimcheck.context import RunContext
from bimcheck.diff.causes import find_causes
from bimcheck.diff.compare import Maps, MeshOf, opening_changes, own_changes
from bimcheck.diff.definitions import CoarseFingerprinter, DefinitionComparer
from bimcheck.diff.match import (
    Match,
    match_exact,
    match_rest,
)
from bimcheck.diff.plan import diff_views, request_plan_meshes
from bimcheck.diff.result import CHANGE_KINDS, MATCH_STAGES, STATUSES, ElementDiff, RevisionDiff
from bimcheck.diff.snapshot import ElementState, ModelSnapshot, hosts_of, snapshot_pair
from bimcheck.geometry.cache import MeshCache
from bimcheck.geometry.mesh import Mesh
from bimcheck.model import Model
from bimcheck.units import (
    DIFF_MATCH_DISTANCE_M,
    DIFF_MESH_TOLERANCE_M,
    DIFF_PLACEMENT_TOLERANCE_M,
    DIFF_ROTATION_TOLERANCE_RAD,
    DIFF_VALUE_RELATIVE_TOLERANCE,
)


def _match_by_name(old: dict[str, Any], new: dict[str, Any]) -> dict[str, str]:
    """Old → new ids: the same id, else the same (class, name) when unique on both sides."""
    out = {g: g for g in old if g in new}

    def key(item: Any) -> tuple[str, str | None]:
        return (item["ifc_class"], item["name"]) if isinstance(item, dict) else \
            (item.ifc_class, item.name)

    def unique(side: dict[str, Any], exclude: set[str]) -> dict[tuple, str]:
        counts = Counter(key(v) for g, v in side.items() if g not in exclude)
        return {key(v): g for g, v in side.items() if g not in exclude and counts[key(v)] == 1}

    left_old, left_new = unique(old, set(out)), unique(new, set(out.values()))
    for k, g in left_old.items():
        if k in left_new and k[1]:
            out[g] = left_new[k]
    return out


def _definitions(so: ModelSnapshot, sn: ModelSnapshot,
                 ) -> Callable[[ElementState, ElementState], bool] | None:
    """``same(old state, new state)``: representations equal within the
    tolerance (:mod:`~bimcheck.diff.definitions`); None across length units."""
    if so.model.length_scale != sn.model.length_scale:
        return None
    comparer = DefinitionComparer(so.fingerprinter, sn.fingerprinter)

    def same(o: ElementState, n: ElementState) -> bool:
        return comparer.same(getattr(o.entity, "Representation", None),
                             getattr(n.entity, "Representation", None))

    return same


def _coarse_key(so: ModelSnapshot, sn: ModelSnapshot) -> Callable[[ElementState], tuple]:
    """Class and coarse shape hash (:class:`~bimcheck.diff.definitions.CoarseFingerprinter`)
    of an element of either snapshot, made when first asked."""
    coarse = {id(so): CoarseFingerprinter(so.model.file, lambda: so.model.step_text),
              id(sn): CoarseFingerprinter(sn.model.file, lambda: sn.model.step_text)}
    side = {id(s): id(snap) for snap in (so, sn) for s in snap.elements.values()}

    def key(state: ElementState) -> tuple:
        rep = getattr(state.entity, "Representation", None)
        fp = coarse[side[id(state)]]
        return (state.ifc_class, None if rep is None else fp.entity_hash(rep))

    return key


def _status(changes: list[Any]) -> str:
    if not changes:
        return "unchanged"
    if all(c.kind == "placement" for c in changes):
        return "moved"
    return "modified"


def _needs_meshes(so: ModelSnapshot, sn: ModelSnapshot, matches: list[Match],
                  old_left: set[str], new_left: set[str]) -> tuple[set[str], set[str]]:
    # every unmatched element: stage 2 by meshes and stage 3 compare them
    need_old, need_new = set(old_left), set(new_left)
    for m in matches:
        o, n = so.elements[m.old], sn.elements[m.new]  # type: ignore[index]
        if o.shape != n.shape:
            need_old.add(o.global_id)
            need_new.add(n.global_id)
    for snap, need in ((so, need_old), (sn, need_new)):
        # an opening's area is measured across its host: the host's mesh too
        for g in list(need):
            if snap.elements[g].ifc_class == "IfcOpeningElement":
                need.update(hosts_of(snap.elements[g].entity))
    return need_old, need_new


def _summary(so: ModelSnapshot, sn: ModelSnapshot, entries: list[ElementDiff],
             causes: int) -> dict[str, Any]:
    statuses = Counter(e.status for e in entries)
    stages = Counter(e.matched_by for e in entries if e.matched_by)
    kinds = Counter(c.kind for e in entries for c in e.changes)

    def placed(state: ElementState, shape: str | None) -> tuple:
        p = None if state.placement is None else tuple(np.round(state.placement, 5).ravel())
        return (state.ifc_class, shape, p)

    old_set = Counter(placed(s, s.shape) for s in so.elements.values())
    new_set: Counter = Counter()
    for e in entries:
        if e.new_id is None:
            continue
        n = sn.elements[e.new_id]
        same = e.old_id is not None and not any(c.kind == "geometry" for c in e.changes)
        new_set[placed(n, so.elements[e.old_id].shape if same else n.shape)] += 1  # type: ignore[index]
    return {
        "old_elements": len(so.elements),
        "new_elements": len(sn.elements),
        "statuses": {s: statuses.get(s, 0) for s in STATUSES},
        "matched_by": {s: stages.get(s, 0) for s in MATCH_STAGES},
        "changes": {k: kinds.get(k, 0) for k in CHANGE_KINDS},
        "causes": causes,
        "geometry_set_unchanged": old_set == new_set,
        "tolerances": {
            "placement_m": DIFF_PLACEMENT_TOLERANCE_M,
            "rotation_rad": DIFF_ROTATION_TOLERANCE_RAD,
            "mesh_m": DIFF_MESH_TOLERANCE_M,
            "value_relative": DIFF_VALUE_RELATIVE_TOLERANCE,
            "match_distance_m": DIFF_MATCH_DISTANCE_M,
        },
    }


def diff_models(
    old: Model,
    new: Model,
    *,
    context: RunContext | None = None,
    cache: MeshCache | None = None,
    timeout: float | None = None,
    threads: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    views: bool = False,
    scope: frozenset[str] | None = None,
) -> RevisionDiff:
    """The diff of revision ``new`` against ``old`` (see the module docstring).

    With a ``context`` (whose models are ``[old, new]``) meshes come from it,
    so a takeoff of the same context reuses them; otherwise one is made with
    ``cache``, ``timeout`` (s), ``threads`` and ``progress(stage, done, total)``.
    ``views``: mesh every element of both revisions too (same pass) and add
    plan views per storey (:func:`~bimcheck.diff.plan.diff_views`) for the HTML.
    ``scope``: GlobalIds (of either revision) to diff, with the openings that
    void them; the others are left out (pricing needs only what its rules
    measure). The summary's ``scope`` counts them; ``None`` diffs everything.
    """
    from bimcheck.run import header

    ctx = context or RunContext([old, new], cache=cache, timeout=timeout, threads=threads,
                                progress=progress)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    ctx.report_progress("reading models", 0, 2)
    so, sn = snapshot_pair(old, new, (ctx.fingerprinter(0), ctx.fingerprinter(1)), threads,
                           scope)
    ctx.report_progress("reading models", 2, 2)
    maps = Maps(elements={}, types=_match_by_name(so.types, sn.types),
                spatial=_match_by_name(so.spatial, sn.spatial))
    timings["read"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    same_definition = _definitions(so, sn)
    matches, old_left, new_left = match_exact(so, sn, same_definition, _coarse_key(so, sn))
    if same_definition is not None:
        for m in matches:  # other hashes, same definition: the same shape from here on
            o, n = so.elements[m.old], sn.elements[m.new]  # type: ignore[index]
            if o.shape != n.shape and same_definition(o, n):
                n.shape = o.shape
    need_old, need_new = _needs_meshes(so, sn, matches, old_left, new_left)
    timings["match"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if views:
        request_plan_meshes(ctx)
    if need_old:
        ctx.request(0, [so.elements[g].entity for g in sorted(need_old)])
    if need_new:
        ctx.request(1, [sn.elements[g].entity for g in sorted(need_new)])
    meshes = (ctx.geometry(0).meshes, ctx.geometry(1).meshes)
    timings["tessellate"] = time.perf_counter() - t0

    def mesh(side: str, state: ElementState) -> Mesh | None:
        return meshes[0 if side == "old" else 1].get(state.global_id)

    def centre(side: str, state: ElementState) -> np.ndarray | None:
        m = mesh(side, state)
        if m is not None and len(m.vertices):
            return m.bounds.mean(axis=0)
        return state.origin

    t0 = time.perf_counter()
    matches += match_rest(so, sn, old_left, new_left, centre, mesh)
    maps.elements = {m.old: m.new for m in matches if m.old and m.new}
    entries, states = _entries(so, sn, matches, maps, mesh)
    timings["compare"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    causes = find_causes(so, sn, maps, entries, states)
    timings["causes"] = time.perf_counter() - t0
    timings.update({f"geometry_{k}": v for k, v in ctx.timings.items()})
    summary = _summary(so, sn, entries, len(causes))
    if scope is not None:
        summary["scope"] = len(scope)
    result = RevisionDiff(old=old, new=new, elements=entries, causes=causes,
                          summary=summary,
                          header=header(ctx, "diff"), timings=timings)
    if views:
        result.views = diff_views(ctx, result)
    return result


def _location(state: ElementState) -> list[float] | None:
    origin = state.origin
    if origin is None or not np.all(np.isfinite(origin)):
        return None
    return [round(float(v), 7) + 0.0 for v in origin]


def _entries(so: ModelSnapshot, sn: ModelSnapshot, matches: list[Match], maps: Maps,
             mesh: MeshOf) -> tuple[list[ElementDiff], dict[str, tuple[ElementState,
                                                                        ElementState]]]:
    entries: dict[str, ElementDiff] = {}
    states: dict[str, tuple[ElementState, ElementState]] = {}
    for m in matches:
        if m.old and m.new:
            o, n = so.elements[m.old], sn.elements[m.new]
            changes = own_changes(o, n, maps, mesh)
            entries[n.global_id] = ElementDiff(
                global_id=n.global_id, old_global_id=o.global_id if o.global_id != n.global_id
                else None, ifc_class=n.ifc_class, name=n.name, storey=n.storey,
                status=_status(changes), matched_by=m.matched_by, changes=changes,
                location=_location(n))
            states[n.global_id] = (o, n)
        else:
            s = so.elements[m.old] if m.old else sn.elements[m.new]  # type: ignore[index]
            entries[s.global_id] = ElementDiff(
                global_id=s.global_id, old_global_id=None, ifc_class=s.ifc_class, name=s.name,
                storey=s.storey, status="removed" if m.old else "added", matched_by=None,
                location=_location(s))
    for gid, (o, n) in states.items():
        change = opening_changes(o, n, maps, entries, mesh, so.elements, sn.elements)
        if change is not None:
            entry = entries[gid]
            entry.changes.append(change)
            entry.changes.sort(key=lambda c: CHANGE_KINDS.index(c.kind))
            entry.status = _status(entry.changes)
    return [entries[g] for g in sorted(entries)], states
