"""Clearance clashes: the gap between two elements is below the required one.

The minimum distance between the surfaces (python-fcl, closest points) is
compared with the rule's ``clearance`` (m); a gap within
``CONTACT_TOLERANCE_M`` (1 µm) of the clearance meets it, so rounding in the
coordinates never turns an exact 50 mm gap into a clash. Elements that
actually meet are never dropped: they are reported with distance 0, and when both solids are
closed with their shared volume (``relation: hard``) or as ``touching``;
otherwise (triangle fallback) as ``hard`` with ``exact: false``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bimcheck.clash.records import PairResult, Subject, shared_solid
from bimcheck.geometry.query import distance
from bimcheck.units import CONTACT_TOLERANCE_M


def check_pair(a: Subject, b: Subject, params: Mapping[str, Any]) -> PairResult | None:
    """Clearance test of one pair under ``params`` (``clearance`` m). None
    when the gap is at least the clearance."""
    gap = distance(a.mesh, b.mesh)
    if gap.distance >= params["clearance"] - CONTACT_TOLERANCE_M:
        return None
    if not gap.intersecting:
        return PairResult(
            relation="clearance", exact=a.exact and b.exact, overlap_volume=0.0,
            penetration_depth=0.0, distance=gap.distance,
            location=(gap.point_a + gap.point_b) / 2, point_a=gap.point_a, point_b=gap.point_b,
        )
    if a.exact and b.exact:
        shared = shared_solid(a, b)
        return PairResult.sharing(shared) if shared.volume > 0.0 else PairResult.touching(
            gap.point_a
        )
    return PairResult.by_triangles(gap.point_a)
