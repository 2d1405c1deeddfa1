"""The samples' change order (rev A -> rev B with samples/tower.rates.csv and
samples/tower.bill.yaml) equals the hand-computed one in the rev B truth;
meaningless changes price zero; the outputs are deterministic; the
IfcCostSchedule written into a copy of rev B reads back."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from decimal import Decimal

import ifcopenshell
import pytest
import yaml

from bimcheck.diff.costschedule import cost_schedule, write_cost_schedule
from bimcheck.diff.price import price_revision
from bimcheck.diff.rates import load_rates
from bimcheck.model import open_model
from bimcheck.packs.pack import load_pack
from bimcheck.report.changeorder import order_csv, order_json, order_xlsx
from bimcheck.testing.revisions import delete_and_recreate, reissue_global_ids
from tests.conftest import REPO, SAMPLES, load_sample_script

TRUTH = yaml.safe_load((SAMPLES / "tower_rev_b.truth.yaml").read_text(encoding="utf-8"))
PRICE = TRUTH["price"]
A, B = SAMPLES / "tower_rev_a.ifc", SAMPLES / "tower_rev_b.ifc"


@pytest.fixture(scope="module")
def pack():
    return load_pack(SAMPLES / PRICE["rules"], family="qto")


@pytest.fixture(scope="module")
def table():
    return load_rates(SAMPLES / PRICE["rates"])


def run(old, new, pack, table):
    return price_revision(open_model(old), open_model(new), rules=pack.rules, packs=[pack],
                          rates=table)


@pytest.fixture(scope="module")
def order(pack, table):
    return run(A, B, pack, table)


def test_the_rates_file_is_fresh(tmp_path):
    written = load_sample_script("build_samples.py").write_rates(tmp_path / "r.csv")
    assert written.read_bytes() == (SAMPLES / PRICE["rates"]).read_bytes()


def test_the_samples_total_is_exactly_the_hand_computed_one(order):
    doc = order.as_dict()
    assert doc["totals"] == PRICE["totals"]
    assert doc["totals"]["net"] == 3525.56  # the hand derivation in samples/build_samples.py
    lines = {d["global_id"]: d for d in doc["lines"]}
    assert set(lines) == {x["global_id"] for x in PRICE["lines"]}
    for want in PRICE["lines"]:
        got = lines[want["global_id"]]
        for key in ("status", "item", "code", "quantity", "unit", "old", "new", "delta", "rate",
                    "amount"):
            assert got[key] == want[key], (want["name"], key)
        assert got["name"] == want["name"]
    assert [{k: a[k] for k in ("code", "old_total", "new_total", "direction", "quantity",
                                "factor", "amount")} for a in doc["adjustments"]] == \
        PRICE["adjustments"]
    assert [(u["item"], u["quantity"]) for u in doc["unpriced"]] == [
        (u["item"], u["quantity"]) for u in PRICE["unpriced"]]
    # Every line says what caused it; the moved duct and the property edit cost nothing.
    assert lines[TRUTH["elements"]["W-1-east"]["global_id"]]["change"].startswith("openings")
    assert doc["summary"]["changed_without_quantity_change"] == 3  # DUCT-1, W-0-south-1, O-1
    header = doc["header"]
    assert [m["digest"] for m in header["models"]] == [open_model(A).content_digest,
                                                        open_model(B).content_digest]
    assert header["rates"]["path"] == "tower.rates.csv" and len(header["rates"]["digest"]) == 40
    assert header["packs"][0]["name"] == "tower-bill"


def test_subtotals_add_up(order):
    doc = order.as_dict()
    by_code = doc["subtotals"]["by_code"]
    assert sum(Decimal(str(s["total"])) for s in by_code) == Decimal("3525.56")
    by_storey = {s["storey"]: s["amount"] for s in doc["subtotals"]["by_storey"]}
    assert by_storey == {"Level 0": 292.5, "Level 1": 459.22, "Level 2": 2856.96}
    assert sum(Decimal(str(v)) for v in by_storey.values()) + Decimal("-83.12") == \
        Decimal("3525.56")


def test_only_changed_elements_are_measured_again(order):
    measured = order.counts["measured"]
    # The diff covers what the bill's rules select (and their openings, fillings,
    # parts); of those, every unchanged one and W-0-south-1 (only a property
    # changed) keep their rows.
    elements = order.counts["elements"]
    assert elements["modified"] == 5 and elements["moved"] == 1
    assert elements["unchanged"] <= TRUTH["changes"]["unchanged_count"]
    assert measured["reused"] == elements["unchanged"] + 1
    # SL-R, W-0-partition, W-1-east, P-1-riser, DUCT-1 (moved) are measured again.
    assert measured["new"] == 5


def test_re_issued_global_ids_price_the_same(tmp_path, pack, table, order):
    churned = tmp_path / "rev_b_reissued.ifc"
    reissue_global_ids(B, churned)
    again = run(A, churned, pack, table)
    assert again.as_dict()["totals"] == PRICE["totals"]
    assert {ln.old_global_id or ln.global_id for ln in again.lines if ln.status != "added"} \
        == {ln.global_id for ln in order.lines if ln.status != "added"}
    assert all(ln.old_global_id for ln in again.lines if ln.status == "modified")


def test_delete_and_recreate_prices_nothing(tmp_path, pack, table):
    gids = [TRUTH["elements"][n]["global_id"] for n in ("SL-R", "C-0-A1", "W-0-west",
                                                         "DUCT-2", "P-2-main", "BM-0-mid")]
    recreated = tmp_path / "rev_a_recreated.ifc"
    delete_and_recreate(A, recreated, gids)
    order = run(A, recreated, pack, table)
    assert order.lines == [] and order.adjustments == []
    assert all(v == 0 for v in order.totals().values())
    assert order.counts["elements"].get("added", 0) == 0
    assert order.counts["elements"].get("removed", 0) == 0


def test_json_is_byte_identical_across_runs_and_hash_seeds(tmp_path, pack, table, order):
    first = order_json(order.as_dict())
    assert order_json(run(A, B, pack, table).as_dict()) == first
    outputs = []
    for seed in ("0", "4242"):
        out = tmp_path / f"order-{seed}.json"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "bimcheck.cli", "-q", "price", str(A), str(B),
                        "--rates", str(SAMPLES / PRICE["rates"]), "--rules",
                        str(SAMPLES / PRICE["rules"]), "-o", str(out), "--no-cache"],
                       check=True, env=env, cwd=REPO, capture_output=True)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    # The command's header names the files as given; the rest equals the library's.
    import json

    cli, lib = json.loads(outputs[0]), json.loads(first)
    for key in ("lines", "adjustments", "totals", "unpriced", "subtotals"):
        assert cli[key] == lib[key]


def test_csv_and_xlsx(order):
    doc = order.as_dict()
    text = order_csv(doc)
    rows = text.splitlines()
    assert rows[0].startswith("kind,global_id,")
    assert sum(r.startswith("line,") for r in rows) == 5
    assert sum(r.startswith("adjustment,") for r in rows) == 2
    assert rows[-1].startswith("total,") and rows[-1].split(",")[15] == "3525.56"
    data = order_xlsx(doc)
    assert data == order_xlsx(doc)  # fixed dates: the same bytes
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Summary", "Lines", "Adjustments", "Unpriced"]
    assert wb["Lines"].max_row == 6 and wb["Adjustments"].max_row == 3
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r and r[0]}
    assert summary["net"] == 3525.56


def test_cost_schedule_round_trip(tmp_path, order):
    out = tmp_path / "rev_b.cost.ifc"
    write_cost_schedule(order, open_model(B), out, overwrite=False)
    f = ifcopenshell.open(str(out))
    (schedule,) = f.by_type("IfcCostSchedule")
    assert schedule.ObjectType == "CHANGEORDER" and "net 3525.56 CNY" in schedule.Description
    assert [u.Currency for u in f.by_type("IfcMonetaryUnit")] == ["CNY"]
    tops = [r.RelatedObjects for r in schedule.Controls or ()]
    codes = sorted(i.Identification for objs in tops for i in objs)
    assert codes == sorted({x["code"] for x in PRICE["lines"]})
    want = {x["global_id"]: x for x in PRICE["lines"]}
    seen, adjustments = set(), 0
    for top in (i for objs in tops for i in objs):
        (rate,) = top.CostValues
        for rel in top.IsNestedBy:
            for item in rel.RelatedObjects:
                (q,) = item.CostQuantities
                (value,) = item.CostValues
                linked = [o.GlobalId for r in item.Controls for o in r.RelatedObjects]
                if item.Name.startswith("quantity deviation"):
                    adjustments += 1
                    assert q.Name == "deviation" and value.AppliedValue.wrappedValue < 0
                    continue
                gid = linked[0] if linked else next(g for g in want if g in item.Description)
                x = want[gid]
                seen.add(gid)
                assert item.Identification == x["code"] == top.Identification
                assert q.Name == x["quantity"] and q[3] == pytest.approx(abs(x["delta"]))
                assert value.AppliedValue.wrappedValue * q[3] == pytest.approx(x["amount"],
                                                                              abs=0.005)
                assert rate.AppliedValue.wrappedValue == x["rate"]
                if x["status"] == "removed":
                    assert linked == [] and "not in this model" in item.Description
                else:
                    assert linked == [gid]
    assert seen == set(want) and adjustments == 2
    # Deterministic, and never over a file without overwrite.
    assert cost_schedule(order, open_model(B)).to_string() == out.read_text(encoding="utf-8")
    from bimcheck.errors import OutputError

    with pytest.raises(OutputError):
        write_cost_schedule(order, open_model(B), out, overwrite=False)


def test_an_opening_resize_alone_prices_its_host_net_volume(tmp_path):
    # O-1-sleeve is extruded along z (0.3 m deep) with a profile 0.4 (x, through
    # the 200 mm W-1-east) x 0.3 (y). Setting the profile to 0.4 x 0.4 widens it
    # along the wall to 0.4, the depth kept: the hole's face 0.3 x 0.3 -> 0.4 x 0.3.
    # NetVolume 3.64 - 0.2 x 0.09 = 3.622 -> 3.64 - 0.2 x 0.12 = 3.616 m3;
    # -0.006 m3 x 520 = -3.12, at 520 per m3 of Qto_WallBaseQuantities.
    from bimcheck.testing.revisions import resize_opening

    resized = tmp_path / "rev_a_sleeve.ifc"
    resize_opening(A, resized, TRUTH["elements"]["O-1-sleeve"]["global_id"], dims_m=(0.4, 0.4))
    rates = tmp_path / "rates.yaml"
    rates.write_text("rates:\n  - {code: Qto_WallBaseQuantities, description: wall, unit: m3,"
                     " rate: 520, quantity: NetVolume}\n", encoding="utf-8")
    order = price_revision(open_model(A), open_model(resized), rates=load_rates(rates))
    (line,) = [ln for ln in order.lines if ln.amount is not None]
    assert (line.name, line.status, line.quantity) == ("W-1-east", "modified", "NetVolume")
    assert (line.old, line.new, line.delta, line.amount) == (
        Decimal("3.622"), Decimal("3.616"), Decimal("-0.006"), Decimal("-3.12"))
    assert line.change.startswith("openings: area +0.03")
    assert order.totals()["net"] == Decimal("-3.12")
    # The wall's other quantities and the opening's own are listed, unpriced.
    assert {(ln.name, ln.quantity) for ln in order.lines if ln.amount is None} >= {
        ("W-1-east", "NetSideArea"), ("O-1-sleeve", "Area")}


def test_identical_elements_that_swap_places_price_nothing(tmp_path, pack, table):
    from bimcheck.testing.revisions import swap_places

    swapped = tmp_path / "rev_a_swapped.ifc"
    gids = [TRUTH["elements"][n]["global_id"] for n in ("C-0-A1", "C-0-C2")]
    swap_places(A, swapped, *gids)
    order = run(A, swapped, pack, table)
    assert order.counts["elements"]["moved"] == 2
    assert order.lines == [] and order.totals()["net"] == 0
