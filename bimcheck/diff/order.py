"""The change order (变更签证): priced lines, deviation adjustments, unpriced
quantities, subtotals and totals, as :class:`ChangeOrder`.

Money is :class:`~decimal.Decimal` throughout: each line's amount is rounded
to 0.01 (half up, 四舍五入) once, from the exact product of its quantity
delta and rate; each adjustment likewise; subtotals and totals are exact
sums of those rounded amounts, so they add up to the cent and print the
same bytes every run. Quantities are the takeoff's, rounded to
:data:`~bimcheck.qto.takeoff.VALUE_DECIMALS` (1e-6) before anything is
subtracted or summed. :meth:`ChangeOrder.as_dict` is the deterministic JSON
document of ``bimcheck price`` (docs/price.md); decimals are written as JSON
numbers (at most 2 decimals for money, 6 for quantities).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal(0)

#: Statuses whose lines count as "changed" in the totals.
CHANGED_STATUSES = ("modified", "moved", "unchanged")


def money(value: Decimal) -> Decimal:
    """``value`` rounded to 0.01, half up (the one rounding of every amount)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP) + 0


def number(value: Decimal | None) -> float | None:
    """A decimal as a JSON number (``None`` stays ``None``; no ``-0.0``)."""
    if value is None:
        return None
    f = float(value)
    return 0.0 if f == 0 else f


@dataclass(frozen=True)
class Line:
    """One element's change of one quantity of one bill item.

    ``global_id`` is the new model's GlobalId (the old one's when the element
    was removed); ``old_global_id`` the old one's when the diff matched the
    element across re-issued GlobalIds. ``code`` is the rate's code
    (``None``: unpriced, and then ``rate`` and ``amount`` are ``None``).
    Quantities in ``unit``; ``rate`` and ``amount`` in the table's currency."""

    global_id: str
    old_global_id: str | None
    ifc_class: str
    name: str | None
    storey: str | None
    item: str
    quantity: str
    unit: str
    code: str | None
    description: str | None
    old: Decimal
    new: Decimal
    delta: Decimal
    rate: Decimal | None
    amount: Decimal | None
    status: str
    cause: str | None
    change: str
    matched_by: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "global_id": self.global_id, "old_global_id": self.old_global_id,
            "ifc_class": self.ifc_class, "name": self.name, "storey": self.storey,
            "item": self.item, "quantity": self.quantity, "unit": self.unit,
            "code": self.code, "description": self.description,
            "old": number(self.old), "new": number(self.new), "delta": number(self.delta),
            "rate": number(self.rate), "amount": number(self.amount),
            "status": self.status, "cause": self.cause, "change": self.change,
            "matched_by": self.matched_by,
        }


@dataclass(frozen=True)
class Adjustment:
    """The quantity-deviation adjustment of one bill item (docs/price.md).

    ``old_total`` (Q0) and ``new_total`` (Q1) are the item's quantities over
    every element of each revision; ``quantity`` is the part re-priced: the
    growth beyond (1 + threshold) × Q0 (``direction`` ``over``), or the whole
    remaining Q1 (``under``). ``amount`` = quantity × rate × (factor − 1),
    rounded to 0.01: added to the plain lines, it makes the item's total
    what the re-priced quantity costs."""

    code: str
    item: str
    description: str
    unit: str
    rate: Decimal
    old_total: Decimal
    new_total: Decimal
    direction: str
    threshold: Decimal
    factor: Decimal
    quantity: Decimal
    amount: Decimal

    @property
    def deviation(self) -> Decimal:
        """(Q1 − Q0) / Q0."""
        return (self.new_total - self.old_total) / self.old_total

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code, "item": self.item, "description": self.description,
            "unit": self.unit, "rate": number(self.rate),
            "old_total": number(self.old_total), "new_total": number(self.new_total),
            "deviation": round(float(self.deviation), 6) + 0.0,
            "direction": self.direction, "threshold": number(self.threshold),
            "factor": number(self.factor), "adjusted_rate": number(self.rate * self.factor),
            "quantity": number(self.quantity), "amount": number(self.amount),
        }


@dataclass(frozen=True)
class Unpriced:
    """Quantities of one item that no rate prices, and why."""

    item: str
    quantity: str
    unit: str
    reason: str
    old_total: Decimal
    new_total: Decimal
    lines: int

    def as_dict(self) -> dict[str, Any]:
        return {"item": self.item, "quantity": self.quantity, "unit": self.unit,
                "reason": self.reason, "old_total": number(self.old_total),
                "new_total": number(self.new_total),
                "delta": number(self.new_total - self.old_total), "lines": self.lines}


@dataclass
class ChangeOrder:
    """A priced change order between two revisions (see the module docstring)."""

    header: dict[str, Any]
    currency: str
    lines: list[Line]
    adjustments: list[Adjustment]
    unpriced: list[Unpriced]
    #: Code → (Q0, Q1) for every priced code met in either revision.
    code_totals: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def totals(self) -> dict[str, Decimal]:
        """``added``, ``removed`` (negative for credits), ``changed``
        (modified and moved elements), ``adjustments`` and ``net`` (their
        sum), each the exact sum of rounded amounts."""
        sums = {"added": ZERO, "removed": ZERO, "changed": ZERO}
        for line in self.lines:
            if line.amount is None:
                continue
            key = line.status if line.status in ("added", "removed") else "changed"
            sums[key] += line.amount
        sums["adjustments"] = sum((a.amount for a in self.adjustments), ZERO)
        sums["net"] = sums["added"] + sums["removed"] + sums["changed"] + sums["adjustments"]
        return sums

    def by_code(self) -> list[dict[str, Any]]:
        """Subtotals per rate code: delta, line amounts, adjustment, total."""
        groups: dict[str, dict[str, Any]] = {}
        for line in self.lines:
            if line.code is None:
                continue
            g = groups.setdefault(line.code, {
                "code": line.code, "item": line.item, "description": line.description,
                "unit": line.unit, "rate": line.rate, "delta": ZERO, "amount": ZERO,
                "lines": 0, "adjustment": ZERO})
            g["delta"] += line.delta
            g["amount"] += line.amount or ZERO
            g["lines"] += 1
        for a in self.adjustments:
            g = groups.setdefault(a.code, {
                "code": a.code, "item": a.item, "description": a.description, "unit": a.unit,
                "rate": a.rate, "delta": ZERO, "amount": ZERO, "lines": 0, "adjustment": ZERO})
            g["adjustment"] += a.amount
        out = []
        for code in sorted(groups):
            g = groups[code]
            q0, q1 = self.code_totals.get(code, (ZERO, ZERO))
            out.append({**g, "rate": number(g["rate"]), "delta": number(g["delta"]),
                        "amount": number(g["amount"]), "adjustment": number(g["adjustment"]),
                        "total": number(g["amount"] + g["adjustment"]),
                        "old_total": number(q0), "new_total": number(q1)})
        return out

    def by_storey(self) -> list[dict[str, Any]]:
        """Subtotals of the priced lines per storey (adjustments belong to
        bill items, not storeys: storeys + adjustments = net)."""
        groups: dict[str | None, list[Decimal]] = defaultdict(list)
        for line in self.lines:
            if line.amount is not None:
                groups[line.storey].append(line.amount)
        return [{"storey": s, "amount": number(sum(groups[s], ZERO)), "lines": len(groups[s])}
                for s in sorted(groups, key=lambda s: (s is None, s or ""))]

    def as_dict(self, *, timings: bool = False) -> dict[str, Any]:
        """The JSON document of ``bimcheck price`` (deterministic unless ``timings``)."""
        totals = self.totals()
        doc = {
            "header": self.header,
            "currency": self.currency,
            "lines": [line.as_dict() for line in self.lines],
            "adjustments": [a.as_dict() for a in self.adjustments],
            "unpriced": [u.as_dict() for u in self.unpriced],
            "subtotals": {"by_code": self.by_code(), "by_storey": self.by_storey()},
            "totals": {k: number(v) for k, v in totals.items()},
            "summary": self.counts,
            "warnings": self.warnings,
        }
        if timings:
            doc["timings"] = {k: round(v, 3) for k, v in sorted(self.timings.items())}
        return doc
