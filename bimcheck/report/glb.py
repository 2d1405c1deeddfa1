"""The 3D scene of a check report: one binary glTF (``report.glb``) that any
glTF viewer opens (Blender, three.js editor, Windows 3D Viewer, ...).

What the scene holds:

* the mesh of every element of every finding that is not waived, coloured by
  the worst severity among that element's findings (:data:`SEVERITY_RGBA`:
  critical red, high orange, medium yellow, low blue, info grey), opaque;
* every other meshed element of the run as context, light translucent grey
  (:data:`CONTEXT_RGBA`), largest first (bounding-box diagonal, then
  GlobalId) up to :data:`CONTEXT_MAX_ELEMENTS` elements and
  :data:`CONTEXT_MAX_TRIANGLES` triangles;
* a marker at each finding's location: a regular octahedron
  :data:`MARKER_SIZE_M` across, in the finding's severity colour. A finding
  without a location is marked at the centre of its elements' meshes, or not
  at all when none of them has a mesh.

Node names: an element's node is named by its GlobalId (a GlobalId met again
in a later model of a federation gets ``@<model file>`` appended); a marker's
node by the finding key. Each glTF mesh (named like its node) has ``extras``
saying what it is (``role``: ``finding``, ``context`` or ``marker``; the
GlobalId and model, the severity, the finding keys or the finding's rule and
message); the scene ``extras`` hold the palette, the origin and the counts.

Only meshes the run built are drawn: the report never tessellates (a finding
whose elements have no mesh gets its marker only).

Coordinates: world metres, Z up, turned to glTF's Y up (x, y, z) → (x, z, -y).
When the scene reaches farther than :data:`RECENTRE_BEYOND_M` from the world
origin, it is moved by a whole-metre ``origin`` (world, Z up, recorded in the
scene extras) so that float32 positions keep millimetres.

Deterministic: the same report and meshes give the same bytes (no time
stamps, no random names, every list in a fixed order).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import trimesh
from trimesh.exchange.gltf import export_glb

from bimcheck.packs.schema import SEVERITIES, severity_rank

__all__ = [
    "CONTEXT_MAX_ELEMENTS",
    "CONTEXT_MAX_TRIANGLES",
    "CONTEXT_RGBA",
    "MARKER_SIZE_M",
    "SEVERITY_RGBA",
    "findings_glb",
    "scene_of",
]

#: Colour (RGBA, 0-255) of a finding's elements and marker by its severity.
SEVERITY_RGBA: dict[str, tuple[int, int, int, int]] = {
    "critical": (211, 47, 47, 255),  # red
    "high": (245, 124, 0, 255),  # orange
    "medium": (251, 192, 45, 255),  # yellow
    "low": (25, 118, 210, 255),  # blue
    "info": (117, 117, 117, 255),  # grey
}
#: Colour (RGBA, 0-255) of the context elements: light grey, translucent.
CONTEXT_RGBA: tuple[int, int, int, int] = (200, 200, 200, 64)
#: At most this many context elements are drawn (the largest first).
CONTEXT_MAX_ELEMENTS = 20_000
#: At most this many context triangles are drawn.
CONTEXT_MAX_TRIANGLES = 2_000_000
#: A marker is a regular octahedron this many metres across (vertex to vertex).
MARKER_SIZE_M = 0.3
#: Beyond this distance (m) from the world origin the scene is recentred.
RECENTRE_BEYOND_M = 1000.0

#: World (Z up) to glTF (Y up): a rotation of -90° about X.
_Z_UP_TO_Y_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


def findings_glb(report: Any, ctx: Any) -> bytes:
    """The GLB bytes of the scene of ``report`` (a :class:`~bimcheck.run.CheckReport`)
    over the meshes of ``ctx`` (its :class:`~bimcheck.context.RunContext`)."""
    # export_glb directly: Scene.export refuses a scene without geometry, which
    # a run without meshes and findings without locations gives
    return bytes(export_glb(scene_of(report, ctx)))


def scene_of(report: Any, ctx: Any) -> trimesh.Scene:
    """The :class:`trimesh.Scene` that :func:`findings_glb` exports (see the module)."""
    models = [m.path.name for m in ctx.models]
    meshes = {name: ctx.geometry(i).meshes for i, name in enumerate(models)}
    node_names = _node_names(models, meshes)

    findings = sorted((f for f in report.findings if f.status != "waived"),
                      key=lambda f: (severity_rank(f.severity), f.rule, f.key))
    worst: dict[tuple[str, str], str] = {}
    keys: dict[tuple[str, str], list[str]] = {}
    for f in findings:
        for e in f.elements:
            ident = (e.model, e.global_id)
            if ident not in worst or severity_rank(f.severity) < severity_rank(worst[ident]):
                worst[ident] = f.severity
            keys.setdefault(ident, []).append(f.key)

    def mesh_of(ident: tuple[str, str]) -> Any:
        return meshes.get(ident[0], {}).get(ident[1])

    flagged = sorted((i for i in worst if mesh_of(i) is not None and len(mesh_of(i).faces)),
                     key=lambda i: (models.index(i[0]) if i[0] in models else len(models), i[1]))
    context = _context(models, meshes, set(worst))

    markers: list[tuple[Any, np.ndarray]] = []
    for f in findings:
        at = _marker_at(f, [m for e in f.elements if (m := mesh_of((e.model, e.global_id)))])
        if at is not None:
            markers.append((f, at))

    origin = _origin([mesh_of(i) for i in flagged] + [mesh_of(i) for i in context],
                     [p for _, p in markers])

    scene = trimesh.Scene(base_frame="bimcheck")
    for ident in flagged:
        sev = worst[ident]
        _add(scene, node_names[ident], _trimesh(mesh_of(ident), origin, SEVERITY_RGBA[sev]),
             {"role": "finding", "global_id": ident[1], "model": ident[0], "severity": sev,
              "findings": keys[ident]})
    for ident in context:
        _add(scene, node_names[ident], _trimesh(mesh_of(ident), origin, CONTEXT_RGBA),
             {"role": "context", "global_id": ident[1], "model": ident[0]})
    for f, at in markers:
        _add(scene, f.key, _marker(at - origin, SEVERITY_RGBA[f.severity]),
             {"role": "marker", "finding": f.key, "rule": f.rule, "severity": f.severity,
              "message": f.message})
    scene.metadata.update({
        "generator": "bimcheck",
        "up": "glTF +Y is world +Z; glTF +X is world +X; glTF -Z is world +Y",
        "origin": [float(v) for v in origin],
        "units": "m",
        "palette": {**{s: list(SEVERITY_RGBA[s]) for s in SEVERITIES},
                    "context": list(CONTEXT_RGBA)},
        "findings": len(findings), "markers": len(markers),
        "finding_elements": len(flagged), "context_elements": len(context),
    })
    return scene


# --- pieces ---------------------------------------------------------------------------------


def _node_names(models: list[str], meshes: dict[str, dict[str, Any]]) -> dict[tuple[str, str],
                                                                               str]:
    """``(model, GlobalId)`` → node name: the GlobalId, with ``@model`` when an
    earlier model already has that GlobalId."""
    names: dict[tuple[str, str], str] = {}
    used: set[str] = set()
    for model in models:
        for gid in sorted(meshes[model]):
            name = gid if gid not in used else f"{gid}@{model}"
            used.add(name)
            names[(model, gid)] = name
    return names


def _context(models: list[str], meshes: dict[str, dict[str, Any]],
             flagged: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """The context elements drawn: largest bounding-box diagonal first (ties:
    model order, GlobalId), within the element and triangle caps."""
    candidates = []
    for index, model in enumerate(models):
        for gid, mesh in meshes[model].items():
            if (model, gid) in flagged or not len(mesh.faces):
                continue
            lo, hi = mesh.bounds
            candidates.append((-float(np.linalg.norm(hi - lo)), index, gid, len(mesh.faces)))
    candidates.sort()
    chosen: list[tuple[str, str]] = []
    triangles = 0
    for _, index, gid, n in candidates:
        if len(chosen) >= CONTEXT_MAX_ELEMENTS:
            break
        if triangles + n > CONTEXT_MAX_TRIANGLES:
            continue
        triangles += n
        chosen.append((models[index], gid))
    return chosen


def _marker_at(finding: Any, meshes: list[Any]) -> np.ndarray | None:
    """Where a finding's marker goes (world, m): its location, else the centre
    of its elements' meshes, else nowhere."""
    if finding.location is not None and all(math.isfinite(v) for v in finding.location):
        return np.array(finding.location, dtype=float)
    meshes = [m for m in meshes if len(m.vertices)]
    if not meshes:
        return None
    lo = np.min([m.bounds[0] for m in meshes], axis=0)
    hi = np.max([m.bounds[1] for m in meshes], axis=0)
    return (lo + hi) / 2.0


def _origin(meshes: Iterable[Any], points: Iterable[np.ndarray]) -> np.ndarray:
    """The whole-metre world point the scene is moved by (zeros near the origin)."""
    lows, highs = [], []
    for m in meshes:
        if len(m.vertices):
            lows.append(m.bounds[0])
            highs.append(m.bounds[1])
    for p in points:
        lows.append(p)
        highs.append(p)
    if not lows:
        return np.zeros(3)
    lo, hi = np.min(lows, axis=0), np.max(highs, axis=0)
    if max(float(np.abs(lo).max()), float(np.abs(hi).max())) <= RECENTRE_BEYOND_M:
        return np.zeros(3)
    return np.round((lo + hi) / 2.0)


def _material(rgba: tuple[int, int, int, int]) -> trimesh.visual.material.PBRMaterial:
    translucent = rgba[3] < 255
    return trimesh.visual.material.PBRMaterial(
        name=f"rgba_{rgba[0]}_{rgba[1]}_{rgba[2]}_{rgba[3]}",
        baseColorFactor=list(rgba), metallicFactor=0.0, roughnessFactor=0.9,
        alphaMode="BLEND" if translucent else "OPAQUE", doubleSided=translucent)


def _trimesh(mesh: Any, origin: np.ndarray, rgba: tuple[int, int, int, int]) -> trimesh.Trimesh:
    vertices = (np.asarray(mesh.vertices, dtype=float) - origin) @ _Z_UP_TO_Y_UP.T
    return trimesh.Trimesh(vertices=vertices, faces=np.asarray(mesh.faces, dtype=np.int64),
                           visual=trimesh.visual.TextureVisuals(material=_material(rgba)),
                           process=False, validate=False)


def _marker(at: np.ndarray, rgba: tuple[int, int, int, int]) -> trimesh.Trimesh:
    r = MARKER_SIZE_M / 2.0
    corners = np.array([[r, 0, 0], [-r, 0, 0], [0, r, 0], [0, -r, 0], [0, 0, r], [0, 0, -r]])
    faces = np.array([[0, 2, 4], [2, 1, 4], [1, 3, 4], [3, 0, 4],
                      [2, 0, 5], [1, 2, 5], [3, 1, 5], [0, 3, 5]])
    vertices = (corners + at) @ _Z_UP_TO_Y_UP.T
    return trimesh.Trimesh(vertices=vertices, faces=faces,
                           visual=trimesh.visual.TextureVisuals(material=_material(rgba)),
                           process=False, validate=False)


def _add(scene: trimesh.Scene, name: str, mesh: trimesh.Trimesh, extras: dict[str, Any]) -> None:
    mesh.metadata.update(extras)
    scene.add_geometry(mesh, geom_name=name, node_name=name)
