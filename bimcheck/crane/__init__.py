"""Crane lift checks: load-chart capacity, swept path against the model,
exclusion zones and power lines, wind, crane-to-crane conflicts, path planning.

Units everywhere: metres, tonnes (t), degrees, seconds.
"""
