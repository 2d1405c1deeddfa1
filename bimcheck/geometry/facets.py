"""Faceted bodies (polygon faces given point by point) meshed with numpy instead of the kernel.

Authoring tools export furniture, equipment and anything else they cannot
describe parametrically as faceted surfaces: ``IfcFacetedBrep``,
``IfcFaceBasedSurfaceModel`` or ``IfcShellBasedSurfaceModel`` whose faces are
``IfcPolyLoop`` polygons. OpenCascade builds a B-rep face per polygon and
meshes it again, about 15,000 triangles a second: the two braced floor
partitions of the Janesville restaurant (13,523 faces each) take 2.9 s apiece,
the 147 faceted proxies of that model 9 s of the 13 s it takes to mesh. The
polygons are already flat, so this module reads them and triangulates them
directly, about 50 times faster:

* a face with one bound and three corners is one triangle;
* a strictly convex face (every corner of its outline turns the way of its
  normal) is a fan from its lowest corner;
* any other face (concave, with collinear corners, or with inner bounds:
  holes) is triangulated by
  GEOS's constrained Delaunay triangulation (``shapely``) on that plane, its
  triangles wound like the outer bound.

Triangles with collinear corners (a fan across a straight run of an
outline) are dropped, as the kernel drops them. Triangles follow each
bound's ``Orientation`` (a reversed bound is walked
backwards), so closed shells keep the outward winding the file gives them.

:func:`local_mesh` covers exactly that subset and returns ``None`` for
anything else, which then goes to the kernel as before: every item of the
body (through ``IfcMappedItem``, recursively) must be one of the three
classes above with ``IfcPolyLoop`` bounds, or a curve set that the kernel
would not mesh either (``IfcGeometricSet`` and ``IfcGeometricCurveSet`` of
curves or points); an element with openings is left to the kernel, which cuts
them. Coordinates are in the element's own frame (its object placement), in
metres.
"""

from __future__ import annotations

import re
from typing import Any

import ifcopenshell
import numpy as np
import shapely

from bimcheck.steptext import StepText

#: Item classes this module meshes.
_FACETED = ("IfcFacetedBrep", "IfcFaceBasedSurfaceModel", "IfcShellBasedSurfaceModel")

#: Deepest nesting of mapped items followed.
_MAX_DEPTH = 32

#: A triangle whose doubled area is at most this times its longest edge
#: squared has collinear corners (to rounding) and is dropped.
_FLAT = 1e-12

#: Part of the mesh cache key: meshes made by this module change with it.
VERSION = "bimcheck-facets/1"


class _Unsupported(Exception):
    """The body is outside the subset: leave it to the kernel."""


def local_mesh(
    representation: ifcopenshell.entity_instance, length_scale: float,
    text: StepText | None = None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(vertices (n, 3) float64 m, faces (m, 3) int64)`` of a faceted body
    representation in its element's frame, or ``None`` when it is outside the
    subset (see the module docstring) or has no face.

    With the file's ``text`` (:class:`~bimcheck.steptext.StepText`) the faces
    are read from the STEP text, three times faster than through IfcOpenShell
    entities; a shell with any entity the text cannot vouch for is read
    through IfcOpenShell."""
    builder = _Builder(float(length_scale), text)
    try:
        builder.representation(representation, np.eye(4), 0)
    except (_Unsupported, AttributeError, TypeError, ValueError, IndexError,
            shapely.errors.GEOSException):
        return None
    return builder.result()


def covers(representation: ifcopenshell.entity_instance, depth: int = 0) -> bool:
    """Whether every item of ``representation`` (through mapped items) is of a
    class this module meshes, with at least one faceted item; a quick test on
    classes only (the faces are read by :func:`local_mesh`)."""
    if depth > _MAX_DEPTH:
        return False
    found = False
    for item in representation.Items or ():
        if item.is_a("IfcMappedItem"):
            source = item.MappingSource
            if source is None or not covers(source.MappedRepresentation, depth + 1):
                return False
            found = True
        elif item.is_a() in _FACETED or item.is_a("IfcFacetedBrepWithVoids"):
            found = True
        elif not item.is_a("IfcGeometricSet"):
            return False
    return found


class _Builder:
    """Collects the faces of a representation, with the matrix of each item."""

    def __init__(self, scale: float, text: StepText | None = None) -> None:
        self.scale = scale
        self.text = text
        self.vertices: list[np.ndarray] = []
        self.faces: list[np.ndarray] = []
        self.count = 0

    def representation(self, rep: ifcopenshell.entity_instance, matrix: np.ndarray,
                       depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise _Unsupported("mapped items nested too deep")
        for item in rep.Items or ():
            if item.is_a("IfcMappedItem"):
                self.representation(item.MappingSource.MappedRepresentation,
                                    matrix @ _mapping(item, self.scale), depth + 1)
            elif item.is_a("IfcFacetedBrep"):
                if item.is_a() != "IfcFacetedBrep" and not item.is_a("IfcFacetedBrepWithVoids"):
                    raise _Unsupported(item.is_a())
                shells = [item.Outer, *(getattr(item, "Voids", None) or ())]
                self.shells(shells, matrix)
            elif item.is_a("IfcFaceBasedSurfaceModel"):
                self.shells(item.FbsmFaces, matrix)
            elif item.is_a("IfcShellBasedSurfaceModel"):
                self.shells(item.SbsmBoundary, matrix)
            elif item.is_a("IfcGeometricSet"):
                continue
            else:
                raise _Unsupported(item.is_a())

    def shells(self, shells: tuple, matrix: np.ndarray) -> None:
        read = _read_text(shells, self.text) if self.text is not None else None
        if read is None:
            read = _read_entities(shells)
        loops, flips, points = read
        if not loops:
            return
        order = {pid: n for n, pid in enumerate(points)}
        coords = np.array(list(points.values()), dtype=np.float64)
        if coords.ndim != 2 or coords.shape[1] != 3:
            raise _Unsupported("points are not 3D")
        coords = coords * self.scale
        coords = coords @ matrix[:3, :3].T + matrix[:3, 3]
        if not np.isfinite(coords).all():
            raise _Unsupported("non-finite coordinates")
        triangles = _drop_flat(coords, _triangulate(coords, loops, flips, order))
        if np.linalg.det(matrix[:3, :3]) < 0:
            triangles = triangles[:, ::-1]
        self.vertices.append(coords)
        self.faces.append(triangles + self.count)
        self.count += len(coords)

    def result(self) -> tuple[np.ndarray, np.ndarray] | None:
        if not self.faces or not sum(len(f) for f in self.faces):
            return None
        return np.concatenate(self.vertices), np.concatenate(self.faces).astype(np.int64)


_Read = tuple[list[list[tuple[int, ...]]], list[list[bool]], dict[int, Any]]

_REFS = re.compile(rb"#(\d+)")
_BOUND = re.compile(rb"IFCFACE(OUTER)?BOUND\(#(\d+),\.([TF])\.\)")
_SHELLS = (b"IFCCLOSEDSHELL((", b"IFCOPENSHELL((", b"IFCCONNECTEDFACESET((")
_POINT = b"IFCCARTESIANPOINT(("


def _read_text(shells: tuple, text: StepText) -> _Read | None:
    """Faces (point ids of each bound, outer first), bound flips and point
    coordinates read from the STEP text; ``None`` when any entity is not
    plainly what a faceted shell holds (the entities are read instead)."""
    body = text.body
    loops: list[list[tuple[int, ...]]] = []
    flips: list[list[bool]] = []
    point_ids: dict[int, None] = {}
    for shell in shells:
        sb = body(shell.id())
        if sb is None or not sb.startswith(_SHELLS):
            return None
        for fid in _REFS.findall(sb):
            fb = body(int(fid))
            if fb is None or not fb.startswith(b"IFCFACE(("):
                return None
            rings: list[tuple[int, ...]] = []
            flip: list[bool] = []
            for bid in _REFS.findall(fb):
                bb = body(int(bid))
                m = _BOUND.fullmatch(bb) if bb is not None else None
                if m is None:
                    return None
                lb = body(int(m.group(2)))
                if lb is None or not lb.startswith(b"IFCPOLYLOOP(("):
                    return None
                ids = tuple(map(int, _REFS.findall(lb)))
                for pid in ids:
                    point_ids[pid] = None
                if m.group(1):
                    rings.insert(0, ids)
                    flip.insert(0, m.group(3) == b"F")
                else:
                    rings.append(ids)
                    flip.append(m.group(3) == b"F")
            if rings:
                loops.append(rings)
                flips.append(flip)
    texts = []
    for pid in point_ids:
        pb = body(pid)
        if pb is None or not pb.startswith(_POINT) or pb.count(b",") != 2:
            return None
        texts.append(pb[len(_POINT):-2])
    try:
        values = list(map(float, b",".join(texts).split(b","))) if texts else []
    except ValueError:
        return None
    it = iter(values)
    points = {pid: xyz for pid, xyz in zip(point_ids, zip(it, it, it, strict=True), strict=True)}
    return loops, flips, points


def _read_entities(shells: tuple) -> _Read:
    """The same as :func:`_read_text`, through IfcOpenShell's entities."""
    loops: list[list[tuple[int, ...]]] = []  # per face: its bounds, outer first
    flips: list[list[bool]] = []
    points: dict[int, tuple[float, ...]] = {}
    for shell in shells:
        for face in shell.CfsFaces:
            bounds = face.Bounds
            outer_first: list[tuple[int, ...]] = []
            flip: list[bool] = []
            for bound in bounds:
                loop = bound.Bound
                if not loop.is_a("IfcPolyLoop"):
                    raise _Unsupported(loop.is_a())
                ids = []
                for p in loop.Polygon:
                    pid = p.id()
                    if pid not in points:
                        points[pid] = p.Coordinates
                    ids.append(pid)
                entry = tuple(ids)
                if bound.is_a("IfcFaceOuterBound"):
                    outer_first.insert(0, entry)
                    flip.insert(0, not bound.Orientation)
                else:
                    outer_first.append(entry)
                    flip.append(not bound.Orientation)
            if outer_first:
                loops.append(outer_first)
                flips.append(flip)
    return loops, flips, points


def _mapping(item: ifcopenshell.entity_instance, scale: float) -> np.ndarray:
    """The 4×4 matrix (translation in metres) a mapped item applies: its target
    operator times its source's origin placement, as IfcOpenShell does."""
    import ifcopenshell.util.placement as placement

    target = item.MappingTarget
    if not target.is_a("IfcCartesianTransformationOperator3D"):
        raise _Unsupported(target.is_a())
    m = placement.get_cartesiantransformationoperator3d(target) @ placement.get_axis2placement(
        item.MappingSource.MappingOrigin
    )
    m = np.asarray(m, dtype=np.float64)
    m[:3, 3] *= scale
    return m


def _triangulate(coords: np.ndarray, loops: list[list[tuple[int, ...]]],
                 flips: list[list[bool]], order: dict[int, int]) -> np.ndarray:
    """Triangles (k, 3) of vertex rows for every face; see the module docstring."""
    out: list[np.ndarray] = []
    by_size: dict[int, list[list[int]]] = {}
    hard: list[list[list[int]]] = []
    for bounds, flip in zip(loops, flips, strict=True):
        rows = [[order[p] for p in b] for b in bounds]
        rows = [r[::-1] if f else r for r, f in zip(rows, flip, strict=True)]
        rows = [_open_ring(r) for r in rows]
        if len(rows) == 1:
            if len(rows[0]) >= 3:
                by_size.setdefault(len(rows[0]), []).append(rows[0])
        else:
            hard.append(rows)
    # Equal points (whichever entity holds them) share a rank; every polygon
    # starts at its lowest-ranked corner, so faces listed twice, from any
    # corner, give the same triangles (which welding then drops as repeats).
    rank = np.unique(coords, axis=0, return_inverse=True)[1].reshape(-1)
    for size, faces in sorted(by_size.items()):
        polys = np.array(faces, dtype=np.int64)
        first = np.argmin(rank[polys], axis=1)
        polys = np.take_along_axis(
            polys, (first[:, None] + np.arange(size)[None, :]) % size, axis=1
        )
        if size == 3:
            out.append(polys)
            continue
        convex = _convex(coords, polys)
        fan = polys[convex]
        if len(fan):
            k = np.arange(1, size - 1)
            tris = np.stack([np.repeat(fan[:, :1], size - 2, axis=1), fan[:, k], fan[:, k + 1]],
                            axis=2)
            out.append(tris.reshape(-1, 3))
        hard.extend([row] for row in polys[~convex].tolist())
    if hard:
        out.append(_cdt(coords, hard))
    if not out:
        return np.zeros((0, 3), dtype=np.int64)
    return np.concatenate(out)


def _drop_flat(coords: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """``triangles`` without those of no area (three collinear corners, as a fan
    across a straight run of a face's outline makes), as the kernel drops them."""
    if len(triangles) == 0:
        return triangles
    t = coords[triangles]
    doubled = np.linalg.norm(np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]), axis=1)
    longest = np.max(np.linalg.norm(t - np.roll(t, 1, axis=1), axis=2), axis=1)
    return triangles[doubled > _FLAT * longest * longest]


def _open_ring(ring: list[int]) -> list[int]:
    """The loop without a closing repeat of its first point, nor consecutive repeats."""
    kept = [p for n, p in enumerate(ring) if n == 0 or p != ring[n - 1]]
    if len(kept) > 1 and kept[0] == kept[-1]:
        kept.pop()
    return kept


def _newell(pts: np.ndarray) -> np.ndarray:
    """Newell normals of polygons ``pts`` (f, n, 3), not normalised."""
    nxt = np.roll(pts, -1, axis=1)
    return np.stack([
        ((pts[..., 1] - nxt[..., 1]) * (pts[..., 2] + nxt[..., 2])).sum(axis=1),
        ((pts[..., 2] - nxt[..., 2]) * (pts[..., 0] + nxt[..., 0])).sum(axis=1),
        ((pts[..., 0] - nxt[..., 0]) * (pts[..., 1] + nxt[..., 1])).sum(axis=1),
    ], axis=1)


def _convex(coords: np.ndarray, polys: np.ndarray) -> np.ndarray:
    """Whether each polygon (rows of ``polys``, all of one size) is strictly
    convex: every corner turns the way of the polygon's normal. A polygon with
    collinear corners is not: a fan across its straight run would make
    triangles of no area and leave the corner out of the mesh (a T-junction
    that opens a closed shell); the constrained triangulation keeps it."""
    pts = coords[polys]
    normal = _newell(pts)
    e1 = np.roll(pts, -1, axis=1) - pts
    e2 = np.roll(pts, -2, axis=1) - np.roll(pts, -1, axis=1)
    turns = np.einsum("fnk,fk->fn", np.cross(e1, e2), normal)
    scale = np.linalg.norm(normal, axis=1)[:, None] * (
        np.linalg.norm(e1, axis=2) * np.linalg.norm(e2, axis=2)
    )
    return ((turns > 1e-9 * scale).all(axis=1)) & (np.linalg.norm(normal, axis=1) > 0)


def _cdt(coords: np.ndarray, faces: list[list[list[int]]]) -> np.ndarray:
    """Constrained Delaunay triangles of faces with holes (each: outer bound
    first), each on the plane of its largest normal component, wound like its
    outer bound. One GEOS call for all of them."""
    polygons = []
    lookups: list[dict[tuple[float, float], int]] = []
    normals = []
    for rows in faces:
        outer = np.asarray(rows[0], dtype=np.int64)
        if len(outer) < 3:
            continue
        normal = _newell(coords[outer][None])[0]
        if not np.linalg.norm(normal) > 0:
            continue
        drop = int(np.argmax(np.abs(normal)))
        keep = [a for a in range(3) if a != drop]
        lookup: dict[tuple[float, float], int] = {}
        rings = []
        for ring in rows:
            xy = coords[ring][:, keep]
            for p, r in zip(map(tuple, xy.tolist()), ring, strict=True):
                lookup.setdefault(p, r)
            rings.append(xy)
        polygon = shapely.Polygon(rings[0], [r for r in rings[1:] if len(r) >= 3])
        if not polygon.is_valid:
            polygon = shapely.make_valid(polygon)
        polygons.append(polygon)
        lookups.append(lookup)
        normals.append(normal)
    if not polygons:
        return np.zeros((0, 3), dtype=np.int64)
    triangles = shapely.constrained_delaunay_triangles(np.array(polygons, dtype=object))
    parts, owner = shapely.get_parts(triangles, return_index=True)
    corners = shapely.get_coordinates(parts)
    counts = shapely.get_num_coordinates(parts)
    if (counts != 4).any():
        raise _Unsupported("face triangulation gave a part that is not a triangle")
    corners = corners.reshape(-1, 4, 2)[:, :3]
    idx = np.empty((len(parts), 3), dtype=np.int64)
    try:
        for n, (tri, face) in enumerate(zip(corners.tolist(), owner.tolist(), strict=True)):
            lookup = lookups[face]
            idx[n] = [lookup[(x, y)] for x, y in tri]
    except KeyError as exc:  # a corner GEOS made (invalid input): not ours to guess
        raise _Unsupported("face triangulation added a point") from exc
    a, b, c = coords[idx[:, 0]], coords[idx[:, 1]], coords[idx[:, 2]]
    wrong = np.einsum("ij,ij->i", np.cross(b - a, c - a), np.asarray(normals)[owner]) < 0
    idx[wrong] = idx[wrong][:, [0, 2, 1]]
    return idx
