"""Faceted bodies meshed by numpy: areas and volumes worked out by hand, and
checked against IfcOpenShell's own kernel on the same entities."""

from __future__ import annotations

from pathlib import Path

import ifcopenshell
import ifcopenshell.geom
import numpy as np
import pytest

from bimcheck.geometry import facets
from bimcheck.geometry.mesh import from_arrays
from bimcheck.geometry.tessellate import tessellate
from bimcheck.model import open_model
from bimcheck.testing.ifcfactory import Box, ModelFactory

SCALE = {"m": 1.0, "mm": 1000.0}

# An L-shaped prism: plan (0,0) (3,0) (3,1) (1,1) (1,2) (0,2), 1 m high; its top
# and bottom faces are concave hexagons. Plan area 3 + 1 = 4 m², volume 4 m³,
# sides 3 + 1 + 2 + 1 + 1 + 2 = 10 m long: surface 2 × 4 + 10 × 1 = 18 m².
L_PLAN = [(0, 0), (3, 0), (3, 1), (1, 1), (1, 2), (0, 2)]


class _Builder:
    def __init__(self, f: ifcopenshell.file, unit: str) -> None:
        self.f = f
        self.k = SCALE[unit]

    def point(self, p):
        return self.f.createIfcCartesianPoint(tuple(float(c) * self.k for c in p))

    def face(self, *rings, reverse_inner=False):
        bounds = [self.f.createIfcFaceOuterBound(
            self.f.createIfcPolyLoop([self.point(p) for p in rings[0]]), True)]
        for ring in rings[1:]:
            bounds.append(self.f.createIfcFaceBound(
                self.f.createIfcPolyLoop([self.point(p) for p in ring]), not reverse_inner))
        return self.f.createIfcFace(bounds)

    def prism(self, plan, z0, z1):
        """Faces of a right prism over a counter-clockwise plan, outward."""
        n = len(plan)
        faces = [self.face([(x, y, z0) for x, y in reversed(plan)]),
                 self.face([(x, y, z1) for x, y in plan])]
        for i in range(n):
            (ax, ay), (bx, by) = plan[i], plan[(i + 1) % n]
            faces.append(self.face([(ax, ay, z0), (bx, by, z0), (bx, by, z1), (ax, ay, z1)]))
        return faces


def _l_brep(b: _Builder):
    return [b.f.createIfcFacetedBrep(b.f.createIfcClosedShell(b.prism(L_PLAN, 0, 1)))]


def _plate_with_hole(b: _Builder):
    """A 4 × 4 m open surface at z = 0 with a 2 × 2 m hole: 12 m². The hole's
    loop runs the same way as the outer one with Orientation .F.: reversed."""
    outer = [(0, 0, 0), (4, 0, 0), (4, 4, 0), (0, 4, 0)]
    hole = [(1, 1, 0), (3, 1, 0), (3, 3, 0), (1, 3, 0)]
    face = b.face(outer, hole, reverse_inner=True)
    return [b.f.createIfcFaceBasedSurfaceModel([b.f.createIfcConnectedFaceSet([face])])]


def _box_with_midpoints(b: _Builder):
    """A 2 × 2 × 1 m box whose top and bottom have a corner on the middle of every
    edge (collinear corners): 4 m³, 16 m², closed (no T-junctions)."""
    plan = [(0, 0), (1, 0), (2, 0), (2, 1), (2, 2), (1, 2), (0, 2), (0, 1)]
    faces = b.prism(plan, 0, 1)
    return [b.f.createIfcFacetedBrep(b.f.createIfcClosedShell(faces))]


def _mapped_l(b: _Builder):
    """The L prism as a mapped item, moved by (5, 0, 0) m and turned 90° about z."""
    origin = b.f.createIfcAxis2Placement3D(b.point((0, 0, 0)), None, None)
    source = b.f.createIfcRepresentationMap(origin, b.f.createIfcShapeRepresentation(
        None, "Body", "Brep", _l_brep(b)))
    target = b.f.createIfcCartesianTransformationOperator3D(
        b.f.createIfcDirection((0.0, 1.0, 0.0)), b.f.createIfcDirection((-1.0, 0.0, 0.0)),
        b.point((5, 0, 0)), None, b.f.createIfcDirection((0.0, 0.0, 1.0)))
    return [b.f.createIfcMappedItem(source, target)]


CASES = {  # name: (items, area m², volume m³ or None for open, closed, bounds)
    "concave L prism": (_l_brep, 18.0, 4.0, [[0, 0, 0], [3, 2, 1]]),
    "plate with hole": (_plate_with_hole, 12.0, None, [[0, 0, 0], [4, 4, 0]]),
    "collinear corners": (_box_with_midpoints, 16.0, 4.0, [[0, 0, 0], [2, 2, 1]]),
    "mapped and turned": (_mapped_l, 18.0, 4.0, [[3, 0, 0], [5, 3, 1]]),
}


def _model(tmp_path: Path, unit: str, make):
    factory = ModelFactory(length_unit=unit)
    storey = factory.add_storey("L0", 0.0)
    proxy = factory.add_element("IfcBuildingElementProxy", "P",
                                shape=Box((-0.5, -0.5, 0), (0.5, 0.5, 1)), storey=storey)
    body = proxy.Representation.Representations[0]
    body.RepresentationType = "Brep"
    body.Items = make(_Builder(factory.file, unit))
    model = open_model(factory.write(tmp_path / f"facets_{unit}.ifc"))
    return model, model.select("IfcBuildingElementProxy")[0]


def _area(mesh) -> float:
    t = mesh.vertices[mesh.faces]
    return float(0.5 * np.linalg.norm(np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]),
                                      axis=1).sum())


@pytest.mark.parametrize("unit", ["m", "mm"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_local_mesh_matches_hand_arithmetic_and_the_kernel(tmp_path, unit, case, monkeypatch):
    make, area, volume, bounds = CASES[case]
    model, proxy = _model(tmp_path, unit, make)
    body = proxy.Representation.Representations[0]
    assert facets.covers(body)
    built = facets.local_mesh(body, model.length_scale)
    assert built is not None
    # Read from the STEP text instead of the entities: the very same arrays.
    assert model.step_text is not None
    real = facets._read_entities
    monkeypatch.setattr(facets, "_read_entities", lambda *a: pytest.fail("read entities"))
    from_text = facets.local_mesh(body, model.length_scale, model.step_text)
    monkeypatch.setattr(facets, "_read_entities", real)
    assert from_text is not None
    np.testing.assert_array_equal(from_text[0], built[0])
    np.testing.assert_array_equal(from_text[1], built[1])
    mesh = from_arrays(*built)
    assert _area(mesh) == pytest.approx(area, rel=1e-9)
    np.testing.assert_allclose(mesh.bounds, bounds, atol=1e-9)
    assert mesh.closed == (volume is not None)
    if volume is not None:
        assert mesh.volume == pytest.approx(volume, rel=1e-9)  # outward: positive
    shape = ifcopenshell.geom.create_shape(ifcopenshell.geom.settings(), proxy)
    kernel = from_arrays(
        np.frombuffer(shape.geometry.verts_buffer, dtype=np.float64).reshape(-1, 3),
        np.frombuffer(shape.geometry.faces_buffer, dtype=np.int32).reshape(-1, 3))
    assert _area(kernel) == pytest.approx(area, rel=1e-6)
    np.testing.assert_allclose(kernel.bounds, bounds, atol=1e-6)


def test_tessellate_meshes_it_in_the_workers_and_places_it(tmp_path):
    model, proxy = _model(tmp_path, "mm", _l_brep)
    geometry = tessellate(model, [proxy], threads=1)
    assert geometry.stats.faceted == 1
    mesh = geometry.meshes[proxy.GlobalId]
    assert mesh.closed and mesh.volume == pytest.approx(4.0, rel=1e-9)
    # The factory places the element at its box's base centre, (0, 0, 0): unmoved.
    np.testing.assert_allclose(mesh.bounds, [[0, 0, 0], [3, 2, 1]], atol=1e-9)


def test_what_it_does_not_cover_goes_to_the_kernel(tmp_path):
    def mixed(b: _Builder):  # a faceted item next to an extrusion
        profile = b.f.createIfcRectangleProfileDef("AREA", None, None, 1.0, 1.0)
        solid = b.f.createIfcExtrudedAreaSolid(
            profile, b.f.createIfcAxis2Placement3D(b.point((10, 10, 0)), None, None),
            b.f.createIfcDirection((0.0, 0.0, 1.0)), 1.0)
        return [*_l_brep(b), solid]

    model, proxy = _model(tmp_path, "m", mixed)
    assert not facets.covers(proxy.Representation.Representations[0])
    geometry = tessellate(model, [proxy], threads=1)
    assert geometry.stats.faceted == 0
    assert geometry.meshes[proxy.GlobalId].volume == pytest.approx(5.0, rel=1e-6)
