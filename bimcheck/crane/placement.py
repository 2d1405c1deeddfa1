"""Placement advice: rank candidate base positions of a crane by how well it
serves that crane's lifts.

For each candidate, the crane is moved there (everything else as planned)
and each of its lifts gets its default motion and capacity check
(:mod:`~bimcheck.crane.motion`, :mod:`~bimcheck.crane.capacity`). A lift is
covered when the crane can make the motion (pick and set within reach and
slew limits) and every radius is on the load chart. Candidates are ranked:
those covering every lift with every utilization in the ``normal`` band
first, then by lifts covered (more first), then by the worst utilization
(lower first), then by the order given. Clearance to the model is not part
of the ranking (it is checked once a position is chosen, by running the
plan with it).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from bimcheck.crane.capacity import check_capacity
from bimcheck.crane.motion import MotionError, default_path
from bimcheck.crane.plan import LiftPlan, Placement


@dataclass(frozen=True)
class Candidate:
    crane: str
    base: tuple[float, float, float]
    covered: int
    lifts: int
    all_normal: bool
    utilization_max: float | None
    rank: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"crane": self.crane, "base": list(self.base), "covered": self.covered,
                "lifts": self.lifts, "all_normal": self.all_normal,
                "utilization_max": self.utilization_max, "rank": self.rank}


def rank_placement(plan: LiftPlan, placement: Placement,
                   weights: dict[str, float]) -> list[Candidate]:
    """Candidates of ``placement`` ranked (1 = best); ``weights``: lift id →
    load weight (t)."""
    crane = plan.cranes[placement.crane]
    lifts = [lift for lift in plan.lifts if lift.crane == crane.id]
    out = []
    for order, base in enumerate(placement.candidates):
        moved = dataclasses.replace(crane, base=base)
        covered, normal, worst = 0, True, None
        for lift in lifts:
            if lift.id not in weights:  # its load could not be weighed: not covered
                normal = False
                continue
            try:
                path = default_path(moved, lift)
            except MotionError:
                normal = False
                continue
            cap = check_capacity(moved, path, weights[lift.id], lift.rigging_weight,
                                 plan.bands)
            if cap.band == "out_of_chart" or cap.utilization_max is None:
                normal = False
                continue
            covered += 1
            normal &= cap.band == "normal"
            worst = cap.utilization_max if worst is None else max(worst, cap.utilization_max)
        out.append((order, Candidate(crane.id, base, covered, len(lifts),
                                     normal and covered == len(lifts), worst)))
    out.sort(key=lambda x: (not x[1].all_normal, -x[1].covered,
                            x[1].utilization_max if x[1].utilization_max is not None
                            else float("inf"), x[0]))
    return [dataclasses.replace(c, rank=k + 1) for k, (_, c) in enumerate(out)]
