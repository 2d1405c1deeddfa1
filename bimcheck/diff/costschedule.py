"""A change order written into a copy of the new model as an ``IfcCostSchedule``
(``bimcheck price --ifc-cost-schedule OUT.ifc``), with ``ifcopenshell.api.cost``.

The schedule (``PredefinedType`` USERDEFINED, ``ObjectType`` ``CHANGEORDER``,
the totals in its ``Description``) holds one top-level ``IfcCostItem`` per
rate code (``Identification`` the code, ``Name`` the description, one
``IfcCostValue`` "rate" with the unit price) and under it one sub-item per
change-order line and one per deviation adjustment:

* a line's item has one quantity, the size of its delta (IFC quantities are
  never negative) in the takeoff's unit, given explicitly on the quantity
  (``IfcSIUnit``: metre, square or cubic metre, kilogram, tonne as megagram;
  ``IfcQuantityCount`` for counts), and one cost value, the rate signed like
  the delta, so that quantity × value is the line's amount (a credit for a
  decrease). The exact rounded amount, the status and the change are in its
  ``Description``. It controls its element (``IfcRelAssignsToControl``); a
  removed element is not in this model, so its item names the old GlobalId
  instead.
* an adjustment's item has the quantity re-priced and the value
  rate × (factor − 1).

Lines without a rate go under one more top-level item, ``UNPRICED``, with
their quantities and no value. The table's currency is the project's
monetary unit (added when the model has none; a different one is an
error). GlobalIds of everything written are uuid5 of the new model's and
the rate table's digests and the STEP id, so the same inputs give the same file.
"""

from __future__ import annotations

import contextlib
import io
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import ifcopenshell
import ifcopenshell.guid

from bimcheck.diff.order import ChangeOrder, Line
from bimcheck.errors import OutputError
from bimcheck.model import Model, open_model
from bimcheck.report.files import write_atomic

#: Takeoff unit → (quantity class, value attribute, IfcSIUnit (type, prefix, name) or None).
QUANTITY_KINDS: dict[str, tuple[str, str, tuple[str, str | None, str] | None]] = {
    "m": ("IfcQuantityLength", "LengthValue", ("LENGTHUNIT", None, "METRE")),
    "mm": ("IfcQuantityLength", "LengthValue", ("LENGTHUNIT", "MILLI", "METRE")),
    "m2": ("IfcQuantityArea", "AreaValue", ("AREAUNIT", None, "SQUARE_METRE")),
    "m3": ("IfcQuantityVolume", "VolumeValue", ("VOLUMEUNIT", None, "CUBIC_METRE")),
    "kg": ("IfcQuantityWeight", "WeightValue", ("MASSUNIT", "KILO", "GRAM")),
    "t": ("IfcQuantityWeight", "WeightValue", ("MASSUNIT", "MEGA", "GRAM")),
    "1": ("IfcQuantityCount", "CountValue", None),
}

def _api() -> Any:
    """``ifcopenshell.api``, with cost, control and unit imported (quietly:
    without networkx, ifcopenshell.api.sequence prints a note to stdout)."""
    with contextlib.redirect_stdout(io.StringIO()):
        import ifcopenshell.api.control
        import ifcopenshell.api.cost
        import ifcopenshell.api.unit
    return ifcopenshell.api


_NAMESPACE = uuid.UUID("4f0c2a53-6a4e-5d53-9c55-6263686b7072")


class _Writer:
    def __init__(self, file: ifcopenshell.file, seed: str) -> None:
        self.file = file
        self.seed = seed
        self.units: dict[str, Any] = {}

    def fix_guids(self, after: int) -> None:
        """Every rooted entity written (STEP id over ``after``) gets a GlobalId
        from the seed and its STEP id, instead of the API's random one."""
        for entity in self.file.by_type("IfcRoot"):
            if entity.id() > after:
                entity.GlobalId = ifcopenshell.guid.compress(
                    uuid.uuid5(_NAMESPACE, f"{self.seed}|{entity.id()}").hex)

    def unit(self, unit: str) -> Any:
        spec = QUANTITY_KINDS[unit][2]
        if spec is None:
            return None
        if unit not in self.units:
            kind, prefix, name = spec
            self.units[unit] = self.file.create_entity("IfcSIUnit", UnitType=kind,
                                                       Prefix=prefix, Name=name)
        return self.units[unit]

    def item(self, parent: Any, identification: str, name: str,
             description: str | None, *, schedule: bool = False) -> Any:
        if schedule:
            item = _api().cost.add_cost_item(self.file, cost_schedule=parent)
        else:
            item = _api().cost.add_cost_item(self.file, cost_item=parent)
        item.Identification = identification
        item.Name = name
        item.Description = description
        return item

    def quantity(self, item: Any, name: str, value: Decimal, unit: str) -> None:
        cls, attribute, _ = QUANTITY_KINDS[unit]
        q = _api().cost.add_cost_item_quantity(self.file, cost_item=item,
                                                         ifc_class=cls)
        q.Name = name
        setattr(q, attribute, float(abs(value)))
        q.Unit = self.unit(unit)

    def value(self, item: Any, name: str, amount: Decimal) -> None:
        v = _api().cost.add_cost_value(self.file, parent=item)
        _api().cost.edit_cost_value(self.file, cost_value=v,
                                              attributes={"AppliedValue": float(amount)})
        v.Name = name

    def link(self, item: Any, global_id: str) -> bool:
        try:
            element = self.file.by_guid(global_id)
        except RuntimeError:
            return False
        _api().control.assign_control(self.file, relating_control=item,
                                      related_objects=[element])
        return True


def _money(value: Decimal | None, currency: str) -> str:
    return "-" if value is None else f"{value:.2f} {currency}"


def _line_text(line: Line, currency: str, linked: bool) -> str:
    parts = [f"{line.status}: {line.change}",
             f"{line.quantity} {line.old} -> {line.new} {line.unit} (delta {line.delta:+})"]
    if line.rate is not None:
        parts.append(f"amount {_money(line.amount, currency)} at {line.rate} {currency}/"
                     f"{line.unit}")
    if not linked:
        parts.append(f"element {line.global_id} is not in this model")
    if line.cause:
        parts.append(f"cause {line.cause}")
    return "; ".join(parts)


def check_schema(model: Model) -> None:
    """OutputError unless the model's schema has cost items with values and
    quantities (IFC4, IFC4X3; IFC2X3's IfcCostItem has neither)."""
    if model.file.schema == "IFC2X3":
        raise OutputError("--ifc-cost-schedule needs an IFC4 or IFC4X3 model: IFC2X3's "
                          "IfcCostItem has no cost values or quantities", path=model.path)


def cost_schedule(order: ChangeOrder, new: Model) -> ifcopenshell.file:
    """A fresh parse of ``new``'s file with the change order added (module docstring)."""
    check_schema(new)
    copy = open_model(new.path, prehash_digests=False).file
    last = max((e.id() for e in copy), default=0)
    currency = order.currency or "CNY"
    _monetary_unit(copy, currency, new.path)
    rates = order.header.get("rates") or {}
    w = _Writer(copy, f"{new.content_digest}|{rates.get('digest', '')}")
    totals = order.totals()
    schedule = _api().cost.add_cost_schedule(copy, name=_schedule_name(order),
                                                       predefined_type="USERDEFINED")
    schedule.ObjectType = "CHANGEORDER"
    schedule.UpdateDate = None
    schedule.Description = "; ".join(f"{k} {_money(v, currency)}" for k, v in totals.items())
    codes: dict[str, Any] = {}
    for line in order.lines:
        code = line.code or "UNPRICED"
        parent = codes.get(code)
        if parent is None:
            parent = w.item(schedule, code,
                            line.description or "unpriced quantities",
                            None, schedule=True)
            if line.rate is not None:
                w.value(parent, "rate", line.rate)
            codes[code] = parent
        item = w.item(parent, code, line.name or line.ifc_class, None)
        w.quantity(item, line.quantity, line.delta, line.unit)
        if line.rate is not None:
            w.value(item, "rate", line.rate if line.delta > 0 else -line.rate)
        linked = line.status != "removed" and w.link(item, line.global_id)
        item.Description = _line_text(line, currency, linked)
    for a in order.adjustments:
        parent = codes.get(a.code)
        if parent is None:
            parent = w.item(schedule, a.code, a.description, None,
                            schedule=True)
            w.value(parent, "rate", a.rate)
            codes[a.code] = parent
        item = w.item(parent, a.code,
                      f"quantity deviation adjustment ({a.direction})",
                      f"Q0 {a.old_total} -> Q1 {a.new_total} {a.unit}: {a.quantity} {a.unit} "
                      f"re-priced at {a.rate} x {a.factor}; amount {_money(a.amount, currency)}")
        w.quantity(item, "deviation", a.quantity, a.unit)
        w.value(item, "rate difference", a.rate * (a.factor - 1))
    w.fix_guids(last)
    return copy


def _schedule_name(order: ChangeOrder) -> str:
    models = order.header.get("models") or []
    if len(models) == 2:
        return f"Change order {models[0]['path']} -> {models[1]['path']}"
    return "Change order"


def _monetary_unit(file: ifcopenshell.file, currency: str, path: Path) -> None:
    projects = file.by_type("IfcProject")
    assignment = projects[0].UnitsInContext if projects else None
    for unit in (assignment.Units if assignment is not None else ()):
        if unit.is_a("IfcMonetaryUnit"):
            if str(unit.Currency).upper() != currency:
                raise OutputError(f"the model's monetary unit is {unit.Currency}, the change "
                                  f"order's currency {currency}", path=path)
            return
    if assignment is not None:  # appended, keeping the file's order (the API uses a set)
        unit = _api().unit.add_monetary_unit(file, currency=currency)
        assignment.Units = (*assignment.Units, unit)


def write_cost_schedule(order: ChangeOrder, new: Model, path: str | Path, *,
                        overwrite: bool) -> Path:
    """Write :func:`cost_schedule` to ``path`` atomically (never over a file
    without ``overwrite``)."""
    copy = cost_schedule(order, new)
    return write_atomic(path, copy.to_string(), overwrite=overwrite)
