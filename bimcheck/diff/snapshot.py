"""What the diff knows of each element of one model, independent of STEP ids.

:func:`snapshot` reads every ``IfcElement`` of a model (openings included)
once: identity (GlobalId, class, Name, Tag), the hash of its representation
graph (the shape without placement, :class:`~bimcheck.fingerprint.Fingerprinter`),
its world placement (4 × 4, metres) and the chain of relative placements it is
made of, its attributes, property and quantity sets (own and inherited from
the type, kept apart), type, container and storey, openings, materials and
classification references. Everything the matching and the comparison need
without geometry; meshes are asked for only where two states differ.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
from dataclasses import dataclass, field
from typing import Any

import ifcopenshell
import ifcopenshell.util.element
import numpy as np

from bimcheck.diff.values import ValueReader
from bimcheck.fingerprint import Fingerprinter
from bimcheck.forking import die_with_parent
from bimcheck.model import Model
from bimcheck.relations import get_classification_codes, get_material_names, get_storey

log = logging.getLogger(__name__)

#: Attributes that are identity, geometry or relationships, not compared as attributes.
_NOT_ATTRIBUTES = frozenset({"GlobalId", "OwnerHistory", "ObjectPlacement", "Representation",
                             "type", "id"})


@dataclass(frozen=True)
class Level:
    """One link of a placement chain: the product it places (GlobalId, or
    ``None``), its class, and its matrix relative to the next link up (metres)."""

    owner: str | None
    owner_class: str | None
    matrix: np.ndarray | None


@dataclass
class ElementState:
    """One element of one model, as the diff compares it. Lengths in metres."""

    global_id: str
    step_id: int
    ifc_class: str
    name: str | None
    tag: str | None
    #: Hash of the representation graph (shape without placement); ``None``: no representation.
    shape: str | None
    #: World placement, 4 × 4, translation in metres; ``None`` when not computable.
    placement: np.ndarray | None
    #: The placement chain, the element's own placement first.
    chain: tuple[Level, ...]
    attributes: dict[str, Any]
    #: ``{pset: {prop: value}}`` set on the occurrence itself.
    own_psets: dict[str, dict[str, Any]]
    #: ``{pset: {prop: value}}`` inherited from the type (overridden by own ones).
    type_psets: dict[str, dict[str, Any]]
    type: dict[str, Any] | None
    container: dict[str, Any] | None
    storey: str | None
    #: GlobalIds of the openings voiding the element.
    openings: tuple[str, ...]
    materials: tuple[str, ...]
    #: ``{material name: {pset: {prop: value}}}`` of the element's materials
    #: (their own property sets: mass density, strength class...).
    material_psets: dict[str, dict[str, dict[str, Any]]]
    classifications: tuple[str, ...]
    entity: ifcopenshell.entity_instance = field(repr=False)
    #: The matching's one-string form of its data (made when first needed).
    data_key: str | None = field(default=None, repr=False, compare=False)

    @property
    def psets(self) -> dict[str, dict[str, Any]]:
        """Effective property and quantity sets: the type's, overridden per
        property by the occurrence's."""
        merged = {k: dict(v) for k, v in self.type_psets.items()}
        for pset, props in self.own_psets.items():
            merged.setdefault(pset, {}).update(props)
        return merged

    @property
    def origin(self) -> np.ndarray | None:
        """World position of the placement origin (m), or ``None``."""
        return None if self.placement is None else self.placement[:3, 3]


@dataclass
class TypeState:
    """A type object: identity, property sets and the hash of its representation maps."""

    global_id: str
    ifc_class: str
    name: str | None
    psets: dict[str, dict[str, Any]]
    shape: str


@dataclass
class ModelSnapshot:
    """Every element of a model by GlobalId, its types and its spatial structure."""

    model: Model
    elements: dict[str, ElementState]
    types: dict[str, TypeState]
    #: Storeys (and other spatial elements) by GlobalId: name, elevation (m), world matrix.
    spatial: dict[str, dict[str, Any]]
    fingerprinter: Fingerprinter


class _Placements:
    """World and relative matrices of placements, metres, memoised by STEP id."""

    def __init__(self, length_scale: float) -> None:
        self.scale = float(length_scale)
        self._relative: dict[int, np.ndarray | None] = {}
        self._world: dict[int, np.ndarray | None] = {}

    def relative(self, placement: ifcopenshell.entity_instance) -> np.ndarray | None:
        pid = placement.id()
        if pid not in self._relative:
            self._relative[pid] = self._compute_relative(placement)
        return self._relative[pid]

    def _compute_relative(self, placement: ifcopenshell.entity_instance) -> np.ndarray | None:
        if not placement.is_a("IfcLocalPlacement"):
            return None
        rel = placement.RelativePlacement
        try:
            location = rel.Location
            coords = list(getattr(location, "Coordinates", None) or ())
            if len(coords) not in (2, 3):
                return None
            coords = [float(c) for c in coords] + [0.0] * (3 - len(coords))
            if rel.is_a("IfcAxis2Placement2D"):
                z = np.array([0.0, 0.0, 1.0])
                x = _direction(rel.RefDirection, (1.0, 0.0, 0.0))
            else:
                z = _direction(getattr(rel, "Axis", None), (0.0, 0.0, 1.0))
                x = _direction(getattr(rel, "RefDirection", None), (1.0, 0.0, 0.0))
        except (AttributeError, TypeError, ValueError):
            return None
        if z is None or x is None:
            return None
        x = x - np.dot(x, z) * z
        norm = float(np.linalg.norm(x))
        if norm < 1e-12:
            return None
        x = x / norm
        y = np.cross(z, x)
        m = np.eye(4)
        m[:3, 0], m[:3, 1], m[:3, 2] = x, y, z
        m[:3, 3] = np.array(coords) * self.scale
        return m

    def world(self, placement: ifcopenshell.entity_instance | None) -> np.ndarray | None:
        if placement is None:
            return np.eye(4)
        pid = placement.id()
        if pid in self._world:
            return self._world[pid]
        self._world[pid] = None  # cuts reference cycles in malformed files
        own = self.relative(placement)
        result = None
        if own is not None:
            parent = self.world(placement.PlacementRelTo)
            result = None if parent is None else parent @ own
        self._world[pid] = result
        return result

    def chain(self, placement: ifcopenshell.entity_instance | None) -> tuple[Level, ...]:
        levels: list[Level] = []
        seen: set[int] = set()
        while placement is not None and placement.id() not in seen and len(levels) < 64:
            seen.add(placement.id())
            owners = sorted(
                (p for p in (getattr(placement, "PlacesObject", None) or ())
                 if getattr(p, "GlobalId", None)), key=lambda p: p.GlobalId)
            owner = owners[0] if owners else None
            levels.append(Level(owner.GlobalId if owner else None,
                                owner.is_a() if owner else None, self.relative(placement)))
            placement = getattr(placement, "PlacementRelTo", None)
        return tuple(levels)


def _direction(entity: ifcopenshell.entity_instance | None,
               default: tuple[float, float, float]) -> np.ndarray | None:
    if entity is None:
        return np.array(default)
    ratios = [float(r) for r in entity.DirectionRatios]
    ratios += [0.0] * (3 - len(ratios))
    v = np.array(ratios[:3])
    n = float(np.linalg.norm(v))
    if not math.isfinite(n) or n < 1e-12:
        return None
    return v / n


def _plain(fp: Fingerprinter, value: Any) -> Any:
    if isinstance(value, ifcopenshell.entity_instance):
        if value.id() == 0:  # a typed value (IfcLabel...) wrapped in an entity
            return _plain(fp, value.wrappedValue)
        return f"<{value.is_a()} {fp.entity_hash(value).hex()[:12]}>"
    if isinstance(value, tuple | list):
        return [_plain(fp, v) for v in value]
    return value


def _type_state(fp: Fingerprinter, values: ValueReader,
                etype: ifcopenshell.entity_instance) -> TypeState:
    maps = getattr(etype, "RepresentationMaps", None) or ()
    shape = sorted(fp.entity_hash(m).hex() for m in maps)
    return TypeState(
        global_id=etype.GlobalId, ifc_class=etype.is_a(), name=etype.Name,
        psets=values.psets(etype), shape="|".join(shape),
    )


class _MaterialPsets:
    """The property sets of an element's materials, memoised per material."""

    def __init__(self) -> None:
        self._memo: dict[int, tuple[str, dict[str, dict[str, Any]]]] = {}

    def __call__(self, element: ifcopenshell.entity_instance) -> dict[str, dict[str, Any]]:
        try:
            materials = ifcopenshell.util.element.get_materials(element, should_inherit=True)
        except Exception:  # malformed material relationships: none readable
            return {}
        out: dict[str, dict[str, Any]] = {}
        for m in materials:
            if m.id() not in self._memo:
                try:
                    psets = ifcopenshell.util.element.get_psets(m)
                except Exception:
                    psets = {}
                clean = {str(k): {str(p): v for p, v in props.items() if p != "id"}
                         for k, props in psets.items()}
                self._memo[m.id()] = (str(getattr(m, "Name", None)), clean)
            name, psets = self._memo[m.id()]
            if psets:
                out[name] = psets
        return out


def hosts_of(opening: ifcopenshell.entity_instance) -> list[str]:
    """GlobalIds of the elements an opening voids, sorted."""
    return sorted(r.RelatingBuildingElement.GlobalId
                  for r in getattr(opening, "VoidsElements", None) or ()
                  if getattr(r.RelatingBuildingElement, "GlobalId", None))


def _storey_name(element: ifcopenshell.entity_instance) -> str | None:
    storey = get_storey(element)
    return storey.Name if storey is not None else None


def snapshot(model: Model, fingerprinter: Fingerprinter | None = None,
             scope: frozenset[str] | None = None) -> ModelSnapshot:
    """Read every ``IfcElement`` of ``model`` (see the module docstring), hashing
    with ``fingerprinter`` (its memo is shared) or a new one; with ``scope``
    (GlobalIds), only those elements and the openings that void them."""
    fp = fingerprinter or Fingerprinter(model.file, lambda: model.step_text, model.prehashed)
    places = _Placements(model.length_scale)
    values = ValueReader(model.file, lambda v: _plain(fp, v))
    material_psets = _MaterialPsets()
    types: dict[str, TypeState] = {}
    elements: dict[str, ElementState] = {}
    chosen = [e for e in sorted(model.file.by_type("IfcElement"), key=lambda e: e.id())
              if scope is None or e.GlobalId in scope or scope.intersection(hosts_of(e))]
    roots = [e.Representation.id() for e in chosen if getattr(e, "Representation", None)]
    roots += [m.id() for t in model.file.by_type("IfcTypeProduct")
              for m in (getattr(t, "RepresentationMaps", None) or ())]
    fp.prepare(roots)
    for entity in chosen:
        gid = entity.GlobalId
        if not gid or gid in elements:
            continue  # duplicate GlobalIds: the first one wins (health check HL005 says so)
        etype = ifcopenshell.util.element.get_type(entity)
        type_ref = None
        if etype is not None and getattr(etype, "GlobalId", None):
            if etype.GlobalId not in types:
                types[etype.GlobalId] = _type_state(fp, values, etype)
            type_ref = {"global_id": etype.GlobalId, "ifc_class": etype.is_a(),
                        "name": etype.Name}
        container = ifcopenshell.util.element.get_container(entity)
        own = values.psets(entity)
        inherited = types[etype.GlobalId].psets if type_ref else {}
        rep = getattr(entity, "Representation", None)
        attributes = values.attributes(entity, _NOT_ATTRIBUTES)
        openings = tuple(sorted(
            r.RelatedOpeningElement.GlobalId for r in (getattr(entity, "HasOpenings", None) or ())
            if getattr(r.RelatedOpeningElement, "GlobalId", None)))
        elements[gid] = ElementState(
            global_id=gid, step_id=entity.id(), ifc_class=entity.is_a(), name=entity.Name,
            tag=getattr(entity, "Tag", None),
            shape=fp.entity_hash(rep).hex() if rep is not None else None,
            placement=places.world(getattr(entity, "ObjectPlacement", None)),
            chain=places.chain(getattr(entity, "ObjectPlacement", None)),
            attributes=attributes, own_psets=own, type_psets=inherited, type=type_ref,
            container=({"global_id": container.GlobalId, "ifc_class": container.is_a(),
                        "name": container.Name} if container is not None else None),
            storey=_storey_name(entity), openings=openings,
            materials=get_material_names(entity),
            material_psets=material_psets(entity),
            classifications=get_classification_codes(entity), entity=entity,
        )
    spatial: dict[str, dict[str, Any]] = {}
    for entity in model.file.by_type("IfcSpatialStructureElement"):
        elevation = getattr(entity, "Elevation", None)
        spatial[entity.GlobalId] = {
            "name": entity.Name, "ifc_class": entity.is_a(),
            "elevation": None if elevation is None else float(elevation) * model.length_scale,
            "placement": places.world(getattr(entity, "ObjectPlacement", None)),
        }
    return ModelSnapshot(model=model, elements=elements, types=types, spatial=spatial,
                         fingerprinter=fp)


#: Fewest elements (both models) worth reading the two models in two processes.
_MIN_PARALLEL = 400

#: What the forked reader reads: (model, fingerprinter, scope).
_FORKED: tuple[Model, Fingerprinter | None, frozenset[str] | None] | None = None


def _forked_snapshot(_: int) -> tuple[ModelSnapshot, dict[int, bytes]]:
    assert _FORKED is not None
    model, fp, scope = _FORKED
    known = set(fp._memo) if fp is not None else set()
    snap = snapshot(model, fp, scope)
    for state in snap.elements.values():
        state.entity = None  # type: ignore[assignment]  # entities do not pickle
    snap.model = None  # type: ignore[assignment]
    memo = snap.fingerprinter._memo
    snap.fingerprinter = None  # type: ignore[assignment]
    # the hashes made here, so that the parent's fingerprinter (a takeoff of
    # the same run tessellating the new model next) does not make them again
    return snap, {k: v for k, v in memo.items() if k not in known}


def snapshot_pair(old: Model, new: Model, fingerprinters: tuple[Fingerprinter, Fingerprinter],
                  threads: int | None = None, scope: frozenset[str] | None = None,
                  ) -> tuple[ModelSnapshot, ModelSnapshot]:
    """Both snapshots (of the elements in ``scope``, if given); with two cores
    or more and large models, the new model is read in a forked process while
    this one reads the old (the states come back as plain data and get their
    entities again by STEP id)."""
    processes = min(threads or os.cpu_count() or 1, os.cpu_count() or 1)
    size = len(old.file.by_type("IfcElement")) + len(new.file.by_type("IfcElement"))
    if processes < 2 or size < _MIN_PARALLEL or not hasattr(os, "fork"):
        return (snapshot(old, fingerprinters[0], scope),
                snapshot(new, fingerprinters[1], scope))
    global _FORKED
    # The new model's helper digests are taken here, before the fork: the
    # forked reader inherits them (a forked process cannot wait for this
    # process's helper).
    fingerprinters[1].take_seed()
    _FORKED = (new, fingerprinters[1], scope)
    try:
        with multiprocessing.get_context("fork").Pool(1, die_with_parent, (os.getpid(),)) as pool:
            pending = pool.map_async(_forked_snapshot, [0])
            first = snapshot(old, fingerprinters[0], scope)
            ((second, memo),) = pending.get()
    finally:
        _FORKED = None
    fingerprinters[1]._memo.update(memo)
    second.model, second.fingerprinter = new, fingerprinters[1]
    for state in second.elements.values():
        state.entity = new.file.by_id(state.step_id)
    return first, second
