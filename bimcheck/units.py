"""Units and tolerances, in one documented place.

All geometry inside bimcheck is in metres (lengths), square metres (areas) and
cubic metres (volumes), in the model's world coordinate system, whatever the
IFC file's own length unit. Every tolerance below says its unit.
"""

from __future__ import annotations

#: Grid, in metres, on which coincident mesh vertices are welded. IfcOpenShell
#: leaves duplicate vertices along opening rims and between faces; they are
#: snapped to this grid (1 µm) and merged. Far below any building tolerance,
#: far above float64 noise at site coordinates (~1e-10 m at 10 km).
WELD_TOLERANCE_M: float = 1e-6

#: Linear deflection, in metres, that IfcOpenShell's mesher may deviate from
#: curved surfaces (IfcOpenShell default 0.001 m = 1 mm).
MESHER_LINEAR_DEFLECTION_M: float = 0.001

#: Angular deflection, in radians, for curved surfaces (IfcOpenShell default 0.5).
MESHER_ANGULAR_DEFLECTION_RAD: float = 0.5

#: Two lengths closer than this, in metres, are equal for reporting (0.1 mm).
LENGTH_EPSILON_M: float = 1e-4

#: Decimal places for lengths in JSON output (0.1 µm), so floats print the same
#: on every machine.
JSON_DECIMALS: int = 7

#: Names of SI length units as IfcOpenShell reports them, mapped to metres per unit.
SI_PREFIX_SCALE: dict[str, float] = {
    "": 1.0,
    "MILLI": 1e-3,
    "CENTI": 1e-2,
    "DECI": 1e-1,
    "KILO": 1e3,
}

#: Metres per foot and per inch (exact, international foot).
METRES_PER_FOOT: float = 0.3048
METRES_PER_INCH: float = 0.0254


def area_scale(length_scale: float) -> float:
    """Square metres per square file unit, given metres per file length unit."""
    return length_scale * length_scale


def volume_scale(length_scale: float) -> float:
    """Cubic metres per cubic file unit, given metres per file length unit."""
    return length_scale * length_scale * length_scale
