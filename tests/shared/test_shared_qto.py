"""Base quantities on models written by others (../shared/ifc) against values
read from the files' own definitions: extrusion depths, profile sizes, wall
axes and material layers, and the centre-line lengths ARCHICAD declares.
Each case is one that the geometry alone gets wrong (found comparing with
ifc5d, docs/qto-vs-ifc5d.md)."""

from __future__ import annotations

import numpy as np
import pytest

from bimcheck.model import open_model
from bimcheck.qto.rules import default_qto_pack_path, load_qto_pack
from bimcheck.qto.takeoff import run_takeoff
from tests.conftest import shared_model

RULES = load_qto_pack(default_qto_pack_path()).rules


def quantities(name: str, global_ids: list[str]):
    model = open_model(shared_model(name))
    elements = [model.element(g) for g in global_ids]
    wanted = {e.id() for e in elements}
    rules = [r for r in RULES if any(e.id() in wanted for e in model.select(r.a))]
    takeoff = run_takeoff(model, rules)
    values = {(r.global_id, r.quantity): r.value for r in takeoff.rows
              if r.global_id in global_ids}
    return model, elements, values


def _extrusion(element):
    item = element.Representation.Representations[0].Items[0]
    while item.is_a("IfcBooleanResult"):
        item = item.FirstOperand
    assert item.is_a("IfcExtrudedAreaSolid")
    return item


def test_sloped_beam_in_a_level_placement_runs_along_its_extrusion():
    gid = "1c79uA2HX5mQcYaWgq_hVE"  # Great Court roof: the bounding extent is 1.87 m
    model, (beam,), values = quantities("geometrygym_great_court_roof.ifc", [gid])
    depth = _extrusion(beam).Depth * model.length_scale
    assert depth == pytest.approx(2.915, abs=1e-3)
    assert values[(gid, "Length")] == pytest.approx(depth, rel=0.005)


def test_pipe_shorter_than_its_diameter():
    gid = "1vBg4N3Rcig4GclwTuAcoo"  # B03: 0.072 m long, 0.165 m across
    model, (pipe,), values = quantities("2022_11_21_update_B03_Heating_ownCells.ifc", [gid])
    depth = _extrusion(pipe).Depth * model.length_scale
    assert values[(gid, "Length")] == pytest.approx(depth, rel=0.005)
    assert depth < 0.1


def test_walls_thicker_than_long_or_tall():
    short, low = "3a_485qBn42g6gIlg3a6Ft", "3jSXw6LTrD8x_$J8GkktBE"
    model, (a, b), values = quantities("revit2012_janesville_restaurant.ifc", [short, low])
    # a: its Axis polyline is the length, whatever its 0.53 m thickness.
    axis = next(r for r in a.Representation.Representations if r.RepresentationIdentifier == "Axis")
    pts = [np.array(p.Coordinates) for p in axis.Items[0].Points]
    run = float(np.linalg.norm(pts[-1] - pts[0])) * model.length_scale
    assert values[(short, "Length")] == pytest.approx(run, rel=0.005)
    assert values[(short, "Width")] > values[(short, "Length")]
    # b: 0.127 m high, its Width is the sum of its material layers, not its height.
    import ifcopenshell.util.element

    layers = ifcopenshell.util.element.get_material(b, should_skip_usage=True).MaterialLayers
    width = sum(layer.LayerThickness for layer in layers) * model.length_scale
    assert values[(low, "Width")] == pytest.approx(width, rel=0.005)
    assert values[(low, "Height")] < width


def test_strip_footing_width_is_its_profile_not_its_height():
    gid = "0kF45Qs8L9PAM9kmb1lT5d"
    model, (footing,), values = quantities("Ifc2x3_Duplex_Architecture.ifc", [gid])
    solid = _extrusion(footing)
    scale = model.length_scale
    assert values[(gid, "Width")] == pytest.approx(solid.SweptArea.YDim * scale, rel=0.005)
    assert values[(gid, "Length")] == pytest.approx(solid.SweptArea.XDim * scale, rel=0.005)
    assert values[(gid, "Height")] == pytest.approx(solid.Depth * scale, rel=0.005)


def test_mitred_walls_match_the_centre_line_archicad_declares():
    model = open_model(shared_model("AC20-FZK-Haus.ifc"))
    takeoff = run_takeoff(model, [r for r in RULES if r.id == "QB-WALL"])
    lengths = [f for f in takeoff.findings if f.quantity == "Length"]
    compared = sum(1 for r in takeoff.rows if r.quantity == "Length")
    assert compared >= 13 and lengths == []  # all within the pack's 1 %
