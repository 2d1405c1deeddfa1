"""Relations between elements that make a pair *not* a clash (ignore rules).

Built once per model from the IFC relationships, then asked per pair:

* ``filling_host``: a door or window (IfcRelFillsElement) and the element its
  opening voids (IfcRelVoidsElement);
* ``same_assembly``: parts of one aggregate or assembly that is not a spatial
  element (IfcRelAggregates, IfcRelNests), or a part and its whole;
* ``connected``: IfcRelConnectsElements and its subtypes
  (IfcRelConnectsPathElements: walls joined at a corner, ...), and MEP elements
  whose ports are connected (IfcRelConnectsPorts);
* ``same_system``: both assigned to one IfcSystem (IfcRelAssignsToGroup);
* ``same_property``: equal, non-empty values of a named property
  (``Pset.Property``, type values inherited).
"""

from __future__ import annotations

from collections import defaultdict

import ifcopenshell
import ifcopenshell.util.element

from bimcheck.relations import get_pset_safely


def _gid(entity: ifcopenshell.entity_instance | None) -> str | None:
    return getattr(entity, "GlobalId", None) if entity is not None else None


def _by_type(ifc: ifcopenshell.file, cls: str) -> list[ifcopenshell.entity_instance]:
    try:
        return ifc.by_type(cls)
    except RuntimeError:  # class not in this schema
        return []


class Relations:
    """The ignore relations of one model, keyed by GlobalId."""

    def __init__(self, ifc: ifcopenshell.file) -> None:
        self._ifc = ifc
        self.filling_pairs: set[frozenset[str]] = set()
        self.connected_pairs: set[frozenset[str]] = set()
        self.assembly_of: dict[str, str] = {}  # part GlobalId -> root aggregate GlobalId
        self.systems_of: dict[str, frozenset[str]] = {}
        self._properties: dict[str, dict[str, str | None]] = {}
        self._build()

    def _build(self) -> None:
        ifc = self._ifc
        # Fillings and their hosts.
        host_of_opening: dict[int, str] = {}
        for rel in _by_type(ifc, "IfcRelVoidsElement"):
            host = _gid(rel.RelatingBuildingElement)
            if host is not None and rel.RelatedOpeningElement is not None:
                host_of_opening[rel.RelatedOpeningElement.id()] = host
        for rel in _by_type(ifc, "IfcRelFillsElement"):
            opening, filling = rel.RelatingOpeningElement, _gid(rel.RelatedBuildingElement)
            host = host_of_opening.get(opening.id()) if opening is not None else None
            if host is not None and filling is not None and host != filling:
                self.filling_pairs.add(frozenset((host, filling)))
        # Connections between elements.
        for rel in _by_type(ifc, "IfcRelConnectsElements"):
            a, b = _gid(rel.RelatingElement), _gid(rel.RelatedElement)
            if a and b and a != b:
                self.connected_pairs.add(frozenset((a, b)))
        owner_of_port = self._port_owners()
        for rel in _by_type(ifc, "IfcRelConnectsPorts"):
            a = owner_of_port.get(rel.RelatingPort.id()) if rel.RelatingPort else None
            b = owner_of_port.get(rel.RelatedPort.id()) if rel.RelatedPort else None
            if a and b and a != b:
                self.connected_pairs.add(frozenset((a, b)))
        # Assemblies: every part maps to the root of its (non-spatial) decomposition.
        parent: dict[str, str] = {}
        for cls in ("IfcRelAggregates", "IfcRelNests"):
            for rel in _by_type(ifc, cls):
                whole = rel.RelatingObject
                if whole is None or whole.is_a("IfcSpatialElement") or whole.is_a(
                    "IfcSpatialStructureElement"
                ) or not whole.is_a("IfcProduct"):
                    continue
                for part in rel.RelatedObjects or ():
                    if part.is_a("IfcProduct") and not part.is_a("IfcPort"):
                        parent[part.GlobalId] = whole.GlobalId
        for part in parent:
            root, seen = part, {part}
            while root in parent and parent[root] not in seen:
                root = parent[root]
                seen.add(root)
            self.assembly_of[part] = root
        for root in set(self.assembly_of.values()):
            self.assembly_of.setdefault(root, root)
        # Systems.
        systems: dict[str, set[str]] = defaultdict(set)
        for rel in _by_type(ifc, "IfcRelAssignsToGroup"):
            group = rel.RelatingGroup
            if group is None or not group.is_a("IfcSystem"):
                continue
            for obj in rel.RelatedObjects or ():
                gid = _gid(obj)
                if gid:
                    systems[gid].add(group.GlobalId)
        self.systems_of = {k: frozenset(v) for k, v in systems.items()}

    def _port_owners(self) -> dict[int, str]:
        owners: dict[int, str] = {}
        for rel in _by_type(self._ifc, "IfcRelConnectsPortToElement"):  # IFC2X3 style
            if rel.RelatingPort is not None and _gid(rel.RelatedElement):
                owners[rel.RelatingPort.id()] = rel.RelatedElement.GlobalId
        for rel in _by_type(self._ifc, "IfcRelNests"):  # IFC4: ports nested in elements
            whole = rel.RelatingObject
            if whole is None or not whole.is_a("IfcElement"):
                continue
            for part in rel.RelatedObjects or ():
                if part.is_a("IfcPort"):
                    owners[part.id()] = whole.GlobalId
        return owners

    # -- questions ---------------------------------------------------------

    def is_filling_pair(self, a: str, b: str) -> bool:
        return frozenset((a, b)) in self.filling_pairs

    def is_connected(self, a: str, b: str) -> bool:
        return frozenset((a, b)) in self.connected_pairs

    def same_assembly(self, a: str, b: str) -> bool:
        ra, rb = self.assembly_of.get(a), self.assembly_of.get(b)
        return ra is not None and ra == rb

    def same_system(self, a: str, b: str) -> bool:
        return bool(self.systems_of.get(a, frozenset()) & self.systems_of.get(b, frozenset()))

    def property_value(self, gid: str, name: str) -> str | None:
        """The value of ``Pset.Property`` of an element, as text (None if unset)."""
        cache = self._properties.setdefault(name, {})
        if gid not in cache:
            pset, prop = name.split(".", 1)
            value = None
            try:
                element = self._ifc.by_guid(gid)
            except RuntimeError:
                element = None
            if element is not None:
                value = get_pset_safely(element, pset, prop)
            cache[gid] = None if value in (None, "") else str(value)
        return cache[gid]

def ignore_reason(ra: Relations, a: str, rb: Relations, b: str, ignore: dict) -> str | None:
    """The first ignore rule that excludes the pair (its name), or None.

    ``ra`` and ``rb`` are the relations of the models holding ``a`` and ``b``;
    ``ignore`` is a rule's ``params.ignore``. Elements of different models of a
    federation share no IFC relationships, so only ``same_property`` can apply.
    """
    if ra is rb:
        if ignore.get("filling_host") and ra.is_filling_pair(a, b):
            return "filling_host"
        if ignore.get("same_assembly") and ra.same_assembly(a, b):
            return "same_assembly"
        if ignore.get("connected") and ra.is_connected(a, b):
            return "connected"
        if ignore.get("same_system") and ra.same_system(a, b):
            return "same_system"
    name = ignore.get("same_property")
    if name:
        va = ra.property_value(a, name)
        if va is not None and va == rb.property_value(b, name):
            return "same_property"
    return None
