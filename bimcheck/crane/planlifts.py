"""A lift plan's lifts (load, pick and set, travel height, window, wind), its
site (exclusion zones, power lines and their clearances, neighbours, wind
forecast and limits), validated."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from bimcheck.crane.plan import (
    MAX_POINTS,
    MAX_REACH_M,
    Crane,
    LargeSail,
    Lift,
    Load,
    Neighbour,
    PowerLine,
    Site,
    WindForecast,
    Zone,
)
from bimcheck.crane.planfields import Where, kind_of
from bimcheck.crane.wind import lift_wind, wind_limit


def parse_lift(top: Where, raw: Any, n: int, cranes: dict[str, Crane]) -> Lift:
    if not isinstance(raw, dict):
        raise top.fail(f"lifts[{n}]", f"must be a mapping, not {kind_of(raw)}")
    lid = top.at(prefix=f"lifts[{n}].").ident(raw, "lift")
    w = top.at(lift=lid)
    w.mapping(raw, "a lift", {"id", "crane", "load", "rigging_weight", "pick", "set",
                              "travel_height", "window", "avoid_zones", "wind_m_s",
                              "obstacles", "schedule"})
    crane = raw.get("crane")
    if str(crane) not in cranes:
        raise w.fail("crane", f"names no crane of the plan ({crane!r}; cranes: "
                              f"{', '.join(cranes)})")
    load = _load(w, raw.get("load"))
    pick, set_ = w.point(raw, "pick"), w.point(raw, "set")
    travel = w.number(raw, "travel_height", required=False)
    if travel is not None and travel < max(pick[2], set_[2]):
        raise w.fail("travel_height", f"{travel:g} m is below the pick or set point "
                                      f"({max(pick[2], set_[2]):g} m)")
    top = cranes[str(crane)]
    ceiling = top.hook_height if top.is_tower else top.top_elevation
    assert ceiling is not None
    floor = top.base[2] - MAX_REACH_M
    for key, z in (("pick", pick[2]), ("set", set_[2]), ("travel_height", travel)):
        if z is not None and z > ceiling:
            raise w.fail(key, f"{z:g} m is above what crane {top.id} can hoist to "
                              f"({ceiling:g} m)")
        if z is not None and z < floor:
            raise w.fail(key, f"{z:g} m is more than {MAX_REACH_M:g} m below crane "
                              f"{top.id}'s base")
    window = _window(w, raw.get("window"), "window")
    return Lift(id=lid, crane=str(crane), load=load, pick=pick, set=set_,
                rigging_weight=w.number(raw, "rigging_weight", minimum=0.0, default=0.0),
                travel_height=travel, window=window,
                avoid_zones=_flag(w, raw, "avoid_zones"),
                wind_m_s=w.number(raw, "wind_m_s", minimum=0.0, required=False))


def _window(w: Where, v: Any, key: str) -> tuple[datetime, datetime] | None:
    """A ``[start, end]`` time window of ISO date-times (``None`` when not
    given): times with a zone are taken to UTC, times without one are read
    as they are (all of a plan's naive times in one time zone). A time out of
    range in UTC is an error of ``key``, not an OverflowError."""
    if v is None:
        return None
    if not isinstance(v, list) or len(v) != 2:
        raise w.fail(key, "must be [start, end] as ISO date-times")
    try:
        start, end = (x if isinstance(x, datetime) else datetime.fromisoformat(str(x))
                      for x in v)
    except ValueError as exc:
        raise w.fail(key, f"is not an ISO date-time: {exc}") from None
    try:
        start, end = (x.astimezone(UTC).replace(tzinfo=None) if x.tzinfo else x
                      for x in (start, end))
    except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise w.fail(key, f"{_shown(v)} is out of range once taken to UTC (before year 1 "
                          "or after 9999)") from None
    if not start < end:
        raise w.fail(key, "must end after it starts")
    return (start, end)


def _shown(v: list) -> str:
    """A window as written, for a message."""
    return "[" + ", ".join(x.isoformat() if isinstance(x, datetime) else str(x)
                           for x in v) + "]"


def _flag(w: Where, doc: dict, key: str) -> bool | None:
    """An optional true/false field."""
    v = doc.get(key)
    if v is not None and not isinstance(v, bool):
        raise w.fail(key, f"must be true or false, not {v!r}")
    return v


def _load(w: Where, raw: Any) -> Load:
    doc = w.mapping(raw, "load", {"box", "element", "weight", "density", "sail_area_m2"},
                    "load")
    wl = w.at(prefix="load.")
    sail = wl.number(doc, "sail_area_m2", minimum=0.0, required=False)
    if ("box" in doc) == ("element" in doc):
        raise w.fail("load", "give either box: [x, y, z] or element: GLOBALID")
    weight = wl.number(doc, "weight", minimum=0.0, strict=True, required=False)
    density = wl.number(doc, "density", minimum=0.0, strict=True, required=False)
    if "box" in doc:
        box = wl.coords(doc["box"], "box", 3)
        if min(box) <= 0:
            raise wl.fail("box", "dimensions must be > 0 m")
        if weight is None:
            raise wl.fail("weight", "is required with a box (t)")
        if density is not None:
            raise wl.fail("density", "goes with element, not box")
        return Load(box=box, weight=weight, sail_area_m2=sail)  # type: ignore[arg-type]
    element = doc["element"]
    if not isinstance(element, str) or not element.strip():
        raise wl.fail("element", "must be an element's GlobalId")
    if (weight is None) == (density is None):
        raise wl.fail("weight", "give the element's weight (t) or its density (kg/m³)")
    return Load(element=element, weight=weight, density=density, sail_area_m2=sail)


def _entries(top: Where, doc: dict, key: str, what: str, allowed: set[str]
             ) -> Iterator[tuple[Where, dict, str]]:
    """``(where, mapping, id)`` of each item of the site list ``key``: a
    mapping of ``allowed`` keys with an id no other item of the list has."""
    seen: set[str] = set()
    for n, raw in enumerate(top.seq(doc, key, limit=MAX_POINTS)):
        w = top.at(prefix=f"site.{key}[{n}].")
        d = w.mapping(raw, f"a {what}", allowed)
        ident = w.ident(d, what)
        if ident in seen:
            raise w.fail("id", f"a second {what} {ident!r}")
        seen.add(ident)
        yield w, d, ident


def parse_site(top: Where, raw: Any) -> Site:
    if raw is None:
        return Site()
    doc = top.mapping(raw, "site", {"exclusion_zones", "power_lines", "clearance_by_voltage_kv",
                                     "neighbours", "wind_limit_m_s", "wind_forecast",
                                     "large_sail"}, "site")
    zones = []
    for wz, d, zid in _entries(top, doc, "exclusion_zones", "exclusion zone",
                               {"id", "polygon", "z"}):
        lo, hi = wz.coords(d["z"], "z", 2) if d.get("z") is not None else (-1e9, 1e9)
        if not lo < hi:
            raise wz.fail("z", "must be [bottom, top] with bottom < top")
        zones.append(Zone(zid, wz.polygon(d.get("polygon"), "polygon"), (lo, hi)))
    lines = []
    for wp, d, pid in _entries(top, doc, "power_lines", "power line",
                               {"id", "points", "voltage_kv"}):
        pts = d.get("points")
        if not isinstance(pts, list) or not 2 <= len(pts) <= MAX_POINTS:
            raise wp.fail("points", "must be a list of 2 or more [x, y, z] points")
        coords = tuple(wp.coords(p, "points", 3) for p in pts)
        if any(a == b for a, b in pairwise(coords)):
            raise wp.fail("points", "has two equal consecutive points (a span of no length)")
        lines.append(PowerLine(pid, coords,
                               wp.number(d, "voltage_kv", minimum=0.0, strict=True)))
    table: list[tuple[float, float]] = []
    raw_table = doc.get("clearance_by_voltage_kv") or {}
    if not isinstance(raw_table, dict):
        raise top.fail("site.clearance_by_voltage_kv", "must map kV to metres")
    wt = top.at(prefix="site.clearance_by_voltage_kv.")
    for kv, metres in raw_table.items():
        try:
            kv_f = float(kv)
        except (TypeError, ValueError):
            raise wt.fail(str(kv), "keys must be voltages in kV") from None
        if not math.isfinite(kv_f) or kv_f <= 0:
            raise wt.fail(str(kv), "keys must be voltages in kV, > 0")
        table.append((kv_f, wt.value(metres, str(kv), minimum=0.0)))
    table.sort()
    for line in lines:
        if not table or line.voltage_kv > table[-1][0]:
            raise top.fail("site.clearance_by_voltage_kv",
                           f"has no entry for power line {line.id} ({line.voltage_kv:g} kV)")
    neighbours = []
    for wn, d, nid in _entries(top, doc, "neighbours", "neighbour",
                               {"id", "polygon", "height"}):
        neighbours.append(Neighbour(nid, wn.polygon(d.get("polygon"), "polygon"),
                                    wn.number(d, "height", minimum=0.0, maximum=1000.0)))
    forecast = []
    for n, item in enumerate(top.at(prefix="site.").seq(doc, "wind_forecast",
                                                        limit=MAX_POINTS)):
        wf = top.at(prefix=f"site.wind_forecast[{n}].")
        d = wf.mapping(item, "a wind forecast", {"window", "wind_m_s"})
        window = _window(wf, d.get("window"), "window")
        if window is None:
            raise wf.fail("window", "is required: [start, end] as ISO date-times")
        forecast.append(WindForecast(window, wf.number(d, "wind_m_s", minimum=0.0)))
    large = None
    if doc.get("large_sail") is not None:
        d = top.mapping(doc["large_sail"], "large_sail", {"area_m2", "wind_limit_m_s"},
                        "site.large_sail")
        wl = top.at(prefix="site.large_sail.")
        large = LargeSail(wl.number(d, "area_m2", minimum=0.0),
                          wl.number(d, "wind_limit_m_s", minimum=0.0))
    return Site(exclusion_zones=tuple(zones), power_lines=tuple(lines),
                clearance_by_voltage_kv=tuple(table), neighbours=tuple(neighbours),
                wind_limit_m_s=top.at(prefix="site.").number(doc, "wind_limit_m_s",
                                                              minimum=0.0, required=False),
                wind_forecast=tuple(forecast), large_sail=large)


def check_wind_limits(top: Where, lifts: list[Lift], cranes: dict[str, Crane],
                       site: Site) -> None:
    """Every lift whose wind is known (its own ``wind_m_s`` or a forecast over
    its window) has a limit to compare it with: its crane's, the site's or,
    for a large-sail load, the large-sail one."""
    for lift in lifts:
        wind = lift_wind(lift, site)
        if wind is None or wind_limit(cranes[lift.crane], lift.load, site) is not None:
            continue
        speed, source, _ = wind
        where = "wind_m_s" if source == "lift" else "window"
        given = "is given" if source == "lift" else "is forecast over its window"
        raise top.at(lift=lift.id).fail(
            where, f"a wind of {speed:g} m/s {given}, but crane {lift.crane} has no "
                   "wind_limit_m_s and the site none: give one to check the wind against")
