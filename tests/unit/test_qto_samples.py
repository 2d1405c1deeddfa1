"""The quantity-takeoff samples: reproducible, and what their truth claims holds.

``samples/qto_m.ifc`` and ``samples/qto_mm.ifc`` (the same model in metres and in
millimetres) share ``samples/qto.truth.yaml``, whose values were computed by
hand from the dimensions in ``samples/build_qto_samples.py``. Here the models are
tessellated and facts the truth claims are checked on the meshes: net and gross
volumes, bounds, areas; no quantity-takeoff code is involved.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import ifcopenshell.util.element
import numpy as np
import pytest
import yaml

from bimcheck.geometry.tessellate import Geometry, TessellationSettings, tessellate
from bimcheck.model import Model, open_model
from tests.conftest import SAMPLES, load_sample_script

MODELS = {"qto_m.ifc": 1.0, "qto_mm.ifc": 0.001}  # file -> metres per file length unit


def load_builder():
    """``samples/build_qto_samples.py`` as a module."""
    return load_sample_script("build_qto_samples.py")


@cache
def truth() -> dict:
    return yaml.safe_load((SAMPLES / "qto.truth.yaml").read_text(encoding="utf-8"))


@cache
def model(name: str) -> Model:
    return open_model(SAMPLES / name)


@cache
def meshes(name: str, gross: bool = False) -> Geometry:
    """Meshes of every element (net, or gross: openings not subtracted), no cache."""
    settings = TessellationSettings(subtract_openings=not gross)
    return tessellate(model(name), settings=settings, cache=None)


def element_mesh(name: str, element: str, *, gross: bool = False):
    geometry = meshes(name, gross)
    assert not geometry.failures
    mesh = geometry.meshes[truth()["elements"][element]["global_id"]]
    assert mesh.closed, element
    return mesh


def q(element: str) -> dict[str, float]:
    return truth()["elements"][element]["quantities"]


# -- reproducible ------------------------------------------------------------------------------


def test_builder_reproduces_the_committed_samples(tmp_path: Path):
    written = load_builder().build_all(tmp_path)
    assert sorted(p.name for p in written) == sorted([*MODELS, "qto.truth.yaml"])
    for path in written:
        committed = SAMPLES / path.name
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed.name} is stale: run `python samples/build_qto_samples.py`"
        )


def test_truth_header():
    t = truth()
    assert t["units"] == {"length": "m", "area": "m2", "volume": "m3", "mass": "kg"}
    assert t["models"] == list(MODELS)
    assert t["schema"] == "IFC4"


# -- the models hold what the truth names --------------------------------------------------------


@pytest.mark.parametrize("name", MODELS)
def test_elements_exist_with_their_class(name: str):
    m, t = model(name), truth()
    assert m.schema == "IFC4"
    assert m.length_scale == MODELS[name]
    elements = t["elements"]
    assert len(m.file.by_type("IfcElement")) == len(elements) == sum(t["counts"].values())
    for ename, e in elements.items():
        element = m.element(e["global_id"])
        assert element.is_a() == e["ifc_class"], ename
        assert element.Name == ename
        if "voids" in e:
            assert element.VoidsElements[0].RelatingBuildingElement.Name == e["voids"]
        if "fills" in e:
            assert element.FillsVoids[0].RelatingOpeningElement.Name == e["fills"]
        if "material" in e:
            material = ifcopenshell.util.element.get_material(element)
            assert material.Name == e["material"]
            pset = ifcopenshell.util.element.get_pset(material, "Pset_MaterialCommon")
            assert pset["MassDensity"] == e["mass_density"]
    (storey,) = m.storeys
    assert (storey.name, storey.elevation) == (t["storey"]["name"], t["storey"]["elevation"])


@pytest.mark.parametrize("name", MODELS)
def test_window_and_door_area_from_overall_dimensions(name: str):
    m = model(name)
    for ename in ("WIN1", "D1"):
        element = m.element(truth()["elements"][ename]["global_id"])
        width = element.OverallWidth * m.length_scale
        height = element.OverallHeight * m.length_scale
        assert width == pytest.approx(q(ename)["Width"], abs=1e-9)
        assert height == pytest.approx(q(ename)["Height"], abs=1e-9)
        assert width * height == pytest.approx(q(ename)["Area"], abs=1e-9)
    assert q("WIN1")["Area"] == pytest.approx(1.8, abs=1e-9)


# -- the meshes agree with the truth ---------------------------------------------------------


@pytest.mark.parametrize("name", MODELS)
def test_net_volumes_from_meshes(name: str):
    expected = {"W1": 2.59, "W2": 2.022, "S1": 5.7, "B1": 1.08}
    for ename, volume in expected.items():
        assert q(ename)["NetVolume"] == pytest.approx(volume, abs=1e-9)
        assert element_mesh(name, ename).volume == pytest.approx(volume, abs=1e-6), ename


@pytest.mark.parametrize("name", MODELS)
def test_gross_volumes_from_meshes_without_openings(name: str):
    assert q("W1")["GrossVolume"] == pytest.approx(3.0, abs=1e-9)
    for ename in ("W1", "W2", "S1"):
        mesh = element_mesh(name, ename, gross=True)
        assert mesh.volume == pytest.approx(q(ename)["GrossVolume"], abs=1e-6), ename


@pytest.mark.parametrize("name", MODELS)
def test_round_column_within_tessellation_tolerance(name: str):
    c1 = truth()["elements"]["C1"]
    exact = c1["quantities"]["GrossVolume"]
    assert exact == pytest.approx(0.687223, abs=1e-6)
    tolerance = c1["tessellation_tolerance"]
    assert 0 < tolerance < 0.05
    mesh = element_mesh(name, "C1")
    # An inscribed polygon: never more than the cylinder, at most `tolerance` less.
    assert exact * (1 - tolerance) <= mesh.volume <= exact + 1e-9
    assert mesh.area <= c1["quantities"]["GrossSurfaceArea"] + 1e-9
    height = mesh.bounds[1, 2] - mesh.bounds[0, 2]
    assert height == pytest.approx(c1["quantities"]["Length"], abs=1e-6)


@pytest.mark.parametrize("name", MODELS)
def test_beam_bounds_area_and_weight(name: str):
    mesh = element_mesh(name, "B1")
    np.testing.assert_allclose(mesh.bounds, [[20, 0, 2.4], [26, 0.3, 3.0]], atol=1e-6)
    b1 = truth()["elements"]["B1"]
    quantities = b1["quantities"]
    assert mesh.bounds[1, 0] - mesh.bounds[0, 0] == pytest.approx(quantities["Length"], abs=1e-6)
    assert mesh.area == pytest.approx(quantities["GrossSurfaceArea"], abs=1e-6)  # ends included
    weight = mesh.volume * b1["mass_density"]
    assert weight == pytest.approx(quantities["NetWeight"], abs=1e-3)
    assert quantities["NetWeight"] == pytest.approx(8478.0, abs=1e-6)


@pytest.mark.parametrize("name", MODELS)
def test_wall_and_slab_dimensions_from_gross_meshes(name: str):
    for ename in ("W1", "W2"):
        size = np.ptp(element_mesh(name, ename, gross=True).bounds, axis=0)
        quantities = q(ename)
        assert size[0] == pytest.approx(quantities["Length"], abs=1e-6)
        assert size[1] == pytest.approx(quantities["Width"], abs=1e-6)
        assert size[2] == pytest.approx(quantities["Height"], abs=1e-6)
        assert size[0] * size[2] == pytest.approx(quantities["GrossSideArea"], abs=1e-6)
    size = np.ptp(element_mesh(name, "S1", gross=True).bounds, axis=0)
    s1 = q("S1")
    assert size[2] == pytest.approx(s1["Width"], abs=1e-6)  # the slab's thickness
    assert 2 * (size[0] + size[1]) == pytest.approx(s1["Perimeter"], abs=1e-6)
    assert size[0] * size[1] == pytest.approx(s1["GrossArea"], abs=1e-6)


@pytest.mark.parametrize("name", MODELS)
def test_openings_remove_area_times_host_thickness(name: str):
    """Net − gross of each host is Σ opening Area × Depth (Depth = host thickness)."""
    elements = truth()["elements"]
    for host in ("W1", "W2", "S1"):
        gross = element_mesh(name, host, gross=True).volume
        net = element_mesh(name, host).volume
        removed = sum(
            e["quantities"]["Area"] * e["quantities"]["Depth"]
            for e in elements.values()
            if e.get("voids") == host
        )
        assert gross - net == pytest.approx(removed, abs=1e-6), host
    # The opening solids themselves are deeper than their hosts: Depth is not theirs.
    o1 = element_mesh(name, "O1", gross=True)
    assert np.ptp(o1.bounds[:, 1]) == pytest.approx(0.4, abs=1e-6)
    assert q("O1")["Depth"] == pytest.approx(0.2, abs=1e-9)


def test_gb50854_keeps_small_holes():
    elements = truth()["elements"]
    w1, s1 = elements["W1"], elements["S1"]
    assert w1["gb50854"]["volume"] == pytest.approx(w1["quantities"]["NetVolume"] + 0.25 * 0.2)
    assert w1["gb50854"]["plaster_area_per_side"] == pytest.approx(
        w1["quantities"]["NetSideArea"] + 0.25
    )
    assert s1["gb50854"]["volume"] == pytest.approx(s1["quantities"]["NetVolume"] + 0.2 * 0.25)
