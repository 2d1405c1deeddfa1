"""Hard clashes: two solids share volume deeper than the rule's tolerance.

With both meshes closed (valid manifolds) the exact shared solid is computed
(:func:`bimcheck.geometry.query.overlap`): its volume (m³), its smallest width
as the penetration depth (m) and its centroid as the location. Coplanar and
collinear overlaps are ordinary shared volume there, so they are found.
Two elements of one class sharing at least 95 % of each one's volume are
labelled ``duplicate`` (the clash is still the hard rule's).
Contact without shared volume is ``touching`` and reported only when the rule
sets ``allow_touching: false``.

When a mesh is not closed the volume cannot be measured: the triangle
fallback reports any meeting of the surfaces (or one mesh inside the other)
as a clash with ``exact: false`` and no volume or depth — it cannot tell
touching from penetrating, so it errs towards reporting.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bimcheck.clash.records import PairResult, Subject, shared_solid
from bimcheck.geometry.query import bounds_overlap, distance, solid_volume
from bimcheck.units import CONTACT_TOLERANCE_M, JSON_DECIMALS

#: Share of each element's volume two elements of one class must share for a
#: hard clash to be labelled a duplicate (``relation: duplicate``).
DUPLICATE_OVERLAP = 0.95


def is_duplicate(a: Subject, b: Subject, shared_volume: float) -> bool:
    """Same class and a shared volume of at least
    :data:`DUPLICATE_OVERLAP` of each element's volume (m³)."""
    return a.ifc_class == b.ifc_class and shared_volume >= DUPLICATE_OVERLAP * max(
        solid_volume(a.mesh), solid_volume(b.mesh)
    )


def _within(depth: float, tolerance: float) -> bool:
    """A depth (m) is within the tolerance when it does not exceed it as the
    report shows it (rounded to ``JSON_DECIMALS``), nor the contact tolerance:
    a 5 mm overlap computed as 0.0050000000000000044 m meets ``tolerance: 0.005``."""
    return round(depth, JSON_DECIMALS) <= max(tolerance, CONTACT_TOLERANCE_M)


def check_pair(a: Subject, b: Subject, params: Mapping[str, Any]) -> PairResult | None:
    """Hard-clash test of one pair under a rule's ``params`` (``tolerance`` m,
    ``allow_touching``). None when it is not a clash."""
    box_depth = float(bounds_overlap(a.mesh, b.mesh).min())
    if params["allow_touching"] and _within(box_depth, params["tolerance"]):
        # Whatever the two share lies inside the intersection of their boxes,
        # so it is no deeper than that box is thin: not a clash, and no need
        # to compute it. (This also keeps open meshes that merely rest on a
        # solid out of the triangle fallback.)
        return None
    if a.exact and b.exact:
        shared = shared_solid(a, b)
        if shared.volume > 0.0:
            if _within(shared.width, params["tolerance"]):
                return None
            relation = "duplicate" if is_duplicate(a, b, shared.volume) else "hard"
            return PairResult.sharing(shared, relation)
        if params["allow_touching"]:
            return None
        gap = distance(a.mesh, b.mesh)
        return PairResult.touching(gap.point_a) if gap.intersecting else None
    gap = distance(a.mesh, b.mesh)
    return PairResult.by_triangles(gap.point_a) if gap.intersecting else None
