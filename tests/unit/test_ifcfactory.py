"""bimcheck.testing.ifcfactory: units, extrusions, relationships, determinism."""

from __future__ import annotations

import math
from pathlib import Path

import ifcopenshell
import ifcopenshell.geom
import ifcopenshell.util.element
import ifcopenshell.util.placement
import ifcopenshell.util.unit
import numpy as np
import pytest

from bimcheck.testing import FIXED_TIMESTAMP, Box, ModelFactory, Round, deterministic_guid


def small_model(length_unit: str = "m", schema: str = "IFC4") -> ModelFactory:
    f = ModelFactory(project_name="Tiny", length_unit=length_unit, schema=schema)  # type: ignore[arg-type]
    storey = f.add_storey("Level 1", 3.0)
    wall = f.add_element("IfcWall", "W1", shape=Box((0, 0, 3), (10, 0.2, 6)), storey=storey)
    opening = f.add_opening("O1", host=wall, shape=Box((1, -0.1, 2.9), (2, 0.3, 5.1)))
    f.add_filling(
        "IfcDoor", "D1", opening=opening, storey=storey, shape=Box((1, 0.075, 3), (2, 0.125, 5.1))
    )
    f.add_element("IfcBeam", "B1", shape=Box((0, 1, 5.5), (6, 1.3, 6)), storey=storey, axis="x")
    f.add_element("IfcPipeSegment", "P1", shape=Round((3, 0, 4), (3, 5, 4), 0.05), storey=storey)
    asm = f.add_element("IfcElementAssembly", "A1", storey=storey)
    f.add_element("IfcMember", "M1", shape=Box((5, 5, 3), (5.1, 5.1, 4)), part_of=asm)
    wall_type = f.add_type("IfcWallType", "WT")
    f.assign_type(wall, wall_type)
    f.add_pset(wall, "Pset_WallCommon", {"FireRating": "REI60"})
    f.assign_layer_set(wall, f.add_layer_set("LS", [("Block", 0.18), ("Plaster", 0.02)]))
    f.add_classification_reference(wall, system="Uniclass 2015", identification="Ss_20_05")
    return f


def by_name(f: ifcopenshell.file, name: str) -> ifcopenshell.entity_instance:
    return next(e for e in f.by_type("IfcProduct") if e.Name == name)


@pytest.mark.parametrize(("unit", "scale"), [("m", 1.0), ("mm", 0.001), ("ft", 0.3048)])
def test_units_and_extrusion_in_file_units(unit: str, scale: float):
    f = small_model(unit).finish()
    assert ifcopenshell.util.unit.calculate_unit_scale(f) == pytest.approx(scale)
    wall = by_name(f, "W1")
    (solid,) = wall.Representation.Representations[0].Items
    p = solid.SweptArea
    assert p.XDim * p.YDim * solid.Depth * scale**3 == pytest.approx(10 * 0.2 * 3)  # 6 m³
    # placement: centre of the bottom face (5, 0.1, 3) m, relative to the storey at 3 m
    loc = np.array(wall.ObjectPlacement.RelativePlacement.Location.Coordinates) * scale
    np.testing.assert_allclose(loc, [5, 0.1, 0], atol=1e-9)
    storey = f.by_type("IfcBuildingStorey")[0]
    assert storey.Elevation * scale == pytest.approx(3.0)


def test_beam_along_x_and_pipe_along_y():
    f = small_model().finish()
    (beam,) = by_name(f, "B1").Representation.Representations[0].Items
    assert (beam.SweptArea.XDim, beam.SweptArea.YDim, beam.Depth) == (0.3, 0.5, 6.0)
    assert beam.Position.Axis.DirectionRatios == (1.0, 0.0, 0.0)
    (pipe,) = by_name(f, "P1").Representation.Representations[0].Items
    assert pipe.SweptArea.Radius == 0.05 and pipe.Depth == 5.0
    assert pipe.Position.Axis.DirectionRatios == (0.0, 1.0, 0.0)


def test_relationships():
    f = small_model().finish()
    wall, opening, door = by_name(f, "W1"), by_name(f, "O1"), by_name(f, "D1")
    assert wall.HasOpenings[0].RelatedOpeningElement == opening
    assert door.FillsVoids[0].RelatingOpeningElement == opening
    assert ifcopenshell.util.element.get_container(door).Name == "Level 1"
    assert ifcopenshell.util.element.get_type(wall).Name == "WT"
    assert ifcopenshell.util.element.get_pset(wall, "Pset_WallCommon", "FireRating") == "REI60"
    assert ifcopenshell.util.element.get_material(wall).is_a("IfcMaterialLayerSetUsage")
    member = by_name(f, "M1")
    assert ifcopenshell.util.element.get_aggregate(member).Name == "A1"
    assert not member.ContainedInStructure
    assert not f.by_type("IfcOwnerHistory")


def test_guids_are_deterministic_and_files_byte_identical(tmp_path: Path):
    a = small_model().write(tmp_path / "a.ifc")
    b = small_model().write(tmp_path / "b.ifc")
    ta = a.read_text().replace("'a.ifc'", "'x.ifc'")
    tb = b.read_text().replace("'b.ifc'", "'x.ifc'")
    assert ta == tb
    assert FIXED_TIMESTAMP in ta
    f = ifcopenshell.open(str(a))
    assert by_name(f, "W1").GlobalId == deterministic_guid("W1")
    guids = [e.GlobalId for e in f.by_type("IfcRoot")]
    assert len(guids) == len(set(guids))


def test_same_guids_in_m_and_mm():
    m, mm = small_model("m").finish(), small_model("mm").finish()
    assert sorted(e.GlobalId for e in m.by_type("IfcRoot")) == sorted(
        e.GlobalId for e in mm.by_type("IfcRoot")
    )


def test_ifc4x3_schema():
    f = small_model(schema="IFC4X3").finish()
    assert f.schema_identifier.startswith("IFC4X3")
    assert len(f.by_type("IfcPipeSegment")) == 1


def test_tessellated_wall_has_its_opening_cut():
    f = small_model().finish()
    settings = ifcopenshell.geom.settings()
    settings.set("use-world-coords", True)
    shape = ifcopenshell.geom.create_shape(settings, by_name(f, "W1"))
    v = np.array(shape.geometry.verts).reshape(-1, 3)
    t = v[np.array(shape.geometry.faces).reshape(-1, 3)]
    volume = np.einsum("ij,ij->i", t[:, 0], np.cross(t[:, 1], t[:, 2])).sum() / 6
    assert volume == pytest.approx(10 * 0.2 * 3 - 1 * 0.2 * 2.1)  # 6 - 0.42 m³
    np.testing.assert_allclose(v.min(axis=0), [0, 0, 3], atol=1e-9)
    np.testing.assert_allclose(v.max(axis=0), [10, 0.2, 6], atol=1e-9)


def test_bad_input():
    with pytest.raises(ValueError, match="schema"):
        ModelFactory(schema="IFC2X3")
    with pytest.raises(ValueError, match="length_unit"):
        ModelFactory(length_unit="cm")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Box((0, 0, 0), (1, 0, 1))
    with pytest.raises(ValueError):
        Round((0, 0, 0), (1, 1, 0), 0.1)
    f = ModelFactory()
    storey = f.add_storey("L", 0.0)
    f.add_element("IfcWall", "W", shape=Box((0, 0, 0), (1, 1, 1)), storey=storey)
    with pytest.raises(ValueError, match="key"):
        f.add_element("IfcWall", "W", shape=Box((0, 0, 0), (1, 1, 1)), storey=storey)
    with pytest.raises(ValueError, match="exactly one"):
        f.add_element("IfcWall", "W2", storey=None)


def test_round_volume_is_exact():
    assert Round((0, 0, 0), (0, 0, 2), 0.5).volume == pytest.approx(math.pi * 0.25 * 2)
