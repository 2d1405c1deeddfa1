"""Which elements of the new revision a change order measures again.

An element the diff calls ``unchanged``, or whose only changes are of the
kinds in :data:`SAME_QUANTITIES`, has the quantities it had; when the same
measurement rules select it in both revisions and none of its parts,
openings or fillings is measured again, its old takeoff rows stand for the
new ones (:func:`reusable`). The new revision's takeoff is then told to
select only the others (:func:`selection_except`, in the form
:func:`~bimcheck.qto.takeoff.select_takeoff` memoises in the run context).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from bimcheck.diff.result import ElementDiff, RevisionDiff
from bimcheck.model import Model
from bimcheck.packs.schema import Rule


def _related(file: Any, gid: str) -> set[str]:
    """GlobalIds whose change can change ``gid``'s quantities: its parts
    (recursively), its openings and the openings' fillings."""
    try:
        element = file.by_guid(gid)
    except RuntimeError:
        return set()
    out: set[str] = set()
    todo = [element]
    while todo:
        e = todo.pop()
        for rel in getattr(e, "IsDecomposedBy", None) or ():
            for part in rel.RelatedObjects:
                if part.GlobalId not in out:
                    out.add(part.GlobalId)
                    todo.append(part)
        for rel in getattr(e, "HasOpenings", None) or ():
            opening = rel.RelatedOpeningElement
            out.add(opening.GlobalId)
            for fill in getattr(opening, "HasFillings", None) or ():
                out.add(fill.RelatedBuildingElement.GlobalId)
    return out


#: Change kinds that leave every quantity of an element as it was: quantity
#: functions read the shape, placement, openings, attributes (a door's
#: OverallWidth) and the material, never property sets or classifications.
#: (The selection of rules may read them: checked separately.)
SAME_QUANTITIES = frozenset({"properties", "classification"})


def _same_quantities(e: ElementDiff) -> bool:
    return e.old_id is not None and e.new_id is not None and e.status in (
        "unchanged", "modified") and {c.kind for c in e.changes} <= SAME_QUANTITIES


def reusable(diff: RevisionDiff, rules_old: dict[str, frozenset[str]],
             rules_new: dict[str, frozenset[str]]) -> list[ElementDiff]:
    """Entries whose old rows stand for the new ones: unchanged, or changed
    only in :data:`SAME_QUANTITIES`; selected by the same rules in both
    revisions (``rules_*``: GlobalId → rule ids); and neither side has a
    part, opening or filling that is not such an entry itself."""
    same = [e for e in diff.elements if _same_quantities(e)]
    same_old = {e.old_id for e in same}
    same_new = {e.new_id for e in same}
    out = []
    for e in same:
        assert e.old_id is not None and e.new_id is not None
        if rules_old.get(e.old_id, frozenset()) != rules_new.get(e.new_id, frozenset()):
            continue
        if _related(diff.new.file, e.new_id) <= same_new and \
                _related(diff.old.file, e.old_id) <= same_old:
            out.append(e)
    return out


def price_scope(old: Model, new: Model, selected_old: dict[str, list[Any]],
                selected_new: dict[str, list[Any]]) -> frozenset[str]:
    """The GlobalIds a change order depends on: what the rules select in
    either revision, and those elements' parts, openings and fillings (in
    both files, for ids kept across them)."""
    ids = {e.GlobalId for sel in (selected_old, selected_new)
           for elements in sel.values() for e in elements}
    related: set[str] = set()
    for gid in ids:
        related |= _related(old.file, gid) | _related(new.file, gid)
    return frozenset(ids | related)


def memo_key(index: int, rules: Sequence[Rule]) -> tuple:
    """Where :func:`~bimcheck.qto.takeoff.select_takeoff` memoises the
    selection of model ``index`` in the run context's scratch."""
    return ("takeoff", index, tuple(r.id for r in rules))


def select_rules(model: Model, rules: Sequence[Rule]) -> dict[str, list[Any]]:
    """Rule id → the elements it selects (with a GlobalId), as the takeoff selects."""
    return {rule.id: [e for e in model.select(rule.a) if getattr(e, "GlobalId", None)]
            for rule in rules}


def rule_sets(selected: dict[str, list[Any]]) -> dict[str, frozenset[str]]:
    by_element: dict[str, set[str]] = defaultdict(set)
    for rule_id, elements in selected.items():
        for e in elements:
            by_element[e.GlobalId].add(rule_id)
    return {g: frozenset(ids) for g, ids in by_element.items()}


def selection_except(selected: dict[str, list[Any]],
                      skip: set[str | None]) -> tuple[dict[str, list[Any]], dict[int, Any]]:
    """The selection without the elements of ``skip``, in the form
    select_takeoff memoises (``{rule id: elements}``, ``{STEP id: element}``):
    stored in the context, it makes run_takeoff measure (and ask meshes of)
    only these."""
    chosen = {rid: [e for e in es if e.GlobalId not in skip] for rid, es in selected.items()}
    union = {e.id(): e for es in chosen.values() for e in es}
    return chosen, union
