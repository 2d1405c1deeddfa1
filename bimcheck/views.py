"""Plan views for the risk report: per storey, the footprint of every meshed
element (the convex hull of its vertices in plan, simplified), so the report
can draw the storey and mark each finding where it is.

Coordinates in metres, world x/y, rounded to :data:`PLAN_DECIMALS`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

#: Decimals kept in plan coordinates (1 cm).
PLAN_DECIMALS = 2
#: Footprints are simplified to this tolerance (m).
SIMPLIFY_M = 0.05
#: Most footprints drawn per storey (the largest kept).
MAX_FOOTPRINTS = 5000


def _hull(vertices: np.ndarray) -> list[list[float]] | None:
    """The simplified convex hull of ``vertices`` (m) in plan, rounded; None
    when it has no area."""
    # The distinct plan points in (x, y) order, each row seen as one complex
    # number: np.unique's rows (axis=0) at a third of the time. -0.0 is 0.0.
    xy = np.round(np.asarray(vertices[:, :2], dtype=np.float64), PLAN_DECIMALS) + 0.0
    pts = np.unique(xy.view(np.complex128).ravel()).view(np.float64).reshape(-1, 2)
    if len(pts) < 3:
        return None
    hull = shapely.MultiPoint(pts).convex_hull.simplify(SIMPLIFY_M)
    if hull.geom_type != "Polygon" or hull.area <= 0:
        return None
    ring = np.round(np.asarray(hull.exterior.coords)[:-1], PLAN_DECIMALS)
    return ring.tolist()


def plan_views(ctx: Any) -> list[dict[str, Any]]:
    """``[{"model", "storey", "elevation", "bounds", "footprints": [{"global_id",
    "ifc_class", "outline"}]}]`` for every storey with meshed elements, in
    elevation order; ``[]`` when no meshes were built in the run."""
    out = []
    for index, model in enumerate(ctx.models):
        requested, geometry = ctx.built(index)
        if not requested:
            continue
        meshes = geometry.meshes
        order = {s.name: n for n, s in enumerate(model.storeys)}
        elevation = {s.name: s.elevation for s in model.storeys}
        by_storey: dict[str, list[tuple[float, dict[str, Any]]]] = {}
        for gid, mesh in meshes.items():
            if len(mesh.vertices) < 3:
                continue
            try:
                element = model.file.by_guid(gid)
            except RuntimeError:
                continue
            if element.is_a("IfcOpeningElement") or element.is_a("IfcSpace"):
                continue
            storey = ctx.ref(index, element).storey or "-"
            outline = _hull(mesh.vertices)
            if outline is None:
                continue
            size = float(np.prod(mesh.bounds[1][:2] - mesh.bounds[0][:2]))
            by_storey.setdefault(storey, []).append((size, {
                "global_id": gid, "ifc_class": element.is_a(), "outline": outline}))
        for storey in sorted(by_storey, key=lambda s: (order.get(s, len(order)), s)):
            items = sorted(by_storey[storey], key=lambda x: (-x[0], x[1]["global_id"]))
            kept = sorted((d for _, d in items[:MAX_FOOTPRINTS]), key=lambda d: d["global_id"])
            pts = np.array([p for d in kept for p in d["outline"]])
            out.append({
                "model": model.path.name, "storey": storey,
                "elevation": elevation.get(storey),
                "bounds": [*np.round(pts.min(axis=0), PLAN_DECIMALS).tolist(),
                           *np.round(pts.max(axis=0), PLAN_DECIMALS).tolist()],
                "footprints": kept,
                "omitted": max(0, len(items) - MAX_FOOTPRINTS),
            })
    return out
