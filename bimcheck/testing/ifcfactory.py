"""Build small, deterministic IFC models in code with ``ifcopenshell.api``.

A :class:`ModelFactory` creates a project, a site, a building and storeys in a
chosen length unit, then adds elements whose solids are axis-aligned boxes
(:class:`Box`) or axis-aligned circular cylinders (:class:`Round`) given in
**world coordinates, in metres**, whatever the file's length unit: the factory
converts every length to file units (rounded to 9 decimals of the file unit so
that ``3.5 + 2.75`` is written as ``6.25``). Because the solids are this simple,
every volume, overlap and distance between them can be computed by hand, which
is what the samples' ground truth and the unit tests rely on.

Geometry written
    Each solid is one ``IfcExtrudedAreaSolid`` in a ``Body`` / ``SweptSolid``
    shape representation: an ``IfcRectangleProfileDef`` (boxes) or an
    ``IfcCircleProfileDef`` (rounds) extruded along the world X, Y or Z axis.
    The element's ``IfcLocalPlacement`` is a pure translation to the centre of
    the solid's start face (its face with the smallest coordinate along the
    extrusion axis), relative to the placement of its parent (storey, assembly,
    host element for openings, opening for fillings). The extrusion's own
    ``Position`` holds the rotation:

    ======  =============  ===============  ================  ===============
    axis    Axis           RefDirection     profile X / Y     Depth
    ======  =============  ===============  ================  ===============
    ``z``   (0, 0, 1)      (1, 0, 0)        world x / y       z extent
    ``x``   (1, 0, 0)      (0, 1, 0)        world y / z       x extent
    ``y``   (0, 1, 0)      (1, 0, 0)        world x / -z      y extent
    ======  =============  ===============  ================  ===============

    So for a box the extruded volume is always ``XDim * YDim * Depth`` (file
    units cubed).

Classes
    The class names are passed through to ``ifcopenshell.api.root.create_entity``.
    Use classes that exist in IFC4 *and* IFC4X3 (the two schemas the factory
    accepts; IFC4 is the default): ``IfcWall`` (not the IFC4-only
    ``IfcWallStandardCase``), ``IfcSlab``, ``IfcBeam``, ``IfcColumn``,
    ``IfcMember``, ``IfcPlate``, ``IfcDoor``, ``IfcWindow``, ``IfcDuctSegment``,
    ``IfcPipeSegment``, ``IfcCableCarrierSegment``, ``IfcElementAssembly``,
    ``IfcBuildingElementProxy``, ``IfcOpeningElement``; types ``IfcWallType``,
    ``IfcColumnType``, ``IfcBeamType``... IFC2X3 is not supported (its MEP
    segments are ``IfcFlowSegment`` and owner histories are mandatory).

Determinism
    Every rooted entity gets a GlobalId derived from a stable key with
    :func:`deterministic_guid` (products: ``key`` argument, default their
    name; property sets: pset name plus the GlobalIds of what they define;
    relationships: their content, see :meth:`ModelFactory.finish`). Lists
    inside relationships, which ``ifcopenshell.api`` fills from Python sets, are
    sorted by STEP id. No ``IfcOwnerHistory`` is written (optional in IFC4) and
    the header carries :data:`FIXED_TIMESTAMP`, so building the same model twice
    writes byte-identical files.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import ifcopenshell
import ifcopenshell.api.aggregate
import ifcopenshell.api.classification
import ifcopenshell.api.context
import ifcopenshell.api.feature
import ifcopenshell.api.geometry
import ifcopenshell.api.material
import ifcopenshell.api.project
import ifcopenshell.api.pset
import ifcopenshell.api.root
import ifcopenshell.api.spatial
import ifcopenshell.api.type
import ifcopenshell.api.unit
import ifcopenshell.guid

#: A point or vector in world coordinates, metres.
Vec3 = tuple[float, float, float]

#: World axis along which a solid is extruded.
Axis = Literal["x", "y", "z"]

#: Length units the factory can write: SI metre, SI millimetre (MILLI prefix),
#: international foot (``IfcConversionBasedUnit`` "foot", 0.3048 m).
LengthUnit = Literal["m", "mm", "ft"]

#: Schemas the factory writes.
SUPPORTED_SCHEMAS: tuple[str, ...] = ("IFC4", "IFC4X3")

#: Namespace of the name-based UUIDs (RFC 4122 version 5) behind every GlobalId.
GUID_NAMESPACE: uuid.UUID = uuid.UUID("6f0c3b57-2d1e-5c55-9a0e-8d2b7c1e4a10")

#: Timestamp written into every file's header (ISO 8601), so re-runs are identical.
FIXED_TIMESTAMP: str = "2024-01-01T00:00:00"

#: File length units per metre, and metres per file length unit.
_UNITS_PER_METRE: dict[str, float] = {"m": 1.0, "mm": 1000.0, "ft": 1.0 / 0.3048}
_METRES_PER_UNIT: dict[str, float] = {"m": 1.0, "mm": 0.001, "ft": 0.3048}

#: Decimal places (of the file unit) to which written lengths are rounded.
_DECIMALS = 9

#: Extrusion placement per axis: (Axis, RefDirection).
_AXES: dict[str, tuple[Vec3, Vec3]] = {
    "z": ((0.0, 0.0, 1.0), (1.0, 0.0, 0.0)),
    "x": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
    "y": ((0.0, 1.0, 0.0), (1.0, 0.0, 0.0)),
}
_AXIS_INDEX: dict[str, int] = {"x": 0, "y": 1, "z": 2}


def deterministic_guid(key: str, namespace: uuid.UUID = GUID_NAMESPACE) -> str:
    """The IFC GlobalId (22 characters) of ``uuid5(namespace, key)``."""
    return ifcopenshell.guid.compress(uuid.uuid5(namespace, key).hex)


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in world coordinates, metres: ``lo`` ≤ ``hi`` on every axis."""

    lo: Vec3
    hi: Vec3

    def __post_init__(self) -> None:
        if any(h <= low for low, h in zip(self.lo, self.hi, strict=True)):
            raise ValueError(f"Box needs lo < hi on every axis, got {self.lo} .. {self.hi}")

    @property
    def size(self) -> Vec3:
        """Extents along x, y, z, metres."""
        return (self.hi[0] - self.lo[0], self.hi[1] - self.lo[1], self.hi[2] - self.lo[2])

    @property
    def volume(self) -> float:
        """Volume, cubic metres."""
        sx, sy, sz = self.size
        return sx * sy * sz


@dataclass(frozen=True)
class Round:
    """An axis-aligned circular cylinder, world coordinates, metres.

    ``start`` and ``end`` are the centres of its two end faces and differ in
    exactly one coordinate (the axis); ``radius`` is in metres.
    """

    start: Vec3
    end: Vec3
    radius: float

    def __post_init__(self) -> None:
        differing = [i for i in range(3) if self.start[i] != self.end[i]]
        if len(differing) != 1:
            raise ValueError(f"Round must be axis-aligned: {self.start} -> {self.end}")
        if self.radius <= 0:
            raise ValueError(f"Round needs a positive radius, got {self.radius}")

    @property
    def axis(self) -> Axis:
        """The world axis the cylinder runs along."""
        i = next(i for i in range(3) if self.start[i] != self.end[i])
        return ("x", "y", "z")[i]  # type: ignore[return-value]

    @property
    def length(self) -> float:
        """Length along the axis, metres."""
        i = _AXIS_INDEX[self.axis]
        return abs(self.end[i] - self.start[i])

    @property
    def volume(self) -> float:
        """Exact volume π r² L, cubic metres (a tessellated mesh is slightly smaller)."""
        return math.pi * self.radius**2 * self.length


Shape = Box | Round


class ModelFactory:
    """Builds one IFC model: spatial structure, elements, data; then :meth:`write`.

    ``length_unit`` is the file's length unit (``"m"``, ``"mm"`` or ``"ft"``);
    every length given to the factory's methods is in metres regardless.
    Area and volume units are square and cubic metres (square and cubic feet
    for ``"ft"``). ``guid_namespace`` changes every GlobalId at once.
    """

    def __init__(
        self,
        *,
        project_name: str = "Project",
        length_unit: LengthUnit = "m",
        schema: str = "IFC4",
        site_name: str = "Site",
        building_name: str = "Building",
        guid_namespace: uuid.UUID = GUID_NAMESPACE,
    ) -> None:
        if schema not in SUPPORTED_SCHEMAS:
            raise ValueError(f"schema must be one of {SUPPORTED_SCHEMAS}, got {schema!r}")
        if length_unit not in _UNITS_PER_METRE:
            raise ValueError(f"length_unit must be one of {tuple(_UNITS_PER_METRE)}")
        self.length_unit: LengthUnit = length_unit
        self.metres_per_unit: float = _METRES_PER_UNIT[length_unit]
        self.guid_namespace = guid_namespace
        self.file: ifcopenshell.file = ifcopenshell.api.project.create_file(version=schema)
        self._keys: dict[str, str] = {}  # GlobalId -> key, to refuse two elements with one key
        self._named: set[int] = set()  # STEP ids of rooted entities with a deterministic GlobalId
        self._origin: dict[int, Vec3] = {}  # STEP id -> placement origin, world, file units
        self._materials: dict[str, ifcopenshell.entity_instance] = {}
        self._classifications: dict[str, ifcopenshell.entity_instance] = {}
        self._finished = False

        self.project = self._root("IfcProject", project_name, key=f"project:{project_name}")
        self._assign_units()
        model = ifcopenshell.api.context.add_context(self.file, context_type="Model")
        self.body = ifcopenshell.api.context.add_context(
            self.file,
            context_type="Model",
            context_identifier="Body",
            target_view="MODEL_VIEW",
            parent=model,
        )
        self.site = self._root("IfcSite", site_name, key=f"site:{site_name}")
        ifcopenshell.api.aggregate.assign_object(
            self.file, products=[self.site], relating_object=self.project
        )
        self._place(self.site, None, (0.0, 0.0, 0.0))
        self.building = self._root("IfcBuilding", building_name, key=f"building:{building_name}")
        ifcopenshell.api.aggregate.assign_object(
            self.file, products=[self.building], relating_object=self.site
        )
        self._place(self.building, self.site, (0.0, 0.0, 0.0))

    # -- units ------------------------------------------------------------------------------

    def to_file_units(self, metres: float) -> float:
        """A length in metres expressed in the file's length unit (rounded, see module doc)."""
        value = round(metres * _UNITS_PER_METRE[self.length_unit], _DECIMALS)
        return value + 0.0  # no -0.0 in the file

    def _assign_units(self) -> None:
        f = self.file
        if self.length_unit == "ft":
            units = [
                ifcopenshell.api.unit.add_conversion_based_unit(f, name=name)
                for name in ("foot", "square foot", "cubic foot")
            ]
        else:
            prefix = "MILLI" if self.length_unit == "mm" else None
            units = [
                ifcopenshell.api.unit.add_si_unit(f, unit_type="LENGTHUNIT", prefix=prefix),
                ifcopenshell.api.unit.add_si_unit(f, unit_type="AREAUNIT"),
                ifcopenshell.api.unit.add_si_unit(f, unit_type="VOLUMEUNIT"),
            ]
        units.append(ifcopenshell.api.unit.add_si_unit(f, unit_type="PLANEANGLEUNIT"))
        ifcopenshell.api.unit.assign_unit(f, units=units)

    # -- spatial structure ------------------------------------------------------------------

    def add_storey(self, name: str, elevation: float, *, key: str | None = None):
        """An ``IfcBuildingStorey`` at ``elevation`` metres, in the building."""
        storey = self._root("IfcBuildingStorey", name, key=key or f"storey:{name}")
        storey.Elevation = self.to_file_units(elevation)
        ifcopenshell.api.aggregate.assign_object(
            self.file, products=[storey], relating_object=self.building
        )
        self._place(storey, self.building, (0.0, 0.0, elevation))
        return storey

    # -- elements ---------------------------------------------------------------------------

    def add_element(
        self,
        ifc_class: str,
        name: str,
        *,
        shape: Shape | None = None,
        storey: ifcopenshell.entity_instance | None = None,
        part_of: ifcopenshell.entity_instance | None = None,
        axis: Axis = "z",
        origin: Vec3 | None = None,
        predefined_type: str | None = None,
        key: str | None = None,
    ) -> ifcopenshell.entity_instance:
        """An element contained in ``storey`` or aggregated into ``part_of`` (exactly one).

        ``shape`` is its Body solid in world metres (``None``: no representation;
        the placement is then at ``origin``, default the parent's origin).
        ``axis`` is the extrusion axis of a :class:`Box` (a :class:`Round`
        knows its own). ``key`` (default ``name``) determines the GlobalId, so
        give copies of one element different keys.
        """
        if (storey is None) == (part_of is None):
            raise ValueError(f"{name}: give exactly one of storey= or part_of=")
        element = self._root(ifc_class, name, key=key or name, predefined_type=predefined_type)
        if storey is not None:
            ifcopenshell.api.spatial.assign_container(
                self.file, products=[element], relating_structure=storey
            )
            parent = storey
        else:
            ifcopenshell.api.aggregate.assign_object(
                self.file, products=[element], relating_object=part_of
            )
            parent = part_of
        self._give_shape(element, parent, shape, axis, origin)
        return element

    def add_opening(
        self,
        name: str,
        *,
        host: ifcopenshell.entity_instance,
        shape: Box,
        axis: Axis = "z",
        key: str | None = None,
    ) -> ifcopenshell.entity_instance:
        """An ``IfcOpeningElement`` (OPENING) voiding ``host``; placed relative to the host.

        Make the opening box reach beyond the host's faces where it cuts
        through, so the boolean has no coplanar faces.
        """
        opening = self._root("IfcOpeningElement", name, key=key or name, predefined_type="OPENING")
        # add_feature first: it only re-places features that already have a placement.
        ifcopenshell.api.feature.add_feature(self.file, feature=opening, element=host)
        self._give_shape(opening, host, shape, axis, None)
        return opening

    def add_filling(
        self,
        ifc_class: str,
        name: str,
        *,
        opening: ifcopenshell.entity_instance,
        storey: ifcopenshell.entity_instance,
        shape: Box,
        axis: Axis = "z",
        predefined_type: str | None = None,
        key: str | None = None,
    ) -> ifcopenshell.entity_instance:
        """A door or window (``ifc_class``) filling ``opening``, contained in ``storey``.

        It is placed relative to the opening. ``OverallHeight`` / ``OverallWidth``
        (where the class has them) are set from the box: its z extent and its
        larger horizontal extent.
        """
        element = self._root(ifc_class, name, key=key or name, predefined_type=predefined_type)
        ifcopenshell.api.spatial.assign_container(
            self.file, products=[element], relating_structure=storey
        )
        ifcopenshell.api.feature.add_filling(self.file, opening=opening, element=element)
        self._give_shape(element, opening, shape, axis, None)
        if hasattr(element, "OverallHeight"):
            sx, sy, sz = shape.size
            element.OverallHeight = self.to_file_units(sz)
            element.OverallWidth = self.to_file_units(max(sx, sy))
        return element

    # -- types, data, materials, classification ---------------------------------------------

    def add_type(
        self,
        ifc_class: str,
        name: str,
        *,
        predefined_type: str | None = None,
        key: str | None = None,
    ) -> ifcopenshell.entity_instance:
        """A type object (e.g. ``IfcWallType``) without representation maps."""
        return self._root(
            ifc_class, name, key=key or f"type:{name}", predefined_type=predefined_type
        )

    def assign_type(
        self, element: ifcopenshell.entity_instance, type_object: ifcopenshell.entity_instance
    ) -> None:
        """Type ``element`` by ``type_object`` (``IfcRelDefinesByType``)."""
        ifcopenshell.api.type.assign_type(
            self.file, related_objects=[element], relating_type=type_object
        )

    def add_pset(
        self,
        element: ifcopenshell.entity_instance,
        name: str,
        properties: Mapping[str, Any],
    ) -> ifcopenshell.entity_instance:
        """A property set on ``element`` (or on a type) with single values."""
        pset = ifcopenshell.api.pset.add_pset(self.file, product=element, name=name)
        ifcopenshell.api.pset.edit_pset(self.file, pset=pset, properties=dict(properties))
        return pset

    def material(self, name: str, category: str | None = None) -> ifcopenshell.entity_instance:
        """The ``IfcMaterial`` called ``name``, created on first use."""
        if name not in self._materials:
            self._materials[name] = ifcopenshell.api.material.add_material(
                self.file, name=name, category=category
            )
        return self._materials[name]

    def assign_material(self, element: ifcopenshell.entity_instance, name: str) -> None:
        """Associate the single material ``name`` with ``element``."""
        ifcopenshell.api.material.assign_material(
            self.file, products=[element], type="IfcMaterial", material=self.material(name)
        )

    def add_layer_set(
        self, name: str, layers: Iterable[tuple[str, float]]
    ) -> ifcopenshell.entity_instance:
        """An ``IfcMaterialLayerSet`` of (material name, thickness in metres) layers."""
        layer_set = ifcopenshell.api.material.add_material_set(
            self.file, name=name, set_type="IfcMaterialLayerSet"
        )
        for material_name, thickness in layers:
            layer = ifcopenshell.api.material.add_layer(
                self.file, layer_set=layer_set, material=self.material(material_name)
            )
            ifcopenshell.api.material.edit_layer(
                self.file, layer=layer, attributes={"LayerThickness": self.to_file_units(thickness)}
            )
        return layer_set

    def assign_layer_set(
        self, element: ifcopenshell.entity_instance, layer_set: ifcopenshell.entity_instance
    ) -> None:
        """Associate ``layer_set`` with ``element`` through an ``IfcMaterialLayerSetUsage``."""
        ifcopenshell.api.material.assign_material(
            self.file, products=[element], type="IfcMaterialLayerSetUsage", material=layer_set
        )

    def add_classification_reference(
        self,
        element: ifcopenshell.entity_instance,
        *,
        system: str,
        identification: str,
        name: str | None = None,
    ) -> ifcopenshell.entity_instance:
        """Reference ``identification`` of classification ``system`` (e.g. "Uniclass 2015")."""
        if system not in self._classifications:
            self._classifications[system] = ifcopenshell.api.classification.add_classification(
                self.file, classification=system
            )
        return ifcopenshell.api.classification.add_reference(
            self.file,
            products=[element],
            identification=identification,
            name=name,
            classification=self._classifications[system],
        )

    # -- output -----------------------------------------------------------------------------

    def finish(self) -> ifcopenshell.file:
        """Make the file deterministic (idempotent); returns it. :meth:`write` calls this.

        1. Entity lists in relationships and the unit assignment are sorted by
           STEP id (``ifcopenshell.api`` builds them from Python sets).
        2. Property sets get ``uuid5("pset:<name>:<GlobalIds defined>")``.
        3. Every other rooted entity still holding a random GlobalId (the
           relationships made by the api) gets ``uuid5`` of its class and the
           single-valued entity attributes (GlobalIds of rooted ones, string
           attributes of the rest); where two relationships would collide, of
           their whole content. Numbers never enter a key, so the same model
           in metres and in millimetres has the same GlobalIds.
        4. The header gets :data:`FIXED_TIMESTAMP` and fixed names.
        """
        if self._finished:
            return self.file
        for entity in [
            *self.file.by_type("IfcRelationship"),
            *self.file.by_type("IfcUnitAssignment"),
        ]:
            for i in range(len(entity)):
                value = entity[i]
                if (
                    isinstance(value, tuple)
                    and len(value) > 1
                    and all(isinstance(v, ifcopenshell.entity_instance) for v in value)
                ):
                    setattr(entity, entity.attribute_name(i), sorted(value, key=lambda e: e.id()))

        for pset in self.file.by_type("IfcPropertySetDefinition"):
            if pset.id() in self._named:
                continue
            owners = [
                o.GlobalId
                for rel in getattr(pset, "DefinesOccurrence", ())
                for o in rel.RelatedObjects
            ]
            owners += [t.GlobalId for t in getattr(pset, "DefinesType", ())]
            self._set_guid(pset, f"pset:{pset.Name}:{','.join(sorted(owners))}")

        pending = [e for e in self.file.by_type("IfcRoot") if e.id() not in self._named]
        short = {e.id(): self._content_key(e, whole=False) for e in pending}
        counts: dict[str, int] = {}
        for k in short.values():
            counts[k] = counts.get(k, 0) + 1
        for e in pending:
            key = short[e.id()] if counts[short[e.id()]] == 1 else self._content_key(e, whole=True)
            self._set_guid(e, key)

        header = self.file.header
        header.file_name.time_stamp = FIXED_TIMESTAMP
        header.file_name.author = ("bimcheck",)
        header.file_name.organization = ("bimcheck",)
        header.file_name.preprocessor_version = "IfcOpenShell"
        header.file_name.originating_system = "bimcheck.testing.ifcfactory"
        header.file_name.authorization = "none"
        self._finished = True
        return self.file

    def write(self, path: str | Path) -> Path:
        """Finish and write the STEP file to ``path``; the header names the file."""
        path = Path(path)
        self.finish()
        self.file.header.file_name.name = path.name
        self.file.write(str(path))
        return path

    # -- internals --------------------------------------------------------------------------

    def _root(
        self, ifc_class: str, name: str, *, key: str, predefined_type: str | None = None
    ) -> ifcopenshell.entity_instance:
        if self._finished:
            raise ValueError("the model is finished; build a new ModelFactory")
        entity = ifcopenshell.api.root.create_entity(
            self.file, ifc_class=ifc_class, name=name, predefined_type=predefined_type
        )
        self._set_guid(entity, key)
        return entity

    def _set_guid(self, entity: ifcopenshell.entity_instance, key: str) -> None:
        guid = deterministic_guid(key, self.guid_namespace)
        if guid in self._keys:
            raise ValueError(f"two entities with the GlobalId key {key!r}; pass a distinct key=")
        self._keys[guid] = key
        entity.GlobalId = guid
        self._named.add(entity.id())

    def _content_key(self, entity: ifcopenshell.entity_instance, *, whole: bool) -> str:
        parts = [entity.is_a()]
        for i in range(2, len(entity)):  # skip GlobalId, OwnerHistory
            value = entity[i]
            if whole or isinstance(value, ifcopenshell.entity_instance):
                parts.append(f"{entity.attribute_name(i)}={_describe(value)}")
        return "rel:" + ";".join(parts)

    def _place(
        self,
        product: ifcopenshell.entity_instance,
        parent: ifcopenshell.entity_instance | None,
        origin: Vec3,
    ) -> None:
        world = tuple(self.to_file_units(c) for c in origin)
        base = self._origin[parent.id()] if parent is not None else (0.0, 0.0, 0.0)
        local = [round(w - b, _DECIMALS) + 0.0 for w, b in zip(world, base, strict=True)]
        f = self.file
        product.ObjectPlacement = f.createIfcLocalPlacement(
            parent.ObjectPlacement if parent is not None else None,
            f.createIfcAxis2Placement3D(f.createIfcCartesianPoint(local), None, None),
        )
        self._origin[product.id()] = world  # type: ignore[assignment]

    def _give_shape(
        self,
        element: ifcopenshell.entity_instance,
        parent: ifcopenshell.entity_instance,
        shape: Shape | None,
        axis: Axis,
        origin: Vec3 | None,
    ) -> None:
        f = self.file
        if shape is None:
            self._place(element, parent, origin or _world_of(self, parent))
            return
        if isinstance(shape, Round):
            axis = shape.axis
            i = _AXIS_INDEX[axis]
            start = list(shape.start)
            start[i] = min(shape.start[i], shape.end[i])
            profile = f.create_entity(
                "IfcCircleProfileDef", ProfileType="AREA", Radius=self.to_file_units(shape.radius)
            )
            depth = shape.length
            face_centre: Vec3 = (start[0], start[1], start[2])
        else:
            i = _AXIS_INDEX[axis]
            sx, sy, sz = shape.size
            dims = {"z": (sx, sy), "x": (sy, sz), "y": (sx, sz)}[axis]
            profile = f.create_entity(
                "IfcRectangleProfileDef",
                ProfileType="AREA",
                XDim=self.to_file_units(dims[0]),
                YDim=self.to_file_units(dims[1]),
            )
            depth = shape.size[i]
            centre = [(lo + hi) / 2 for lo, hi in zip(shape.lo, shape.hi, strict=True)]
            centre[i] = shape.lo[i]
            face_centre = (centre[0], centre[1], centre[2])
        direction, ref = _AXES[axis]
        solid = f.create_entity(
            "IfcExtrudedAreaSolid",
            SweptArea=profile,
            Position=f.createIfcAxis2Placement3D(
                f.createIfcCartesianPoint((0.0, 0.0, 0.0)),
                f.createIfcDirection(direction),
                f.createIfcDirection(ref),
            ),
            ExtrudedDirection=f.createIfcDirection((0.0, 0.0, 1.0)),
            Depth=self.to_file_units(depth),
        )
        representation = f.createIfcShapeRepresentation(self.body, "Body", "SweptSolid", [solid])
        self._place(element, parent, face_centre)
        ifcopenshell.api.geometry.assign_representation(
            f, product=element, representation=representation
        )


def _world_of(factory: ModelFactory, product: ifcopenshell.entity_instance) -> Vec3:
    """World origin of ``product``'s placement, metres."""
    x, y, z = factory._origin[product.id()]
    m = factory.metres_per_unit
    return (x * m, y * m, z * m)


def _describe(value: Any) -> str:
    """A unit-independent text for a GlobalId key: GlobalIds, strings and structure."""
    if isinstance(value, ifcopenshell.entity_instance):
        if value.is_a("IfcRoot"):
            return f"{value.is_a()}:{value.GlobalId}"
        inner = [
            _describe(v) for v in value if isinstance(v, str | tuple | ifcopenshell.entity_instance)
        ]
        return f"{value.is_a()}({','.join(inner)})"
    if isinstance(value, tuple):
        return "[" + ",".join(sorted(_describe(v) for v in value)) + "]"
    if isinstance(value, str):
        return repr(value)
    return ""
