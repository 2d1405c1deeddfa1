"""Which of an element's shape representations is its 3D body.

An element may carry several shape representations: its ``Body``, but also
an ``Axis``, a ``FootPrint``, a ``Box``, a ``Clearance``, or a leftover of the
authoring tool without an identifier (Bonsai writes open
``IfcPolygonalFaceSet`` representations without identifier in the parent
``Model`` context next to the real ``Body`` / ``SweptSolid`` in the ``Body``
subcontext). The geometry kernel meshes every 3D representation it finds and
returns one shape per representation, so the tessellator would concatenate
the body with the leftover: an open mesh, and no volume.

The rule, per element (:func:`body_representations`):

1. candidates are the ``IfcShapeRepresentation`` s in a 3D context (a
   subcontext of a 2D context is 2D) of a solid or surface type (not
   ``Curve2D``, ``BoundingBox``, ``Annotation2D``...), identified by one of
   :data:`BODY_IDENTIFIERS` or by no identifier at all;
2. the element's body is its candidates with the first identifier of
   :data:`BODY_IDENTIFIERS` (``Body``, then ``Body-FallBack``, ``Facetation``,
   ``Mesh``, ``Reference``) that any of them has;
3. only when none has one of these identifiers, its candidates without an
   identifier.

A representation listed twice counts once. The kernel cannot be told this
per element (``context-ids`` selects contexts for the whole iterator, and
matches the context of a mapped item's *source*; ``context-types`` and
``context-identifiers`` have no effect in IfcOpenShell 0.9), so the
tessellator lets it mesh the element and drops the shapes of the other
representations (:func:`unused_geometry_ids`).
"""

from __future__ import annotations

import re

import ifcopenshell

#: Representation identifiers of a 3D body, most preferred first. Others
#: (Axis, FootPrint, Box, Clearance, Annotation...) are never meshed.
BODY_IDENTIFIERS: tuple[str, ...] = ("Body", "Body-FallBack", "Facetation", "Mesh", "Reference")

#: Representation types that are not solid or surface geometry.
_NON_BODY_TYPES = frozenset({"Curve2D", "GeometricCurveSet", "Annotation2D", "Point",
                             "PointCloud", "BoundingBox", "Curve3D"})

#: Deepest nesting of mapped items followed.
_MAX_DEPTH = 32

_LEADING_ID = re.compile(r"\d+")


def has_body(product: ifcopenshell.entity_instance) -> bool:
    """True if the product has a 3D body representation the iterator can mesh."""
    return bool(_candidates(product))


def body_representations(
    product: ifcopenshell.entity_instance,
) -> list[ifcopenshell.entity_instance]:
    """The representations that make the product's 3D body, by the rule of the
    module docstring: those with the most preferred body identifier it has,
    else those without an identifier; in the file's order, each once."""
    candidates = _candidates(product)
    for identifier in BODY_IDENTIFIERS:
        chosen = [r for r in candidates if r.RepresentationIdentifier == identifier]
        if chosen:
            return chosen
    return [r for r in candidates if not r.RepresentationIdentifier]


def unused_geometry_ids(product: ifcopenshell.entity_instance) -> frozenset[int]:
    """STEP ids of the product's representations that are not its body (and of
    the representations they map), less those its body uses itself.

    The kernel names a shape's geometry after the representation it meshed
    (``"37"``, ``"37-openings-52"``), or after a mapped item's source
    representation (:func:`geometry_representation_id`); a shape whose name
    is in this set is not part of the body."""
    shape = getattr(product, "Representation", None)
    if shape is None:
        return frozenset()
    reps = list(shape.Representations or ())
    if len(reps) < 2:
        return frozenset()
    used: set[int] = set()
    for rep in body_representations(product):
        _reach(rep, used, 0)
    other: set[int] = set()
    for rep in reps:
        if rep.id() not in used:
            _reach(rep, other, 0)
    return frozenset(other - used)


def geometry_representation_id(geometry_id: str) -> int | None:
    """The STEP id a kernel geometry id starts with (``"37-openings-52"`` → 37)."""
    m = _LEADING_ID.match(geometry_id)
    return int(m.group()) if m else None


def _candidates(product: ifcopenshell.entity_instance) -> list[ifcopenshell.entity_instance]:
    shape = getattr(product, "Representation", None)
    if shape is None or not shape.is_a("IfcProductRepresentation"):
        return []  # none, or not a representation (a malformed file)
    found: dict[int, ifcopenshell.entity_instance] = {}
    for rep in shape.Representations or ():
        if rep.id() in found or not rep.is_a("IfcShapeRepresentation"):
            continue
        if rep.RepresentationType in _NON_BODY_TYPES:
            continue
        ident = rep.RepresentationIdentifier
        if ident not in BODY_IDENTIFIERS and ident not in (None, ""):
            continue
        if not _is_3d(rep.ContextOfItems):
            continue
        found[rep.id()] = rep
    return list(found.values())


def _is_3d(ctx: ifcopenshell.entity_instance | None) -> bool:
    if ctx is None:
        return True
    try:
        if getattr(ctx, "CoordinateSpaceDimension", 3) == 2:
            return False
        if ctx.is_a("IfcGeometricRepresentationSubContext"):
            parent = ctx.ParentContext
            if parent is not None and getattr(parent, "CoordinateSpaceDimension", 3) == 2:
                return False
    except RecursionError:
        # A subcontext whose parent chain loops: IfcOpenShell derives its
        # dimension from its parent's, without end. Not a context to mesh in.
        return False
    return True


def _reach(rep: ifcopenshell.entity_instance, out: set[int], depth: int) -> None:
    """Add ``rep`` and the representations its mapped items map, recursively."""
    if rep.id() in out or depth > _MAX_DEPTH:
        return
    out.add(rep.id())
    for item in rep.Items or ():
        if item.is_a("IfcMappedItem") and item.MappingSource is not None:
            _reach(item.MappingSource.MappedRepresentation, out, depth + 1)
