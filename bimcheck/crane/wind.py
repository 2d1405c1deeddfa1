"""Wind: the wind a lift is made in, the limit it must keep, and whether it does.

**The lift's wind** (m/s): the lift's own ``wind_m_s`` when it gives one
(forecast or measured for that lift; source ``lift``); else, for a lift with
a time ``window``, the highest of the site's ``wind_forecast`` entries whose
window overlaps the lift's (strictly: one ending as the lift starts does not;
among equal speeds the earliest window; source ``forecast``). A lift with
neither is **not checked** for wind (:func:`check_wind` returns ``None``).

**The limit** (m/s): the crane's own ``wind_limit_m_s``, else the site's.
A load whose ``sail_area_m2`` is at least the site's ``large_sail.area_m2``
lifts under the lower of ``large_sail.wind_limit_m_s`` and that limit
(``limit_from`` ``large_sail`` when the large-sail limit is the lower one).
The plan refuses a lift whose wind is known but for which no limit applies
(:func:`~bimcheck.crane.plan.parse_lift_plan`).

A lift keeps its limit when its wind is at or under it; above it (strictly:
a wind of exactly the limit is within it) the lift meets the condition
``wind`` (:data:`~bimcheck.crane.policy.CONDITIONS`), a fail by default.

This module reads the plan's records only; it does not import
:mod:`bimcheck.crane.plan`, which uses it to validate a plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bimcheck.crane.plan import Crane, Lift, Load, Site

#: Where a lift's wind comes from.
SOURCES = ("lift", "forecast")
#: Where the limit it is compared with comes from.
LIMIT_FROM = ("crane", "site", "large_sail")

Window = tuple[datetime, datetime]


@dataclass(frozen=True)
class WindCheck:
    """A lift's wind (m/s) against its limit (m/s).

    ``source``: ``lift`` or ``forecast`` (then ``window`` is the forecast's
    window); ``limit_from``: ``crane``, ``site`` or ``large_sail``;
    ``sail_area_m2``: the load's sail area (m²) when the plan gives it."""

    crane: str
    wind_m_s: float
    source: str
    limit_m_s: float
    limit_from: str
    window: Window | None = None
    sail_area_m2: float | None = None
    #: For a forecast: whether its windows cover the whole of the lift's.
    covered: bool | None = None

    @property
    def ok(self) -> bool:
        """Whether the wind is at or under the limit."""
        return self.wind_m_s <= self.limit_m_s

    @property
    def message(self) -> str:
        """One line: the wind, where it comes from, and the limit it is over
        (or within), e.g. ``wind 18 m/s (forecast 2027-03-01 08:00-12:00) is
        over the 15 m/s limit of TC1 for a load of 40 m² sail area
        (large-sail limit)``."""
        where = ("given for the lift" if self.source == "lift" or self.window is None
                 else f"forecast {format_window(self.window)}")
        verdict = "within" if self.ok else "over"
        if self.limit_from == "crane":
            limit = f"the {self.limit_m_s:g} m/s limit of {self.crane}"
        elif self.limit_from == "site":
            limit = f"the site's {self.limit_m_s:g} m/s limit for {self.crane}"
        else:
            area = f"{self.sail_area_m2:g} m²" if self.sail_area_m2 is not None else "a large"
            limit = (f"the {self.limit_m_s:g} m/s limit of {self.crane} for a load of {area} "
                     "sail area (large-sail limit)")
        gap = ("; the forecast covers only part of the lift's window"
               if self.covered is False else "")
        return f"wind {self.wind_m_s:g} m/s ({where}) is {verdict} {limit}{gap}"

    def as_dict(self) -> dict[str, Any]:
        return {"wind_m_s": self.wind_m_s, "source": self.source,
                "forecast_window": ([self.window[0].isoformat(), self.window[1].isoformat()]
                                    if self.window is not None else None),
                "limit_m_s": self.limit_m_s, "limit_from": self.limit_from,
                "sail_area_m2": self.sail_area_m2, "ok": self.ok, "message": self.message,
                "forecast_covers_window": self.covered}


def format_window(window: Window) -> str:
    """``2027-03-01 08:00-12:00``, or both dates when the window spans days."""
    start, end = window
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}-{end:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}"


def lift_wind(lift: Lift, site: Site) -> tuple[float, str, Window | None] | None:
    """``(wind m/s, source, forecast window)`` of ``lift`` (see the module
    docstring), or ``None`` when neither the lift nor a forecast over its
    window gives one."""
    if lift.wind_m_s is not None:
        return lift.wind_m_s, "lift", None
    if lift.window is None:
        return None
    start, end = lift.window
    best = None
    for f in sorted(site.wind_forecast, key=lambda f: f.window):
        if f.window[0] < end and start < f.window[1] and (
                best is None or f.wind_m_s > best.wind_m_s):
            best = f
    return None if best is None else (best.wind_m_s, "forecast", best.window)


def wind_limit(crane: Crane, load: Load, site: Site) -> tuple[float, str] | None:
    """``(limit m/s, limit_from)`` for ``load`` on ``crane`` (see the module
    docstring), or ``None`` when neither the crane, the site nor the
    large-sail rule sets one."""
    base: tuple[float, str] | None = None
    if crane.wind_limit_m_s is not None:
        base = (crane.wind_limit_m_s, "crane")
    elif site.wind_limit_m_s is not None:
        base = (site.wind_limit_m_s, "site")
    big = site.large_sail
    if (big is not None and load.sail_area_m2 is not None
            and load.sail_area_m2 >= big.area_m2
            and (base is None or big.wind_limit_m_s < base[0])):
        return big.wind_limit_m_s, "large_sail"
    return base


def check_wind(crane: Crane, lift: Lift, site: Site) -> WindCheck | None:
    """The lift's wind against its limit, or ``None`` when it is not checked
    (no wind known for it, or no limit)."""
    wind = lift_wind(lift, site)
    limit = wind_limit(crane, lift.load, site)
    if wind is None or limit is None:
        return None
    speed, source, window = wind
    return WindCheck(crane=crane.id, wind_m_s=speed, source=source, limit_m_s=limit[0],
                     limit_from=limit[1], window=window,
                     sail_area_m2=lift.load.sail_area_m2,
                     covered=forecast_covers(lift, site) if source == "forecast" else None)


def forecast_covers(lift: Lift, site: Site) -> bool:
    """Whether the forecast's windows together cover the lift's whole window
    (a wind higher than forecast may blow in the part not covered)."""
    assert lift.window is not None
    start, end = lift.window
    reached = start
    for f in sorted(site.wind_forecast, key=lambda f: f.window):
        if f.window[0] > reached:
            break
        reached = max(reached, f.window[1])
        if reached >= end:
            return True
    return reached >= end
