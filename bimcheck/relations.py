"""How an element sits in its model: its storey, its spatial parents, its
materials and classification references, its predefined type."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import ifcopenshell
import ifcopenshell.util.classification
import ifcopenshell.util.element

log = logging.getLogger(__name__)


def get_storey(element: ifcopenshell.entity_instance) -> ifcopenshell.entity_instance | None:
    """The IfcBuildingStorey holding ``element``: through spatial containment,
    through the parent of an aggregate or nest, or up from a space; None if the
    element sits directly in a building or site."""
    seen: set[int] = set()
    current = element
    while current is not None and current.id() not in seen:
        seen.add(current.id())
        if current.is_a("IfcBuildingStorey"):
            return current
        if current is not element and (current.is_a("IfcBuilding") or current.is_a("IfcSite")):
            return None
        parent = ifcopenshell.util.element.get_container(current)
        if parent is None:
            parent = ifcopenshell.util.element.get_aggregate(current)
        if parent is None:
            parent = ifcopenshell.util.element.get_nest(current)
        if parent is None and current.is_a("IfcOpeningElement"):
            parent = ifcopenshell.util.element.get_voided_element(current)
        if parent is None and (current.is_a("IfcDoor") or current.is_a("IfcWindow")):
            void = ifcopenshell.util.element.get_filled_void(current)
            parent = ifcopenshell.util.element.get_voided_element(void) if void else None
        current = parent
    return None


def get_parents(element: ifcopenshell.entity_instance) -> Iterator[ifcopenshell.entity_instance]:
    """The element's spatial container or, failing one, its aggregate, then
    theirs, upwards (each once: a cyclic file ends the walk)."""
    seen = {element.id()}
    current = element
    while True:
        current = (ifcopenshell.util.element.get_container(current)
                   or ifcopenshell.util.element.get_aggregate(current))
        if current is None or current.id() in seen:
            return
        seen.add(current.id())
        yield current


def get_material_names(element: ifcopenshell.entity_instance) -> tuple[str, ...]:
    """Sorted unique names of the materials of an element, its layer/profile/
    constituent sets expanded; the type's materials when the occurrence has none."""
    try:
        materials = ifcopenshell.util.element.get_materials(element, should_inherit=True)
    except Exception:
        log.debug("cannot read materials of %s", element)
        return ()
    return tuple(sorted({m.Name for m in materials if getattr(m, "Name", None)}))


def get_classification_codes(element: ifcopenshell.entity_instance) -> tuple[str, ...]:
    """Sorted ``SOURCE:CODE`` strings of the element's classification references
    (inherited from its type too). SOURCE is the classification's name."""
    codes = set()
    try:
        refs = ifcopenshell.util.classification.get_references(element, should_inherit=True)
    except Exception:
        return ()
    for ref in refs:
        code = getattr(ref, "Identification", None) or getattr(ref, "ItemReference", None)
        code = code or ref.Name or "?"
        source = None
        try:
            system = ifcopenshell.util.classification.get_classification(ref)
            source = getattr(system, "Name", None) if system is not None else None
        except Exception:
            source = None
        codes.add(f"{source}:{code}" if source else str(code))
    return tuple(sorted(codes))


def predefined_type(element: ifcopenshell.entity_instance) -> str | None:
    """The element's predefined type (its type's where it has none); ``None``
    for none or NOTDEFINED."""
    try:
        value = ifcopenshell.util.element.get_predefined_type(element)
    except Exception:
        return None
    return None if value in (None, "NOTDEFINED") else str(value)


def get_psets_safely(entity: ifcopenshell.entity_instance, **kwargs) -> dict[str, dict]:
    """``ifcopenshell.util.element.get_psets(entity, **kwargs)``, or ``{}`` when
    a malformed file makes it fail (an entity where a property value belongs:
    it reads ``.wrappedValue`` of it)."""
    try:
        return ifcopenshell.util.element.get_psets(entity, **kwargs)
    except (AttributeError, TypeError, ValueError, RuntimeError, RecursionError) as exc:
        log.debug("#%d %s: its property sets cannot be read (%s)", entity.id(), entity.is_a(),
                  exc)
        return {}


def get_pset_safely(entity: ifcopenshell.entity_instance, pset: str, prop: str):
    """``ifcopenshell.util.element.get_pset(entity, pset, prop)``, or ``None``
    when a malformed file makes it fail."""
    try:
        return ifcopenshell.util.element.get_pset(entity, pset, prop)
    except (AttributeError, TypeError, ValueError, RuntimeError, RecursionError):
        return None


def defined_by(entity: ifcopenshell.entity_instance) -> tuple:
    """``entity.IsDefinedBy`` (its type and property relationships), or ``()``
    when a malformed file makes it unreadable (a relationship set aside by
    :mod:`bimcheck.relcheck` that an inverse still names)."""
    try:
        return tuple(getattr(entity, "IsDefinedBy", None) or ())
    except RuntimeError:
        return ()


def property_definitions(entity: ifcopenshell.entity_instance) -> list:
    """The property and quantity sets (``IfcPropertySetDefinition``) the
    element's ``IfcRelDefinesByProperties`` relate, in the file's order, with
    an IFC4 ``IfcPropertySetDefinitionSet`` (several sets in one
    relationship) flattened, as ``ifcopenshell.util.element.get_psets`` does.
    A relationship or set a malformed file leaves unreadable is skipped."""
    out = []
    for rel in defined_by(entity):
        try:
            if not rel.is_a("IfcRelDefinesByProperties"):
                continue
            d = rel.RelatingPropertyDefinition
            if d is not None and d.is_a("IfcPropertySetDefinitionSet"):
                d = d.wrappedValue
            out.extend(x for x in (d if isinstance(d, tuple) else (d,))
                       if hasattr(x, "is_a") and x.is_a("IfcPropertySetDefinition"))
        except RuntimeError:  # a relationship set aside from a malformed file
            continue
    return out
