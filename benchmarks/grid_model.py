"""A synthetic IFC4 building of any size with a known number of hard clashes.

Run on demand::

    .venv/bin/python benchmarks/grid_model.py OUT.ifc [--elements N] [--seed S]
                                                      [--clash-fraction F] [--pairs]

writes the model and prints its ground truth (:func:`build_grid_model`'s
return value) as JSON. Other benchmark scripts and the tests import it with
``benchmarks/`` on ``sys.path``::

    from grid_model import build_grid_model, plan_grid

Layout (metres, world coordinates; every solid is an axis-aligned box)
    A regular grid of ``bays_x`` x ``bays_y`` square bays of :data:`BAY` m on
    ``storeys`` storeys of :data:`STOREY_HEIGHT` m. Grid line ``i`` is at
    ``x = i * BAY``, grid line ``j`` at ``y = j * BAY``. Storey ``s`` runs from
    ``z0 = s * STOREY_HEIGHT`` to its top ``T = z0 + STOREY_HEIGHT``. Per storey:

    ========================  ======================================  ==================
    element (Name)            plan extent                             z extent
    ========================  ======================================  ==================
    IfcColumn ``C.s.i.j``     ``x = iB ± 0.2``, ``y = jB ± 0.2``      ``[z0, T-0.7]``
    IfcBeam ``BX.s.i.j``      ``x = [iB+0.15, (i+1)B-0.15]``,         ``[T-0.7, T-0.2]``
                              ``y = jB ± 0.15`` (along x)
    IfcBeam ``BY.s.i.j``      ``x = iB ± 0.15``,                      ``[T-0.7, T-0.2]``
                              ``y = [jB+0.15, (j+1)B-0.15]``
    IfcSlab ``S.s.i.j``       ``x = [iB, (i+1)B]``,                   ``[T-0.2, T]``
                              ``y = [jB, (j+1)B]``
    IfcWall ``WX.s.i.j``      ``x = [iB+0.2, (i+1)B-0.2]``,           ``[z0, T-0.7]``
                              ``y = jB ± 0.1``, ``j in {0, bays_y}``
    IfcWall ``WY.s.i.j``      ``x = iB ± 0.1``, ``i in {0, bays_x}``, ``[z0, T-0.7]``
                              ``y = [jB+0.2, (j+1)B-0.2]``
    IfcDuctSegment            ``x = iB ± B/2`` (i = 1..bays_x-1),     ``[T-1.0, T-0.8]``;
    ``D.s.j.i``               ``y = (j+½)B ± 0.2`` (along x)          raised
                                                                      ``[T-0.45, T-0.25]``
    IfcPipeSegment            ``x = (i+½)B ± 0.05``,                  ``[T-1.3, T-1.2]``;
    ``P.s.i.j``               ``y = jB ± B/2`` (j = 1..bays_y-1)      raised
                                                                      ``[T-0.65, T-0.55]``
    ========================  ======================================  ==================

    (B = :data:`BAY`; walls only on the perimeter grid lines.) Each duct
    segment is one bay long and centred on an interior grid line, so a run of
    them fills ``x = [B/2, bays_x B - B/2]`` along the middle of a bay row,
    consecutive segments touching end to end; pipes likewise along y.

Clashes (ground truth)
    The structure only touches (face to face: columns on slabs and under
    beams, beams under slabs, walls between columns, slabs side by side,
    x- and y-beams along one edge at each node); it never overlaps itself.
    A normal duct runs 0.1 m under the beams, a normal pipe 0.2 m under the
    ducts, so normal MEP segments are clear of everything but their
    end-to-end neighbours (which they touch). A *raised* segment (chosen with probability
    ``clash_fraction`` by ``random.Random(seed)``) sits inside the beam depth
    and passes right through exactly one beam: duct ``D.s.j.i`` through
    ``BY.s.i.j`` (overlap 0.3 x 0.4 x 0.2 m) and pipe ``P.s.i.j`` through
    ``BX.s.i.j`` (overlap 0.1 x 0.3 x 0.1 m); the raised duct and pipe bands
    are 0.1 m apart in z, so raised ducts and pipes never meet (a raised duct
    is 0.05 m under the slabs: a clearance check will see it). Hence the
    number of hard clashes is the number of raised segments, counted from
    the layout, never measured.

Size
    ``n_elements`` is exact: the grid is ``bays x bays`` with ``bays`` chosen
    so that ``storeys`` (default ``ceil(n_elements / 5000)``) full storeys hold
    at least ``n_elements``, and elements are emitted storey by storey (within
    a storey: columns, walls, beams, slabs, ducts, pipes) until there are
    ``n_elements``; so only the top storey can be partial, and a raised
    segment that is emitted always has its beam.

IFC written (fast: entities are created directly, not through ``ifcopenshell.api``)
    IFC4, SI metre / m² / m³ / radian. IfcProject > IfcSite > IfcBuilding >
    IfcBuildingStorey (Elevation ``z0``) via IfcRelAggregates; elements in
    their storey via one IfcRelContainedInSpatialStructure per storey. Each
    element has its own IfcLocalPlacement (relative to its storey's, pure
    translation to the centre of the box's bottom face) and its own ``Body``
    / ``SweptSolid`` IfcShapeRepresentation holding one IfcExtrudedAreaSolid
    of an IfcRectangleProfileDef (shared between elements of equal size)
    extruded along +Z. No IfcOwnerHistory (optional in IFC4). GlobalIds are
    ``uuid5(GUID_NAMESPACE, "grid:" + Name)`` compressed; the header carries a
    fixed timestamp, so the same arguments write byte-identical files.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ifcopenshell
import ifcopenshell.guid

Vec3 = tuple[float, float, float]

#: Bay size (grid spacing) in x and y, metres.
BAY = 6.0
#: Storey height, metres.
STOREY_HEIGHT = 4.0
#: Elements per full storey aimed at when ``storeys`` is not given.
ELEMENTS_PER_STOREY = 5000

COLUMN = 0.4  # square column
BEAM_W, BEAM_D = 0.3, 0.5  # beam width, depth
SLAB_T = 0.2
WALL_T = 0.2
DUCT_W, DUCT_H = 0.4, 0.2
PIPE_W = 0.1  # square "pipe"
# z bands relative to the storey top T: (bottom, top) offsets below T.
BEAM_BAND = (-0.7, -0.2)
SLAB_BAND = (-0.2, 0.0)
DUCT_BAND, DUCT_RAISED_BAND = (-1.0, -0.8), (-0.45, -0.25)
PIPE_BAND, PIPE_RAISED_BAND = (-1.3, -1.2), (-0.65, -0.55)

#: Namespace of the name-based UUIDs behind every GlobalId.
GUID_NAMESPACE = uuid.UUID("0b7d6c1e-3f2a-5a4b-8c9d-2e1f0a3b4c5d")
#: Header timestamp, so re-runs are byte-identical.
FIXED_TIMESTAMP = "2024-01-01T00:00:00"

#: Classes in emission order within a storey.
CLASSES = ("IfcColumn", "IfcWall", "IfcBeam", "IfcSlab", "IfcDuctSegment", "IfcPipeSegment")
PREDEFINED = {
    "IfcColumn": "COLUMN",
    "IfcWall": "SOLIDWALL",
    "IfcBeam": "BEAM",
    "IfcSlab": "FLOOR",
    "IfcDuctSegment": "RIGIDSEGMENT",
    "IfcPipeSegment": "RIGIDSEGMENT",
}
_DECIMALS = 9


def grid_guid(name: str) -> str:
    """The GlobalId of the grid element called ``name``."""
    return ifcopenshell.guid.compress(uuid.uuid5(GUID_NAMESPACE, "grid:" + name).hex)


@dataclass(frozen=True)
class GridElement:
    """One element of the grid: its Name, class, storey index and world box (metres)."""

    name: str
    ifc_class: str
    storey: int
    lo: Vec3
    hi: Vec3
    #: For a raised duct or pipe segment: the Name of the beam it passes through.
    clashes_with: str | None = None

    @property
    def global_id(self) -> str:
        return grid_guid(self.name)


@dataclass
class GridPlan:
    """What :func:`build_grid_model` writes: the layout and its (truncated) element list."""

    bays_x: int
    bays_y: int
    storeys: int
    seed: int
    clash_fraction: float
    elements: list[GridElement] = field(default_factory=list)

    def truth(self, *, with_pairs: bool = False) -> dict[str, Any]:
        """Ground truth from the layout: counts by class, expected hard clashes."""
        counts = Counter(e.ifc_class for e in self.elements)
        raised = [e for e in self.elements if e.clashes_with]
        by_pair = Counter(f"{e.ifc_class}-IfcBeam" for e in raised)
        truth: dict[str, Any] = {
            "n_elements": len(self.elements),
            "schema": "IFC4",
            "length_unit": "m",
            "layout": {
                "bays_x": self.bays_x,
                "bays_y": self.bays_y,
                "storeys": self.storeys,
                "storeys_used": max((e.storey for e in self.elements), default=-1) + 1,
                "bay": BAY,
                "storey_height": STOREY_HEIGHT,
            },
            "seed": self.seed,
            "clash_fraction": self.clash_fraction,
            "counts": {c: counts.get(c, 0) for c in CLASSES},
            "hard_clashes": {
                "IfcDuctSegment-IfcBeam": by_pair.get("IfcDuctSegment-IfcBeam", 0),
                "IfcPipeSegment-IfcBeam": by_pair.get("IfcPipeSegment-IfcBeam", 0),
            },
            "expected_hard_clashes": len(raised),
        }
        if with_pairs:
            truth["clash_pairs"] = sorted(
                [e.global_id, grid_guid(e.clashes_with)]  # type: ignore[arg-type]
                for e in raised
            )
        return truth


def elements_per_storey(bays_x: int, bays_y: int) -> int:
    """Element count of one full storey of a ``bays_x`` x ``bays_y`` grid."""
    nx, ny = bays_x, bays_y
    columns = (nx + 1) * (ny + 1)
    walls = 2 * (nx + ny)
    beams = nx * (ny + 1) + (nx + 1) * ny
    slabs = nx * ny
    ducts = ny * max(nx - 1, 0)
    pipes = nx * max(ny - 1, 0)
    return columns + walls + beams + slabs + ducts + pipes


def _box(x0: float, x1: float, y0: float, y1: float, z0: float, z1: float) -> tuple[Vec3, Vec3]:
    r = _DECIMALS
    return (round(x0, r), round(y0, r), round(z0, r)), (round(x1, r), round(y1, r), round(z1, r))


def _storey_elements(
    s: int, nx: int, ny: int, rng: random.Random, fraction: float
) -> Iterator[GridElement]:
    """All elements of storey ``s``, in emission order (see module doc)."""
    b = BAY
    z0 = s * STOREY_HEIGHT
    top = z0 + STOREY_HEIGHT
    hc, hb, hw = COLUMN / 2, BEAM_W / 2, WALL_T / 2
    beam_z = (top + BEAM_BAND[0], top + BEAM_BAND[1])
    under_beam = top + BEAM_BAND[0]

    for i in range(nx + 1):
        for j in range(ny + 1):
            yield GridElement(
                f"C.{s}.{i}.{j}",
                "IfcColumn",
                s,
                *_box(i * b - hc, i * b + hc, j * b - hc, j * b + hc, z0, under_beam),
            )
    for j in (0, ny):
        for i in range(nx):
            yield GridElement(
                f"WX.{s}.{i}.{j}",
                "IfcWall",
                s,
                *_box(i * b + hc, (i + 1) * b - hc, j * b - hw, j * b + hw, z0, under_beam),
            )
    for i in (0, nx):
        for j in range(ny):
            yield GridElement(
                f"WY.{s}.{i}.{j}",
                "IfcWall",
                s,
                *_box(i * b - hw, i * b + hw, j * b + hc, (j + 1) * b - hc, z0, under_beam),
            )
    for j in range(ny + 1):
        for i in range(nx):
            yield GridElement(
                f"BX.{s}.{i}.{j}",
                "IfcBeam",
                s,
                *_box(i * b + hb, (i + 1) * b - hb, j * b - hb, j * b + hb, *beam_z),
            )
    for i in range(nx + 1):
        for j in range(ny):
            yield GridElement(
                f"BY.{s}.{i}.{j}",
                "IfcBeam",
                s,
                *_box(i * b - hb, i * b + hb, j * b + hb, (j + 1) * b - hb, *beam_z),
            )
    for i in range(nx):
        for j in range(ny):
            yield GridElement(
                f"S.{s}.{i}.{j}",
                "IfcSlab",
                s,
                *_box(
                    i * b, (i + 1) * b, j * b, (j + 1) * b, top + SLAB_BAND[0], top + SLAB_BAND[1]
                ),
            )
    for j in range(ny):
        y = (j + 0.5) * b
        for i in range(1, nx):
            raised = rng.random() < fraction
            lo_z, hi_z = DUCT_RAISED_BAND if raised else DUCT_BAND
            yield GridElement(
                f"D.{s}.{j}.{i}",
                "IfcDuctSegment",
                s,
                *_box(
                    i * b - b / 2,
                    i * b + b / 2,
                    y - DUCT_W / 2,
                    y + DUCT_W / 2,
                    top + lo_z,
                    top + hi_z,
                ),
                clashes_with=f"BY.{s}.{i}.{j}" if raised else None,
            )
    for i in range(nx):
        x = (i + 0.5) * b
        for j in range(1, ny):
            raised = rng.random() < fraction
            lo_z, hi_z = PIPE_RAISED_BAND if raised else PIPE_BAND
            yield GridElement(
                f"P.{s}.{i}.{j}",
                "IfcPipeSegment",
                s,
                *_box(
                    x - PIPE_W / 2,
                    x + PIPE_W / 2,
                    j * b - b / 2,
                    j * b + b / 2,
                    top + lo_z,
                    top + hi_z,
                ),
                clashes_with=f"BX.{s}.{i}.{j}" if raised else None,
            )


def plan_grid(
    n_elements: int = 50_000,
    *,
    seed: int = 0,
    clash_fraction: float = 0.05,
    storeys: int | None = None,
    bays: int | None = None,
) -> GridPlan:
    """The layout :func:`build_grid_model` writes, without writing it.

    ``storeys`` defaults to ``ceil(n_elements / ELEMENTS_PER_STOREY)``;
    ``bays`` (square plan) defaults to the smallest count for which
    ``storeys`` full storeys hold ``n_elements``. Raising ``bays`` or
    ``storeys`` beyond that just leaves the top of the building empty.
    """
    if n_elements < 1:
        raise ValueError("n_elements must be at least 1")
    if not 0.0 <= clash_fraction <= 1.0:
        raise ValueError("clash_fraction must be within [0, 1]")
    if storeys is None:
        storeys = max(1, math.ceil(n_elements / ELEMENTS_PER_STOREY))
    if bays is None:
        bays = 2
        while storeys * elements_per_storey(bays, bays) < n_elements:
            bays += 1
    if storeys * elements_per_storey(bays, bays) < n_elements:
        raise ValueError(f"{storeys} storeys of {bays}x{bays} bays hold fewer than {n_elements}")
    rng = random.Random(seed)
    plan = GridPlan(bays, bays, storeys, seed, clash_fraction)
    for s in range(storeys):
        for element in _storey_elements(s, bays, bays, rng, clash_fraction):
            if len(plan.elements) == n_elements:
                return plan
            plan.elements.append(element)
    return plan


class _Writer:
    """Creates the entities of a grid model directly (no ifcopenshell.api)."""

    def __init__(self) -> None:
        f = self.f = ifcopenshell.file(schema="IFC4")
        self.origin = f.createIfcCartesianPoint((0.0, 0.0, 0.0))
        self.z_dir = f.createIfcDirection((0.0, 0.0, 1.0))
        self.x_dir = f.createIfcDirection((1.0, 0.0, 0.0))
        self.identity = f.createIfcAxis2Placement3D(self.origin, None, None)
        self.profile_origin = f.createIfcAxis2Placement2D(f.createIfcCartesianPoint((0.0, 0.0)))
        self.profiles: dict[tuple[float, float], Any] = {}
        units = [
            f.createIfcSIUnit(None, "LENGTHUNIT", None, "METRE"),
            f.createIfcSIUnit(None, "AREAUNIT", None, "SQUARE_METRE"),
            f.createIfcSIUnit(None, "VOLUMEUNIT", None, "CUBIC_METRE"),
            f.createIfcSIUnit(None, "PLANEANGLEUNIT", None, "RADIAN"),
        ]
        model = f.createIfcGeometricRepresentationContext(
            None,
            "Model",
            3,
            1.0e-5,
            f.createIfcAxis2Placement3D(self.origin, self.z_dir, self.x_dir),
            None,
        )
        self.body = f.createIfcGeometricRepresentationSubContext(
            "Body", "Model", None, None, None, None, model, None, "MODEL_VIEW", None
        )
        self.project = f.createIfcProject(
            grid_guid("project"),
            None,
            "Grid benchmark",
            None,
            None,
            None,
            None,
            [model],
            f.createIfcUnitAssignment(units),
        )

    def placement(self, relative_to: Any, xyz: Vec3) -> Any:
        f = self.f
        if xyz == (0.0, 0.0, 0.0):
            rel = self.identity
        else:
            rel = f.createIfcAxis2Placement3D(f.createIfcCartesianPoint(xyz), None, None)
        return f.createIfcLocalPlacement(relative_to, rel)

    def spatial(self, cls: str, name: str, parent: Any, placement_rel: Any, **attrs: Any) -> Any:
        entity = self.f.create_entity(
            cls,
            GlobalId=grid_guid(name),
            Name=name,
            ObjectPlacement=self.placement(placement_rel, attrs.pop("at", (0.0, 0.0, 0.0))),
            CompositionType="ELEMENT",
            **attrs,
        )
        self.f.createIfcRelAggregates(grid_guid(f"agg:{name}"), None, None, None, parent, [entity])
        return entity

    def element(self, e: GridElement, storey_placement: Any, z0: float) -> Any:
        f = self.f
        dx, dy, dz = (round(h - low, _DECIMALS) for low, h in zip(e.lo, e.hi, strict=True))
        cx = round((e.lo[0] + e.hi[0]) / 2, _DECIMALS)
        cy = round((e.lo[1] + e.hi[1]) / 2, _DECIMALS)
        profile = self.profiles.get((dx, dy))
        if profile is None:
            profile = self.profiles[(dx, dy)] = f.createIfcRectangleProfileDef(
                "AREA", None, self.profile_origin, dx, dy
            )
        solid = f.createIfcExtrudedAreaSolid(profile, self.identity, self.z_dir, dz)
        rep = f.createIfcShapeRepresentation(self.body, "Body", "SweptSolid", [solid])
        return f.create_entity(
            e.ifc_class,
            GlobalId=e.global_id,
            Name=e.name,
            ObjectPlacement=self.placement(
                storey_placement, (cx, cy, round(e.lo[2] - z0, _DECIMALS))
            ),
            Representation=f.createIfcProductDefinitionShape(None, None, [rep]),
            PredefinedType=PREDEFINED[e.ifc_class],
        )

    def write(self, plan: GridPlan, path: Path) -> None:
        f = self.f
        site = self.spatial("IfcSite", "Site", self.project, None)
        building = self.spatial("IfcBuilding", "Building", site, site.ObjectPlacement)
        by_storey: dict[int, list[GridElement]] = {}
        for e in plan.elements:
            by_storey.setdefault(e.storey, []).append(e)
        storeys = []
        for s in range(max(by_storey, default=-1) + 1):
            z0 = round(s * STOREY_HEIGHT, _DECIMALS)
            storey = f.create_entity(
                "IfcBuildingStorey",
                GlobalId=grid_guid(f"storey:{s}"),
                Name=f"Level {s}",
                ObjectPlacement=self.placement(building.ObjectPlacement, (0.0, 0.0, z0)),
                CompositionType="ELEMENT",
                Elevation=z0,
            )
            storeys.append(storey)
            products = [self.element(e, storey.ObjectPlacement, z0) for e in by_storey[s]]
            f.createIfcRelContainedInSpatialStructure(
                grid_guid(f"contained:{s}"), None, None, None, products, storey
            )
        f.createIfcRelAggregates(grid_guid("agg:storeys"), None, None, None, building, storeys)
        header = f.header
        header.file_name.name = path.name
        header.file_name.time_stamp = FIXED_TIMESTAMP
        header.file_name.author = ("bimcheck",)
        header.file_name.organization = ("bimcheck",)
        header.file_name.preprocessor_version = "IfcOpenShell"
        header.file_name.originating_system = "bimcheck benchmarks/grid_model.py"
        header.file_name.authorization = "none"
        f.write(str(path))


def build_grid_model(
    path: str | Path,
    n_elements: int = 50_000,
    *,
    seed: int = 0,
    clash_fraction: float = 0.05,
    storeys: int | None = None,
    bays: int | None = None,
    with_pairs: bool = False,
) -> dict[str, Any]:
    """Write the grid model with exactly ``n_elements`` elements to ``path``; return its truth.

    See the module doc for the layout. The returned dict (JSON-ready) holds
    ``n_elements``, ``layout`` (bays, storeys, sizes), ``counts`` by class,
    ``hard_clashes`` by class pair (``"IfcDuctSegment-IfcBeam"``,
    ``"IfcPipeSegment-IfcBeam"``) and their sum ``expected_hard_clashes``;
    with ``with_pairs`` also ``clash_pairs``, the sorted ``[mep, beam]``
    GlobalId pairs. Raises ``ValueError`` on impossible arguments.
    """
    path = Path(path)
    plan = plan_grid(
        n_elements, seed=seed, clash_fraction=clash_fraction, storeys=storeys, bays=bays
    )
    _Writer().write(plan, path)
    return plan.truth(with_pairs=with_pairs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic grid IFC4 model.")
    parser.add_argument("out", type=Path, help="IFC file to write")
    parser.add_argument("--elements", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clash-fraction", type=float, default=0.05)
    parser.add_argument("--storeys", type=int)
    parser.add_argument("--bays", type=int)
    parser.add_argument("--pairs", action="store_true", help="include the clashing GlobalIds")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    truth = build_grid_model(
        args.out,
        args.elements,
        seed=args.seed,
        clash_fraction=args.clash_fraction,
        storeys=args.storeys,
        bays=args.bays,
        with_pairs=args.pairs,
    )
    seconds = time.perf_counter() - t0
    print(json.dumps(truth, indent=2))
    print(
        f"wrote {args.out} ({args.out.stat().st_size:,} bytes) in {seconds:.2f} s", file=sys.stderr
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
