"""Build the :class:`~bimcheck.qto.functions.Measure` of each element from the
cached tessellation.

Every element is tessellated once with openings subtracted (the clash and
info commands use the same cache entries). Only elements that openings void
are tessellated a second time, without the subtraction, for their gross
quantities; for every other element the net mesh *is* the gross one.
Openings are measured too: each opening's measure has its host attached,
and each host's measure lists its openings (for deductions).

An element without a body of its own that is an aggregate (a curtain wall
of plates and members, a railing of posts and rails, an assembly) is
measured on its parts: its meshes are the union of its parts' meshes
(recursively), its frame its own placement.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ifcopenshell

from bimcheck.geometry.cache import MeshCache
from bimcheck.geometry.instances import Placements
from bimcheck.geometry.mesh import Mesh, concatenate
from bimcheck.geometry.tessellate import Failure, Geometry, Progress
from bimcheck.model import Model
from bimcheck.qto.functions import Measure
from bimcheck.qto.shape import PARTS


def measure_elements(
    model: Model,
    elements: Iterable[ifcopenshell.entity_instance] | None = None,
    *,
    cache: MeshCache | None = None,
    timeout: float | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
    context: Any = None,
    index: int = 0,
) -> tuple[dict[str, Measure], list[Failure]]:
    """``({GlobalId: Measure}, failures)`` for ``elements`` (default: every
    element with geometry) and the openings that void them. Elements without
    a body get a measure with no meshes (counts and attribute quantities still
    apply). With a run ``context`` (a :class:`~bimcheck.context.RunContext`)
    the meshes are its own, shared with the other kinds of the run, and its
    time budget applies; otherwise a context is made for this call
    (``timeout`` is then its budget, net and gross passes together)."""
    if context is None:
        from bimcheck.context import RunContext

        context, index = RunContext.single(model, cache=cache, timeout=timeout,
                                           threads=threads, progress=progress), 0
    products, parts_of = request_measured(context, index, elements)
    return build_measures(model, products, parts_of, context.geometry(index),
                          context.gross(index))


def request_measured(
    context: Any, index: int, elements: Iterable[ifcopenshell.entity_instance] | None
) -> tuple[list[ifcopenshell.entity_instance], dict[int, list[ifcopenshell.entity_instance]]]:
    """Ask ``context`` for what measuring ``elements`` of model ``index``
    takes: net meshes of the elements, their parts (aggregates without a body
    of their own), the hosts of openings and the openings of hosts; gross
    meshes of the voided ones. Returns ``(products, parts_of)``."""
    model = context.models[index]
    chosen = list(model.elements_for_geometry() if elements is None else elements)
    by_id = {e.id(): e for e in chosen}
    parts_of: dict[int, list[ifcopenshell.entity_instance]] = {}
    for e in chosen:
        if getattr(e, "Representation", None) is None and e.is_a("IfcElement"):
            parts = _parts(e)
            if parts:
                parts_of[e.id()] = parts
                for p in parts:
                    by_id.setdefault(p.id(), p)
    for e in chosen:  # an opening is measured on its host, selected or not
        for rel in getattr(e, "VoidsElements", None) or ():
            host = rel.RelatingBuildingElement
            if host is not None:
                by_id.setdefault(host.id(), host)
    for e in list(by_id.values()):
        for rel in getattr(e, "HasOpenings", None) or ():
            opening = rel.RelatedOpeningElement
            by_id.setdefault(opening.id(), opening)
    products = sorted(by_id.values(), key=lambda e: e.id())
    voided = [e for e in products if getattr(e, "HasOpenings", None)]
    context.request(index, products)
    context.request(index, voided, gross=True)
    return products, parts_of


def build_measures(
    model: Model,
    products: list[ifcopenshell.entity_instance],
    parts_of: dict[int, list[ifcopenshell.entity_instance]],
    net: Geometry,
    gross: Geometry,
) -> tuple[dict[str, Measure], list[Failure]]:
    """The measures of ``products`` from their net and gross meshes."""
    placements = Placements(model.length_scale)
    measures: dict[str, Measure] = {}

    def joined(table: dict[str, Mesh], parts: list[ifcopenshell.entity_instance]) -> Mesh | None:
        found = [table.get(p.GlobalId) or net.meshes.get(p.GlobalId) for p in parts]
        found = [m for m in found if m is not None and len(m.faces)]
        if not found:
            return None
        joined = concatenate(found)
        if len(found) > 1:
            joined._cache[PARTS] = tuple(found)  # outlines are united part by part
        return joined

    def build(e: ifcopenshell.entity_instance, host: Measure | None) -> Measure:
        mesh = net.meshes.get(e.GlobalId)
        whole = gross.meshes.get(e.GlobalId, mesh) if getattr(e, "HasOpenings", None) else mesh
        if mesh is None and e.id() in parts_of:
            mesh = joined(net.meshes, parts_of[e.id()])
            whole = joined(gross.meshes, parts_of[e.id()])
        return Measure(
            element=e,
            model=model,
            net=mesh,
            gross=whole,
            frame=placements.matrix(getattr(e, "ObjectPlacement", None)),
            host=host,
        )

    for e in products:
        if e.is_a("IfcOpeningElement"):
            continue
        measures[e.GlobalId] = build(e, None)
    for e in products:
        if not e.is_a("IfcOpeningElement"):
            continue
        hosts = [h for h in (getattr(r, "RelatingBuildingElement", None)
                             for r in getattr(e, "VoidsElements", None) or ())
                 if h is not None and h.is_a("IfcElement")]
        host = measures.get(hosts[0].GlobalId) if hosts else None
        measures[e.GlobalId] = build(e, host)
        if host is not None:
            host.openings.append(measures[e.GlobalId])
    for m in measures.values():
        m.openings.sort(key=lambda o: o.element.GlobalId)
    wanted = {e.GlobalId for e in products}
    failures = sorted(f for f in {*net.failures, *gross.failures} if f.global_id in wanted)
    return dict(sorted(measures.items())), failures


def _parts(element: ifcopenshell.entity_instance, depth: int = 0) -> list:
    """The parts an element aggregates, recursively (bodies only; at most 8 levels)."""
    out = []
    for rel in getattr(element, "IsDecomposedBy", None) or ():
        for part in rel.RelatedObjects or ():
            if not part.is_a("IfcElement"):
                continue
            if getattr(part, "Representation", None) is not None:
                out.append(part)
            elif depth < 8:
                out.extend(_parts(part, depth + 1))
    return sorted(out, key=lambda p: p.id())
