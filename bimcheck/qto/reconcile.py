"""Reconciliation: the base quantities a file declares against the ones measured.

Authoring tools export quantity sets (``IfcElementQuantity``) that are often
missing, stale or computed by other definitions. For every takeoff row whose
item and quantity name a declared quantity of the same element, the two are
compared; a relative difference over the pack's ``reconcile`` tolerance is a
:class:`Mismatch` ("declared NetVolume 2.90 m³, computed 2.59 m³, −10.7%").

A row matches a declared quantity when the element has a quantity set named
like the row's item (``Qto_WallBaseQuantities``) or, for a ``Qto_*`` item, the
set IFC2x3 exporters (Revit, ARCHICAD) write instead: ``BaseQuantities``;
and a quantity in it named like the row's quantity, of the same kind (length
against m, area against m², volume against m³, weight against kg, count
against 1). Declared values are converted to SI from their own unit, else
the project's unit for their kind. The difference is relative to the
declared value: (computed − declared) / declared.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import ifcopenshell
import ifcopenshell.util.unit

from bimcheck.qto.records import Mismatch
from bimcheck.relations import property_definitions

#: Quantity entity -> the unit of the rows it can be compared with.
_KINDS = {
    "IfcQuantityLength": "m",
    "IfcQuantityArea": "m2",
    "IfcQuantityVolume": "m3",
    "IfcQuantityWeight": "kg",
    "IfcQuantityCount": "1",
}

#: Differences smaller than this (in the row's unit) are never findings,
#: whatever the declared value (0 against 1e-9 is not a 100 % difference).
ABSOLUTE_FLOOR = 1e-6


@dataclass(frozen=True)
class Declared:
    """One quantity a file declares for an element, in SI units."""

    qset: str
    name: str
    unit: str
    value: float


def _scale(quantity: ifcopenshell.entity_instance, file: ifcopenshell.file, unit: str) -> float:
    if unit == "1":
        return 1.0
    named = ifcopenshell.util.unit.get_property_unit(quantity, file)
    if named is None:
        return 1.0  # no unit anywhere: SI by default
    scale = ifcopenshell.util.unit.get_unit_scale(named)
    # IfcOpenShell scales masses to grams (KILO GRAM is 1000): rows are in kg.
    return scale / 1000.0 if unit == "kg" else scale


def declared_quantities(
    element: ifcopenshell.entity_instance, file: ifcopenshell.file
) -> dict[tuple[str, str], Declared]:
    """``{(quantity set, quantity name): Declared}`` of one element, SI units."""
    out: dict[tuple[str, str], Declared] = {}
    for qset in property_definitions(element):
        if not qset.is_a("IfcElementQuantity"):
            continue
        for q in qset.Quantities or ():
            unit = _KINDS.get(q.is_a())
            value = q[3] if unit is not None else None  # LengthValue, AreaValue, ...
            if not isinstance(value, int | float) or not q.Name:
                continue
            try:
                scale = _scale(q, file, unit)
            except Exception:  # a malformed unit: skip the quantity
                continue
            out.setdefault((qset.Name or "", q.Name),
                           Declared(qset.Name or "", q.Name, unit, float(value) * scale))
    return out


def _candidates(item: str) -> tuple[str, ...]:
    if item.startswith("Qto_") and item.endswith("BaseQuantities"):
        return (item, "BaseQuantities")
    return (item,)


def reconcile(
    rows: Iterable[Any], elements: dict[str, ifcopenshell.entity_instance],
    file: ifcopenshell.file, tolerance: float,
) -> tuple[int, list[Mismatch]]:
    """``(rows compared, findings)`` for takeoff ``rows`` (with ``global_id``,
    ``item``, ``quantity``, ``unit``, ``value``) against what ``elements``
    (by GlobalId) declare; a finding when ``|difference| > tolerance``."""
    declared_by: dict[str, dict[tuple[str, str], Declared]] = {}
    compared = 0
    findings = []
    for row in rows:
        element = elements.get(row.global_id)
        if element is None:
            continue
        if row.global_id not in declared_by:
            declared_by[row.global_id] = declared_quantities(element, file)
        declared = next(
            (d for qset in _candidates(row.item)
             if (d := declared_by[row.global_id].get((qset, row.quantity))) is not None
             and d.unit == row.unit),
            None,
        )
        if declared is None:
            continue
        compared += 1
        delta = row.value - declared.value
        if abs(delta) < ABSOLUTE_FLOOR:
            continue
        difference = delta / declared.value if declared.value != 0 else None
        if difference is not None and abs(difference) <= tolerance:
            continue
        findings.append(Mismatch(
            global_id=row.global_id, ifc_class=row.ifc_class, name=row.name, storey=row.storey,
            rule=row.rule, item=row.item, quantity=row.quantity, unit=row.unit,
            qset=declared.qset, declared=declared.value, computed=row.value,
            difference=difference,
        ))
    findings.sort(key=lambda f: (f.item, f.quantity, f.global_id, f.rule))
    return compared, findings
