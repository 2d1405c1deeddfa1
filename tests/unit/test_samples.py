"""The committed samples: reproducible, and their truth files agree with the models.

These tests read the IFC files with plain IfcOpenShell (attributes, placements,
extrusion parameters) and never tessellate or call bimcheck geometry code: they
check the ground truth, not a clash engine.
"""

from __future__ import annotations

import math
from collections import Counter
from functools import cache
from pathlib import Path

import ifcopenshell
import ifcopenshell.util.classification
import ifcopenshell.util.element
import ifcopenshell.util.placement
import ifcopenshell.util.unit
import numpy as np
import pytest
import yaml

from tests.conftest import SAMPLES, load_sample_script

MODELS = ("tower_rev_a", "tower_rev_b", "tower_rev_a_mm")
RELATIONS = {"hard", "touching", "clearance", "duplicate", "filling", "not_clash"}


def load_builder():
    """``samples/build_samples.py`` as a module."""
    return load_sample_script("build_samples.py")


@cache
def model(name: str) -> ifcopenshell.file:
    return ifcopenshell.open(str(SAMPLES / f"{name}.ifc"))


@cache
def truth(name: str) -> dict:
    return yaml.safe_load((SAMPLES / f"{name}.truth.yaml").read_text(encoding="utf-8"))


def world_box(element: ifcopenshell.entity_instance, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """World AABB, metres, of an element's single axis-aligned extrusion (from its attributes)."""
    (solid,) = element.Representation.Representations[0].Items
    assert solid.is_a("IfcExtrudedAreaSolid")
    profile = solid.SweptArea
    if profile.is_a("IfcRectangleProfileDef"):
        hx, hy = profile.XDim / 2, profile.YDim / 2
    else:
        hx = hy = profile.Radius
    corners = np.array(
        [[x, y, z, 1.0] for x in (-hx, hx) for y in (-hy, hy) for z in (0.0, solid.Depth)]
    )
    matrix = ifcopenshell.util.placement.get_local_placement(
        element.ObjectPlacement
    ) @ ifcopenshell.util.placement.get_axis2placement(solid.Position)
    world = (matrix @ corners.T).T[:, :3] * scale
    return world.min(axis=0), world.max(axis=0)


def psets(element: ifcopenshell.entity_instance) -> dict:
    """Property sets and values, without STEP ids."""
    return {
        name: {k: v for k, v in props.items() if k != "id"}
        for name, props in ifcopenshell.util.element.get_psets(element).items()
    }


def extrusion_volume(element: ifcopenshell.entity_instance, scale: float) -> float:
    """Profile area × depth × scale³, cubic metres, from the extrusion's parameters."""
    (solid,) = element.Representation.Representations[0].Items
    profile = solid.SweptArea
    if profile.is_a("IfcRectangleProfileDef"):
        area = profile.XDim * profile.YDim
    else:
        area = math.pi * profile.Radius**2
    return area * solid.Depth * scale**3


# -- (1) reproducible ------------------------------------------------------------------------


def test_builder_reproduces_the_committed_samples(tmp_path: Path):
    written = load_builder().build_all(tmp_path)
    assert sorted(p.name for p in written) == sorted(
        f"{m}{ext}" for m in MODELS for ext in (".ifc", ".truth.yaml")
    )
    for path in written:
        committed = SAMPLES / path.name
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed.name} is stale: run `python samples/build_samples.py`"
        )


# -- (2) truth agrees with the models --------------------------------------------------------


@pytest.mark.parametrize("name", MODELS)
def test_schema_units_and_storeys(name: str):
    f, t = model(name), truth(name)
    assert f.schema == t["schema"] == "IFC4"
    scale = ifcopenshell.util.unit.calculate_unit_scale(f)
    assert scale == {"m": 1.0, "mm": 0.001}[t["length_unit"]]
    assert t["length_unit"] == ("mm" if name.endswith("_mm") else "m")
    storeys = {s.GlobalId: s for s in f.by_type("IfcBuildingStorey")}
    assert len(storeys) == len(t["storeys"])
    for s in t["storeys"]:
        storey = storeys[s["global_id"]]
        assert storey.Name == s["name"]
        assert storey.Elevation * scale == pytest.approx(s["elevation"], abs=1e-9)
        placement = ifcopenshell.util.placement.get_local_placement(storey.ObjectPlacement)
        assert placement[2, 3] * scale == pytest.approx(s["elevation"], abs=1e-9)


@pytest.mark.parametrize("name", MODELS)
def test_counts_by_exact_class(name: str):
    f = model(name)
    found = Counter(
        e.is_a() for cls in ("IfcProject", "IfcProduct", "IfcTypeObject") for e in f.by_type(cls)
    )
    assert dict(found) == truth(name)["counts"]


@pytest.mark.parametrize("name", MODELS)
def test_elements_exist_with_class_name_storey(name: str):
    f, t = model(name), truth(name)
    elements = t["elements"]
    assert len(elements) == len(f.by_type("IfcElement"))
    for ename, e in elements.items():
        element = f.by_guid(e["global_id"])
        assert element.is_a() == e["ifc_class"], ename
        assert element.Name == ename
        if "voids" in e:
            host = element.VoidsElements[0].RelatingBuildingElement
            assert host.Name == e["voids"]
            container = ifcopenshell.util.element.get_container(host)
        elif "aggregated_in" in e:
            assert not element.ContainedInStructure  # storey only through the aggregate
            parent = ifcopenshell.util.element.get_aggregate(element)
            assert parent.Name == e["aggregated_in"]
            container = ifcopenshell.util.element.get_container(parent)
        else:
            container = ifcopenshell.util.element.get_container(element)
        assert container.Name == e["storey"], ename
        if "fills" in e:
            assert element.FillsVoids[0].RelatingOpeningElement.Name == e["fills"]
        if e.get("no_geometry"):
            assert element.Representation is None
        else:
            assert element.Representation is not None
        if "type" in e:
            assert ifcopenshell.util.element.get_type(element).Name == e["type"]
        for pset, props in e.get("psets", {}).items():
            got = ifcopenshell.util.element.get_pset(element, pset)
            assert {k: got[k] for k in props} == props
        if "classification" in e:
            (ref,) = ifcopenshell.util.classification.get_references(element)
            assert ref.Identification == e["classification"]["identification"]
            assert ref.ReferencedSource.Name == e["classification"]["system"]
        if "layer_set" in e:
            material = ifcopenshell.util.element.get_material(element)
            assert material.is_a("IfcMaterialLayerSetUsage")
            assert material.ForLayerSet.LayerSetName == e["layer_set"]
        if "material" in e:
            assert ifcopenshell.util.element.get_material(element).Name == e["material"]


@pytest.mark.parametrize("name", MODELS)
def test_pairs_name_existing_elements(name: str):
    f, t = model(name), truth(name)
    keys = set()
    for p in t["pairs"]:
        assert p["relation"] in RELATIONS
        assert p["a"] < p["b"]
        assert f.by_guid(p["a"]).Name == p["a_name"]
        assert f.by_guid(p["b"]).Name == p["b_name"]
        assert (p["a"], p["b"]) not in keys
        keys.add((p["a"], p["b"]))
        if p["relation"] in ("hard", "duplicate"):
            assert p["overlap_volume"] > 0 and p["penetration_depth"] > 0 and p["distance"] == 0
        elif p["relation"] in ("touching", "filling"):
            assert p["overlap_volume"] == p["distance"] == 0
        elif p["relation"] == "clearance":
            assert 0 < p["distance"] < p["required_clearance"]
    relations = Counter(p["relation"] for p in t["pairs"])
    assert relations["clearance"] >= 2 and relations["hard"] >= 2 and relations["not_clash"] >= 1
    assert relations["duplicate"] == (0 if name == "tower_rev_b" else 1)


def test_mm_model_is_the_m_model_scaled_by_1000():
    m, mm = model("tower_rev_a"), model("tower_rev_a_mm")
    assert ifcopenshell.util.unit.get_project_unit(mm, "LENGTHUNIT").Prefix == "MILLI"
    assert ifcopenshell.util.unit.get_project_unit(m, "LENGTHUNIT").Prefix is None
    roots_m = {e.GlobalId: e for e in m.by_type("IfcRoot")}
    roots_mm = {e.GlobalId: e for e in mm.by_type("IfcRoot")}
    assert {g: e.is_a() for g, e in roots_m.items()} == {g: e.is_a() for g, e in roots_mm.items()}
    for guid, a in roots_m.items():
        if not a.is_a("IfcProduct"):
            continue
        b = roots_mm[guid]
        la = np.array(a.ObjectPlacement.RelativePlacement.Location.Coordinates)
        lb = np.array(b.ObjectPlacement.RelativePlacement.Location.Coordinates)
        np.testing.assert_allclose(lb, la * 1000, atol=1e-6, err_msg=a.Name)
        if a.Representation:
            (sa,), (sb,) = (x.Representation.Representations[0].Items for x in (a, b))
            assert sb.Depth == pytest.approx(sa.Depth * 1000, abs=1e-6)
    assert truth("tower_rev_a_mm")["pairs"] == truth("tower_rev_a")["pairs"]
    ea, emm = truth("tower_rev_a")["elements"], truth("tower_rev_a_mm")["elements"]
    assert ea == emm


# -- (3) hand-computed volumes agree with the extrusion parameters ---------------------------


@pytest.mark.parametrize("name", MODELS)
def test_gross_volumes_and_boxes_match_extrusions(name: str):
    f, t = model(name), truth(name)
    scale = ifcopenshell.util.unit.calculate_unit_scale(f)
    for ename, e in t["elements"].items():
        if e.get("no_geometry"):
            continue
        element = f.by_guid(e["global_id"])
        assert extrusion_volume(element, scale) == pytest.approx(e["gross_volume"], abs=1e-9), ename
        lo, hi = world_box(element, scale)
        if "box" in e:
            np.testing.assert_allclose(lo, e["box"]["min"], atol=1e-9, err_msg=ename)
            np.testing.assert_allclose(hi, e["box"]["max"], atol=1e-9, err_msg=ename)


def test_some_volumes_by_hand():
    e = truth("tower_rev_a")["elements"]
    assert e["C-0-A1"]["volume"] == pytest.approx(0.4 * 0.4 * 3.25)
    assert e["BM-1-mid"]["volume"] == pytest.approx(0.25 * 0.5 * 5.6)
    assert e["SL-1"]["volume"] == pytest.approx(12.4 * 6.4 * 0.25)
    assert e["W-0-south-1"]["volume"] == pytest.approx(5.6 * 0.2 * 2.75 - 1.0 * 0.2 * 2.1)
    assert e["W-1-east"]["volume"] == pytest.approx(5.6 * 0.2 * 3.25 - 0.3 * 0.3 * 0.2)
    assert e["P-0-col"]["volume"] == pytest.approx(math.pi * 0.05**2 * 10.0)
    assert truth("tower_rev_b")["elements"]["SL-R"]["volume"] == pytest.approx(12.4 * 6.4 * 0.3)


@pytest.mark.parametrize("name", MODELS)
def test_net_volumes_are_gross_minus_openings(name: str):
    f, t = model(name), truth(name)
    scale = ifcopenshell.util.unit.calculate_unit_scale(f)
    for ename, e in t["elements"].items():
        if e.get("no_geometry") or e["ifc_class"] == "IfcOpeningElement":
            continue
        element = f.by_guid(e["global_id"])
        removed = 0.0
        hlo, hhi = world_box(element, scale)
        for rel in element.HasOpenings:
            olo, ohi = world_box(rel.RelatedOpeningElement, scale)
            removed += float(np.prod(np.clip(np.minimum(hhi, ohi) - np.maximum(hlo, olo), 0, None)))
        assert e["volume"] == pytest.approx(e["gross_volume"] - removed, abs=1e-9), ename


@pytest.mark.parametrize("name", MODELS)
def test_box_overlaps_of_hard_pairs_match_the_extrusions(name: str):
    f, t = model(name), truth(name)
    scale = ifcopenshell.util.unit.calculate_unit_scale(f)
    for p in t["pairs"]:
        if p["relation"] not in ("hard", "duplicate") or p.get("curved"):
            continue
        a, b = f.by_guid(p["a"]), f.by_guid(p["b"])
        if a.HasOpenings or b.HasOpenings:
            continue  # P-1-wall / W-1-west: checked by hand in the builder
        (alo, ahi), (blo, bhi) = world_box(a, scale), world_box(b, scale)
        ext = np.minimum(ahi, bhi) - np.maximum(alo, blo)
        assert float(np.prod(ext)) == pytest.approx(p["overlap_volume"], abs=1e-9)
        assert float(ext.min()) == pytest.approx(p["penetration_depth"], abs=1e-9)


def test_rev_b_changes():
    a, b, t = model("tower_rev_a"), model("tower_rev_b"), truth("tower_rev_b")
    ch = t["changes"]
    ga = {e.GlobalId for e in a.by_type("IfcElement")}
    gb = {e.GlobalId for e in b.by_type("IfcElement")}
    assert {x["global_id"] for x in ch["added"]} == gb - ga
    assert {x["global_id"] for x in ch["removed"]} == ga - gb
    changed = {x["global_id"] for x in ch["geometry_changed"] + ch["data_changed"]}
    assert ch["unchanged_count"] == len(ga & gb) - len(changed)
    for x in ch["geometry_changed"]:
        ea, eb = a.by_guid(x["global_id"]), b.by_guid(x["global_id"])
        boxes = [world_box(e, 1.0) for e in (ea, eb)]
        openings = [
            sorted(
                tuple(np.round(np.concatenate(world_box(r.RelatedOpeningElement, 1.0)), 9))
                for r in e.HasOpenings
            )
            for e in (ea, eb)
        ]
        assert not np.allclose(np.concatenate(boxes[0]), np.concatenate(boxes[1])) or (
            openings[0] != openings[1]
        ), x["name"]
    for x in ch["data_changed"]:
        ea, eb = a.by_guid(x["global_id"]), b.by_guid(x["global_id"])
        assert psets(ea) != psets(eb)
    for guid in (ga & gb) - changed:
        ea, eb = a.by_guid(guid), b.by_guid(guid)
        assert psets(ea) == psets(eb), ea.Name
        if ea.Representation:
            np.testing.assert_array_equal(
                np.concatenate(world_box(ea, 1.0)),
                np.concatenate(world_box(eb, 1.0)),
                err_msg=ea.Name,
            )
    names = {x["name"] for x in ch["geometry_changed"]}
    assert {"W-1-east", "O-1-sleeve"} <= names  # host of the resized opening, and the opening
