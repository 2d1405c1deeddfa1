"""Extruded bodies meshed by :mod:`bimcheck.geometry.extrusions` against
IfcOpenShell's kernel, on every shared model.

For every element the extrusion path covers (its body is extrusions of
profiles :mod:`~bimcheck.geometry.profiles` draws, clipped by half-spaces or
not, its openings extrusions too), the
mesh is built as the workers build it (openings cut) and the kernel's mesh
of the same element is taken from the geometry iterator with its default
settings (openings cut). Both are compared in world coordinates, welded:
the same bounds to 1e-6 m, the same closedness, and for closed meshes the
same volume to 1e-6 relative. Arcs are cut as the kernel cuts them, so
curved profiles are held to the same tolerances. The Janesville restaurant
and the great court roof run under ``-m slow``.
"""

from __future__ import annotations

import ifcopenshell.geom
import numpy as np
import pytest

from bimcheck.geometry.bodies import (
    body_representations,
    geometry_representation_id,
    unused_geometry_ids,
)
from bimcheck.geometry.instances import Placements
from bimcheck.geometry.mesh import from_arrays
from bimcheck.geometry.tessellate import TessellationSettings, _angle_scale, _extruded_mesh
from bimcheck.model import open_model
from tests.conftest import shared_model

#: model: (elements whose body is all extrusions, of them covered at least)
MODELS = {
    "2022_11_21_update_B03_Heating_ownCells.ifc": (101, 101),
    "AC20-FZK-Haus.ifc": (35, 35),
    "ACCA_RFI_Signalling.ifc": (0, 0),
    "ISSUE_021_Mini_Project.ifc": (2209, 2078),
    "Ifc2s3_Duplex_Electrical.ifc": (74, 74),
    "Ifc2x3_Duplex_Architecture.ifc": (219, 219),
    "b03_heating_with_building_blenderBIM.ifc": (131, 131),
    "geometrygym_great_court_roof.ifc": (5178, 5178),
    "revit2012_janesville_restaurant.ifc": (1140, 1138),
}
#: ~1 min of kernel time each: Janesville (1,138 elements, composite curves of
#: arcs) and the great court roof (5,178 hollow sections, 30 s).
SLOW = {"revit2012_janesville_restaurant.ifc", "geometrygym_great_court_roof.ifc"}


def _extruded_only(rep) -> bool:
    """Every item (through mapped items) an IfcExtrudedAreaSolid, or one clipped
    by half-spaces: written from the IFC classes, independently of
    extrusions.covers."""
    stack, found = [rep], False
    while stack:
        for item in stack.pop().Items or ():
            while item.is_a("IfcBooleanClippingResult") and item.SecondOperand.is_a() in (
                    "IfcHalfSpaceSolid", "IfcPolygonalBoundedHalfSpace"):
                item = item.FirstOperand
            if item.is_a("IfcMappedItem"):
                stack.append(item.MappingSource.MappedRepresentation)
            elif item.is_a() == "IfcExtrudedAreaSolid":
                found = True
            else:
                return False
    return found


def _volume(v: np.ndarray, f: np.ndarray) -> float:
    t = v[f]
    return float(np.einsum("ij,ij->i", t[:, 0], np.cross(t[:, 1], t[:, 2])).sum() / 6)


def _world(v: np.ndarray, m: np.ndarray) -> np.ndarray:
    return v @ m[:3, :3].T + m[:3, 3]


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=[pytest.mark.slow] if n in SLOW else [], id=n) for n in sorted(MODELS)
])
def test_extruded_bodies_match_the_kernel(name):
    model = open_model(shared_model(name))
    scale, angle = model.length_scale, _angle_scale(model.file)
    placements = Placements(scale)
    settings = TessellationSettings()
    candidates, ours, memo = 0, {}, {}  # one memo for the file, as a worker keeps
    for e in model.elements_for_geometry():
        bodies = body_representations(e)
        if len(bodies) != 1 or not _extruded_only(bodies[0]):
            continue
        candidates += 1
        built = _extruded_mesh(e, settings, scale, angle, placements, memo)
        if built is not None:
            v, f, own = built
            ours[e.id()] = (e, v.reshape(-1, 3), f.reshape(-1, 3).astype(np.int64), own)
    expected_candidates, expected_covered = MODELS[name]
    assert candidates == expected_candidates
    assert len(ours) >= expected_covered
    if not ours:
        return
    it = ifcopenshell.geom.iterator(ifcopenshell.geom.settings(), model.file, 1,
                                    include=[ours[i][0] for i in ours])
    kernel: dict[int, list] = {}
    unused = {sid: unused_geometry_ids(e) for sid, (e, *_rest) in ours.items()}
    assert it.initialize()
    while True:
        shape = it.get()
        kv = np.frombuffer(shape.geometry.verts_buffer, dtype=np.float64).reshape(-1, 3)
        kf = np.frombuffer(shape.geometry.faces_buffer, dtype=np.int32).reshape(-1, 3)
        m = np.frombuffer(shape.transformation_buffer, dtype=np.float64).reshape(
            (4, 4), order="F")
        sid = int(shape.id)
        if geometry_representation_id(str(shape.geometry.id)) not in unused[sid]:
            kernel.setdefault(sid, []).append((_world(kv, m), kf.astype(np.int64)))
        if not it.next():
            break
    assert kernel.keys() == ours.keys()
    for sid, (e, v, f, own) in ours.items():
        where = f"#{sid} {e.is_a()} {e.GlobalId}"
        count = 0
        kv_all, kf_all = [], []
        for kv, kf in kernel[sid]:
            kv_all.append(kv)
            kf_all.append(kf + count)
            count += len(kv)
        kv, kf = np.concatenate(kv_all), np.concatenate(kf_all)
        wv = _world(v, own)
        assert np.allclose(wv.min(axis=0), kv.min(axis=0), atol=1e-6), where
        assert np.allclose(wv.max(axis=0), kv.max(axis=0), atol=1e-6), where
        a, b = from_arrays(wv, f), from_arrays(kv, kf)
        assert a.closed == b.closed, where
        if a.closed:  # about one corner: world coordinates would cancel digits away
            o = kv.min(axis=0)
            assert _volume(a.vertices - o, a.faces) == pytest.approx(
                _volume(b.vertices - o, b.faces), rel=1e-6, abs=1e-12), where
