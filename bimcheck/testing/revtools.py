"""Low-level edits that :mod:`bimcheck.testing.revisions` builds revisions from.

Everything here works on an open ``ifcopenshell.file`` in place. Lengths
given in metres are converted to the file's length unit
(``length_scale`` = metres per file unit); world matrices are 4×4 numpy
arrays in **file units** unless a name says ``_m``.

New rooted entities get GlobalIds derived from a key (:func:`derived_guid`),
and owner histories are copied from the entity they belong to, never made
from the clock, so the same edit of the same file writes the same bytes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ifcopenshell
import ifcopenshell.guid
import ifcopenshell.util.element
import ifcopenshell.util.placement
import ifcopenshell.util.unit
import numpy as np

from bimcheck.errors import BimcheckError

#: Namespace of every GlobalId this module derives.
REVISION_NAMESPACE = uuid.UUID("5d1c3b9e-7f0a-4c55-9a51-2f4a1a7e0c14")

#: Decimals (of the file unit) kept for coordinates written by an edit, so
#: ``6.25 + 0.05`` is written as ``6.3``, not ``6.300000000000001``.
COORD_DECIMALS = 10


class RevisionError(BimcheckError):
    """A revision cannot be made as asked (unknown element, unsupported geometry...)."""


def derived_guid(key: str, seed: str = "") -> str:
    """GlobalId (22 characters) of ``uuid5(REVISION_NAMESPACE, seed + '/' + key)``."""
    return ifcopenshell.guid.compress(uuid.uuid5(REVISION_NAMESPACE, f"{seed}/{key}").hex)


def length_scale(f: ifcopenshell.file) -> float:
    """Metres per file length unit (1.0 for metres, 0.001 for millimetres)."""
    return float(ifcopenshell.util.unit.calculate_unit_scale(f))


def by_guid(f: ifcopenshell.file, global_id: str) -> ifcopenshell.entity_instance:
    try:
        return f.by_guid(global_id)
    except RuntimeError:
        raise RevisionError(f"no entity with GlobalId {global_id!r}") from None


def owner_history(entity: ifcopenshell.entity_instance) -> ifcopenshell.entity_instance | None:
    return getattr(entity, "OwnerHistory", None)


Vec3 = tuple[float, float, float]


@dataclass(frozen=True)
class PropertyEdit:
    """One property value changed: on ``global_id`` (an element, or a type
    whose occurrences inherit it), ``old`` None when the property is new."""

    global_id: str
    pset: str
    prop: str
    old: Any
    new: Any


@dataclass
class Revision:
    """What a revision function changed (see :mod:`bimcheck.testing.revisions`)."""

    kind: str
    src: Path
    dst: Path
    changes: dict[str, list[str]] = field(default_factory=dict)
    global_ids: dict[str, str] = field(default_factory=dict)   # old → new
    moved: dict[str, Vec3] = field(default_factory=dict)       # new GlobalId → metres
    properties: list[PropertyEdit] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)

    def mark(self, global_id: str, kind: str) -> None:
        kinds = self.changes.setdefault(global_id, [])
        if kind not in kinds:
            kinds.append(kind)
            kinds.sort()

    def as_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready and deterministic."""
        return {
            "kind": self.kind,
            "src": str(self.src),
            "dst": str(self.dst),
            "changes": {k: self.changes[k] for k in sorted(self.changes)},
            "global_ids": dict(sorted(self.global_ids.items())),
            "moved": {k: list(v) for k, v in sorted(self.moved.items())},
            "properties": [vars(p) for p in self.properties],
            "detail": self.detail,
        }


def open_ifc(src: Path | str) -> ifcopenshell.file:
    return ifcopenshell.open(str(src))


def write_ifc(f: ifcopenshell.file, dst: Path | str) -> Path:
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    f.write(str(dst))
    return dst


def record_moves(rev: Revision, before: dict, f: ifcopenshell.file, renamed=None) -> None:
    rev.moved = world_moves(before, world_matrices(f), length_scale(f), renamed)
    for gid in rev.moved:
        rev.mark(gid, "placement")


def find_entity(f: ifcopenshell.file, key: str, cls: str = "IfcProduct"):
    """An entity of ``cls`` by GlobalId, or by Name when unique."""
    try:
        e = f.by_guid(key)
        if e.is_a(cls):
            return e
    except RuntimeError:
        pass
    found = [e for e in f.by_type(cls) if getattr(e, "Name", None) == key]
    if len(found) != 1:
        raise RevisionError(f"{len(found)} {cls} named or identified {key!r} (need one)")
    return found[0]



# -- placements ----------------------------------------------------------------


def world_matrix(placement: ifcopenshell.entity_instance | None) -> np.ndarray:
    """World matrix (file units) of an object placement; identity for None."""
    if placement is None:
        return np.eye(4)
    return np.asarray(ifcopenshell.util.placement.get_local_placement(placement), dtype=float)


def world_matrices(f: ifcopenshell.file) -> dict[str, np.ndarray]:
    """GlobalId → world matrix (file units) of every IfcProduct with a local
    placement, each placement chain computed once."""
    memo: dict[int, np.ndarray] = {}

    def matrix(p: ifcopenshell.entity_instance | None) -> np.ndarray:
        if p is None:
            return np.eye(4)
        m = memo.get(p.id())
        if m is None:
            if p.is_a("IfcLocalPlacement"):
                local = np.asarray(
                    ifcopenshell.util.placement.get_axis2placement(p.RelativePlacement), dtype=float
                )
                m = matrix(p.PlacementRelTo) @ local
            else:  # grid or linear placements: let IfcOpenShell work it out
                m = world_matrix(p)
            memo[p.id()] = m
        return m

    return {
        e.GlobalId: matrix(e.ObjectPlacement)
        for e in f.by_type("IfcProduct")
        if getattr(e, "ObjectPlacement", None) is not None
    }


def world_moves(
    before: dict[str, np.ndarray], after: dict[str, np.ndarray], scale: float,
    renamed: dict[str, str] | None = None,
) -> dict[str, tuple[float, float, float]]:
    """New GlobalId → world translation in metres of every product whose world
    placement changed (translation or rotation) between two snapshots."""
    renamed = renamed or {}
    moves = {}
    for gid, old in before.items():
        new_gid = renamed.get(gid, gid)
        new = after.get(new_gid)
        if new is None:
            continue
        if np.allclose(old, new, rtol=0.0, atol=1e-12):
            continue
        d = (new[:3, 3] - old[:3, 3]) * scale
        moves[new_gid] = (_r(d[0]), _r(d[1]), _r(d[2]))
    return moves


def _r(x: float) -> float:
    v = round(float(x), 9)
    return 0.0 if v == 0 else v


def _point(f: ifcopenshell.file, xyz: Iterable[float]) -> ifcopenshell.entity_instance:
    coords = [round(float(c), COORD_DECIMALS) + 0.0 for c in xyz]
    return f.create_entity("IfcCartesianPoint", Coordinates=coords)


def _direction(f: ifcopenshell.file, xyz: Iterable[float]) -> ifcopenshell.entity_instance:
    return f.create_entity("IfcDirection", DirectionRatios=[round(float(c), 12) + 0.0 for c in xyz])


def set_world_matrix(
    f: ifcopenshell.file, product: ifcopenshell.entity_instance, target: np.ndarray
) -> None:
    """Give ``product`` the world matrix ``target`` (file units) by editing its
    own placement only (relative to the same parent placement). Placements
    relative to it (openings, fillings, parts) move with it. A placement
    shared with another product is not edited: the product gets its own."""
    placement = product.ObjectPlacement
    if placement is None or not placement.is_a("IfcLocalPlacement"):
        raise RevisionError(f"{product.GlobalId}: only an IfcLocalPlacement can be moved")
    old_a2p = placement.RelativePlacement
    if not old_a2p.is_a("IfcAxis2Placement3D"):
        raise RevisionError(f"{product.GlobalId}: only a 3D axis placement can be moved")
    local = np.linalg.inv(world_matrix(placement.PlacementRelTo)) @ target
    old_local = np.asarray(ifcopenshell.util.placement.get_axis2placement(old_a2p), dtype=float)
    location = _point(f, local[:3, 3])
    if np.allclose(local[:3, :3], old_local[:3, :3], atol=1e-9):
        axis, ref = old_a2p.Axis, old_a2p.RefDirection
    else:
        axis, ref = _direction(f, local[:3, 2]), _direction(f, local[:3, 0])
    a2p = f.create_entity("IfcAxis2Placement3D", Location=location, Axis=axis, RefDirection=ref)
    others = [
        e for e in f.get_inverse(placement)
        if e.is_a("IfcProduct") and e.ObjectPlacement == placement and e != product
    ]
    if others:
        product.ObjectPlacement = f.create_entity(
            "IfcLocalPlacement", PlacementRelTo=placement.PlacementRelTo, RelativePlacement=a2p
        )
    else:
        placement.RelativePlacement = a2p
    if f.get_total_inverses(old_a2p) == 0:
        ifcopenshell.util.element.remove_deep2(f, old_a2p)


def placement_depth(product: ifcopenshell.entity_instance) -> int:
    depth, p, seen = 0, product.ObjectPlacement, set()
    while p is not None and p.id() not in seen and p.is_a("IfcLocalPlacement"):
        seen.add(p.id())
        depth, p = depth + 1, p.PlacementRelTo
    return depth


def apply_world_targets(
    f: ifcopenshell.file, targets: dict[str, np.ndarray]
) -> None:
    """Set several products' world matrices (GlobalId → file-unit matrix),
    parents before children, so each ends where asked even when one is
    placed relative to another; a product already there is left alone."""
    products = [by_guid(f, g) for g in targets]
    for product in sorted(products, key=lambda p: (placement_depth(p), p.GlobalId)):
        target = targets[product.GlobalId]
        if not np.allclose(world_matrix(product.ObjectPlacement), target, rtol=0, atol=1e-12):
            set_world_matrix(f, product, target)


# -- representations -------------------------------------------------------------


#: Entities through which no product's shape refers to an item.
_NOT_SHAPE = ("IfcRoot", "IfcStyledItem", "IfcPresentationLayerAssignment")


def shape_users(
    f: ifcopenshell.file, item: ifcopenshell.entity_instance
) -> list[ifcopenshell.entity_instance]:
    """Every IfcProduct whose representation reaches ``item`` (a profile, a
    solid...), through mapped representations too (occurrences of a type's map)."""
    products: dict[int, ifcopenshell.entity_instance] = {}
    seen = {item.id()}
    stack = [item]
    while stack:
        e = stack.pop()
        for inv in f.get_inverse(e):
            if inv.id() in seen:
                continue
            seen.add(inv.id())
            if inv.is_a("IfcProduct"):
                if inv.Representation is not None and inv.Representation == e:
                    products[inv.id()] = inv
                continue
            if any(inv.is_a(c) for c in _NOT_SHAPE):
                continue  # types, relationships, styles: not a way into a product's shape
            stack.append(inv)
    return sorted(products.values(), key=lambda p: p.GlobalId)


def replace_references(
    f: ifcopenshell.file, old: ifcopenshell.entity_instance, new: ifcopenshell.entity_instance
) -> list[ifcopenshell.entity_instance]:
    """Point every entity that refers to ``old`` at ``new`` instead (attributes
    and lists of them); returns the entities changed."""
    changed = []
    for inv in f.get_inverse(old):
        for i, value in enumerate(inv):
            if value == old:
                inv[i] = new
            elif isinstance(value, tuple) and any(v == old for v in value):
                inv[i] = tuple(new if v == old else v for v in value)
            else:
                continue
            changed.append(inv)
    return changed
