"""The changes of one matched element: what differs between its two states.

Data (attributes, property and quantity values, type, container, material,
classification) is compared value by value, numbers within
:data:`~bimcheck.units.DIFF_VALUE_RELATIVE_TOLERANCE`. The placement is
compared as a world matrix: a translation (m) and a rotation (degrees) beyond
the diff's tolerances. The shape is compared by its representation hash (a
pair whose representations are equal within the tolerance already has one,
:mod:`~bimcheck.diff.definitions`) and, where the hashes differ, by the two
meshes in the element's own frame within
:data:`~bimcheck.units.DIFF_MESH_TOLERANCE_M` (:mod:`~bimcheck.diff.shapes`).
Openings are compared through the matching: added, removed, resized or
moved, with their areas.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from bimcheck.diff.match import rotation_angle, same_placement
from bimcheck.diff.result import Change
from bimcheck.diff.shapes import local_vertices, same_shape
from bimcheck.diff.snapshot import ElementState
from bimcheck.geometry.mesh import Mesh
from bimcheck.units import (
    DIFF_PLACEMENT_TOLERANCE_M,
    DIFF_ROTATION_TOLERANCE_RAD,
    DIFF_VALUE_RELATIVE_TOLERANCE,
    JSON_DECIMALS,
)

#: ``mesh(side, state)``: the world mesh of an element of the old or new model, or None.
MeshOf = Callable[[str, ElementState], Mesh | None]


@dataclass
class Maps:
    """Old → new GlobalIds of matched elements, types and spatial elements."""

    elements: dict[str, str]
    types: dict[str, str]
    spatial: dict[str, str]


def same_value(a: Any, b: Any) -> bool:
    """Equal, numbers within the diff's relative tolerance, lists item by item."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=DIFF_VALUE_RELATIVE_TOLERANCE, abs_tol=1e-12)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def rounded(value: float) -> float:
    """A number as the diff's JSON keeps it (:data:`~bimcheck.units.JSON_DECIMALS`)."""
    return round(float(value), JSON_DECIMALS) + 0.0


_r = rounded


def json_value(value: Any) -> Any:
    if isinstance(value, float):
        return value if not math.isfinite(value) else _r(value)
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


# -- meshes -------------------------------------------------------------------


def shape_facts(state: ElementState, mesh: Mesh | None) -> dict[str, Any] | None:
    """Volume (m³, when closed), area (m²) and extents in the element's frame (m)."""
    if mesh is None or len(mesh.faces) == 0:
        return None
    v = local_vertices(state, mesh)
    facts: dict[str, Any] = {"area": _r(mesh.area),
                             "size": [_r(x) for x in v.max(axis=0) - v.min(axis=0)]}
    if mesh.closed:
        facts["volume"] = _r(mesh.volume)
    return facts


def opening_area(opening: ElementState, mesh: Mesh | None, host: ElementState | None,
                 host_mesh: Mesh | None) -> float | None:
    """Area of an opening, m²: its volume over its extent along its host's
    thinnest axis (in the host's frame: a wall's thickness, a slab's depth),
    exact for a prism cut through the host; over its own smallest extent when
    the host's mesh is unknown."""
    if mesh is None or not mesh.closed or len(mesh.faces) == 0:
        return None
    if host is not None and host_mesh is not None and len(host_mesh.vertices):
        hv = local_vertices(host, host_mesh)
        axis = int(np.argmin(hv.max(axis=0) - hv.min(axis=0)))
        v = local_vertices(host, mesh)
        depth = float(v[:, axis].max() - v[:, axis].min())
    else:
        v = local_vertices(opening, mesh)
        depth = float(np.min(v.max(axis=0) - v.min(axis=0)))
    return None if depth <= 0 else abs(mesh.volume) / depth


# -- the comparison -----------------------------------------------------------


def _placement_change(o: ElementState, n: ElementState) -> Change | None:
    if o.placement is None or n.placement is None:
        return None
    t = n.placement[:3, 3] - o.placement[:3, 3]
    distance = float(np.linalg.norm(t))
    angle = rotation_angle(o.placement, n.placement)
    if distance <= DIFF_PLACEMENT_TOLERANCE_M and angle <= DIFF_ROTATION_TOLERANCE_RAD:
        return None
    return Change("placement", {
        "translation": [_r(x) for x in t], "distance": _r(distance),
        "rotation_deg": _r(math.degrees(angle)) if angle > DIFF_ROTATION_TOLERANCE_RAD else 0.0,
        "old_origin": [_r(x) for x in o.placement[:3, 3]],
        "new_origin": [_r(x) for x in n.placement[:3, 3]],
    })


def geometry_change(o: ElementState, n: ElementState, mesh: MeshOf) -> Change | None:
    """The shape change, or None when the shapes are equal (by hash or mesh)."""
    if o.shape == n.shape:
        return None
    om, nm = mesh("old", o), mesh("new", n)
    if om is not None and nm is not None and same_shape(
            local_vertices(o, om), om, local_vertices(n, nm), nm):
        return None
    old, new = shape_facts(o, om), shape_facts(n, nm)
    detail: dict[str, Any] = {"old": old, "new": new}
    if old and new and "volume" in old and "volume" in new:
        detail["volume_delta"] = _r(new["volume"] - old["volume"])
    if o.shape is None or n.shape is None:
        detail["representation"] = "added" if o.shape is None else "removed"
    return Change("geometry", detail)


def _value_changes(old: dict[str, Any], new: dict[str, Any], label: str) -> list[dict[str, Any]]:
    out = []
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        if not same_value(a, b):
            out.append({label: key, "old": json_value(a), "new": json_value(b)})
    return out


def pset_changes(old: dict[str, dict[str, Any]],
                 new: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """``{pset, property, old, new}`` of every value that differs between two
    ``{pset: {prop: value}}`` maps (a missing one is ``None``), sorted."""
    out = []
    for pset in sorted(old.keys() | new.keys()):
        a, b = old.get(pset, {}), new.get(pset, {})
        for prop in sorted(a.keys() | b.keys()):
            if not same_value(a.get(prop), b.get(prop)):
                out.append({"pset": pset, "property": prop, "old": json_value(a.get(prop)),
                            "new": json_value(b.get(prop))})
    return out


def _property_changes(o: ElementState, n: ElementState) -> list[dict[str, Any]]:
    out = pset_changes(o.psets, n.psets)
    for v in out:
        v["inherited"] = (v["property"] not in n.own_psets.get(v["pset"], {})
                          and v["property"] in n.type_psets.get(v["pset"], {}))
    return out


def _same_ref(a: dict[str, Any] | None, b: dict[str, Any] | None, mapped: dict[str, str]) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if mapped.get(a["global_id"], a["global_id"]) == b["global_id"]:
        return True
    return (a["ifc_class"], a.get("name")) == (b["ifc_class"], b.get("name"))


def _same_relative(host_o: ElementState, o: ElementState, host_n: ElementState,
                   n: ElementState) -> bool:
    """Whether an opening sits in the same place relative to its host in both revisions."""
    if any(p is None for p in (host_o.placement, o.placement, host_n.placement, n.placement)):
        return False
    a = np.linalg.inv(host_o.placement) @ o.placement  # type: ignore[arg-type]
    b = np.linalg.inv(host_n.placement) @ n.placement  # type: ignore[arg-type]
    return same_placement(a, b)


def _opening_change(o: ElementState, n: ElementState, maps: Maps,
                    entries: dict[str, Any], mesh: MeshOf,
                    old_states: dict[str, ElementState],
                    new_states: dict[str, ElementState]) -> Change | None:
    mapped = {g: maps.elements.get(g) for g in o.openings}
    old_of = {v: k for k, v in mapped.items() if v is not None}
    added, removed, resized, moved = [], [], [], []
    total = 0.0

    def area(side: str, state: ElementState) -> float | None:
        host = o if side == "old" else n
        return opening_area(state, mesh(side, state), host, mesh(side, host))

    for g in sorted(n.openings):
        if g not in old_of:
            a = area("new", new_states[g])
            total += a or 0.0
            added.append({"global_id": g, "area": None if a is None else _r(a)})
            continue
        entry = entries.get(g)
        kinds = {c.kind for c in entry.changes} if entry is not None else set()
        if "geometry" in kinds:
            a0, a1 = area("old", old_states[old_of[g]]), area("new", new_states[g])
            delta = None if a0 is None or a1 is None else a1 - a0
            total += delta or 0.0
            resized.append({"global_id": g, "old_area": None if a0 is None else _r(a0),
                            "new_area": None if a1 is None else _r(a1),
                            "area_delta": None if delta is None else _r(delta)})
        elif "placement" in kinds and not _same_relative(
                o, old_states[old_of[g]], n, new_states[g]):
            moved.append({"global_id": g})
    for g in sorted(o.openings):
        if mapped[g] is None or mapped[g] not in n.openings:
            a = area("old", old_states[g])
            total -= a or 0.0
            removed.append({"global_id": g, "area": None if a is None else _r(a)})
    if not (added or removed or resized or moved):
        return None
    return Change("openings", {"added": added, "removed": removed, "resized": resized,
                               "moved": moved, "area_delta": _r(total)})


def _material_property_changes(o: ElementState, n: ElementState) -> list[dict[str, Any]]:
    """Property changes of the materials the element has in both revisions
    (a mass density edited changes its weight though no name changed)."""
    return [{"material": name, **v}
            for name in sorted(o.material_psets.keys() & n.material_psets.keys())
            for v in pset_changes(o.material_psets[name], n.material_psets[name])]


def data_changes(o: ElementState, n: ElementState, maps: Maps) -> list[Change]:
    """Changes of attributes, properties, type, container, material, classification."""
    out = []
    attrs = _value_changes(o.attributes, n.attributes, "attribute")
    if o.ifc_class != n.ifc_class:
        attrs.insert(0, {"attribute": "ifc_class", "old": o.ifc_class, "new": n.ifc_class})
    if attrs:
        out.append(Change("attributes", {"values": attrs}))
    props = _property_changes(o, n)
    if props:
        out.append(Change("properties", {"values": props}))
    if not _same_ref(o.type, n.type, maps.types):
        out.append(Change("type", {"old": o.type, "new": n.type}))
    if not _same_ref(o.container, n.container, maps.spatial):
        out.append(Change("container", {"old": o.container, "new": n.container,
                                        "old_storey": o.storey, "new_storey": n.storey}))
    material_props = _material_property_changes(o, n)
    if o.materials != n.materials or material_props:
        out.append(Change("material", {"old": list(o.materials), "new": list(n.materials),
                                       "properties": material_props}))
    if o.classifications != n.classifications:
        out.append(Change("classification", {"old": list(o.classifications),
                                             "new": list(n.classifications)}))
    return out


def own_changes(o: ElementState, n: ElementState, maps: Maps, mesh: MeshOf) -> list[Change]:
    """Every change of the element but its openings, in :data:`CHANGE_KINDS` order."""
    out = []
    geometry = geometry_change(o, n, mesh)
    if geometry is not None:
        out.append(geometry)
    placement = _placement_change(o, n)
    if placement is not None:
        out.append(placement)
    return out + data_changes(o, n, maps)


def opening_changes(o: ElementState, n: ElementState, maps: Maps, entries: dict[str, Any],
                    mesh: MeshOf, old_states: dict[str, ElementState],
                    new_states: dict[str, ElementState]) -> Change | None:
    """The host's openings change (after its openings' own entries are known)."""
    if not o.openings and not n.openings:
        return None
    return _opening_change(o, n, maps, entries, mesh, old_states, new_states)
