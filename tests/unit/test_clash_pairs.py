"""The pair tests of each clash kind on meshes with hand-computed answers."""

from __future__ import annotations

import numpy as np
import pytest

from bimcheck.clash import clearance, duplicate, hard
from bimcheck.clash.records import ElementRef, Subject
from bimcheck.geometry.mesh import Mesh, box, from_arrays
from bimcheck.geometry.query import is_solid

HARD = {"tolerance": 0.0, "allow_touching": True}
CLEAR = {"clearance": 0.05}
DUP = {"same_class": True, "min_overlap": 0.95}


def subject(mesh: Mesh, name: str = "x", cls: str = "IfcBeam", fp: str | None = None) -> Subject:
    ref = ElementRef(name, cls, name, None, "structure", "m.ifc")
    return Subject(ref, mesh, is_solid(mesh), fp)


def open_box(lo, hi) -> Mesh:
    """A box without its top face: not closed, so no volume can be measured."""
    b = box(lo, hi)
    return from_arrays(np.asarray(b.vertices), np.delete(np.asarray(b.faces), [2, 3], axis=0))


BEAM = box((0, 0, 0), (4, 0.25, 0.5))


def test_hard_overlap_volume_and_depth():
    duct = subject(box((1, -0.2, 0.4), (1.4, 0.5, 0.7)), "duct", "IfcDuctSegment")
    r = hard.check_pair(subject(BEAM), duct, HARD)
    # shared box: x 1..1.4, y 0..0.25, z 0.4..0.5 -> 0.4 x 0.25 x 0.1 = 0.01 m3, depth 0.1
    assert r.relation == "hard" and r.exact
    assert r.overlap_volume == pytest.approx(0.01, abs=1e-12)
    assert r.penetration_depth == pytest.approx(0.1, abs=1e-9)
    assert np.allclose(r.location, [1.2, 0.125, 0.45])


def test_hard_tolerance_is_the_allowed_depth():
    duct = subject(box((1, -0.2, 0.45), (1.4, 0.5, 0.7)), "duct", "IfcDuctSegment")  # 50 mm deep
    assert hard.check_pair(subject(BEAM), duct, {**HARD, "tolerance": 0.05}) is None
    r = hard.check_pair(subject(BEAM), duct, {**HARD, "tolerance": 0.049})
    assert r.penetration_depth == pytest.approx(0.05, abs=1e-9)


def test_rotated_penetration_depth_is_the_true_width():
    # A box rotated 45 degrees about z, pushed 0.1 m (perpendicular) into the beam's side.
    c, s = np.cos(np.pi / 4), np.sin(np.pi / 4)
    b = box((-0.5, -0.5, 0.1), (0.5, 0.5, 0.3))
    rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    corner_reach = 0.5 * np.sqrt(2)  # the rotated square's corner reaches this far in y
    v = b.vertices @ rot.T + [2.0, 0.25 + corner_reach - 0.1, 0.0]
    diamond = subject(from_arrays(v, np.asarray(b.faces)), "d", "IfcDuctSegment")
    r = hard.check_pair(subject(BEAM), diamond, HARD)
    # The overlap is a triangular prism of height 0.2: legs 0.1*sqrt(2), so volume
    # = 0.1^2 * 0.2 = 0.002 m3; its smallest width is 0.1 (the penetration).
    assert r.overlap_volume == pytest.approx(0.002, rel=1e-6)
    assert r.penetration_depth == pytest.approx(0.1, rel=1e-6)


def test_touching_reported_only_when_asked():
    on_top = subject(box((1, 0, 0.5), (2, 0.25, 1.0)), "col")
    assert hard.check_pair(subject(BEAM), on_top, HARD) is None
    r = hard.check_pair(subject(BEAM), on_top, {**HARD, "allow_touching": False})
    assert r.relation == "touching" and r.overlap_volume == 0.0 and r.distance == 0.0
    apart = subject(box((1, 0, 0.51), (2, 0.25, 1.0)), "col")
    assert hard.check_pair(subject(BEAM), apart, {**HARD, "allow_touching": False}) is None


def test_coplanar_collinear_overlap_is_hard():
    wall_a = subject(box((0, 0, 0), (9.05, 0.2, 2.75)), "wa", "IfcWall")
    wall_b = subject(box((9.0, 0, 0), (12, 0.2, 2.75)), "wb", "IfcWall")
    r = hard.check_pair(wall_a, wall_b, HARD)
    assert r.overlap_volume == pytest.approx(0.05 * 0.2 * 2.75, rel=1e-9)
    assert r.penetration_depth == pytest.approx(0.05, abs=1e-9)


def test_contained_element_is_hard():
    inner = subject(box((1, 0.05, 0.1), (1.1, 0.15, 0.2)), "bolt", "IfcMechanicalFastener")
    r = hard.check_pair(subject(BEAM), inner, HARD)
    assert r.overlap_volume == pytest.approx(0.001, rel=1e-9)


def test_same_class_full_overlap_is_labelled_duplicate():
    r = hard.check_pair(subject(BEAM, "a"), subject(box((0, 0, 0), (4, 0.25, 0.5)), "b"), HARD)
    assert r.relation == "duplicate"


def test_open_mesh_falls_back_to_triangles():
    tray = open_box((1, -0.2, 0.4), (1.4, 0.5, 0.7))
    assert not tray.closed
    s = subject(tray, "tray", "IfcCableCarrierSegment")
    assert s.exact is False
    r = hard.check_pair(subject(BEAM), s, HARD)
    assert r.relation == "hard" and r.exact is False
    assert r.overlap_volume is None and r.penetration_depth is None
    far = subject(open_box((1, 1, 0.4), (1.4, 1.5, 0.7)), "tray2", "IfcCableCarrierSegment")
    assert hard.check_pair(subject(BEAM), far, HARD) is None


def test_clearance_gap_points_and_threshold():
    duct = subject(box((1, 0, -0.33), (1.4, 0.25, -0.03)), "duct", "IfcDuctSegment")
    r = clearance.check_pair(subject(BEAM), duct, CLEAR)
    assert r.relation == "clearance"
    assert r.distance == pytest.approx(0.03, abs=1e-9)
    assert r.point_a[2] == pytest.approx(0.0) and r.point_b[2] == pytest.approx(-0.03)
    assert r.location[2] == pytest.approx(-0.015)
    assert clearance.check_pair(subject(BEAM), duct, {"clearance": 0.03}) is None


def test_clearance_never_drops_a_penetration():
    duct = subject(box((1, -0.2, 0.4), (1.4, 0.5, 0.7)), "duct", "IfcDuctSegment")
    r = clearance.check_pair(subject(BEAM), duct, CLEAR)
    assert r.relation == "hard" and r.distance == 0.0
    assert r.overlap_volume == pytest.approx(0.01, abs=1e-12)
    on_top = subject(box((1, 0, 0.5), (2, 0.25, 1.0)), "col")
    r = clearance.check_pair(subject(BEAM), on_top, CLEAR)
    assert r.relation == "touching" and r.distance == 0.0


def test_clearance_with_an_open_mesh():
    tray = subject(open_box((1, 0, -0.33), (1.4, 0.25, -0.02)), "tray", "IfcCableCarrierSegment")
    r = clearance.check_pair(subject(BEAM), tray, CLEAR)
    assert r.relation == "clearance" and r.exact is False
    assert r.distance == pytest.approx(0.02, abs=1e-9)


def test_duplicate_by_overlap_share():
    a = subject(box((0, 0, 0), (1, 1, 1)), "a", "IfcColumn")
    same = subject(box((0, 0, 0), (1, 1, 1)), "b", "IfcColumn")
    r = duplicate.check_pair(a, same, DUP)
    assert r.relation == "duplicate" and r.overlap_volume == pytest.approx(1.0)
    shifted_4 = subject(box((0.04, 0, 0), (1.04, 1, 1)), "c", "IfcColumn")  # shares 96 %
    assert duplicate.check_pair(a, shifted_4, DUP) is not None
    shifted_6 = subject(box((0.06, 0, 0), (1.06, 1, 1)), "d", "IfcColumn")  # shares 94 %
    assert duplicate.check_pair(a, shifted_6, DUP) is None
    inside = subject(box((0, 0, 0), (1, 1, 0.5)), "e", "IfcColumn")  # 100 % of it, 50 % of a
    assert duplicate.check_pair(a, inside, DUP) is None
    beam = subject(box((0, 0, 0), (1, 1, 1)), "f", "IfcBeam")
    assert duplicate.check_pair(a, beam, DUP) is None
    assert duplicate.check_pair(a, beam, {**DUP, "same_class": False}) is not None


def test_duplicate_open_meshes_by_fingerprint():
    a = subject(open_box((0, 0, 0), (1, 1, 1)), "a", "IfcColumn", fp="f1")
    b = subject(open_box((0, 0, 0), (1, 1, 1)), "b", "IfcColumn", fp="f1")
    r = duplicate.check_pair(a, b, DUP)
    assert r.relation == "duplicate" and r.exact is False and r.overlap_volume is None
    c = subject(open_box((0, 0, 0), (1, 1, 1)), "c", "IfcColumn", fp="f2")
    assert duplicate.check_pair(a, c, DUP) is None


def tee() -> Mesh:
    """Two overlapping 1 m cubes in one mesh (an exporter's tee): 1.75 m³ solid,
    although its triangles' signed volumes add up to 2 m³."""
    a = box((0, 0, 0), (1, 1, 1))
    b = box((0.75, 0, 0), (1.75, 1, 1))
    return from_arrays(np.concatenate([a.vertices, b.vertices]),
                       np.concatenate([a.faces, b.faces + len(a.vertices)]))


def test_duplicate_multi_shell_elements_use_the_solid_volume():
    a, b = subject(tee(), "a", "IfcPipeFitting"), subject(tee(), "b", "IfcPipeFitting")
    assert a.mesh.volume == pytest.approx(2.0) and a.exact
    r = duplicate.check_pair(a, b, DUP)
    assert r is not None and r.overlap_volume == pytest.approx(1.75)
    r = hard.check_pair(a, b, HARD)
    assert r.relation == "duplicate"


def test_open_mesh_resting_on_a_solid_is_not_a_clash():
    """An open mesh (a light fitting exported without its back) resting on a
    beam: the boxes meet in a plane, so nothing is shared and nothing is
    reported, while one pushed 0.1 m in is (triangle test, no volume)."""
    resting = subject(open_box((1, 0, 0.5), (1.4, 0.25, 0.8)), "lamp", "IfcLightFixture")
    assert hard.check_pair(subject(BEAM), resting, HARD) is None
    pushed = subject(open_box((1, 0, 0.4), (1.4, 0.25, 0.8)), "lamp", "IfcLightFixture")
    r = hard.check_pair(subject(BEAM), pushed, {**HARD, "tolerance": 0.01})
    assert r.relation == "hard" and r.exact is False


def test_box_overlap_thinner_than_the_tolerance_is_skipped():
    plate = subject(box((1, 0, 0.495), (1.4, 0.25, 0.6)), "plate", "IfcPlate")  # 5 mm into it
    assert hard.check_pair(subject(BEAM), plate, {**HARD, "tolerance": 0.005}) is None
    r = hard.check_pair(subject(BEAM), plate, {**HARD, "tolerance": 0.004})
    assert r.penetration_depth == pytest.approx(0.005, abs=1e-9)
