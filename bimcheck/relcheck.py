"""Relationships whose ends are missing or of the wrong type, set aside after a parse.

bimcheck reads a model's structure through its relationships: openings
voiding walls, elements contained in storeys, parts of assemblies, types,
property sets, materials. In a broken file an end of one may be missing
(IfcOpenShell reads a reference to an entity not in the file as ``None``, or
drops it from a list) or be an entity of another class than the schema
allows. Every reader would have to guard against that; instead, right after
the parse, :func:`set_aside_broken_relationships` removes each such
relationship from the parsed model, with one warning naming them, and the
model is read as if the file did not have them. The file itself is never
changed.

Checked: the relationship classes of :data:`ENDS` (about 60 ms on the 27 MB
Janesville model, which has 4,900 of them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    import ifcopenshell

#: ``relationship class -> {attribute: class its value (or each item) must
#: be}``; ``A|B`` for one of several (a select).
ENDS: dict[str, dict[str, str]] = {
    "IfcRelVoidsElement": {"RelatingBuildingElement": "IfcElement",
                           "RelatedOpeningElement": "IfcFeatureElementSubtraction"},
    "IfcRelFillsElement": {"RelatingOpeningElement": "IfcOpeningElement",
                           "RelatedBuildingElement": "IfcElement"},
    "IfcRelContainedInSpatialStructure": {"RelatedElements": "IfcProduct",
                                          "RelatingStructure": "IfcProduct"},
    "IfcRelAggregates": {"RelatingObject": "IfcObjectDefinition",
                         "RelatedObjects": "IfcObjectDefinition"},
    "IfcRelNests": {"RelatingObject": "IfcObjectDefinition",
                    "RelatedObjects": "IfcObjectDefinition"},
    "IfcRelDefinesByType": {"RelatedObjects": "IfcObject", "RelatingType": "IfcTypeObject"},
    "IfcRelDefinesByProperties": {"RelatedObjects": "IfcObjectDefinition"},
    "IfcRelAssociatesMaterial": {
        "RelatedObjects": "IfcRoot",
        "RelatingMaterial": "IfcMaterialDefinition|IfcMaterialUsageDefinition|IfcMaterial"
                            "|IfcMaterialList|IfcMaterialLayerSetUsage|IfcMaterialLayerSet"
                            "|IfcMaterialLayer"},
    "IfcRelAssociatesClassification": {
        "RelatedObjects": "IfcRoot",
        "RelatingClassification": "IfcClassificationReference|IfcClassification"
                                  "|IfcClassificationNotation"},
}


#: The ends of :data:`ENDS` that are lists; every other is one entity.
LIST_ENDS: frozenset[str] = frozenset({"RelatedObjects", "RelatedElements"})


def set_aside_broken_relationships(ifc: ifcopenshell.file,
                                   missing_referrers: frozenset[int]) -> list[str]:
    """Remove from ``ifc`` every relationship of :data:`ENDS` with an end that
    is missing (``None``, or an empty list) or of the wrong class; ``#id
    Class: why`` of each, in STEP-id order. ``missing_referrers`` (the
    entities that refer to one not in the file) only words the reason."""
    import ifcopenshell

    problems: list[tuple[int, str]] = []
    broken = []
    for cls, ends in ENDS.items():
        try:
            relationships = ifc.by_type(cls, include_subtypes=False)
        except RuntimeError:  # not in this schema
            continue
        for rel in relationships:
            why = None
            for attribute, expected in ends.items():
                if why is not None:
                    break
                value = getattr(rel, attribute, None)
                if isinstance(value, tuple) != (attribute in LIST_ENDS):
                    # (#28) where one entity belongs, or one where a list does
                    what = "a list" if isinstance(value, tuple) else "not a list"
                    why = f"its {attribute} is {what}, against the schema"
                    break
                items = value if isinstance(value, tuple) else (value,)
                if not items or any(v is None for v in items):
                    # A list keeps its other items (IfcOpenShell drops a
                    # missing one): only an empty one is missing.
                    why = (f"its {attribute} refers to an entity that is not in the file"
                           if rel.id() in missing_referrers else f"its {attribute} is missing")
                    break
                classes = expected.split("|")
                for v in items:
                    if not isinstance(v, ifcopenshell.entity_instance) or not any(
                            v.is_a(c) for c in classes):
                        shown = f"#{v.id()} {v.is_a()}" if isinstance(
                            v, ifcopenshell.entity_instance) else type(v).__name__
                        why = f"its {attribute} is {shown}, not an {' or '.join(classes)}"
                        break
            if why is not None:
                problems.append((rel.id(), f"#{rel.id()} {cls}: {why}"))
                broken.append(rel)
    for rel in broken:
        ifc.remove(rel)
    return [text for _, text in sorted(problems)]


def check_global_ids(ifc: ifcopenshell.file, path: Path) -> None:
    """:class:`~bimcheck.errors.BrokenModelError` naming the first rooted
    entity whose GlobalId is not text (a number, an entity, a list): every
    output and cache key treats GlobalIds as text (about 40 ms on Janesville,
    17,000 rooted entities). A missing GlobalId (``$``) is left to the readers,
    which name such an entity by its STEP id."""
    from bimcheck.errors import BrokenModelError

    for entity in ifc.by_type("IfcRoot"):
        gid = entity.GlobalId
        if gid is not None and not isinstance(gid, str):
            if isinstance(gid, bool):
                shown = f"the boolean {'.T.' if gid else '.F.'}"
            elif isinstance(gid, int | float):
                shown = f"the number {gid}"
            elif hasattr(gid, "is_a"):
                shown = f"#{gid.id()} {gid.is_a()}"
            else:
                shown = f"a {type(gid).__name__}"
            raise BrokenModelError(f"#{entity.id()} {entity.is_a()} has {shown} as its "
                                   "GlobalId, where IFC requires text", path=path)
