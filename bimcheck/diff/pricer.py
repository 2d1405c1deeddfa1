"""Which rate of a rate table prices a takeoff row (docs/price.md "The rate table").

A rate targets one (item, quantity) of the takeoff: its ``quantity`` column,
or the one quantity of its item measured in its unit; anything else is a
:class:`~bimcheck.errors.RateTableError` naming the item (a unit is never
converted). For a row, a rate whose selector matches the element (in the
row's own revision) wins over one without a selector; two selectors
matching one element are an error naming it.
"""

from __future__ import annotations

from collections import defaultdict

from bimcheck.diff.rates import Rate, RateTable
from bimcheck.diff.result import RevisionDiff
from bimcheck.errors import RateTableError
from bimcheck.qto.records import Row


class Pricer:
    """Which rate prices a row: targets resolved once, selectors evaluated once per model."""

    def __init__(self, rates: RateTable | None, diff: RevisionDiff,
                 units: dict[tuple[str, str], set[str]]) -> None:
        self.table = rates
        self.models = {"old": diff.old, "new": diff.new}
        self.targets: dict[tuple[str, str], list[Rate]] = defaultdict(list)
        self.items_with_rates: dict[str, set[str]] = defaultdict(set)
        self._matches: dict[tuple[str, str], set[str]] = {}
        self.unused: list[str] = []
        quantities: dict[str, dict[str, set[str]]] = defaultdict(dict)
        for (item, q), us in units.items():
            quantities[item][q] = us
        for r in rates.rates if rates is not None else ():
            qs = quantities.get(r.item)
            if not qs:
                self.unused.append(r.code)
                continue
            target = self._target(r, qs)
            self.targets[(r.item, target)].append(r)
            self.items_with_rates[r.item].add(target)

    def _target(self, r: Rate, qs: dict[str, set[str]]) -> str:
        path = self.table.path if self.table is not None else None
        measured = ", ".join(f"{q} in {'/'.join(sorted(u))}" for q, u in sorted(qs.items()))
        if r.quantity is not None:
            if r.quantity not in qs:
                raise RateTableError(f"item {r.item}: the takeoff has no quantity "
                                     f"{r.quantity!r} (it measures {measured})", path=path,
                                     row=r.row, field="quantity")
            if qs[r.quantity] != {r.unit}:
                raise RateTableError(f"item {r.item}: unit mismatch: rate {r.code} is per "
                                     f"{r.unit}, the takeoff measures {measured}; units are "
                                     "never converted", path=path, row=r.row, field="unit")
            return r.quantity
        same = sorted(q for q, u in qs.items() if r.unit in u)
        if not same:
            raise RateTableError(f"item {r.item}: unit mismatch: rate {r.code} is per "
                                 f"{r.unit}, the takeoff measures {measured}; units are "
                                 "never converted", path=path, row=r.row, field="unit")
        if len(same) > 1:
            raise RateTableError(f"item {r.item}: quantities {', '.join(same)} are all in "
                                 f"{r.unit}; name the one rate {r.code} prices in the "
                                 "quantity column", path=path, row=r.row, field="quantity")
        if qs[same[0]] != {r.unit}:
            raise RateTableError(f"item {r.item}: unit mismatch: rate {r.code} is per "
                                 f"{r.unit}, the takeoff measures {measured}", path=path,
                                 row=r.row, field="unit")
        return same[0]

    def _matching(self, r: Rate, side: str) -> set[str]:
        key = (r.selector or "", side)
        if key not in self._matches:
            model = self.models[side]
            self._matches[key] = {e.GlobalId for e in model.select(r.selector or "")
                                  if getattr(e, "GlobalId", None)}
        return self._matches[key]

    def rate_for(self, row: Row, side: str) -> tuple[Rate | None, str]:
        """The rate pricing ``row`` of model ``side``, or ``None`` and why not."""
        if self.table is None:
            return None, "no rate table"
        candidates = self.targets.get((row.item, row.quantity))
        if not candidates:
            priced = self.items_with_rates.get(row.item)
            if priced:
                return None, f"the item's rates price {', '.join(sorted(priced))} only"
            return None, "no rate for the item"
        chosen = [r for r in candidates if r.selector and row.global_id in self._matching(r, side)]
        if len(chosen) > 1:
            codes = ", ".join(f"{r.code} ({r.row})" for r in chosen)
            raise RateTableError(f"item {row.item}: element {row.global_id} ({row.ifc_class} "
                                 f"{row.name or ''}) matches the selectors of rates {codes}; "
                                 "make them exclusive", path=self.table.path)
        if chosen:
            return chosen[0], ""
        plain = [r for r in candidates if not r.selector]
        if len(plain) > 1:
            codes = ", ".join(f"{r.code} ({r.row})" for r in plain)
            raise RateTableError(f"item {row.item}: rates {codes} all price {row.quantity} "
                                 "without a selector", path=self.table.path)
        if plain:
            return plain[0], ""
        return None, "no rate's selector matches the element"
