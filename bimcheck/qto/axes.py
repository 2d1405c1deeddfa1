"""Directions an element's own definition gives: the extrusion direction of a
prismatic body, and a wall's axis.

Extents along these are what the IFC base quantities mean by a member's
length (the extrusion depth, also for a sloped beam in a level placement or
a pipe shorter than its diameter) and a wall's length and width (along and
across its axis, also for a wall thicker than it is long). Directions are
unit vectors in world coordinates; ``None`` when the element's definition
does not give one (the caller falls back to the mesh's own axes).
"""

from __future__ import annotations

import ifcopenshell
import ifcopenshell.util.placement
import ifcopenshell.util.representation
import numpy as np

#: Two extrusion directions closer than this (1 − |cos|) are the same line.
_PARALLEL = 1e-4

#: How deep a boolean tree is followed to its first operand.
_MAX_DEPTH = 32


def _representations(element: ifcopenshell.entity_instance, identifier: str) -> list:
    shape = getattr(element, "Representation", None)
    if shape is None:
        return []
    return [r for r in shape.Representations or () if r.RepresentationIdentifier == identifier]


def _first_operand_solid(item: ifcopenshell.entity_instance) -> ifcopenshell.entity_instance:
    for _ in range(_MAX_DEPTH):
        if not item.is_a("IfcBooleanResult"):
            break
        item = item.FirstOperand
    return item


def _rotation(matrix: np.ndarray) -> np.ndarray:
    r = np.asarray(matrix, dtype=np.float64)[:3, :3]
    norms = np.linalg.norm(r, axis=0)
    return r / np.where(norms > 0, norms, 1.0)


def extrusion_direction(
    element: ifcopenshell.entity_instance, frame: np.ndarray | None
) -> np.ndarray | None:
    """World direction of the element's Body extrusion(s) (``IfcExtrudedAreaSolid``,
    also under boolean clippings and mapped items), when every extrusion of
    the body runs along one line; else ``None``."""
    if frame is None:
        return None
    found: list[np.ndarray] = []
    try:
        for rep in _representations(element, "Body"):
            for resolved in ifcopenshell.util.representation.resolve_items(rep):
                solid = _first_operand_solid(resolved["item"])
                if not solid.is_a("IfcExtrudedAreaSolid"):
                    return None
                position = np.eye(4)
                if solid.Position is not None:
                    position = ifcopenshell.util.placement.get_axis2placement(solid.Position)
                local = np.asarray(solid.ExtrudedDirection.DirectionRatios, dtype=np.float64)
                d = _rotation(frame) @ _rotation(resolved["matrix"]) @ _rotation(position) @ local
                n = np.linalg.norm(d)
                if n == 0:
                    return None
                found.append(d / n)
    except (AttributeError, TypeError, ValueError, RuntimeError):
        return None  # a malformed body: no direction from it
    if not found:
        return None
    first = found[0]
    if any(1.0 - abs(float(d @ first)) > _PARALLEL for d in found[1:]):
        return None
    return first


def wall_axis_direction(
    element: ifcopenshell.entity_instance, frame: np.ndarray | None
) -> np.ndarray | None:
    """Horizontal world direction of a wall's ``Axis`` representation (a
    polyline or a trimmed line, first point to last), else, for an
    ``IfcWallStandardCase``, of its placement's x axis (the standard case's
    axis by definition); else ``None``."""
    if frame is None:
        return None
    local = None
    try:
        for rep in _representations(element, "Axis"):
            for item in rep.Items or ():
                if item.is_a("IfcPolyline") and len(item.Points) >= 2:
                    a = np.asarray(item.Points[0].Coordinates, dtype=np.float64)
                    b = np.asarray(item.Points[-1].Coordinates, dtype=np.float64)
                    local = np.pad(b - a, (0, 3 - len(a)))
                elif item.is_a("IfcTrimmedCurve") and item.BasisCurve.is_a("IfcLine"):
                    ratios = item.BasisCurve.Dir.Orientation.DirectionRatios
                    local = np.pad(np.asarray(ratios, dtype=np.float64), (0, 3 - len(ratios)))
                if local is not None:
                    break
            if local is not None:
                break
    except (AttributeError, TypeError, ValueError, RuntimeError):
        local = None
    if local is None and element.is_a("IfcWallStandardCase"):
        local = np.array([1.0, 0.0, 0.0])
    if local is None:
        return None
    d = _rotation(frame) @ local
    d[2] = 0.0
    n = np.linalg.norm(d)
    return None if n < 1e-9 else d / n
