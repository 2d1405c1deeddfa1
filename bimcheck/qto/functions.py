"""Quantity functions: pure, registered by name with a unit and a one-line description.

A function takes a :class:`Measure` (an element with its net and gross
meshes, its placement and, for an opening, its host) and the parameters a
measurement rule gives it, and returns a number in its unit, or ``None``
when the quantity does not apply (no mesh, not a solid, no such attribute).
The meshes come from the cached tessellation; the measures are vectorised
(:mod:`bimcheck.qto.shape`).

Definitions follow the IFC base quantities where they define one, and are
independent of which local axis an element was modelled along:

* side areas (walls) are the elevation seen across the wall's thickness;
* length is the extent along the element's longest axis, thickness (width)
  along its shortest one, of its own placement axes;
* outer surface area leaves out the two end faces, whatever the axis;
* perimeter is the outer boundary of the footprint only, holes left out;
* an opening's depth is its host's thickness, not the opening solid's;
* a door's or window's area is its overall width × overall height.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import ifcopenshell
import ifcopenshell.util.element
import numpy as np
import shapely

from bimcheck.errors import GeometryError
from bimcheck.geometry import query
from bimcheck.geometry.mesh import Mesh
from bimcheck.model import Model
from bimcheck.qto import axes, shape
from bimcheck.relations import get_psets_safely

_UP = np.array([0.0, 0.0, 1.0])


@dataclass(frozen=True, eq=False)
class Measure:
    """One element as the quantity functions see it. Lengths in metres.

    Compared and hashed by identity: a host and its openings refer to each other.
    """

    element: ifcopenshell.entity_instance
    #: The model the element belongs to (kept alive with it: IfcOpenShell
    #: entities do not keep their file alive).
    model: Model
    #: World mesh with openings subtracted (``None``: no body).
    net: Mesh | None
    #: World mesh without opening subtraction (``None``: no body).
    gross: Mesh | None
    #: The element's placement, a 4×4 world matrix in metres (``None``: unknown).
    frame: np.ndarray | None = None
    #: For an opening: the element it voids.
    host: Measure | None = None
    #: For a voided element: its openings' measures (filled in by
    #: :func:`~bimcheck.qto.measure.measure_elements`), sorted by GlobalId.
    openings: list[Measure] = field(default_factory=list)
    #: Memo for derived values shared by several quantities (deductions).
    memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def length_scale(self) -> float:
        """Metres per file length unit."""
        return self.model.length_scale


@dataclass(frozen=True)
class QuantityFunction:
    """A registered quantity function."""

    name: str
    unit: str
    description: str
    fn: Callable[[Measure, Mapping[str, Any]], float | None]
    #: Why the function returns ``None``, for the takeoff's skipped list.
    missing: str = "the element has no body to measure"
    #: Which geometry the value comes from, for the provenance: ``net``
    #: (openings subtracted), ``gross`` (none subtracted), ``deducted`` (only
    #: the openings the rule's thresholds deduct), ``host`` (an opening
    #: measured against its host) or ``attributes`` (no geometry).
    geometry: str = "net"
    #: The parameter names a rule may give it.
    accepts: tuple[str, ...] = ()

    def __call__(self, measure: Measure, params: Mapping[str, Any] | None = None) -> float | None:
        return self.fn(measure, params or {})


#: Every quantity function, by name.
FUNCTIONS: dict[str, QuantityFunction] = {}


#: The geometries a quantity function may declare (see :attr:`QuantityFunction.geometry`).
GEOMETRIES = ("net", "gross", "deducted", "host", "attributes")


def quantity(
    name: str, unit: str, description: str, *, missing: str | None = None,
    geometry: str = "net", accepts: tuple[str, ...] = (),
) -> Callable[[Callable[[Measure, Mapping[str, Any]], float | None]], QuantityFunction]:
    """Register the decorated function as quantity ``name`` in ``unit``;
    ``missing`` says why it may return ``None``, ``geometry`` which of the
    element's geometries the value comes from (:data:`GEOMETRIES`), ``accepts``
    the parameter names a rule may pass."""
    if geometry not in GEOMETRIES:
        raise ValueError(f"geometry {geometry!r} is not one of {GEOMETRIES}")

    def register(fn: Callable[[Measure, Mapping[str, Any]], float | None]) -> QuantityFunction:
        if name in FUNCTIONS:
            raise ValueError(f"quantity function {name!r} registered twice")
        kwargs = {} if missing is None else {"missing": missing}
        FUNCTIONS[name] = QuantityFunction(name, unit, description, fn, geometry=geometry,
                                           accepts=tuple(accepts), **kwargs)
        return FUNCTIONS[name]

    return register


def _body(m: Measure) -> Mesh | None:
    """The gross mesh, else the net one: extents and outlines of the whole element."""
    return m.gross if m.gross is not None else m.net


# -- volumes -------------------------------------------------------------------------


def _volume(mesh: Mesh | None) -> float | None:
    if mesh is None or len(mesh.faces) == 0:
        return None
    try:
        return query.solid_volume(mesh)
    except GeometryError:
        return None  # not a solid: no volume to measure


@quantity("net_volume", "m3", "volume with openings subtracted",
          missing="no closed body to measure a volume of")
def net_volume(m: Measure, params: Mapping[str, Any]) -> float | None:
    return _volume(m.net)


@quantity("gross_volume", "m3", "volume without opening subtraction",
          missing="no closed body to measure a volume of", geometry="gross")
def gross_volume(m: Measure, params: Mapping[str, Any]) -> float | None:
    return _volume(m.gross)


# -- walls: elevation on the middle plane ---------------------------------------------


def _wall_axes(m: Measure, mesh: Mesh) -> tuple[np.ndarray, np.ndarray]:
    """(length direction, thickness direction) of a wall (or footing), both
    horizontal unit vectors: along its Axis representation (an
    ``IfcWallStandardCase``: its placement's x), else along the longest of
    its horizontal own axes (memoised)."""
    if "wall_axes" not in m.memo:
        along = None if m.element is None else axes.wall_axis_direction(m.element, m.frame)
        if along is None:
            along = _longest_horizontal(mesh, m.frame)
        m.memo["wall_axes"] = (along, np.cross(_UP, along))
    return m.memo["wall_axes"]


def _longest_horizontal(mesh: Mesh, frame: np.ndarray | None) -> np.ndarray:
    """Along the longest horizontal own axis; without a placement (an
    ``IfcLinearPlacement``), along the long side of the smallest rectangle
    around the plan (a cube's side, not its diagonal)."""
    if frame is None:
        hull = shapely.MultiPoint(np.asarray(mesh.vertices)[:, :2]).convex_hull
        if hull.geom_type == "Polygon":
            corners = np.asarray(hull.minimum_rotated_rectangle.exterior.coords)[:3]
            sides = [corners[1] - corners[0], corners[2] - corners[1]]
            side = max(sides, key=lambda e: float(np.hypot(*e)))
            direction = np.array([side[0], side[1], 0.0])
            return direction / np.linalg.norm(direction)
    horizontal = []
    for axis in shape.frame_axes(mesh, frame):
        flat = axis - (axis @ _UP) * _UP
        n = np.linalg.norm(flat)
        if n > 1e-6:
            horizontal.append(flat / n)
    if not horizontal:
        raise GeometryError("the element has no horizontal axis")
    return max(horizontal, key=lambda a: shape.extent(mesh, a))


def _middle(m: Measure) -> tuple[np.ndarray, float] | None:
    """A wall's thickness direction and the position of its middle plane along
    it (from the whole body, so net and gross are cut by the same plane)."""
    body = _body(m)
    if body is None or len(body.faces) == 0:
        return None
    _, across = _wall_axes(m, body)
    d = body.vertices @ across
    return across, 0.5 * (float(d.min()) + float(d.max()))


def _side_area(mesh: Mesh | None, m: Measure) -> float | None:
    """Area (m²) of the wall's section by its middle plane; for a mesh that is
    not closed, its elevation (outline seen across the thickness)."""
    middle = _middle(m)
    if mesh is None or len(mesh.faces) == 0 or middle is None:
        return None
    key = ("side_area", id(mesh))  # net and gross are one mesh when nothing voids it
    if key not in m.memo:
        across, at = middle
        section = _section(m, mesh, across, at)
        if section is not None:
            m.memo[key] = float(section.area)
        else:
            u = np.cross(across, _UP)
            m.memo[key] = float(
                shape.projected_outline(mesh, u / np.linalg.norm(u), _UP).area)
    return m.memo[key]


def _section(m: Measure, mesh: Mesh, across: np.ndarray, at: float) -> Any:
    """The middle-plane section of a closed ``mesh`` (memoised), else ``None``."""
    if not mesh.closed:
        return None
    key = ("mid_section", id(mesh))
    if key not in m.memo:
        found = shape.mid_section(mesh, across, at)
        m.memo[key] = None if found is None else found[0]
    return m.memo[key]


@quantity("net_side_area", "m2", "area of the middle plane across the thickness, openings deducted")
def net_side_area(m: Measure, params: Mapping[str, Any]) -> float | None:
    return _side_area(m.net, m)


@quantity("gross_side_area", "m2",
          "area of the middle plane across the thickness, openings not deducted",
          geometry="gross")
def gross_side_area(m: Measure, params: Mapping[str, Any]) -> float | None:
    return _side_area(m.gross, m)


@quantity("centre_line_length", "m", "a wall's length on its middle plane (centre line)",
          geometry="gross")
def centre_line_length(m: Measure, params: Mapping[str, Any]) -> float | None:
    """Extent of the middle-plane section along the wall: for walls mitred at
    corners, the centre line, between the outer and inner faces' lengths."""
    middle = _middle(m)
    body = _body(m)
    if middle is None or body is None:
        return None
    section = _section(m, body, middle[0], middle[1])
    if section is not None:
        lo_u, _, hi_u, _ = section.bounds
        return float(hi_u - lo_u)
    return shape.extent(body, _wall_axes(m, body)[0])  # not a solid: along the axis


@quantity("height", "m", "vertical extent", geometry="gross")
def height(m: Measure, params: Mapping[str, Any]) -> float | None:
    mesh = _body(m)
    return None if mesh is None else shape.extent(mesh, _UP)


# -- plan measures ------------------------------------------------------------------


@quantity("footprint_area", "m2", "area seen from above, openings deducted")
def footprint_area(m: Measure, params: Mapping[str, Any]) -> float | None:
    return None if m.net is None else float(shape.footprint(m.net).area)


@quantity("gross_footprint_area", "m2", "area seen from above, openings not deducted",
          geometry="gross")
def gross_footprint_area(m: Measure, params: Mapping[str, Any]) -> float | None:
    return None if m.gross is None else float(shape.footprint(m.gross).area)


@quantity("top_area", "m2", "area of the upward-facing faces, openings deducted")
def top_area(m: Measure, params: Mapping[str, Any]) -> float | None:
    if m.net is None:
        return None
    areas, normals = shape.triangle_areas_normals(m.net)
    return float(areas[normals[:, 2] > 1e-6].sum())


def _thin(body: Mesh, m: Measure, params: Mapping[str, Any] | None) -> np.ndarray:
    tilt = (params or {}).get("max_tilt")
    return shape.thin_axis(body, m.frame, None if tilt is None else float(tilt))


_TILT = ("max_tilt",)


@quantity("face_perimeter", "m",
          "outer boundary of the outline seen across the thickness, holes left out",
          geometry="gross", accepts=_TILT)
def face_perimeter(m: Measure, params: Mapping[str, Any]) -> float | None:
    body = _body(m)
    if body is None or len(body.faces) == 0:
        return None
    u, v = shape.plane_axes(_thin(body, m, params))
    return shape.exterior_length(shape.projected_outline(body, u, v))


@quantity("perimeter", "m", "outer boundary of the footprint, holes left out",
          geometry="gross")
def perimeter(m: Measure, params: Mapping[str, Any]) -> float | None:
    mesh = _body(m)
    return None if mesh is None else shape.exterior_length(shape.footprint(mesh))


# -- linear members -----------------------------------------------------------------


def _run_axis(m: Measure, mesh: Mesh, params: Mapping[str, Any] | None) -> np.ndarray:
    """The direction a member runs. ``along: longest`` (default): of its own
    axes and its body's extrusion direction, the one it is longest along (a
    sloped beam in a level placement runs along its extrusion; a Revit beam
    extruded across its width from its side elevation does not).
    ``along: extrusion``: the extrusion direction whenever the body has one
    (a pipe shorter than its diameter)."""
    if m.element is not None and "extrusion" not in m.memo:
        m.memo["extrusion"] = axes.extrusion_direction(m.element, m.frame)
    extrusion = m.memo.get("extrusion")
    if extrusion is not None and (params or {}).get("along") == "extrusion":
        return extrusion
    candidates = shape.frame_axes(mesh, m.frame)
    if extrusion is not None:
        candidates.append(extrusion)
    return max(candidates, key=lambda a: shape.extent(mesh, a))


_ALONG = ("along",)


@quantity("length", "m", "extent along the longest of the element's own axes and extrusion",
          geometry="gross", accepts=_ALONG)
def length(m: Measure, params: Mapping[str, Any] | None = None) -> float | None:
    mesh = _body(m)
    return None if mesh is None else shape.extent(mesh, _run_axis(m, mesh, params))


@quantity("thickness", "m", "extent along the element's shortest own axis (wall or slab width)",
          geometry="gross", accepts=(*_TILT, "horizontal"))
def thickness(m: Measure, params: Mapping[str, Any] | None = None) -> float | None:
    """With ``horizontal: true`` the extent across a wall's (or footing's)
    axis, whatever its height."""
    body = _body(m)
    if body is None:
        return None
    if (params or {}).get("horizontal"):
        return shape.extent(body, _wall_axes(m, body)[1])
    return shape.extent(body, _thin(body, m, params))


@quantity("cross_section_area", "m2", "gross volume over length (prismatic members)",
          geometry="gross", accepts=_ALONG)
def cross_section_area(m: Measure, params: Mapping[str, Any]) -> float | None:
    volume, run = _volume(m.gross), length(m, params)
    if volume is None or not run:
        return None
    return volume / run


@quantity("outer_surface_area", "m2", "surface area without the two end faces, any axis",
          geometry="gross", accepts=_ALONG)
def outer_surface_area(m: Measure, params: Mapping[str, Any]) -> float | None:
    mesh = _body(m)
    if mesh is None:
        return None
    return mesh.area - shape.end_cap_area(mesh, _run_axis(m, mesh, params))


@quantity("net_surface_area", "m2", "whole surface area, openings subtracted (reveals included)")
def net_surface_area(m: Measure, params: Mapping[str, Any]) -> float | None:
    return None if m.net is None else m.net.area


def _face_area(mesh: Mesh | None, m: Measure, params: Mapping[str, Any]) -> float | None:
    """Area (m²) of ``mesh``'s outline seen across the element's thin axis
    (the axis from the whole body, so openings cannot change it)."""
    body = _body(m)
    if mesh is None or len(mesh.faces) == 0 or body is None:
        return None
    u, v = shape.plane_axes(_thin(body, m, params))
    return float(shape.projected_outline(mesh, u, v).area)


@quantity("face_area", "m2",
          "area seen across the thickness (plates, coverings), openings not deducted",
          geometry="gross", accepts=_TILT)
def face_area(m: Measure, params: Mapping[str, Any]) -> float | None:
    return _face_area(m.gross, m, params)


@quantity("net_face_area", "m2",
          "area seen across the thickness (plates, coverings), openings deducted",
          accepts=_TILT)
def net_face_area(m: Measure, params: Mapping[str, Any]) -> float | None:
    return _face_area(m.net, m, params)


@quantity("gross_surface_area", "m2", "whole surface area", geometry="gross")
def gross_surface_area(m: Measure, params: Mapping[str, Any]) -> float | None:
    mesh = _body(m)
    return None if mesh is None else mesh.area


# -- counts and weights ---------------------------------------------------------------


@quantity("count", "1", "one per element", geometry="attributes")
def count(m: Measure, params: Mapping[str, Any]) -> float | None:
    return 1.0


def _density_of(material: ifcopenshell.entity_instance | None) -> float | None:
    if material is None or not material.is_a("IfcMaterial"):
        return None
    psets = get_psets_safely(material)
    value = psets.get("Pset_MaterialCommon", {}).get("MassDensity")
    return float(value) if isinstance(value, int | float) and value > 0 else None


def material_density(element: ifcopenshell.entity_instance) -> float | None:
    """``Pset_MaterialCommon.MassDensity`` (kg/m³) of the element's material, if
    given; for a layer set the thickness-weighted mean of its layers' (all
    layers need one)."""
    material = ifcopenshell.util.element.get_material(element, should_skip_usage=True)
    layers = getattr(material, "MaterialLayers", None) if material is not None else None
    if layers:
        weighted = [(float(layer.LayerThickness or 0.0), _density_of(layer.Material))
                    for layer in layers]
        total = sum(t for t, _ in weighted)
        if total <= 0 or any(d is None for _, d in weighted):
            return None
        return sum(t * d for t, d in weighted) / total  # type: ignore[operator]
    candidates = [material] if material is not None else []
    for attr in ("MaterialLayers", "MaterialProfiles", "MaterialConstituents", "Materials"):
        for part in getattr(material, attr, None) or ():
            candidates.append(getattr(part, "Material", part))
    for candidate in candidates:
        density = _density_of(candidate)
        if density is not None:
            return density
    return None


_WEIGHT_PARAMS = ("density", "mass_per_length")
_NO_DENSITY = "no closed body, or no density (the rule's, or Pset_MaterialCommon.MassDensity)"


def _weight(m: Measure, params: Mapping[str, Any], mesh: Mesh | None) -> float | None:
    per_length = params.get("mass_per_length")
    if per_length is not None:
        run = length(m)
        return None if run is None else float(per_length) * run
    density = params.get("density")
    if density is None:
        density = material_density(m.element)
    volume = _volume(mesh)
    if density is None or volume is None:
        return None
    return volume * float(density)


@quantity("weight", "kg", "net volume × density, or mass per length × length",
          missing=_NO_DENSITY, accepts=_WEIGHT_PARAMS)
def weight(m: Measure, params: Mapping[str, Any]) -> float | None:
    return _weight(m, params, m.net)


@quantity("gross_weight", "kg", "gross volume × density, or mass per length × length",
          missing=_NO_DENSITY, geometry="gross", accepts=_WEIGHT_PARAMS)
def gross_weight(m: Measure, params: Mapping[str, Any]) -> float | None:
    return _weight(m, params, m.gross)


# -- openings, doors and windows ----------------------------------------------------------


@quantity("opening_area", "m2", "an opening's area in its host's face (plan for slabs)",
          missing="an opening without a body, or voiding no element with a body",
          geometry="host")
def opening_area(m: Measure, params: Mapping[str, Any]) -> float | None:
    host = m.host
    if m.gross is None or host is None or host.gross is None:
        return None
    n = shape.thin_axis(host.gross, host.frame)
    u = np.cross(n, _UP) if abs(n @ _UP) < 0.9 else np.array([1.0, 0.0, 0.0])
    u = u / np.linalg.norm(u)
    v = np.cross(n, u)
    hole = shape.projected_outline(m.gross, u, v)
    face = shape.projected_outline(host.gross, u, v)
    return float(hole.intersection(face).area)


@quantity("opening_depth", "m", "an opening's depth: its host's thickness",
          missing="an opening voiding no element with a body", geometry="host")
def opening_depth(m: Measure, params: Mapping[str, Any]) -> float | None:
    return None if m.host is None else thickness(m.host)


def _overall(m: Measure, attribute: str) -> float | None:
    value = getattr(m.element, attribute, None)
    return None if value is None else float(value) * m.length_scale


@quantity("overall_width", "m", "a door's or window's overall width (lining outer width)",
          missing="OverallWidth is not set", geometry="attributes")
def overall_width(m: Measure, params: Mapping[str, Any]) -> float | None:
    return _overall(m, "OverallWidth")


@quantity("overall_height", "m", "a door's or window's overall height (lining outer height)",
          missing="OverallHeight is not set", geometry="attributes")
def overall_height(m: Measure, params: Mapping[str, Any]) -> float | None:
    return _overall(m, "OverallHeight")


@quantity("overall_area", "m2", "a door's or window's overall width × overall height",
          missing="OverallWidth or OverallHeight is not set", geometry="attributes")
def overall_area(m: Measure, params: Mapping[str, Any]) -> float | None:
    w, h = _overall(m, "OverallWidth"), _overall(m, "OverallHeight")
    return None if w is None or h is None else w * h
