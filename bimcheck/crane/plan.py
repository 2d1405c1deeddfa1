"""Lift plans (``*.lift.yaml``): cranes, lifts and the site, loaded and validated.

The format is documented in ``docs/crane.md``; the names here are that
contract. Units: metres, tonnes (t), degrees, seconds, kg/m³ for densities.
Every error is a :class:`~bimcheck.errors.LiftPlanError` naming the file,
the crane or lift and the field (``lift L1: load.weight: must be a number
≥ 0, not 'two'``); unknown keys are errors too, so that a typo never passes
silently. Plans come from uploads: read with ``yaml.safe_load`` only, at most
4 MiB, and bounded counts of cranes, lifts and polygon points.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from bimcheck.crane.chart import Bands, LoadChart
from bimcheck.crane.schedule import read_obstacle_keys, with_obstacle_keys
from bimcheck.crane.wind import lift_wind, wind_limit
from bimcheck.errors import LiftPlanError
from bimcheck.packs.loader import load_yaml

CRANE_TYPES = ("tower", "luffing-tower", "mobile", "crawler")

#: Bounds on what one plan may hold (uploads are untrusted).
MAX_CRANES = 64
MAX_LIFTS = 2000
MAX_POINTS = 10_000

#: Longest jib, counter-jib, boom or tail accepted (m): the largest cranes
#: built reach about 100 m (tower) and 200 m (mobile boom); the bound keeps
#: the number of path samples finite whatever a plan says.
MAX_REACH_M = 300.0

#: Largest coordinate of a crane's base accepted (m; site coordinates may
#: carry large offsets, but not beyond this).
MAX_COORD_M = 1e7

#: Smallest required clearance accepted (m): paths are sampled at half the
#: clearance, so a smaller one would make a check take unbounded time.
MIN_CLEARANCE = 0.05

#: Default crane speeds: a tower crane slewing at 0.6 rpm, hoisting and
#: trolleying at 1 m/s, a boom luffing at 1 °/s.
DEFAULT_SPEEDS = {"slew_deg_s": 3.6, "hoist_m_s": 1.0, "trolley_m_s": 1.0, "luff_deg_s": 1.0}


@dataclass(frozen=True)
class Speeds:
    """Motion speeds: slew (°/s), hoist (m/s), trolley (m/s), luff (°/s)."""

    slew_deg_s: float = DEFAULT_SPEEDS["slew_deg_s"]
    hoist_m_s: float = DEFAULT_SPEEDS["hoist_m_s"]
    trolley_m_s: float = DEFAULT_SPEEDS["trolley_m_s"]
    luff_deg_s: float = DEFAULT_SPEEDS["luff_deg_s"]


@dataclass(frozen=True)
class Crane:
    """One crane. Trolley tower cranes (``tower``) use ``hook_height``,
    ``jib_elevation``, ``jib_length``, ``counter_jib_length``; mobile and
    crawler cranes use the ``boom_*`` fields and ``tail_radius``. A
    ``luffing-tower`` crane's jib (the plan's ``jib_length``, ``jib_pivot``
    and ``jib_angle``) is held in the ``boom_*`` fields, since a luffing jib
    moves as a boom does (:attr:`luffs`), with its ``counter_jib_length``.
    ``wind_limit_m_s``: the highest wind (m/s) the crane may lift in, or
    ``None`` (the site's applies). Lengths in m, weights in t, angles in
    degrees (slew measured counter-clockwise from +x)."""

    id: str
    type: str
    base: tuple[float, float, float]
    load_chart: LoadChart
    hook_weight: float = 0.0
    slew_limits: tuple[float, float] | None = None
    speeds: Speeds = field(default_factory=Speeds)
    hook_height: float | None = None
    jib_elevation: float | None = None
    jib_length: float | None = None
    counter_jib_length: float = 0.0
    boom_pivot_offset: float = 0.0
    boom_pivot_height: float = 0.0
    boom_length: float | None = None
    boom_angle: tuple[float, float] | None = None
    tail_radius: float = 0.0
    wind_limit_m_s: float | None = None

    @property
    def is_tower(self) -> bool:
        """Whether the crane is a trolley tower crane: a horizontal jib at
        ``jib_elevation``, the hook's radius set by the trolley."""
        return self.type == "tower"

    @property
    def luffs(self) -> bool:
        """Whether the hook's radius is set by luffing a jib or boom about its
        foot pin (mobile, crawler, luffing-tower): radius = pivot offset +
        length × cos(angle), tip height = pivot height + length × sin(angle)."""
        return not self.is_tower

    @property
    def arm(self) -> str:
        """What carries the hook, as messages name it: ``jib`` (tower and
        luffing-tower cranes) or ``boom`` (mobile and crawler cranes)."""
        return "jib" if self.type in ("tower", "luffing-tower") else "boom"

    @property
    def working_radius(self) -> float:
        """Largest hook radius (m) from the slew centre: the jib length of a
        trolley tower crane; for a luffing jib or a boom, pivot offset +
        length × cos(lowest angle)."""
        if self.is_tower:
            assert self.jib_length is not None
            return self.jib_length
        assert self.boom_length is not None and self.boom_angle is not None
        return self.boom_pivot_offset + self.boom_length * math.cos(
            math.radians(self.boom_angle[0]))

    @property
    def top_elevation(self) -> float:
        """Highest z (m) the jib or boom reaches: a trolley tower's jib
        underside; a luffing jib's or a boom's tip at its steepest angle."""
        if self.is_tower:
            assert self.jib_elevation is not None
            return self.jib_elevation
        assert self.boom_length is not None and self.boom_angle is not None
        return self.base[2] + self.boom_pivot_height + self.boom_length * math.sin(
            math.radians(self.boom_angle[1]))


@dataclass(frozen=True)
class Load:
    """What is lifted: a box (dimensions in m, weight in t) or a model element
    (GlobalId; weight in t, or density in kg/m³ times its volume).
    ``sail_area_m2``: the area (m²) it shows to the wind, when given (a load
    of at least the site's ``large_sail.area_m2`` lifts under its lower wind
    limit)."""

    box: tuple[float, float, float] | None = None
    element: str | None = None
    weight: float | None = None
    density: float | None = None
    sail_area_m2: float | None = None


@dataclass(frozen=True)
class Lift:
    """One lift: crane, load, rigging (t), pick and set points (centre of the
    load's underside, m), travel height (z of the load's underside while
    slewing; ``None``: max(pick z, set z) + 2 m), an optional time window and
    an optional wind speed (m/s, forecast or measured for this lift; it wins
    over the site's forecast)."""

    id: str
    crane: str
    load: Load
    pick: tuple[float, float, float]
    set: tuple[float, float, float]
    rigging_weight: float = 0.0
    travel_height: float | None = None
    window: tuple[datetime, datetime] | None = None
    wind_m_s: float | None = None
    #: Plan the lift round exclusion zones (``None``: the crane pack's
    #: ``avoid_zones``); false for a lift over a zone closed for it.
    avoid_zones: bool | None = None
    #: The elements standing at lift time (:mod:`~bimcheck.crane.schedule`):
    #: a selector, and/or ``"model"`` (the model's 4D schedule at the
    #: window's start); the lift's own, else the plan's; ``None``: all.
    obstacles: str | None = None
    schedule: str | None = None


@dataclass(frozen=True)
class Zone:
    """A plan polygon (m) closed to loads between heights ``z`` (m)."""

    id: str
    polygon: tuple[tuple[float, float], ...]
    z: tuple[float, float]


@dataclass(frozen=True)
class PowerLine:
    """An overhead line: polyline points (m) and voltage (kV)."""

    id: str
    points: tuple[tuple[float, float, float], ...]
    voltage_kv: float


@dataclass(frozen=True)
class Neighbour:
    """A neighbouring building: plan polygon (m) and height (m)."""

    id: str
    polygon: tuple[tuple[float, float], ...]
    height: float


@dataclass(frozen=True)
class WindForecast:
    """The wind (m/s) forecast for a time window (naive UTC or local times,
    as a lift's window)."""

    window: tuple[datetime, datetime]
    wind_m_s: float


@dataclass(frozen=True)
class LargeSail:
    """A load of at least ``area_m2`` (m²) of sail area lifts only up to
    ``wind_limit_m_s`` (m/s), or the crane's limit when that is lower."""

    area_m2: float
    wind_limit_m_s: float


@dataclass(frozen=True)
class Site:
    """The site around the lifts: zones, power lines (and the clearance per
    voltage, kV → m), neighbours, and the wind: the site's limit (m/s; a
    crane's own wins), the forecast per time window and the large-sail limit."""

    exclusion_zones: tuple[Zone, ...] = ()
    power_lines: tuple[PowerLine, ...] = ()
    clearance_by_voltage_kv: tuple[tuple[float, float], ...] = ()
    neighbours: tuple[Neighbour, ...] = ()
    wind_limit_m_s: float | None = None
    wind_forecast: tuple[WindForecast, ...] = ()
    large_sail: LargeSail | None = None

    def power_line_clearance(self, voltage_kv: float) -> float | None:
        """Required clearance (m) for a line of ``voltage_kv``: the entry for
        the smallest tabulated voltage at or above it; ``None`` above the table."""
        for kv, metres in self.clearance_by_voltage_kv:
            if voltage_kv <= kv:
                return metres
        return None


@dataclass(frozen=True)
class Placement:
    """Candidate base positions (m) to rank for one crane's lifts."""

    crane: str
    candidates: tuple[tuple[float, float, float], ...]


@dataclass(frozen=True)
class LiftPlan:
    path: Path
    clearance: float
    bands: Bands
    cranes: dict[str, Crane]
    lifts: tuple[Lift, ...]
    site: Site
    min_jib_separation: float = 2.0
    placement: tuple[Placement, ...] = ()
    #: Whether the plan gave its own ``bands`` (else the crane pack's apply).
    bands_given: bool = False


# -- loading ------------------------------------------------------------------


def load_lift_plan(path: str | os.PathLike[str]) -> LiftPlan:
    """Read and validate a lift plan; :class:`LiftPlanError` names what is wrong."""
    p = Path(path)
    return parse_lift_plan(load_yaml(p, what="lift plan", error=LiftPlanError), p)


def parse_lift_plan(data: Any, path: Path) -> LiftPlan:
    """Validate parsed YAML ``data`` read from ``path``."""
    top = _Where(path)
    doc = top.mapping(data, "the lift plan", {
        "clearance", "bands", "cranes", "lifts", "site", "min_jib_separation", "placement",
        "obstacles", "schedule"})
    at_lift_time = read_obstacle_keys(top, doc)  # the plan's; a lift's own win
    clearance = top.number(doc, "clearance", minimum=MIN_CLEARANCE)
    bands = _bands(top, doc.get("bands"))
    separation = top.number(doc, "min_jib_separation", minimum=0.0, default=2.0)
    crane_list = top.seq(doc, "cranes", required=True, limit=MAX_CRANES)
    cranes: dict[str, Crane] = {}
    for n, raw in enumerate(crane_list):
        crane = _crane(top, raw, n)
        if crane.id in cranes:
            raise LiftPlanError("a second crane with this id", path=path, crane=crane.id,
                                field="id")
        cranes[crane.id] = crane
    lift_list = top.seq(doc, "lifts", required=True, limit=MAX_LIFTS)
    lifts: list[Lift] = []
    seen: set[str] = set()
    for n, raw in enumerate(lift_list):
        lift = _lift(top, raw, n, cranes)
        lift = with_obstacle_keys(top.at(lift=lift.id), raw, lift, at_lift_time)
        if lift.id in seen:
            raise LiftPlanError("a second lift with this id", path=path, lift=lift.id,
                                field="id")
        seen.add(lift.id)
        lifts.append(lift)
    site = _site(top, doc.get("site"))
    _check_wind_limits(top, lifts, cranes, site)
    placement = []
    for n, raw in enumerate(top.seq(doc, "placement", limit=MAX_CRANES)):
        w = top.at(prefix=f"placement[{n}].")
        d = w.mapping(raw, "a placement", {"crane", "candidates"})
        if str(d.get("crane")) not in cranes:
            raise w.fail("crane", f"names no crane of the plan ({d.get('crane')!r})")
        pts = w.seq(d, "candidates", required=True, limit=1000)
        placement.append(Placement(str(d["crane"]),
                                   tuple(w.coords(p, "candidates", 3) for p in pts)))
    return LiftPlan(path=path, clearance=clearance, bands=bands, cranes=cranes,
                    lifts=tuple(lifts), site=site, min_jib_separation=separation,
                    placement=tuple(placement), bands_given=doc.get("bands") is not None)


class _Where:
    """Validation helpers that raise a LiftPlanError naming file, owner and field."""

    def __init__(self, path: Path, crane: str | None = None, lift: str | None = None,
                 prefix: str = "") -> None:
        self.path, self.crane, self.lift, self.prefix = path, crane, lift, prefix

    def at(self, *, crane: str | None = None, lift: str | None = None,
           prefix: str = "") -> _Where:
        return _Where(self.path, crane or self.crane, lift or self.lift, prefix)

    def fail(self, key: str, message: str) -> LiftPlanError:
        name = f"{self.prefix}{key}" if key else self.prefix.rstrip(".") or None
        return LiftPlanError(message, path=self.path, crane=self.crane, lift=self.lift,
                             field=name)

    def mapping(self, value: Any, what: str, allowed: set[str], key: str = "") -> dict:
        if not isinstance(value, dict):
            raise self.fail(key, f"{what} must be a mapping, not {_kind(value)}")
        unknown = sorted(str(k) for k in value if k not in allowed)
        if unknown:
            raise self.fail(key, f"unknown key {unknown[0]!r} (known: "
                                 f"{', '.join(sorted(allowed))})")
        return value

    def number(self, doc: dict, key: str, *, minimum: float | None = None,
               maximum: float | None = None, default: float | None = None,
               required: bool = True, strict: bool = False) -> Any:
        if key not in doc or doc[key] is None:
            if default is not None or not required:
                return default
            raise self.fail(key, "is required")
        return self.value(doc[key], key, minimum=minimum, maximum=maximum, strict=strict)

    def value(self, v: Any, key: str, *, minimum: float | None = None,
              maximum: float | None = None, strict: bool = False) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise self.fail(key, f"must be a number, not {v!r}")
        v = float(v)
        if minimum is not None and (v <= minimum if strict else v < minimum):
            raise self.fail(key, f"must be {'>' if strict else '≥'} {minimum:g}, not {v:g}")
        if maximum is not None and v > maximum:
            raise self.fail(key, f"must be ≤ {maximum:g}, not {v:g}")
        return v

    def point(self, doc: dict, key: str, dims: int = 3, *, required: bool = True) -> Any:
        if key not in doc or doc[key] is None:
            if not required:
                return None
            raise self.fail(key, "is required")
        return self.coords(doc[key], key, dims)

    def coords(self, v: Any, key: str, dims: int) -> tuple[float, ...]:
        if not isinstance(v, list | tuple) or len(v) != dims:
            raise self.fail(key, f"must be a list of {dims} numbers, not {v!r}")
        return tuple(self.value(c, key) for c in v)

    def seq(self, doc: dict, key: str, *, required: bool = False, limit: int) -> list:
        v = doc.get(key)
        if v is None:
            if required:
                raise self.fail(key, "is required")
            return []
        if not isinstance(v, list):
            raise self.fail(key, f"must be a list, not {_kind(v)}")
        if required and not v:
            raise self.fail(key, "must not be empty")
        if len(v) > limit:
            raise self.fail(key, f"has {len(v)} entries, over the limit of {limit}")
        return v

    def ident(self, doc: dict, what: str) -> str:
        v = doc.get("id")
        if not isinstance(v, str | int) or isinstance(v, bool) or str(v).strip() == "":
            raise self.fail("id", f"every {what} needs an id (a non-empty string)")
        return str(v)

    def polygon(self, v: Any, key: str) -> tuple[tuple[float, float], ...]:
        import shapely

        if not isinstance(v, list) or not 3 <= len(v) <= MAX_POINTS:
            raise self.fail(key, f"must be a list of 3 to {MAX_POINTS} [x, y] points")
        pts = tuple(self.coords(p, key, 2) for p in v)
        poly = shapely.Polygon(pts)
        if not poly.is_valid or poly.area <= 0:
            raise self.fail(key, "is not a simple polygon with an area (self-crossing or flat)")
        if not poly.exterior.is_ccw:
            pts = pts[::-1]  # counter-clockwise, as extrusion and drawing expect
        return pts  # type: ignore[return-value]


def _kind(v: Any) -> str:
    return "nothing" if v is None else type(v).__name__


def _bands(top: _Where, raw: Any) -> Bands:
    if raw is None:
        return Bands()
    doc = top.mapping(raw, "bands", {"critical", "high", "fail"}, "bands")
    w = top.at(prefix="bands.")
    values = {k: w.number(doc, k, minimum=0.0, strict=True, default=getattr(Bands(), k))
              for k in ("critical", "high", "fail")}
    try:
        return Bands(**values)
    except ValueError as exc:
        raise top.fail("bands", str(exc)) from None


_TOWER_KEYS = {"hook_height", "jib_elevation", "jib_length", "counter_jib_length"}
_BOOM_KEYS = {"boom_pivot", "boom_length", "boom_angle", "tail_radius"}
_LUFFING_KEYS = {"jib_length", "jib_pivot", "jib_angle", "counter_jib_length"}
_COMMON_KEYS = {"id", "type", "base", "slew_limits", "speeds", "hook_weight", "load_chart",
                "wind_limit_m_s"}
_TYPE_KEYS = {"tower": _TOWER_KEYS, "luffing-tower": _LUFFING_KEYS, "mobile": _BOOM_KEYS,
              "crawler": _BOOM_KEYS}


def _crane(top: _Where, raw: Any, n: int) -> Crane:
    if not isinstance(raw, dict):
        raise top.fail(f"cranes[{n}]", f"must be a mapping, not {_kind(raw)}")
    cid = top.at(prefix=f"cranes[{n}].").ident(raw, "crane")
    w = top.at(crane=cid)
    kind = raw.get("type")
    if kind not in CRANE_TYPES:
        raise w.fail("type", f"must be one of {', '.join(CRANE_TYPES)}, not {kind!r}")
    tower = kind == "tower"
    if kind == "luffing-tower":
        old = sorted(str(k) for k in raw if k in (_TOWER_KEYS | _BOOM_KEYS) - _LUFFING_KEYS)
        if old:
            raise w.fail(old[0], "is not a key of a luffing-tower crane: its jib is given by "
                                 "jib_length, jib_pivot: {offset, height} (its foot pin, m "
                                 "from the slew centre and above the base), jib_angle: "
                                 "[lowest, steepest] (degrees above horizontal) and "
                                 "counter_jib_length (optional); its hook height follows "
                                 "from the jib angle")
    w.mapping(raw, f"a {kind} crane", _COMMON_KEYS | _TYPE_KEYS[kind])
    base = w.point(raw, "base")
    if any(abs(c) > MAX_COORD_M for c in base):
        raise w.fail("base", f"coordinates must be within ±{MAX_COORD_M:g} m")
    chart = _chart(w, raw.get("load_chart"))
    limits = None
    if raw.get("slew_limits") is not None:
        lo, hi = w.coords(raw["slew_limits"], "slew_limits", 2)
        if not -360.0 <= lo < hi <= 360.0 or hi - lo > 360.0:
            raise w.fail("slew_limits", "must be [low, high] degrees with low < high, "
                                        "at most 360° apart")
        limits = (lo, hi)
    speeds = _speeds(w, raw.get("speeds"))
    common: dict[str, Any] = dict(
        id=cid, type=kind, base=base, load_chart=chart, slew_limits=limits, speeds=speeds,
        hook_weight=w.number(raw, "hook_weight", minimum=0.0, default=0.0),
        wind_limit_m_s=w.number(raw, "wind_limit_m_s", minimum=0.0, required=False))
    if tower:
        jib = w.number(raw, "jib_length", minimum=0.0, maximum=MAX_REACH_M, strict=True)
        elevation = w.number(raw, "jib_elevation", minimum=base[2],
                             maximum=base[2] + MAX_REACH_M)
        hook = w.number(raw, "hook_height")
        if hook >= elevation:
            raise w.fail("hook_height", f"must be below the jib (jib_elevation {elevation:g})")
        if hook <= base[2]:
            raise w.fail("hook_height", f"must be above the base (z {base[2]:g})")
        if chart.max_radius > jib:
            raise w.fail("load_chart.radius",
                         f"reaches {chart.max_radius:g} m, past the jib ({jib:g} m)")
        return Crane(**common, hook_height=hook, jib_elevation=elevation, jib_length=jib,
                     counter_jib_length=w.number(raw, "counter_jib_length", minimum=0.0,
                                                 maximum=MAX_REACH_M, default=0.0))
    return _luffing(w, raw, common, chart, "jib" if kind == "luffing-tower" else "boom")


def _luffing(w: _Where, raw: dict, common: dict[str, Any], chart: LoadChart,
             part: str) -> Crane:
    """A crane whose hook radius is set by luffing ``part`` about its foot pin:
    a ``boom`` (boom_pivot, boom_length, boom_angle, tail_radius) or a luffing
    ``jib`` (jib_pivot, jib_length, jib_angle, counter_jib_length; the pivot
    and its height required), both held in the ``boom_*`` fields. Lengths in
    m, angles in degrees above horizontal."""
    jib = part == "jib"
    key = f"{part}_pivot"
    if jib and raw.get(key) is None:
        raise w.fail(key, "is required: {offset, height} of the jib's foot pin (m from the "
                          "slew centre, m above the base)")
    pivot = w.mapping(raw.get(key, {}), key, {"offset", "height"}, key)
    for k in ("offset", "height"):
        v = pivot.get(k)
        if isinstance(v, int | float) and abs(v) > MAX_REACH_M:
            raise w.fail(f"{key}.{k}", f"must be within ±{MAX_REACH_M:g} m")
    wp = w.at(prefix=f"{key}.")
    length = w.number(raw, f"{part}_length", minimum=0.0, maximum=MAX_REACH_M, strict=True)
    angle = f"{part}_angle"
    lo, hi = w.coords(raw[angle], angle, 2) if raw.get(angle) is not None else (None, None)
    if lo is None or not 0.0 <= lo < hi < 90.0:
        raise w.fail(angle, "must be [lowest, steepest] degrees, 0 ≤ lowest < "
                            "steepest < 90")
    rear = "counter_jib_length" if jib else "tail_radius"
    crane = Crane(**common, boom_pivot_offset=wp.number(pivot, "offset", default=0.0),
                  boom_pivot_height=wp.number(pivot, "height", minimum=0.0,
                                              default=None if jib else 0.0),
                  boom_length=length, boom_angle=(lo, hi),
                  **{rear: w.number(raw, rear, minimum=0.0, maximum=MAX_REACH_M,
                                    default=0.0)})
    if chart.max_radius > crane.working_radius + 1e-9:
        raise w.fail("load_chart.radius",
                     f"reaches {chart.max_radius:g} m, past the {part}'s reach "
                     f"({crane.working_radius:.2f} m at {lo:g}°)")
    return crane


def _chart(w: _Where, raw: Any) -> LoadChart:
    doc = w.mapping(raw, "load_chart", {"radius", "capacity"}, "load_chart")
    wc = w.at(prefix="load_chart.")
    lists = {}
    for key in ("radius", "capacity"):
        v = doc.get(key)
        if not isinstance(v, list) or not 2 <= len(v) <= MAX_POINTS:
            raise wc.fail(key, f"must be a list of 2 to {MAX_POINTS} numbers")
        lists[key] = tuple(wc.value(x, key, minimum=0.0) for x in v)
    try:
        return LoadChart(lists["radius"], lists["capacity"])
    except ValueError as exc:
        raise w.fail("load_chart", str(exc)) from None


def _speeds(w: _Where, raw: Any) -> Speeds:
    if raw is None:
        return Speeds()
    doc = w.mapping(raw, "speeds", set(DEFAULT_SPEEDS), "speeds")
    ws = w.at(prefix="speeds.")
    return Speeds(**{k: ws.number(doc, k, minimum=0.0, strict=True, default=d)
                     for k, d in DEFAULT_SPEEDS.items()})


def _lift(top: _Where, raw: Any, n: int, cranes: dict[str, Crane]) -> Lift:
    if not isinstance(raw, dict):
        raise top.fail(f"lifts[{n}]", f"must be a mapping, not {_kind(raw)}")
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


def _window(w: _Where, v: Any, key: str) -> tuple[datetime, datetime] | None:
    """A ``[start, end]`` time window of ISO date-times (``None`` when not
    given): times with a zone are taken to UTC, times without one are read
    as they are (all of a plan's naive times in one time zone)."""
    if v is None:
        return None
    if not isinstance(v, list) or len(v) != 2:
        raise w.fail(key, "must be [start, end] as ISO date-times")
    try:
        start, end = (x if isinstance(x, datetime) else datetime.fromisoformat(str(x))
                      for x in v)
    except ValueError as exc:
        raise w.fail(key, f"is not an ISO date-time: {exc}") from None
    start, end = (x.astimezone(UTC).replace(tzinfo=None) if x.tzinfo else x
                  for x in (start, end))
    if not start < end:
        raise w.fail(key, "must end after it starts")
    return (start, end)


def _flag(w: _Where, doc: dict, key: str) -> bool | None:
    """An optional true/false field."""
    v = doc.get(key)
    if v is not None and not isinstance(v, bool):
        raise w.fail(key, f"must be true or false, not {v!r}")
    return v


def _load(w: _Where, raw: Any) -> Load:
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


def _entries(top: _Where, doc: dict, key: str, what: str, allowed: set[str]
             ) -> Iterator[tuple[_Where, dict, str]]:
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


def _site(top: _Where, raw: Any) -> Site:
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


def _check_wind_limits(top: _Where, lifts: list[Lift], cranes: dict[str, Crane],
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
