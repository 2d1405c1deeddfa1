"""The selector's material facet, negation included (IfcOpenShell 0.9.0
negates ``material!=`` twice upstream; bimcheck.model corrects it)."""

from __future__ import annotations

import pytest

from bimcheck.model import open_model
from tests.conftest import SAMPLES


@pytest.fixture(scope="module")
def tower():
    return open_model(SAMPLES / "tower_rev_a.ifc")


@pytest.mark.parametrize(("selector", "count"), [
    # 19 concrete columns (18 on the grid + the duplicate), 4 steel posts
    ("IfcColumn, material=/(?i).*concrete.*/", 19),
    ("IfcColumn, material!=/(?i).*steel.*/", 19),
    ("IfcMember, material=/(?i).*steel.*/", 4),
    ("IfcMember, material!=/(?i).*steel.*/", 0),
    # 19 walls carry the blockwork layer set (Blockwork + Gypsum plaster), the
    # partition its gypsum board: != is the complement of = over the walls
    ("IfcWall, material=Blockwork", 19),
    ("IfcWall, material!=Blockwork", 1),
    # the placeholder proxy has no material: != matches it, = does not
    ("IfcBuildingElementProxy, material!=Blockwork", 1),
    ("IfcBuildingElementProxy, material=Blockwork", 0),
])
def test_material_facet(tower, selector, count):
    assert len(tower.select(selector)) == count
