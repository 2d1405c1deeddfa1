"""The quantity kinds as the check engine runs them.

* ``measure`` (family ``qto``): the takeoff rows of measurement rules, in the
  report's ``quantities``;
* ``reconcile`` (family ``quantity``): a measurement pack's rows compared with
  the base quantities the file declares; every quantity off by more than
  ``tolerance`` is a finding (measure ``deviation``, relative);
* ``quantity`` (family ``quantity``): a threshold on a computed quantity: a
  slab thicker or thinner than allowed, a wall with no net volume. A value
  below ``min`` or above ``max`` (in the function's unit) is a finding
  (measure ``deviation``: how far outside, relative to the bound crossed).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from bimcheck.findings import Quantity, make_finding
from bimcheck.packs.loader import builtin_rules_dir
from bimcheck.packs.registry import REGISTRY
from bimcheck.packs.schema import Kind, Param, Rule
from bimcheck.qto import FUNCTIONS
from bimcheck.qto.measure import build_measures, request_measured
from bimcheck.qto.reconcile import ABSOLUTE_FLOOR
from bimcheck.qto.records import DEFAULT_RECONCILE_TOLERANCE
from bimcheck.qto.rules import load_qto_pack
from bimcheck.qto.takeoff import run_takeoff, select_takeoff


def _pack_path(value: str, base: Path | None = None) -> Path:
    """A measurement pack named by a rule: relative to the rule's pack, else
    to the shipped ``rules/`` folder."""
    p = Path(value)
    if not p.is_absolute():
        if base is not None and (base / p).is_file():
            return base / p
        p = builtin_rules_dir() / p
    return p


def _check_pack(value: str) -> str:
    if not value.strip() or len(value) > 4096 or "\0" in value:
        raise ValueError("expected a path to a measurement pack")
    return value.strip()


def _check_function(value: str) -> str:
    if value not in FUNCTIONS:
        raise ValueError(f"unknown quantity function {value!r}; expected one of "
                         f"{', '.join(sorted(FUNCTIONS))}")
    return value


REGISTRY.register(Kind(
    "reconcile", family="quantity",
    doc="declared base quantities that disagree with the measured ones",
    params={
        "pack": Param(str, "qto/ifc-base.yaml", "measurement pack whose rows are compared "
                      "(relative to this pack, else to the shipped rules/)", check=_check_pack),
        "tolerance": Param(float, DEFAULT_RECONCILE_TOLERANCE, "relative difference allowed",
                           minimum=0.0, maximum=1.0),
    },
    a_selector="none", b_selector=False, needs=frozenset({"meshes", "gross",
                                                         "declared_quantities"}),
    run="bimcheck.qto.checks:run_reconcile_rules",
    select="bimcheck.qto.checks:select_reconciled",
))
REGISTRY.register(Kind(
    "quantity", family="quantity",
    doc="a computed quantity outside its allowed range",
    params={
        "function": Param(str, "net_volume", "quantity function measured", check=_check_function),
        "min": Param(float, None, "smallest value allowed (the function's unit)"),
        "max": Param(float, None, "largest value allowed (the function's unit)"),
    },
    b_selector=False, needs=frozenset({"meshes", "gross"}),
    run="bimcheck.qto.checks:run_quantity_rules",
    select="bimcheck.qto.checks:select_quantity",
))


def _row_dict(row: Any, model: str, tessellation: str) -> dict[str, Any]:
    d = row.as_dict(tessellation)
    d["model"] = model
    return d


# -- measure -----------------------------------------------------------------

def select_measured(ctx: Any, rules: Sequence[Rule]) -> None:
    """Ask for the meshes the measurement rules need, on every model."""
    for index in range(len(ctx.models)):
        select_takeoff(ctx, index, rules)


def run_measure_rules(ctx: Any, rules: Sequence[Rule]) -> Any:
    """The takeoff rows of ``rules`` on every model (no findings)."""
    from bimcheck.run import KindResult

    out = KindResult()
    for index, model in enumerate(ctx.models):
        takeoff = run_takeoff(model, rules, reconcile_tolerance=None, context=ctx, index=index)
        out.rows.extend(_row_dict(r, model.path.name, takeoff.settings_key)
                        for r in takeoff.rows)
        for rule in rules:
            cov = out.coverage.setdefault(rule.id, {"rule": rule.id, "checked": 0,
                                                    "rows": 0, "findings": 0})
            cov["rows"] += sum(1 for r in takeoff.rows if r.rule == rule.id)
            cov["checked"] += len({r.global_id for r in takeoff.rows if r.rule == rule.id})
    return out


# -- reconcile ---------------------------------------------------------------

@lru_cache(maxsize=16)
def _pack_rules(path: str, mtime: float) -> tuple[Rule, ...]:
    return load_qto_pack(path).rules


def _measurement_rules(rule: Rule) -> tuple[Rule, ...]:
    p = _pack_path(rule.params["pack"], rule.path.parent)
    try:
        mtime = os.stat(p).st_mtime
    except OSError:
        mtime = 0.0
    return _pack_rules(str(p), mtime)


def select_reconciled(ctx: Any, rules: Sequence[Rule]) -> None:
    """Ask for the meshes the compared measurement packs need."""
    for rule in rules:
        for index in range(len(ctx.models)):
            select_takeoff(ctx, index, _measurement_rules(rule))


def run_reconcile_rules(ctx: Any, rules: Sequence[Rule]) -> Any:
    """Declared against measured quantities, per rule and model: findings, and
    the rows measured (in the report's quantities)."""
    from bimcheck.run import KindResult

    out = KindResult()
    seen_rows: set[tuple[str, str]] = set()
    for rule in rules:
        tolerance = float(rule.params["tolerance"])
        cov = {"rule": rule.id, "checked": 0, "compared": 0, "findings": 0}
        measured = _measurement_rules(rule)
        for index, model in enumerate(ctx.models):
            takeoff = run_takeoff(model, measured, reconcile_tolerance=tolerance,
                                  context=ctx, index=index)
            key = (model.path.name, ",".join(r.id for r in measured))
            if key not in seen_rows:  # two reconcile rules of one pack: rows once
                seen_rows.add(key)
                out.rows.extend(_row_dict(r, model.path.name, takeoff.settings_key)
                                for r in takeoff.rows)
            cov["checked"] += len({r.global_id for r in takeoff.rows})
            cov["compared"] += takeoff.compared
            for f in takeoff.findings:
                element = model.element(f.global_id)
                measures = {"declared": Quantity(f.declared, f.unit),
                            "computed": Quantity(f.computed, f.unit)}
                if f.difference is not None:
                    measures["deviation"] = Quantity(f.difference, "1")
                out.findings.append(make_finding(
                    rule, "reconcile", f"{f.item}: {f.message}", [ctx.ref(index, element)],
                    discriminator=f"{f.item}/{f.quantity}", measures=measures,
                    detail={"item": f.item, "quantity": f.quantity, "declared_in": f.qset,
                            "measured_by": f.rule},
                ))
                cov["findings"] += 1
        out.coverage[rule.id] = cov
    return out


# -- quantity thresholds ------------------------------------------------------

def select_quantity(ctx: Any, rules: Sequence[Rule]) -> None:
    """Select every threshold rule's elements and ask, once per model for all
    the rules, for what measuring them takes."""
    for index, model in enumerate(ctx.models):
        union: dict[int, Any] = {}
        for rule in rules:
            chosen = [e for e in model.select(rule.a) if getattr(e, "GlobalId", None)]
            ctx.scratch[("quantity", index, rule.id)] = chosen
            union.update((e.id(), e) for e in chosen)
        ctx.scratch[("quantity", index)] = request_measured(
            ctx, index, sorted(union.values(), key=lambda e: e.id()))


def run_quantity_rules(ctx: Any, rules: Sequence[Rule]) -> Any:
    """One finding per element whose quantity is outside the rule's range."""
    from bimcheck.run import KindResult

    out = KindResult()
    measured = []  # per model, the measures of every rule's elements, built once
    for index, model in enumerate(ctx.models):
        products, parts_of = ctx.scratch[("quantity", index)]
        measured.append(build_measures(model, products, parts_of, ctx.geometry(index),
                                       ctx.gross(index))[0])
    for rule in rules:
        fn = FUNCTIONS[rule.params["function"]]
        low, high = rule.params["min"], rule.params["max"]
        cov = {"rule": rule.id, "checked": 0, "not_measured": 0, "findings": 0}
        for index, measures in enumerate(measured):
            for e in ctx.scratch[("quantity", index, rule.id)]:
                m = measures.get(e.GlobalId)
                value = None if m is None else fn(m, {})
                if value is None:
                    cov["not_measured"] += 1
                    continue
                cov["checked"] += 1
                bound, side = None, ""
                if low is not None and value < low - ABSOLUTE_FLOOR:
                    bound, side = low, "below the minimum"
                elif high is not None and value > high + ABSOLUTE_FLOOR:
                    bound, side = high, "above the maximum"
                if bound is None:
                    continue
                deviation = (value - bound) / abs(bound) if bound else value - bound
                out.findings.append(make_finding(
                    rule, "quantity",
                    f"{fn.name} {value:.4g} {fn.unit} is {side} of {bound:g} {fn.unit}",
                    [ctx.ref(index, e)], discriminator=fn.name,
                    measures={fn.name: Quantity(value, fn.unit),
                              "deviation": Quantity(deviation, "1")},
                ))
                cov["findings"] += 1
        out.coverage[rule.id] = cov
    return out

