"""An element's mesh comes from its Body representation only (issue 14).

Bonsai leaves an open ``IfcPolygonalFaceSet`` without identifier in the parent
``Model`` context next to the real ``Body`` / ``SweptSolid`` of a wall or a
footing. The kernel meshes both; the tessellator used to concatenate them, so
the wall's mesh was open and the takeoff skipped its volume ("no closed body
to measure a volume of"). The model below has such elements, a column whose
Body is a mapped item (the kernel names its shape after the mapped source),
and a footing with nothing but a closed representation without identifier
(the fallback). Every expected value is computed by hand from the boxes.
"""

from __future__ import annotations

import json
from pathlib import Path

import ifcopenshell
import ifcopenshell.api.geometry
import ifcopenshell.guid
import ifcopenshell.util.placement
import numpy as np
import pytest
from click.testing import CliRunner

from bimcheck.cli.main import cli
from bimcheck.geometry.bodies import (
    BODY_IDENTIFIERS,
    body_representations,
    has_body,
    unused_geometry_ids,
)
from bimcheck.geometry.tessellate import tessellate
from bimcheck.model import open_model
from bimcheck.qto.rules import default_qto_pack_path, load_qto_pack
from bimcheck.qto.takeoff import run_takeoff
from bimcheck.testing.ifcfactory import Box, ModelFactory

# Bodies in world metres and their volumes (m³).
WALL = Box((0, 0, 0), (5, 0.2, 3))  # 5 × 0.2 × 3 = 3.0
FOOTING = Box((0, 2, -1), (2, 3.5, -0.5))  # 2 × 1.5 × 0.5 = 1.5
COLUMN = Box((7.8, -0.2, 0), (8.2, 0.2, 3))  # 0.4 × 0.4 × 3 = 0.48
FALLBACK = Box((3, 2, -1), (4, 3, 0))  # 1 × 1 × 1 = 1.0

#: The leftover face sets: open boxes (no top) much larger than the bodies.
LEFTOVERS = {
    "W": ((-1, -1, -1), (6, 1, 4)),
    "F": ((-1, 1, -2), (3, 4, 0)),
    "C": ((7, -1, -1), (9, 1, 4)),
}

#: A beam crossing the wall's leftover (its face x = 6) 0.8 m clear of the wall body.
BEAM = Box((5.8, 0.4, 1.0), (6.2, 0.6, 1.2))

#: Corners 1-8 of a box (bottom counter-clockwise, then top), faces wound outward.
_BOX_FACES = [(1, 4, 3, 2), (5, 6, 7, 8), (1, 2, 6, 5), (2, 3, 7, 6), (3, 4, 8, 7), (4, 1, 5, 8)]


def _face_set(f: ifcopenshell.file, element, lo, hi, *, closed: bool):
    """An ``IfcPolygonalFaceSet`` box from world ``lo`` to ``hi`` (metres, file in
    metres) in ``element``'s frame; without its top face unless ``closed``."""
    origin = ifcopenshell.util.placement.get_local_placement(element.ObjectPlacement)[:3, 3]
    (x0, y0, z0), (x1, y1, z1) = np.asarray(lo) - origin, np.asarray(hi) - origin
    corners = [(x0, y0, z0), (x1, y0, z0), (x1, y1, z0), (x0, y1, z0),
               (x0, y0, z1), (x1, y0, z1), (x1, y1, z1), (x0, y1, z1)]
    faces = _BOX_FACES if closed else [fc for fc in _BOX_FACES if fc != (5, 6, 7, 8)]
    return f.create_entity(
        "IfcPolygonalFaceSet",
        Coordinates=f.createIfcCartesianPointList3D([[float(c) for c in p] for p in corners]),
        Closed=closed,
        Faces=[f.create_entity("IfcIndexedPolygonalFace", CoordIndex=fc) for fc in faces],
    )


def _prepend(element, representation) -> None:
    shape = element.Representation
    shape.Representations = [representation, *shape.Representations]


def build(path: Path) -> Path:
    """The model of the module docstring (metres), with a beam for the clash test."""
    fac = ModelFactory()
    f = fac.file
    model_ctx = fac.body.ParentContext
    storey = fac.add_storey("L0", 0.0)
    wall = fac.add_element("IfcWall", "W", shape=WALL, storey=storey)
    footing = fac.add_element("IfcFooting", "F", shape=FOOTING, storey=storey)
    column = fac.add_element("IfcColumn", "C", shape=COLUMN, storey=storey)
    fac.add_element("IfcBeam", "B", shape=BEAM, storey=storey, axis="x")
    # The column's Body becomes a mapped item of its own extrusion.
    body = column.Representation.Representations[0]
    source = f.createIfcShapeRepresentation(fac.body, "Body", "SweptSolid", body.Items)
    origin = f.createIfcAxis2Placement3D(f.createIfcCartesianPoint((0.0, 0.0, 0.0)))
    operator = f.createIfcCartesianTransformationOperator3D(
        None, None, f.createIfcCartesianPoint((0.0, 0.0, 0.0)), None, None)
    body.Items = [f.createIfcMappedItem(f.createIfcRepresentationMap(origin, source), operator)]
    body.RepresentationType = "MappedRepresentation"
    # Leftovers without identifier, in the parent Model context, listed first.
    for element in (wall, footing, column):
        lo, hi = LEFTOVERS[element.Name]
        leftover = _face_set(f, element, lo, hi, closed=False)
        _prepend(element, f.createIfcShapeRepresentation(model_ctx, None, "Tessellation",
                                                         [leftover]))
    # The fallback: one closed face set without identifier, nothing else.
    fallback = fac.add_element("IfcFooting", "F2", storey=storey, origin=FALLBACK.lo)
    closed = _face_set(f, fallback, FALLBACK.lo, FALLBACK.hi, closed=True)
    ifcopenshell.api.geometry.assign_representation(
        f, product=fallback,
        representation=f.createIfcShapeRepresentation(model_ctx, None, "Tessellation", [closed]))
    return fac.write(path)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("bodyrep") / "bonsai_like.ifc")


@pytest.fixture(scope="module")
def model(model_path):
    return open_model(model_path)


def _by_name(model) -> dict[str, ifcopenshell.entity_instance]:
    return {e.Name: e for e in model.file.by_type("IfcElement")}


def test_body_is_chosen_over_the_leftover_without_identifier(model):
    elements = _by_name(model)
    for name in ("W", "F", "C"):
        reps = elements[name].Representation.Representations
        assert [r.RepresentationIdentifier for r in reps] == [None, "Body"]
        assert body_representations(elements[name]) == [reps[1]]
        # The leftover is dropped; the column's mapped source is part of its body.
        assert unused_geometry_ids(elements[name]) == {reps[0].id()}
    (only,) = elements["F2"].Representation.Representations
    assert body_representations(elements["F2"]) == [only]
    assert unused_geometry_ids(elements["F2"]) == frozenset()


def test_meshes_are_the_bodies_only(model):
    geometry = tessellate(model, cache=None)
    assert geometry.failures == [] and geometry.without_body == []
    meshes = {e.Name: geometry.meshes[e.GlobalId] for e in _by_name(model).values()}
    for name, body, volume in (("W", WALL, 3.0), ("F", FOOTING, 1.5), ("C", COLUMN, 0.48),
                               ("F2", FALLBACK, 1.0)):
        mesh = meshes[name]
        assert mesh.closed, name
        assert mesh.volume == pytest.approx(volume, abs=1e-9), name
        # Bounds of the body alone: nothing of the larger leftover.
        np.testing.assert_allclose(mesh.bounds, [body.lo, body.hi], atol=1e-9, err_msg=name)
        assert len(mesh.vertices) == 8, name  # one welded box, no second shell


def test_takeoff_measures_the_volumes_and_skips_nothing(model):
    takeoff = run_takeoff(model, load_qto_pack(default_qto_pack_path()).rules)
    assert takeoff.failures == []
    # Only the weights are skipped (no density in the model), never a volume.
    assert {s[2] for s in takeoff.skipped} == {"GrossWeight", "NetWeight"}
    assert all("density" in s[3] for s in takeoff.skipped)
    rows = {(r.name, r.quantity): r.value for r in takeoff.rows}
    for name, volume in (("W", 3.0), ("F", 1.5), ("C", 0.48), ("F2", 1.0)):
        assert rows[(name, "GrossVolume")] == pytest.approx(volume, abs=1e-9), name
        assert rows[(name, "NetVolume")] == pytest.approx(volume, abs=1e-9), name
    # The wall's extents are the Body's (5 m long, 0.2 m thick, 3 m high).
    assert rows[("W", "Length")] == pytest.approx(5.0, abs=1e-9)
    assert rows[("W", "Width")] == pytest.approx(0.2, abs=1e-9)
    assert rows[("W", "Height")] == pytest.approx(3.0, abs=1e-9)


def _cli_json(*args: str) -> dict:
    r = CliRunner().invoke(cli, ["-q", *args, "--json", "--no-cache"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_cli_qto_measures_the_volumes(model_path):
    doc = _cli_json("qto", str(model_path))
    assert doc["failed"] == []
    assert {s["quantity"] for s in doc["skipped"]} == {"GrossWeight", "NetWeight"}
    names = {e.GlobalId: e.Name for e in open_model(model_path).file.by_type("IfcElement")}
    volumes = {names[r["global_id"]]: r["value"] for r in doc["rows"]
               if r["quantity"] == "GrossVolume"}
    assert volumes == {"W": 3.0, "F": 1.5, "C": 0.48, "F2": 1.0, "B": pytest.approx(0.016)}


def test_cli_clash_sees_the_body_not_the_leftover(model_path):
    # The beam crosses the wall's leftover but is 0.8 m clear of the wall itself.
    doc = _cli_json("clash", str(model_path), "--a", "IfcWall", "--b", "IfcBeam")
    assert doc["clashes"] == []


def _rep(f, ctx, identifier, rtype="Brep"):
    return f.createIfcShapeRepresentation(ctx, identifier, rtype, [])


def test_preference_order_of_body_identifiers():
    f = ifcopenshell.file(schema="IFC4")
    origin = f.createIfcAxis2Placement3D(f.createIfcCartesianPoint((0.0, 0.0, 0.0)))
    model_ctx = f.createIfcGeometricRepresentationContext(None, "Model", 3, 1e-5, origin)
    plan_ctx = f.createIfcGeometricRepresentationContext(None, "Plan", 2, 1e-5, origin)

    def element(*reps):
        return f.createIfcWall(ifcopenshell.guid.new(), None, "X", Representation=(
            f.createIfcProductDefinitionShape(None, None, list(reps))))

    none, facet, fallback, body = (_rep(f, model_ctx, i)
                                   for i in (None, "Facetation", "Body-FallBack", "Body"))
    assert BODY_IDENTIFIERS[:3] == ("Body", "Body-FallBack", "Facetation")
    assert body_representations(element(none, facet, fallback, body)) == [body]
    assert body_representations(element(none, facet, fallback)) == [fallback]
    assert body_representations(element(none, facet)) == [facet]
    # Not a body: other identifiers, 2D contexts, curve types. A duplicate counts once.
    clearance, axis = _rep(f, model_ctx, "Clearance"), _rep(f, model_ctx, "Axis", "Curve3D")
    flat = _rep(f, plan_ctx, "Body")
    assert body_representations(element(clearance, none, none, flat)) == [none]
    assert unused_geometry_ids(element(clearance, none, flat)) == {clearance.id(), flat.id()}
    lonely = element(clearance, axis, flat)
    assert body_representations(lonely) == [] and not has_body(lonely)
