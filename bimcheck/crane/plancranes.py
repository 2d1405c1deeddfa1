"""A lift plan's cranes (tower, luffing-jib tower, mobile, crawler), their
load charts and speeds, and the plan's utilization bands, validated."""

from __future__ import annotations

from typing import Any

from bimcheck.crane.chart import Bands, LoadChart
from bimcheck.crane.plan import (
    CRANE_TYPES,
    DEFAULT_SPEEDS,
    MAX_COORD_M,
    MAX_POINTS,
    MAX_REACH_M,
    Crane,
    Speeds,
)
from bimcheck.crane.planfields import Where, kind_of


def parse_bands(top: Where, raw: Any) -> Bands:
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


def parse_crane(top: Where, raw: Any, n: int) -> Crane:
    if not isinstance(raw, dict):
        raise top.fail(f"cranes[{n}]", f"must be a mapping, not {kind_of(raw)}")
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


def _luffing(w: Where, raw: dict, common: dict[str, Any], chart: LoadChart,
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


def _chart(w: Where, raw: Any) -> LoadChart:
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


def _speeds(w: Where, raw: Any) -> Speeds:
    if raw is None:
        return Speeds()
    doc = w.mapping(raw, "speeds", set(DEFAULT_SPEEDS), "speeds")
    ws = w.at(prefix="speeds.")
    return Speeds(**{k: ws.number(doc, k, minimum=0.0, strict=True, default=d)
                     for k, d in DEFAULT_SPEEDS.items()})
