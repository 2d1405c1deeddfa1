"""The result of a revision diff: one entry per element, the causes, a summary.

:meth:`RevisionDiff.as_dict` is the deterministic JSON document of
``bimcheck diff`` (docs/diff.md): elements sorted by GlobalId, causes by id,
numbers rounded to :data:`~bimcheck.units.JSON_DECIMALS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bimcheck.model import Model

#: Element statuses, in the order tables list them.
STATUSES = ("added", "removed", "modified", "moved", "unchanged")

#: Kinds of change, in the order an element's changes are listed.
CHANGE_KINDS = ("geometry", "placement", "attributes", "properties", "type", "container",
                "openings", "material", "classification")

#: How an element was matched (``None``: added or removed).
MATCH_STAGES = ("global_id", "shape_placement", "name_position")


@dataclass
class Change:
    """One kind of change of one element, with its old and new details."""

    kind: str
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.detail}

    @property
    def summary(self) -> str:
        """A short text for tables and change-order lines."""
        d = self.detail
        if self.kind == "placement":
            t = ", ".join(f"{v:g}" for v in d["translation"])
            turn = f", turned {d['rotation_deg']:g}°" if d["rotation_deg"] else ""
            return f"moved ({t}) m{turn}"
        if self.kind == "geometry":
            old, new = d.get("old") or {}, d.get("new") or {}
            if "volume" in old and "volume" in new:
                return f"shape: volume {old['volume']:g} -> {new['volume']:g} m³"
            return "shape changed"
        if self.kind in ("attributes", "properties"):
            items = d["values"]
            first = items[0]
            name = first.get("attribute") or f"{first['pset']}.{first['property']}"
            more = f" (+{len(items) - 1} more)" if len(items) > 1 else ""
            return f"{self.kind}: {name} {_short(first['old'])} -> {_short(first['new'])}{more}"
        if self.kind == "openings":
            return f"openings: area {d['area_delta']:+g} m²"
        if self.kind == "material" and d.get("old") == d.get("new") and d.get("properties"):
            p = d["properties"][0]
            more = f" (+{len(d['properties']) - 1} more)" if len(d["properties"]) > 1 else ""
            return (f"material {p['material']}: {p['pset']}.{p['property']} "
                    f"{_short(p['old'])} -> {_short(p['new'])}{more}")
        old, new = d.get("old"), d.get("new")
        return f"{self.kind}: {_short(old)} -> {_short(new)}"


def _short(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("name") or value.get("global_id")
    if isinstance(value, list):
        value = ", ".join(map(str, value)) or "-"
    text = "-" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass
class ElementDiff:
    """What became of one element between the revisions."""

    global_id: str
    old_global_id: str | None
    ifc_class: str
    name: str | None
    storey: str | None
    status: str
    matched_by: str | None
    changes: list[Change] = field(default_factory=list)
    cause: str | None = None
    #: World origin of its placement (m), the old one when removed; None if unknown.
    location: list[float] | None = None

    @property
    def old_id(self) -> str | None:
        """GlobalId in the old model (``None`` when added)."""
        if self.status == "added":
            return None
        return self.old_global_id or self.global_id

    @property
    def new_id(self) -> str | None:
        """GlobalId in the new model (``None`` when removed)."""
        return None if self.status == "removed" else self.global_id

    @property
    def change_summary(self) -> str:
        """One line: the status and the first changes."""
        if self.status in ("added", "removed", "unchanged"):
            return self.status
        return "; ".join(c.summary for c in self.changes) or self.status

    def as_dict(self) -> dict[str, Any]:
        return {
            "global_id": self.global_id,
            "old_global_id": self.old_global_id,
            "ifc_class": self.ifc_class,
            "name": self.name,
            "storey": self.storey,
            "status": self.status,
            "matched_by": self.matched_by,
            "changes": [c.as_dict() for c in self.changes],
            "cause": self.cause,
            "location": self.location,
        }


@dataclass
class Cause:
    """One change that explains the changes of many elements."""

    id: str
    kind: str
    subject: dict[str, Any]
    elements: list[str]
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "subject": self.subject,
                "elements": self.elements, **self.detail}

    @property
    def summary(self) -> str:
        """A short text naming the cause and how many elements it explains."""
        name = self.subject.get("name") or self.subject.get("global_id") or "?"
        what = {"storey": "storey moved", "spatial": "spatial element moved",
                "parent": "moved with its parent", "type": "type edited",
                "profile": "shared profile edited",
                "material": "material edited"}.get(self.kind, self.kind)
        return f"{what}: {name} ({len(self.elements)} elements)"


@dataclass
class RevisionDiff:
    """The diff of two revisions of a model (old, new)."""

    old: Model
    new: Model
    elements: list[ElementDiff]
    causes: list[Cause]
    summary: dict[str, Any]
    header: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    #: Plan views per storey (``diff_models(views=True)``), for the HTML page.
    views: list[dict[str, Any]] = field(default_factory=list)

    def pairs(self) -> list[tuple[str | None, str | None, ElementDiff]]:
        """``(old GlobalId, new GlobalId, entry)`` for every entry."""
        return [(e.old_id, e.new_id, e) for e in self.elements]

    def changed(self) -> list[ElementDiff]:
        """Entries whose status is not ``unchanged``."""
        return [e for e in self.elements if e.status != "unchanged"]

    def as_dict(self, *, timings: bool = False) -> dict[str, Any]:
        doc = {
            "header": self.header,
            "summary": self.summary,
            "causes": [c.as_dict() for c in self.causes],
            "elements": [e.as_dict() for e in self.elements],
        }
        if self.views:
            doc["views"] = self.views
        if timings:
            doc["timings"] = {k: round(v, 3) for k, v in sorted(self.timings.items())}
        return doc
