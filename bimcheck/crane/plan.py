"""Lift plans (``*.lift.yaml``): cranes, lifts and the site, loaded and validated.

The format is documented in ``docs/crane.md``; the names here are that
contract. Units: metres, tonnes (t), degrees, seconds, kg/m³ for densities.
Every error is a :class:`~bimcheck.errors.LiftPlanError` naming the file,
the crane or lift and the field (``lift L1: load.weight: must be a number
≥ 0, not 'two'``); unknown keys are errors too, so that a typo never passes
silently. Plans come from uploads: read with ``yaml.safe_load`` only, at most
4 MiB, and bounded counts of cranes, lifts and polygon points.

This module holds the plan's records and :func:`load_lift_plan`; the
validation is in :mod:`~bimcheck.crane.planfields` (the field checks),
:mod:`~bimcheck.crane.plancranes` (cranes, load charts, bands) and
:mod:`~bimcheck.crane.planlifts` (lifts, the site, wind limits).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bimcheck.crane.chart import Bands, LoadChart
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
    from bimcheck.crane.plancranes import parse_bands, parse_crane
    from bimcheck.crane.planfields import Where
    from bimcheck.crane.planlifts import check_wind_limits, parse_lift, parse_site
    from bimcheck.crane.schedule import read_obstacle_keys, with_obstacle_keys

    top = Where(path)
    doc = top.mapping(data, "the lift plan", {
        "clearance", "bands", "cranes", "lifts", "site", "min_jib_separation", "placement",
        "obstacles", "schedule"})
    at_lift_time = read_obstacle_keys(top, doc)  # the plan's; a lift's own win
    clearance = top.number(doc, "clearance", minimum=MIN_CLEARANCE)
    bands = parse_bands(top, doc.get("bands"))
    separation = top.number(doc, "min_jib_separation", minimum=0.0, default=2.0)
    crane_list = top.seq(doc, "cranes", required=True, limit=MAX_CRANES)
    cranes: dict[str, Crane] = {}
    for n, raw in enumerate(crane_list):
        crane = parse_crane(top, raw, n)
        if crane.id in cranes:
            raise LiftPlanError("a second crane with this id", path=path, crane=crane.id,
                                field="id")
        cranes[crane.id] = crane
    lift_list = top.seq(doc, "lifts", required=True, limit=MAX_LIFTS)
    lifts: list[Lift] = []
    seen: set[str] = set()
    for n, raw in enumerate(lift_list):
        lift = parse_lift(top, raw, n, cranes)
        lift = with_obstacle_keys(top.at(lift=lift.id), raw, lift, at_lift_time)
        if lift.id in seen:
            raise LiftPlanError("a second lift with this id", path=path, lift=lift.id,
                                field="id")
        seen.add(lift.id)
        lifts.append(lift)
    site = parse_site(top, doc.get("site"))
    check_wind_limits(top, lifts, cranes, site)
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
