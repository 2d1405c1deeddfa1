"""What a takeoff gives: its rows, the openings each deducted or kept, the
declared quantities that disagree, and the :class:`Takeoff` that holds them
with its JSON form.

These records import nothing of IfcOpenShell or the geometry engine, so a
takeoff served from the result cache (:mod:`bimcheck.qto.served`) is rebuilt
and rendered without loading either.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bimcheck.geometry.records import Failure
    from bimcheck.model import Model

@dataclass(frozen=True)
class Deduction:
    """One opening of an element, deducted or not. Areas in m², volumes in m³."""

    opening: str
    #: Class of the door or window filling the opening, if any.
    filling: str | None
    applied: bool
    why: str
    #: Area in the host's face (``None``: not measured for this row).
    area: float | None = None
    #: Volume removed from the host (``None``: not measured for this row).
    volume: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "opening": self.opening,
            "filling": self.filling,
            "applied": self.applied,
            "why": self.why,
            "area": None if self.area is None else round(self.area, 6) + 0.0,
            "volume": None if self.volume is None else round(self.volume, 6) + 0.0,
        }


_SYMBOLS = {"m": "m", "m2": "m²", "m3": "m³", "kg": "kg", "1": ""}


@dataclass(frozen=True)
class Mismatch:
    """A declared quantity that disagrees with the measured one."""

    global_id: str
    ifc_class: str
    name: str | None
    storey: str | None
    rule: str
    item: str
    quantity: str
    unit: str
    qset: str
    declared: float
    computed: float
    #: (computed − declared) / declared; ``None`` when nothing was declared (0).
    difference: float | None

    @property
    def message(self) -> str:
        sym = _SYMBOLS.get(self.unit, self.unit)
        text = (f"declared {self.quantity} {_fmt(self.declared)} {sym}, "
                f"computed {_fmt(self.computed)} {sym}").replace(" ,", ",")
        if self.difference is not None:
            text += f", {_percent(self.difference)}"
        return text.rstrip()

    def as_dict(self) -> dict[str, Any]:
        return {
            "global_id": self.global_id,
            "ifc_class": self.ifc_class,
            "name": self.name,
            "storey": self.storey,
            "rule": self.rule,
            "item": self.item,
            "quantity": self.quantity,
            "unit": self.unit,
            "declared_in": self.qset,
            "declared": round(self.declared, 6) + 0.0,
            "computed": round(self.computed, 6) + 0.0,
            "difference": None if self.difference is None else round(self.difference, 6) + 0.0,
            "message": self.message,
        }


def _fmt(value: float) -> str:
    return f"{value:.2f}" if abs(value) >= 0.1 or value == 0 else f"{value:.3g}"


def _percent(fraction: float) -> str:
    return f"{fraction * 100:+.1f}%".replace("-", "\u2212")


#: Default relative difference (0.01 = 1 %) above which a declared base
#: quantity that disagrees with the computed one becomes a finding.
DEFAULT_RECONCILE_TOLERANCE = 0.01

#: Decimals kept in the plain-data rows (m, m², m³: 1e-6; kg: 1e-6 kg).
VALUE_DECIMALS = 6

#: Fields a summary can be grouped by, besides item and quantity.
GROUP_FIELDS = ("storey", "type", "material", "ifc_class")


@dataclass(frozen=True)
class Row:
    """One measured quantity of one element."""

    global_id: str
    ifc_class: str
    type: str | None
    name: str | None
    storey: str | None
    material: str | None
    classification: str | None
    item: str
    quantity: str
    value: float
    unit: str
    rule: str
    function: str
    params: tuple[tuple[str, Any], ...] = ()
    #: ``net``, ``gross``, ``deducted``, ``host`` or ``attributes``
    #: (:data:`~bimcheck.qto.functions.GEOMETRIES`).
    geometry: str = "net"
    #: The element's openings, subtracted or not, and why.
    deductions: tuple[Deduction, ...] = ()

    def as_dict(self, tessellation: str = "") -> dict[str, Any]:
        return {
            "global_id": self.global_id,
            "ifc_class": self.ifc_class,
            "type": self.type,
            "name": self.name,
            "storey": self.storey,
            "material": self.material,
            "classification": self.classification,
            "item": self.item,
            "quantity": self.quantity,
            "value": round(self.value, VALUE_DECIMALS) + 0.0,
            "unit": self.unit,
            "rule": self.rule,
            "provenance": {
                "function": self.function,
                "params": dict(self.params),
                "geometry": self.geometry,
                "deductions": [d.as_dict() for d in self.deductions],
                "tessellation": tessellation,
            },
        }


@dataclass
class Takeoff:
    """The result of a takeoff run: rows, elements not measured, and why."""

    model: Model
    rows: list[Row]
    failures: list[Failure]
    #: (rule id, GlobalId, quantity, why) for quantities that do not apply.
    skipped: list[tuple[str, str, str, str]] = field(default_factory=list)
    settings_key: str = ""
    #: Relative tolerance of the reconciliation (``None``: not run).
    reconcile_tolerance: float | None = None
    #: Rows compared with a declared quantity.
    compared: int = 0
    #: Declared quantities off by more than the tolerance.
    findings: list[Mismatch] = field(default_factory=list)
    #: Seconds, and whether the takeoff was served from the result cache
    #: (:func:`~bimcheck.qto.served.takeoff_file`); not part of :meth:`as_dict`.
    timings: dict[str, Any] = field(default_factory=dict)

    def summary(self, group_by: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Totals by item, quantity and unit, and by each of ``group_by``
        (of :data:`GROUP_FIELDS`), sorted."""
        for g in group_by:
            if g not in GROUP_FIELDS:
                choices = ", ".join(GROUP_FIELDS)
                raise ValueError(f"cannot group by {g!r}; expected one of {choices}")
        totals: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0])
        for row in self.rows:
            key = (row.item, row.quantity, row.unit, *(getattr(row, g) for g in group_by))
            totals[key][0] += row.value
            totals[key][1] += 1
        out = []
        for key in sorted(totals, key=lambda k: tuple("" if v is None else str(v) for v in k)):
            item, quantity, unit, *groups = key
            entry = {"item": item, "quantity": quantity, "unit": unit,
                     "total": round(totals[key][0], VALUE_DECIMALS) + 0.0,
                     "count": totals[key][1]}
            entry.update(dict(zip(group_by, groups, strict=True)))
            out.append(entry)
        return out

    def as_dict(self, group_by: Sequence[str] = ()) -> dict[str, Any]:
        """Plain data for the JSON report (deterministic)."""
        return {
            "model": {"path": self.model.path.name, "schema": self.model.schema_identifier,
                      "length_unit": self.model.length_unit,
                      "content_digest": self.model.content_digest},
            "tessellation": self.settings_key,
            "rows": [r.as_dict(self.settings_key) for r in self.rows],
            "summary": self.summary(group_by),
            "failed": [f.as_dict() for f in self.failures],
            "skipped": [
                {"rule": r, "global_id": g, "quantity": q, "reason": why}
                for r, g, q, why in self.skipped
            ],
            "reconciliation": {
                "tolerance": self.reconcile_tolerance,
                "compared": self.compared,
                "findings": [f.as_dict() for f in self.findings],
            },
        }
