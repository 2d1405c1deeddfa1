"""The one result type of every check kind: :class:`Finding`, its element
references (:class:`ElementRef`) and its stable key (:func:`finding_key`).

A finding says that something is wrong: two elements clash, a lift is over
its capacity, a wall has no fire rating, a declared quantity disagrees with
the measured one, an element is in no storey. Whatever the kind, it carries
the same fields, so one gate, one report and one history serve them all
(flake8's single ``Violation`` record is the model).

Units: ``location`` in metres, world coordinates; every measure names its own
unit (``m``, ``m3``, ``1`` for ratios).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bimcheck.units import JSON_DECIMALS

#: Statuses a finding can have in a report: ``open`` (nothing to compare
#: with), ``new`` / ``existing`` (not in / in the ``--baseline`` report),
#: ``new`` / ``active`` (not in / in the previous run of the project's history,
#: :mod:`bimcheck.store`), ``waived`` (a valid waiver covers it). The history's
#: own statuses add ``resolved`` and ``unretested`` for findings no longer there.
STATUSES: tuple[str, ...] = ("open", "new", "existing", "active", "waived")

#: Tag of the key scheme. It is the tag the first clash keys were made with,
#: kept so that a pair finding without a discriminator has the same key as the
#: clash it was before: waivers and BCF topic GUIDs written then stay valid.
_KEY_SCHEME = "clash/1"


def digest(parts: Sequence[str], size: int) -> str:
    """Hex BLAKE2b of ``parts`` (each length-prefixed, so no two lists collide),
    ``size`` bytes."""
    h = hashlib.blake2b(digest_size=size)
    for part in parts:
        data = part.encode("utf-8")
        h.update(len(data).to_bytes(4, "big"))
        h.update(data)
    return h.hexdigest()


def finding_key(rule: str, kind: str, global_ids: Iterable[str] = (),
                discriminator: str = "") -> str:
    """32 hex characters (BLAKE2b-128) identifying a finding across runs and
    revisions: the rule id, the kind, the *sorted* GlobalIds it is about, and
    a discriminator for what else tells two findings of the same elements
    apart (a lift id and part, an IDS requirement, a quantity name).

    It never depends on a file name, on A/B order or on a list position, so
    the same finding has the same key in every revision and waivers follow it.
    """
    parts = [_KEY_SCHEME, rule, kind, *sorted(set(global_ids))]
    if discriminator:
        parts += ["#", discriminator]
    return digest(parts, 16)


@dataclass(frozen=True)
class ElementRef:
    """Who an element is, as a report shows it (built once per element by
    :meth:`bimcheck.model.Model.ref`)."""

    global_id: str
    ifc_class: str
    name: str | None
    storey: str | None
    discipline: str
    model: str

    def as_dict(self) -> dict:
        return {
            "global_id": self.global_id, "ifc_class": self.ifc_class, "name": self.name,
            "storey": self.storey, "discipline": self.discipline, "model": self.model,
        }


@dataclass(frozen=True)
class Quantity:
    """A named number with its unit (``m``, ``m2``, ``m3``, ``t``, ``1``...)."""

    value: float
    unit: str

    def as_dict(self) -> dict:
        return {"value": _round(self.value), "unit": self.unit}


def _round(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), JSON_DECIMALS) + 0.0


@dataclass(frozen=True)
class Finding:
    """One thing found wrong, by any rule kind.

    ``family`` is the check family (``clash``, ``crane``, ``qto``,
    ``property``, ``ids``, ``health``); ``severity`` one of
    :data:`bimcheck.packs.schema.SEVERITIES`; ``elements`` the elements it is
    about (sorted by GlobalId); ``location`` where to look (m, world), or
    ``None``; ``measures`` its magnitude (overlap volume, penetration depth,
    clearance shortfall, utilization, deviation...); ``detail`` kind-specific
    plain data (a clash's relation, a lift's part); ``status`` one of
    :data:`STATUSES`.
    """

    key: str
    rule: str
    kind: str
    family: str
    severity: str
    message: str
    elements: tuple[ElementRef, ...] = ()
    location: tuple[float, float, float] | None = None
    measures: Mapping[str, Quantity] = field(default_factory=dict)
    detail: Mapping[str, Any] = field(default_factory=dict)
    status: str = "open"
    #: The storey at the location, when the kind knows it (a clash between
    #: elements of two storeys is on the storey where they meet).
    at_storey: str | None = None

    @property
    def storey(self) -> str | None:
        """The storey at the finding's location if known, else the storey of
        the first element that has one."""
        return self.at_storey or next((e.storey for e in self.elements if e.storey), None)

    @property
    def discipline(self) -> str | None:
        """The discipline of the first element (``None`` without elements)."""
        return self.elements[0].discipline if self.elements else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key, "rule": self.rule, "kind": self.kind, "family": self.family,
            "severity": self.severity, "message": self.message,
            "elements": [e.as_dict() for e in self.elements],
            "location": None if self.location is None else [_round(v) for v in self.location],
            "measures": {k: self.measures[k].as_dict() for k in sorted(self.measures)},
            "detail": dict(self.detail),
            "status": self.status, "storey": self.storey, "discipline": self.discipline,
        }


def make_finding(rule: Any, kind: str, message: str, elements: Sequence[ElementRef] = (), *,
                 discriminator: str = "", severity: str | None = None,
                 location: Sequence[float] | None = None,
                 measures: Mapping[str, Quantity] | None = None,
                 detail: Mapping[str, Any] | None = None, family: str = "") -> Finding:
    """A :class:`Finding` of ``rule`` (a :class:`~bimcheck.packs.schema.Rule`)
    with its key made by :func:`finding_key` from the elements' GlobalIds."""
    refs = tuple(sorted(elements, key=lambda e: (e.global_id, e.model)))
    return Finding(
        key=finding_key(rule.id, kind, [e.global_id for e in refs], discriminator),
        rule=rule.id, kind=kind, family=family or rule.family, severity=severity or rule.severity,
        message=message, elements=refs,
        location=None if location is None else (float(location[0]), float(location[1]),
                                                float(location[2])),
        measures=dict(measures or {}), detail=dict(detail or {}),
    )
