"""One use case end to end: check models against packs and gate the result.

:func:`prepare_check` reads and validates every input first (packs, IDS
files, lift plan, gate, baseline, waivers, models), so bad input fails before
any long work; :func:`run_prepared` runs the rules and the gate. ``bimcheck
check`` and the batch runner call these two; :func:`check_models` does both.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bimcheck import checkserved as served
from bimcheck.context import Progress, RunContext
from bimcheck.gate import GatePolicy, Verdict, gate, load_baseline, load_gate, load_waivers
from bimcheck.geometry.cache import MeshCache
from bimcheck.model import Model, open_model
from bimcheck.packs.loader import builtin_rules_dir
from bimcheck.packs.pack import Pack, load_packs
from bimcheck.packs.schema import Rule
from bimcheck.run import CheckReport, run_checks, unmeshed_ids


@dataclass
class CheckOptions:
    """What to check and how to gate it (paths as given by the user)."""

    models: list[Path]
    sources: list[Path] = field(default_factory=list)
    lift_plan: Path | None = None
    gate_file: Path | None = None
    fail_on: str | None = None
    baseline: Path | None = None
    waivers: Path | None = None
    timeout: float | None = None
    threads: int | None = None

    def header(self) -> dict[str, Any]:
        """The options as the report header records them (file names only)."""
        def name(p: Path | None) -> str | None:
            return None if p is None else p.name

        return {
            "rules": [p.name for p in self.sources] or ["default"],
            "lift_plan": name(self.lift_plan), "gate": name(self.gate_file),
            "fail_on": self.fail_on, "baseline": name(self.baseline),
            "waivers": name(self.waivers), "timeout": self.timeout,
        }


@dataclass
class Prepared:
    """Validated inputs of a check, ready to run."""

    options: CheckOptions
    models: list[Model]
    packs: list[Pack]
    rules: list[Rule]
    policy: GatePolicy
    baseline: set[str] | None
    waivers: list[Any]
    lift_plan: Any
    cache: MeshCache | None
    context: RunContext | None = None
    #: The result cache's look-up (:mod:`bimcheck.results`): its entry, when
    #: the models' bytes and every input are unchanged since a stored run.
    found: Any = None
    #: GlobalIds without a mesh in the run (set by :func:`run_prepared`).
    unmeshed: set[str] = field(default_factory=set)


def crane_pack_path() -> Path:
    """The shipped crane pack, ``rules/crane/lifts.yaml``."""
    return builtin_rules_dir() / "crane" / "lifts.yaml"


def prepare_check(options: CheckOptions, *, cache: MeshCache | None = None,
                  serve: bool = True) -> Prepared:
    """Read and validate every input; a :class:`~bimcheck.errors.BimcheckError`
    naming the file and what is wrong otherwise.

    With a ``cache`` (and ``serve``), a check of the same model bytes under
    the same names, with the same rules, lift plan and options, is served
    from the result cache by :func:`run_prepared`: the models are then not
    parsed here (they answer from stored facts, and parse only if something
    asks for more). The gate, baseline and waivers are applied afresh."""
    from bimcheck.crane.plan import load_lift_plan

    packs = load_packs(options.sources)
    plan = None if options.lift_plan is None else load_lift_plan(options.lift_plan)
    if plan is not None and not any(r.family == "crane" for p in packs for r in p.rules):
        packs += load_packs([crane_pack_path()])
    policy = load_gate(options.gate_file) if options.gate_file is not None else GatePolicy()
    if options.fail_on is not None:
        policy = GatePolicy(fail_on=options.fail_on, max_per_rule=policy.max_per_rule,
                            new_only=policy.new_only)
    baseline = None if options.baseline is None else load_baseline(options.baseline)
    waivers = [] if options.waivers is None else load_waivers(options.waivers)
    rules = [r for p in packs for r in p.rules]
    found = served.look_up(options, packs, rules, plan, cache) if serve else None
    models = None if found is None else served.facts_models(found, options.models)
    if models is None:
        models = [open_model(m, require_geometry=False) for m in options.models]
    return Prepared(options=options, models=models, packs=packs, rules=rules, policy=policy,
                    baseline=baseline, waivers=waivers, lift_plan=plan, cache=cache,
                    found=found)


def run_prepared(prepared: Prepared, *, progress: Progress | None = None,
                 today: dt.date | None = None) -> tuple[CheckReport, Verdict]:
    """Run the rules on the models (or serve the report from the result
    cache, see :func:`prepare_check`) and gate the report."""
    t0 = time.monotonic()
    report = served.served_report(prepared)
    if report is not None:
        report.timings = {"total": time.monotonic() - t0}
        if progress is not None:
            progress("served from the result cache", 1, 1)
    else:
        ctx = RunContext(prepared.models, cache=prepared.cache,
                         timeout=prepared.options.timeout, threads=prepared.options.threads,
                         progress=progress, lift_plan=prepared.lift_plan,
                         options=prepared.options.header())
        prepared.context = ctx
        report = run_checks(ctx, prepared.rules, packs=prepared.packs)
        prepared.unmeshed = unmeshed_ids(ctx)
        served.store_report(prepared, report)
    report.timings["result_from_cache"] = prepared.context is None
    return gate(report, prepared.policy, baseline=prepared.baseline,
                waivers=prepared.waivers, today=today)


def check_models(options: CheckOptions, *, cache: MeshCache | None = None,
                 progress: Progress | None = None,
                 today: dt.date | None = None) -> tuple[CheckReport, Verdict]:
    """:func:`prepare_check` then :func:`run_prepared`."""
    return run_prepared(prepare_check(options, cache=cache), progress=progress, today=today)
