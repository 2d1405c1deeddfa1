"""Make a revision of an IFC file with one known change, for tests and benchmarks.

Each function reads ``src``, makes one kind of change with IfcOpenShell,
writes ``dst`` and returns a :class:`Revision` saying exactly what changed, so
a test of the revision diff can assert the expected result. Nothing else in
the file changes (STEP ids aside: an edit adds entities at the end).

Units: every length a caller gives is in **metres** and converted to the
file's length unit; vectors in a :class:`Revision` are world translations in
metres. GlobalIds made here are derived from the old ones and a ``seed``
(``uuid5``), and owner histories are copied, never stamped with the clock:
the same call on the same file writes the same bytes.

``Revision.changes`` maps the **new** model's GlobalId of every product that
changed to the kinds of change made, in the revision diff's vocabulary:
``placement`` (its world placement moved, also when carried by a moved
parent placement), ``geometry`` (its own shape), ``openings`` (an opening
voiding it changed), ``properties``, ``attributes``. Products not in it are
unchanged (a re-issued or recreated one under its ``global_ids`` mapping).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ifcopenshell
import ifcopenshell.ifcopenshell_wrapper
import ifcopenshell.util.element
import numpy as np

from bimcheck.fingerprint import Fingerprinter
from bimcheck.testing import revprops as rp
from bimcheck.testing import revtools as rt
from bimcheck.testing.revcopies import delete_and_recreate, make_benchmark_revision
from bimcheck.testing.revtext import reformat_reals, renumber
from bimcheck.testing.revtools import (
    PropertyEdit,
    Revision,
    RevisionError,
    Vec3,
    find_entity,
    open_ifc,
    record_moves,
    write_ifc,
)

__all__ = [
    "PropertyEdit",
    "Revision",
    "RevisionError",
    "change_storey_elevation",
    "delete_and_recreate",
    "edit_shared_profile",
    "edit_type",
    "make_benchmark_revision",
    "move_elements",
    "reformat_numbers",
    "reissue_global_ids",
    "resave",
    "resize_opening",
    "set_property",
    "share_profile",
    "swap_places",
]

# -- identity and text ------------------------------------------------------------


def reissue_global_ids(src: Path | str, dst: Path | str, seed: str = "reissue") -> Revision:
    """Every rooted entity gets a new GlobalId derived from its old one; nothing
    else changes. ``global_ids`` maps old → new for every rooted entity."""
    f = open_ifc(src)
    rev = Revision("reissue_global_ids", Path(src), Path(dst))
    for e in f.by_type("IfcRoot"):
        new = rt.derived_guid(e.GlobalId, seed)
        rev.global_ids[e.GlobalId] = new
        e.GlobalId = new
    write_ifc(f, dst)
    return rev


def resave(src: Path | str, dst: Path | str, seed: int = 1) -> Revision:
    """The same content re-saved with every STEP id renumbered (a deterministic
    shuffle) and the entities in a different order; nothing else changes."""
    n = renumber(Path(src), Path(dst), seed)
    return Revision("resave", Path(src), Path(dst), detail={"entities": n, "seed": seed})


def reformat_numbers(
    src: Path | str, dst: Path | str, noise: float = 1e-12
) -> Revision:
    """Rewrite every real number of the STEP text in another format (``6.`` →
    ``6.0000000000000000E+00``, or with ``noise``, every other non-zero one
    scaled by 1 + noise, e.g. ``6.000000000006``); values change by at most
    ``noise`` relative, nothing else changes."""
    count, worst = reformat_reals(Path(src), Path(dst), noise)
    return Revision("reformat_numbers", Path(src), Path(dst),
                    detail={"reals": count, "max_relative_change": worst, "noise": noise})


# -- placements -------------------------------------------------------------------


def move_elements(
    src: Path | str, dst: Path | str, global_ids: list[str], vector_m: Vec3
) -> Revision:
    """Translate each element by ``vector_m`` (world, metres) by editing its own
    placement; products placed relative to it (openings, fillings, parts) are
    carried along and listed in ``moved`` too."""
    f = open_ifc(src)
    rev = Revision("move_elements", Path(src), Path(dst),
                   detail={"requested": sorted(global_ids), "vector_m": list(vector_m)})
    before = rt.world_matrices(f)
    offset = np.asarray(vector_m, dtype=float) / rt.length_scale(f)
    targets = {}
    for gid in global_ids:
        m = before.get(gid)
        if m is None:
            raise RevisionError(f"{gid}: no such product with a placement", path=src)
        t = m.copy()
        t[:3, 3] += offset
        targets[gid] = t
    rt.apply_world_targets(f, targets)
    record_moves(rev, before, f)
    write_ifc(f, dst)
    return rev


def change_storey_elevation(
    src: Path | str, dst: Path | str, storey_name_or_gid: str, dz_m: float
) -> Revision:
    """Raise (or lower) a storey by ``dz_m`` metres: its Elevation and its
    placement, and every product in it moves by (0, 0, dz) in the world (those
    whose placement is not relative to the storey's are moved themselves)."""
    from bimcheck.relations import get_storey

    f = open_ifc(src)
    storey = find_entity(f, storey_name_or_gid, "IfcBuildingStorey")
    rev = Revision("change_storey_elevation", Path(src), Path(dst))
    scale = rt.length_scale(f)
    before = rt.world_matrices(f)
    old_elevation = storey.Elevation
    if old_elevation is not None:
        storey.Elevation = round(old_elevation + dz_m / scale, rt.COORD_DECIMALS) + 0.0
    members = [storey] + [
        p for p in f.by_type("IfcProduct")
        if p.GlobalId in before and not p.is_a("IfcBuildingStorey") and get_storey(p) == storey
    ]
    targets = {}
    for p in members:
        t = before[p.GlobalId].copy()
        t[2, 3] += dz_m / scale
        targets[p.GlobalId] = t
    rt.apply_world_targets(f, targets)
    record_moves(rev, before, f)
    rev.mark(storey.GlobalId, "attributes")
    rev.detail = {
        "storey": storey.GlobalId, "name": storey.Name, "dz_m": dz_m,
        "old_elevation_m": None if old_elevation is None else old_elevation * scale,
        "new_elevation_m": None if storey.Elevation is None else storey.Elevation * scale,
    }
    write_ifc(f, dst)
    return rev


def swap_places(src: Path | str, dst: Path | str, gid_a: str, gid_b: str) -> Revision:
    """Two elements of identical shape (same representation and openings)
    exchange their world placements."""
    f = open_ifc(src)
    a, b = rt.by_guid(f, gid_a), rt.by_guid(f, gid_b)
    fp = Fingerprinter(f)
    if _shape_key(fp, a) != _shape_key(fp, b) or a.is_a() != b.is_a():
        raise RevisionError(f"{gid_a} and {gid_b} do not have identical shapes", path=src)
    rev = Revision("swap_places", Path(src), Path(dst), detail={"a": gid_a, "b": gid_b})
    before = rt.world_matrices(f)
    rt.apply_world_targets(f, {gid_a: before[gid_b], gid_b: before[gid_a]})
    record_moves(rev, before, f)
    write_ifc(f, dst)
    return rev


def _shape_key(fp: Fingerprinter, e) -> tuple:
    openings = sorted(
        (fp.entity_hash(r.RelatedOpeningElement.Representation),
         fp.entity_hash(r.RelatedOpeningElement.ObjectPlacement.RelativePlacement))
        for r in getattr(e, "HasOpenings", None) or ()
    )
    return fp.entity_hash(e.Representation), tuple(openings)


# -- data ---------------------------------------------------------------------------


def set_property(
    src: Path | str, dst: Path | str, global_id: str, pset: str, prop: str, value: Any
) -> Revision:
    """Set ``pset.prop`` of one element to ``value`` (its own set; unshared
    first when other objects share it; a new occurrence set when it only
    inherits the set from its type)."""
    f = open_ifc(src)
    element = rt.by_guid(f, global_id)
    old = rp.set_occurrence_property(f, element, pset, prop, value, seed=f"set/{prop}")
    rev = Revision("set_property", Path(src), Path(dst))
    rev.properties.append(PropertyEdit(global_id, pset, prop, old, value))
    rev.mark(global_id, "properties")
    write_ifc(f, dst)
    return rev


def edit_type(
    src: Path | str, dst: Path | str, type_gid_or_name: str, pset: str, prop: str, value: Any
) -> Revision:
    """Set ``pset.prop`` on a type: every occurrence that does not override the
    property itself inherits the new value (those are marked changed)."""
    f = open_ifc(src)
    etype = find_entity(f, type_gid_or_name, "IfcTypeObject")
    pset_entity = rp.type_pset(f, etype, pset, seed=f"type/{prop}")
    old = rp.set_value(f, pset_entity, prop, value)
    rev = Revision("edit_type", Path(src), Path(dst))
    rev.properties.append(PropertyEdit(etype.GlobalId, pset, prop, old, value))
    inheriting, overriding = [], []
    for occ in sorted(ifcopenshell.util.element.get_types(etype), key=lambda o: o.GlobalId):
        own = ifcopenshell.util.element.get_psets(occ, should_inherit=False)
        if prop in own.get(pset, {}):
            overriding.append(occ.GlobalId)
        else:
            inheriting.append(occ.GlobalId)
            rev.mark(occ.GlobalId, "properties")
    rev.detail = {"type": etype.GlobalId, "type_name": etype.Name,
                  "inheriting": inheriting, "overriding": overriding}
    write_ifc(f, dst)
    return rev


# -- geometry -----------------------------------------------------------------------


def resize_opening(
    src: Path | str, dst: Path | str, opening_gid: str,
    scale: float | tuple[float, float] | None = None,
    dims_m: tuple[float, float] | None = None,
) -> Revision:
    """Resize an opening's extruded rectangle profiles (an exporter may cut
    with several, e.g. one per wall layer) about their centres: XDim, YDim
    times ``scale``, or set to ``dims_m`` metres; depths are kept. The
    opening's geometry and its host's openings change. ``detail`` has the
    first profile's old and new dimensions."""
    if (scale is None) == (dims_m is None):
        raise RevisionError("resize_opening needs exactly one of scale or dims_m")
    f = open_ifc(src)
    opening = rt.by_guid(f, opening_gid)
    if not opening.is_a("IfcOpeningElement"):
        raise RevisionError(f"{opening_gid} is a {opening.is_a()}, not an opening", path=src)
    profiles = sorted((
        e for e in f.traverse(opening.Representation) if e.is_a("IfcRectangleProfileDef")
    ) if opening.Representation else [], key=lambda e: e.id())
    if not profiles:
        raise RevisionError(f"{opening_gid}: no rectangle profile", path=src)
    unit = rt.length_scale(f)
    dims, edited = [], []
    for profile in profiles:
        if f.get_total_inverses(profile) > 1:  # shared: give the opening its own
            solid = next(s for s in f.get_inverse(profile) if s.is_a("IfcSweptAreaSolid"))
            profile = ifcopenshell.util.element.copy_deep(f, profile)
            solid.SweptArea = profile
        before = (profile.XDim * unit, profile.YDim * unit)
        if dims_m is None:
            sx, sy = (scale, scale) if isinstance(scale, int | float) else scale
            after = (before[0] * sx, before[1] * sy)
        else:
            after = (float(dims_m[0]), float(dims_m[1]))
        profile.XDim = round(after[0] / unit, rt.COORD_DECIMALS)
        profile.YDim = round(after[1] / unit, rt.COORD_DECIMALS)
        dims.append((before, after))
        edited.append(profile)
    old, new = dims[0]
    rev = Revision("resize_opening", Path(src), Path(dst))
    # Every product whose shape reaches an edited profile changed (another
    # opening sharing this one's representation too), and their hosts.
    users = {u.GlobalId: u for p in edited for u in rt.shape_users(f, p)}
    hosts = []
    for gid in sorted(users):
        rev.mark(gid, "geometry")
        for r in getattr(users[gid], "VoidsElements", None) or ():
            rev.mark(r.RelatingBuildingElement.GlobalId, "openings")
            hosts.append(r.RelatingBuildingElement.GlobalId)
    rev.detail = {
        "opening": opening_gid, "hosts": hosts, "old_dims_m": list(old), "new_dims_m": list(new),
        "profile_area_delta_m2": new[0] * new[1] - old[0] * old[1], "profiles": len(dims),
    }
    write_ifc(f, dst)
    return rev


def _find_profile(f: ifcopenshell.file, name_or_id: str | int):
    if isinstance(name_or_id, int):
        return f.by_id(name_or_id)
    found = [p for p in f.by_type("IfcProfileDef") if p.ProfileName == name_or_id]
    if len(found) != 1:
        raise RevisionError(f"{len(found)} profiles named {name_or_id!r} (need one)")
    return found[0]


def edit_shared_profile(
    src: Path | str, dst: Path | str, profile_name_or_id: str | int, **dims_m: float
) -> Revision:
    """Set length attributes (metres: ``XDim=0.5``...) of a profile that several
    elements' solids share: all of them change shape (openings' hosts too)."""
    f = open_ifc(src)
    profile = _find_profile(f, profile_name_or_id)
    unit = rt.length_scale(f)
    schema = ifcopenshell.ifcopenshell_wrapper.schema_by_name(f.schema)
    attributes = {
        a.name(): a for a in schema.declaration_by_name(profile.is_a()).all_attributes()
    }
    old = {}
    for name, value in sorted(dims_m.items()):
        if name not in attributes:
            raise RevisionError(f"{profile.is_a()} has no attribute {name!r}")
        if "LengthMeasure" not in str(attributes[name].type_of_attribute()):
            raise RevisionError(f"{profile.is_a()}.{name} is not a length")
        current = getattr(profile, name)
        old[name] = None if current is None else current * unit
        setattr(profile, name, round(value / unit, rt.COORD_DECIMALS))
    rev = Revision("edit_shared_profile", Path(src), Path(dst))
    users = rt.shape_users(f, profile)
    for p in users:
        rev.mark(p.GlobalId, "geometry")
        if p.is_a("IfcOpeningElement"):
            for r in p.VoidsElements or ():
                rev.mark(r.RelatingBuildingElement.GlobalId, "openings")
    rev.detail = {"profile": profile.id(), "profile_name": profile.ProfileName,
                  "old_m": old, "new_m": dict(sorted(dims_m.items())),
                  "users": [p.GlobalId for p in users]}
    write_ifc(f, dst)
    return rev


def share_profile(
    src: Path | str, dst: Path | str, global_ids: list[str], name: str
) -> Revision:
    """Preparation for :func:`edit_shared_profile`: the elements' single
    extruded profiles (identical ones) become one profile named ``name``. The
    geometry is unchanged, only the profile's name is new (``geometry``
    marked, since the representation text changes)."""
    f = open_ifc(src)
    fp = Fingerprinter(f)
    solids = []
    for gid in global_ids:
        e = rt.by_guid(f, gid)
        s = [x for x in f.traverse(e.Representation) if x.is_a("IfcSweptAreaSolid")]
        if len(s) != 1:
            raise RevisionError(f"{gid}: {len(s)} swept solids (need one)", path=src)
        solids.append(s[0])
    if len({fp.entity_hash(s.SweptArea) for s in solids}) != 1:
        raise RevisionError("the profiles differ; only identical ones can be shared", path=src)
    shared = solids[0].SweptArea
    shared.ProfileName = name
    for s in solids[1:]:
        s.SweptArea = shared
    rev = Revision("share_profile", Path(src), Path(dst), detail={"profile": shared.id()})
    for gid in global_ids:
        rev.mark(gid, "geometry")
    write_ifc(f, dst)
    return rev
