"""Every profile :mod:`bimcheck.geometry.profiles` draws, extruded, against the
kernel's mesh of the same solid: the same vertex count, bounds to 1e-6 m and
volume to 1e-6 relative. The shared models hold rectangles, circles, hollow
sections, L shapes and composite curves; the rest are written here."""

from __future__ import annotations

import math

import ifcopenshell
import ifcopenshell.api.context
import ifcopenshell.api.project
import ifcopenshell.api.root
import ifcopenshell.api.unit
import ifcopenshell.geom
import numpy as np
import pytest

from bimcheck.geometry import extrusions, profiles
from bimcheck.geometry.mesh import from_arrays


@pytest.fixture(scope="module")
def f():
    ifc = ifcopenshell.api.project.create_file(version="IFC4")
    ifcopenshell.api.root.create_entity(ifc, ifc_class="IfcProject")
    ifcopenshell.api.unit.assign_unit(ifc)  # millimetres
    model = ifcopenshell.api.context.add_context(ifc, context_type="Model")
    ifcopenshell.api.context.add_context(ifc, context_type="Model", context_identifier="Body",
                                         target_view="MODEL_VIEW", parent=model)
    return ifc


def _pt(f, *xy):
    return f.createIfcCartesianPoint([float(v) for v in xy])


def _placement2d(f):
    return f.createIfcAxis2Placement2D(_pt(f, 30.0, -20.0), f.createIfcDirection((0.6, 0.8)))


def _profiles(f):
    p = _placement2d(f)
    arc = f.createIfcIndexedPolyCurve(
        f.createIfcCartesianPointList2D([(0.0, 0.0), (400.0, 0.0), (500.0, 100.0),
                                         (400.0, 200.0), (0.0, 200.0)]),
        [f.createIfcLineIndex((1, 2)), f.createIfcArcIndex((2, 3, 4)),
         f.createIfcLineIndex((4, 5, 1))])
    circle = f.createIfcCircle(f.createIfcAxis2Placement2D(_pt(f, 0.0, 0.0), None), 150.0)
    half = f.createIfcTrimmedCurve(circle, [f.createIfcParameterValue(0.0)],
                                   [f.createIfcParameterValue(math.pi)], True, "PARAMETER")
    line = f.createIfcPolyline([_pt(f, -150.0, 0.0), _pt(f, 150.0, 0.0)])
    composite = f.createIfcCompositeCurve([
        f.createIfcCompositeCurveSegment("CONTINUOUS", True, half),
        f.createIfcCompositeCurveSegment("CONTINUOUS", True, line)], False)
    hole = f.createIfcPolyline([_pt(f, -50.0, 20.0), _pt(f, 50.0, 20.0), _pt(f, 50.0, 60.0),
                                _pt(f, -50.0, 20.0)])
    return {
        "rectangle": f.createIfcRectangleProfileDef("AREA", None, p, 400.0, 250.0),
        "rounded rectangle": f.createIfcRoundedRectangleProfileDef("AREA", None, p, 400.0,
                                                                  250.0, 40.0),
        "hollow rectangle": f.createIfcRectangleHollowProfileDef("AREA", None, p, 400.0, 300.0,
                                                                 20.0, 10.0, 30.0),
        "circle": f.createIfcCircleProfileDef("AREA", None, p, 120.0),
        "hollow circle": f.createIfcCircleHollowProfileDef("AREA", None, p, 120.0, 8.0),
        "I": f.createIfcIShapeProfileDef("AREA", None, p, 200.0, 400.0, 9.0, 14.0),
        "L": f.createIfcLShapeProfileDef("AREA", None, p, 150.0, 100.0, 12.0),
        "U": f.createIfcUShapeProfileDef("AREA", None, p, 300.0, 100.0, 10.0, 16.0),
        "T": f.createIfcTShapeProfileDef("AREA", None, p, 300.0, 200.0, 12.0, 18.0),
        "C": f.createIfcCShapeProfileDef("AREA", None, p, 200.0, 80.0, 3.0, 25.0),
        "Z": f.createIfcZShapeProfileDef("AREA", None, p, 200.0, 80.0, 6.0, 10.0),
        "indexed arc": f.createIfcArbitraryClosedProfileDef("AREA", None, arc),
        "composite with a void": f.createIfcArbitraryProfileDefWithVoids(
            "AREA", None, composite, [hole]),
    }


@pytest.mark.parametrize("name", [
    "rectangle", "rounded rectangle", "hollow rectangle", "circle", "hollow circle", "I", "L",
    "U", "T", "C", "Z", "indexed arc", "composite with a void"])
def test_each_profile_matches_the_kernel(f, name):
    profile = _profiles(f)[name]
    body = next(c for c in f.by_type("IfcGeometricRepresentationSubContext"))
    solid = f.createIfcExtrudedAreaSolid(
        profile, f.createIfcAxis2Placement3D(_pt(f, 100.0, 50.0, 10.0), None, None),
        f.createIfcDirection((0.1, 0.2, 1.0)), 1500.0)
    rep = f.createIfcShapeRepresentation(body, "Body", "SweptSolid", [solid])
    assert extrusions.covers(rep)
    built = extrusions.local_mesh(rep, 0.001, 1.0)
    assert built is not None
    ours = from_arrays(*built)
    shape = ifcopenshell.geom.create_shape(ifcopenshell.geom.settings(), solid)
    kernel = from_arrays(np.array(shape.verts).reshape(-1, 3),
                         np.array(shape.faces).reshape(-1, 3))
    assert len(ours.vertices) == len(kernel.vertices)
    assert np.allclose(ours.bounds, kernel.bounds, atol=1e-6)
    assert ours.closed and kernel.closed
    assert ours.volume == pytest.approx(kernel.volume, rel=1e-6)


def test_a_long_arc_and_a_short_one_are_cut_as_the_kernel_cuts_them():
    assert profiles.arc_segments(0.01, 2 * math.pi) == 26  # 0.25 rad at most
    assert profiles.arc_segments(1.0, 2 * math.pi) == 100  # 0.5 mm sagitta at most
    assert profiles.arc_segments(1.7, math.radians(0.2)) == 3  # three at least


def test_fillets_and_sloped_flanges_are_left_to_the_kernel(f):
    p = _placement2d(f)
    filleted = f.createIfcIShapeProfileDef("AREA", None, p, 200.0, 400.0, 9.0, 14.0, 21.0)
    with pytest.raises(profiles.Unsupported):
        profiles.contours(filleted, 0.001, 1.0)
    open_curve = f.createIfcArbitraryClosedProfileDef(
        "AREA", None, f.createIfcPolyline([_pt(f, 0.0, 0.0), _pt(f, 1.0, 0.0),
                                           _pt(f, 1.0, 1.0)]))
    with pytest.raises(profiles.Unsupported):
        profiles.contours(open_curve, 0.001, 1.0)
