"""Plan views of a diff: per storey, the footprint of every element coloured by
its status; removed elements drawn from the old revision, moved ones with
their old footprint too. Coordinates in metres, world x/y (see
:mod:`bimcheck.views` for how footprints are made)."""

from __future__ import annotations

from typing import Any

import numpy as np

from bimcheck.context import RunContext
from bimcheck.diff.result import RevisionDiff
from bimcheck.views import MAX_FOOTPRINTS, PLAN_DECIMALS, _hull


def request_plan_meshes(ctx: RunContext) -> None:
    """Ask for the meshes of every element of both revisions (one pass, cached)."""
    ctx.request(0, None)
    ctx.request(1, None)


def diff_views(ctx: RunContext, result: RevisionDiff) -> list[dict[str, Any]]:
    """``[{"storey", "elevation", "bounds", "footprints": [{"global_id", "ifc_class",
    "name", "status", "outline", "old": bool}], "omitted"}]`` in elevation order."""
    old_meshes, new_meshes = ctx.geometry(0).meshes, ctx.geometry(1).meshes
    elevation = {s.name: s.elevation for s in result.old.storeys}
    elevation.update({s.name: s.elevation for s in result.new.storeys})
    by_storey: dict[str, list[tuple[float, dict[str, Any]]]] = {}
    for e in result.elements:
        if e.ifc_class in ("IfcOpeningElement", "IfcSpace"):
            continue
        drawn = []
        if e.new_id is not None and e.new_id in new_meshes:
            drawn.append((new_meshes[e.new_id], False))
        if e.status in ("removed", "moved") and e.old_id in old_meshes:
            drawn.append((old_meshes[e.old_id], True))  # type: ignore[index]
        for mesh, old in drawn:
            if len(mesh.vertices) < 3:
                continue
            outline = _hull(mesh.vertices)
            if outline is None:
                continue
            size = float(np.prod(mesh.bounds[1][:2] - mesh.bounds[0][:2]))
            by_storey.setdefault(e.storey or "-", []).append((size, {
                "global_id": e.global_id, "ifc_class": e.ifc_class, "name": e.name,
                "status": e.status, "outline": outline, "old": old}))
    out = []
    for storey in sorted(by_storey, key=lambda s: (elevation.get(s) is None,
                                                   elevation.get(s) or 0.0, s)):
        items = by_storey[storey]
        # changed elements first, then the largest unchanged ones
        items.sort(key=lambda x: (x[1]["status"] == "unchanged", -x[0], x[1]["global_id"],
                                  x[1]["old"]))
        kept = sorted((d for _, d in items[:MAX_FOOTPRINTS]),
                      key=lambda d: (d["global_id"], d["old"]))
        pts = np.array([p for d in kept for p in d["outline"]])
        out.append({
            "storey": storey, "elevation": elevation.get(storey),
            "bounds": [*np.round(pts.min(axis=0), PLAN_DECIMALS).tolist(),
                       *np.round(pts.max(axis=0), PLAN_DECIMALS).tolist()],
            "footprints": kept, "omitted": max(0, len(items) - MAX_FOOTPRINTS),
        })
    return out
