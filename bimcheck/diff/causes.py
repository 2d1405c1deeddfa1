"""Causes: one change that explains the changes of many elements, reported once.

* ``storey`` (and ``spatial`` for sites, buildings, spaces): a spatial
  element whose placement changed moves every element placed in it; the
  elements' placement changes point to it. A storey whose ``Elevation``
  attribute changed without moving is reported too, with no elements.
* ``parent``: an element placed relative to another (an opening in its host,
  a window in its opening, a part in its assembly) that moved only because
  the other moved.
* ``type``: a type whose property sets or representation maps changed
  explains the inherited property changes and the shape changes of its
  occurrences.
* ``profile``: a profile definition edited the same way in the shapes of
  several elements.
* ``material``: a material whose property sets changed (a mass density, a
  strength class) explains the material changes of the elements that have it.

A change explained by a cause carries ``"cause": id``; an element all of whose
changes share one cause points to it (``ElementDiff.cause``).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from typing import Any

from bimcheck.diff.compare import Maps, json_value, pset_changes, same_value
from bimcheck.diff.compare import rounded as _r
from bimcheck.diff.match import rotation_angle, same_placement
from bimcheck.diff.result import Cause, ElementDiff
from bimcheck.diff.snapshot import ElementState, ModelSnapshot

_KIND_ORDER = {"storey": 0, "spatial": 1, "type": 2, "profile": 3, "material": 4, "parent": 5}


def _origin_of_move(o: ElementState, n: ElementState, maps: Maps) -> int | None:
    """The lowest link of the placement chain whose relative matrix changed
    (0: the element's own placement), or None when the chains differ."""
    if len(o.chain) != len(n.chain):
        return None
    for i, (a, b) in enumerate(zip(o.chain, n.chain, strict=True)):
        if i > 0:
            mapped = maps.elements.get(a.owner or "") or maps.spatial.get(a.owner or "")
            if (mapped or a.owner) != b.owner:
                return None
        if a.matrix is None or b.matrix is None:
            return None
        if not same_placement(a.matrix, b.matrix):
            return i
    return None


class _Builder:
    def __init__(self, old: ModelSnapshot, new: ModelSnapshot, maps: Maps) -> None:
        self.old, self.new, self.maps = old, new, maps
        self.causes: dict[tuple, dict[str, Any]] = {}

    def add(self, key: tuple, kind: str, subject: dict[str, Any], detail: dict[str, Any],
            element: str | None, changes: list[Any]) -> None:
        entry = self.causes.setdefault(key, {"kind": kind, "subject": subject, "detail": detail,
                                             "elements": set(), "changes": []})
        if element is not None:
            entry["elements"].add(element)
        entry["changes"].extend(changes)


def _spatial_subject(snap: ModelSnapshot, gid: str) -> dict[str, Any]:
    s = snap.spatial.get(gid, {})
    return {"global_id": gid, "ifc_class": s.get("ifc_class"), "name": s.get("name")}


def _placement_causes(b: _Builder, entries: list[ElementDiff],
                      states: dict[str, tuple[ElementState, ElementState]]) -> None:
    old_spatial_of = {v: k for k, v in b.maps.spatial.items()}
    for entry in entries:
        change = next((c for c in entry.changes if c.kind == "placement"), None)
        if change is None or entry.global_id not in states:
            continue
        o, n = states[entry.global_id]
        level = _origin_of_move(o, n, b.maps)
        if not level:
            continue
        owner = n.chain[level].owner
        if owner is None:
            continue
        if owner in b.new.spatial:
            cls = b.new.spatial[owner]["ifc_class"]
            kind = "storey" if cls == "IfcBuildingStorey" else "spatial"
            subject = _spatial_subject(b.new, owner)
            detail = _spatial_detail(b, old_spatial_of.get(owner, owner), owner)
        else:
            kind = "parent"
            host = b.new.elements.get(owner)
            subject = {"global_id": owner, "ifc_class": host.ifc_class if host else None,
                       "name": host.name if host else None}
            detail = {}
        b.add((kind, owner), kind, subject, detail, entry.global_id, [change])


def _spatial_detail(b: _Builder, old_gid: str, new_gid: str) -> dict[str, Any]:
    so, sn = b.old.spatial.get(old_gid, {}), b.new.spatial.get(new_gid, {})
    detail: dict[str, Any] = {"old_elevation": _opt(so.get("elevation")),
                              "new_elevation": _opt(sn.get("elevation"))}
    po, pn = so.get("placement"), sn.get("placement")
    if po is not None and pn is not None:
        detail["translation"] = [_r(x) for x in pn[:3, 3] - po[:3, 3]]
        detail["rotation_deg"] = _r(math.degrees(rotation_angle(po, pn)))
    return detail


def _opt(value: float | None) -> float | None:
    return None if value is None else _r(value)


def _elevation_only(b: _Builder) -> None:
    """Storeys whose Elevation changed without a move of any element."""
    for old_gid, new_gid in sorted(b.maps.spatial.items()):
        so, sn = b.old.spatial[old_gid], b.new.spatial[new_gid]
        if so["ifc_class"] != "IfcBuildingStorey" or ("storey", new_gid) in b.causes:
            continue
        moved = not (so["placement"] is None or sn["placement"] is None
                     or same_placement(so["placement"], sn["placement"]))
        if moved or not same_value(so["elevation"], sn["elevation"]):
            b.add(("storey", new_gid), "storey", _spatial_subject(b.new, new_gid),
                  _spatial_detail(b, old_gid, new_gid), None, [])


def _type_causes(b: _Builder, entries: list[ElementDiff],
                 states: dict[str, tuple[ElementState, ElementState]]) -> None:
    for old_gid, new_gid in sorted(b.maps.types.items()):
        to, tn = b.old.types[old_gid], b.new.types[new_gid]
        values = pset_changes(to.psets, tn.psets)
        changed = {(v["pset"], v["property"]) for v in values}
        shape_changed = to.shape != tn.shape
        if not changed and not shape_changed:
            continue
        subject = {"global_id": new_gid, "ifc_class": tn.ifc_class, "name": tn.name}
        detail = {"properties": values, "representation_changed": shape_changed}
        for entry in entries:
            pair = states.get(entry.global_id)
            if pair is None or pair[1].type is None or pair[1].type["global_id"] != new_gid:
                continue
            explained = []
            for change in entry.changes:
                if change.kind == "properties" and all(
                        v["inherited"] and (v["pset"], v["property"]) in changed
                        for v in change.detail["values"]):
                    explained.append(change)
                elif change.kind == "geometry" and shape_changed:
                    explained.append(change)
            if explained:
                b.add(("type", new_gid), "type", subject, detail, entry.global_id, explained)


def _material_causes(b: _Builder, entries: list[ElementDiff]) -> None:
    """A material whose properties changed: the material changes of the
    elements that have it in both revisions under the same names."""
    for entry in entries:
        change = next((c for c in entry.changes if c.kind == "material"), None)
        if change is None or change.detail["old"] != change.detail["new"]:
            continue
        for name in sorted({p["material"] for p in change.detail["properties"]}):
            values = [{k: v for k, v in p.items() if k != "material"}
                      for p in change.detail["properties"] if p["material"] == name]
            b.add(("material", name), "material", {"global_id": None, "ifc_class": "IfcMaterial",
                                                   "name": name},
                  {"properties": values}, entry.global_id, [change])


def _profiles(snap: ModelSnapshot, state: ElementState) -> dict[str, dict[str, Any]]:
    rep = getattr(state.entity, "Representation", None)
    if rep is None:
        return {}
    out = {}
    for e in snap.model.file.traverse(rep):
        if e.is_a("IfcProfileDef"):
            info = {k: json_value(v) for k, v in e.get_info(recursive=False).items()
                    if k not in ("id", "type") and not hasattr(v, "is_a")}
            out[snap.fingerprinter.entity_hash(e).hex()] = {"ifc_class": e.is_a(), **info}
    return out


def _profile_causes(b: _Builder, entries: list[ElementDiff],
                    states: dict[str, tuple[ElementState, ElementState]]) -> None:
    groups: dict[tuple, list[tuple[ElementDiff, Any, dict, dict]]] = defaultdict(list)
    for entry in entries:
        change = next((c for c in entry.changes if c.kind == "geometry"), None)
        if change is None or "cause" in change.detail or entry.global_id not in states:
            continue
        o, n = states[entry.global_id]
        po, pn = _profiles(b.old, o), _profiles(b.new, n)
        gone, came = sorted(po.keys() - pn.keys()), sorted(pn.keys() - po.keys())
        if len(gone) == 1 and len(came) == 1:
            groups[(gone[0], came[0])].append((entry, change, po[gone[0]], pn[came[0]]))
    for (gone, came), members in sorted(groups.items()):
        if len(members) < 2:
            continue
        old_p, new_p = members[0][2], members[0][3]
        subject = {"global_id": None, "ifc_class": new_p["ifc_class"],
                   "name": new_p.get("ProfileName") or old_p.get("ProfileName")}
        detail = {"old": old_p, "new": new_p, "units": "file length units"}
        for entry, change, _, _ in members:
            b.add(("profile", gone, came), "profile", subject, detail, entry.global_id, [change])


def find_causes(old: ModelSnapshot, new: ModelSnapshot, maps: Maps,
                entries: list[ElementDiff],
                states: dict[str, tuple[ElementState, ElementState]]) -> list[Cause]:
    """The causes of the entries' changes; sets ``cause`` on explained changes
    and on entries all of whose changes one cause explains. ``states`` maps an
    entry's GlobalId to its (old, new) states."""
    b = _Builder(old, new, maps)
    _placement_causes(b, entries, states)
    _elevation_only(b)
    _type_causes(b, entries, states)
    _profile_causes(b, entries, states)
    _material_causes(b, entries)

    def order(item: tuple[tuple, dict[str, Any]]) -> tuple:
        key, c = item
        return (_KIND_ORDER.get(c["kind"], 9), json.dumps(key, default=str),
                sorted(c["elements"]))

    causes = []
    for n, (_, c) in enumerate(sorted(b.causes.items(), key=order), start=1):
        cid = f"C{n:03d}"
        for change in c["changes"]:
            change.detail["cause"] = cid
        detail = c["detail"]
        causes.append(Cause(cid, c["kind"], c["subject"], sorted(c["elements"]), detail))
    for entry in entries:
        ids = {c.detail.get("cause") for c in entry.changes}
        if entry.changes and len(ids) == 1 and None not in ids:
            entry.cause = ids.pop()
    return causes



