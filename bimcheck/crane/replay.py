"""A lift's path as any reader can replay it: waypoints and configurations.

Every move of a lift's path changes one coordinate of the crane's
configuration at a time (hoist, slew, trolley or luff, lower), so between
two waypoints the load moves on a vertical line, on an arc about the slew
centre, or on a radial line. Interpolating linearly in (slew angle, radius,
height) between two consecutive waypoints reproduces those positions
exactly, as long as the slew between them is taken the right way round. The
reported waypoints are therefore split so that no two consecutive ones are
more than :data:`MAX_SLEW_DEG` of slew apart: the short way round between
them is then the way the crane turns.

``configurations`` (:func:`configurations`) gives, per waypoint, the
crane's own coordinates: slew (°, counter-clockwise from +x, unwrapped so
that the differences give the direction), the trolley radius (m) or the
boom angle (° above horizontal), and the hook's height (m: the load's
underside + its height + the slings), with the time (s) at each waypoint.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bimcheck.crane.motion import SLING_HEIGHT, Path, hook_positions, radius_of
from bimcheck.crane.plan import Crane

#: Most slew (°) between two consecutive reported waypoints.
MAX_SLEW_DEG = 90.0


def replayable(path: Path) -> Path:
    """``path`` with its slews split into pieces of at most
    :data:`MAX_SLEW_DEG`, each piece timed in proportion, and moves of no
    length dropped."""
    points = [path.waypoints[0]]
    phases: list[str] = []
    durations: list[float] = []
    for k, phase in enumerate(path.phases):
        a, b = path.waypoints[k], path.waypoints[k + 1]
        if np.allclose(a, b, rtol=0.0, atol=1e-12):
            continue
        pieces = max(1, math.ceil(abs(float(b[0] - a[0])) / MAX_SLEW_DEG - 1e-9))
        for j in range(1, pieces + 1):
            points.append(a + (b - a) * (j / pieces))
            phases.append(phase)
            durations.append(float(path.durations[k]) / pieces)
    if len(points) == 1:  # a lift that does not move: keep its two ends
        points.append(path.waypoints[-1])
        phases.append(path.phases[-1] if path.phases else "hoist")
        durations.append(0.0)
    return Path(np.asarray(points), tuple(phases), np.asarray(durations))


def configurations(crane: Crane, path: Path, box: tuple[float, float, float]
                   ) -> dict[str, Any]:
    """The crane's configuration at each waypoint of ``path`` (see the module
    docstring), its slew centre and the slew's direction."""
    wp = path.waypoints
    hook_above = box[2] + SLING_HEIGHT
    times = np.concatenate([[0.0], np.cumsum(path.durations)])
    turns = np.diff(wp[:, 0])
    moving = turns[np.abs(turns) > 1e-9]
    if not len(moving):
        direction = "none"
    elif (moving > 0).all():
        direction = "counter-clockwise"
    elif (moving < 0).all():
        direction = "clockwise"
    else:
        direction = "both"
    return {
        "slew_centre": [float(v) for v in crane.base],
        "reach": "radius" if crane.is_tower else "boom_angle",
        "points": [[float(s), float(q), float(z + hook_above)] for s, q, z in wp],
        "radius": [float(r) for r in radius_of(crane, wp[:, 1])],
        "time_s": [float(t) for t in times],
        "slew_direction": direction,
        "hook_above_load_underside": hook_above,
    }


def waypoints(crane: Crane, path: Path) -> list[list[float]]:
    """``[x, y, z]`` (m) of the load's underside at each waypoint."""
    return hook_positions(crane, path.waypoints).tolist()
