"""Booleans of extrusions built with manifold3d: volumes and bounds worked out by
hand, and checked against IfcOpenShell's own kernel on the same entities."""

from __future__ import annotations

from pathlib import Path

import ifcopenshell
import ifcopenshell.geom
import numpy as np
import pytest

from bimcheck.geometry import csg
from bimcheck.geometry.mesh import from_arrays
from bimcheck.geometry.tessellate import tessellate
from bimcheck.model import open_model
from bimcheck.testing.ifcfactory import Box, ModelFactory

SCALE = {"m": 1.0, "mm": 1000.0}


class _Builder:
    """Writes CSG items straight into a factory model, lengths given in metres."""

    def __init__(self, f: ifcopenshell.file, unit: str) -> None:
        self.f = f
        self.k = SCALE[unit]

    def point2(self, x: float, y: float):
        return self.f.createIfcCartesianPoint((x * self.k, y * self.k))

    def rectangle(self, x: float, y: float, centre=(0.0, 0.0), ref=(1.0, 0.0)):
        position = self.f.createIfcAxis2Placement2D(
            self.point2(*centre), self.f.createIfcDirection(ref)
        )
        return self.f.createIfcRectangleProfileDef("AREA", None, position, x * self.k, y * self.k)

    def polyline(self, points):
        pts = [self.point2(*p) for p in points]
        return self.f.createIfcPolyline([*pts, pts[0]])

    def extrusion(self, profile, depth: float, origin=(0.0, 0.0, 0.0), direction=(0, 0, 1)):
        position = self.f.createIfcAxis2Placement3D(
            self.f.createIfcCartesianPoint(tuple(c * self.k for c in origin)), None, None
        )
        return self.f.createIfcExtrudedAreaSolid(
            profile, position, self.f.createIfcDirection(direction), depth * self.k
        )


def _model(tmp_path: Path, unit: str, make) -> tuple[object, object]:
    """One column whose Body is replaced by ``make(builder)``, placed at (10, 20, 0)."""
    factory = ModelFactory(length_unit=unit)
    storey = factory.add_storey("L0", 0.0)
    column = factory.add_element("IfcColumn", "C", shape=Box((9.5, 19.5, 0), (10.5, 20.5, 1)),
                                 storey=storey)
    body = column.Representation.Representations[0]
    body.RepresentationType = "CSG"
    body.Items = [make(_Builder(factory.file, unit))]
    model = open_model(factory.write(tmp_path / f"csg_{unit}.ifc"))
    return model, model.select("IfcColumn")[0]


def _kernel(model, element):
    shape = ifcopenshell.geom.create_shape(ifcopenshell.geom.settings(), element)
    v = np.frombuffer(shape.geometry.verts_buffer, dtype=np.float64).reshape(-1, 3)
    f = np.frombuffer(shape.geometry.faces_buffer, dtype=np.int32).reshape(-1, 3)
    return from_arrays(v, f)


def _notched(b: _Builder):
    """A 2 × 1 × 1 m block minus a 0.5 × 0.5 m notch through its full height at
    one corner, reaching past the faces: 2 − 0.25 = 1.75 m³."""
    block = b.extrusion(b.rectangle(2.0, 1.0), 1.0)
    notch = b.extrusion(b.rectangle(0.6, 0.6, centre=(0.8, 0.3)), 1.2, origin=(0, 0, -0.1))
    return b.f.createIfcBooleanResult("DIFFERENCE", block, notch)


def _oblique(b: _Builder):
    """A 1 × 1 m square swept 2 m along (0, 0.6, 0.8): 1 × 2 × 0.8 = 1.6 m³."""
    return b.extrusion(b.rectangle(1.0, 1.0), 2.0, direction=(0.0, 0.6, 0.8))


def _hollow(b: _Builder):
    """A 2 × 2 m polyline square with a 1 × 1 m polyline hole, 1 m deep: 3 m³;
    both rings given counter-clockwise (the hole's winding is fixed)."""
    outer = b.polyline([(-1, -1), (1, -1), (1, 1), (-1, 1)])
    inner = b.polyline([(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)])
    profile = b.f.createIfcArbitraryProfileDefWithVoids("AREA", None, outer, [inner])
    return b.extrusion(profile, 1.0)


def _union_and_intersection(b: _Builder):
    """(A ∪ B) ∩ C: two 1 × 1 × 1 m cubes side by side, intersected with a
    larger block from z = -0.2 to 0.3: 2 × 1 × 0.3 = 0.6 m³."""
    a = b.extrusion(b.rectangle(1.0, 1.0, centre=(0.0, 0.0)), 1.0)
    c = b.extrusion(b.rectangle(1.0, 1.0, centre=(1.0, 0.0)), 1.0)
    cut = b.extrusion(b.rectangle(4.0, 4.0), 0.5, origin=(0, 0, -0.2))
    return b.f.createIfcBooleanResult(
        "INTERSECTION", b.f.createIfcBooleanResult("UNION", a, c), cut
    )


CASES = {
    "notched": (_notched, 1.75, [[-1.0, -0.5, 0.0], [1.0, 0.5, 1.0]]),
    "oblique": (_oblique, 1.6, [[-0.5, -0.5, 0.0], [0.5, 1.7, 1.6]]),
    "hollow": (_hollow, 3.0, [[-1.0, -1.0, 0.0], [1.0, 1.0, 1.0]]),
    "union_and_intersection": (_union_and_intersection, 0.6, [[-0.5, -0.5, 0.0],
                                                              [1.5, 0.5, 0.3]]),
}


@pytest.mark.parametrize("unit", ["m", "mm"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_local_mesh_matches_hand_arithmetic_and_the_kernel(tmp_path, unit, case):
    make, volume, bounds = CASES[case]
    model, column = _model(tmp_path, unit, make)
    body = column.Representation.Representations[0]
    built = csg.local_mesh(body, model.length_scale)
    assert built is not None
    mesh = from_arrays(*built)
    assert mesh.closed
    assert mesh.volume == pytest.approx(volume, rel=1e-9)
    np.testing.assert_allclose(mesh.bounds, bounds, atol=1e-9)
    kernel = _kernel(model, column)  # local frame too: the peer agrees
    assert abs(kernel.volume) == pytest.approx(volume, rel=1e-6)
    np.testing.assert_allclose(kernel.bounds, bounds, atol=1e-6)


def test_tessellate_builds_it_and_places_it(tmp_path):
    model, column = _model(tmp_path, "mm", _notched)
    geometry = tessellate(model, [column])
    assert geometry.stats.csg == 1
    mesh = geometry.meshes[column.GlobalId]
    assert mesh.closed and mesh.volume == pytest.approx(1.75, rel=1e-9)
    # The factory placed the column at the box's base centre, (10, 20, 0).
    np.testing.assert_allclose(mesh.bounds, [[9.0, 19.5, 0.0], [11.0, 20.5, 1.0]], atol=1e-9)


def test_what_it_does_not_cover_goes_to_the_kernel(tmp_path):
    def clipped(b: _Builder):
        block = b.extrusion(b.rectangle(2.0, 1.0), 1.0)
        plane = b.f.createIfcPlane(b.f.createIfcAxis2Placement3D(
            b.f.createIfcCartesianPoint((0.0, 0.0, 0.5 * b.k)), None, None))
        half = b.f.createIfcHalfSpaceSolid(plane, False)
        return b.f.createIfcBooleanClippingResult("DIFFERENCE", block, half)

    model, column = _model(tmp_path, "m", clipped)
    assert csg.local_mesh(column.Representation.Representations[0], 1.0) is None
    geometry = tessellate(model, [column])
    assert geometry.stats.csg == 0
    mesh = geometry.meshes[column.GlobalId]
    assert mesh.volume == pytest.approx(1.0, rel=1e-6)  # the upper half is cut off
