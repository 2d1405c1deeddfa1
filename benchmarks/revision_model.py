"""A design revision of a model in which a given share of the elements changed:
each chosen element is moved 0.1 m along x (a new placement of its own), so its
geometry fingerprint, its meshes and its quantity rows' inputs change; the rest
of the file is as it was. Both the base and the revision are written by
IfcOpenShell, so that the two files differ only by the change.

    python benchmarks/revision_model.py MODEL BASE.ifc REVISION.ifc [--share 0.05]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from pathlib import Path

#: Metres each changed element is moved along the x axis of its placement.
SHIFT_M = 0.1


def make_revision(model: Path, base: Path, revision: Path, share: float = 0.05,
                  seed: int = 17) -> list[str]:
    """Write ``base`` (the model re-written) and ``revision`` (``share`` of its
    elements with a body and a local placement moved); the moved GlobalIds."""
    import ifcopenshell
    import ifcopenshell.util.unit

    f = ifcopenshell.open(str(model))
    f.write(str(base))
    scale = ifcopenshell.util.unit.calculate_unit_scale(f)
    movable = sorted(
        (e for e in f.by_type("IfcElement")
         if e.Representation is not None and e.ObjectPlacement is not None
         and e.ObjectPlacement.is_a("IfcLocalPlacement")
         and e.ObjectPlacement.RelativePlacement.is_a("IfcAxis2Placement3D")),
        key=lambda e: e.GlobalId)
    chosen = random.Random(seed).sample(movable, max(1, round(share * len(movable))))
    for e in chosen:
        old = e.ObjectPlacement
        axis = old.RelativePlacement
        x, y, *z = axis.Location.Coordinates
        point = f.createIfcCartesianPoint((x + SHIFT_M / scale, y, *z))
        moved = f.createIfcAxis2Placement3D(point, axis.Axis, axis.RefDirection)
        e.ObjectPlacement = f.createIfcLocalPlacement(old.PlacementRelTo, moved)
    f.write(str(revision))
    return sorted(e.GlobalId for e in chosen)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("base", type=Path)
    parser.add_argument("revision", type=Path)
    parser.add_argument("--share", type=float, default=0.05)
    args = parser.parse_args(argv)
    moved = make_revision(args.model, args.base, args.revision, args.share)
    print(f"{len(moved)} element(s) moved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
