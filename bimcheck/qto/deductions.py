"""Deductions: which of an element's openings a measurement rule subtracts, and why.

Measurement standards do not subtract every opening. GB 50854-2013 keeps
single holes of at most 0.3 m² in a wall's or slab's volume and in plastered
areas but always deducts door and window openings; NRM2 keeps voids of at
most 0.50 m² in masonry and finishes and voids of at most 0.05 m³ in in-situ
concrete. A rule says so with parameters of the ``deducted_*`` quantity
functions (:mod:`bimcheck.qto.functions`):

``max_kept_area``
    m²: an opening whose area in the host's face is at most this is not
    deducted (default 0: every opening is).
``max_kept_volume``
    m³: an opening that removes at most this volume of the host is not
    deducted (default 0).
``deduct_filled``
    true (default): an opening a door or window fills is deducted whatever
    its size (GB 50854: "扣除门窗洞口"); false: fillings are voids like any
    other (NRM2).

Each opening of the element becomes a :class:`Deduction` that records its
area in the host's face (m²), the volume it removes from the host (m³, the
exact intersection of the opening solid with the host's gross solid),
whether it was applied and why. Comparisons with a threshold allow a
relative 1e-6 for tessellation round-off, so a 0.3 m² hole measured as
0.30000000001 m² is still "at most 0.3 m²".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bimcheck.errors import GeometryError
from bimcheck.geometry import query
from bimcheck.qto.functions import (
    Measure,
    gross_footprint_area,
    gross_side_area,
    net_volume,
    opening_area,
    quantity,
    thickness,
)
from bimcheck.qto.records import Deduction

#: Relative slack when comparing a measured area or volume with a threshold.
THRESHOLD_SLACK = 1e-6

#: The deduction parameters and their defaults.
DEDUCTION_PARAMS: dict[str, Any] = {
    "max_kept_area": 0.0,
    "max_kept_volume": 0.0,
    "deduct_filled": True,
}


def filling_class(opening: Measure) -> str | None:
    """The IFC class of the door or window that fills an opening, if any."""
    for rel in getattr(opening.element, "HasFillings", None) or ():
        filler = rel.RelatedBuildingElement
        if filler is not None:
            return filler.is_a()
    return None


def _at_most(value: float, threshold: float) -> bool:
    return value <= threshold * (1.0 + THRESHOLD_SLACK) + 1e-12


def _removed_volume(opening: Measure, host: Measure, area: float | None) -> float | None:
    """Volume (m³) of ``host`` the opening removes: the exact overlap of the two
    solids, else the opening's area × the host's thickness."""
    if opening.gross is not None and host.gross is not None:
        try:
            return query.overlap(opening.gross, host.gross).volume
        except GeometryError:
            pass
    depth = thickness(host)
    return None if area is None or depth is None else area * depth


def _params(params: Mapping[str, Any]) -> tuple[float, float, bool]:
    area = float(params.get("max_kept_area", DEDUCTION_PARAMS["max_kept_area"]))
    volume = float(params.get("max_kept_volume", DEDUCTION_PARAMS["max_kept_volume"]))
    filled = bool(params.get("deduct_filled", DEDUCTION_PARAMS["deduct_filled"]))
    return area, volume, filled


def plan(host: Measure, params: Mapping[str, Any]) -> tuple[Deduction, ...]:
    """Every opening of ``host`` with its area, removed volume and whether the
    thresholds in ``params`` deduct it (memoised on the host per parameters)."""
    max_area, max_volume, deduct_filled = _params(params)
    key = ("deductions", max_area, max_volume, deduct_filled)
    if key in host.memo:
        return host.memo[key]
    out = []
    for opening in host.openings:
        gid = opening.element.GlobalId
        area = host.memo.get(("opening_area", gid))
        if area is None:
            area = host.memo[("opening_area", gid)] = opening_area(opening) or 0.0
        volume = host.memo.get(("opening_volume", gid))
        if volume is None:
            volume = host.memo[("opening_volume", gid)] = (
                _removed_volume(opening, host, area) or 0.0
            )
        filler = filling_class(opening)
        if filler is not None and deduct_filled:
            applied, why = True, f"filled by an {filler}: door and window openings are deducted"
        elif max_area > 0 and _at_most(area, max_area):
            applied, why = False, f"area {area:.3f} m2 <= {max_area:g} m2: not deducted"
        elif max_volume > 0 and _at_most(volume, max_volume):
            applied, why = False, f"volume {volume:.4f} m3 <= {max_volume:g} m3: not deducted"
        else:
            limits = []
            if max_area > 0:
                limits.append(f"area {area:.3f} m2 > {max_area:g} m2")
            if max_volume > 0:
                limits.append(f"volume {volume:.4f} m3 > {max_volume:g} m3")
            applied = True
            why = (", ".join(limits) + ": deducted") if limits else "no threshold: deducted"
        out.append(Deduction(opening=gid, filling=filler, applied=applied, why=why,
                             area=area, volume=volume))
    result = tuple(out)
    host.memo[key] = result
    return result


def listed(host: Measure, geometry: str) -> tuple[Deduction, ...]:
    """The openings of ``host`` as a ``net`` or ``gross`` quantity treats them
    (all subtracted, or none), without measuring them."""
    if geometry not in ("net", "gross") or not host.openings:
        return ()
    applied = geometry == "net"
    why = ("net geometry: every opening is subtracted" if applied
           else "gross quantity: no opening is subtracted")
    return tuple(
        Deduction(opening=o.element.GlobalId, filling=filling_class(o), applied=applied, why=why)
        for o in host.openings
    )


# -- the deducted quantity functions ----------------------------------------------------


def _kept(host: Measure, params: Mapping[str, Any], what: str) -> float:
    return sum(getattr(d, what) or 0.0 for d in plan(host, params) if not d.applied)


def _applied(host: Measure, params: Mapping[str, Any], what: str) -> float:
    return sum(getattr(d, what) or 0.0 for d in plan(host, params) if d.applied)


_THRESHOLDS = "openings the rule's thresholds keep are not subtracted"


@quantity("deducted_volume", "m3", f"volume; {_THRESHOLDS}",
          missing="no closed body to measure a volume of", geometry="deducted",
          accepts=tuple(DEDUCTION_PARAMS))
def deducted_volume(m: Measure, params: Mapping[str, Any]) -> float | None:
    """Net volume plus the volume of every opening the thresholds keep (m³)."""
    net = net_volume(m, params)
    if net is None or not m.openings:
        return net
    return net + _kept(m, params, "volume")


@quantity("deducted_side_area", "m2", f"elevation area across the thickness; {_THRESHOLDS}",
          geometry="deducted", accepts=(*DEDUCTION_PARAMS, "sides"))
def deducted_side_area(m: Measure, params: Mapping[str, Any]) -> float | None:
    """Gross side area less the face area of every deducted opening, times
    ``sides`` (1 or 2, default 1: one face of the wall) (m²)."""
    gross = gross_side_area(m, params)
    if gross is None:
        return None
    value = gross - (_applied(m, params, "area") if m.openings else 0.0)
    return value * _sides(params)


@quantity("deducted_footprint_area", "m2", f"area seen from above; {_THRESHOLDS}",
          geometry="deducted", accepts=tuple(DEDUCTION_PARAMS))
def deducted_footprint_area(m: Measure, params: Mapping[str, Any]) -> float | None:
    """Gross plan area less the plan area of every deducted opening (m²)."""
    gross = gross_footprint_area(m, params)
    if gross is None:
        return None
    return gross - (_applied(m, params, "area") if m.openings else 0.0)


def _sides(params: Mapping[str, Any]) -> int:
    sides = params.get("sides", 1)
    if sides not in (1, 2) or isinstance(sides, bool):
        raise ValueError(f"sides must be 1 or 2, got {sides!r}")
    return int(sides)
