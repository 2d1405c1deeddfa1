"""Build the quantity-takeoff sample models and their ground truth.

    python samples/build_qto_samples.py [--out DIR]

writes, into DIR (default: this folder):

* ``qto_m.ifc``       IFC4, metres: one storey ``L0`` with two walls with openings
                      (a window in one, a door in the other), a floor slab with two
                      holes, a steel beam and a round column;
* ``qto_mm.ifc``      the same model with the millimetre as length unit (same
                      GlobalIds, every length in the file ×1000);
* ``qto.truth.yaml``  one truth file for both: per element its IFC base quantities
                      (names of the ``Qto_*BaseQuantities`` sets) in m, m², m³, kg,
                      and where they differ the values by the GB 50854 rule (holes of
                      at most 0.3 m² are not deducted).

Every quantity is computed below by plain arithmetic from the dimensions of the
axis-aligned boxes and the cylinder, never from a tessellation and never with
bimcheck code: openings pass right through their host, so a wall's net side
area is its elevation minus the openings' elevations (clipped to the wall), its
net volume that times the thickness, and so on. The same values are written out
by hand in :data:`HAND_QUANTITIES` / :data:`HAND_GB50854` / :data:`HAND_COUNTS`
and the script stops if the two disagree. The output is deterministic: running
it twice writes identical bytes.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bimcheck.testing.ifcfactory import Box, ModelFactory, Round, deterministic_guid

HERE = Path(__file__).resolve().parent

#: Lengths closer than this (metres) are equal; every dimension below is a multiple of 1 mm.
EPS = 1e-9

#: Largest difference allowed between a computed quantity and its hand value (any unit).
HAND_TOLERANCE = 1e-9

#: Decimal places of the numbers written into the truth file.
DECIMALS = 9

SCHEMA = "IFC4"
STOREY, ELEVATION = "L0", 0.0
MODELS = {"qto_m.ifc": "m", "qto_mm.ifc": "mm"}
TRUTH = "qto.truth.yaml"

#: GB 50854-2013: holes (openings) of at most this area (m²) are not deducted from
#: wall/slab volumes, nor from plastered wall areas.
GB_SMALL_HOLE = 0.3

#: Steel S355: mass density, kg/m³ (Pset_MaterialCommon.MassDensity of the material).
STEEL = "S355 steel"
STEEL_DENSITY = 7850.0

#: IfcOpenShell's default ``mesher-linear-deflection`` (metres): the largest sagitta
#: between a curve and the polygon that tessellates it.
LINEAR_DEFLECTION = 0.001


def r(x: float) -> float:
    """Round a coordinate to 1 nm so that sums like 2.75 + 0.25 read 3.0."""
    return round(x, 9) + 0.0


def box(x0: float, y0: float, z0: float, x1: float, y1: float, z1: float) -> Box:
    return Box((r(x0), r(y0), r(z0)), (r(x1), r(y1), r(z1)))


# -- specification of the model -----------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """One element or opening: shape in world metres, and how it relates to the others."""

    name: str
    ifc_class: str
    shape: Box | Round
    axis: str = "z"  # extrusion axis of a Box
    predefined_type: str | None = None
    host: str | None = None  # openings: the element they void
    fills: str | None = None  # doors/windows: the opening they fill
    material: str | None = None


SPECS: list[Spec] = [
    # W1: 5 m long (x), 0.2 m thick (y), 3 m high; window opening O1 and small hole O2.
    Spec("W1", "IfcWall", box(0, 0, 0, 5, 0.2, 3), predefined_type="SOLIDWALL"),
    Spec("O1", "IfcOpeningElement", box(1.0, -0.1, 0.9, 2.2, 0.3, 2.4), axis="y", host="W1"),
    Spec("O2", "IfcOpeningElement", box(3.5, -0.1, 1.5, 4.0, 0.3, 2.0), axis="y", host="W1"),
    Spec(
        "WIN1",
        "IfcWindow",
        box(1.0, 0.05, 0.9, 2.2, 0.15, 2.4),
        predefined_type="WINDOW",
        fills="O1",
    ),
    # W2: 4 m long (x), 0.2 m thick (y 2.0..2.2), 3 m high; door opening O3 from the floor.
    Spec("W2", "IfcWall", box(0, 2, 0, 4, 2.2, 3), predefined_type="SOLIDWALL"),
    Spec("O3", "IfcOpeningElement", box(1.0, 1.9, 0.0, 1.9, 2.3, 2.1), axis="y", host="W2"),
    Spec(
        "D1",
        "IfcDoor",
        box(1.0, 2.05, 0.0, 1.9, 2.15, 2.1),
        predefined_type="DOOR",
        fills="O3",
    ),
    # S1: 6 × 4 m, 0.25 m thick, with holes H1 (1.0 m²) and H2 (0.2 m², kept by GB 50854).
    Spec("S1", "IfcSlab", box(10, 0, 2.75, 16, 4, 3.0), predefined_type="FLOOR"),
    Spec("H1", "IfcOpeningElement", box(11, 1, 2.65, 12, 2, 3.1), host="S1"),
    Spec("H2", "IfcOpeningElement", box(14, 2, 2.65, 14.4, 2.5, 3.1), host="S1"),
    # B1: steel beam 0.3 wide × 0.6 high, 6 m long, extruded along x.
    Spec(
        "B1",
        "IfcBeam",
        box(20, 0, 2.4, 26, 0.3, 3.0),
        axis="x",
        predefined_type="BEAM",
        material=STEEL,
    ),
    # C1: round column r 0.25, 3.5 m high.
    Spec(
        "C1",
        "IfcColumn",
        Round((30.0, 0.0, 0.0), (30.0, 0.0, 3.5), 0.25),
        predefined_type="COLUMN",
    ),
]


# -- the same quantities, worked out by hand ------------------------------------------------

#: Base quantities by hand (m, m², m³, kg). Walls: side area = length × height (one
#: face); net = minus the openings' elevations; volume = side area × 0.2. Openings:
#: Area in the host's face, Depth = the host's thickness (not the 0.4 / 0.45 of the
#: opening solid, which reaches 0.1 beyond both faces). Slab: Width = thickness,
#: Perimeter of the outline only. Beam: OuterSurfaceArea = profile perimeter × length
#: (ends excluded), GrossSurfaceArea with both ends. Column: exact cylinder.
HAND_QUANTITIES: dict[str, dict[str, float]] = {
    "W1": {
        "Length": 5.0,
        "Height": 3.0,
        "Width": 0.2,
        "GrossSideArea": 15.0,  # 5 × 3
        "NetSideArea": 12.95,  # 15 − 1.8 − 0.25
        "GrossVolume": 3.0,  # 15 × 0.2
        "NetVolume": 2.59,  # 12.95 × 0.2
    },
    "O1": {"Area": 1.8, "Depth": 0.2},  # 1.2 × 1.5
    "O2": {"Area": 0.25, "Depth": 0.2},  # 0.5 × 0.5
    "WIN1": {"Width": 1.2, "Height": 1.5, "Area": 1.8},  # OverallWidth × OverallHeight
    "W2": {
        "Length": 4.0,
        "Height": 3.0,
        "Width": 0.2,
        "GrossSideArea": 12.0,  # 4 × 3
        "NetSideArea": 10.11,  # 12 − 0.9 × 2.1
        "GrossVolume": 2.4,  # 12 × 0.2
        "NetVolume": 2.022,  # 10.11 × 0.2
    },
    "O3": {"Area": 1.89, "Depth": 0.2},  # 0.9 × 2.1
    "D1": {"Width": 0.9, "Height": 2.1, "Area": 1.89},
    "S1": {
        "Width": 0.25,  # thickness
        "Length": 6.0,
        "Perimeter": 20.0,  # 2 × (6 + 4), holes not included
        "GrossArea": 24.0,  # 6 × 4
        "NetArea": 22.8,  # 24 − 1.0 − 0.2
        "GrossVolume": 6.0,  # 24 × 0.25
        "NetVolume": 5.7,  # 22.8 × 0.25
    },
    "H1": {"Area": 1.0, "Depth": 0.25},  # 1 × 1
    "H2": {"Area": 0.2, "Depth": 0.25},  # 0.4 × 0.5
    "B1": {
        "Length": 6.0,
        "CrossSectionArea": 0.18,  # 0.3 × 0.6
        "OuterSurfaceArea": 10.8,  # 2 × (0.3 + 0.6) × 6
        "GrossSurfaceArea": 11.16,  # 10.8 + 2 × 0.18
        "GrossVolume": 1.08,  # 0.18 × 6
        "NetVolume": 1.08,
        "GrossWeight": 8478.0,  # 1.08 × 7850
        "NetWeight": 8478.0,
    },
    "C1": {
        "Length": 3.5,
        "CrossSectionArea": 0.196349540849,  # π × 0.25²
        "OuterSurfaceArea": 5.497787143782,  # 2π × 0.25 × 3.5
        "GrossSurfaceArea": 5.890486225481,  # 5.497787... + 2 × 0.196349...
        "GrossVolume": 0.687223392973,  # 0.196349... × 3.5
        "NetVolume": 0.687223392973,
    },
}

#: GB 50854 by hand: holes ≤ 0.3 m² (O2 0.25, H2 0.2) are not deducted.
HAND_GB50854: dict[str, dict[str, float]] = {
    "W1": {
        "volume": 2.64,  # 3.0 − 1.8 × 0.2 (O2 kept)
        "plaster_area_per_side": 13.2,  # 15 − 1.8 (O2 kept)
    },
    "S1": {"volume": 5.75},  # 6.0 − 1.0 × 0.25 (H2 kept)
}

#: NRM2 by hand: in-situ concrete keeps voids ≤ 0.05 m³ (O2 0.25 × 0.2 = 0.05,
#: H2 0.2 × 0.25 = 0.05); finishings keep voids ≤ 0.50 m² (O2 0.25), door or not.
HAND_NRM2: dict[str, dict[str, float]] = {
    "W1": {
        "concrete_volume": 2.64,  # 3.0 − 1.8 × 0.2 (O2 kept)
        "finish_area_per_side": 13.2,  # 15 − 1.8 (O2 kept)
    },
    "W2": {
        "concrete_volume": 2.022,  # 2.4 − 1.89 × 0.2 (0.378 m³ > 0.05)
        "finish_area_per_side": 10.11,  # 12 − 1.89
    },
    "S1": {"concrete_volume": 5.75},  # 6.0 − 1.0 × 0.25 (H2 kept)
}

#: NRM2 thresholds: voids kept in in-situ concrete (m³) and in finishings (m²).
NRM2_CONCRETE_VOID = 0.05
NRM2_FINISH_VOID = 0.5

#: Base quantities the models declare, as an authoring tool would export them:
#: element -> (quantity set, {name: (kind, value in m, m², m³)}). Two are wrong on
#: purpose, the errors the reconciliation must report: W1's NetVolume (2.90
#: declared, 2.59 true: −10.7 %) and S1's Perimeter (25.8 declared: the holes'
#: 4.0 + 1.8 m counted in, as ifc5d does; 20.0 true: −22.5 %). S1 uses the set
#: name IFC2x3 exporters write, ``BaseQuantities``.
DECLARED: dict[str, tuple[str, dict[str, tuple[str, float]]]] = {
    "W1": ("Qto_WallBaseQuantities", {
        "Width": ("Length", 0.2),
        "GrossVolume": ("Volume", 3.0),
        "NetVolume": ("Volume", 2.90),
    }),
    "S1": ("BaseQuantities", {
        "NetArea": ("Area", 22.8),
        "Perimeter": ("Length", 25.8),
    }),
    "D1": ("Qto_DoorBaseQuantities", {"Area": ("Area", 1.89)}),
}

#: Elements by exact class (takeoff counts).
HAND_COUNTS: dict[str, int] = {
    "IfcBeam": 1,
    "IfcColumn": 1,
    "IfcDoor": 1,
    "IfcOpeningElement": 5,
    "IfcSlab": 1,
    "IfcWall": 2,
    "IfcWindow": 1,
}


# -- quantities by arithmetic ----------------------------------------------------------------

_XYZ = "xyz"


def _overlap(a: Box, b: Box, i: int) -> float:
    """Length (m) of the overlap of ``a`` and ``b`` along axis ``i``; 0 if apart."""
    return max(0.0, min(a.hi[i], b.hi[i]) - max(a.lo[i], b.lo[i]))


def _through(opening: Spec, host: Box, i: int) -> None:
    """Stop unless ``opening`` crosses ``host`` completely along axis ``i``."""
    o = opening.shape
    assert isinstance(o, Box)
    if not (o.lo[i] < host.lo[i] - EPS and o.hi[i] > host.hi[i] + EPS):
        raise SystemExit(f"{opening.name} does not cut right through its host along {_XYZ[i]}")


def _disjoint(openings: list[Spec]) -> None:
    """Stop if two openings of one host overlap (their areas would be deducted twice)."""
    for n, a in enumerate(openings):
        for b in openings[n + 1 :]:
            if all(_overlap(a.shape, b.shape, i) > EPS for i in range(3)):  # type: ignore[arg-type]
                raise SystemExit(f"openings {a.name} and {b.name} overlap")


def _face_area(opening: Box, host: Box, across: int) -> float:
    """Area (m²) of ``opening`` in the face of ``host`` normal to axis ``across``."""
    i, j = (k for k in range(3) if k != across)
    return _overlap(opening, host, i) * _overlap(opening, host, j)


def wall_quantities(wall: Box, openings: list[Spec]) -> tuple[dict[str, float], dict]:
    """Qto_WallBaseQuantities of a straight wall along x or y, and its GB 50854 values.

    Length and Width (thickness) are its larger and smaller horizontal extents,
    Height its z extent, m; side areas are of one face, m²; volumes m³.
    """
    sx, sy, sz = wall.size
    along, across = (0, 1) if sx >= sy else (1, 0)
    length, width, height = wall.size[along], wall.size[across], sz
    holes = []
    for o in openings:
        _through(o, wall, across)
        holes.append(_face_area(o.shape, wall, across))  # type: ignore[arg-type]
    _disjoint(openings)
    gross_side = length * height
    net_side = gross_side - sum(holes)
    gb_side = gross_side - sum(a for a in holes if a > GB_SMALL_HOLE)
    quantities = {
        "Length": length,
        "Height": height,
        "Width": width,
        "GrossSideArea": gross_side,
        "NetSideArea": net_side,
        "GrossVolume": gross_side * width,
        "NetVolume": net_side * width,
    }
    gb = {"volume": gb_side * width, "plaster_area_per_side": gb_side}
    return quantities, gb


def slab_quantities(slab: Box, openings: list[Spec]) -> tuple[dict[str, float], dict]:
    """Qto_SlabBaseQuantities of a flat rectangular slab, and its GB 50854 volume.

    Width is the thickness (z extent), Length the larger plan extent, m; the
    perimeter is the outline's (holes must lie inside it and are not counted).
    """
    sx, sy, thickness = slab.size
    holes = []
    for o in openings:
        _through(o, slab, 2)
        shape = o.shape
        assert isinstance(shape, Box)
        if any(shape.lo[i] <= slab.lo[i] + EPS or shape.hi[i] >= slab.hi[i] - EPS for i in (0, 1)):
            raise SystemExit(f"{o.name} reaches the slab's edge: the perimeter would change")
        holes.append(_face_area(shape, slab, 2))
    _disjoint(openings)
    gross = sx * sy
    net = gross - sum(holes)
    gb = gross - sum(a for a in holes if a > GB_SMALL_HOLE)
    quantities = {
        "Width": thickness,
        "Length": max(sx, sy),
        "Perimeter": 2 * (sx + sy),
        "GrossArea": gross,
        "NetArea": net,
        "GrossVolume": gross * thickness,
        "NetVolume": net * thickness,
    }
    return quantities, {"volume": gb * thickness}


def nrm2_values(host: Box, openings: list[Spec], *, wall: bool) -> dict[str, float]:
    """NRM2 values of a wall along x or y, or a flat slab: in-situ concrete volume
    keeping voids of at most 0.05 m³, and for walls the finished area of one face
    keeping voids of at most 0.5 m² (m³, m²)."""
    sx, sy, _ = host.size
    across = (1 if sx >= sy else 0) if wall else 2
    thickness = host.size[across]
    gross_face = host.size[0] * host.size[1] * host.size[2] / thickness
    holes = [_face_area(o.shape, host, across) for o in openings]  # type: ignore[arg-type]
    out = {"concrete_volume": (gross_face - sum(
        a for a in holes if a * thickness > NRM2_CONCRETE_VOID + EPS)) * thickness}
    if wall:
        out["finish_area_per_side"] = gross_face - sum(
            a for a in holes if a > NRM2_FINISH_VOID + EPS)
    return out


def opening_quantities(opening: Spec, host: Box) -> dict[str, float]:
    """Area (m²) of the opening in its host's face and Depth = the host's thickness (m)."""
    i = _XYZ.index(opening.axis)
    return {"Area": _face_area(opening.shape, host, i), "Depth": host.size[i]}  # type: ignore[arg-type]


def filling_quantities(shape: Box) -> dict[str, float]:
    """Door/window: Width = OverallWidth (larger horizontal extent), Height, Area (m, m²)."""
    sx, sy, sz = shape.size
    return {"Width": max(sx, sy), "Height": sz, "Area": max(sx, sy) * sz}


def beam_quantities(shape: Box, axis: str, density: float | None) -> dict[str, float]:
    """Qto_BeamBaseQuantities of a rectangular member extruded along ``axis``.

    Surface areas in m² (outer: the sides only; gross: with both ends),
    weights in kg from ``density`` (kg/m³) when given.
    """
    i = _XYZ.index(axis)
    a, b = (shape.size[k] for k in range(3) if k != i)
    length = shape.size[i]
    section = a * b
    outer = 2 * (a + b) * length
    out = {
        "Length": length,
        "CrossSectionArea": section,
        "OuterSurfaceArea": outer,
        "GrossSurfaceArea": outer + 2 * section,
        "GrossVolume": section * length,
        "NetVolume": section * length,
    }
    if density is not None:
        out["GrossWeight"] = out["GrossVolume"] * density
        out["NetWeight"] = out["NetVolume"] * density
    return out


def column_quantities(shape: Round) -> dict[str, float]:
    """Qto_ColumnBaseQuantities of a circular column, exact (not tessellated)."""
    rad, length = shape.radius, shape.length
    section = math.pi * rad * rad
    outer = 2 * math.pi * rad * length
    return {
        "Length": length,
        "CrossSectionArea": section,
        "OuterSurfaceArea": outer,
        "GrossSurfaceArea": outer + 2 * section,
        "GrossVolume": section * length,
        "NetVolume": section * length,
    }


def tessellation_tolerance(radius: float, deflection: float = LINEAR_DEFLECTION) -> dict:
    """Relative volume tolerance for a tessellated circle of ``radius`` (m).

    A polygon inscribed in the circle whose sagitta r·(1 − cos(π/n)) is at most
    ``deflection`` has n ≥ π / acos(1 − d/r) sides; its area is
    n·sin(2π/n)/(2π) of the circle's. The tolerance is twice the shortfall,
    rounded up to 0.001, so that a mesher that rounds n differently still passes.
    """
    n = math.ceil(math.pi / math.acos(1 - deflection / radius))
    ratio = n * math.sin(2 * math.pi / n) / (2 * math.pi)
    return {
        "sides_at_least": n,
        "area_ratio": ratio,
        "relative_volume": math.ceil(2 * (1 - ratio) * 1000) / 1000,
    }


def compute(specs: list[Spec]) -> dict[str, dict[str, Any]]:
    """Per element: ``quantities`` and, for walls and slabs, ``gb50854``."""
    by_name = {s.name: s for s in specs}
    openings: dict[str, list[Spec]] = {}
    for s in specs:
        if s.host:
            openings.setdefault(s.host, []).append(s)
    out: dict[str, dict[str, Any]] = {}
    for s in specs:
        shape = s.shape
        item: dict[str, Any] = {}
        if s.ifc_class == "IfcWall":
            assert isinstance(shape, Box)
            item["quantities"], item["gb50854"] = wall_quantities(shape, openings.get(s.name, []))
            item["nrm2"] = nrm2_values(shape, openings.get(s.name, []), wall=True)
        elif s.ifc_class == "IfcSlab":
            assert isinstance(shape, Box)
            item["quantities"], item["gb50854"] = slab_quantities(shape, openings.get(s.name, []))
            item["nrm2"] = nrm2_values(shape, openings.get(s.name, []), wall=False)
        elif s.ifc_class == "IfcOpeningElement":
            host = by_name[s.host].shape  # type: ignore[index]
            assert isinstance(host, Box)
            item["quantities"] = opening_quantities(s, host)
        elif s.ifc_class in ("IfcDoor", "IfcWindow"):
            assert isinstance(shape, Box)
            item["quantities"] = filling_quantities(shape)
        elif s.ifc_class == "IfcBeam":
            assert isinstance(shape, Box)
            density = STEEL_DENSITY if s.material == STEEL else None
            item["quantities"] = beam_quantities(shape, s.axis, density)
        elif s.ifc_class == "IfcColumn":
            assert isinstance(shape, Round)
            item["quantities"] = column_quantities(shape)
        else:
            raise SystemExit(f"{s.name}: no quantity rule for {s.ifc_class}")
        out[s.name] = item
    return out


def check_hand_values(computed: dict[str, dict[str, Any]], specs: list[Spec]) -> None:
    """Stop unless the arithmetic agrees with :data:`HAND_QUANTITIES` and friends."""

    def same(what: str, got: dict[str, float], want: dict[str, float]) -> None:
        if sorted(got) != sorted(want):
            raise SystemExit(f"{what}: computed {sorted(got)}, by hand {sorted(want)}")
        for k, v in want.items():
            if abs(got[k] - v) > HAND_TOLERANCE:
                raise SystemExit(f"{what}.{k}: computed {got[k]!r}, by hand {v!r}")

    if sorted(computed) != sorted(HAND_QUANTITIES):
        raise SystemExit("HAND_QUANTITIES does not list exactly the elements of SPECS")
    for name, item in computed.items():
        same(name, item["quantities"], HAND_QUANTITIES[name])
        gb = item.get("gb50854")
        # Only where a hole is small enough to be kept do the GB values differ.
        if name in HAND_GB50854:
            same(f"{name}.gb50854", gb, HAND_GB50854[name])
        elif gb is not None:
            q = item["quantities"]
            differs = abs(gb["volume"] - q["NetVolume"]) > EPS
            if "plaster_area_per_side" in gb:
                differs |= abs(gb["plaster_area_per_side"] - q["NetSideArea"]) > EPS
            if differs:
                raise SystemExit(f"{name}: GB 50854 values differ but are not in HAND_GB50854")
    for name, item in computed.items():
        if "nrm2" in item or name in HAND_NRM2:
            same(f"{name}.nrm2", item.get("nrm2", {}), HAND_NRM2.get(name, {}))
    counts = dict(Counter(s.ifc_class for s in specs))
    if counts != HAND_COUNTS:
        raise SystemExit(f"counts: computed {counts}, by hand {HAND_COUNTS}")


# -- building the IFC files ------------------------------------------------------------------


def build_ifc(specs: list[Spec], length_unit: str, path: Path) -> Path:
    """Write the model described by ``specs`` to ``path`` with the factory."""
    f = ModelFactory(project_name="QTO", length_unit=length_unit, building_name="QTO")  # type: ignore[arg-type]
    storey = f.add_storey(STOREY, ELEVATION)
    made: dict[str, Any] = {}
    for s in specs:
        if s.host:
            e = f.add_opening(s.name, host=made[s.host], shape=s.shape, axis=s.axis)  # type: ignore[arg-type]
        elif s.fills:
            e = f.add_filling(
                s.ifc_class,
                s.name,
                opening=made[s.fills],
                storey=storey,
                shape=s.shape,  # type: ignore[arg-type]
                axis=s.axis,  # type: ignore[arg-type]
                predefined_type=s.predefined_type,
            )
        else:
            e = f.add_element(
                s.ifc_class,
                s.name,
                shape=s.shape,
                storey=storey,
                axis=s.axis,  # type: ignore[arg-type]
                predefined_type=s.predefined_type,
            )
        made[s.name] = e
        if s.material:
            f.assign_material(e, s.material)
    for name, (qset, values) in DECLARED.items():
        declare(f, made[name], qset, values)
    # Pset_MaterialCommon on the material itself (IfcMaterialProperties in IFC4): the
    # factory's add_pset passes it to ifcopenshell.api.pset.add_pset, which accepts materials.
    f.add_pset(f.material(STEEL), "Pset_MaterialCommon", {"MassDensity": STEEL_DENSITY})
    return f.write(path)


def declare(
    f: ModelFactory, element: Any, qset: str, values: dict[str, tuple[str, float]]
) -> None:
    """An ``IfcElementQuantity`` named ``qset`` on ``element``: lengths in the
    file's length unit, areas and volumes in m², m³ (the files' area and volume units)."""
    import ifcopenshell.api.pset

    qto = ifcopenshell.api.pset.add_qto(f.file, product=element, name=qset)
    quantities = []
    for qname, (kind, value) in values.items():
        v = f.to_file_units(value) if kind == "Length" else value
        quantities.append(
            f.file.create_entity(f"IfcQuantity{kind}", Name=qname, **{f"{kind}Value": v})
        )
    qto.Quantities = quantities


def read_guids(path: Path) -> dict[str, str]:
    """Name -> GlobalId of the elements in a written file."""
    import ifcopenshell

    return {e.Name: e.GlobalId for e in ifcopenshell.open(str(path)).by_type("IfcElement")}


# -- truth -----------------------------------------------------------------------------------


def _num(x: float) -> float:
    return round(x, DECIMALS) + 0.0


def _rounded(values: dict[str, float]) -> dict[str, float]:
    return {k: _num(v) for k, v in values.items()}


def truth(specs: list[Spec], guids: dict[str, str]) -> dict[str, Any]:
    """The ground-truth document for both models (m, m², m³, kg)."""
    computed = compute(specs)
    check_hand_values(computed, specs)
    elements: dict[str, Any] = {}
    for s in specs:
        item: dict[str, Any] = {
            "global_id": guids[s.name],
            "ifc_class": s.ifc_class,
            "quantities": _rounded(computed[s.name]["quantities"]),
        }
        if s.name in HAND_GB50854:
            item["gb50854"] = _rounded(computed[s.name]["gb50854"])
        if s.name in HAND_NRM2:
            item["nrm2"] = _rounded(computed[s.name]["nrm2"])
        if s.name in DECLARED:
            qset, values = DECLARED[s.name]
            true = computed[s.name]["quantities"]
            item["declared"] = {
                "set": qset,
                "quantities": {k: _num(v) for k, (_, v) in values.items()},
                # (true − declared) / declared, where they differ: the findings.
                "wrong": {
                    k: _num((true[k] - v) / v) for k, (_, v) in values.items()
                    if abs(true[k] - v) > EPS
                },
            }
        if s.predefined_type:
            item["predefined_type"] = s.predefined_type
        if s.host:
            item["voids"] = s.host
        if s.fills:
            item["fills"] = s.fills
        if s.material:
            item["material"] = s.material
            item["mass_density"] = STEEL_DENSITY
        if isinstance(s.shape, Round):
            tol = tessellation_tolerance(s.shape.radius)
            item["tessellation_tolerance"] = tol["relative_volume"]
            item["tessellation_note"] = (
                f"quantities are for the exact cylinder; with IfcOpenShell's default "
                f"mesher-linear-deflection {LINEAR_DEFLECTION} m a circle of radius "
                f"{s.shape.radius} m becomes a polygon of at least {tol['sides_at_least']} "
                f"sides (sagitta <= deflection) with {_num(tol['area_ratio'])} of its area: "
                "a mesh volume may be smaller by up to tessellation_tolerance (relative; "
                "twice that shortfall, rounded up), never larger"
            )
        elements[s.name] = item
    return {
        "schema": SCHEMA,
        "models": list(MODELS),
        "storey": {"name": STOREY, "elevation": ELEVATION},
        "units": {"length": "m", "area": "m2", "volume": "m3", "mass": "kg"},
        "counts": dict(HAND_COUNTS),
        "notes": {
            "quantities": "IFC base quantity names (Qto_WallBaseQuantities, "
            "Qto_SlabBaseQuantities, Qto_BeamBaseQuantities, Qto_ColumnBaseQuantities, "
            "Qto_OpeningElementBaseQuantities, Qto_DoorBaseQuantities, "
            "Qto_WindowBaseQuantities) with values in m, m2, m3, kg, whatever the file's "
            "length unit",
            "walls": "side areas are of one face (length x height); net values deduct "
            "every opening",
            "openings": "Area in the host's face; Depth is the host's thickness, not the "
            "extent of the opening solid (which reaches 0.1 m beyond both faces)",
            "slab": "Width is the thickness; Perimeter is the outline only (holes not included)",
            "members": "OuterSurfaceArea excludes the end faces, GrossSurfaceArea "
            "includes them; weights = volume x Pset_MaterialCommon.MassDensity of the "
            "material",
            "gb50854": f"GB 50854-2013: holes of at most {GB_SMALL_HOLE} m2 are not "
            "deducted from volumes nor from plastered areas (per side)",
            "nrm2": f"NRM2: voids of at most {NRM2_CONCRETE_VOID} m3 are not deducted from "
            f"in-situ concrete, voids of at most {NRM2_FINISH_VOID} m2 not from finishings "
            "(per side), whether a door or window fills them or not",
            "declared": "quantity sets written into the models; 'wrong' lists the declared "
            "values that differ from the true ones, as (true - declared) / declared",
        },
        "elements": elements,
    }


def write_yaml(doc: dict[str, Any], path: Path, header: str) -> None:
    text = yaml.safe_dump(
        doc, sort_keys=True, default_flow_style=False, allow_unicode=True, width=100
    )
    path.write_text(header + text, encoding="utf-8")


def build_all(out: Path) -> list[Path]:
    """Write both models and the truth file into ``out``; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    guids: dict[str, str] | None = None
    for name, unit in MODELS.items():
        ifc = build_ifc(SPECS, unit, out / name)
        found = read_guids(ifc)
        if found != {s.name: deterministic_guid(s.name) for s in SPECS}:
            raise SystemExit(f"{name}: GlobalIds are not the factory's uuid5 of the names")
        if guids is not None and found != guids:
            raise SystemExit(f"{name}: GlobalIds differ between the models")
        guids = found
        written.append(ifc)
    assert guids is not None
    header = "# Generated by samples/build_qto_samples.py from hand-computed values; do not edit.\n"
    yml = out / TRUTH
    write_yaml(truth(SPECS, guids), yml, header)
    written.append(yml)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: samples/)")
    args = parser.parse_args(argv)
    for path in build_all(args.out):
        print(path, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
