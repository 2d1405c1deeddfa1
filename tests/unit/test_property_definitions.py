"""Property and quantity sets in an IFC4 ``IfcPropertySetDefinitionSet``.

IFC4 lets one ``IfcRelDefinesByProperties`` relate several sets at once,
wrapped in the defined type ``IfcPropertySetDefinitionSet``. IfcOpenShell
reads it as one instance of that type (not a tuple); the property rules, the
takeoff's reconciliation and the revision diff must all see the sets inside.
"""

from __future__ import annotations

import ifcopenshell
import ifcopenshell.api
import ifcopenshell.guid
import pytest

from bimcheck.diff.values import ValueReader
from bimcheck.properties.kinds import property_value
from bimcheck.qto.reconcile import declared_quantities
from bimcheck.relations import property_definitions


@pytest.fixture(scope="module")
def wall_in_a_set(tmp_path_factory) -> tuple[ifcopenshell.file, ifcopenshell.entity_instance]:
    """A wall whose one relationship relates a quantity set (Length 5 m) and a
    property set (FireRating 'EI60') through a definition set. Written as
    STEP text: the wrapper cannot build the defined type in memory."""
    f = ifcopenshell.api.run("project.create_file", version="IFC4")
    ifcopenshell.api.run("root.create_entity", f, ifc_class="IfcProject")
    wall = ifcopenshell.api.run("root.create_entity", f, ifc_class="IfcWall")
    qset = f.createIfcElementQuantity(
        ifcopenshell.guid.new(), None, "Qto_WallBaseQuantities", None, None,
        [f.createIfcQuantityLength("Length", None, None, 5.0)])
    pset = f.createIfcPropertySet(
        ifcopenshell.guid.new(), None, "Pset_WallCommon", None,
        [f.createIfcPropertySingleValue("FireRating", None, f.createIfcLabel("EI60"), None)])
    rel = f.createIfcRelDefinesByProperties(ifcopenshell.guid.new(), None, None, None, [wall],
                                            qset)
    path = tmp_path_factory.mktemp("pset-set") / "wall.ifc"
    f.write(str(path))
    text = path.read_text()
    line = next(t for t in text.splitlines() if t.startswith(f"#{rel.id()}="))
    wrapped = line.replace(f",#{qset.id()});",
                           f",IFCPROPERTYSETDEFINITIONSET((#{qset.id()},#{pset.id()})));")
    assert wrapped != line
    path.write_text(text.replace(line, wrapped))
    g = ifcopenshell.open(str(path))
    return g, g.by_type("IfcWall")[0]


def test_both_sets_of_the_definition_set_are_found(wall_in_a_set):
    _, wall = wall_in_a_set
    names = [d.Name for d in property_definitions(wall)]
    assert names == ["Qto_WallBaseQuantities", "Pset_WallCommon"]


def test_property_rules_read_a_property_inside_the_set(wall_in_a_set):
    _, wall = wall_in_a_set
    found = property_value(wall, "Pset_WallCommon", "FireRating")
    assert found.exists and found.value == "EI60"


def test_reconciliation_reads_a_quantity_inside_the_set(wall_in_a_set):
    f, wall = wall_in_a_set
    declared = declared_quantities(wall, f)
    assert declared[("Qto_WallBaseQuantities", "Length")].value == pytest.approx(5.0)


def test_the_revision_diff_reads_both_sets(wall_in_a_set):
    f, wall = wall_in_a_set
    psets = ValueReader(f, lambda v: v).psets(wall)
    assert set(psets) == {"Qto_WallBaseQuantities", "Pset_WallCommon"}
    assert psets["Pset_WallCommon"]["FireRating"] == "EI60"
