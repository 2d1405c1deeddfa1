"""Quantity takeoff: quantity functions measured from geometry (:mod:`.functions`),
with the threshold-aware ``deducted_*`` ones of :mod:`.deductions` registered too."""

from bimcheck.qto import deductions as _deductions  # noqa: F401  (registers deducted_*)
from bimcheck.qto.functions import FUNCTIONS, Measure, QuantityFunction, quantity

__all__ = ["FUNCTIONS", "Measure", "QuantityFunction", "quantity"]
