"""benchmarks/grid_model.py: counts, box geometry and clash truth of a one-storey grid."""

from __future__ import annotations

import multiprocessing
import sys
from collections import Counter
from pathlib import Path

import ifcopenshell
import ifcopenshell.geom
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))

from grid_model import build_grid_model, elements_per_storey, grid_guid, plan_grid

# One full storey of 7 x 7 bays: 64 columns, 28 walls, 112 beams, 49 slabs, 42 + 42 MEP.
N = 337


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("grid") / "grid.ifc"
    truth = build_grid_model(path, N, seed=1, clash_fraction=0.25, with_pairs=True)
    f = ifcopenshell.open(str(path))
    settings = ifcopenshell.geom.settings()
    settings.set("use-world-coords", True)
    boxes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for shape in ifcopenshell.geom.iterator(settings, f, multiprocessing.cpu_count()):
        v = np.asarray(shape.geometry.verts, dtype=float).reshape(-1, 3)
        boxes[shape.guid] = (v.min(axis=0), v.max(axis=0))
    return path, truth, f, boxes


def test_counts_by_class(grid):
    _, truth, f, boxes = grid
    assert elements_per_storey(7, 7) == N
    assert truth["layout"]["bays_x"] == truth["layout"]["bays_y"] == 7
    assert truth["counts"] == {
        "IfcColumn": 64,
        "IfcWall": 28,
        "IfcBeam": 112,
        "IfcSlab": 49,
        "IfcDuctSegment": 42,
        "IfcPipeSegment": 42,
    }
    in_file = Counter(e.is_a() for e in f.by_type("IfcElement"))
    assert dict(in_file) == truth["counts"]
    assert truth["n_elements"] == N == len(boxes)  # every element tessellated
    (storey,) = f.by_type("IfcBuildingStorey")
    (rel,) = storey.ContainsElements
    assert len(rel.RelatedElements) == N


def by_name(f: ifcopenshell.file, name: str) -> ifcopenshell.entity_instance:
    (element,) = [e for e in f.by_type("IfcElement") if e.Name == name]
    return element


def test_tessellated_boxes_match_hand_arithmetic(grid):
    _, truth, f, boxes = grid
    raised = {mep for mep, _beam in truth["clash_pairs"]}
    duct_z = (3.55, 3.75) if grid_guid("D.0.3.2") in raised else (3.0, 3.2)
    pipe_z = (3.35, 3.45) if grid_guid("P.0.4.5") in raised else (2.7, 2.8)
    expected = {
        # bay 6 m, storey 0 from z 0 to 4: columns up to the beams' underside at 3.3
        "C.0.0.0": ((-0.2, -0.2, 0.0), (0.2, 0.2, 3.3)),
        "C.0.7.3": ((41.8, 17.8, 0.0), (42.2, 18.2, 3.3)),
        # beam along x on grid line y = 18 between x = 12 and 18; beam along y on x = 42
        "BX.0.2.3": ((12.15, 17.85, 3.3), (17.85, 18.15, 3.8)),
        "BY.0.7.1": ((41.85, 6.15, 3.3), (42.15, 11.85, 3.8)),
        "S.0.6.6": ((36.0, 36.0, 3.8), (42.0, 42.0, 4.0)),
        "WX.0.0.7": ((0.2, 41.9, 0.0), (5.8, 42.1, 3.3)),
        "WY.0.7.2": ((41.9, 12.2, 0.0), (42.1, 17.8, 3.3)),
        # duct in bay row 3 (y = 21 ± 0.2) centred on grid line x = 12; pipe in bay
        # column 4 (x = 27 ± 0.05) centred on grid line y = 30
        "D.0.3.2": ((9.0, 20.8, duct_z[0]), (15.0, 21.2, duct_z[1])),
        "P.0.4.5": ((26.95, 27.0, pipe_z[0]), (27.05, 33.0, pipe_z[1])),
    }
    for name, (lo, hi) in expected.items():
        element = by_name(f, name)
        assert element.GlobalId == grid_guid(name)
        got_lo, got_hi = boxes[element.GlobalId]
        np.testing.assert_allclose(got_lo, lo, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(got_hi, hi, atol=1e-6, err_msg=name)


def test_every_box_matches_the_plan(grid):
    _, _, _, boxes = grid
    for e in plan_grid(N, seed=1, clash_fraction=0.25).elements:
        lo, hi = boxes[e.global_id]
        np.testing.assert_allclose(lo, e.lo, atol=1e-6, err_msg=e.name)
        np.testing.assert_allclose(hi, e.hi, atol=1e-6, err_msg=e.name)


def test_only_the_truth_pairs_overlap(grid):
    """Boxes are axis-aligned, so box overlap is solid overlap: the truth pairs, nothing else."""
    _, truth, _, boxes = grid
    ids = sorted(boxes)
    lo = np.array([boxes[g][0] for g in ids])
    hi = np.array([boxes[g][1] for g in ids])
    depth = np.minimum(hi[:, None, :], hi[None, :, :]) - np.maximum(lo[:, None, :], lo[None, :, :])
    overlap = (depth > 1e-6).all(axis=2)
    a, b = np.nonzero(np.triu(overlap, k=1))
    found = {frozenset((ids[i], ids[j])) for i, j in zip(a, b, strict=True)}
    assert found == {frozenset(p) for p in truth["clash_pairs"]}
    hard = truth["hard_clashes"]
    assert hard["IfcDuctSegment-IfcBeam"] > 0 and hard["IfcPipeSegment-IfcBeam"] > 0
    assert sum(hard.values()) == truth["expected_hard_clashes"] == len(found)


def test_deterministic_and_exact_size(tmp_path: Path):
    a, b = tmp_path / "a.ifc", tmp_path / "b.ifc"
    truth_a = build_grid_model(a, 150, seed=3)
    truth_b = build_grid_model(b, 150, seed=3)
    assert a.read_bytes().replace(b"'a.ifc'", b"'b.ifc'") == b.read_bytes()
    assert truth_a == truth_b
    assert truth_a["n_elements"] == sum(truth_a["counts"].values()) == 150
    with pytest.raises(ValueError):
        plan_grid(0)
