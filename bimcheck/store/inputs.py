"""What a command hands the history: project and revision names from the
model file, finding records from each command's results, the rules that ran
and those whose selectors matched nothing, and the models' GlobalIds.

**Project name** (when ``--project`` is not given): the first model's file
stem with one trailing revision marker removed: a separator (``_``, ``-``,
``.`` or a space) followed by ``rev`` or ``revision`` and a label
(``_rev_b``, ``-rev-2``, ``_rev3``, ``.revision_C``: up to 4 letters or
digits, a letter label needs its separator), or by ``r`` or ``v`` and 1 to 4
digits (``-r2``, ``_v3``, ``.V10``). ``tower_rev_b`` → ``tower``,
``tower-r2`` → ``tower``, ``site_v3`` → ``site``; ``tower_review`` and
``tower_rev_a_mm`` stay as they are. The **revision label** defaults to the
whole stem (``tower_rev_b``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bimcheck.findings import finding_key
from bimcheck.store.record import RunInput
from bimcheck.store.status import FindingRecord

_MARKER = re.compile(
    r"[-_. ](?:(?:rev|revision)(?:[-_. ]?\d{1,4}|[-_. ][A-Za-z0-9]{1,4})|[rv]\d{1,4})$",
    re.IGNORECASE)

#: Severity the history gives a ``qto`` reconciliation finding (the shipped
#: check pack's QT001 is low too).
QTO_SEVERITY = "low"


def project_name(stem: str) -> str:
    """``stem`` without its trailing revision marker (see the module)."""
    stripped = _MARKER.sub("", stem)
    return stripped or stem


def finding_record(item: Any) -> FindingRecord:
    """A :class:`FindingRecord` of a :class:`~bimcheck.findings.Finding`, a
    clash (:class:`~bimcheck.clash.records.Clash`), a takeoff reconciliation
    mismatch (:class:`~bimcheck.qto.reconcile.Mismatch`), a finding of a
    report's JSON, or a record already."""
    if isinstance(item, FindingRecord):
        return item
    if isinstance(item, Mapping):
        gids = [e["global_id"] if isinstance(e, Mapping) else str(e)
                for e in item.get("elements") or []]
        return FindingRecord(str(item["key"]), str(item["rule"]), str(item["kind"]),
                             str(item["severity"]), str(item.get("message") or ""),
                             tuple(sorted(set(gids))))
    if hasattr(item, "a") and hasattr(item, "b") and hasattr(item, "found"):
        a, b = item.a, item.b
        message = (f"{a.ifc_class} '{a.name or a.global_id}' and {b.ifc_class} "
                   f"'{b.name or b.global_id}': {item.found.relation}")
        return FindingRecord(item.key, item.rule, item.kind, item.severity, message,
                             tuple(sorted({a.global_id, b.global_id})))
    if hasattr(item, "declared") and hasattr(item, "global_id"):
        key = finding_key(item.rule, "reconcile", [item.global_id],
                          f"{item.item}/{item.quantity}")
        return FindingRecord(key, item.rule, "reconcile", QTO_SEVERITY,
                             f"{item.item}: {item.message}", (item.global_id,))
    if hasattr(item, "elements") and hasattr(item, "key"):
        return FindingRecord(item.key, item.rule, item.kind, item.severity, item.message,
                             tuple(sorted({e.global_id for e in item.elements})))
    raise TypeError(f"cannot record a {type(item).__name__} as a finding")


def matched_nothing(rule: Any, coverage: Mapping[str, Any]) -> bool:
    """Whether a rule that ran had nothing to look at: its ``a`` selector (or
    its ``b`` selector, when it has one) matched no element, or it checked
    nothing."""
    if "a_matched" in coverage:
        b = getattr(rule, "b", None)
        return (coverage.get("a_matched") or 0) == 0 or (
            b is not None and (coverage.get("b_matched") or 0) == 0)
    return coverage.get("checked") == 0


def coverage_rules(rules: Sequence[Any],
                   coverage: Mapping[str, Mapping[str, Any]]) -> tuple[set[str], set[str]]:
    """``(rules that ran, rules whose selectors matched nothing)`` from a
    report's coverage per rule id; a rule without coverage did not run."""
    ran, empty = set(), set()
    for rule in rules:
        cov = coverage.get(rule.id)
        if not cov or set(cov) <= {"rule"}:
            continue
        ran.add(rule.id)
        if matched_nothing(rule, cov):
            empty.add(rule.id)
    return ran, empty


def model_elements(models: Iterable[Any]) -> set[str]:
    """The GlobalIds of every rooted entity (IfcRoot) of the models."""
    out: set[str] = set()
    for m in models:
        out.update(m.global_ids())
    return out


def model_refs(models: Iterable[Any]) -> list[dict[str, str]]:
    """``[{"name", "digest"}]``: file name and content digest of each model."""
    return [{"name": m.path.name, "digest": m.content_digest} for m in models]


def pack_refs(packs: Iterable[Any]) -> list[dict[str, str]]:
    """``[{"name", "digest"}]`` of packs (:class:`~bimcheck.packs.pack.Pack`,
    or mappings with ``name`` and ``digest``: a rate table, say)."""
    out = []
    for p in packs:
        h = p if isinstance(p, Mapping) else p.header()
        out.append({"name": str(h.get("name")), "digest": str(h.get("digest"))})
    return out


def mesh_coverage(rules: Sequence[Any], unmeshed: Iterable[str] = ()
                  ) -> tuple[set[str], set[str]]:
    """``(rules whose kind needs meshes, GlobalIds without a mesh in the run)``:
    the second is ``unmeshed`` (geometry failed or no body, every model;
    :func:`bimcheck.run.unmeshed_ids`), empty when no rule needs meshes."""
    from bimcheck.packs.registry import load_kinds

    kinds = load_kinds().kinds
    mesh_rules = {r.id for r in rules
                  if r.kind in kinds and {"meshes", "gross"} & set(kinds[r.kind].needs)}
    return mesh_rules, set(unmeshed) if mesh_rules else set()


def run_input(*, command: str, models: Sequence[Any], findings: Iterable[Any] = (),
              packs: Sequence[Any] = (), rules_run: Iterable[str] | None = None,
              rules_empty: Iterable[str] = (), totals: Mapping[str, Any] | None = None,
              name_model: Any = None, unmeshed: Iterable[str] = (),
              mesh_rules: Iterable[str] = (), project: str | None = None,
              revision: str | None = None) -> RunInput:
    """The :class:`~bimcheck.store.record.RunInput` of one run of any command
    (the arguments as :func:`bimcheck.cli.options.record_run` documents them;
    ``project`` and ``revision`` default to ``name_model``'s file stem)."""
    stem = Path((name_model or models[0]).path).stem
    if rules_run is None:
        rules_run = [r.id for p in packs if hasattr(p, "rules") for r in p.rules]
    return RunInput(
        project=project or project_name(stem), revision=revision or stem,
        command=command, models=model_refs(models), packs=pack_refs(packs),
        findings=[finding_record(f) for f in findings], rules_run=rules_run,
        rules_empty=rules_empty, elements=model_elements(models), totals=dict(totals or {}),
        unmeshed=unmeshed, mesh_rules=mesh_rules)


def check_run_input(report: Any, prepared: Any, *, project: str | None = None,
                    revision: str | None = None) -> RunInput:
    """The :class:`~bimcheck.store.record.RunInput` of one ``check`` run:
    ``report`` a :class:`~bimcheck.run.CheckReport`, ``prepared`` its
    :class:`~bimcheck.check.Prepared` inputs (after the run: its context says
    which elements had no mesh). The totals carry the risk score."""
    from bimcheck.risk import risk_summary

    ran, empty = coverage_rules(report.rules, report.coverage)
    mesh_rules, unmeshed = mesh_coverage(report.rules, prepared.unmeshed)
    return run_input(command="check", models=prepared.models, findings=report.findings,
                     packs=prepared.packs, rules_run=ran, rules_empty=empty,
                     totals={"risk": risk_summary(report.findings)["total"]},
                     unmeshed=unmeshed, mesh_rules=mesh_rules & ran, project=project,
                     revision=revision)


def price_run_input(order: Any, old: Any, new: Any, pack: Any, table: Any, *,
                    project: str | None = None, revision: str | None = None) -> RunInput:
    """The :class:`~bimcheck.store.record.RunInput` of one ``price`` run:
    both models (``new`` names the project and revision), the measurement
    pack and the rate table, and the totals (``net_cost`` and ``currency``
    make the cost trend of ``bimcheck history``; none without a table)."""
    totals: dict[str, Any] = {k: float(v) for k, v in order.totals().items()} \
        if table is not None else {}
    if table is not None:
        totals["net_cost"] = totals["net"]
        totals["currency"] = order.currency
    totals["lines"] = len(order.lines)
    packs = [pack, *([{"name": table.name, "digest": table.digest}] if table else [])]
    # NEW first: the revision the run is of (the history lists the first model).
    return run_input(command="price", models=[new, old], name_model=new, packs=packs,
                     rules_run=[], totals=totals, project=project, revision=revision)
