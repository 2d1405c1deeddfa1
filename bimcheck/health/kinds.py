"""Geometry and model health: the kinds of family ``health``.

* ``no_geometry``: an element with no 3D body (nothing to clash, measure or
  see). Aggregates whose parts have bodies (a curtain wall of plates, a stair
  of flights) are not reported.
* ``tessellation_failed``: an element whose body the geometry kernel could
  not mesh (the kernel's reason in the message).
* ``open_mesh``: an element whose mesh is not a closed solid, nor shells that
  can be made one, so volumes and exact clash tests cannot run on it.
* ``far_from_model``: an element more than ``max_distance`` metres from the
  box holding the middle half of the model's element centres (their
  quartiles on each axis), and more than twice that box's diagonal from it
  (a misplaced origin, an element left at the survey point; the ends of a
  2 km railway are not "far" from its middle).
* ``duplicate_guid``: a GlobalId used by two or more entities of one model,
  or by elements of two models checked together.
* ``no_storey``: an element of a building contained in no building storey
  (directly, or through its aggregate, its host or its space). Elements of
  infrastructure (contained in a road, railway, bridge or other facility that
  is not a building) have no storeys and are not reported.

Distances in metres.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from bimcheck.findings import Quantity, make_finding
from bimcheck.geometry.query import is_solid
from bimcheck.geometry.tessellate import has_body
from bimcheck.packs.registry import REGISTRY
from bimcheck.packs.schema import Kind, Param, Rule
from bimcheck.relations import get_parents, get_storey

_RUN = "bimcheck.health.kinds:run_health"
_SELECT = "bimcheck.health.kinds:select_health"

#: Kinds that need meshes of their elements.
_MESHED = ("tessellation_failed", "open_mesh", "far_from_model")

for _name, _doc, _params, _a in (
    ("no_geometry", "an element without a 3D body", {}, "optional"),
    ("tessellation_failed", "an element whose body could not be meshed", {}, "optional"),
    ("open_mesh", "an element whose mesh is not a closed solid", {}, "optional"),
    ("far_from_model", "an element far from the rest of the model", {
        "max_distance": Param(float, 1000.0, "largest distance from the model's core",
                              unit="m", minimum=0.0, maximum=1e7),
    }, "optional"),
    ("duplicate_guid", "a GlobalId used by more than one entity", {}, "none"),
    ("no_storey", "an element in no building storey", {}, "optional"),
):
    REGISTRY.register(Kind(
        _name, doc=_doc, params=_params, family="health", a_selector=_a, b_selector=False,
        needs=frozenset({"meshes"}) if _name in _MESHED else frozenset(),
        run=_RUN, select=_SELECT if _name in _MESHED else None,
    ))

#: Elements a health rule looks at when it gives no ``a`` selector.
DEFAULT_SELECTOR = "IfcElement"

#: Classes left out of the default selection: voids and virtual elements have
#: no storey or body of their own by design.
_LEFT_OUT = ("IfcFeatureElementSubtraction", "IfcVirtualElement")


def _elements(ctx: Any, index: int, rule: Rule) -> list[Any]:
    key = ("health", index, rule.a)
    found = ctx.scratch.get(key)
    if found is None:
        model = ctx.models[index]
        found = [e for e in model.select(rule.a or DEFAULT_SELECTOR)
                 if getattr(e, "GlobalId", None)
                 and (rule.a is not None or not any(e.is_a(c) for c in _LEFT_OUT))]
        ctx.scratch[key] = found
    return found


def select_health(ctx: Any, rules: Sequence[Rule]) -> None:
    """Ask for the meshes of the elements the geometric health rules look at."""
    for index in range(len(ctx.models)):
        for rule in rules:
            if rule.kind in _MESHED:
                ctx.request(index, _elements(ctx, index, rule))


def run_health(ctx: Any, rules: Sequence[Rule]) -> Any:
    """Findings of every health rule, on every model."""
    from bimcheck.run import KindResult

    out = KindResult()
    for rule in rules:
        cov = {"rule": rule.id, "checked": 0, "findings": 0}
        if rule.kind == "duplicate_guid":
            found = _duplicate_guids(ctx, rule, cov)
        else:
            found = []
            for index in range(len(ctx.models)):
                check = _CHECKS[rule.kind]
                elements = _elements(ctx, index, rule)
                cov["checked"] += len(elements)
                found.extend(check(ctx, index, rule, elements))
        cov["findings"] = len(found)
        out.findings.extend(found)
        out.coverage[rule.id] = cov
    return out


def _has_parts_with_body(element: Any, depth: int = 0) -> bool:
    for rel in getattr(element, "IsDecomposedBy", None) or ():
        for part in rel.RelatedObjects or ():
            if has_body(part) or (depth < 8 and _has_parts_with_body(part, depth + 1)):
                return True
    return False


def _no_geometry(ctx: Any, index: int, rule: Rule, elements: list[Any]) -> list[Any]:
    return [make_finding(rule, rule.kind, f"{e.is_a()} has no 3D body representation",
                         [ctx.ref(index, e)])
            for e in elements if not has_body(e) and not _has_parts_with_body(e)]


def _failed(ctx: Any, index: int, rule: Rule, elements: list[Any]) -> list[Any]:
    wanted = {e.GlobalId: e for e in elements}
    return [make_finding(rule, rule.kind, f"the body could not be meshed: {f.reason}",
                         [ctx.ref(index, wanted[f.global_id])], detail={"reason": f.reason})
            for f in ctx.geometry(index).failures if f.global_id in wanted]


def _open(ctx: Any, index: int, rule: Rule, elements: list[Any]) -> list[Any]:
    meshes = ctx.geometry(index).meshes
    out = []
    for e in elements:
        mesh = meshes.get(e.GlobalId)
        if mesh is None or len(mesh.faces) == 0 or mesh.closed or is_solid(mesh):
            continue
        centre = (mesh.bounds[0] + mesh.bounds[1]) / 2
        out.append(make_finding(
            rule, rule.kind, "the mesh is not a closed solid: no volume, surface clash test only",
            [ctx.ref(index, e)], location=centre, detail={"triangles": len(mesh.faces)}))
    return out


def _far(ctx: Any, index: int, rule: Rule, elements: list[Any]) -> list[Any]:
    meshes = ctx.geometry(index).meshes
    every = [m for m in meshes.values() if len(m.faces)]
    if len(every) < 2:
        return []
    centres = np.array([(m.bounds[0] + m.bounds[1]) / 2 for m in every])
    core_lo = np.percentile(centres, 25, axis=0)
    core_hi = np.percentile(centres, 75, axis=0)
    limit = max(float(rule.params["max_distance"]),
                2.0 * float(np.linalg.norm(core_hi - core_lo)))
    out = []
    for e in elements:
        mesh = meshes.get(e.GlobalId)
        if mesh is None or len(mesh.faces) == 0:
            continue
        lo, hi = mesh.bounds
        gap = np.maximum(0.0, np.maximum(core_lo - hi, lo - core_hi))
        distance = float(np.linalg.norm(gap))
        if distance > limit:
            out.append(make_finding(
                rule, rule.kind,
                f"{distance:.1f} m from the rest of the model (more than {limit:.0f} m)",
                [ctx.ref(index, e)], location=(lo + hi) / 2,
                measures={"distance": Quantity(distance, "m")}))
    return out


def _in_infrastructure(e: Any) -> bool:
    """Whether the element's spatial container chain reaches a spatial element
    that is neither a building (nor in one) nor a site: a road, a railway, a
    bridge, a facility part of one."""
    if e.is_a("IfcBuilding"):
        return False
    for parent in get_parents(e):
        if parent.is_a("IfcSpatialElement") and not (
                parent.is_a("IfcBuilding") or parent.is_a("IfcBuildingStorey")
                or parent.is_a("IfcSite") or parent.is_a("IfcSpace")):
            return True
        if parent.is_a("IfcBuilding"):
            return False
    return False


def _no_storey(ctx: Any, index: int, rule: Rule, elements: list[Any]) -> list[Any]:
    return [make_finding(rule, rule.kind, f"{e.is_a()} is contained in no building storey",
                         [ctx.ref(index, e)])
            for e in elements if get_storey(e) is None and not _in_infrastructure(e)]


def _duplicate_guids(ctx: Any, rule: Rule, cov: dict) -> list[Any]:
    users: dict[str, list[tuple[int, Any]]] = defaultdict(list)
    for index, model in enumerate(ctx.models):
        for entity in model.file.by_type("IfcRoot"):
            gid = getattr(entity, "GlobalId", None)
            if gid:
                users[gid].append((index, entity))
                cov["checked"] += 1
    out = []
    for gid in sorted(users):
        entries = users[gid]
        if len(entries) < 2:
            continue
        where = sorted({ctx.models[i].path.name for i, _ in entries})
        refs = []
        for i, entity in entries:
            ref = ctx.ref(i, entity) if entity.is_a("IfcProduct") else None
            if ref is not None:
                refs.append(ref)
        steps = ", ".join(f"{ctx.models[i].path.name} #{e.id()} {e.is_a()}"
                          for i, e in entries)
        finding = make_finding(
            rule, rule.kind, f"GlobalId {gid} is used {len(entries)} times: {steps}", refs[:1],
            discriminator=gid, detail={"global_id": gid, "models": where,
                                       "entities": [f"#{e.id()}" for _, e in entries]})
        out.append(finding)
    return out


_CHECKS = {"no_geometry": _no_geometry, "tessellation_failed": _failed, "open_mesh": _open,
           "far_from_model": _far, "no_storey": _no_storey}
