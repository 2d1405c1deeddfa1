"""Attribute, property and quantity values in SI units, for comparing revisions.

A revision re-exported in millimetres writes every length ×1000; comparing the
raw numbers would call every door's height changed. Values whose type is a
length, area or volume measure (attributes by their schema type, property
values by their measure entity, quantities by their class) are converted to
m, m², m³ with the model's own unit scales; everything else is kept as written.
"""

from __future__ import annotations

from typing import Any

import ifcopenshell
import ifcopenshell.util.unit

from bimcheck.relations import property_definitions

#: Measure types converted, and the unit type whose scale converts them.
_MEASURES = {
    "IfcLengthMeasure": "LENGTHUNIT",
    "IfcPositiveLengthMeasure": "LENGTHUNIT",
    "IfcNonNegativeLengthMeasure": "LENGTHUNIT",
    "IfcAreaMeasure": "AREAUNIT",
    "IfcVolumeMeasure": "VOLUMEUNIT",
}
_QUANTITIES = {"IfcQuantityLength": ("LengthValue", "LENGTHUNIT"),
               "IfcQuantityArea": ("AreaValue", "AREAUNIT"),
               "IfcQuantityVolume": ("VolumeValue", "VOLUMEUNIT"),
               "IfcQuantityCount": ("CountValue", None),
               "IfcQuantityWeight": ("WeightValue", None),
               "IfcQuantityTime": ("TimeValue", None)}


class ValueReader:
    """Reads an entity's attributes and property sets of one file in SI units."""

    def __init__(self, ifc: ifcopenshell.file, plain: Any) -> None:
        self.file = ifc
        self._plain = plain
        self._scales: dict[str, float] = {}
        self._attribute_units: dict[str, dict[str, str]] = {}
        self._schema = ifcopenshell.ifcopenshell_wrapper.schema_by_name(ifc.schema_identifier) \
            if hasattr(ifc, "schema_identifier") else None

    def scale(self, unit_type: str | None) -> float:
        """SI units per file unit of ``unit_type`` (1.0 for None)."""
        if unit_type is None:
            return 1.0
        if unit_type not in self._scales:
            try:
                self._scales[unit_type] = float(
                    ifcopenshell.util.unit.calculate_unit_scale(self.file, unit_type=unit_type))
            except Exception:  # no or malformed unit assignment: as written
                self._scales[unit_type] = 1.0
        return self._scales[unit_type]

    def _units_of(self, ifc_class: str) -> dict[str, str]:
        units = self._attribute_units.get(ifc_class)
        if units is None:
            units = {}
            try:
                decl = self._schema.declaration_by_name(ifc_class) if self._schema else None
                for attr in decl.all_attributes() if decl is not None else ():
                    declared = attr.type_of_attribute()
                    name = getattr(getattr(declared, "declared_type", lambda: None)(), "name",
                                   lambda: "")()
                    if name in _MEASURES:
                        units[attr.name()] = _MEASURES[name]
            except Exception:
                units = {}
            self._attribute_units[ifc_class] = units
        return units

    def attributes(self, entity: ifcopenshell.entity_instance,
                   skip: frozenset[str]) -> dict[str, Any]:
        """The entity's own attributes (not ``skip``), measures in SI units."""
        units = self._units_of(entity.is_a())
        out = {}
        for k, v in entity.get_info(recursive=False, include_identifier=False).items():
            if k in skip:
                continue
            if k in units and isinstance(v, int | float) and not isinstance(v, bool):
                v = float(v) * self.scale(units[k])
            out[k] = self._plain(v)
        return out

    def value(self, v: Any) -> Any:
        """A property value (a measure entity, a list, a plain value) in SI units."""
        if isinstance(v, ifcopenshell.entity_instance) and v.id() == 0:
            raw = v.wrappedValue
            unit = _MEASURES.get(v.is_a())
            if unit and isinstance(raw, int | float) and not isinstance(raw, bool):
                return float(raw) * self.scale(unit)
            return self._plain(raw)
        if isinstance(v, tuple | list):
            return [self.value(x) for x in v]
        return self._plain(v)

    def _property(self, p: ifcopenshell.entity_instance) -> Any:
        cls = p.is_a()
        if cls == "IfcPropertySingleValue":
            return self.value(p.NominalValue)
        if cls == "IfcPropertyEnumeratedValue":
            return self.value(p.EnumerationValues or ())
        if cls == "IfcPropertyListValue":
            return self.value(p.ListValues or ())
        if cls == "IfcPropertyBoundedValue":
            return {"lower": self.value(p.LowerBoundValue),
                    "upper": self.value(p.UpperBoundValue)}
        if cls == "IfcPropertyTableValue":
            return {"defining": self.value(p.DefiningValues or ()),
                    "defined": self.value(p.DefinedValues or ())}
        if cls == "IfcComplexProperty":
            return {q.Name: self._property(q) for q in (p.HasProperties or ())}
        if cls in _QUANTITIES:
            attr, unit = _QUANTITIES[cls]
            raw = getattr(p, attr, None)
            return None if raw is None else float(raw) * self.scale(unit)
        if cls == "IfcPhysicalComplexQuantity":
            return {q.Name: self._property(q) for q in (p.HasQuantities or ())}
        return self._plain(getattr(p, "Name", None))

    def definition(self, d: ifcopenshell.entity_instance) -> dict[str, Any] | None:
        """``{name: value}`` of a property set or element quantity, else None."""
        if d.is_a("IfcPropertySet"):
            items = d.HasProperties or ()
        elif d.is_a("IfcElementQuantity"):
            items = d.Quantities or ()
        else:
            return None
        return {str(p.Name): self._property(p) for p in items if getattr(p, "Name", None)}

    def psets(self, entity: ifcopenshell.entity_instance) -> dict[str, dict[str, Any]]:
        """Property and quantity sets defined on the entity itself (an occurrence
        through IfcRelDefinesByProperties, a type through HasPropertySets)."""
        definitions = property_definitions(entity)
        definitions.extend(getattr(entity, "HasPropertySets", None) or ())
        out: dict[str, dict[str, Any]] = {}
        for d in sorted((d for d in definitions if d is not None), key=lambda d: d.id()):
            props = self.definition(d)
            if props is not None and getattr(d, "Name", None):
                out.setdefault(str(d.Name), {}).update(props)
        return out
