"""Property edits for :mod:`bimcheck.testing.revisions`: set a single value or
a quantity keeping its IFC value class, on an element's own set (unshared
first), on a type, or in a new set; new rooted entities get derived GlobalIds
and the owner's owner history (never the clock).
"""

from __future__ import annotations

from typing import Any

import ifcopenshell
import ifcopenshell.util.element

from bimcheck.testing.revtools import RevisionError, derived_guid, owner_history


def ifc_value(f: ifcopenshell.file, value: Any, like: ifcopenshell.entity_instance | None = None):
    """An IfcValue entity for ``value``: the class of ``like`` when given, else
    IfcBoolean / IfcInteger / IfcReal / IfcLabel from the Python type."""
    if like is not None:
        cls = like.is_a()
    elif isinstance(value, bool):
        cls = "IfcBoolean"
    elif isinstance(value, int):
        cls = "IfcInteger"
    elif isinstance(value, float):
        cls = "IfcReal"
    else:
        cls, value = "IfcLabel", str(value)
    return f.create_entity(cls, value)


def occurrence_psets(element: ifcopenshell.entity_instance) -> list[tuple[Any, Any]]:
    """(IfcRelDefinesByProperties, property definition) of the element's own sets."""
    rels = getattr(element, "IsDefinedBy", None) or ()
    return [
        (r, r.RelatingPropertyDefinition) for r in rels if r.is_a("IfcRelDefinesByProperties")
    ]


def _own_pset(
    f: ifcopenshell.file, element: ifcopenshell.entity_instance, name: str, seed: str
) -> ifcopenshell.entity_instance | None:
    """The element's own property set ``name``, made exclusive to it first if
    it was shared with other objects (a deep copy with derived GlobalIds)."""
    for rel, pset in occurrence_psets(element):
        if getattr(pset, "Name", None) != name:
            continue
        users = [o for r in _defining_rels(f, pset) for o in r.RelatedObjects]
        if len(users) == 1:
            return pset
        copy = ifcopenshell.util.element.copy_deep(f, pset)
        copy.GlobalId = derived_guid(f"{element.GlobalId}/{name}", seed)
        rel.RelatedObjects = [o for o in rel.RelatedObjects if o != element]
        f.create_entity(
            "IfcRelDefinesByProperties",
            GlobalId=derived_guid(f"{element.GlobalId}/{name}/rel", seed),
            OwnerHistory=owner_history(rel), RelatedObjects=[element],
            RelatingPropertyDefinition=copy,
        )
        return copy
    return None


def _defining_rels(f: ifcopenshell.file, pset: ifcopenshell.entity_instance) -> list:
    return [r for r in f.get_inverse(pset) if r.is_a("IfcRelDefinesByProperties")]


def new_pset(
    f: ifcopenshell.file, owner: ifcopenshell.entity_instance, name: str, seed: str
) -> ifcopenshell.entity_instance:
    """An empty-looking property set ``name`` on ``owner`` (an occurrence through
    a new IfcRelDefinesByProperties, a type in its HasPropertySets); filled by
    :func:`set_value` (IFC needs at least one property, so callers add one)."""
    key = f"{owner.GlobalId}/{name}"
    pset = f.create_entity(
        "IfcPropertySet", GlobalId=derived_guid(key, seed), OwnerHistory=owner_history(owner),
        Name=name, HasProperties=[],
    )
    if owner.is_a("IfcTypeObject"):
        owner.HasPropertySets = (*(owner.HasPropertySets or ()), pset)
    else:
        f.create_entity(
            "IfcRelDefinesByProperties", GlobalId=derived_guid(key + "/rel", seed),
            OwnerHistory=owner_history(owner), RelatedObjects=[owner],
            RelatingPropertyDefinition=pset,
        )
    return pset


def set_value(
    f: ifcopenshell.file, pset: ifcopenshell.entity_instance, prop: str, value: Any
) -> Any:
    """Set a single value (property set) or a quantity value (element quantity)
    ``prop`` to ``value``, keeping its IFC value class; returns the old value
    (None when the property is new). A property or quantity entity that other
    sets share (exporters write an identical one once) is copied for this set
    first, so the others keep their value."""
    if pset.is_a("IfcElementQuantity"):
        for q in pset.Quantities:
            if q.Name == prop and q.is_a("IfcPhysicalSimpleQuantity"):
                q = _own(f, pset, "Quantities", q)
                old = q[3]
                q[3] = float(value)
                return old
        raise RevisionError(f"no quantity {prop!r} in {pset.Name!r}")
    for p in pset.HasProperties or ():
        if p.Name != prop:
            continue
        if not p.is_a("IfcPropertySingleValue"):
            raise RevisionError(f"{pset.Name}.{prop} is a {p.is_a()}, not a single value")
        p = _own(f, pset, "HasProperties", p)
        old_value = p.NominalValue
        p.NominalValue = ifc_value(f, value, like=old_value)
        return None if old_value is None else old_value.wrappedValue
    p = f.create_entity(
        "IfcPropertySingleValue", Name=prop, NominalValue=ifc_value(f, value)
    )
    pset.HasProperties = (*(pset.HasProperties or ()), p)
    return None


def _own(f: ifcopenshell.file, pset, attribute: str, item):
    """``item`` (a property or quantity of ``pset``), copied into ``pset``
    alone when anything else refers to it too."""
    if f.get_total_inverses(item) <= 1:
        return item
    copy = ifcopenshell.util.element.copy(f, item)
    setattr(pset, attribute, tuple(copy if x == item else x for x in getattr(pset, attribute)))
    return copy


def set_occurrence_property(
    f: ifcopenshell.file, element: ifcopenshell.entity_instance, pset_name: str, prop: str,
    value: Any, seed: str,
) -> Any:
    """Set ``pset_name.prop`` on the element itself (its own set, unshared
    first; a new occurrence set overriding the type's when it has none).
    Returns the value the element had before (inherited ones included)."""
    before = ifcopenshell.util.element.get_psets(element).get(pset_name, {}).get(prop)
    pset = _own_pset(f, element, pset_name, seed)
    if pset is None:
        pset = new_pset(f, element, pset_name, seed)
    set_value(f, pset, prop, value)
    return before


def type_pset(
    f: ifcopenshell.file, etype: ifcopenshell.entity_instance, name: str, seed: str
) -> ifcopenshell.entity_instance:
    """The type's property set ``name`` (copied first when another type shares
    it; created when missing)."""
    for pset in etype.HasPropertySets or ():
        if getattr(pset, "Name", None) != name:
            continue
        owners = [t for t in f.get_inverse(pset) if t.is_a("IfcTypeObject")]
        if len(owners) > 1:
            copy = ifcopenshell.util.element.copy_deep(f, pset)
            copy.GlobalId = derived_guid(f"{etype.GlobalId}/{name}", seed)
            etype.HasPropertySets = tuple(copy if p == pset else p for p in etype.HasPropertySets)
            return copy
        return pset
    return new_pset(f, etype, name, seed)
