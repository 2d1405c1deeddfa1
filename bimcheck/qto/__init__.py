"""Quantity takeoff: quantity functions measured from geometry (:mod:`.functions`)."""

from bimcheck.qto.functions import FUNCTIONS, Measure, QuantityFunction, quantity

__all__ = ["FUNCTIONS", "Measure", "QuantityFunction", "quantity"]
