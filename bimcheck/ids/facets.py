"""IDS facets: ifctester's six facets, corrected where ifctester 0.9.0 does
not follow IDS 1.0, and their descriptions in plain words.

What is corrected (each has a unit test in ``tests/unit/test_ids.py``):

* attribute and property ``value``: compared by :class:`~bimcheck.ids.values.IdsValue`
  (reals with the IDS tolerance, absolute and relative; exclusive bounds beyond
  the tolerance), where ifctester applies only a relative tolerance to simple
  values and none at all to bounds or enumerations;
* an optional attribute (``cardinality="optional"``) whose value is null
  passes: IDS 1.0 only checks an optional attribute that is given; ifctester
  fails it as "empty".

Entity, classification, material and partOf facets are ifctester's own.
"""

from __future__ import annotations

from typing import Any

import ifcopenshell
from ifctester.facet import (
    Attribute,
    AttributeResult,
    Classification,
    Entity,
    Facet,
    Material,
    PartOf,
    Property,
    Restriction,
    Result,
)

from bimcheck.ids.values import IdsValue


def _wrap_value(raw: Any, parsed: Any) -> IdsValue | None:
    """An :class:`IdsValue` for a facet's ``value`` (``raw`` is the decoded XML)."""
    if parsed is None:
        return None
    value = IdsValue.from_parsed(parsed)
    if value is not None and isinstance(raw, dict) and isinstance(raw.get("restriction"), dict):
        base = str(raw["restriction"].get("@base", "xs:string"))
        value.base = base.rsplit(":", 1)[-1]
    return value


class IdsAttribute(Attribute):
    """ifctester's attribute facet with IDS 1.0 value comparison, and an
    optional attribute that is null passing."""

    def parse(self, xml: dict[str, Any]) -> IdsAttribute:
        """Parse the decoded ``<attribute>`` element."""
        raw = xml.get("value")
        super().parse(xml)
        self.value = _wrap_value(raw, self.value)
        return self

    def __call__(self, inst: ifcopenshell.entity_instance, logger: Any = None) -> AttributeResult:
        """Check one element. An optional attribute that is null (``$``) passes."""
        if self.cardinality == "optional" and _all_null(inst, self.name):
            return AttributeResult(True)
        return super().__call__(inst, logger)


def _all_null(inst: ifcopenshell.entity_instance, name: Any) -> bool:
    """Whether every forward attribute of ``inst`` that ``name`` selects is null
    (``False`` when it selects none: ifctester handles a missing attribute)."""
    if isinstance(name, str):
        names = [name]
    else:
        names = [inst.attribute_name(i) for i in range(len(inst))]
        names = [n for n in names if name == n]
    # category 1: a forward attribute (0: no such attribute, 2: an inverse one)
    values = [getattr(inst, n, None) for n in names if inst.get_attribute_category(n) == 1]
    return bool(values) and all(v is None for v in values)


class IdsProperty(Property):
    """ifctester's property facet with IDS 1.0 value comparison."""

    def parse(self, xml: dict[str, Any]) -> IdsProperty:
        """Parse the decoded ``<property>`` element."""
        raw = xml.get("value")
        super().parse(xml)
        self.value = _wrap_value(raw, self.value)
        return self


#: Facet class for each IDS element name.
FACET_CLASSES: dict[str, type[Facet]] = {
    "entity": Entity,
    "partOf": PartOf,
    "classification": Classification,
    "attribute": IdsAttribute,
    "property": IdsProperty,
    "material": Material,
}

#: The facet kind (IDS element name) of each facet class.
FACET_KINDS: dict[type[Facet], str] = {cls: kind for kind, cls in FACET_CLASSES.items()}


def facet_kind(facet: Facet) -> str:
    """IDS element name of a facet: ``entity``, ``attribute``, ``property`` ..."""
    for cls, kind in FACET_KINDS.items():
        if isinstance(facet, cls):
            return kind
    return type(facet).__name__.lower()


def value_text(value: Any) -> str:
    """Short text for an IDS value (a simple value or a restriction)."""
    if isinstance(value, IdsValue):
        return str(value)
    if isinstance(value, Restriction):
        return str(IdsValue.from_parsed(value))
    return str(value)


def _quoted(value: Any) -> str:
    """A simple value in quotes, a restriction in words (``matching /A.*/``)."""
    text = value_text(value)
    return f"'{text}'" if _is_simple(value) else text


def _is_simple(value: Any) -> bool:
    return isinstance(value, str) or getattr(value, "simple", None) is not None


def _named(noun: str, value: Any) -> str:
    """``IFCWALL`` or ``an entity matching /IFC.*/`` (restrictions get the noun)."""
    return value_text(value) if _is_simple(value) else f"{noun} {value_text(value)}"


def facet_subject(facet: Facet) -> str:
    """What a facet is about, in words: ``Pset_WallCommon.FireRating``, ``attribute Name``..."""
    if isinstance(facet, Entity):
        text = f"class {_named('', facet.name).strip()}"
        if facet.predefinedType is not None:
            text += f" with predefined type {_quoted(facet.predefinedType)}"
        return text
    if isinstance(facet, Attribute):
        return f"attribute {_named('', facet.name).strip()}"
    if isinstance(facet, Property):
        if _is_simple(facet.propertySet) and _is_simple(facet.baseName):
            return f"{value_text(facet.propertySet)}.{value_text(facet.baseName)}"
        return (f"property {_named('', facet.baseName).strip()} in property set "
                f"{_named('', facet.propertySet).strip()}")
    if isinstance(facet, Classification):
        parts = []
        if facet.value is not None:
            parts.append(f"reference {_quoted(facet.value)}")
        if facet.system is not None:
            parts.append(f"in system {_quoted(facet.system)}")
        return "classification " + " ".join(parts) if parts else "a classification"
    if isinstance(facet, Material):
        return f"material {_quoted(facet.value)}" if facet.value is not None else "a material"
    if isinstance(facet, PartOf):
        text = "part of"
        if facet.name is not None:
            text += f" {_named('an entity', facet.name)}"
            if facet.predefinedType is not None:
                text += f" with predefined type {_quoted(facet.predefinedType)}"
        else:
            text += " anything"
        if facet.relation:
            text += f" via {facet.relation}"
        return text
    return type(facet).__name__


def _expected(facet: Facet) -> str:
    """The value an attribute or property facet asks for (``'X'``, ``>= 0``), or ``""``."""
    value = getattr(facet, "value", None)
    if isinstance(facet, Attribute | Property) and value is not None:
        return _quoted(value)
    return ""


def _constraint(facet: Facet) -> str:
    """The value part of an attribute or property facet (`` = 'X'``, `` of type IFCREAL``)."""
    text = ""
    expected = _expected(facet)
    if expected:
        text += f" = {expected}" if _is_simple(facet.value) else f" {expected}"
    if isinstance(facet, Property) and facet.dataType:
        text += f" of type {facet.dataType}"
    return text


def describe_requirement(facet: Facet) -> str:
    """One line a user reads: ``Pset_WallCommon.FireRating is required`` ..."""
    cardinality = "required" if isinstance(facet, Entity) else facet.cardinality
    verb = {
        "required": "is required",
        "prohibited": "is prohibited",
        "optional": "is optional, checked where given",
    }.get(cardinality, f"is {cardinality}")
    return f"{facet_subject(facet)}{_constraint(facet)} {verb}"


def describe_applicability(facet: Facet) -> str:
    """A facet of the applicability, in words (``class IFCWALL``, ``Pset_X.Y = 'Z'``)."""
    return f"{facet_subject(facet)}{_constraint(facet)}"


#: Longest actual value quoted in a message, in characters.
_ACTUAL_LIMIT = 120


def _actual_text(actual: Any) -> str:
    if actual is None:
        return "null"
    if isinstance(actual, ifcopenshell.entity_instance):
        return f"#{actual.id()} {actual.is_a()}"
    if isinstance(actual, set):
        actual = sorted(str(a) for a in actual if a is not None)
    if isinstance(actual, list | tuple):
        text = "[" + ", ".join(_actual_text(a) for a in actual) + "]"
    else:
        text = repr(actual)
    return text if len(text) <= _ACTUAL_LIMIT else text[: _ACTUAL_LIMIT - 3] + "..."


def explain_failure(facet: Facet, result: Result) -> str:
    """One line saying why ``result`` (a failed facet check) failed, with the
    actual value where ifctester reports one."""
    reason = result.reason if isinstance(result.reason, dict) else {}
    kind = reason.get("type")
    actual = _actual_text(reason["actual"]) if "actual" in reason else None
    subject = facet_subject(facet)
    expected = _expected(facet)
    if kind == "PROHIBITED":
        return f"{subject}{_constraint(facet)} is present, but it is prohibited"
    if kind == "NOPSET":
        return f"property set {value_text(facet.propertySet)} is missing"
    if kind == "NOVALUE":
        if isinstance(facet, Classification | Material):
            return f"the entity has no {facet_kind(facet)}" + (
                "" if subject.startswith("a ") else f" ({subject} required)")
        if isinstance(facet, PartOf):
            return f"the entity has no {facet.relation or 'such'} relation ({subject} required)"
        return f"{subject} is missing or has no value"
    if kind == "FALSEY":
        return f"{subject} has no value ({actual})"
    if kind == "VALUE":
        if isinstance(facet, Classification):
            return f"classification references are {actual}, expected {_quoted(facet.value)}"
        if isinstance(facet, Material):
            return f"materials are {actual}, expected {_quoted(facet.value)}"
        return f"{subject} is {actual}, expected {expected or 'another value'}"
    if kind == "DATATYPE":
        return f"{subject} has data type {reason.get('actual')}, expected {facet.dataType}"
    if kind == "NAME":
        return f"class is {reason.get('actual')}, expected {value_text(facet.name)}"
    if kind == "PREDEFINEDTYPE":
        return f"predefined type is {actual}, expected {_quoted(facet.predefinedType)}"
    if kind == "ENTITY":
        return f"related to {actual}, expected {value_text(facet.name)}"
    if kind == "SYSTEM":
        return f"classification systems are {actual}, expected {_quoted(facet.system)}"
    return f"{subject} does not meet the requirement"
