"""Build the sample IFC models and their ground truth.

    python samples/build_samples.py [--out DIR]

writes, into DIR (default: this folder):

* ``tower_rev_a.ifc``     IFC4, metres: a 3-storey frame building with MEP runs and
                          deliberate clash, clearance, duplicate and touching cases;
* ``tower_rev_b.ifc``     its next revision (same GlobalIds for what is unchanged);
* ``tower_rev_a_mm.ifc``  rev A again with the millimetre as length unit;
* ``<model>.truth.yaml``  beside each: storeys, counts, elements with volumes,
                          every pair of elements that overlaps, touches or lies
                          within 50 mm, and for rev B the changes from rev A.
* ``tower.rates.csv``     the unit rates of ``bimcheck price`` (GB/T 50500 codes of the
                          items of ``tower.bill.yaml``); rev B's truth carries the
                          change order priced with them, worked out by hand.

Every value in the truth files is computed from the dimensions written below,
never from a tessellation and never with bimcheck code. All solids are
axis-aligned boxes or axis-aligned circular cylinders, so volumes, overlaps and
distances follow by interval arithmetic: a box overlap is the product of the
three interval overlaps, a box gap the root of the summed squared interval
gaps; a cylinder through a box it fully crosses overlaps it by π r² × length
of crossing; an opening subtracted from its host splits the host into disjoint
boxes. The deliberate cases are in addition written out by hand
(``DELIBERATE_A`` / ``DELIBERATE_B``) and the script stops if the interval
arithmetic disagrees with them, finds a clash that is not listed, or finds a
pair whose configuration it cannot compute exactly. The output is
deterministic: running it twice writes identical bytes.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bimcheck.testing.ifcfactory import Box, ModelFactory, Round

HERE = Path(__file__).resolve().parent

#: Lengths closer than this (metres) are equal; every dimension below is a multiple of 1 mm.
EPS = 1e-9

#: Pairs closer than this (metres) are listed in the truth (the clearance asked of MEP).
NEAR = 0.05

#: No pair that is not deliberate may lie in [NEAR, MARGIN) metres: keeps every
#: listed/unlisted decision clear of tessellation error on curved surfaces.
MARGIN = 0.07

#: Pairs whose axis-aligned bounding boxes are at least this far apart (metres)
#: are skipped: the AABB gap is a lower bound of the true distance.
FAR = 0.1

#: Decimal places of the numbers written into the truth files (0.1 nm, 0.1 nm³...).
DECIMALS = 10

SCHEMA = "IFC4"

STOREYS = {"Level 0": 0.0, "Level 1": 3.5, "Level 2": 7.0}
GRID_X = {"A": 0.0, "B": 6.0, "C": 12.0}
GRID_Y = {"1": 0.0, "2": 6.0}
COLUMN = 0.4  # square column, side (m)
SLAB = 0.25  # slab thickness (m)
BEAM_W, BEAM_D = 0.25, 0.5  # beam width and depth (m)
WALL = 0.2  # perimeter wall thickness (m)
UNDER_SLAB = 3.25  # storey height to the underside of the slab above (m)
ROOF_BEAM_BOTTOM = 10.0  # level 2 columns stop here; roof beams rest on them (m)


def r(x: float) -> float:
    """Round a coordinate to 1 nm so that sums like 3.5 + 2.42 read 5.92."""
    return round(x, 9) + 0.0


def box(x0: float, y0: float, z0: float, x1: float, y1: float, z1: float) -> Box:
    return Box((r(x0), r(y0), r(z0)), (r(x1), r(y1), r(z1)))


# -- specification of the models ----------------------------------------------------------


@dataclass
class Spec:
    """One element (or opening) of a sample, with everything the factory and truth need."""

    name: str
    ifc_class: str
    storey: str
    shape: Box | Round | None = None
    axis: str = "z"
    predefined_type: str | None = None
    object_type: str | None = None  # with predefined_type USERDEFINED
    part_of: str | None = None  # aggregated into this element (storey is then through it)
    host: str | None = None  # for openings: the element it voids
    fills: str | None = None  # for doors/windows: the opening it fills
    key: str | None = None
    type_name: str | None = None
    material: str | None = None
    layer_set: str | None = None
    psets: dict[str, dict[str, Any]] = field(default_factory=dict)
    classification: tuple[str, str] | None = None  # (system, identification)
    note: str | None = None


TYPES = {  # type name -> (class, predefined type)
    "WT-200 blockwork": ("IfcWallType", "SOLIDWALL"),
    "WT-100 partition": ("IfcWallType", "PARTITIONING"),
    "CT-400x400": ("IfcColumnType", "COLUMN"),
    "BT-250x500": ("IfcBeamType", "BEAM"),
}
LAYER_SETS = {
    "LS-200 blockwork": [("Blockwork", 0.18), ("Gypsum plaster", 0.02)],
    "LS-100 partition": [("Gypsum board", 0.1)],
}
CONCRETE = "Concrete C30/37"


def tower(rev: str) -> list[Spec]:
    """The elements of the tower, revision ``"A"`` or ``"B"``, in build order."""
    b = rev == "B"
    specs: list[Spec] = []
    add = specs.append
    levels = list(STOREYS.items())

    # Slabs: ground slab under level 0, floors of levels 1 and 2, roof on the roof beams.
    x0, x1, y0, y1 = -0.2, 12.2, -0.2, 6.2
    add(
        Spec(
            "SL-0",
            "IfcSlab",
            "Level 0",
            box(x0, y0, -SLAB, x1, y1, 0.0),
            predefined_type="BASESLAB",
            material=CONCRETE,
            classification=("Uniclass 2015", "Ss_20_05"),
        )
    )
    add(
        Spec(
            "SL-1",
            "IfcSlab",
            "Level 1",
            box(x0, y0, 3.5 - SLAB, x1, y1, 3.5),
            predefined_type="FLOOR",
            material=CONCRETE,
        )
    )
    add(
        Spec(
            "SL-2",
            "IfcSlab",
            "Level 2",
            box(x0, y0, 7.0 - SLAB, x1, y1, 7.0),
            predefined_type="FLOOR",
            material=CONCRETE,
        )
    )
    roof_top = 10.8 if b else 10.75  # rev B: roof slab 300 mm instead of 250 mm
    add(
        Spec(
            "SL-R",
            "IfcSlab",
            "Level 2",
            box(x0, y0, 10.5, x1, y1, roof_top),
            predefined_type="ROOF",
            material=CONCRETE,
        )
    )

    # Columns 400 x 400 on the grid; levels 0-1 stop under the next slab, level 2 under the
    # roof beams.
    h = COLUMN / 2
    for li, (storey, e) in enumerate(levels):
        top = ROOF_BEAM_BOTTOM if li == 2 else e + UNDER_SLAB
        for gx, x in GRID_X.items():
            for gy, y in GRID_Y.items():
                add(
                    Spec(
                        f"C-{li}-{gx}{gy}",
                        "IfcColumn",
                        storey,
                        box(x - h, y - h, e, x + h, y + h, top),
                        predefined_type="COLUMN",
                        type_name="CT-400x400",
                        material=CONCRETE,
                        psets={"Pset_ColumnCommon": {"LoadBearing": True}},
                    )
                )
        if li == 1 and not b:
            add(
                Spec(
                    "C-1-B1-DUP",
                    "IfcColumn",
                    storey,
                    box(6 - h, -h, e, 6 + h, h, e + UNDER_SLAB),
                    predefined_type="COLUMN",
                    type_name="CT-400x400",
                    material=CONCRETE,
                    psets={"Pset_ColumnCommon": {"LoadBearing": True}},
                    note="exact copy of C-1-B1 (same class and geometry, own GlobalId)",
                )
            )

    # Beams 250 x 500 under the slabs of levels 1 and 2, between column faces.
    w = BEAM_W / 2
    for li, (storey, e) in enumerate(levels[:2]):
        z0, z1 = e + UNDER_SLAB - BEAM_D, e + UNDER_SLAB
        for side, y in (("south", 0.0), ("north", 6.0)):
            add(
                Spec(
                    f"BM-{li}-{side}-1",
                    "IfcBeam",
                    storey,
                    box(0.2, y - w, z0, 5.8, y + w, z1),
                    axis="x",
                    predefined_type="BEAM",
                    type_name="BT-250x500",
                    material=CONCRETE,
                )
            )
            add(
                Spec(
                    f"BM-{li}-{side}-2",
                    "IfcBeam",
                    storey,
                    box(6.2, y - w, z0, 11.8, y + w, z1),
                    axis="x",
                    predefined_type="BEAM",
                    type_name="BT-250x500",
                    material=CONCRETE,
                )
            )
        add(
            Spec(
                f"BM-{li}-mid",
                "IfcBeam",
                storey,
                box(6 - w, 0.2, z0, 6 + w, 5.8, z1),
                axis="y",
                predefined_type="BEAM",
                type_name="BT-250x500",
                material=CONCRETE,
            )
        )
    # Roof beams resting on the level-2 column tops; the roof slab rests on them.
    z0, z1 = ROOF_BEAM_BOTTOM, ROOF_BEAM_BOTTOM + BEAM_D
    for side, y in (("south", 0.0), ("north", 6.0)):
        add(
            Spec(
                f"BM-R-{side}",
                "IfcBeam",
                "Level 2",
                box(-0.2, y - w, z0, 12.2, y + w, z1),
                axis="x",
                predefined_type="BEAM",
                type_name="BT-250x500",
                material=CONCRETE,
            )
        )

    # Perimeter walls 200 mm between column faces: under the beams (south, north) or under
    # the slab (west, east); on level 2 up to the roof beams.
    t = WALL / 2
    for li, (storey, e) in enumerate(levels):
        top_sn = ROOF_BEAM_BOTTOM if li == 2 else e + UNDER_SLAB - BEAM_D
        top_we = ROOF_BEAM_BOTTOM if li == 2 else e + UNDER_SLAB
        walls = [
            (f"W-{li}-south-1", box(0.2, -t, e, 5.8, t, top_sn)),
            (f"W-{li}-south-2", box(6.2, -t, e, 11.8, t, top_sn)),
            (f"W-{li}-north-1", box(0.2, 6 - t, e, 5.8, 6 + t, top_sn)),
            (f"W-{li}-north-2", box(6.2, 6 - t, e, 11.8, 6 + t, top_sn)),
            (f"W-{li}-west", box(-t, 0.2, e, t, 5.8, top_we)),
            (f"W-{li}-east", box(12 - t, 0.2, e, 12 + t, 5.8, top_we)),
        ]
        if li == 1:  # two collinear walls overlapping by 50 mm instead of one
            walls[1:2] = [
                ("W-1-south-2a", box(6.2, -t, e, 9.05, t, top_sn)),
                ("W-1-south-2b", box(9.0, -t, e, 11.8, t, top_sn)),
            ]
        for name, shape in walls:
            rating = "REI90" if (b and name == "W-0-south-1") else "REI60"
            add(
                Spec(
                    name,
                    "IfcWall",
                    storey,
                    shape,
                    predefined_type="SOLIDWALL",
                    type_name="WT-200 blockwork",
                    layer_set="LS-200 blockwork",
                    psets={"Pset_WallCommon": {"FireRating": rating, "IsExternal": True}},
                )
            )
    partition_end = 5.5 if b else 5.0  # rev B: partition extended by 500 mm
    add(
        Spec(
            "W-0-partition",
            "IfcWall",
            "Level 0",
            box(8.95, 3.0, 0.0, 9.05, partition_end, UNDER_SLAB),
            predefined_type="PARTITIONING",
            type_name="WT-100 partition",
            layer_set="LS-100 partition",
            psets={"Pset_WallCommon": {"FireRating": "EI30", "IsExternal": False}},
        )
    )

    # Doors (levels 0 and 1, south-1 walls) and windows (west walls), each in its opening.
    for li, (storey, e) in enumerate(levels[:2]):
        add(
            Spec(
                f"O-{li}-door",
                "IfcOpeningElement",
                storey,
                box(2.0, -0.2, e - 0.1, 3.0, 0.2, e + 2.1),
                predefined_type="OPENING",
                host=f"W-{li}-south-1",
            )
        )
        add(
            Spec(
                f"D-{li}-1",
                "IfcDoor",
                storey,
                box(2.0, -0.025, e, 3.0, 0.025, e + 2.1),
                predefined_type="DOOR",
                fills=f"O-{li}-door",
                material="Timber",
            )
        )
    for li, (storey, e) in enumerate(levels):
        add(
            Spec(
                f"O-{li}-window",
                "IfcOpeningElement",
                storey,
                box(-0.2, 2.4, e + 0.9, 0.2, 3.6, e + 2.1),
                predefined_type="OPENING",
                host=f"W-{li}-west",
            )
        )
        add(
            Spec(
                f"WIN-{li}-west",
                "IfcWindow",
                storey,
                box(-0.05, 2.4, e + 0.9, 0.05, 3.6, e + 2.1),
                predefined_type="WINDOW",
                fills=f"O-{li}-window",
                material="Glass",
            )
        )
    # Provisioned service opening in W-1-east: 300 x 300 (rev B: 400 x 400) around P-1-sleeve.
    s = 0.2 if b else 0.15
    add(
        Spec(
            "O-1-sleeve",
            "IfcOpeningElement",
            "Level 1",
            box(11.8, 3.0 - s, 5.5 - s, 12.2, 3.0 + s, 5.5 + s),
            predefined_type="OPENING",
            host="W-1-east",
        )
    )

    # Equipment platform: an assembly whose parts are aggregated into it, not contained.
    add(
        Spec(
            "ASM-0-platform",
            "IfcElementAssembly",
            "Level 0",
            None,
            predefined_type="USERDEFINED",
            object_type="PLATFORM",
            note="no own geometry: its Body is its parts",
        )
    )
    for i, (px, py) in enumerate(((2.0, 3.5), (3.1, 3.5), (2.0, 4.2), (3.1, 4.2)), start=1):
        add(
            Spec(
                f"PL-0-post-{i}",
                "IfcMember",
                "Level 0",
                box(px, py, 0.0, px + 0.1, py + 0.1, 1.0),
                predefined_type="POST",
                part_of="ASM-0-platform",
                material="Steel S355",
            )
        )
    add(
        Spec(
            "PL-0-deck",
            "IfcPlate",
            "Level 0",
            box(2.0, 3.5, 1.0, 3.2, 4.3, 1.05),
            predefined_type="SHEET",
            part_of="ASM-0-platform",
            material="Steel S355",
        )
    )
    add(
        Spec(
            "PX-1-placeholder",
            "IfcBuildingElementProxy",
            "Level 1",
            None,
            predefined_type="ELEMENT",
            note="deliberately has no representation",
        )
    )

    # MEP. Ducts and cable trays are rectangular; pipes round except P-1-wall (square 100 x 100).
    duct1_z = (5.85, 6.15) if b else (6.1, 6.4)  # rev B: rerouted 250 mm lower, under BM-1-mid
    add(
        Spec(
            "DUCT-1",
            "IfcDuctSegment",
            "Level 1",
            box(1.0, 2.8, duct1_z[0], 11.0, 3.2, duct1_z[1]),
            axis="x",
            predefined_type="RIGIDSEGMENT",
            material="Galvanised steel",
        )
    )
    add(
        Spec(
            "DUCT-2",
            "IfcDuctSegment",
            "Level 0",
            box(1.0, 1.3, 2.42, 11.0, 1.7, 2.72),
            axis="x",
            predefined_type="RIGIDSEGMENT",
            material="Galvanised steel",
        )
    )
    add(
        Spec(
            "DUCT-3",
            "IfcDuctSegment",
            "Level 2",
            box(1.0, 3.75, 9.2, 11.0, 4.25, 9.45),
            axis="x",
            predefined_type="RIGIDSEGMENT",
            material="Galvanised steel",
        )
    )
    add(
        Spec(
            "CT-0-1",
            "IfcCableCarrierSegment",
            "Level 0",
            box(1.0, 0.96, 2.5, 11.0, 1.26, 2.6),
            axis="x",
            predefined_type="CABLETRAYSEGMENT",
            material="Steel S355",
        )
    )
    add(
        Spec(
            "CT-1-1",
            "IfcCableCarrierSegment",
            "Level 1",
            box(2.85, 0.6, 5.5, 3.15, 5.4, 5.6),
            axis="y",
            predefined_type="CABLETRAYSEGMENT",
            material="Steel S355",
        )
    )
    add(
        Spec(
            "P-0-col",
            "IfcPipeSegment",
            "Level 0",
            Round((1.0, 5.73, 2.0), (11.0, 5.73, 2.0), 0.05),
            predefined_type="RIGIDSEGMENT",
            material="Copper",
        )
    )
    add(
        Spec(
            "P-1-wall",
            "IfcPipeSegment",
            "Level 1",
            box(-0.5, 4.45, 4.95, 4.0, 4.55, 5.05),
            axis="x",
            predefined_type="RIGIDSEGMENT",
            material="Copper",
        )
    )
    add(
        Spec(
            "P-1-sleeve",
            "IfcPipeSegment",
            "Level 1",
            Round((10.0, 3.0, 5.5), (13.0, 3.0, 5.5), 0.05),
            predefined_type="RIGIDSEGMENT",
            material="Copper",
        )
    )
    add(
        Spec(
            "P-2-main",
            "IfcPipeSegment",
            "Level 2",
            Round((4.0, 0.6, 9.0), (4.0, 5.4, 9.0), 0.04),
            predefined_type="RIGIDSEGMENT",
            material="Copper",
        )
    )
    if b:
        add(
            Spec(
                "P-1-riser",
                "IfcPipeSegment",
                "Level 1",
                Round((9.0, 4.5, 5.0), (9.0, 4.5, 8.0), 0.05),
                predefined_type="RIGIDSEGMENT",
                material="Copper",
                note="new in rev B; rises through SL-2 where there is no opening",
            )
        )
    return specs


@dataclass(frozen=True)
class Case:
    """A deliberate pair, with values worked out by hand from the dimensions above."""

    relation: str
    a: str
    b: str
    overlap_volume: float
    penetration_depth: float
    distance: float
    note: str


PI = math.pi
DELIBERATE_A = [
    Case(
        "hard",
        "DUCT-1",
        "BM-1-mid",
        0.25 * 0.40 * (6.40 - 6.25),
        0.15,
        0.0,
        "duct 400x300 through beam 250x500 with no opening: 0.25 (beam width) x 0.40 (duct "
        "width) x 0.15 (duct top 6.40 - beam bottom 6.25)",
    ),
    Case(
        "hard",
        "P-1-wall",
        "W-1-west",
        0.20 * 0.10 * 0.10,
        0.10,
        0.0,
        "square pipe 100x100 through a 200 mm wall that has an opening elsewhere (window "
        "O-1-window at y 2.4-3.6; the pipe is at y 4.45-4.55)",
    ),
    Case(
        "not_clash",
        "P-1-sleeve",
        "W-1-east",
        0.0,
        0.0,
        0.15 - 0.05,
        "round pipe r=0.05 through the provisioned opening O-1-sleeve (300x300 centred on the "
        "pipe axis): 0.15 - 0.05 = 0.10 m from the wall; against the wall without its opening "
        "it would overlap pi r^2 x 0.2 = 0.0015708 m3",
    ),
    Case(
        "clearance",
        "DUCT-2",
        "BM-0-mid",
        0.0,
        0.0,
        2.75 - 2.72,
        "duct top 2.72 passes 30 mm under beam bottom 2.75; 50 mm required",
    ),
    Case(
        "clearance",
        "P-0-col",
        "C-0-B2",
        0.0,
        0.0,
        (5.8 - 5.73) - 0.05,
        "round pipe r=0.05, axis at y=5.73, passes 20 mm from the column face y=5.8; "
        "50 mm required",
    ),
    Case(
        "clearance",
        "CT-0-1",
        "DUCT-2",
        0.0,
        0.0,
        1.30 - 1.26,
        "cable tray edge y=1.26 runs 40 mm beside the duct side y=1.30; 50 mm required",
    ),
    Case(
        "duplicate",
        "C-1-B1",
        "C-1-B1-DUP",
        0.4 * 0.4 * 3.25,
        0.4,
        0.0,
        "identical column twice: overlap is the whole column 0.4 x 0.4 x 3.25",
    ),
    Case(
        "hard",
        "W-1-south-2a",
        "W-1-south-2b",
        0.05 * 0.20 * 2.75,
        0.05,
        0.0,
        "collinear walls overlapping 50 mm along their length (x 9.00-9.05) over the full "
        "height 2.75 and thickness 0.2",
    ),
    Case(
        "touching",
        "BM-R-south",
        "C-2-A1",
        0.0,
        0.0,
        0.0,
        "roof beam resting exactly on the column top (z 10.0)",
    ),
    Case(
        "touching",
        "SL-1",
        "W-0-west",
        0.0,
        0.0,
        0.0,
        "slab SL-1 resting exactly on the wall top (z 3.25)",
    ),
]
DELIBERATE_B = [
    Case(
        "not_clash",
        "DUCT-1",
        "BM-1-mid",
        0.0,
        0.0,
        6.25 - 6.15,
        "resolved: DUCT-1 rerouted, top 6.15 now 100 mm under the beam bottom 6.25",
    ),
    Case(
        "hard",
        "P-1-riser",
        "SL-2",
        PI * 0.05**2 * 0.25,
        0.10,
        0.0,
        "new round pipe r=0.05 rising through the 250 mm slab with no opening: pi x 0.05^2 x "
        "0.25 (exact cylinder; a tessellated cylinder gives less)",
    ),
    Case(
        "not_clash",
        "P-1-sleeve",
        "W-1-east",
        0.0,
        0.0,
        0.20 - 0.05,
        "round pipe r=0.05 through the provisioned opening O-1-sleeve, resized to 400x400: "
        "0.20 - 0.05 = 0.15 m from the wall",
    ),
    Case("hard", "P-1-wall", "W-1-west", 0.20 * 0.10 * 0.10, 0.10, 0.0, "unchanged from rev A"),
    Case("clearance", "DUCT-2", "BM-0-mid", 0.0, 0.0, 2.75 - 2.72, "unchanged from rev A"),
    Case("clearance", "P-0-col", "C-0-B2", 0.0, 0.0, (5.8 - 5.73) - 0.05, "unchanged from rev A"),
    Case("clearance", "CT-0-1", "DUCT-2", 0.0, 0.0, 1.30 - 1.26, "unchanged from rev A"),
    Case(
        "hard",
        "W-1-south-2a",
        "W-1-south-2b",
        0.05 * 0.20 * 2.75,
        0.05,
        0.0,
        "unchanged from rev A",
    ),
    Case(
        "touching",
        "BM-R-south",
        "C-2-A1",
        0.0,
        0.0,
        0.0,
        "roof beam resting exactly on the column top (z 10.0)",
    ),
    Case(
        "touching",
        "SL-1",
        "W-0-west",
        0.0,
        0.0,
        0.0,
        "slab SL-1 resting exactly on the wall top (z 3.25)",
    ),
]

#: Rev B against rev A, by element name (the truth gives GlobalIds).
CHANGES_B = {
    "added": ["P-1-riser"],
    "removed": ["C-1-B1-DUP"],
    "geometry_changed": ["DUCT-1", "O-1-sleeve", "SL-R", "W-0-partition", "W-1-east"],
    "data_changed": ["W-0-south-1"],
}
CHANGE_NOTES = {
    "P-1-riser": "new round pipe through SL-2 (new hard clash)",
    "C-1-B1-DUP": "duplicate column deleted",
    "DUCT-1": "rerouted 250 mm lower (z 6.10-6.40 -> 5.85-6.15)",
    "O-1-sleeve": "resized 300x300 -> 400x400",
    "SL-R": "roof slab 250 -> 300 mm thick (top 10.75 -> 10.80)",
    "W-0-partition": "extended 500 mm (y end 5.0 -> 5.5)",
    "W-1-east": "host of the resized opening O-1-sleeve (net geometry changed)",
    "W-0-south-1": "Pset_WallCommon.FireRating REI60 -> REI90",
}


# -- building the IFC files ---------------------------------------------------------------


def build_ifc(specs: list[Spec], length_unit: str, path: Path) -> Path:
    """Write the model described by ``specs`` to ``path`` with the factory."""
    f = ModelFactory(project_name="Tower", length_unit=length_unit, building_name="Tower")  # type: ignore[arg-type]
    storeys = {name: f.add_storey(name, elevation) for name, elevation in STOREYS.items()}
    types = {name: f.add_type(cls, name, predefined_type=pt) for name, (cls, pt) in TYPES.items()}
    layer_sets = {name: f.add_layer_set(name, layers) for name, layers in LAYER_SETS.items()}
    made: dict[str, Any] = {}
    for s in specs:
        if s.host:
            e = f.add_opening(s.name, host=made[s.host], shape=s.shape, axis=s.axis, key=s.key)  # type: ignore[arg-type]
        elif s.fills:
            e = f.add_filling(
                s.ifc_class,
                s.name,
                opening=made[s.fills],
                storey=storeys[s.storey],
                shape=s.shape,
                axis=s.axis,
                predefined_type=s.predefined_type,  # type: ignore[arg-type]
                key=s.key,
            )
        else:
            e = f.add_element(
                s.ifc_class,
                s.name,
                shape=s.shape,
                axis=s.axis,  # type: ignore[arg-type]
                storey=None if s.part_of else storeys[s.storey],
                part_of=made[s.part_of] if s.part_of else None,
                predefined_type=s.object_type or s.predefined_type,
                key=s.key,
            )
        made[s.name] = e
        if s.type_name:
            f.assign_type(e, types[s.type_name])
        if s.material:
            f.assign_material(e, s.material)
        if s.layer_set:
            f.assign_layer_set(e, layer_sets[s.layer_set])
        for pset, props in s.psets.items():
            f.add_pset(e, pset, props)
        if s.classification:
            system, code = s.classification
            f.add_classification_reference(e, system=system, identification=code)
    return f.write(path)


# -- hand geometry: exact volumes, overlaps and distances ----------------------------------


class NotHandComputable(Exception):
    """A pair configuration the interval arithmetic here does not cover: change the layout."""


def subtract(b: Box, hole: Box) -> list[Box]:
    """``b`` minus ``hole`` as disjoint boxes."""
    if any(min(b.hi[i], hole.hi[i]) - max(b.lo[i], hole.lo[i]) <= EPS for i in range(3)):
        return [b]
    lo, hi, out = list(b.lo), list(b.hi), []
    for i in range(3):
        if hole.lo[i] > lo[i] + EPS:
            h2 = list(hi)
            h2[i] = hole.lo[i]
            out.append(Box(tuple(lo), tuple(h2)))  # type: ignore[arg-type]
            lo[i] = hole.lo[i]
        if hole.hi[i] < hi[i] - EPS:
            l2 = list(lo)
            l2[i] = hole.hi[i]
            out.append(Box(tuple(l2), tuple(hi)))  # type: ignore[arg-type]
            hi[i] = hole.hi[i]
    return out


@dataclass
class Contact:
    """How two solid pieces meet: overlap (m³ and bbox), gap (m), contact dimension."""

    volume: float
    bbox: tuple[list[float], list[float]] | None
    distance: float
    contact: int  # for distance 0 and volume 0: 2 face, 1 edge, 0 point


def _intervals(a: Box | Round) -> tuple[list[float], list[float]]:
    if isinstance(a, Box):
        return list(a.lo), list(a.hi)
    lo, hi = list(a.start), list(a.end)
    i = "xyz".index(a.axis)
    lo[i], hi[i] = min(a.start[i], a.end[i]), max(a.start[i], a.end[i])
    for j in range(3):
        if j != i:
            lo[j], hi[j] = a.start[j] - a.radius, a.start[j] + a.radius
    return lo, hi


def aabb_distance(a: Box | Round, b: Box | Round) -> float:
    (alo, ahi), (blo, bhi) = _intervals(a), _intervals(b)
    return math.sqrt(
        sum(max(0.0, max(alo[i], blo[i]) - min(ahi[i], bhi[i])) ** 2 for i in range(3))
    )


def box_box(a: Box, b: Box) -> Contact:
    ext = [min(a.hi[i], b.hi[i]) - max(a.lo[i], b.lo[i]) for i in range(3)]
    if all(e > EPS for e in ext):
        lo = [max(a.lo[i], b.lo[i]) for i in range(3)]
        hi = [min(a.hi[i], b.hi[i]) for i in range(3)]
        return Contact(ext[0] * ext[1] * ext[2], (lo, hi), 0.0, 3)
    gap = math.sqrt(sum(max(0.0, -e) ** 2 for e in ext))
    if gap <= EPS:
        return Contact(0.0, None, 0.0, sum(e > EPS for e in ext))
    return Contact(0.0, None, gap, -1)


def round_box(c: Round, b: Box) -> Contact:
    i = "xyz".index(c.axis)
    j, k = (n for n in range(3) if n != i)
    lo_i, hi_i = min(c.start[i], c.end[i]), max(c.start[i], c.end[i])
    ext = min(hi_i, b.hi[i]) - max(lo_i, b.lo[i])
    cj, ck, rad = c.start[j], c.start[k], c.radius
    dj = max(b.lo[j] - cj, 0.0, cj - b.hi[j])
    dk = max(b.lo[k] - ck, 0.0, ck - b.hi[k])
    centre_gap = math.hypot(dj, dk)
    inside = (
        b.lo[j] <= cj - rad + EPS
        and cj + rad <= b.hi[j] + EPS
        and b.lo[k] <= ck - rad + EPS
        and ck + rad <= b.hi[k] + EPS
    )
    disjoint = centre_gap >= rad - EPS  # the disc does not enter the rectangle's interior
    if ext > EPS and not disjoint:
        if not inside:
            raise NotHandComputable(f"cylinder partly inside a box across axis {c.axis}")
        lo = [0.0] * 3
        hi = [0.0] * 3
        lo[i], hi[i] = max(lo_i, b.lo[i]), min(hi_i, b.hi[i])
        lo[j], hi[j], lo[k], hi[k] = cj - rad, cj + rad, ck - rad, ck + rad
        return Contact(math.pi * rad * rad * ext, (lo, hi), 0.0, 3)
    gap = math.hypot(max(0.0, -ext), max(0.0, centre_gap - rad))
    if gap > EPS:
        return Contact(0.0, None, gap, -1)
    if not disjoint:  # end face of the cylinder on a face of the box
        return Contact(0.0, None, 0.0, 2)
    return Contact(0.0, None, 0.0, 1 if ext > EPS else 0)


def round_round(a: Round, b: Round) -> Contact:
    if a.axis != b.axis:
        raise NotHandComputable("crossing cylinders closer than FAR")
    i = "xyz".index(a.axis)
    j, k = (n for n in range(3) if n != i)
    ext = min(max(a.start[i], a.end[i]), max(b.start[i], b.end[i])) - max(
        min(a.start[i], a.end[i]), min(b.start[i], b.end[i])
    )
    gap_perp = math.hypot(a.start[j] - b.start[j], a.start[k] - b.start[k]) - a.radius - b.radius
    if gap_perp < -EPS and ext > EPS:
        raise NotHandComputable("overlapping parallel cylinders")
    gap = math.hypot(max(0.0, -ext), max(0.0, gap_perp))
    return Contact(0.0, None, gap, -1) if gap > EPS else Contact(0.0, None, 0.0, 1)


def piece_contact(a: Box | Round, b: Box | Round) -> Contact:
    if isinstance(a, Box) and isinstance(b, Box):
        return box_box(a, b)
    if isinstance(a, Round) and isinstance(b, Box):
        return round_box(a, b)
    if isinstance(a, Box) and isinstance(b, Round):
        return round_box(b, a)
    return round_round(a, b)  # type: ignore[arg-type]


def net_pieces(specs: list[Spec]) -> dict[str, list[Box | Round]]:
    """Each physical element's solid after its openings, as disjoint pieces."""
    pieces: dict[str, list[Box | Round]] = {}
    for s in specs:
        if s.shape is not None and s.ifc_class != "IfcOpeningElement":
            pieces[s.name] = [s.shape]
    for s in specs:
        if s.host:
            out: list[Box | Round] = []
            for p in pieces[s.host]:
                out += subtract(p, s.shape) if isinstance(p, Box) else [p]  # type: ignore[arg-type]
            pieces[s.host] = out
    return pieces


def element_contact(pa: list[Box | Round], pb: list[Box | Round]) -> Contact | None:
    """Overlap (summed over disjoint pieces), distance (min), contact; None if far apart."""
    results = [piece_contact(x, y) for x in pa for y in pb if aabb_distance(x, y) < FAR]
    if not results:
        return None
    volume = sum(c.volume for c in results)
    boxes = [c.bbox for c in results if c.bbox is not None]
    bbox = None
    if boxes:
        bbox = (
            [min(b[0][i] for b in boxes) for i in range(3)],
            [max(b[1][i] for b in boxes) for i in range(3)],
        )
    distance = min(c.distance for c in results)
    contact = max(c.contact for c in results if c.distance == 0.0) if distance == 0.0 else -1
    return Contact(volume, bbox, distance, contact)


# -- truth ---------------------------------------------------------------------------------


def _num(x: float) -> float:
    return round(x, DECIMALS) + 0.0


def truth(
    specs: list[Spec],
    deliberate: list[Case],
    *,
    model: str,
    length_unit: str,
    guids: dict[str, str],
) -> dict[str, Any]:
    """The ground-truth document for one model (values in metres whatever the file unit)."""
    by_name = {s.name: s for s in specs}
    pieces = net_pieces(specs)
    cases = {frozenset((c.a, c.b)): c for c in deliberate}
    for c in deliberate:
        for n in (c.a, c.b):
            if n not in pieces:
                raise SystemExit(f"{model}: deliberate case names unknown element {n}")

    elements: dict[str, Any] = {}
    for s in specs:
        storey = by_name[s.part_of].storey if s.part_of else s.storey
        item: dict[str, Any] = {
            "global_id": guids[s.name],
            "ifc_class": s.ifc_class,
            "storey": storey,
        }
        if s.shape is None:
            item["no_geometry"] = True
        else:
            item["gross_volume"] = _num(s.shape.volume)
            vol = s.shape.volume if s.name not in pieces else sum(p.volume for p in pieces[s.name])
            item["volume"] = _num(vol)
            if isinstance(s.shape, Round):
                item["profile"] = {
                    "circle_radius": s.shape.radius,
                    "length": _num(s.shape.length),
                    "axis": s.shape.axis,
                }
            else:
                item["box"] = {
                    "min": list(s.shape.lo),
                    "max": list(s.shape.hi),
                    "extrusion_axis": s.axis,
                }
        for key, value in (
            ("predefined_type", s.predefined_type),
            ("object_type", s.object_type),
            ("type", s.type_name),
            ("aggregated_in", s.part_of),
            ("voids", s.host),
            ("fills", s.fills),
            ("material", s.material),
            ("layer_set", s.layer_set),
            ("note", s.note),
        ):
            if value is not None:
                item[key] = value
        if s.psets:
            item["psets"] = s.psets
        if s.classification:
            item["classification"] = {
                "system": s.classification[0],
                "identification": s.classification[1],
            }
        elements[s.name] = item

    fills_host = {s.name: by_name[s.fills].host for s in specs if s.fills}
    names = sorted(pieces)
    pairs = []
    seen_cases = set()
    for ia, na in enumerate(names):
        for nb in names[ia + 1 :]:
            c = element_contact(pieces[na], pieces[nb])
            key = frozenset((na, nb))
            case = cases.get(key)
            if c is None and case is None:
                continue
            if c is None:  # a deliberate pair farther than FAR: compute it on all pieces
                c = Contact(
                    0.0,
                    None,
                    min(piece_contact(x, y).distance for x in pieces[na] for y in pieces[nb]),
                    -1,
                )
            depth = min(h - lo for lo, h in zip(*c.bbox, strict=True)) if c.bbox else 0.0
            if case is not None:
                seen_cases.add(key)
                got = (c.volume, depth, c.distance)
                want = (case.overlap_volume, case.penetration_depth, case.distance)
                if any(abs(g - w) > 1e-9 for g, w in zip(got, want, strict=True)):
                    raise SystemExit(f"{model}: {na}/{nb}: computed {got}, hand value {want}")
                relation, note = case.relation, case.note
            elif fills_host.get(na) == nb or fills_host.get(nb) == na:
                if c.volume > 0 or c.distance > 0:
                    raise SystemExit(f"{model}: filling {na}/{nb} does not sit in its opening")
                relation, note = "filling", "door/window in its host's opening: not a clash"
            elif c.volume > 0:
                raise SystemExit(f"{model}: undeclared overlap {na}/{nb}: {c.volume} m3")
            elif c.distance == 0.0:
                relation, note = "touching", None
            elif c.distance < MARGIN:
                raise SystemExit(f"{model}: undeclared near pair {na}/{nb}: {c.distance} m")
            else:
                continue
            ga, gb = guids[na], guids[nb]
            (a, an), (b, bn) = sorted(((ga, na), (gb, nb)))
            pair: dict[str, Any] = {
                "a": a,
                "b": b,
                "a_name": an,
                "b_name": bn,
                "relation": relation,
                "overlap_volume": _num(c.volume),
                "penetration_depth": _num(depth),
                "distance": _num(c.distance),
            }
            if c.volume == 0 and c.distance == 0:
                pair["contact"] = {2: "face", 1: "edge", 0: "point"}[c.contact]
            if relation == "clearance":
                pair["required_clearance"] = NEAR
            if any(isinstance(x, Round) for x in pieces[na] + pieces[nb]):
                pair["curved"] = True
            if not note and by_name[na].part_of and by_name[na].part_of == by_name[nb].part_of:
                note = f"parts of the same assembly {by_name[na].part_of}"
            if note:
                pair["note"] = note
            pairs.append(pair)
    missing = set(cases) - seen_cases
    if missing:
        raise SystemExit(f"{model}: deliberate cases not found: {missing}")
    pairs.sort(key=lambda p: (p["a"], p["b"]))

    counts = Counter(s.ifc_class for s in specs)
    counts.update(
        {"IfcProject": 1, "IfcSite": 1, "IfcBuilding": 1, "IfcBuildingStorey": len(STOREYS)}
    )
    counts.update(cls for cls, _ in TYPES.values())
    return {
        "model": model,
        "schema": SCHEMA,
        "length_unit": length_unit,
        "units_note": "every length, volume and distance below is in metres / cubic metres, "
        "whatever the file's length unit",
        "storeys": [
            {"name": n, "elevation": e, "global_id": guids[f"storey:{n}"]}
            for n, e in STOREYS.items()
        ],
        "counts": dict(sorted(counts.items())),
        "counts_note": "instances by exact class of IfcProject, IfcProduct and IfcTypeObject",
        "elements": dict(sorted(elements.items())),
        "pairs_note": (
            "every pair of physical elements (openings excluded) whose net solids (after openings) "
            f"overlap, touch or lie within {NEAR} m, plus deliberate not_clash pairs; distance = "
            "minimum distance; penetration_depth = smallest extent of the overlap's bounding box; "
            "curved: a round pipe is involved, values are for the exact cylinder (IfcOpenShell's "
            "default tessellation approximates the circle by a polygon with a vertex on the "
            "profile X axis, so tessellated overlaps are up to ~1% smaller; distances "
            "measured along the profile X axis - world y for x-running pipes - are exact)"
        ),
        "pairs": pairs,
    }


def changes(a: list[Spec], b: list[Spec], guids: dict[str, str]) -> dict[str, Any]:
    """Rev B against rev A, checked against :data:`CHANGES_B` and given by GlobalId."""
    na, nb = {s.name for s in a}, {s.name for s in b}
    if sorted(nb - na) != CHANGES_B["added"] or sorted(na - nb) != CHANGES_B["removed"]:
        raise SystemExit("CHANGES_B added/removed disagree with the specs")
    spec_a, spec_b = {s.name: s for s in a}, {s.name: s for s in b}
    hosts_changed = {
        s.host for s in b if s.host and s.name in spec_a and s.shape != spec_a[s.name].shape
    }
    geometry = sorted(
        n for n in na & nb if spec_a[n].shape != spec_b[n].shape or n in hosts_changed
    )
    data = sorted(n for n in na & nb if spec_a[n].psets != spec_b[n].psets)
    if geometry != CHANGES_B["geometry_changed"] or data != CHANGES_B["data_changed"]:
        raise SystemExit(f"CHANGES_B disagree with the specs: {geometry} {data}")

    def listing(names: list[str]) -> list[dict[str, str]]:
        return [{"name": n, "global_id": guids[n], "note": CHANGE_NOTES[n]} for n in names]

    return {
        "against": "tower_rev_a.ifc",
        "scope": "elements of the truth's `elements` (IfcElement instances incl. openings)",
        "added": listing(CHANGES_B["added"]),
        "removed": listing(CHANGES_B["removed"]),
        "geometry_changed": listing(geometry),
        "data_changed": listing(data),
        "unchanged_count": len(na & nb) - len(set(geometry) | set(data)),
    }


#: What ``bimcheck diff tower_rev_a.ifc tower_rev_b.ifc`` must say, written out by hand:
#: name -> (status, change kinds, world translation of the placement in m or None,
#: area delta of the element's openings in m² or None). The factory places each
#: element at the centre of its solid's start face (ifcfactory docstring), so a
#: box that grows at one end moves its placement when the face centre moves.
DIFF_B: dict[str, tuple[str, list[str], tuple[float, float, float] | None, float | None]] = {
    "P-1-riser": ("added", [], None, None),
    "C-1-B1-DUP": ("removed", [], None, None),
    # same section, 250 mm lower: a pure move
    "DUCT-1": ("moved", ["placement"], (0.0, 0.0, -0.25), None),
    # 300x300 -> 400x400 about the same centre; extruded along z from its bottom face
    "O-1-sleeve": ("modified", ["geometry", "placement"], (0.0, 0.0, -0.05), None),
    # 250 -> 300 mm, from the same bottom face
    "SL-R": ("modified", ["geometry"], None, None),
    # y 3.0..5.0 -> 3.0..5.5, extruded along z: the start face's centre moves 0.25 in y
    "W-0-partition": ("modified", ["geometry", "placement"], (0.0, 0.25, 0.0), None),
    "W-0-south-1": ("modified", ["properties"], None, None),
    # its opening's face across the 200 mm wall: 0.3 x 0.3 -> 0.4 x 0.4
    "W-1-east": ("modified", ["openings"], None, 0.4 * 0.4 - 0.3 * 0.3),
}


def _face_centre(spec: Spec) -> tuple[float, float, float] | None:
    """World origin of an element's placement by the factory's rule, metres."""
    shape = spec.shape
    if shape is None:
        return None
    if isinstance(shape, Round):
        i = "xyz".index(shape.axis)
        start = list(shape.start)
        start[i] = min(shape.start[i], shape.end[i])
        return (start[0], start[1], start[2])
    i = "xyz".index(spec.axis)
    centre = [(lo + hi) / 2 for lo, hi in zip(shape.lo, shape.hi, strict=True)]
    centre[i] = shape.lo[i]
    return (centre[0], centre[1], centre[2])


def _section(spec: Spec) -> tuple:
    """What the element's representation holds: its profile and depth (not its place)."""
    shape = spec.shape
    if shape is None:
        return ()
    if isinstance(shape, Round):
        return ("round", shape.axis, shape.radius, shape.length)
    return ("box", spec.axis, *(round(v, 9) for v in shape.size))


def diff_truth(a: list[Spec], b: list[Spec], guids: dict[str, str]) -> dict[str, Any]:
    """The expected diff of rev B against rev A, worked out from the specs and
    checked against :data:`DIFF_B` (the script stops if they disagree)."""
    spec_a, spec_b = {s.name: s for s in a}, {s.name: s for s in b}
    found: dict[str, tuple] = {}
    for n in sorted(spec_a.keys() - spec_b.keys()):
        found[n] = ("removed", [], None, None)
    for n in sorted(spec_b.keys() - spec_a.keys()):
        found[n] = ("added", [], None, None)
    for n in sorted(spec_a.keys() & spec_b.keys()):
        sa, sb = spec_a[n], spec_b[n]
        kinds, move, area = [], None, None
        if _section(sa) != _section(sb):
            kinds.append("geometry")
        pa, pb = _face_centre(sa), _face_centre(sb)
        if pa is not None and pb is not None and pa != pb:
            kinds.append("placement")
            move = tuple(round(y - x, 9) + 0.0 for x, y in zip(pa, pb, strict=True))
        if sa.psets != sb.psets:
            kinds.append("properties")
        holes_a = {o.name: o for o in a if o.host == n}
        holes_b = {o.name: o for o in b if o.host == n}
        if any(holes_a.get(k) is None or holes_a[k].shape != holes_b[k].shape for k in holes_b):
            thin = min(range(3), key=lambda i: sb.shape.size[i])  # type: ignore[union-attr]

            def face(o: Spec, thin: int = thin) -> float:
                size = o.shape.size  # type: ignore[union-attr]
                return math.prod(size[i] for i in range(3) if i != thin)

            kinds.append("openings")
            area = sum(face(o) for o in holes_b.values()) - sum(face(o) for o in holes_a.values())
        if kinds:
            status = "moved" if kinds == ["placement"] else "modified"
            found[n] = (status, kinds, move, area)
    for n, (status, kinds, move, area) in DIFF_B.items():
        got = found.get(n)
        if got is None or got[:2] != (status, kinds) or (
                move is not None and any(abs(x - y) > 1e-9 for x, y in zip(move, got[2],
                                                                         strict=True))) or (
                area is not None and abs(area - got[3]) > 1e-9):
            raise SystemExit(f"DIFF_B disagrees with the specs for {n}: {got}")
    if set(found) != set(DIFF_B):
        raise SystemExit(f"DIFF_B misses {sorted(set(found) - set(DIFF_B))}")
    elements = []
    for n, (status, kinds, move, area) in sorted(DIFF_B.items()):
        item: dict[str, Any] = {"name": n, "global_id": guids[n], "status": status,
                                "changes": kinds}
        if move is not None:
            item["translation"] = [round(v, 9) + 0.0 for v in move]
        if area is not None:
            item["openings_area_delta"] = round(area, 9)
        elements.append(item)
    statuses = Counter(v[0] for v in DIFF_B.values())
    unchanged = len(spec_a.keys() & spec_b.keys()) - sum(
        1 for v in DIFF_B.values() if v[0] in ("modified", "moved"))
    return {
        "against": "tower_rev_a.ifc",
        "note": "what `bimcheck diff tower_rev_a.ifc tower_rev_b.ifc` reports: every IfcElement "
                "(openings included); elements not listed are unchanged; all matched by GlobalId",
        "elements": elements,
        "statuses": {"added": statuses["added"], "removed": statuses["removed"],
                     "modified": statuses["modified"], "moved": statuses["moved"],
                     "unchanged": unchanged},
        "causes": [],
    }


# -- change-order pricing (`bimcheck price`) --------------------------------------------------

#: The sample rate table, written to ``tower.rates.csv``: GB/T 50500 bill codes of 12
#: digits (the 9-digit items of ``tower.bill.yaml`` + 3 project digits) and their
#: comprehensive unit prices (综合单价) in CNY. Cable trays (030411003) have no rate
#: on purpose: the change order lists them as unpriced.
RATES_FILE = "tower.rates.csv"
RATE_PARAMS = {"name": "tower sample rates", "currency": "CNY", "threshold": "0.15",
               "over_factor": "0.9", "under_factor": "1.1"}
RATES = [  # code, description, unit, rate, selector
    ("010402001001", "砌块墙 200 mm blockwork, net of openings", "m3", "520.00", ""),
    ("011210005001", "成品隔断 100 mm gypsum board partition", "m2", "180.00", ""),
    ("011201001001", "墙面一般抹灰 gypsum plaster, both faces", "m2", "32.50", ""),
    ("010505003001", "平板 C30 floor slab 250 mm", "m3", "680.00", ""),
    ("010505003002", "平板 C30 roof slab", "m3", "720.00", "IfcSlab, PredefinedType=ROOF"),
    ("010503002001", "矩形梁 C30 beam 250x500", "m3", "710.00", ""),
    ("010502001001", "矩形柱 C30 column 400x400", "m3", "750.00", ""),
    ("010801001001", "门 door 1000x2100", "樘", "1850.00", ""),
    ("010807001001", "窗 window 1200x1200", "樘", "1200.00", ""),
    ("031001004001", "铜管 copper pipe", "m", "285.50", ""),
    ("030702001001", "碳钢通风管道 galvanised steel duct", "m2", "165.00", ""),
]

#: The change order of rev B against rev A, written out by hand from the dimensions
#: above: name -> (code, quantity, unit, old, new). Everything else keeps its
#: quantities: DUCT-1 only moves (same 400x300 section, same 10 m), W-0-south-1
#: changes a property, O-1-sleeve is an opening (not a bill item), and no plaster
#: changes (the partition has no plaster layer; the sleeve is a hole of at most
#: 0.3 m² in both revisions, which plaster keeps).
PRICE_LINES_B: dict[str, tuple[str, str, str, float, float]] = {
    # the duplicate column, 400 x 400 x 3.25 m, removed
    "C-1-B1-DUP": ("010502001001", "Volume", "m3", 0.4 * 0.4 * 3.25, 0.0),
    # the riser, z 5.0 .. 8.0, added
    "P-1-riser": ("031001004001", "Length", "m", 0.0, 8.0 - 5.0),
    # roof slab 12.4 x 6.4 m, 250 -> 300 mm
    "SL-R": ("010505003002", "Volume", "m3", 12.4 * 6.4 * 0.25, 12.4 * 6.4 * 0.30),
    # partition face, 2.0 -> 2.5 m long, 3.25 m high
    "W-0-partition": ("011210005001", "Area", "m2", 2.0 * 3.25, 2.5 * 3.25),
    # 200 mm wall 5.6 x 3.25 m less its opening, 0.3 x 0.3 -> 0.4 x 0.4 m
    "W-1-east": ("010402001001", "Volume", "m3", 0.2 * 5.6 * 3.25 - 0.2 * 0.3 * 0.3,
                 0.2 * 5.6 * 3.25 - 0.2 * 0.4 * 0.4),
}
#: delta × rate, rounded half up to 0.01, by hand.
PRICE_AMOUNTS_B = {
    "C-1-B1-DUP": "-390.00",    # -0.52 m3 x 750.00
    "P-1-riser": "856.50",      # 3.0 m x 285.50
    "SL-R": "2856.96",          # 3.968 m3 x 720.00
    "W-0-partition": "292.50",  # 1.625 m2 x 180.00
    "W-1-east": "-7.28",        # -0.014 m3 x 520.00
}
#: The deviation rule (threshold 15 %): code -> (Q0, Q1, direction, quantity re-priced,
#: amount), by hand. Both are increases of more than 15 %; their part beyond 1.15 Q0
#: is re-priced at rate x 0.9, so the adjustment is that part x rate x (0.9 - 1).
PRICE_ADJUSTMENTS_B = {
    # 23.808 / 19.84 = 1.20: 23.808 - 1.15 x 19.84 = 0.992 m3; 0.992 x 720 x -0.1 = -71.424
    "010505003002": (19.84, 23.808, "over", 0.992, "-71.42"),
    # 8.125 / 6.5 = 1.25: 8.125 - 1.15 x 6.5 = 0.65 m2; 0.65 x 180 x -0.1 = -11.70
    "011210005001": (6.5, 8.125, "over", 0.65, "-11.70"),
}
#: added = the riser; removed = the column; changed = SL-R + partition + W-1-east
#: (2856.96 + 292.50 - 7.28); net = 856.50 - 390.00 + 3142.18 - 83.12.
PRICE_TOTALS_B = {"added": "856.50", "removed": "-390.00", "changed": "3142.18",
                  "adjustments": "-83.12", "net": "3525.56"}


def _plaster_area(spec: Spec, specs: list[Spec]) -> float:
    """Both faces of a wall box, less its openings over 0.3 m² (GB 50854 keeps smaller)."""
    assert isinstance(spec.shape, Box)
    dx, dy, dz = spec.shape.size
    along = 0 if dx >= dy else 1
    area = max(dx, dy) * dz
    for o in specs:
        if o.host == spec.name and isinstance(o.shape, Box):
            lo = [max(a, b) for a, b in zip(o.shape.lo, spec.shape.lo, strict=True)]
            hi = [min(a, b) for a, b in zip(o.shape.hi, spec.shape.hi, strict=True)]
            face = (hi[along] - lo[along]) * (hi[2] - lo[2])
            if face > 0.3:
                area -= face
    return 2 * area


def bill_quantities(specs: list[Spec]) -> dict[tuple[str, str], float]:
    """(element name, rate code) -> its quantity in the rate's unit, from the
    dimensions, for every element ``tower.bill.yaml`` measures and
    ``tower.rates.csv`` prices (cable trays: no rate)."""
    pieces = net_pieces(specs)
    out: dict[tuple[str, str], float] = {}
    for s in specs:
        vol = sum(p.size[0] * p.size[1] * p.size[2] for p in pieces.get(s.name, [])
                  if isinstance(p, Box))
        if s.ifc_class == "IfcWall" and s.layer_set == "LS-200 blockwork":
            out[(s.name, "010402001001")] = vol
            out[(s.name, "011201001001")] = _plaster_area(s, specs)
        elif s.ifc_class == "IfcWall" and s.layer_set == "LS-100 partition":
            assert isinstance(s.shape, Box)
            out[(s.name, "011210005001")] = max(s.shape.size[:2]) * s.shape.size[2]
        elif s.ifc_class == "IfcSlab":
            roof = s.predefined_type == "ROOF"
            out[(s.name, "010505003002" if roof else "010505003001")] = vol
        elif s.ifc_class in ("IfcBeam", "IfcColumn") and s.material == CONCRETE:
            out[(s.name, "010503002001" if s.ifc_class == "IfcBeam" else "010502001001")] = vol
        elif s.ifc_class in ("IfcDoor", "IfcWindow"):
            out[(s.name, "010801001001" if s.ifc_class == "IfcDoor" else "010807001001")] = 1.0
        elif s.ifc_class == "IfcPipeSegment" and s.material == "Copper":
            if isinstance(s.shape, Round):
                length = sum(abs(a - b) for a, b in zip(s.shape.start, s.shape.end, strict=True))
            else:
                assert isinstance(s.shape, Box)
                length = s.shape.size["xyz".index(s.axis)]
            out[(s.name, "031001004001")] = length
        elif s.ifc_class == "IfcDuctSegment":
            assert isinstance(s.shape, Box)
            axis = "xyz".index(s.axis)
            a, b = (s.shape.size[i] for i in range(3) if i != axis)
            out[(s.name, "030702001001")] = 2 * (a + b) * s.shape.size[axis]
    return {k: round(v, DECIMALS) + 0.0 for k, v in out.items()}


def price_truth(a: list[Spec], b: list[Spec], guids: dict[str, str]) -> dict[str, Any]:
    """The priced change order of rev B, checked against the hand lists above."""
    from decimal import ROUND_HALF_UP, Decimal

    cent = Decimal("0.01")
    rates = {code: Decimal(rate) for code, _, _, rate, _ in RATES}
    qa, qb = bill_quantities(a), bill_quantities(b)
    found = {}
    for name, code in sorted(set(qa) | set(qb)):
        old, new = qa.get((name, code), 0.0), qb.get((name, code), 0.0)
        if abs(new - old) > 1e-9:
            found[name] = (code, old, new)
    hand = {n: (c, round(o, DECIMALS) + 0.0, round(w, DECIMALS) + 0.0)
            for n, (c, _, _, o, w) in PRICE_LINES_B.items()}
    if found != hand:
        raise SystemExit(f"PRICE_LINES_B disagree with the dimensions: {found} != {hand}")
    status = {n: "added" if n not in {s.name for s in a} else
              "removed" if n not in {s.name for s in b} else "modified" for n in hand}
    lines, sums = [], {"added": Decimal(0), "removed": Decimal(0), "changed": Decimal(0)}
    for name, (code, quantity, unit, old, new) in sorted(PRICE_LINES_B.items()):
        old_q, new_q = Decimal(repr(round(old, 6) + 0.0)), Decimal(repr(round(new, 6) + 0.0))
        amount = ((new_q - old_q) * rates[code]).quantize(cent, rounding=ROUND_HALF_UP)
        if amount != Decimal(PRICE_AMOUNTS_B[name]):
            raise SystemExit(f"PRICE_AMOUNTS_B[{name}] is wrong: {amount}")
        sums[status[name] if status[name] in ("added", "removed") else "changed"] += amount
        lines.append({"name": name, "global_id": guids[name], "status": status[name],
                      "item": code[:9], "code": code, "quantity": quantity, "unit": unit,
                      "old": float(old_q), "new": float(new_q), "delta": float(new_q - old_q),
                      "rate": float(rates[code]), "amount": float(amount)})
    threshold = Decimal(RATE_PARAMS["threshold"])
    factors = {"over": Decimal(RATE_PARAMS["over_factor"]),
               "under": Decimal(RATE_PARAMS["under_factor"])}
    adjustments = []
    for code in sorted({c for _, c in qa} | {c for _, c in qb}):
        q0 = sum((Decimal(repr(v)) for (_, c), v in qa.items() if c == code), Decimal(0))
        q1 = sum((Decimal(repr(v)) for (_, c), v in qb.items() if c == code), Decimal(0))
        if q1 > (1 + threshold) * q0:
            direction, part = "over", q1 - (1 + threshold) * q0
        elif q1 < (1 - threshold) * q0:
            direction, part = "under", q1
        else:
            if code in PRICE_ADJUSTMENTS_B:
                raise SystemExit(f"PRICE_ADJUSTMENTS_B lists {code}, within the threshold")
            continue
        amount = (part * rates[code] * (factors[direction] - 1)).quantize(
            cent, rounding=ROUND_HALF_UP)
        expected = PRICE_ADJUSTMENTS_B.get(code)
        if expected != (float(q0), float(q1), direction, float(part), str(amount)):
            raise SystemExit(f"PRICE_ADJUSTMENTS_B[{code}] is wrong: {q0} {q1} {part} {amount}")
        adjustments.append({"code": code, "old_total": float(q0), "new_total": float(q1),
                            "direction": direction, "quantity": float(part),
                            "factor": float(factors[direction]), "amount": float(amount)})
    if len(adjustments) != len(PRICE_ADJUSTMENTS_B):
        raise SystemExit("PRICE_ADJUSTMENTS_B lists an adjustment the rule does not make")
    sums["adjustments"] = sum((Decimal(x[4]) for x in PRICE_ADJUSTMENTS_B.values()), Decimal(0))
    sums["net"] = sum(sums.values(), Decimal(0))
    if {k: str(v) for k, v in sums.items()} != PRICE_TOTALS_B:
        raise SystemExit(f"PRICE_TOTALS_B disagree with the lines: {sums}")
    return {
        "against": "tower_rev_a.ifc",
        "rates": RATES_FILE,
        "rules": "tower.bill.yaml",
        "currency": RATE_PARAMS["currency"],
        "lines": lines,
        "adjustments": adjustments,
        "totals": {k: float(v) for k, v in PRICE_TOTALS_B.items()},
        "unpriced": [{"item": "030411003", "quantity": "Length", "unit": "m",
                      "note": "cable trays: no rate in the table, unchanged"}],
        "note": "worked out by hand from the dimensions (PRICE_LINES_B and the comments in "
                "build_samples.py; docs/price.md 'The sample'); amounts are delta x rate "
                "rounded half up to 0.01, totals their sums",
    }


def write_rates(path: Path) -> Path:
    """The sample rate table as CSV (UTF-8, ``# key: value`` parameters, one header row)."""
    import csv
    import io

    out = io.StringIO()
    for key, value in RATE_PARAMS.items():
        out.write(f"# {key}: {value}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "description", "unit", "rate", "selector"])
    writer.writerows(RATES)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def read_guids(path: Path) -> dict[str, str]:
    """Name -> GlobalId of the products in a written file (``storey:<name>`` for storeys)."""
    import ifcopenshell

    f = ifcopenshell.open(str(path))
    out = {}
    for p in f.by_type("IfcProduct"):
        key = f"storey:{p.Name}" if p.is_a("IfcBuildingStorey") else p.Name
        out[key] = p.GlobalId
    return out


class _Dumper(yaml.SafeDumper):
    """Block style, except lists of plain values (coordinates), which go on one line."""


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = all(isinstance(x, int | float | str) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def write_yaml(doc: dict[str, Any], path: Path, header: str) -> None:
    text = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(header + text, encoding="utf-8")


def build_all(out: Path) -> list[Path]:
    """Write the three samples and their truth files into ``out``; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    spec_a, spec_b = tower("A"), tower("B")
    header = "# Generated by samples/build_samples.py from hand-computed values; do not edit.\n"
    written = []
    for model, specs, unit, deliberate in (
        ("tower_rev_a", spec_a, "m", DELIBERATE_A),
        ("tower_rev_b", spec_b, "m", DELIBERATE_B),
        ("tower_rev_a_mm", spec_a, "mm", DELIBERATE_A),
    ):
        ifc = build_ifc(specs, unit, out / f"{model}.ifc")
        guids = read_guids(ifc)
        doc = truth(specs, deliberate, model=ifc.name, length_unit=unit, guids=guids)
        if model == "tower_rev_b":
            guids_a = read_guids(out / "tower_rev_a.ifc")
            doc["changes"] = changes(spec_a, spec_b, {**guids_a, **guids})
            doc["diff"] = diff_truth(spec_a, spec_b, {**guids_a, **guids})
            doc["price"] = price_truth(spec_a, spec_b, {**guids_a, **guids})
        yml = out / f"{model}.truth.yaml"
        write_yaml(doc, yml, header)
        written += [ifc, yml]
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: samples/)")
    args = parser.parse_args(argv)
    for path in [*build_all(args.out), write_rates(args.out / RATES_FILE)]:
        print(path, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
