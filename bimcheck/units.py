"""Units and tolerances, in one documented place.

All geometry inside bimcheck is in metres (lengths), square metres (areas) and
cubic metres (volumes), in the model's world coordinate system, whatever the
IFC file's own length unit: IfcOpenShell's geometry iterator converts to
metres, and :attr:`bimcheck.model.Model.length_scale` (metres per file unit)
converts anything read from the file directly. Every tolerance below says its
unit.
"""

from __future__ import annotations

#: Grid, in metres, on which coincident mesh vertices are welded. IfcOpenShell
#: leaves duplicate vertices along opening rims and between faces; they are
#: snapped to this grid (1 µm) and merged. Far below any building tolerance,
#: far above float64 noise at site coordinates (~1e-10 m at 10 km).
WELD_TOLERANCE_M: float = 1e-6

#: Two surfaces closer than this, in metres, touch (1 µm). Equal to the vertex
#: weld grid: below it two surfaces are the same surface as far as the mesh can
#: tell; far above float64 rounding at site coordinates (~1e-9 m at 4 000 km).
#: Used by the narrow phase (:mod:`bimcheck.geometry.query`).
CONTACT_TOLERANCE_M: float = WELD_TOLERANCE_M

#: Decimal places for floats in JSON output (0.1 µm for lengths in metres), so
#: the same values print the same on every machine.
JSON_DECIMALS: int = 7

# -- revision diff (bimcheck.diff) ------------------------------------------------

#: A placement moves when its origin moves farther than this, in metres: the
#: weld grid, so re-saves and re-exports that only reformat numbers are not moves.
DIFF_PLACEMENT_TOLERANCE_M: float = WELD_TOLERANCE_M

#: A placement turns when its rotation exceeds this angle, in radians (1e-8:
#: a point 100 m from the element's origin moves 1 µm).
DIFF_ROTATION_TOLERANCE_RAD: float = 1e-8

#: Two meshes of one shape are the same when every vertex of each lies within
#: this distance, in metres, of a vertex of the other, and their volumes agree
#: to this length times their area: ten weld grids, since welding may snap a
#: vertex to either side of a grid line.
DIFF_MESH_TOLERANCE_M: float = 10 * WELD_TOLERANCE_M

#: Two property or attribute numbers are equal within this relative
#: tolerance (and 1e-12 absolute): float noise of a re-export, not an edit.
DIFF_VALUE_RELATIVE_TOLERANCE: float = 1e-9

#: The last matching stage pairs elements of one class and Name (or Tag) whose
#: centres are at most this far apart, in metres.
DIFF_MATCH_DISTANCE_M: float = 1.0
