"""Discipline of an element (architecture, structure, hvac, plumbing,
electrical, other), from a table in a rule pack (``rules/disciplines.yaml``).

The table is an ordered list of entries; the first entry that matches an
element gives its discipline. An entry matches when the element is an
instance of one of its ``classes`` (subclasses included), or its type object
is an instance of one of its ``type_classes`` (needed for IFC2X3, where a duct
is an ``IfcFlowSegment`` typed by an ``IfcDuctSegmentType``). Class names that
a schema does not have simply never match in it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bimcheck.errors import RulePackError
from bimcheck.packs.loader import builtin_rules_dir, load_yaml, require

if TYPE_CHECKING:
    import ifcopenshell

DISCIPLINES: tuple[str, ...] = (
    "architecture", "structure", "hvac", "plumbing", "electrical", "other",
)


@dataclass(frozen=True)
class DisciplineRule:
    """One row of the table."""

    discipline: str
    classes: tuple[str, ...]
    type_classes: tuple[str, ...]


@dataclass(frozen=True)
class DisciplineTable:
    """Ordered discipline rules plus the default for elements no rule matches."""

    rules: tuple[DisciplineRule, ...]
    default: str = "other"
    source: str = ""
    _memo: dict[tuple[str, str | None], str] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def discipline_of(self, element: ifcopenshell.entity_instance) -> str:
        """The discipline of ``element``: the first matching rule's, else the default.

        Memoised by (schema-qualified class, type's class): every element with
        the same two gets the same answer."""
        etype = None
        if any(rule.type_classes for rule in self.rules):
            import ifcopenshell.util.element

            etype = ifcopenshell.util.element.get_type(element)
        key = (element.is_a(True), etype.is_a(True) if etype is not None else None)
        found = self._memo.get(key)
        if found is None:
            found = self._match(element, etype)
            self._memo[key] = found
        return found

    def _match(self, element: ifcopenshell.entity_instance,
               etype: ifcopenshell.entity_instance | None) -> str:
        for rule in self.rules:
            if any(_is_a(element, c) for c in rule.classes):
                return rule.discipline
            if etype is not None and any(_is_a(etype, c) for c in rule.type_classes):
                return rule.discipline
        return self.default


def _is_a(entity: ifcopenshell.entity_instance, cls: str) -> bool:
    try:
        return bool(entity.is_a(cls))
    except RuntimeError:  # class unknown to this schema
        return False


def load_discipline_table(path: str | os.PathLike[str] | None = None) -> DisciplineTable:
    """Load and validate a discipline table (default: the built-in one)."""
    p = Path(path) if path is not None else builtin_rules_dir() / "disciplines.yaml"
    data = load_yaml(p)
    if not isinstance(data, dict):
        raise RulePackError("expected a mapping at the top level", path=p)
    rows = require(data, "disciplines", list, path=p)
    default = data.get("default", "other")
    if default not in DISCIPLINES:
        raise RulePackError(
            f"unknown discipline {default!r} (one of {', '.join(DISCIPLINES)})",
            path=p, field="default",
        )
    rules = []
    for i, row in enumerate(rows):
        where = f"disciplines[{i}]"
        name = require(row, "discipline", str, path=p, where=where)
        if name not in DISCIPLINES:
            raise RulePackError(
                f"unknown discipline {name!r} (one of {', '.join(DISCIPLINES)})",
                path=p, field=f"{where}.discipline",
            )
        classes = row.get("classes", []) or []
        type_classes = row.get("type_classes", []) or []
        for key, values in (("classes", classes), ("type_classes", type_classes)):
            if not isinstance(values, list) or not all(
                isinstance(v, str) and v.startswith("Ifc") for v in values
            ):
                raise RulePackError(
                    "expected a list of IFC class names", path=p, field=f"{where}.{key}"
                )
        if not classes and not type_classes:
            raise RulePackError(
                "needs classes or type_classes", path=p, field=where
            )
        rules.append(DisciplineRule(name, tuple(classes), tuple(type_classes)))
    return DisciplineTable(rules=tuple(rules), default=default, source=str(p))
