"""report.glb (bimcheck/report/glb.py): loads back with trimesh, a node per
finding element and per marker, colours by worst severity, translucent
context within its caps, Y up, recentring, same bytes every time; and
``bimcheck check --glb`` writes it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import trimesh
from click.testing import CliRunner

from bimcheck.cli.main import cli
from bimcheck.findings import ElementRef, Finding
from bimcheck.geometry.mesh import box
from bimcheck.report import glb
from bimcheck.report.glb import findings_glb
from tests.conftest import REPO, SAMPLES

#: The documented palette: the colour family of each severity (RGB 0-255 predicates).
LOOKS = {
    "critical": lambda r, g, b: r > 180 and g < 90 and b < 90,  # red
    "high": lambda r, g, b: r > 200 and 90 <= g <= 170 and b < 60,  # orange
    "medium": lambda r, g, b: r > 200 and g > 170 and b < 110,  # yellow
    "low": lambda r, g, b: b > 150 and r < 100,  # blue
    "info": lambda r, g, b: r == g == b and 80 <= r <= 160,  # grey
}
A, B, C, D, E, G, H, K = (f"{c}" * 22 for c in "ABCDEGHK")  # 22-character ids


def ref(gid: str, model: str = "m.ifc") -> ElementRef:
    return ElementRef(gid, "IfcWall", gid[:3], "Level 0", "architecture", model)


def finding(key: str, severity: str, gids: list[str], location=None, status="open",
            model: str = "m.ifc") -> Finding:
    return Finding(key=key, rule=f"R-{severity}", kind="k", family="clash", severity=severity,
                   message=f"finding {key}", elements=tuple(ref(g, model) for g in gids),
                   location=location, status=status)


@dataclass
class FakeContext:
    """What findings_glb reads of a RunContext: models and their meshes."""

    meshes: dict[str, dict]
    models: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.models = [SimpleNamespace(path=Path(name)) for name in self.meshes]

    def geometry(self, index: int) -> SimpleNamespace:
        return SimpleNamespace(meshes=self.meshes[self.models[index].path.name])


K1, K2, K3, K4 = ("1" * 32, "2" * 32, "3" * 32, "4" * 32)


@pytest.fixture
def scene_input():
    """A critical finding on A, B; a low one on B, C; a waived high one on D;
    an info one on E without location; G (big) and H (small) are context."""
    meshes = {"m.ifc": {
        A: box((0, 0, 10), (1, 1, 11)), B: box((2, 2, 0), (3, 3, 1)),
        C: box((4, 0, 0), (5, 1, 1)), D: box((6, 0, 0), (7, 1, 1)),
        E: box((8, 2, 4), (10, 4, 6)), G: box((0, 0, -1), (20, 10, 0)),
        H: box((0, 5, 0), (0.5, 5.5, 0.5)),
    }}
    findings = [
        finding(K1, "critical", [A, B], location=(1.0, 2.0, 3.0)),
        finding(K2, "low", [B, C], location=(4.0, 0.5, 0.5)),
        finding(K3, "high", [D], location=(6.5, 0.5, 0.5), status="waived"),
        finding(K4, "info", [E]),
    ]
    return SimpleNamespace(findings=findings), FakeContext(meshes)


def load(data: bytes) -> trimesh.Scene:
    return trimesh.load(io.BytesIO(data), file_type="glb")


def rgba(scene: trimesh.Scene, node: str) -> tuple[int, ...]:
    _, geom = scene.graph[node]
    return tuple(int(v) for v in scene.geometry[geom].visual.material.baseColorFactor)


def bounds(scene: trimesh.Scene, node: str) -> np.ndarray:
    _, geom = scene.graph[node]
    return scene.geometry[geom].bounds


def test_loads_back_with_a_node_per_finding_element_marker_and_context(scene_input):
    report, ctx = scene_input
    scene = load(findings_glb(report, ctx))
    nodes = set(scene.graph.nodes_geometry)
    assert nodes == {A, B, C, E, D, G, H, K1, K2, K4}  # K3 is waived: no marker
    assert scene.metadata["findings"] == 3 and scene.metadata["markers"] == 3
    assert scene.metadata["finding_elements"] == 4 and scene.metadata["context_elements"] == 3


def test_colours_by_worst_severity(scene_input):
    report, ctx = scene_input
    scene = load(findings_glb(report, ctx))
    expected = {A: "critical", B: "critical", C: "low", E: "info",
                K1: "critical", K2: "low", K4: "info"}  # B: critical beats low
    for node, severity in expected.items():
        colour = rgba(scene, node)
        assert LOOKS[severity](*colour[:3]), (node, severity, colour)
        assert colour[3] == 255  # opaque
        assert colour == glb.SEVERITY_RGBA[severity]
    for node in (D, G, H):  # the waived finding's element is context
        r, g, b, a = rgba(scene, node)
        assert r == g == b >= 180 and a < 128  # light grey, translucent
        _, geom = scene.graph[node]
        assert scene.geometry[geom].visual.material.alphaMode == "BLEND"
    # the severities nobody has still have their documented colour family
    for severity, looks in LOOKS.items():
        assert looks(*glb.SEVERITY_RGBA[severity][:3]), severity


def test_world_z_up_becomes_gltf_y_up(scene_input):
    """World (x, y, z) → glTF (x, z, -y): A spans z 10-11 and y 0-1."""
    report, ctx = scene_input
    scene = load(findings_glb(report, ctx))
    assert np.allclose(bounds(scene, A), [[0, 10, -1], [1, 11, 0]])
    assert np.allclose(bounds(scene, B), [[2, 0, -3], [3, 1, -2]])


def test_markers_are_octahedra_at_the_locations(scene_input):
    report, ctx = scene_input
    scene = load(findings_glb(report, ctx))
    _, geom = scene.graph[K1]
    marker = scene.geometry[geom]
    assert len(marker.faces) == 8 and len(marker.vertices) == 6
    assert np.allclose(marker.extents, [0.3, 0.3, 0.3])
    assert np.allclose(marker.bounds.mean(axis=0), [1.0, 3.0, -2.0])  # (1, 2, 3) turned
    assert marker.is_watertight and marker.volume > 0  # outward faces
    # K4 has no location: marked at the centre of its element E (9, 3, 5)
    assert np.allclose(bounds(scene, K4).mean(axis=0), [9.0, 5.0, -3.0])


def test_same_bytes_twice(scene_input):
    report, ctx = scene_input
    assert findings_glb(report, ctx) == findings_glb(report, ctx)


def test_context_caps_keep_the_largest(scene_input, monkeypatch):
    report, ctx = scene_input
    monkeypatch.setattr(glb, "CONTEXT_MAX_ELEMENTS", 1)
    nodes = set(load(findings_glb(report, ctx)).graph.nodes_geometry)
    assert G in nodes and D not in nodes and H not in nodes  # G is the largest
    monkeypatch.setattr(glb, "CONTEXT_MAX_ELEMENTS", 100)
    monkeypatch.setattr(glb, "CONTEXT_MAX_TRIANGLES", 24)  # two boxes of 12 triangles
    nodes = set(load(findings_glb(report, ctx)).graph.nodes_geometry)
    assert G in nodes and D in nodes and H not in nodes  # D (1.73 m) is larger than H


def test_far_coordinates_are_recentred():
    """Site coordinates 500 km out: positions are moved by a whole-metre origin
    recorded in the scene extras, so float32 keeps millimetres."""
    far = (500_000.0, 6_000_000.0, 100.0)
    lo = tuple(v - 0.0005 for v in far)
    hi = tuple(v + 0.0015 for v in far)
    ctx = FakeContext({"m.ifc": {A: box(lo, hi)}})
    report = SimpleNamespace(findings=[finding(K1, "high", [A], location=far)])
    scene = load(findings_glb(report, ctx))
    origin = np.array(scene.metadata["origin"])
    assert np.allclose(origin, far) and np.all(origin == np.round(origin))
    b = bounds(scene, A)
    assert np.allclose(b, [[-0.0005, -0.0005, -0.0015], [0.0015, 0.0015, 0.0005]], atol=1e-6)


def test_same_global_id_in_two_models_gets_two_nodes():
    ctx = FakeContext({"a.ifc": {A: box((0, 0, 0), (1, 1, 1))},
                       "b.ifc": {A: box((5, 0, 0), (6, 1, 1))}})
    report = SimpleNamespace(findings=[finding(K1, "high", [A], model="b.ifc")])
    scene = load(findings_glb(report, ctx))
    assert {A, f"{A}@b.ifc", K1} == set(scene.graph.nodes_geometry)
    assert rgba(scene, f"{A}@b.ifc") == glb.SEVERITY_RGBA["high"]
    assert rgba(scene, A) == glb.CONTEXT_RGBA


def test_no_findings_no_meshes_is_an_empty_valid_scene():
    data = findings_glb(SimpleNamespace(findings=[]), FakeContext({"m.ifc": {}}))
    assert data[:4] == b"glTF"
    assert load(data).metadata["findings"] == 0


# --- the CLI ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("glb") / "out"
    r = CliRunner().invoke(cli, ["-q", "check", str(SAMPLES / "tower_rev_a.ifc"),
                                 "--lift-plan", str(SAMPLES / "tower.lift.yaml"),
                                 "--out", str(out), "--glb"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return out, json.loads((out / "report.json").read_text())


def test_check_glb_writes_report_glb(cli_run):
    out, doc = cli_run
    data = (out / "report.glb").read_bytes()
    assert data[:4] == b"glTF"
    scene = load(data)
    nodes = set(scene.graph.nodes_geometry)
    findings = [f for f in doc["findings"] if f["status"] != "waived"]
    # a marker for every finding with a location
    assert {f["key"] for f in findings if f["location"]} <= nodes
    # a node for every finding element that has a body
    no_body = {e["global_id"] for f in findings if f["kind"] == "no_geometry"
               for e in f["elements"]}
    elements = {e["global_id"] for f in findings for e in f["elements"]} - no_body
    assert elements and elements <= nodes
    # each coloured by the worst severity of its findings (report.json)
    rank = {s: i for i, s in enumerate(glb.SEVERITY_RGBA)}
    for gid in elements:
        worst = min((f["severity"] for f in findings
                     if gid in {e["global_id"] for e in f["elements"]}), key=rank.get)
        assert rgba(scene, gid) == glb.SEVERITY_RGBA[worst], gid
    meshed = doc["coverage"]["geometry"][0]["meshed"]
    assert scene.metadata["finding_elements"] + scene.metadata["context_elements"] == meshed


def test_check_glb_is_the_same_in_another_process(cli_run, tmp_path):
    """Another interpreter with another hash seed writes the same bytes."""
    out, _ = cli_run
    again = tmp_path / "again"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-m", "bimcheck.cli", "-q", "check",
                    str(SAMPLES / "tower_rev_a.ifc"), "--lift-plan",
                    str(SAMPLES / "tower.lift.yaml"), "--out", str(again), "--glb"],
                   check=True, cwd=REPO, env=env, capture_output=True)
    assert (again / "report.glb").read_bytes() == (out / "report.glb").read_bytes()


def test_without_glb_no_report_glb(tmp_path):
    r = CliRunner().invoke(cli, ["-q", "check", str(SAMPLES / "tower_rev_a.ifc"),
                                 "--out", str(tmp_path / "o")], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert not (tmp_path / "o" / "report.glb").exists()
