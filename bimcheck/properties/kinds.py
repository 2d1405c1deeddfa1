"""Property and attribute rules: the kinds of family ``property``.

Each rule selects elements with ``a`` and requires something of each
(:mod:`bimcheck.properties.requirement` for ``cardinality``, ``values``,
``min``/``max``, ``pattern``, ``datatype``):

* ``attribute``: an IFC attribute (``name: Name``, ``ObjectType``, ``Tag``...);
* ``property``: a property of a property set or a quantity of a quantity set
  (``pset: Pset_WallCommon``, ``property: FireRating``); the type's sets count
  unless ``inherit: false``; the occurrence's value wins over the type's;
* ``material``: the element's material names (layer, profile and constituent
  sets expanded; the type's when the occurrence has none);
* ``classification``: the element's classification codes (``system`` keeps
  only that classification system's);
* ``in_group``: the element is assigned to a group of class ``group``
  (default ``IfcSystem``: every duct segment in a system);
* ``contained_in``: the element is in a spatial element of class ``container``
  (default ``IfcBuildingStorey``), directly or through its aggregate, host
  or space.

One finding per element that fails, keyed by rule, kind, GlobalId and what
was checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ifcopenshell
import ifcopenshell.util.element

from bimcheck.findings import make_finding
from bimcheck.packs.registry import REGISTRY
from bimcheck.packs.schema import Kind, Param, Rule
from bimcheck.properties.requirement import REQUIREMENT_PARAMS, Found, problem
from bimcheck.relations import (
    get_classification_codes,
    get_material_names,
    get_parents,
    get_storey,
    property_definitions,
)

_RUN = "bimcheck.properties.kinds:run_property_rules"


def _name(value: str) -> str:
    value = value.strip()
    if not value or len(value) > 255:
        raise ValueError("expected a non-empty name of at most 255 characters")
    return value


def _ifc_class(value: str) -> str:
    if not value.startswith("Ifc") or not value.isalnum():
        raise ValueError(f"expected an IFC class name such as IfcSystem, got {value!r}")
    return value


for _kind, _doc, _own in (
    ("attribute", "an IFC attribute of the element",
     {"name": Param(str, None, "attribute name, e.g. Name or Tag", check=_name,
                    required=True)}),
    ("property", "a property (or quantity) of one of the element's sets",
     {"pset": Param(str, None, "property or quantity set name", check=_name, required=True),
      "property": Param(str, None, "property or quantity name", check=_name, required=True),
      "inherit": Param(bool, True, "the type's property sets count too")}),
    ("material", "the element's material names", {}),
    ("classification", "the element's classification codes",
     {"system": Param(str, None, "classification system (source) name", check=_name)}),
):
    REGISTRY.register(Kind(
        _kind, doc=_doc, params={**_own, **REQUIREMENT_PARAMS}, family="property",
        b_selector=False, run=_RUN,
    ))
REGISTRY.register(Kind(
    "in_group", doc="the element is assigned to a group (a system, a zone...)",
    params={"group": Param(str, "IfcSystem", "class of the group", check=_ifc_class)},
    family="property", b_selector=False, run=_RUN,
))
REGISTRY.register(Kind(
    "contained_in", doc="the element is in a spatial element of a class",
    params={"container": Param(str, "IfcBuildingStorey", "class of the spatial element",
                               check=_ifc_class)},
    family="property", b_selector=False, run=_RUN,
))

def run_property_rules(ctx: Any, rules: Sequence[Rule]) -> Any:
    """Findings of every property rule on every model."""
    from bimcheck.run import KindResult

    out = KindResult()
    for rule in rules:
        cov = {"rule": rule.id, "checked": 0, "findings": 0}
        for index, model in enumerate(ctx.models):
            for e in model.select(rule.a):
                if not getattr(e, "GlobalId", None):
                    continue
                cov["checked"] += 1
                why = _problem(rule, e)
                if why is not None:
                    out.findings.append(make_finding(
                        rule, rule.kind, why, [ctx.ref(index, e)], discriminator=_what(rule)))
                    cov["findings"] += 1
        out.coverage[rule.id] = cov
    return out


def _what(rule: Rule) -> str:
    p = rule.params
    if rule.kind == "attribute":
        return p["name"]
    if rule.kind == "property":
        return f"{p['pset']}.{p['property']}"
    if rule.kind == "classification":
        return f"classification {p['system']}" if p.get("system") else "classification"
    if rule.kind == "in_group":
        return f"group {p['group']}"
    if rule.kind == "contained_in":
        return f"container {p['container']}"
    return rule.kind


def _problem(rule: Rule, e: ifcopenshell.entity_instance) -> str | None:
    p = dict(rule.params)
    what = _what(rule)
    if rule.kind == "in_group":
        groups = [r.RelatingGroup for r in getattr(e, "HasAssignments", None) or ()
                  if r.is_a("IfcRelAssignsToGroup") and r.RelatingGroup is not None]
        if any(g.is_a(p["group"]) for g in groups):
            return None
        return f"{e.is_a()} is assigned to no {p['group']}"
    if rule.kind == "contained_in":
        if _contained(e, p["container"]):
            return None
        return f"{e.is_a()} is in no {p['container']}"
    return problem(what, _look_up(rule, e), p)


def _contained(e: ifcopenshell.entity_instance, cls: str) -> bool:
    if cls == "IfcBuildingStorey":
        return get_storey(e) is not None
    return any(parent.is_a(cls) for parent in get_parents(e))


def _look_up(rule: Rule, e: ifcopenshell.entity_instance) -> Found:
    p = rule.params
    if rule.kind == "attribute":
        name = p["name"]
        try:
            value = getattr(e, name)
        except AttributeError:
            return Found(False)
        if isinstance(value, ifcopenshell.entity_instance):
            wrapped = getattr(value, "wrappedValue", None)
            return Found(True, wrapped if wrapped is not None else value.is_a(), value.is_a())
        return Found(True, value, _attribute_type(e, name))
    if rule.kind == "property":
        return property_value(e, p["pset"], p["property"], inherit=p["inherit"])
    if rule.kind == "material":
        names = get_material_names(e)
        return Found(bool(names), list(names), "IfcLabel")
    if rule.kind == "classification":
        codes = get_classification_codes(e)
        system = p.get("system")
        if system:
            codes = tuple(c.split(":", 1)[1] for c in codes if c.split(":", 1)[0] == system)
        else:
            codes = tuple(c.split(":", 1)[-1] for c in codes)
        return Found(bool(codes), list(codes), "IfcIdentifier")
    raise ValueError(rule.kind)


def _attribute_type(e: ifcopenshell.entity_instance, name: str) -> str | None:
    try:
        attr = e.wrapped_data.declaration().as_entity().attribute_by_index(
            e.wrapped_data.get_argument_index(name))
        t = attr.type_of_attribute()
        while hasattr(t, "declared_type"):
            t = t.declared_type()
        return t.name() if hasattr(t, "name") else None
    except Exception:
        return None


def _definitions(e: ifcopenshell.entity_instance, inherit: bool) -> list[Any]:
    """The element's property and quantity sets, the occurrence's first."""
    out = property_definitions(e)
    if inherit:
        etype = ifcopenshell.util.element.get_type(e)
        if etype is not None:
            out.extend(getattr(etype, "HasPropertySets", None) or ())
    return out


def _is_value(v: object) -> bool:
    """Whether ``v`` is a typed value (``IFCLABEL('x')``), not nothing or an
    entity a malformed file put where a value belongs."""
    return v is not None and hasattr(v, "wrappedValue")


def property_value(e: ifcopenshell.entity_instance, pset: str, prop: str, *,
                   inherit: bool = True) -> Found:
    """``pset.prop`` of ``e`` (a property set's property or a quantity set's
    quantity), the occurrence's before the type's."""
    for d in _definitions(e, inherit):
        if getattr(d, "Name", None) != pset:
            continue
        if d.is_a("IfcElementQuantity"):
            for q in d.Quantities or ():
                if q is not None and q.is_a("IfcPhysicalQuantity") and q.Name == prop:
                    return Found(True, q[3], q.is_a())
        elif d.is_a("IfcPropertySet"):
            for item in d.HasProperties or ():
                if item is None or not item.is_a("IfcProperty") or item.Name != prop:
                    continue
                if item.is_a("IfcPropertySingleValue"):
                    v = item.NominalValue
                    if not _is_value(v):
                        return Found(False)  # none, or an entity where a value belongs
                    return Found(True, v.wrappedValue, v.is_a())
                if item.is_a("IfcPropertyEnumeratedValue") or item.is_a("IfcPropertyListValue"):
                    vals = [v for v in (item.EnumerationValues if item.is_a(
                        "IfcPropertyEnumeratedValue") else item.ListValues) or ()
                            if _is_value(v)]
                    return Found(bool(vals), [v.wrappedValue for v in vals],
                                 vals[0].is_a() if vals else None)
                return Found(True, item.is_a(), item.is_a())
    return Found(False)
