"""Elements with the same local shape are tessellated once and placed by their
own placements; several models are tessellated in one pass.

Expected bounds and volumes are worked out by hand from the boxes the test
builds, never taken from bimcheck's output.
"""

from __future__ import annotations

from pathlib import Path

import ifcopenshell.util.placement
import numpy as np
import pytest

from bimcheck.fingerprint import Fingerprinter
from bimcheck.geometry.cache import MeshCache
from bimcheck.geometry.instances import Placements, shape_key
from bimcheck.geometry.tessellate import tessellate, tessellate_models
from bimcheck.model import open_model
from bimcheck.testing.ifcfactory import Box, ModelFactory

#: Column centres (x, y), metres; each column is 0.4 (x) × 0.6 (y) × 3 (z) m.
CENTRES = [(0.0, 0.0), (5.0, 0.0), (10.0, 2.5), (0.0, 7.0), (3.0, 11.0)]
#: This column's placement is turned 90° about z: its footprint becomes 0.6 × 0.4.
TURNED = 3


def _columns(path: Path, order: list[int], unit: str = "m") -> Path:
    """Five equal columns (created in ``order``), one turned, and two walls with
    a 1 × 1 m opening: W1 and W2 have it 4 m from their start, W3 at 1 m."""
    f = ModelFactory(length_unit=unit)
    storey = f.add_storey("L0", 0.0)
    for i in order:
        x, y = CENTRES[i]
        column = f.add_element(
            "IfcColumn", f"C{i}", shape=Box((x - 0.2, y - 0.3, 0), (x + 0.2, y + 0.3, 3)),
            storey=storey,
        )
        if i == TURNED:
            position = column.ObjectPlacement.RelativePlacement
            position.Axis = f.file.createIfcDirection((0.0, 0.0, 1.0))
            position.RefDirection = f.file.createIfcDirection((0.0, 1.0, 0.0))
    for name, y, at in (("W1", 20.0, 4.0), ("W2", 30.0, 4.0), ("W3", 40.0, 1.0)):
        wall = f.add_element("IfcWall", name, shape=Box((0, y, 0), (10, y + 0.2, 3)),
                             storey=storey)
        f.add_opening(f"O-{name}", host=wall, shape=Box((at, y - 0.1, 1), (at + 1, y + 0.3, 2)),
                      axis="y")
    return f.write(path)


def _by_name(model, geometry) -> dict[str, object]:
    return {model.element(gid).Name: mesh for gid, mesh in geometry.meshes.items()}


@pytest.mark.parametrize("unit", ["m", "mm"])
def test_equal_shapes_are_tessellated_once_and_placed_by_hand_arithmetic(tmp_path, unit):
    model = open_model(_columns(tmp_path / "c.ifc", list(range(5)), unit))
    geometry = tessellate(model)
    # 5 columns: 1 tessellated + 4 placed; W1/W2: 1 + 1; W3 (opening elsewhere):
    # alone; the 3 openings (equal boxes, each placed relative to its wall): 1 + 2.
    assert geometry.stats.tessellated == 11
    assert geometry.stats.reused == 4 + 1 + 2
    meshes = _by_name(model, geometry)
    for i, (x, y) in enumerate(CENTRES):
        hx, hy = (0.3, 0.2) if i == TURNED else (0.2, 0.3)
        mesh = meshes[f"C{i}"]
        np.testing.assert_allclose(mesh.bounds, [[x - hx, y - hy, 0], [x + hx, y + hy, 3]],
                                   atol=1e-9)
        assert mesh.closed and mesh.volume == pytest.approx(0.4 * 0.6 * 3, abs=1e-9)
    for name, y, at in (("W1", 20.0, 4.0), ("W2", 30.0, 4.0), ("W3", 40.0, 1.0)):
        mesh = meshes[name]
        assert mesh.closed and mesh.volume == pytest.approx(6.0 - 0.2, abs=1e-9)
        np.testing.assert_allclose(mesh.bounds, [[0, y, 0], [10, y + 0.2, 3]], atol=1e-9)
        # The opening's jambs are where that wall's opening is, not the first wall's.
        xs = {round(float(v), 6) for v in mesh.vertices[:, 0]}
        assert xs == {0.0, at, at + 1, 10.0}


def test_meshes_do_not_depend_on_which_copy_was_tessellated(tmp_path):
    forward = open_model(_columns(tmp_path / "f.ifc", [0, 1, 2, 3, 4]))
    backward = open_model(_columns(tmp_path / "b.ifc", [4, 3, 2, 1, 0]))
    a, b = _by_name(forward, tessellate(forward)), _by_name(backward, tessellate(backward))
    assert a.keys() == b.keys()
    for name in a:
        assert np.array_equal(a[name].vertices, b[name].vertices), name
        assert np.array_equal(a[name].faces, b[name].faces), name


def test_placed_copies_are_cached_and_read_back(tmp_path):
    path = _columns(tmp_path / "c.ifc", list(range(5)))
    cold = tessellate(open_model(path), cache=MeshCache(tmp_path / "cache"))
    warm = tessellate(open_model(path), cache=MeshCache(tmp_path / "cache"))
    assert warm.stats.from_cache == 11 and warm.stats.tessellated == 0
    for gid, mesh in cold.meshes.items():
        assert np.array_equal(warm.meshes[gid].vertices, mesh.vertices)


def test_shape_key_ignores_placement_but_not_shape_class_or_openings(tmp_path):
    model = open_model(_columns(tmp_path / "c.ifc", list(range(5))))
    fp, placements = Fingerprinter(model.file), Placements(model.length_scale)
    key = {e.Name: shape_key(e, fp, placements) for e in model.select("IfcColumn, IfcWall")}
    assert len({key[f"C{i}"] for i in range(5)}) == 1
    assert key["W1"] == key["W2"] != key["W3"]
    assert key["C0"] != key["W1"]


def test_placement_matrices_are_in_metres(tmp_path):
    model = open_model(_columns(tmp_path / "c.ifc", list(range(5)), unit="mm"))
    placements = Placements(model.length_scale)
    for column in model.select("IfcColumn"):
        ours = placements.matrix(column.ObjectPlacement)
        theirs = ifcopenshell.util.placement.get_local_placement(column.ObjectPlacement)
        np.testing.assert_allclose(ours[:3, :3], theirs[:3, :3], atol=1e-12)
        np.testing.assert_allclose(ours[:3, 3], theirs[:3, 3] / 1000.0, atol=1e-12)


def test_a_skewed_placement_is_tessellated_on_its_own(tmp_path):
    path = _columns(tmp_path / "c.ifc", list(range(5)))
    model = open_model(path)
    column = next(c for c in model.select("IfcColumn") if c.Name == "C1")
    placement = Placements(model.length_scale)
    position = column.ObjectPlacement.RelativePlacement
    # Axis and RefDirection not perpendicular: no rigid matrix to share a mesh by.
    position.Axis = model.file.createIfcDirection((0.0, 0.6, 0.8))
    position.RefDirection = model.file.createIfcDirection((0.0, 1.0, 0.0))
    assert shape_key(column, Fingerprinter(model.file), placement) is None


def test_several_models_in_one_pass_equal_one_at_a_time(tmp_path):
    first = open_model(_columns(tmp_path / "a.ifc", list(range(5))))
    second = open_model(_columns(tmp_path / "b.ifc", [2, 0, 4, 1, 3], unit="mm"))
    calls: list[tuple[int, int]] = []
    together = tessellate_models([(first, None), (second, None)],
                                 progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (22, 22) and all(t == 22 for _, t in calls)  # 2 × 11 elements
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    for model, geometry in zip((first, second), together, strict=True):
        alone = tessellate(model)
        assert geometry.meshes.keys() == alone.meshes.keys()
        for gid, mesh in alone.meshes.items():
            np.testing.assert_allclose(geometry.meshes[gid].vertices, mesh.vertices, atol=1e-12)


def _stalling_on(name: str, action):
    """An ``_iterate`` that does ``action()`` in the worker when its batch holds
    the element called ``name``, and meshes normally otherwise."""
    from bimcheck.geometry import tessellate as tess

    real = tess._iterate

    def iterate(ifc, ids, *args, **kwargs):
        if any(ifc.by_id(i).Name == name for i in ids):
            action()
        return real(ifc, ids, *args, **kwargs)
    return iterate


@pytest.mark.parametrize("how", ["crash", "stall"])
def test_a_kernel_that_crashes_or_stalls_on_one_element_fails_only_that_one(
        tmp_path, monkeypatch, how):
    import os
    import time

    from bimcheck.geometry import tessellate as tess

    model = open_model(_columns(tmp_path / "c.ifc", list(range(5))))
    whole = tessellate(model)
    action = (lambda: os._exit(3)) if how == "crash" else (lambda: time.sleep(60))
    monkeypatch.setattr(tess, "_iterate", _stalling_on("W3", action))
    started = time.monotonic()
    (geometry,) = tess.tessellate_models([(model, None)], element_timeout=1.0)
    assert time.monotonic() - started < 20
    w3 = next(e for e in model.select("IfcWall") if e.Name == "W3").GlobalId
    (failure,) = geometry.failures
    assert failure.global_id == w3 and failure.ifc_class == "IfcWall"
    why = "stopped unexpectedly (exit code 3)" if how == "crash" else "took more than 1 s"
    assert failure.reason == f"the geometry kernel {why} on it"
    # Every other element is meshed, as without the fault.
    assert geometry.meshes.keys() == whole.meshes.keys() - {w3}
    for gid, mesh in geometry.meshes.items():
        np.testing.assert_allclose(mesh.vertices, whole.meshes[gid].vertices, atol=1e-12)


def test_the_time_budget_stops_stuck_workers(tmp_path, monkeypatch):
    import time

    from bimcheck.errors import TessellationTimeout
    from bimcheck.geometry import tessellate as tess

    model = open_model(_columns(tmp_path / "c.ifc", list(range(5))))
    monkeypatch.setattr(tess, "_iterate", lambda *a: time.sleep(60) or iter(()))
    started = time.monotonic()
    with pytest.raises(TessellationTimeout, match=r"limit of 0\.5 s"):
        tessellate(model, timeout=0.5)
    assert time.monotonic() - started < 10
