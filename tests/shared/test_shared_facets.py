"""Faceted bodies meshed by :mod:`bimcheck.geometry.facets` against IfcOpenShell's
kernel, on every shared model that has them.

For each element the fast path covers, the surface area before welding is
the area of its faces computed from the file (Newell's formula on every
bound, holes subtracted) to 1e-7 relative. Against the kernel's own mesh
(geometry iterator, default settings, local frame): the same area to 1e-5
relative (the kernel loses up to 6e-6 of it on faces with holes: 0.7898830
m² for a Duplex fan whose faces measure 0.7898880 m², bimcheck's 0.7898880),
the same bounds (1e-6 m), and after welding the same closedness and, for
closed meshes, the same volume. Triangulations differ (which diagonal splits
a quad; the kernel drops some corners on straight runs), so triangles are
not compared one by one. The Janesville restaurant (522 faceted elements,
~1 min of kernel time) runs under ``-m slow``.
"""

from __future__ import annotations

import ifcopenshell
import ifcopenshell.geom
import numpy as np
import pytest

from bimcheck.geometry import facets
from bimcheck.geometry.mesh import from_arrays
from bimcheck.geometry.tessellate import body_representations
from bimcheck.model import open_model
from tests.conftest import shared_model

#: model: how many elements the fast path covers (counted by class, not by bimcheck)
MODELS = {
    "2022_11_21_update_B03_Heating_ownCells.ifc": 19,
    "AC20-FZK-Haus.ifc": 72,
    "ISSUE_021_Mini_Project.ifc": 333,
    "Ifc2s3_Duplex_Electrical.ifc": 30,
    "Ifc2x3_Duplex_Architecture.ifc": 67,
    "b03_heating_with_building_blenderBIM.ifc": 17,
    "revit2012_janesville_restaurant.ifc": 522,
}
SLOW = {"revit2012_janesville_restaurant.ifc"}


def _area(v: np.ndarray, f: np.ndarray) -> float:
    t = v[f]
    return float(0.5 * np.linalg.norm(np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]), axis=1).sum())


def _volume(v: np.ndarray, f: np.ndarray) -> float:
    t = v[f]
    return float(np.einsum("ij,ij->i", t[:, 0], np.cross(t[:, 1], t[:, 2])).sum() / 6)


def _newell_area(points: np.ndarray) -> float:
    nxt = np.roll(points, -1, axis=0)
    n = np.array([
        ((points[:, 1] - nxt[:, 1]) * (points[:, 2] + nxt[:, 2])).sum(),
        ((points[:, 2] - nxt[:, 2]) * (points[:, 0] + nxt[:, 0])).sum(),
        ((points[:, 0] - nxt[:, 0]) * (points[:, 1] + nxt[:, 1])).sum(),
    ])
    return float(np.linalg.norm(n) / 2)


def _face_area(ifc: ifcopenshell.file, rep: ifcopenshell.entity_instance,
               scale: float) -> float | None:
    """Area (m²) of every face under ``rep``, outer bounds minus inner ones,
    straight from the file's points; ``None`` under a non-uniform mapping."""
    total = 0.0
    for item in rep.Items:
        if item.is_a("IfcMappedItem"):
            target = item.MappingTarget
            if target.is_a("IfcCartesianTransformationOperator3DnonUniform"):
                return None
            k = target.Scale if target.Scale is not None else 1.0
            inner = _face_area(ifc, item.MappingSource.MappedRepresentation, scale)
            if inner is None:
                return None
            total += k * k * inner
            continue
        for face in (x for x in ifc.traverse(item) if x.is_a("IfcFace")):
            for bound in face.Bounds:
                points = np.array([p.Coordinates for p in bound.Bound.Polygon]) * scale
                area = _newell_area(points)
                total += area if bound.is_a("IfcFaceOuterBound") else -area
    return total


def _faceted_items_only(rep: ifcopenshell.entity_instance) -> bool:
    """Every item (through mapped items) faceted or a curve set, one at least:
    written from the IFC classes, independently of facets.covers."""
    classes = []
    stack = [rep]
    while stack:
        for item in stack.pop().Items:
            if item.is_a("IfcMappedItem"):
                stack.append(item.MappingSource.MappedRepresentation)
            else:
                classes.append(item.is_a())
    faceted = {"IfcFacetedBrep", "IfcFacetedBrepWithVoids", "IfcFaceBasedSurfaceModel",
               "IfcShellBasedSurfaceModel"}
    return any(c in faceted for c in classes) and all(
        c in faceted or c in ("IfcGeometricSet", "IfcGeometricCurveSet") for c in classes)


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=[pytest.mark.slow] if n in SLOW else [], id=n) for n in sorted(MODELS)
])
def test_faceted_bodies_match_the_kernel(name):
    model = open_model(shared_model(name))
    chosen = {}
    for e in model.file.by_type("IfcProduct"):
        bodies = body_representations(e)
        if len(bodies) == 1 and _faceted_items_only(bodies[0]):
            chosen[e.id()] = (e, bodies[0])
    assert len(chosen) == MODELS[name]
    ours = {}
    for sid, (_e, rep) in chosen.items():
        built = facets.local_mesh(rep, model.length_scale)
        if built is not None:  # outside the subset (e.g. a non-polyloop bound): kernel's
            ours[sid] = built
    assert len(ours) >= 0.9 * len(chosen)

    settings = ifcopenshell.geom.settings()
    settings.set("disable-opening-subtractions", True)
    it = ifcopenshell.geom.iterator(settings, model.file, 1,
                                    include=[chosen[i][0] for i in ours])
    kernel = {}
    assert it.initialize()
    while True:
        shape = it.get()
        v = np.frombuffer(shape.geometry.verts_buffer, dtype=np.float64).reshape(-1, 3)
        f = np.frombuffer(shape.geometry.faces_buffer, dtype=np.int32).reshape(-1, 3)
        kernel[int(shape.id)] = (v.copy(), f.astype(np.int64))
        if not it.next():
            break
    assert kernel.keys() == ours.keys()
    for sid, (v, f) in ours.items():
        kv, kf = kernel[sid]
        where = f"#{sid} {chosen[sid][0].is_a()}"
        expected = _face_area(model.file, chosen[sid][1], model.length_scale)
        if expected is not None:
            assert _area(v, f) == pytest.approx(expected, rel=1e-7, abs=1e-12), where
        assert _area(v, f) == pytest.approx(_area(kv, kf), rel=1e-5, abs=1e-12), where
        assert np.allclose(v.min(axis=0), kv.min(axis=0), atol=1e-6), where
        assert np.allclose(v.max(axis=0), kv.max(axis=0), atol=1e-6), where
        a, b = from_arrays(v, f), from_arrays(kv, kf)
        assert a.closed == b.closed, where
        if a.closed:
            assert _volume(a.vertices, a.faces) == pytest.approx(
                _volume(b.vertices, b.faces), rel=1e-9, abs=1e-12), where
