"""The IDS 1.0 rules an XSD cannot express, checked against the IFC schemas
each specification names in ``ifcVersion``.

An IDS that breaks one of these is not valid IDS 1.0 (the buildingSMART test
cases ``invalid-*``); :func:`check_conformance` raises
:class:`~bimcheck.errors.IdsError` naming the specification, the facet and
the parameter:

* a prohibited specification (``maxOccurs="0"``) has no requirements, and
  ``minOccurs`` is not above ``maxOccurs``;
* an entity name is an IFC class of one of the listed schemas, written in
  upper case; a ``predefinedType`` is given only for a class that has one
  (its own ``PredefinedType``, or its type object's) in every listed schema
  where the class exists;
* a requirements entity facet accepts the class(es) the applicability names
  (otherwise the requirement can never be met);
* an attribute name is a direct (not inverse, not derived) attribute of the
  applicable class; a value is only given for an attribute whose type is a
  simple value (not an object, a select or a list), and it is written in the
  lexical form of that type (``42`` for an integer, ``42.3`` or ``4.23e1`` for a
  real, ``true``/``false`` for a boolean); a pattern is only given for text;
* a property ``dataType`` is an IFC data type, and a value is written in the
  lexical form of its underlying type, as for attributes;
* every pattern is a valid XSD regular expression; every bound is a number.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import ifcopenshell.ifcopenshell_wrapper as ifc_wrapper
from ifctester.facet import Attribute, Entity, Facet, PartOf, Property, Restriction

from bimcheck.errors import IdsError
from bimcheck.ids.facets import facet_kind, value_text
from bimcheck.ids.values import (
    IdsValue,
    compile_pattern,
    express_base,
    is_lexical,
    parse_number,
)

#: What a value of each XSD base is, in words.
_BASE_WORDS = {"double": "a number (real)", "integer": "an integer", "boolean": "a boolean"}

_BOUNDS = ("minInclusive", "minExclusive", "maxInclusive", "maxExclusive")

#: How a simple value must be written, by XSD base, for the error message.
_LEXICAL_HINT = {
    "double": "a number such as 42, 42.3 or 4.23e1 (decimal point, no comma)",
    "integer": "an integer such as 42 (no decimal point)",
    "boolean": "true or false, in lower case",
}


@lru_cache(maxsize=8)
def _schema(version: str) -> Any:
    try:
        return ifc_wrapper.schema_by_name(version)
    except (RuntimeError, ValueError):
        return None


def _declaration(version: str, name: str) -> Any:
    schema = _schema(version)
    if schema is None:
        return None
    try:
        return schema.declaration_by_name(name)
    except (RuntimeError, ValueError):
        return None


def _entity(version: str, name: str) -> Any:
    decl = _declaration(version, name)
    return decl if decl is not None and decl.as_entity() is not None else None


class _Where:
    """Builds the ``field`` of an error: specification, clause, facet, parameter."""

    def __init__(self, path: Path, spec: Any) -> None:
        self.path = path
        self.spec = spec

    def fail(self, clause: str | None, facet: Facet | None, param: str | None, message: str):
        parts = [f"specification '{self.spec.name}'"]
        if clause:
            parts.append(clause)
        if facet is not None:
            parts.append(f"{facet_kind(facet)} facet")
        if param:
            parts.append(param)
        raise IdsError(message, path=self.path, field=": ".join(parts))


def check_conformance(doc: Any) -> None:
    """Raise :class:`~bimcheck.errors.IdsError` at the first IDS 1.0 rule
    ``doc`` (an :class:`~bimcheck.ids.load.IdsDocument`) breaks."""
    for spec in doc.specifications:
        where = _Where(doc.path, spec)
        _check_cardinality(where, spec)
        versions = [v for v in spec.ifcVersion if _schema(v) is not None]
        applicable = _applicable_classes(spec)
        for clause, facet in _facets(spec):
            _check_restrictions(where, clause, facet)
            if isinstance(facet, Entity | PartOf):
                _check_entity_names(where, clause, facet, versions)
            if isinstance(facet, Entity) and clause == "requirements" and applicable:
                _check_entity_reachable(where, facet, applicable)
            if isinstance(facet, Attribute) and applicable:
                _check_attribute(where, clause, facet, versions, applicable)
            if isinstance(facet, Property):
                _check_property(where, clause, facet, versions)


def _facets(spec: Any) -> Iterator[tuple[str, Facet]]:
    for facet in spec.applicability:
        yield "applicability", facet
    for facet in spec.requirements:
        yield "requirements", facet


def _check_cardinality(where: _Where, spec: Any) -> None:
    low, high = spec.minOccurs, spec.maxOccurs
    if high != "unbounded" and int(low) > int(high):
        where.fail("applicability", None, None,
                   f"minOccurs ({low}) is greater than maxOccurs ({high})")
    if high == 0 and spec.requirements:
        where.fail("requirements", None, None,
                   "a prohibited specification (maxOccurs=\"0\") cannot have requirements: "
                   "it fails wherever its applicability matches; move the facets to the "
                   "applicability or make the specification required")


def _names(value: Any) -> list[str] | None:
    """The names a simple value or an enumeration lists (``None`` for a pattern...)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Restriction) and set(value.options) == {"enumeration"}:
        raw = value.options["enumeration"]
        return [str(v) for v in (raw if isinstance(raw, list) else [raw])]
    return None


def _applicable_classes(spec: Any) -> list[str]:
    """The IFC classes the applicability's entity facet names, when it lists them."""
    for facet in spec.applicability:
        if isinstance(facet, Entity):
            return [n.upper() for n in _names(facet.name) or []]
    return []


def _accepts(value: Any, text: str) -> bool:
    if isinstance(value, str):
        return value == text
    wrapped = IdsValue.from_parsed(value)
    return wrapped is not None and wrapped.accepts_text(text)


# -- restrictions --------------------------------------------------------------


def _params(facet: Facet) -> Iterator[tuple[str, Any]]:
    for name in facet.parameters:
        if not name.startswith("@"):
            yield name, getattr(facet, name, None)


def _check_restrictions(where: _Where, clause: str, facet: Facet) -> None:
    """Every pattern compiles (XSD syntax) and every bound is a number."""
    for param, value in _params(facet):
        if not isinstance(value, Restriction):
            continue
        for kind, raw in value.options.items():
            for item in raw if isinstance(raw, list) else [raw]:
                if kind == "pattern":
                    try:
                        compile_pattern(str(item))
                    except ValueError as exc:
                        where.fail(clause, facet, param,
                                   f"pattern '{item}' is not a valid XSD regular expression: {exc}")
                elif kind in _BOUNDS and parse_number(str(item)) is None:
                    where.fail(clause, facet, param, f"{kind} '{item}' is not a number")


# -- entities -----------------------------------------------------------------


def _check_entity_names(where: _Where, clause: str, facet: Facet, versions: list[str]) -> None:
    names = _names(facet.name)
    if not names:
        return
    listed = ", ".join(versions) or "no known schema"
    for name in names:
        if name != name.upper():
            where.fail(clause, facet, "name",
                       f"'{name}' must be written in upper case ('{name.upper()}')")
        found = [v for v in versions if _entity(v, name) is not None]
        if not found:
            where.fail(clause, facet, "name", f"{name} is not an IFC class in {listed}")
        if facet.predefinedType is None:
            continue
        for version in found:
            if not _has_predefined_type(version, name):
                where.fail(clause, facet, "predefinedType",
                           f"{name} has no predefined type in {version} (listed in ifcVersion)")


def _has_predefined_type(version: str, name: str) -> bool:
    """Whether the class, or its type object class, has a ``PredefinedType``."""
    for candidate in (name, name + "TYPE", name + "STYLE"):
        decl = _entity(version, candidate)
        if decl is not None and any(
            a.name() == "PredefinedType" for a in decl.as_entity().all_attributes()
        ):
            return True
    return False


def _check_entity_reachable(where: _Where, facet: Entity, applicable: list[str]) -> None:
    for name in applicable:
        if not _accepts(facet.name, name):
            where.fail("requirements", facet, "name",
                       f"the applicability selects {name}, which this requirement "
                       f"({value_text(facet.name)}) never accepts: it can never be met")


# -- attributes and properties --------------------------------------------------------


def _value_kind(attr_type: Any) -> str:
    """``object``, ``select``, ``list`` or the XSD base of an attribute's type."""
    t = attr_type
    for _ in range(32):  # defined types nest a few levels at most
        if isinstance(t, ifc_wrapper.named_type):
            t = t.declared_type()
        elif isinstance(t, ifc_wrapper.entity):
            return "object"
        elif isinstance(t, ifc_wrapper.select_type):
            return "select"
        elif isinstance(t, ifc_wrapper.enumeration_type):
            return "string"
        elif isinstance(t, ifc_wrapper.type_declaration):
            t = t.declared_type()
        elif isinstance(t, ifc_wrapper.aggregation_type):
            return "list"
        elif isinstance(t, ifc_wrapper.simple_type):
            return express_base(t.declared_type())
        else:
            break
    return "string"


_KIND_WORDS = {
    "object": "it refers to an object",
    "select": "it is a select (its value may be an object or one of several types)",
    "list": "it is a list",
}


def _check_attribute(
    where: _Where, clause: str, facet: Attribute, versions: list[str], applicable: list[str]
) -> None:
    matched: list[tuple[str, str, Any]] = []  # (class, attribute, type)
    inverse_of: str | None = None
    known: list[str] = []
    for version in versions:
        for cls in applicable:
            decl = _entity(version, cls)
            if decl is None:
                continue
            known.append(cls)
            entity = decl.as_entity()
            forward = {a.name(): a for a in entity.all_attributes()}
            if isinstance(facet.name, str):
                if facet.name in forward:
                    matched.append((cls, facet.name, forward[facet.name].type_of_attribute()))
                elif facet.name in {i.name() for i in entity.all_inverse_attributes()}:
                    inverse_of = cls
            else:
                matched.extend(
                    (cls, n, a.type_of_attribute()) for n, a in forward.items()
                    if _accepts(facet.name, n)
                )
    if not known:
        return
    if not matched and isinstance(facet.name, str):
        if inverse_of:
            where.fail(clause, facet, "name",
                       f"{facet.name} is an inverse attribute of {inverse_of}; IDS checks only "
                       "direct attributes")
        classes = ", ".join(sorted(set(known)))
        where.fail(clause, facet, "name",
                   f"{facet.name} is not an attribute of {classes} in {', '.join(versions)} "
                   "(derived and inverse attributes cannot be checked)")
    if facet.value is None:
        return
    for cls, name, attr_type in matched:
        kind = _value_kind(attr_type)
        if kind in _KIND_WORDS:
            where.fail(clause, facet, "value",
                       f"a value cannot be checked on {cls}.{name}: {_KIND_WORDS[kind]}")
        _check_value(where, clause, facet, facet.value, kind, f"{cls}.{name}")


def _check_property(where: _Where, clause: str, facet: Property, versions: list[str]) -> None:
    if not facet.dataType:
        return
    data_type = str(facet.dataType)
    kinds = []
    for version in versions:
        decl = _declaration(version, data_type)
        if decl is not None and decl.as_entity() is None:
            kinds.append(_value_kind(decl))
    if not kinds:
        where.fail(clause, facet, "dataType",
                   f"{data_type} is not an IFC data type in {', '.join(versions)}")
    if facet.value is None:
        return
    for kind in sorted(set(kinds)):
        _check_value(where, clause, facet, facet.value, kind, data_type)


def _check_value(
    where: _Where, clause: str, facet: Facet, value: Any, base: str, what: str
) -> None:
    """A value written in the lexical form of ``base``; patterns only for text."""
    if not isinstance(value, IdsValue):
        value = IdsValue.from_parsed(value)
    if value is None:
        return
    hint = _LEXICAL_HINT.get(base)
    if value.simple is not None:
        if hint and not is_lexical(value.simple, base):
            where.fail(clause, facet, "value",
                       f"'{value.simple}' is not a valid value for {what}: write {hint}")
        return
    if "pattern" in value.options and base not in ("string", "logical"):
        where.fail(clause, facet, "value",
                   f"a pattern only applies to text, but {what} is {_BASE_WORDS.get(base, base)}")
    raw = value.options.get("enumeration")
    for item in raw if isinstance(raw, list) else ([raw] if raw is not None else []):
        if hint and not is_lexical(str(item), base):
            where.fail(clause, facet, "value",
                       f"enumeration value '{item}' is not a valid value for {what}: write {hint}")
