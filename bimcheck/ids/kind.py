"""The ``ids`` kind (family ``ids``): a rule that checks the model against an
IDS 1.0 file (buildingSMART Information Delivery Specification).

    - id: IDS001
      name: Employer's information requirements
      kind: ids
      severity: high
      doc: {what: ..., why: ..., fix: ...}
      params: {file: requirements.ids}     # relative to the pack

``bimcheck check MODEL --rules requirements.ids`` makes such a rule itself
(:func:`bimcheck.packs.pack.ids_pack`). The IDS file is read and validated
before any other work of the run (an invalid IDS is bad input, exit 2). One
finding per failing specification × requirement × entity; a specification
that fails as a whole (required, but nothing applies) is one finding without
elements. Severity: the rule's for required and prohibited specifications,
one step towards ``info`` for optional ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bimcheck.findings import make_finding
from bimcheck.packs.registry import REGISTRY
from bimcheck.packs.schema import Kind, Param, Rule, shift_severity


def _check_file(value: str) -> str:
    if not value.strip() or len(value) > 4096 or "\0" in value:
        raise ValueError("expected the path of an .ids file")
    return value.strip()


REGISTRY.register(Kind(
    "ids", doc="the model meets the specifications of an IDS 1.0 file",
    params={"file": Param(str, None, "the .ids file (relative to the pack)", check=_check_file,
                          required=True)},
    family="ids", a_selector="none", b_selector=False,
    run="bimcheck.ids.kind:run_ids_rules", select="bimcheck.ids.kind:load_ids_rules",
))


def ids_path(rule: Rule) -> Path:
    """The IDS file of a rule: the rule's own file when it was given directly,
    else ``params.file`` relative to the rule's pack."""
    if rule.path.suffix.lower() == ".ids":
        return rule.path
    p = Path(rule.params["file"])
    return p if p.is_absolute() else rule.path.parent / p


def load_ids_rules(ctx: Any, rules: Sequence[Rule]) -> None:
    """Read and validate every rule's IDS file before the run does any work."""
    from bimcheck.ids.load import load_ids

    for rule in rules:
        ctx.scratch[("ids", rule.id)] = load_ids(ids_path(rule))


def run_ids_rules(ctx: Any, rules: Sequence[Rule]) -> Any:
    """One finding per failed requirement and entity, per rule and model."""
    from bimcheck.ids.check import check_ids
    from bimcheck.run import KindResult

    out = KindResult()
    for rule in rules:
        doc = ctx.scratch[("ids", rule.id)]
        cov: dict[str, Any] = {"rule": rule.id, "checked": 0, "findings": 0,
                               "specifications": []}
        for index, model in enumerate(ctx.models):
            result = check_ids(model, doc)
            for spec in result.specifications:
                cov["checked"] += spec.get("applicable", 0)
                cov["specifications"].append({**spec, "model": model.path.name})
            for f in result.failures:
                refs = []
                try:
                    if f.global_id:
                        refs = [ctx.ref(index, model.file.by_guid(f.global_id))]
                    elif f.step_id is not None:
                        refs = [ctx.ref(index, model.file.by_id(f.step_id))]
                except RuntimeError:  # not in the model: a finding without elements
                    refs = []
                severity = rule.severity if f.severity_hint != "optional" else shift_severity(
                    rule.severity, -1)
                text = f"{f.specification}: {f.message}"
                out.findings.append(make_finding(
                    rule, "ids", text, refs, severity=severity,
                    discriminator=f"{f.specification_id}|{f.requirement}|"
                                  f"{f.global_id or f.step_id or ''}|{model.path.name}",
                    detail={"specification": f.specification,
                            "specification_id": f.specification_id,
                            "requirement": f.requirement, "ids": result.document}))
                cov["findings"] += 1
        out.coverage[rule.id] = cov
    return out
