"""Crane kinematics and the default lift motion.

A crane's configuration is ``(slew, reach, z)``:

* ``slew``: the jib's or boom's direction, degrees counter-clockwise from +x
  about the slew centre (the crane's ``base``), unwrapped (a path may run
  from 170° to 190°);
* ``reach``: for a trolley tower crane the trolley radius (m); for a crane
  that luffs (mobile, crawler, luffing-tower;
  :attr:`~bimcheck.crane.plan.Crane.luffs`) the boom's or jib's angle
  (degrees above horizontal), whose hook radius is ``pivot offset + length
  × cos(angle)`` and whose tip is at ``pivot height + length × sin(angle)``
  (:func:`tip_height`): the tip rises as the jib luffs in;
* ``z``: height (m) of the underside of the load.

The load hangs level under the hook with its x side along the jib (it slews
with the crane), the centre of its underside at ``(radius, slew, z)``; its
slings run :data:`SLING_HEIGHT` m from its top to the hook block, a
:data:`HOOK_BLOCK` box; the hoist line runs from the trolley (or the boom
tip) down to the hook block.

The default motion (:func:`default_path`) is the one the issue and common
practice describe: hoist at the pick point to the travel height, slew the
shorter way round unless the slew limits forbid it, trolley (or luff) to the
set radius, lower onto the set point. Times come from the crane's speeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bimcheck.crane.plan import Crane, Lift

#: Height (m) from the top of the load to the hook block (slings).
SLING_HEIGHT = 2.0

#: Hook block size (m): x, y, z.
HOOK_BLOCK = (0.6, 0.6, 0.8)

#: Default travel height above the higher of pick and set (m).
TRAVEL_MARGIN = 2.0

PHASES = ("hoist", "slew", "reach", "lower")


class MotionError(ValueError):
    """A lift the crane cannot make (a point out of reach, slew limits)."""


@dataclass(frozen=True)
class Path:
    """A lift's motion: waypoints ``(slew °, reach, z m)`` joined by straight
    moves in configuration space, the phase of each move and its duration (s)."""

    waypoints: np.ndarray  # (k, 3)
    phases: tuple[str, ...]  # k - 1
    durations: np.ndarray  # (k - 1,) seconds

    @property
    def duration(self) -> float:
        return float(self.durations.sum())



#: Most samples of one move of a lift's path (a 300 m jib slewing 360° at
#: 0.1 m is about 19,000): a plan whose numbers ask for more is refused.
MAX_PATH_SAMPLES: int = 1_000_000

def radius_of(crane: Crane, reach: np.ndarray | float) -> np.ndarray:
    """Hook radius (m) for ``reach`` (a trolley radius, or a boom angle in °)."""
    reach = np.asarray(reach, dtype=np.float64)
    if crane.is_tower:
        return reach
    assert crane.boom_length is not None
    return crane.boom_pivot_offset + crane.boom_length * np.cos(np.radians(reach))


def tip_height(crane: Crane, reach: np.ndarray | float) -> np.ndarray:
    """z (m) of the jib's or boom's tip for ``reach``: a trolley tower's jib
    underside whatever the trolley radius; for a luffing jib or a boom, the
    base z + pivot height + length × sin(angle)."""
    reach = np.asarray(reach, dtype=np.float64)
    if crane.is_tower:
        assert crane.jib_elevation is not None
        return np.full(reach.shape, crane.jib_elevation)
    assert crane.boom_length is not None
    return (crane.base[2] + crane.boom_pivot_height
            + crane.boom_length * np.sin(np.radians(reach)))


def reach_for(crane: Crane, radius: float) -> float:
    """The reach that puts the hook at ``radius`` (m); MotionError when it cannot."""
    if crane.is_tower:
        assert crane.jib_length is not None
        if not 0.0 <= radius <= crane.jib_length:
            raise MotionError(f"radius {radius:.2f} m is beyond the jib ({crane.jib_length:g} m)")
        return radius
    assert crane.boom_length is not None and crane.boom_angle is not None
    c = (radius - crane.boom_pivot_offset) / crane.boom_length
    lo, hi = crane.boom_angle
    if not math.cos(math.radians(hi)) - 1e-12 <= c <= math.cos(math.radians(lo)) + 1e-12:
        raise MotionError(f"radius {radius:.2f} m is outside the {crane.arm}'s reach at "
                          f"{lo:g}-{hi:g}°")
    return math.degrees(math.acos(min(1.0, max(-1.0, c))))


def polar(crane: Crane, point: tuple[float, float, float]) -> tuple[float, float]:
    """``(slew °, radius m)`` of a plan point about the crane's slew centre."""
    dx, dy = point[0] - crane.base[0], point[1] - crane.base[1]
    return math.degrees(math.atan2(dy, dx)), math.hypot(dx, dy)


def slew_move(crane: Crane, start: float, end: float) -> float:
    """The end angle (unwrapped from ``start``, °) of the slew from ``start``
    to ``end``: the shorter way round unless the slew limits forbid it, then
    the longer way; MotionError when both cross a limit."""
    delta = (end - start + 180.0) % 360.0 - 180.0
    if delta == -180.0:
        delta = 180.0
    options = [delta, delta - 360.0 if delta > 0 else delta + 360.0]
    if delta == 0.0:
        options = [0.0]
    limits = crane.slew_limits
    if limits is None:
        return start + options[0]
    lo, hi = limits
    base = _within(start, lo, hi)
    if base is None:
        raise MotionError(f"the pick direction {start:.1f}° is outside the slew limits "
                          f"[{lo:g}, {hi:g}]")
    for d in options:
        if lo - 1e-9 <= base + d <= hi + 1e-9:
            return start + d
    raise MotionError(f"no slew from {start:.1f}° to {end:.1f}° stays within the slew "
                      f"limits [{lo:g}, {hi:g}]")


def _within(angle: float, lo: float, hi: float) -> float | None:
    """``angle`` shifted by whole turns into [lo, hi], or None."""
    for k in range(-2, 3):
        a = angle + 360.0 * k
        if lo - 1e-9 <= a <= hi + 1e-9:
            return a
    return None


def travel_height(lift: Lift) -> float:
    """The lift's travel height (m): given, or the higher of pick and set + 2 m."""
    if lift.travel_height is not None:
        return lift.travel_height
    return max(lift.pick[2], lift.set[2]) + TRAVEL_MARGIN


def default_path(crane: Crane, lift: Lift) -> Path:
    """Hoist, slew (shorter way within the limits), trolley or luff, lower."""
    s0, r0 = polar(crane, lift.pick)
    s1, r1 = polar(crane, lift.set)
    q0, q1 = reach_for(crane, r0), reach_for(crane, r1)
    s1 = slew_move(crane, s0, s1)
    zt = travel_height(lift)
    points = [
        (s0, q0, lift.pick[2]),
        (s0, q0, zt),
        (s1, q0, zt),
        (s1, q1, zt),
        (s1, q1, lift.set[2]),
    ]
    return make_path(crane, points, list(PHASES))


def make_path(crane: Crane, points: list[tuple[float, float, float]],
              phases: list[str]) -> Path:
    """A :class:`Path` through ``points``, moves timed by the crane's speeds
    (moves that change several coordinates take the slowest one's time)."""
    wp = np.asarray(points, dtype=np.float64)
    d = np.abs(np.diff(wp, axis=0))
    sp = crane.speeds
    reach_speed = sp.trolley_m_s if crane.is_tower else sp.luff_deg_s
    times = np.max(np.stack([d[:, 0] / sp.slew_deg_s, d[:, 1] / reach_speed,
                             d[:, 2] / sp.hoist_m_s], axis=1), axis=1)
    return Path(waypoints=wp, phases=tuple(phases), durations=times)


def hook_positions(crane: Crane, configs: np.ndarray) -> np.ndarray:
    """Centre of the load's underside (m) for configurations ``(n, 3)``."""
    configs = np.atleast_2d(configs)
    a = np.radians(configs[:, 0])
    r = radius_of(crane, configs[:, 1])
    return np.stack([crane.base[0] + r * np.cos(a), crane.base[1] + r * np.sin(a),
                     configs[:, 2]], axis=1)


def sample(crane: Crane, path: Path, step: float, extent: float = 0.0
           ) -> tuple[np.ndarray, np.ndarray]:
    """Configurations along ``path`` such that no point of the load (reaching
    ``extent`` m beyond the hook radius), of the hoist line, of the jib or
    boom moves more than ``step`` m between two of them; with the path
    parameter of each (0 at the pick, 1 at the set, by time).

    Per move, the number of pieces is the displacement bound over ``step``:
    a slew moves a point at radius R by at most R·Δθ; a trolley move by Δr; a
    luff moves the boom tip by L·Δφ and the hook by at most that; a hoist by
    Δz; a move that changes several at once, by at most their sum."""
    if step <= 0:
        raise ValueError("step must be > 0 m")
    far = crane.working_radius + extent
    if crane.is_tower:
        assert crane.jib_length is not None
        far = max(far, crane.jib_length, crane.counter_jib_length)
    else:
        assert crane.boom_length is not None
        far = max(far, crane.boom_pivot_offset + crane.boom_length, crane.tail_radius,
                  crane.counter_jib_length)
    configs, params = [], []
    total = max(path.duration, 1e-12)
    elapsed = 0.0
    for k in range(len(path.phases)):
        a, b = path.waypoints[k], path.waypoints[k + 1]
        d = np.abs(b - a)
        # Displacements add up when several coordinates change at once.
        if crane.is_tower:
            moved = far * math.radians(d[0]) + d[1] + d[2]
        else:
            assert crane.boom_length is not None
            moved = far * math.radians(d[0]) + crane.boom_length * math.radians(d[1]) + d[2]
        if not math.isfinite(moved) or moved / step > MAX_PATH_SAMPLES:
            raise MotionError(
                f"a move of the lift's path spans {moved:.3g} m, more than "
                f"{MAX_PATH_SAMPLES:,} samples of {step:g} m: check the plan's positions "
                "and angles")
        pieces = max(1, math.ceil(moved / step))
        t = np.linspace(0.0, 1.0, pieces + 1)
        if k > 0:
            t = t[1:]
        configs.append(a + t[:, None] * (b - a))
        params.append((elapsed + t * path.durations[k]) / total)
        elapsed += float(path.durations[k])
    return np.concatenate(configs), np.concatenate(params)
