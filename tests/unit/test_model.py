"""Model layer: units, storeys, element metadata against the samples' truth,
selectors (column in errors, warning on unquoted query keys), disciplines."""

from __future__ import annotations

import logging

import pytest
import yaml

from bimcheck.errors import RulePackError, SelectorError
from bimcheck.model import open_model
from bimcheck.packs.disciplines import load_discipline_table
from bimcheck.selectors import lint_selector
from tests.conftest import SAMPLES, shared_model

TRUTH = yaml.safe_load((SAMPLES / "tower_rev_a.truth.yaml").read_text())


@pytest.fixture(scope="module")
def rev_a():
    return open_model(SAMPLES / "tower_rev_a.ifc")


def test_units_of_m_and_mm_files():
    m = open_model(SAMPLES / "tower_rev_a.ifc")
    mm = open_model(SAMPLES / "tower_rev_a_mm.ifc")
    assert (m.length_unit, m.length_scale) == ("m", 1.0)
    assert (mm.length_unit, mm.length_scale) == ("mm", 0.001)
    # Storey elevations come out in metres in both.
    expected = [(s["name"], s["elevation"]) for s in TRUTH["storeys"]]
    assert [(s.name, s.elevation) for s in m.storeys] == expected
    assert [(s.name, s.elevation) for s in mm.storeys] == expected


def test_every_element_has_its_truth_metadata(rev_a):
    for name, t in TRUTH["elements"].items():
        info = rev_a.describe(rev_a.element(t["global_id"]))
        assert info.name == name
        assert info.ifc_class == t["ifc_class"]
        assert info.storey == t["storey"], name  # containment, aggregate parent or host
        if "type" in t:
            assert info.type_name == t["type"]
        if "material" in t:
            assert t["material"] in info.materials
        if t.get("predefined_type") not in (None, "NOTDEFINED", "USERDEFINED"):
            assert info.predefined_type == t["predefined_type"]
        if t.get("predefined_type") == "USERDEFINED":
            assert info.predefined_type == t["object_type"]


def test_layer_set_materials_are_expanded(rev_a):
    wall = rev_a.element(TRUTH["elements"]["W-0-partition"]["global_id"])
    layer_set = next(
        r.RelatingMaterial.ForLayerSet for r in wall.HasAssociations
        if r.is_a("IfcRelAssociatesMaterial")
    )
    layers = {layer.Material.Name for layer in layer_set.MaterialLayers}
    assert layers and set(rev_a.describe(wall).materials) == layers


def test_classification_reference(rev_a):
    t = TRUTH["elements"]["SL-0"]
    info = rev_a.describe(rev_a.element(t["global_id"]))
    c = t["classification"]
    assert info.classifications == (f"{c['system']}:{c['identification']}",)


def test_disciplines_come_from_the_rule_pack_table(rev_a, tmp_path):
    by_class = {}
    for t in TRUTH["elements"].values():
        by_class[t["ifc_class"]] = rev_a.describe(rev_a.element(t["global_id"])).discipline
    assert by_class["IfcDuctSegment"] == "hvac"
    assert by_class["IfcPipeSegment"] == "plumbing"
    assert by_class["IfcCableCarrierSegment"] == "electrical"
    assert by_class["IfcBeam"] == by_class["IfcColumn"] == "structure"
    assert by_class["IfcWall"] == by_class["IfcDoor"] == "architecture"
    # A different table changes the answer: nothing is hard-coded.
    pack = tmp_path / "d.yaml"
    pack.write_text("disciplines:\n  - {discipline: structure, classes: [IfcWall]}\n")
    other = open_model(SAMPLES / "tower_rev_a.ifc", disciplines=load_discipline_table(pack))
    wall = other.select("IfcWall")[0]
    duct = other.select("IfcDuctSegment")[0]
    assert other.describe(wall).discipline == "structure"
    assert other.describe(duct).discipline == "other"


def test_ifc2x3_disciplines_use_the_type_object():
    model = open_model(shared_model("Ifc2s3_Duplex_Electrical.ifc"))
    fridge = next(
        e for e in model.select("IfcFlowTerminal") if "Refrigerator" in (e.Name or "")
    )
    assert model.describe(fridge).discipline == "electrical"  # IfcElectricApplianceType


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("disciplines: 3\n", "disciplines: expected list"),
        ("disciplines:\n  - {discipline: plumbers, classes: [IfcPipe]}\n",
         "disciplines[0].discipline: unknown discipline 'plumbers'"),
        ("disciplines:\n  - {discipline: hvac}\n", "needs classes or type_classes"),
        ("disciplines: [\n", "invalid YAML at line"),
        ("!!python/object/apply:os.system ['echo hi']\n", "invalid YAML"),
    ],
)
def test_bad_discipline_table_names_file_and_field(tmp_path, text, message):
    pack = tmp_path / "bad.yaml"
    pack.write_text(text)
    with pytest.raises(RulePackError) as exc:
        load_discipline_table(pack)
    assert str(pack) in str(exc.value)
    assert message in str(exc.value)


def test_select_sorted_by_global_id_with_subclasses(rev_a):
    walls = rev_a.select("IfcWall")
    assert len(walls) == TRUTH["counts"]["IfcWall"]
    assert [w.GlobalId for w in walls] == sorted(w.GlobalId for w in walls)
    level1 = rev_a.select('IfcWall, location="Level 1"')
    expected = sum(
        1 for t in TRUTH["elements"].values()
        if t["ifc_class"] == "IfcWall" and t["storey"] == "Level 1"
    )
    assert len(level1) == expected > 0


def test_bad_selector_names_the_column(rev_a):
    with pytest.raises(SelectorError) as exc:
        rev_a.select("Ifc Wall !!")
    assert exc.value.column == 5
    assert "column 5" in str(exc.value)
    with pytest.raises(SelectorError) as exc:
        rev_a.select("IfcWall, ((")
    assert exc.value.column == len("IfcWall, ((") + 1


def test_unquoted_query_keys_warn(rev_a, caplog):
    bad = 'IfcWall, query:storey.Name="Level 1"'
    assert lint_selector(bad)
    assert lint_selector('IfcWall, query:"storey.Name"="Level 1"') == []
    with caplog.at_level(logging.WARNING, logger="bimcheck"):
        assert rev_a.select(bad) == []  # IfcOpenShell silently matches nothing
    assert 'query:"storey.Name"' in caplog.text


def test_validate_selector_names_file_and_column(tmp_path):
    from bimcheck.selectors import validate_selector

    validate_selector('IfcWall, location="Level 1"')  # fine: no error
    with pytest.raises(SelectorError) as exc:
        validate_selector("IfcWall, ((", path=tmp_path / "pack.yaml")
    assert exc.value.column == 12
    assert str(tmp_path / "pack.yaml") in str(exc.value)
