"""The GB 50854 and NRM2 packs on the qto samples against the hand-computed
truth (samples/qto.truth.yaml), the deductions each row records, threshold
parameters, and the reconciliation of declared base quantities."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from bimcheck.errors import RulePackError
from bimcheck.model import open_model
from bimcheck.packs.loader import builtin_rules_dir
from bimcheck.qto.records import Mismatch
from bimcheck.qto.rules import default_qto_pack_path, load_qto_pack
from bimcheck.qto.takeoff import run_takeoff
from tests.conftest import SAMPLES

TRUTH = yaml.safe_load((SAMPLES / "qto.truth.yaml").read_text(encoding="utf-8"))
ELEMENTS = TRUTH["elements"]
PACKS = builtin_rules_dir() / "qto"


def gid(name: str) -> str:
    return ELEMENTS[name]["global_id"]


@pytest.fixture(scope="module", params=TRUTH["models"])
def model(request):
    return open_model(SAMPLES / request.param)


def rows_of(takeoff):
    return {(r.name, r.item, r.quantity): r for r in takeoff.rows}


@pytest.fixture(scope="module")
def gb(model):
    return rows_of(run_takeoff(model, load_qto_pack(PACKS / "gb50854.yaml").rules))


@pytest.fixture(scope="module")
def nrm2(model):
    return rows_of(run_takeoff(model, load_qto_pack(PACKS / "nrm2.yaml").rules))


# -- GB 50854 ---------------------------------------------------------------------------------


def test_gb_wall_volume_keeps_the_small_hole(gb):
    w1 = gb[("W1", "010504001", "Volume")]
    # 2.64 m³ (GB: the 0.25 m² hole O2 stays in), against the IFC NetVolume 2.59.
    assert w1.value == pytest.approx(ELEMENTS["W1"]["gb50854"]["volume"], rel=0.005)
    assert w1.value == pytest.approx(2.64, rel=1e-6)
    assert ELEMENTS["W1"]["quantities"]["NetVolume"] == pytest.approx(2.59)
    assert w1.geometry == "deducted" and w1.unit == "m3" and w1.rule == "GB-WALL-CONCRETE"
    by_opening = {d.opening: d for d in w1.deductions}
    o1, o2 = by_opening[gid("O1")], by_opening[gid("O2")]
    assert o1.applied and o1.filling == "IfcWindow" and "window" in o1.why
    assert o1.area == pytest.approx(1.8, rel=1e-6) and o1.volume == pytest.approx(0.36, rel=1e-6)
    assert not o2.applied and "0.250 m2 <= 0.3 m2" in o2.why
    assert o2.area == pytest.approx(0.25, rel=1e-6) and o2.volume == pytest.approx(0.05, rel=1e-6)
    # The door's opening in W2 is deducted: 2.4 − 0.9 × 2.1 × 0.2.
    assert gb[("W2", "010504001", "Volume")].value == pytest.approx(2.022, rel=1e-6)


def test_gb_slab_keeps_holes_up_to_the_threshold(gb):
    s1 = gb[("S1", "010505003", "Volume")]
    assert s1.value == pytest.approx(ELEMENTS["S1"]["gb50854"]["volume"], rel=1e-6)  # 5.75
    applied = {d.opening: d.applied for d in s1.deductions}
    assert applied == {gid("H1"): True, gid("H2"): False}


def test_gb_plaster_deducts_openings_over_the_threshold_on_both_faces(gb):
    per_side = ELEMENTS["W1"]["gb50854"]["plaster_area_per_side"]  # 13.2
    assert gb[("W1", "011201001", "Area")].value == pytest.approx(2 * per_side, rel=1e-6)
    assert gb[("W2", "011201001", "Area")].value == pytest.approx(2 * (12.0 - 1.89), rel=1e-6)


def test_gb_steel_by_the_tonne_concrete_by_volume_fillings_by_count(gb):
    beam = gb[("B1", "010604001", "Weight")]
    assert (beam.unit, beam.value) == ("t", pytest.approx(8.478, rel=1e-6))
    column = gb[("C1", "010502001", "Volume")]
    assert column.value == pytest.approx(ELEMENTS["C1"]["quantities"]["NetVolume"],
                                         rel=ELEMENTS["C1"]["tessellation_tolerance"])
    assert gb[("D1", "010801001", "Count")].value == 1.0
    assert gb[("D1", "010801001", "Area")].value == pytest.approx(1.89)
    assert gb[("WIN1", "010807001", "Area")].value == pytest.approx(1.8)
    # Walls without a masonry material are cast-in-place walls; no wall is billed twice.
    assert {(n, i) for n, i, q in gb if q == "Volume" and n.startswith("W")} == {
        ("W1", "010504001"), ("W2", "010504001")}


def test_threshold_is_a_parameter(model, tmp_path):
    pack = tmp_path / "gb-strict.yaml"
    raw = yaml.safe_load((PACKS / "gb50854.yaml").read_text(encoding="utf-8"))
    raw["rules"] = [r for r in raw["rules"] if r["id"] == "GB-WALL-CONCRETE"]
    raw["rules"][0]["quantities"]["Volume"] = {
        "function": "deducted_volume", "params": {"max_kept_area": 0.2}}
    pack.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    rows = rows_of(run_takeoff(model, load_qto_pack(pack).rules))
    # With 0.2 m² the 0.25 m² hole is deducted too: the IFC net volume again.
    assert rows[("W1", "010504001", "Volume")].value == pytest.approx(2.59, rel=1e-6)


# -- NRM2 ---------------------------------------------------------------------------------------


def test_nrm2_concrete_keeps_voids_up_to_005_m3(nrm2):
    for name in ("W1", "W2"):
        row = nrm2[(name, "11 In-situ concrete: vertical work (walls)", "Volume")]
        assert row.value == pytest.approx(ELEMENTS[name]["nrm2"]["concrete_volume"], rel=1e-6)
    s1 = nrm2[("S1", "11 In-situ concrete: horizontal work", "Volume")]
    assert s1.value == pytest.approx(ELEMENTS["S1"]["nrm2"]["concrete_volume"], rel=1e-6)
    kept = next(d for d in s1.deductions if d.opening == gid("H2"))
    assert not kept.applied and "m3 <= 0.05 m3" in kept.why


def test_nrm2_finishes_keep_voids_up_to_half_a_square_metre(nrm2):
    for name in ("W1", "W2"):
        row = nrm2[(name, "28 Wall finishings", "Area")]
        assert row.value == pytest.approx(2 * ELEMENTS[name]["nrm2"]["finish_area_per_side"],
                                          rel=1e-6)
    # NRM2 treats a filled opening like any void: the door (1.89 m²) is over 0.5 m².
    door = nrm2[("W2", "28 Wall finishings", "Area")].deductions[0]
    assert door.filling == "IfcDoor" and door.applied and "1.890 m2 > 0.5 m2" in door.why
    assert nrm2[("B1", "15 Structural metalwork: members", "Weight")].value == pytest.approx(
        8.478, rel=1e-6)
    assert nrm2[("D1", "24 Doors", "Number")].value == 1.0


# -- reconciliation ---------------------------------------------------------------------------


def test_declared_quantities_that_disagree_are_findings(model):
    takeoff = run_takeoff(model, load_qto_pack(default_qto_pack_path()).rules)
    declared = {n: e["declared"] for n, e in ELEMENTS.items() if "declared" in e}
    assert takeoff.compared == sum(len(d["quantities"]) for d in declared.values()) == 6
    wrong = {(gid(n), q): diff for n, d in declared.items() for q, diff in d["wrong"].items()}
    found = {(f.global_id, f.quantity): f for f in takeoff.findings}
    assert set(found) == set(wrong)
    for key, f in found.items():
        assert f.difference == pytest.approx(wrong[key], abs=1e-4)
    w1 = found[(gid("W1"), "NetVolume")]
    assert w1.message == "declared NetVolume 2.90 m³, computed 2.59 m³, −10.7%"
    assert (w1.qset, w1.rule) == ("Qto_WallBaseQuantities", "QB-WALL")
    # S1 declares its quantities in the IFC2x3 exporters' "BaseQuantities" set.
    s1 = found[(gid("S1"), "Perimeter")]
    assert s1.qset == "BaseQuantities" and s1.message.endswith("−22.5%")
    doc = takeoff.as_dict()["reconciliation"]
    assert doc["tolerance"] == 0.01 and doc["compared"] == 6 and len(doc["findings"]) == 2


def test_reconciliation_tolerance_and_off_switch(model):
    rules = load_qto_pack(default_qto_pack_path()).rules
    loose = run_takeoff(model, rules, reconcile_tolerance=0.2)  # 10.7 % passes, 22.5 % not
    assert [f.quantity for f in loose.findings] == ["Perimeter"]
    off = run_takeoff(model, rules, reconcile_tolerance=None)
    assert off.compared == 0 and off.findings == []


def test_gb_codes_are_not_compared_with_base_quantities(model):
    takeoff = run_takeoff(model, load_qto_pack(PACKS / "gb50854.yaml").rules)
    assert takeoff.compared == 0 and takeoff.findings == []


def test_finding_message_for_nothing_declared():
    f = Mismatch(global_id="g", ifc_class="IfcWall", name=None, storey=None, rule="R",
                item="Qto_WallBaseQuantities", quantity="Length", unit="m", qset="BaseQuantities",
                declared=0.0, computed=4.0, difference=None)
    assert f.message == "declared Length 0.00 m, computed 4.00 m"


# -- pack validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("{function: deducted_volume, params: {max_kept_aera: 0.3}}",
         "deducted_volume takes no parameter 'max_kept_aera'"),
        ("{function: deducted_volume, params: {max_kept_area: -1}}",
         "max_kept_area: must be >= 0.0 m2, got -1"),
        ("{function: deducted_volume, params: {deduct_filled: 'yes'}}",
         "deduct_filled: expected bool, got str"),
        ("{function: deducted_side_area, params: {sides: 3}}", "sides: must be <= 2, got 3"),
        ("{function: net_volume, unit: t}", "unit 't' is not one it converts to"),
        ("{function: weight, unit: lb}", "converts to (kg, t)"),
        ("{function: length, params: {density: 1}}", "takes no parameter 'density'"),
    ],
)
def test_bad_quantity_specs_name_file_rule_and_field(tmp_path, quantity, message):
    pack = tmp_path / "p.yaml"
    pack.write_text(textwrap.dedent(f"""\
        pack: p
        rules:
          - id: R1
            name: r
            kind: measure
            severity: info
            doc: {{what: w, why: y, fix: f}}
            a: IfcWall
            item: X
            quantities:
              Q: {quantity}
        """), encoding="utf-8")
    with pytest.raises(RulePackError) as err:
        load_qto_pack(pack)
    text = str(err.value)
    assert message in text and "p.yaml" in text and "R1" in text and "quantities" in text


def test_shipped_packs_load():
    for name in ("ifc-base.yaml", "gb50854.yaml", "nrm2.yaml"):
        pack = load_qto_pack(PACKS / name)
        assert pack.rules and pack.reconcile_tolerance == 0.01


def test_layer_set_density_is_thickness_weighted(tmp_path):
    import ifcopenshell
    import ifcopenshell.api.material
    import ifcopenshell.api.pset

    from bimcheck.qto.functions import material_density

    f = ifcopenshell.open(str(SAMPLES / "qto_m.ifc"))
    wall = next(e for e in f.by_type("IfcWall") if e.Name == "W1")
    layer_set = ifcopenshell.api.material.add_material_set(
        f, name="L", set_type="IfcMaterialLayerSet")
    for name, thickness, density in (("brick", 0.1, 1800.0), ("insulation", 0.1, 30.0)):
        material = ifcopenshell.api.material.add_material(f, name=name)
        pset = ifcopenshell.api.pset.add_pset(f, product=material, name="Pset_MaterialCommon")
        ifcopenshell.api.pset.edit_pset(f, pset=pset, properties={"MassDensity": density})
        layer = ifcopenshell.api.material.add_layer(f, layer_set=layer_set, material=material)
        layer.LayerThickness = thickness
    ifcopenshell.api.material.assign_material(f, products=[wall], material=layer_set)
    # (0.1 × 1800 + 0.1 × 30) / 0.2, not the first layer's 1800.
    assert material_density(wall) == pytest.approx(915.0)


def test_an_opening_is_measured_on_a_host_no_rule_selects(model):
    rules = [r for r in load_qto_pack(default_qto_pack_path()).rules if r.id == "QB-OPENING"]
    rows = rows_of(run_takeoff(model, rules))
    assert rows[("O2", "Qto_OpeningElementBaseQuantities", "Area")].value == pytest.approx(0.25)
    assert rows[("O2", "Qto_OpeningElementBaseQuantities", "Depth")].value == pytest.approx(0.2)
