"""Revisions of many elements: :func:`delete_and_recreate` (identical copies
under new GlobalIds) and :func:`make_benchmark_revision` (a share of the
elements moved, another share with a property edited). Re-exported by
:mod:`bimcheck.testing.revisions`; lengths in metres.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import ifcopenshell
import ifcopenshell.util.element
import numpy as np

from bimcheck.fingerprint import Fingerprinter
from bimcheck.testing import revprops as rp
from bimcheck.testing import revtools as rt
from bimcheck.testing.revtools import PropertyEdit, Revision, RevisionError, Vec3


def delete_and_recreate(
    src: Path | str, dst: Path | str, global_ids: list[str], seed: str = "recreate"
) -> Revision:
    """Delete each element and create an identical one with a new GlobalId:
    same class and attributes, placement, representation, container, type,
    material, classification and groups (every relationship that named the
    old one names the copy), its own property sets re-created with new
    GlobalIds. Its openings and fillings stay as they are. ``global_ids``
    maps old → new. Raises :class:`RevisionError` if a copy's geometry or data
    fingerprint differs from its original's."""
    f = rt.open_ifc(src)
    rev = Revision("delete_and_recreate", Path(src), Path(dst))
    fp = Fingerprinter(f)
    expected = {}
    for gid in global_ids:
        e = rt.by_guid(f, gid)
        expected[gid] = (fp.geometry(e), fp.data(e))
    for gid in sorted(global_ids):
        old = rt.by_guid(f, gid)
        new_gid = rt.derived_guid(gid, seed)
        new = f.create_entity(old.is_a())
        for i, value in enumerate(old):
            new[i] = new_gid if old.attribute_name(i) == "GlobalId" else value
        # Its own sets: re-created (new GlobalIds); shared ones keep theirs.
        for rel, pset in rp.occurrence_psets(old):
            if len(rel.RelatedObjects) == 1 and len(_defining(f, pset)) == 1:
                rel.GlobalId = rt.derived_guid(rel.GlobalId, seed)
                pset.GlobalId = rt.derived_guid(pset.GlobalId, seed)
        rt.replace_references(f, old, new)
        f.remove(old)
        rev.global_ids[gid] = new_gid
    fp = Fingerprinter(f)
    for gid, prints in expected.items():
        copy = f.by_guid(rev.global_ids[gid])
        if (fp.geometry(copy), fp.data(copy)) != prints:
            raise RevisionError(f"{gid}: the re-created copy differs from the original", path=src)
    rev.detail = {"recreated": dict(sorted(rev.global_ids.items()))}
    rt.write_ifc(f, dst)
    return rev


def _defining(f: ifcopenshell.file, pset) -> list:
    return [r for r in f.get_inverse(pset) if r.is_a("IfcRelDefinesByProperties")]


def geometric_elements(f: ifcopenshell.file) -> list[ifcopenshell.entity_instance]:
    """IfcElements (not openings or other feature elements) with a
    representation and a local placement, sorted by GlobalId, duplicates of a
    GlobalId left out."""
    seen: dict[str, list] = {}
    for e in f.by_type("IfcElement"):
        if e.is_a("IfcFeatureElement") or e.Representation is None:
            continue
        p = e.ObjectPlacement
        if p is None or not p.is_a("IfcLocalPlacement"):
            continue
        if not p.RelativePlacement.is_a("IfcAxis2Placement3D"):
            continue
        seen.setdefault(e.GlobalId, []).append(e)
    return [v[0] for k, v in sorted(seen.items()) if len(v) == 1]


def editable_property(element) -> tuple[str, str, Any] | None:
    """The first (by name) single value with a str/bool/int/float value the
    element has, own or inherited: (set, property, value)."""
    psets = ifcopenshell.util.element.get_psets(element, psets_only=True)
    for pset in sorted(psets):
        for prop, value in sorted(psets[pset].items()):
            if prop == "id" or value is None or isinstance(value, list | tuple | dict):
                continue
            if isinstance(value, str | bool | int | float):
                return pset, prop, value
    return None


def edited_value(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value * 1.1 + 1.0
    return f"{value} (rev)"


def make_benchmark_revision(
    src: Path | str, dst: Path | str, fraction_moved: float = 0.05,
    fraction_props: float = 0.05, seed: int = 14, vector_m: Vec3 = (0.1, 0.05, 0.0),
) -> Revision:
    """Move ``fraction_moved`` of the elements with geometry by ``vector_m``
    (metres) and edit one property value on another ``fraction_props`` of them
    (disjoint sets, chosen with ``random.Random(seed)``; strings get " (rev)",
    numbers change, booleans flip; elements without a single value are
    skipped for the next one). ``detail`` lists the moved and edited
    GlobalIds; ``moved`` also has the products carried by a moved placement."""
    f = rt.open_ifc(src)
    pool = geometric_elements(f)
    rng = random.Random(seed)
    order = list(pool)
    rng.shuffle(order)
    n_move = round(fraction_moved * len(pool))
    n_props = round(fraction_props * len(pool))
    to_move = sorted(e.GlobalId for e in order[:n_move])
    rev = Revision("benchmark", Path(src), Path(dst))
    before = rt.world_matrices(f)
    offset = np.asarray(vector_m, dtype=float) / rt.length_scale(f)
    targets = {}
    for gid in to_move:
        t = before[gid].copy()
        t[:3, 3] += offset
        targets[gid] = t
    rt.apply_world_targets(f, targets)
    rt.record_moves(rev, before, f)
    edited = []
    for e in order[n_move:]:
        if len(edited) == n_props:
            break
        found = editable_property(e)
        if found is None:
            continue
        pset, prop, value = found
        new = edited_value(value)
        rp.set_occurrence_property(f, e, pset, prop, new, seed=f"bench/{seed}")
        rev.properties.append(PropertyEdit(e.GlobalId, pset, prop, value, new))
        rev.mark(e.GlobalId, "properties")
        edited.append(e.GlobalId)
    rev.properties.sort(key=lambda p: p.global_id)
    rev.detail = {
        "elements_with_geometry": len(pool), "moved_requested": to_move,
        "edited": sorted(edited), "vector_m": list(vector_m), "seed": seed,
    }
    if len(edited) < n_props:
        raise RevisionError(f"only {len(edited)} of {n_props} elements have a property to edit",
                            path=src)
    rt.write_ifc(f, dst)
    return rev
