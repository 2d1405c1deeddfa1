"""Change-order pricing on tiny models made in code: the deviation rule against
hand calculations (both directions, the boundary, summed over elements), unit
mismatches naming the item, unpriced items, rate selectors, the opening of a
host re-priced by its net volume."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bimcheck.diff.price import price_revision
from bimcheck.diff.rates import load_rates
from bimcheck.errors import RateTableError
from bimcheck.model import open_model
from bimcheck.packs.pack import load_pack
from bimcheck.testing.ifcfactory import Box, ModelFactory

PACK = """\
pack: tiny
version: 1
doc: slabs and walls by volume
rules:
  - id: T-SLAB
    name: slab
    kind: measure
    severity: info
    doc: {what: slab volume, why: test, fix: none}
    a: IfcSlab
    item: "010505003"
    quantities:
      Volume: net_volume
      Area: {function: face_area, params: {max_tilt: 60}}
  - id: T-WALL
    name: wall
    kind: measure
    severity: info
    doc: {what: wall volume, why: test, fix: none}
    a: IfcWall
    item: "010402001"
    quantities:
      Volume: net_volume
"""

RATES = """\
code,description,unit,rate,selector
010505003001,slab,m3,100,
"""


def build(path: Path, slabs: dict[str, float], *, wall_opening: float | None = None,
          external: frozenset[str] = frozenset()) -> Path:
    """Slabs 10 x 10 m of the given thicknesses (m), side by side along x, with
    ``Pset_SlabCommon.IsExternal`` true for those in ``external``; with
    ``wall_opening``, a 10 x 0.2 x 3 m wall with a square opening of that side."""
    f = ModelFactory()
    storey = f.add_storey("L0", 0.0)
    for n, (name, t) in enumerate(sorted(slabs.items())):
        x = 20.0 * n
        slab = f.add_element("IfcSlab", name, storey=storey,
                             shape=Box((x, 0.0, 0.0), (x + 10.0, 10.0, t)))
        f.add_pset(slab, "Pset_SlabCommon", {"IsExternal": name in external})
    if wall_opening is not None:
        wall = f.add_element("IfcWall", "W1", storey=storey,
                             shape=Box((0.0, 20.0, 0.0), (10.0, 20.2, 3.0)))
        h = wall_opening / 2
        f.add_opening("O1", host=wall,
                      shape=Box((5.0 - h, 19.9, 1.5 - h), (5.0 + h, 20.3, 1.5 + h)))
    return f.write(path)


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    p = tmp_path_factory.mktemp("pack") / "tiny.yaml"
    p.write_text(PACK, encoding="utf-8")
    return load_pack(p, family="qto")


def price(tmp_path: Path, pack, old: dict[str, float], new: dict[str, float],
          rates: str = RATES, **kw):
    a = build(tmp_path / "a.ifc", old, wall_opening=kw.pop("opening_a", None),
              external=kw.pop("external_a", frozenset()))
    b = build(tmp_path / "b.ifc", new, wall_opening=kw.pop("opening_b", None),
              external=kw.pop("external_b", frozenset()))
    table = None
    if rates is not None:
        (tmp_path / "rates.csv").write_text(rates, encoding="utf-8")
        table = load_rates(tmp_path / "rates.csv")
    return price_revision(open_model(a), open_model(b), rules=pack.rules, packs=[pack],
                          rates=table, threads=1)


def amounts(order) -> dict[str, Decimal]:
    return {k: v for k, v in order.totals().items()}


def test_growth_beyond_the_threshold_is_repriced_at_the_over_factor(tmp_path, pack):
    # Q0 = 10 x 10 x 0.2 = 20 m3, Q1 = 30 m3 (+50 %). Plain: 10 m3 x 100 = 1000.00.
    # Beyond 1.15 x 20 = 23 m3: 7 m3 at 100 x 0.9: adjustment 7 x 100 x (0.9 - 1) = -70.00.
    # GB/T 50500: S = 1.15 Q0 P0 + (Q1 - 1.15 Q0) P1 = 2300 + 630 = 2930 = 2000 + 930.
    order = price(tmp_path, pack, {"S1": 0.2}, {"S1": 0.3})
    (line,) = [ln for ln in order.lines if ln.code]
    assert (line.old, line.new, line.delta, line.rate, line.amount) == (
        Decimal(20), Decimal(30), Decimal(10), Decimal(100), Decimal("1000.00"))
    (adj,) = order.adjustments
    assert (adj.direction, adj.old_total, adj.new_total, adj.quantity, adj.factor) == (
        "over", Decimal(20), Decimal(30), Decimal(7), Decimal("0.9"))
    assert adj.amount == Decimal("-70.00")
    assert amounts(order) == {"added": 0, "removed": 0, "changed": Decimal("1000.00"),
                              "adjustments": Decimal("-70.00"), "net": Decimal("930.00")}


def test_a_shrink_beyond_the_threshold_reprices_the_remaining_quantity(tmp_path, pack):
    # Q0 = 20 m3, Q1 = 10 m3 (-50 %). Plain: -10 x 100 = -1000.00. The remaining
    # 10 m3 at 100 x 1.1: adjustment 10 x 100 x (1.1 - 1) = +100.00.
    # GB/T 50500: S = Q1 P1 = 10 x 110 = 1100 = 2000 - 900.
    order = price(tmp_path, pack, {"S1": 0.2}, {"S1": 0.1})
    (adj,) = order.adjustments
    assert (adj.direction, adj.quantity, adj.factor, adj.amount) == (
        "under", Decimal(10), Decimal("1.1"), Decimal("100.00"))
    assert order.totals()["net"] == Decimal("-900.00")


@pytest.mark.parametrize(("thickness", "adjustment"), [
    (0.23, None),            # exactly +15 %: not more than the threshold
    (0.2301, "-0.10"),       # 23.01 m3: 0.01 m3 beyond 23, x 100 x -0.1
    (0.17, None),            # exactly -15 %
    (0.1699, "169.90"),      # 16.99 m3 remaining x 100 x 0.1
])
def test_the_threshold_is_exclusive(tmp_path, pack, thickness, adjustment):
    order = price(tmp_path, pack, {"S1": 0.2}, {"S1": thickness})
    got = [str(a.amount) for a in order.adjustments]
    assert got == ([] if adjustment is None else [adjustment])


def test_the_rule_is_per_item_summed_over_its_elements(tmp_path, pack):
    # S1 grows 50 % but the item 25 %: Q0 = 40, Q1 = 50; beyond 46: 4 m3 -> -40.00.
    order = price(tmp_path, pack, {"S1": 0.2, "S2": 0.2}, {"S1": 0.3, "S2": 0.2})
    assert [(a.quantity, a.amount) for a in order.adjustments] == [(Decimal(4),
                                                                   Decimal("-40.00"))]
    # S2 is unchanged: counted in Q0 and Q1, no line.
    assert [ln.name for ln in order.lines if ln.code] == ["S1"]
    assert order.code_totals["010505003001"] == (Decimal(40), Decimal(50))


def test_table_parameters_change_the_rule(tmp_path, pack):
    rates = "# threshold: 0.6\n" + RATES
    assert price(tmp_path, pack, {"S1": 0.2}, {"S1": 0.3}, rates).adjustments == []
    rates = "# over_factor: 1\n" + RATES  # a factor of 1 switches the adjustment off
    assert price(tmp_path, pack, {"S1": 0.2}, {"S1": 0.3}, rates).adjustments == []


def test_added_and_removed_elements_and_a_new_item(tmp_path, pack):
    # S2 removed (20 m3 credit), S3 added (30 m3); Q0 = 40, Q1 = 50: +25 %.
    order = price(tmp_path, pack, {"S1": 0.2, "S2": 0.2}, {"S1": 0.2, "S3": 0.3})
    by_name = {ln.name: ln for ln in order.lines if ln.code}
    assert (by_name["S2"].status, by_name["S2"].amount) == ("removed", Decimal("-2000.00"))
    assert (by_name["S3"].status, by_name["S3"].amount) == ("added", Decimal("3000.00"))
    t = order.totals()
    assert (t["added"], t["removed"], t["adjustments"], t["net"]) == (
        Decimal("3000.00"), Decimal("-2000.00"), Decimal("-40.00"), Decimal("960.00"))
    # An item with no bill quantity (Q0 = 0) is a new item: no deviation to price.
    order = price(tmp_path, pack, {}, {"S1": 0.2}, opening_a=0.5, opening_b=0.5)
    assert order.adjustments == [] and order.totals()["net"] == Decimal("2000.00")


def test_unit_mismatch_is_an_error_naming_the_item(tmp_path, pack):
    with pytest.raises(RateTableError) as info:
        price(tmp_path, pack, {"S1": 0.2}, {"S1": 0.3},
              "code,description,unit,rate\n010505003001,slab,t,100\n")
    message = str(info.value)
    assert "item 010505003" in message and "unit mismatch" in message
    assert "per t" in message and "Volume in m3" in message and info.value.row == "line 2"


def test_a_quantity_column_picks_one_of_several_quantities(tmp_path, pack):
    rates = "code,description,unit,rate,quantity\n010505003001,slab area,m2,10,Area\n"
    order = price(tmp_path, pack, {"S1": 0.2}, {"S1": 0.3}, rates)
    # The area does not change (100 m2 each): nothing priced; the volume is unpriced.
    assert [ln.amount for ln in order.lines] == [None]
    (u,) = order.unpriced
    assert (u.item, u.quantity, u.reason, u.lines) == (
        "010505003", "Volume", "the item's rates price Area only", 1)
    with pytest.raises(RateTableError, match="no quantity 'Weight'"):
        price(tmp_path, pack, {"S1": 0.2}, {"S1": 0.3},
              "code,description,unit,rate,quantity\n010505003001,slab,m3,10,Weight\n")


def test_items_without_a_rate_are_listed_never_dropped(tmp_path, pack):
    order = price(tmp_path, pack, {"S1": 0.2}, {"S1": 0.3}, rates=None, opening_a=0.5,
                  opening_b=0.6)
    assert order.currency == "" and order.adjustments == []
    assert all(ln.rate is None and ln.amount is None for ln in order.lines)
    doc = order.as_dict()
    assert {(d["item"], d["quantity"]) for d in doc["lines"]} == {
        ("010505003", "Volume"), ("010402001", "Volume")}
    assert all(d["rate"] is None and d["amount"] is None for d in doc["lines"])
    unpriced = {(u["item"], u["quantity"]): u for u in doc["unpriced"]}
    assert set(unpriced) == {("010505003", "Volume"), ("010505003", "Area"),
                             ("010402001", "Volume")}
    assert unpriced[("010505003", "Volume")]["delta"] == 10.0
    assert unpriced[("010505003", "Area")]["lines"] == 0
    assert all(u["reason"] == "no rate table" for u in doc["unpriced"])


def test_an_opening_resize_prices_the_host_net_volume(tmp_path, pack):
    # Wall 10 x 0.2 x 3 = 6 m3; opening 0.5 -> 0.6 m square: net 5.95 -> 5.928 m3.
    rates = RATES + "010402001001,wall,m3,520,\n"
    order = price(tmp_path, pack, {"S1": 0.2}, {"S1": 0.2}, rates, opening_a=0.5,
                  opening_b=0.6)
    (line,) = order.lines
    assert (line.name, line.status, line.old, line.new, line.delta) == (
        "W1", "modified", Decimal("5.95"), Decimal("5.928"), Decimal("-0.022"))
    assert line.amount == Decimal("-11.44") and "openings" in line.change  # -0.022 x 520


def test_selectors_choose_the_rate_and_take_precedence(tmp_path, pack):
    rates = RATES + '010505003002,thick slab,m3,200,"IfcSlab, Name=S2"\n'
    order = price(tmp_path, pack, {"S1": 0.2, "S2": 0.2}, {"S1": 0.3, "S2": 0.3}, rates)
    got = {ln.name: (ln.code, ln.amount) for ln in order.lines if ln.code}
    assert got == {"S1": ("010505003001", Decimal("1000.00")),
                   "S2": ("010505003002", Decimal("2000.00"))}
    rates = RATES + '010505003002,a,m3,200,IfcSlab\n010505003003,b,m3,300,"IfcSlab, Name=S1"\n'
    with pytest.raises(RateTableError, match="matches the selectors of rates 010505003002"):
        price(tmp_path, pack, {"S1": 0.2}, {"S1": 0.3}, rates)


def test_a_property_change_keeps_the_quantities_but_may_change_the_rate(tmp_path, pack):
    # S1 becomes external: same 20 m3, not measured again, but now priced at the
    # external slab's rate: 20 m3 credited at 100, charged at 150.
    rates = RATES + '010505003002,external slab,m3,150,"IfcSlab, Pset_SlabCommon.IsExternal=TRUE"\n'
    order = price(tmp_path, pack, {"S1": 0.2, "S2": 0.2}, {"S1": 0.2, "S2": 0.2}, rates,
                  external_b=frozenset({"S1"}))
    assert order.counts["measured"] == {"old": 2, "new": 0, "reused": 2}
    got = sorted((ln.name, ln.code, ln.delta, ln.amount) for ln in order.lines)
    assert got == [("S1", "010505003001", Decimal(-20), Decimal("-2000.00")),
                   ("S1", "010505003002", Decimal(20), Decimal("3000.00"))]
    assert {ln.status for ln in order.lines} == {"modified"}
    # 010505003001 falls from 40 to 20 m3 (-50 %): the remaining 20 m3 x 100 x 0.1.
    assert [(a.code, a.amount) for a in order.adjustments] == [("010505003001",
                                                               Decimal("200.00"))]
    assert order.totals()["net"] == Decimal("1200.00")


def test_an_element_measured_on_its_parts_is_measured_again_when_they_change(tmp_path):
    # A curtain wall without a body of its own is measured on its panel; the
    # panel grows 4 -> 5 m: the (unchanged) curtain wall's length follows.
    def model(path: Path, length: float) -> Path:
        f = ModelFactory()
        storey = f.add_storey("L0", 0.0)
        cw = f.add_element("IfcCurtainWall", "CW", storey=storey)
        f.add_element("IfcPlate", "P1", part_of=cw,
                      shape=Box((0.0, 0.0, 0.0), (length, 0.05, 3.0)))
        return f.write(path)

    a, b = model(tmp_path / "a.ifc", 4.0), model(tmp_path / "b.ifc", 5.0)
    order = price_revision(open_model(a), open_model(b), threads=1)
    cw = {ln.quantity: ln for ln in order.lines if ln.name == "CW"}
    assert cw["Length"].delta == Decimal(1) and cw["Length"].status == "unchanged"
    assert cw["Length"].change == "unchanged itself; its parts, openings or fillings changed"
    assert order.counts["measured"]["reused"] == 0
