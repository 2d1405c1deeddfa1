"""Duplicates: two elements (of the same class, by default) with the same
geometry — equal geometry fingerprints (same representation and placement,
whatever the STEP ids), or shared volume at least ``min_overlap`` (default
95 %) of *each* element's volume.

Fingerprint equality needs no closed mesh, so duplicated open meshes are found
too (``exact`` then says whether the volume could be measured).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from bimcheck.clash.records import PairResult, Subject, shared_solid
from bimcheck.geometry.query import bounds_overlap, solid_volume


def _same_definition(a: Subject, b: Subject) -> bool:
    return a.fingerprint is not None and a.fingerprint == b.fingerprint


def _may_share(a: Subject, b: Subject, share: float) -> bool:
    """Cheap necessary condition for sharing ``share`` of each volume: the
    volumes are within that ratio, and so is their bounding boxes' overlap."""
    va, vb = solid_volume(a.mesh), solid_volume(b.mesh)
    need = share * max(va, vb)
    if min(va, vb) < need:
        return False
    return float(np.prod(np.clip(bounds_overlap(a.mesh, b.mesh), 0.0, None))) >= need


def check_pair(a: Subject, b: Subject, params: Mapping[str, Any]) -> PairResult | None:
    """Duplicate test of one pair under ``params`` (``same_class``,
    ``min_overlap`` as a fraction). None when not duplicates."""
    if params["same_class"] and a.ifc_class != b.ifc_class:
        return None
    if a.exact and b.exact:
        # Equal definitions mesh identically, so they always pass the pre-check;
        # fingerprints are only worked out when the volumes do not settle it.
        if not _may_share(a, b, params["min_overlap"]):
            return None
        shared = shared_solid(a, b)
        largest = max(solid_volume(a.mesh), solid_volume(b.mesh))
        shares = shared.volume > 0.0 and shared.volume >= params["min_overlap"] * largest
        if not shares and not _same_definition(a, b):
            return None
        if shared.centroid is None:
            return PairResult(relation="duplicate", exact=True, overlap_volume=shared.volume,
                              penetration_depth=shared.width, distance=0.0,
                              location=a.mesh.bounds.mean(axis=0))
        return PairResult.sharing(shared, "duplicate")
    if _same_definition(a, b):
        return PairResult.by_triangles(a.mesh.bounds.mean(axis=0), "duplicate")
    return None
