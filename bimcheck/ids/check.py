"""Check an IFC model against a loaded IDS document.

:func:`check_ids` evaluates every specification on every model, whatever its
``ifcVersion`` says (IDS 1.0: the version is metadata; it does not decide
whether a specification applies). For each specification:

* the applicable entities are those meeting every applicability facet;
* each applicable entity is checked against every requirement facet; each
  failed facet on each entity is one :class:`IdsFailure`;
* the cardinality decides the specification-level outcome: *required*
  (``minOccurs`` >= 1) fails when fewer entities apply; *prohibited*
  (``maxOccurs="0"``) fails when any applies (one specification-level
  failure listing them); *optional* never fails for lack of entities.

Evaluation does not modify the document's objects (ifctester's own
``Specification.validate`` stores its results on them), so one
:class:`~bimcheck.ids.load.IdsDocument` can check several models in turn.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ifcopenshell
from ifctester.facet import Entity, Facet, get_pset, get_psets

from bimcheck.ids.facets import describe_requirement, explain_failure
from bimcheck.ids.load import IdsDocument, IdsSpecification

if TYPE_CHECKING:
    from bimcheck.model import Model

log = logging.getLogger(__name__)

#: How many GlobalIds a specification-level message names before "and N more".
MESSAGE_ID_LIMIT = 5

#: Errors ifctester's facet code can raise on unusual models (an assertion on
#: a bounded property without values, a missing attribute...). They make the
#: requirement fail for that entity, with the error in the message.
_FACET_ERRORS = (
    AssertionError, AttributeError, IndexError, KeyError, RuntimeError,
    StopIteration, TypeError, ValueError,
)


@dataclass(frozen=True)
class IdsFailure:
    """One failed requirement on one entity, or a specification-level failure.

    ``requirement`` is ``""`` and ``global_id`` ``None`` for a
    specification-level failure (required but nothing applicable; prohibited
    but something applies). ``global_id`` is also ``None`` for an applicable
    entity that has no GlobalId (``step_id`` then names it).
    ``severity_hint`` is the specification's cardinality.
    """

    specification: str
    specification_id: str
    requirement: str
    global_id: str | None
    ifc_class: str | None
    step_id: int | None
    message: str
    severity_hint: str

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "specification": self.specification,
            "specification_id": self.specification_id,
            "requirement": self.requirement,
            "global_id": self.global_id,
            "ifc_class": self.ifc_class,
            "step_id": self.step_id,
            "message": self.message,
            "severity_hint": self.severity_hint,
        }


@dataclass
class IdsResult:
    """The outcome of one IDS document on one model.

    ``specifications`` has one entry per specification, in document order:
    ``{"name", "id", "applicable", "passed", "failed", "status"}`` (counts of
    entities; ``status`` is ``"pass"`` or ``"fail"``). ``failures`` are sorted
    by (specification id, GlobalId or ``""``, requirement, STEP id).
    """

    document: str
    specifications: list[dict[str, Any]] = field(default_factory=list)
    failures: list[IdsFailure] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether every specification passed."""
        return all(s["status"] == "pass" for s in self.specifications)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "document": self.document,
            "passed": self.passed,
            "specifications": [dict(s) for s in self.specifications],
            "failures": [f.as_dict() for f in self.failures],
        }


def check_ids(model: Model, doc: IdsDocument) -> IdsResult:
    """Check ``model`` (a :class:`bimcheck.model.Model`) against every
    specification of ``doc`` (from :func:`~bimcheck.ids.load.load_ids`)."""
    ifc = model.file
    result = IdsResult(document=doc.name)
    get_pset.cache_clear()
    get_psets.cache_clear()
    try:
        for spec in doc.specifications:
            summary, failures = _check_specification(ifc, spec)
            result.specifications.append(summary)
            result.failures.extend(failures)
    finally:  # ifctester's property caches are global: do not keep the model alive
        get_pset.cache_clear()
        get_psets.cache_clear()
    result.failures.sort(
        key=lambda f: (f.specification_id, f.global_id or "", f.requirement, f.step_id or 0)
    )
    return result


def applicable_entities(
    ifc: ifcopenshell.file, spec: IdsSpecification
) -> list[ifcopenshell.entity_instance]:
    """The entities meeting every applicability facet of ``spec``, in model order."""
    if not spec.applicability:
        return []
    first = spec.applicability[0]
    candidates = first.filter(ifc, None) or []
    # an entity facet's filter is exact; other facets' filters only narrow down
    rest = [f for f in spec.applicability if not (f is first and isinstance(f, Entity))]
    seen: set[int] = set()
    out = []
    for element in candidates:
        if element.id() in seen:
            continue
        seen.add(element.id())
        if all(_meets(f, element) for f in rest):
            out.append(element)
    return out


def _meets(facet: Facet, element: ifcopenshell.entity_instance) -> bool:
    """Whether ``element`` meets an applicability facet; an entity ifctester
    cannot evaluate (an error in its facet code) is not applicable, logged."""
    try:
        return bool(facet(element))
    except _FACET_ERRORS as exc:
        log.warning("IDS applicability could not be evaluated on #%d %s (%s: %s)",
                    element.id(), element.is_a(), type(exc).__name__, exc)
        return False


def _check_specification(
    ifc: ifcopenshell.file, spec: IdsSpecification
) -> tuple[dict[str, Any], list[IdsFailure]]:
    applicable = applicable_entities(ifc, spec)
    cardinality = spec.cardinality
    failures: list[IdsFailure] = []
    failed_ids: set[int] = set()
    if cardinality != "prohibited":
        requirements = [(facet, describe_requirement(facet)) for facet in spec.requirements]
        for element in applicable:
            for facet, text in requirements:
                message = _failure_message(facet, element)
                if message is None:
                    continue
                failed_ids.add(element.id())
                failures.append(_failure(spec, text, element, message))
    count = len(applicable)
    low, high = int(spec.minOccurs), spec.maxOccurs
    if count < low:
        what = f"{_entities(count)} the applicability ({spec.applicability_text})"
        failures.append(_spec_failure(
            spec, f"{what}, but the specification requires at least {low}"))
    elif high != "unbounded" and count > int(high):
        failures.append(_spec_failure(spec, _too_many(spec, applicable, int(high))))
    status = "fail" if failures else "pass"
    summary = {
        "name": spec.name,
        "id": spec.spec_id,
        "applicable": count,
        "passed": count - len(failed_ids) if cardinality != "prohibited" else 0,
        "failed": len(failed_ids) if cardinality != "prohibited" else count,
        "status": status,
    }
    return summary, failures


def _failure_message(facet: Facet, element: ifcopenshell.entity_instance) -> str | None:
    """Why ``element`` fails ``facet``, or ``None`` when it passes."""
    try:
        outcome = facet(element)
    except _FACET_ERRORS as exc:
        return f"could not be checked on this entity ({type(exc).__name__}: {exc})"
    if bool(outcome):
        return None
    return explain_failure(facet, outcome)


def _identity(element: ifcopenshell.entity_instance) -> tuple[str | None, str, int]:
    global_id = getattr(element, "GlobalId", None) if element.is_a("IfcRoot") else None
    return global_id, element.is_a(), element.id()


def _failure(
    spec: IdsSpecification, requirement: str, element: ifcopenshell.entity_instance, message: str
) -> IdsFailure:
    global_id, ifc_class, step_id = _identity(element)
    return IdsFailure(
        specification=spec.name,
        specification_id=spec.spec_id,
        requirement=requirement,
        global_id=global_id,
        ifc_class=ifc_class,
        step_id=step_id,
        message=" ".join(message.split()),
        severity_hint=spec.cardinality,
    )


def _spec_failure(spec: IdsSpecification, message: str) -> IdsFailure:
    return IdsFailure(
        specification=spec.name,
        specification_id=spec.spec_id,
        requirement="",
        global_id=None,
        ifc_class=None,
        step_id=None,
        message=" ".join(message.split()),
        severity_hint=spec.cardinality,
    )


def _too_many(spec: IdsSpecification, applicable: list[Any], high: int) -> str:
    labels = []
    for element in applicable[:MESSAGE_ID_LIMIT]:
        global_id, ifc_class, step_id = _identity(element)
        labels.append(f"{ifc_class} {global_id}" if global_id else f"{ifc_class} #{step_id}")
    more = len(applicable) - len(labels)
    listed = ", ".join(labels) + (f" and {more} more" if more > 0 else "")
    what = f"{_entities(len(applicable))} the applicability ({spec.applicability_text})"
    if high == 0:
        return f"{what}, which this specification prohibits: {listed}"
    return f"{what}, more than the {high} allowed: {listed}"


def _entities(count: int) -> str:
    if count == 0:
        return "no entity matches"
    return "1 entity matches" if count == 1 else f"{count} entities match"
