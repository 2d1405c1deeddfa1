"""Change-order pricing: :func:`price_revision` → :class:`~bimcheck.diff.order.ChangeOrder`.

1. One :class:`~bimcheck.context.RunContext` for both revisions: the old
   model's takeoff asks for its meshes before the diff runs, so the diff and
   the takeoff share one tessellation pass (and the cache).
2. :func:`~bimcheck.diff.diff_models` matches the elements (GlobalId, then
   shape + placement, then name + position), so re-issued GlobalIds price as
   the same element.
3. The takeoff (:func:`~bimcheck.qto.takeoff.run_takeoff`, one measurement
   pack) runs on every selected element of the old revision, and on the new
   revision's elements that are not ``unchanged``: an unchanged element has
   the same geometry, placement, data, type, container, openings, material
   and classification, so its rows are the old ones (an element whose parts,
   openings or fillings changed is measured again).
4. Rows are joined per matched pair on (item, quantity, rate code):
   delta = new − old, priced at the rate (:mod:`bimcheck.diff.rates`); a
   line per non-zero delta. Then the quantity-deviation rule per rate code
   over all its elements (docs/price.md): growth beyond (1 + threshold) × Q0
   re-priced at rate × ``over_factor``; a shrink below (1 − threshold) × Q0
   re-prices the remaining Q1 at rate × ``under_factor``; each an adjustment
   line of its own.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from bimcheck.context import RunContext
from bimcheck.diff.order import ZERO, Adjustment, ChangeOrder, Line, Unpriced, money
from bimcheck.diff.pricer import Pricer
from bimcheck.diff.rates import Rate, RateTable
from bimcheck.diff.result import ElementDiff, RevisionDiff
from bimcheck.diff.reuse import (
    SAME_QUANTITIES,
    memo_key,
    price_scope,
    reusable,
    rule_sets,
    select_rules,
    selection_except,
)
from bimcheck.geometry.cache import MeshCache
from bimcheck.model import Model
from bimcheck.packs.schema import Rule
from bimcheck.qto.records import VALUE_DECIMALS, Row
from bimcheck.qto.takeoff import run_takeoff, select_takeoff

#: (old GlobalId or None, new GlobalId or None, status, diff entry or None).
_Pair = tuple[str | None, str | None, str, ElementDiff | None]
#: (item, quantity, rate code or None) → quantity in the row's unit.
_Values = dict[tuple[str, str, str | None], Decimal]


#: Quantity deltas of at most this (in the row's unit) are no change: one unit
#: of the takeoff's last kept decimal, which a translated mesh's arithmetic can
#: flip (a wall's side area 49.536364 -> 49.536363 m² after a 0.1 m move).
RESOLUTION = Decimal(1).scaleb(-VALUE_DECIMALS)


def quantity_of(value: float) -> Decimal:
    """A takeoff value as the decimal the change order uses: rounded to
    :data:`VALUE_DECIMALS` like the takeoff's JSON."""
    return Decimal(repr(round(value, VALUE_DECIMALS) + 0.0))


def price_revision(
    old: Model,
    new: Model,
    *,
    rules: Sequence[Rule] | None = None,
    packs: Sequence[Any] = (),
    rates: RateTable | None = None,
    diff: RevisionDiff | None = None,
    context: RunContext | None = None,
    cache: MeshCache | None = None,
    timeout: float | None = None,
    threads: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ChangeOrder:
    """The change order of revision ``new`` against ``old`` (module docstring).

    ``rules``: measurement rules (default: the shipped ``rules/qto/ifc-base.yaml``),
    ``packs`` the loaded packs they came from (for the header's digests).
    ``rates``: without a table every delta is listed unpriced. ``diff``: a
    diff of these two models already made (else one is made here). With a
    ``context`` (models ``[old, new]``) meshes and the time budget are its;
    otherwise one is made with ``cache``, ``timeout`` (s), ``threads`` and
    ``progress(stage, done, total)``."""
    from bimcheck.run import header

    t_start = time.perf_counter()
    if rules is None:
        from bimcheck.packs.pack import load_pack
        from bimcheck.qto.rules import default_qto_pack_path

        pack = load_pack(default_qto_pack_path(), family="qto")
        rules, packs = pack.rules, [pack]
    ctx = context or RunContext([old, new], cache=cache, timeout=timeout, threads=threads,
                                progress=progress)
    if len(ctx.models) != 2 or ctx.models[0] is not old or ctx.models[1] is not new:
        raise ValueError("the run context's models must be [old, new]")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    select_takeoff(ctx, 0, rules)
    if ctx.cache is not None:
        # The old revision first, on its own: its meshes are in the cache when
        # the diff and the new takeoff ask for the new one's, so every element
        # whose geometry did not change is read back instead of tessellated again
        # (one pass would tessellate both copies: it never reads what it writes).
        ctx.geometry(0)
        ctx.gross(0)
    timings["old_meshes"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    selection = select_rules(new, rules)
    if diff is None:
        from bimcheck.diff import diff_models

        scope = price_scope(old, new, ctx.scratch[memo_key(0, rules)][0], selection)
        diff = diff_models(old, new, context=ctx, scope=scope)
    timings["diff"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    before = run_takeoff(old, rules, context=ctx, index=0, reconcile_tolerance=None)
    timings["takeoff_old"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    reused = reusable(diff, rule_sets(ctx.scratch[memo_key(0, rules)][0]),
                      rule_sets(selection))
    skip = {e.new_id for e in reused}
    ctx.scratch[memo_key(1, rules)] = selection_except(selection, skip)
    after = run_takeoff(new, rules, context=ctx, index=1, reconcile_tolerance=None)
    timings["takeoff_new"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    order = build_order(diff, before.rows, after.rows, rates, {e.global_id for e in reused})
    timings["price"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_start
    order.header = {**header(ctx, "price", packs),
                    "rates": rates.header() if rates is not None else None}
    order.counts["measured"] = {"old": len({r.global_id for r in before.rows}),
                                "new": len({r.global_id for r in after.rows}),
                                "reused": len(reused)}
    failures = [*(f"{old.path.name}: {f.global_id} {f.reason}" for f in before.failures),
                *(f"{new.path.name}: {f.global_id} {f.reason}" for f in after.failures)]
    order.warnings.extend(sorted(failures))
    order.timings = {**timings, **{f"geometry_{k}": v for k, v in ctx.timings.items()}}
    return order


def _values(rows: list[Row], side: str, pricer: Pricer, rates: dict[str, Rate],
            why: dict[tuple[str, str, str | None], str]) -> _Values:
    out: _Values = defaultdict(Decimal)
    for row in rows:
        rate, reason = pricer.rate_for(row, side)
        code = rate.code if rate is not None else None
        if rate is not None:
            rates[rate.code] = rate
        else:
            why.setdefault((row.item, row.quantity, row.unit), reason)
        out[(row.item, row.quantity, code)] += quantity_of(row.value)
    return out


def _pairs(diff: RevisionDiff, old_ids: set[str], new_ids: set[str]) -> list[_Pair]:
    """The diff's pairs, then rows of elements the diff does not list
    (not IfcElements) paired by GlobalId."""
    pairs: list[_Pair] = [(o, n, e.status, e) for o, n, e in diff.pairs()]
    listed_old = {o for o, _, _, _ in pairs if o}
    listed_new = {n for _, n, _, _ in pairs if n}
    extra_old, extra_new = old_ids - listed_old, new_ids - listed_new
    for gid in sorted(extra_old | extra_new):
        o = gid if gid in extra_old else None
        n = gid if gid in extra_new else None
        pairs.append((o, n, "added" if o is None else "removed" if n is None else "modified",
                      None))
    return pairs


def build_order(diff: RevisionDiff, old_rows: list[Row], new_rows: list[Row],
                rates: RateTable | None, reused: set[str]) -> ChangeOrder:
    """Join the two takeoffs through the diff's pairs and price them.

    ``reused``: GlobalIds (the diff entries') of elements that were not
    measured again (:func:`reusable`: their old rows stand for the new ones)."""
    units: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in (*old_rows, *new_rows):
        units[(row.item, row.quantity)].add(row.unit)
    pricer = Pricer(rates, diff, dict(units))
    by_old: dict[str, list[Row]] = defaultdict(list)
    by_new: dict[str, list[Row]] = defaultdict(list)
    for row in old_rows:
        by_old[row.global_id].append(row)
    for row in new_rows:
        by_new[row.global_id].append(row)
    meta = {(r.item, r.quantity): r.unit for r in (*old_rows, *new_rows)}
    used: dict[str, Rate] = {}
    why: dict[tuple[str, str, str | None], str] = {}
    q0: dict[str, Decimal] = defaultdict(Decimal)
    q1: dict[str, Decimal] = defaultdict(Decimal)
    item_totals: dict[tuple[str, str, str], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, 0])
    lines: list[Line] = []
    zero_delta = noise = 0
    for old_id, new_id, status, entry in _pairs(diff, set(by_old), set(by_new)):
        o_rows = by_old.get(old_id, []) if old_id else []
        o = _values(o_rows, "old", pricer, used, why)
        same = entry is not None and entry.global_id in reused and new_id is not None
        if same:
            # The old rows stand for the new ones (same quantities), priced at
            # the rates that match the element in the new revision.
            relabelled = [replace(r, global_id=new_id) for r in o_rows]
            n = _values(relabelled, "new", pricer, used, why)
        else:
            n = _values(by_new.get(new_id, []) if new_id else [], "new", pricer, used, why)
        for (_i, _q, code), v in o.items():
            if code is not None:
                q0[code] += v
        for (_i, _q, code), v in n.items():
            if code is not None:
                q1[code] += v
        rows = by_new.get(new_id, []) if new_id else []
        ref = rows[0] if rows else (o_rows[0] if o_rows else None)
        changed_any = False
        for key in sorted(set(o) | set(n), key=lambda k: (k[0], k[1], k[2] or "")):
            item, q, code = key
            before, after = o.get(key, ZERO), n.get(key, ZERO)
            delta = after - before
            if delta != 0 and abs(delta) <= RESOLUTION:
                noise += 1  # a last-digit flip of the rounded takeoff (a moved mesh)
                delta = ZERO
            if code is None:
                t = item_totals[(item, q, meta[(item, q)])]
                t[0] += before
                t[1] += after
                if delta != 0:
                    t[2] += 1
            if delta == 0:
                continue
            changed_any = True
            rate = used.get(code) if code else None
            lines.append(Line(
                global_id=entry.global_id if entry else (new_id or old_id or ""),
                old_global_id=(entry.old_global_id if entry else None),
                ifc_class=entry.ifc_class if entry else (ref.ifc_class if ref else ""),
                name=entry.name if entry else (ref.name if ref else None),
                storey=entry.storey if entry else (ref.storey if ref else None),
                item=item, quantity=q, unit=meta[(item, q)], code=code,
                description=rate.description if rate else None,
                old=before, new=after, delta=delta,
                rate=rate.rate if rate else None,
                amount=money(delta * rate.rate) if rate else None,
                status=status, cause=entry.cause if entry else None,
                change=_change_text(entry),
                matched_by=entry.matched_by if entry else None,
            ))
        if not changed_any and status != "unchanged":
            zero_delta += 1
    lines.sort(key=lambda ln: (ln.item, ln.code or "", ln.quantity, ln.global_id, ln.status))
    adjustments = _adjustments(rates, used, q0, q1)
    unpriced = [Unpriced(item=i, quantity=q, unit=u, reason=why.get((i, q, u), "no rate"),
                         old_total=t[0], new_total=t[1], lines=int(t[2]))
                for (i, q, u), t in sorted(item_totals.items())]
    statuses = defaultdict(int)
    for e in diff.elements:
        statuses[e.status] += 1
    counts = {
        "elements": dict(sorted(statuses.items())),
        "causes": len(diff.causes),
        "lines": len(lines),
        "priced_lines": sum(1 for ln in lines if ln.amount is not None),
        "changed_without_quantity_change": zero_delta,
        "deltas_below_resolution": noise,
        "unused_rates": sorted(set(pricer.unused)),
        "geometry_set_unchanged": diff.summary.get("geometry_set_unchanged"),
    }
    return ChangeOrder(header={}, currency=rates.currency if rates else "", lines=lines,
                       adjustments=adjustments, unpriced=unpriced,
                       code_totals={c: (q0.get(c, ZERO), q1.get(c, ZERO))
                                    for c in sorted(set(q0) | set(q1))},
                       counts=counts)


def _change_text(entry: ElementDiff | None) -> str:
    if entry is None:
        return "not compared by the diff (not an IfcElement): paired by GlobalId"
    if entry.status == "unchanged":
        return "unchanged itself; its parts, openings or fillings changed"
    if {c.kind for c in entry.changes} <= SAME_QUANTITIES:
        # its own changes leave quantities alone: the change is in its parts
        return f"{entry.change_summary}; its parts, openings or fillings changed"
    return entry.change_summary


def _adjustments(table: RateTable | None, used: dict[str, Rate], q0: dict[str, Decimal],
                 q1: dict[str, Decimal]) -> list[Adjustment]:
    """The deviation rule per rate code (docs/price.md "The deviation rule")."""
    if table is None:
        return []
    t = table.threshold
    out = []
    for code in sorted(used):
        r = used[code]
        before, after = q0.get(code, ZERO), q1.get(code, ZERO)
        if before <= 0:
            continue  # a new bill item: no bill quantity to deviate from
        if after > (1 + t) * before and table.over_factor != 1:
            direction, factor, quantity = "over", table.over_factor, after - (1 + t) * before
        elif after < (1 - t) * before and table.under_factor != 1:
            direction, factor, quantity = "under", table.under_factor, after
        else:
            continue
        out.append(Adjustment(
            code=code, item=r.item, description=r.description, unit=r.unit, rate=r.rate,
            old_total=before, new_total=after, direction=direction, threshold=t,
            factor=factor, quantity=quantity, amount=money(quantity * r.rate * (factor - 1))))
    return out
