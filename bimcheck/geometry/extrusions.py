"""Extruded area solids meshed with numpy and manifold3d instead of the kernel.

Most building elements are extrusions of a profile: walls, slabs, beams,
columns, members, mullions. OpenCascade builds a B-rep for each (a face per
edge of the profile: Revit writes profile outlines as composite curves of
dozens of trimmed lines and arcs) and meshes it again. A prism is simpler:
the profile's rings (:mod:`~bimcheck.geometry.profiles`) are triangulated
once for the caps (``manifold3d.triangulate``) and joined by side quads
(:func:`bimcheck.geometry.csg.prism`), in the worker processes.

:func:`local_mesh` covers a body whose every item, through mapped items, is
an ``IfcExtrudedAreaSolid`` of a profile :mod:`~bimcheck.geometry.profiles`
draws, extruded along any direction not in the profile's plane. Items are
meshed each on its own and put together, as the kernel does (overlapping
items are not merged). Openings (their bodies extrusions as well, placed
relative to the element) are subtracted from each item with manifold3d, in
float64, in the element's frame, after coordinates within 1e-9 m of each
other are made one (:func:`_snap`). Anything else returns ``None`` and goes to
the kernel as before.

Coordinates are in the element's own frame (its object placement), in
metres. On every shared model, each element this covers has the kernel's
bounds and volume (``tests/shared/test_shared_extrusions.py``): straight
profiles to 1e-6 m and 1e-6 relative; curved ones within what the arcs'
deflection allows (:data:`~bimcheck.geometry.profiles.LINEAR_DEFLECTION`).
"""

from __future__ import annotations

from typing import Any

import manifold3d
import numpy as np

from bimcheck.geometry import csg, profiles

#: Part of the mesh cache key: meshes made by this module change with it.
VERSION = "bimcheck-extrusions/3"

#: Deepest nesting of mapped items followed.
_MAX_DEPTH = 16

#: Most items (after mapping) and openings one element may have here.
_MAX_ITEMS = 512

#: Most mapped representations a memo keeps before it is emptied.
_MAX_MEMO = 4096


class _Unsupported(Exception):
    """The body is outside the subset: leave it to the kernel."""


#: The half-spaces a clipping may take away.
_HALF_SPACES = ("IfcHalfSpaceSolid", "IfcPolygonalBoundedHalfSpace")


def _clips(item: Any, depth: int = 0) -> bool:
    """Whether ``item`` is a clipping of an extrusion by half-spaces (recursively)."""
    if depth > _MAX_DEPTH or item.Operator != "DIFFERENCE":
        return False
    first, second = item.FirstOperand, item.SecondOperand
    if second is None or second.is_a() not in _HALF_SPACES:
        return False
    if first.is_a() == "IfcBooleanClippingResult":
        return _clips(first, depth + 1)
    return first.is_a() == "IfcExtrudedAreaSolid" and first.SweptArea is not None and \
        first.SweptArea.is_a() in profiles.PROFILE_CLASSES


def _clipped(item: Any, scale: float, angle_scale: float, depth: int) -> manifold3d.Manifold:
    """The solid of a clipping result: its first operand less the half-space."""
    if depth > _MAX_DEPTH or item.Operator != "DIFFERENCE":
        raise _Unsupported("clipping")
    first = item.FirstOperand
    if first.is_a() == "IfcBooleanClippingResult":
        solid = _clipped(first, scale, angle_scale, depth + 1)
    elif first.is_a() == "IfcExtrudedAreaSolid":
        solid = csg.extrusion(first, scale, profiles.contours(first.SweptArea, scale, angle_scale))
    else:
        raise _Unsupported(first.is_a())
    return _less_half_space(solid, item.SecondOperand, scale, angle_scale)


def _less_half_space(solid: manifold3d.Manifold, half: Any, scale: float,
                     angle_scale: float) -> manifold3d.Manifold:
    """``solid`` without the half-space ``half``: the side of its plane that
    its agreement flag names (TRUE: the side its normal points away from),
    bounded, for a polygonal one, by the prism over its boundary."""
    plane = half.BaseSurface
    if plane is None or plane.is_a() != "IfcPlane":
        raise _Unsupported("half-space surface")
    m = csg.placement3d(plane.Position, scale)
    normal, origin = m[:3, 2], m[:3, 3]
    keep = normal if half.AgreementFlag else -normal
    if half.is_a() == "IfcHalfSpaceSolid":
        return _snap([solid.trim_by_plane(tuple(keep), float(keep @ origin))])[0]
    if half.is_a() != "IfcPolygonalBoundedHalfSpace":
        raise _Unsupported(half.is_a())
    ring = profiles.curve_points(half.PolygonalBoundary, scale, angle_scale)
    where = csg.placement3d(half.Position, scale)
    box = np.array(solid.bounding_box(), dtype=np.float64).reshape(2, 3)
    reach = float(np.linalg.norm(box[1] - box[0]) + np.linalg.norm(box.mean(axis=0)
                                                                    - where[:3, 3])) + 1.0
    stretch = np.diag([1.0, 1.0, 2.0 * reach, 1.0])
    stretch[2, 3] = -reach
    prism = csg.prism([ring]).transform((where @ stretch)[:3])
    taken = prism.trim_by_plane(tuple(-keep), float(-keep @ origin))
    # A boundary drawn along the solid's own edges (Revit's, ArchiCAD's) must
    # meet them exactly, or a skin of no thickness is left (see _snap).
    solid, taken = _snap([solid, taken])
    return solid - taken


def covers(representation: Any, depth: int = 0) -> bool:
    """Whether every item of ``representation`` (through mapped items) is an
    extrusion of a profile class this module may draw; a quick test on
    classes only (the curves are read by :func:`local_mesh`)."""
    if depth > _MAX_DEPTH:
        return False
    items = representation.Items or ()
    if not items:
        return False
    for item in items:
        if item.is_a("IfcMappedItem"):
            source = item.MappingSource
            if source is None or not covers(source.MappedRepresentation, depth + 1):
                return False
        elif item.is_a() == "IfcBooleanClippingResult":
            if not _clips(item):
                return False
        elif item.is_a() != "IfcExtrudedAreaSolid" or \
                item.SweptArea is None or item.SweptArea.is_a() not in profiles.PROFILE_CLASSES:
            return False
    return True


def local_mesh(
    representation: Any, length_scale: float, angle_scale: float,
    openings: list[tuple[Any, np.ndarray]] = (),  # type: ignore[assignment]
    memo: dict[int, list[manifold3d.Manifold]] | None = None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(vertices (n, 3) float64 m, faces (m, 3) int64)`` of an extruded body
    in its element's frame, minus ``openings`` (each an opening's body
    representation and its 4×4 matrix in the element's frame, metres), or
    ``None`` when outside the subset (see the module docstring) or empty.

    ``memo`` (one per file, kept by the caller) holds the solids of each
    mapped representation met so far, so that the chairs of a restaurant
    (one mapped representation, 11 extrusions of 50-160 points, 0.12 s) are
    built once, not once per chair."""
    memo = {} if memo is None else memo
    if len(memo) > _MAX_MEMO:
        memo.clear()
    try:
        solids = _solids(representation, np.eye(4), float(length_scale), float(angle_scale), 0,
                         memo)
        if openings:
            voids = []
            for rep, matrix in openings:
                voids.extend(_solids(rep, matrix, float(length_scale), float(angle_scale), 0,
                                     memo))
            if len(solids) + len(voids) > _MAX_ITEMS:
                raise _Unsupported("too many items")
            snapped = _snap([*solids, *voids])
            solids, voids = snapped[:len(solids)], snapped[len(solids):]
            cut = manifold3d.Manifold.batch_boolean(voids, manifold3d.OpType.Add)
            solids = [s - cut for s in solids]
    except (_Unsupported, profiles.Unsupported, csg.Unsupported, AttributeError, TypeError,
            ValueError, IndexError, ZeroDivisionError, OverflowError):
        return None
    vertices, faces, count = [], [], 0
    for solid in solids:
        if solid.status() != manifold3d.Error.NoError:
            return None
        if solid.is_empty():
            continue
        mesh = solid.to_mesh64()
        v = np.asarray(mesh.vert_properties, dtype=np.float64)[:, :3]
        f = np.asarray(mesh.tri_verts, dtype=np.int64)
        vertices.append(v)
        faces.append(f + count)
        count += len(v)
    if not faces:
        return None
    v, f = np.concatenate(vertices), np.concatenate(faces)
    if not np.isfinite(v).all():
        return None
    # To 1e-12 m: transforms leave noise such as 1.1e-16 for 0 (or 0.30000000000000004),
    # which would show in reports; the kernel's own meshes have none.
    v = np.round(v, 12) + 0.0
    return np.ascontiguousarray(v), np.ascontiguousarray(f)


#: Coordinates of a host and its openings closer than this (metres, on each
#: axis of the element's frame) are made one before the openings are cut.
SNAP = 1e-9


def _snap(solids: list[manifold3d.Manifold]) -> list[manifold3d.Manifold]:
    """``solids`` with every coordinate, axis by axis, moved onto the smallest
    one within :data:`SNAP` of it (a chain of such values becomes one).

    Exporters write an opening as deep as its wall give or take the last
    digit (Janesville: 0.7083333333333334 ft against 0.7083333333333712):
    cut exactly, that leaves a skin 1e-14 m thick, which the kernel's fuzzy
    booleans drop; made equal, the faces are coplanar and manifold3d drops
    it too."""
    meshes = [m.to_mesh64() for m in solids]
    verts = [np.asarray(m.vert_properties, dtype=np.float64)[:, :3].copy() for m in meshes]
    allv = np.concatenate(verts)
    for axis in range(3):
        values = allv[:, axis]
        order = np.argsort(values, kind="stable")
        ranked = values[order]
        starts = np.concatenate([[True], np.diff(ranked) > SNAP])
        group = np.cumsum(starts) - 1
        snapped = np.empty_like(values)
        snapped[order] = ranked[starts][group]
        allv[:, axis] = snapped
    out, at = [], 0
    for mesh, v in zip(meshes, verts, strict=True):
        n = len(v)
        solid = manifold3d.Manifold(manifold3d.Mesh64(
            np.array(allv[at:at + n], dtype=np.float64, order="C"),
            np.array(mesh.tri_verts, dtype=np.uint64, order="C")))
        if solid.status() != manifold3d.Error.NoError:
            raise _Unsupported("snapping broke a solid")
        out.append(solid)
        at += n
    return out


def _solids(rep: Any, matrix: np.ndarray, scale: float, angle_scale: float,
            depth: int, memo: dict[int, list[manifold3d.Manifold]]) -> list[manifold3d.Manifold]:
    if depth > _MAX_DEPTH:
        raise _Unsupported("mapped items nested too deep")
    out: list[manifold3d.Manifold] = []
    for item in rep.Items or ():
        if item.is_a("IfcMappedItem"):
            mapped = item.MappingSource.MappedRepresentation
            base = memo.get(mapped.id())
            if base is None:
                base = memo[mapped.id()] = _solids(mapped, np.eye(4), scale, angle_scale,
                                                   depth + 1, memo)
            placed = (matrix @ _mapping(item, scale))[:3]
            out.extend(s.transform(placed) for s in base)
        elif item.is_a() == "IfcExtrudedAreaSolid":
            rings = profiles.contours(item.SweptArea, scale, angle_scale)
            solid = csg.extrusion(item, scale, rings)
            out.append(solid.transform(matrix[:3]))
        elif item.is_a() == "IfcBooleanClippingResult":
            out.append(_clipped(item, scale, angle_scale, depth).transform(matrix[:3]))
        else:
            raise _Unsupported(item.is_a())
        if len(out) > _MAX_ITEMS:
            raise _Unsupported("too many items")
    if not out:
        raise _Unsupported("no item")
    return out


def _mapping(item: Any, scale: float) -> np.ndarray:
    """The 4×4 matrix (translation in metres) a mapped item applies: its target
    operator times its source's origin placement, as IfcOpenShell does."""
    import ifcopenshell.util.placement as placement

    target = item.MappingTarget
    if target is None or not target.is_a("IfcCartesianTransformationOperator3D"):
        raise _Unsupported("mapping target")
    m = np.asarray(placement.get_cartesiantransformationoperator3d(target)
                   @ placement.get_axis2placement(item.MappingSource.MappingOrigin),
                   dtype=np.float64)
    m[:3, 3] *= scale
    return m
