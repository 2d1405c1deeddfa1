"""What makes a lift ``ok``, ``warning`` or ``fail``, and the default load-chart
bands: the ``lift_policy`` of a crane pack (``rules/crane/lifts.yaml``)::

    lift_policy:
      bands: {critical: 0.75, high: 0.90, fail: 1.00}   # utilization fractions
      results:
        fail: [band_fail, out_of_chart, collision, power_line, wind, problem]
        warning: [band_critical, band_high, zone]
      avoid_zones: true          # plan round exclusion zones when a path can
      clearance_horizon: 25      # how far min_clearance is measured (m)

The conditions a lift can meet are :data:`CONDITIONS`. A lift is ``fail``
when it meets any ``fail`` condition, else ``warning`` for a ``warning``
condition, else ``ok``. A lift plan's own ``bands`` win over the pack's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bimcheck.crane.chart import Bands

#: ``band_<band>``: the capacity band over the path; ``collision``: a part
#: within the clearance of an element or neighbour; ``power_line``: closer to a
#: line than its voltage's clearance; ``zone``: an exclusion zone crossed;
#: ``wind``: the lift's wind over its limit (:mod:`~bimcheck.crane.wind`);
#: ``problem``: the lift cannot be checked or made (out of reach, no path,
#: missing load element...).
CONDITIONS: tuple[str, ...] = ("band_normal", "band_critical", "band_high", "band_fail",
                               "out_of_chart", "collision", "power_line", "zone", "wind",
                               "problem")


@dataclass(frozen=True)
class LiftPolicy:
    """Bands and result rules of a crane pack (defaults: the shipped pack's)."""

    bands: Bands = field(default_factory=Bands)
    fail: frozenset[str] = frozenset({"band_fail", "out_of_chart", "collision", "power_line",
                                      "wind", "problem"})
    warning: frozenset[str] = frozenset({"band_critical", "band_high", "zone"})
    #: Whether a lift whose path crosses an exclusion zone is planned round it.
    avoid_zones: bool = True
    #: How far (m) a lift's least clearance to the model is measured.
    clearance_horizon: float = 25.0

    def result(self, conditions: Iterable[str]) -> str:
        """``fail``, ``warning`` or ``ok`` for the conditions a lift meets."""
        met = set(conditions)
        if met & self.fail:
            return "fail"
        if met & self.warning:
            return "warning"
        return "ok"

    def as_dict(self) -> dict[str, Any]:
        return {"bands": {"critical": self.bands.critical, "high": self.bands.high,
                          "fail": self.bands.fail},
                "results": {"fail": sorted(self.fail), "warning": sorted(self.warning)},
                "avoid_zones": self.avoid_zones, "clearance_horizon": self.clearance_horizon}


def parse_policy(raw: Any) -> LiftPolicy:
    """Validate a ``lift_policy`` mapping; ValueError naming the field."""
    if raw is None:
        return LiftPolicy()
    if not isinstance(raw, dict):
        raise ValueError("expected a mapping with bands and results")
    unknown = sorted(set(map(str, raw)) - {"bands", "results", "avoid_zones",
                                            "clearance_horizon"})
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}")
    bands = Bands()
    if raw.get("bands") is not None:
        b = raw["bands"]
        if not isinstance(b, dict) or set(map(str, b)) - {"critical", "high", "fail"}:
            raise ValueError("bands: expected a mapping of critical, high and fail")
        values = {}
        for k in ("critical", "high", "fail"):
            v = b.get(k, getattr(bands, k))
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v <= 10:
                raise ValueError(f"bands.{k}: expected a fraction above 0 (at most 10)")
            values[k] = float(v)
        try:
            bands = Bands(**values)
        except ValueError as exc:
            raise ValueError(f"bands: {exc}") from None
    results = raw.get("results") or {}
    if not isinstance(results, dict) or set(map(str, results)) - {"fail", "warning"}:
        raise ValueError("results: expected a mapping of fail and warning to condition lists")
    for name in ("fail", "warning"):
        items = results.get(name, [])
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ValueError(f"results.{name}: expected a list of conditions")
    sets = {}
    for name in ("fail", "warning"):
        other = "warning" if name == "fail" else "fail"
        # a list left out is the default one, less what the other list claims
        items = results.get(name, sorted(getattr(LiftPolicy(), name)
                                         - set(results.get(other, []))))
        bad = [i for i in items if i not in CONDITIONS]
        if bad:
            raise ValueError(f"results.{name}: unknown condition {bad[0]!r}; expected one of "
                             f"{', '.join(CONDITIONS)}")
        sets[name] = frozenset(items)
    both = sets["fail"] & sets["warning"]
    if both:
        raise ValueError(f"results: {sorted(both)[0]} is both fail and warning")
    avoid = raw.get("avoid_zones", True)
    if not isinstance(avoid, bool):
        raise ValueError("avoid_zones: expected true or false")
    horizon = raw.get("clearance_horizon", 25.0)
    if (isinstance(horizon, bool) or not isinstance(horizon, int | float)
            or not 1.0 <= horizon <= 200.0):
        raise ValueError("clearance_horizon: expected metres from 1 to 200")
    return LiftPolicy(bands=bands, fail=sets["fail"], warning=sets["warning"],
                      avoid_zones=avoid, clearance_horizon=float(horizon))
