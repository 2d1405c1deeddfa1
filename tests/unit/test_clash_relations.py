"""Ignore rules of the clash engine (bimcheck/clash/relations.py through run_clash).

Every model here is a handful of axis-aligned boxes built with ModelFactory,
so each overlap volume, penetration depth and centroid is computed by hand in
the comments (metres, m³). Each ignore rule is checked both ways: with the rule
off the pair is a real hard clash with the hand-computed measurements; with it
on the pair is not reported and is counted in ``coverage.ignored[<reason>]``.
"""

from __future__ import annotations

from pathlib import Path

import ifcopenshell.api.geometry
import ifcopenshell.api.system
import pytest
import yaml

from bimcheck.clash.rules import adhoc_rule, load_clash_rules
from bimcheck.clash.run import ClashReport, run_clash
from bimcheck.model import open_model
from bimcheck.packs.schema import Rule
from bimcheck.testing.ifcfactory import Box, ModelFactory

TOL = 1e-6

#: Every ignore rule off: the baseline in which each pair is tested.
ALL_OFF = {"filling_host": False, "same_assembly": False, "connected": False,
           "same_system": False, "same_property": None}


def pack_rule(
    tmp_path: Path, *, a: str, b: str | None = None, ignore: dict | None = None,
    tolerance: float = 0.0, rule_id: str = "T001",
) -> Rule:
    """One hard rule from a YAML pack written to ``tmp_path``."""
    rule: dict = {
        "id": rule_id, "name": "test rule", "kind": "hard", "severity": "high",
        "doc": {"what": "w", "why": "y", "fix": "f"},
        "a": a, "params": {"tolerance": tolerance},
    }
    if b is not None:
        rule["b"] = b
    if ignore is not None:
        rule["params"]["ignore"] = ignore
    path = tmp_path / f"{rule_id}.yaml"
    path.write_text(yaml.safe_dump({"pack": "test", "version": 1, "rules": [rule]}),
                    encoding="utf-8")
    (loaded,) = load_clash_rules([path])
    return loaded


def ignoring(**on) -> dict:
    """ALL_OFF with the given ignore rules set."""
    return {**ALL_OFF, **on}


def run(factory: ModelFactory, path: Path, rule: Rule) -> ClashReport:
    model = open_model(factory.write(path))
    return run_clash([model], [rule], cache=None)


def pair_of(report: ClashReport) -> list[frozenset[str]]:
    return [frozenset((c.a.name, c.b.name)) for c in report.clashes]


def assert_hard(clash, volume: float, depth: float, centroid: tuple[float, float, float]) -> None:
    f = clash.found
    assert f.relation == "hard"
    assert f.exact is True
    assert f.overlap_volume == pytest.approx(volume, abs=TOL)
    assert f.penetration_depth == pytest.approx(depth, abs=TOL)
    assert f.distance == 0.0
    assert list(f.location) == pytest.approx(list(centroid), abs=TOL)
    # ``a`` is always the element with the smaller GlobalId.
    assert clash.a.global_id < clash.b.global_id


# -- filling_host -------------------------------------------------------------------------


def door_model() -> tuple[ModelFactory, dict[str, str]]:
    """Wall 4 x 0.2 x 3 m; opening x 1..2, through the wall, up to z 2.0; a door
    x 1.1..1.9 that is thicker than the wall (y -0.05..0.25) and taller than the
    opening (z 0..2.15), so it shares with the voided wall the box
    x 1.1..1.9, y 0..0.2, z 2.0..2.15:
    volume 0.8 * 0.2 * 0.15 = 0.024 m³, smallest width 0.15 m, centroid
    (1.5, 0.1, 2.075)."""
    f = ModelFactory()
    s = f.add_storey("L0", 0.0)
    wall = f.add_element("IfcWall", "W", shape=Box((0, 0, 0), (4, 0.2, 3)), storey=s)
    opening = f.add_opening("O", host=wall, shape=Box((1, -0.1, -0.1), (2, 0.3, 2.0)))
    door = f.add_filling("IfcDoor", "D", opening=opening, storey=s,
                         shape=Box((1.1, -0.05, 0.0), (1.9, 0.25, 2.15)))
    return f, {"W": wall.GlobalId, "D": door.GlobalId, "O": opening.GlobalId}


def test_filling_host_off_reports_the_door_wall_overlap(tmp_path: Path) -> None:
    f, ids = door_model()
    report = run(f, tmp_path / "door.ifc", pack_rule(tmp_path, a="IfcElement", ignore=ALL_OFF))
    (clash,) = report.clashes
    assert {clash.a.global_id, clash.b.global_id} == {ids["W"], ids["D"]}
    assert_hard(clash, 0.8 * 0.2 * 0.15, 0.15, (1.5, 0.1, 2.075))
    cov = report.rule_coverage[0]
    assert cov.ignored == {}
    assert (cov.candidates, cov.tested, cov.clashes) == (1, 1, 1)
    assert report.tests == {ids["W"]: "exact", ids["D"]: "exact"}


@pytest.mark.parametrize("how", ["pack", "default"])
def test_filling_host_on_ignores_the_door(tmp_path: Path, how: str) -> None:
    f, _ = door_model()
    if how == "pack":
        rule = pack_rule(tmp_path, a="IfcElement", ignore=ignoring(filling_host=True))
    else:  # on by default
        rule = adhoc_rule(a="IfcElement", b=None, kind="hard")
    report = run(f, tmp_path / "door.ifc", rule)
    assert report.clashes == []
    cov = report.rule_coverage[0]
    assert cov.ignored == {"filling_host": 1}
    assert (cov.candidates, cov.tested, cov.clashes) == (1, 0, 0)


def test_filling_host_does_not_cover_other_elements(tmp_path: Path) -> None:
    """A second wall crossed by the same door is not its host: still a clash.
    W2 x 1.5..1.6, y -0.5..0.5, z 0..1 meets the door in
    x 1.5..1.6, y -0.05..0.25, z 0..1: 0.1 * 0.3 * 1 = 0.03 m³, width 0.1."""
    f, ids = door_model()
    s = f.file.by_type("IfcBuildingStorey")[0]
    w2 = f.add_element("IfcWall", "W2", shape=Box((1.5, -0.5, 0), (1.6, 0.5, 1.0)), storey=s)
    report = run(f, tmp_path / "door2.ifc",
                 pack_rule(tmp_path, a="IfcDoor", b="IfcWall", ignore=ignoring(filling_host=True)))
    (clash,) = report.clashes
    assert {clash.a.global_id, clash.b.global_id} == {ids["D"], w2.GlobalId}
    assert_hard(clash, 0.1 * 0.3 * 1.0, 0.1, (1.55, 0.1, 0.5))
    assert report.rule_coverage[0].ignored == {"filling_host": 1}


# -- same_assembly ------------------------------------------------------------------------


def assembly_model() -> ModelFactory:
    """Members M1 and M2 of assembly A1 overlap in
    x 0.9..1.0, y 0.05..0.15, z 0.05..0.2: 0.1 * 0.1 * 0.15 = 0.0015 m³, width 0.1,
    centroid (0.95, 0.1, 0.125).
    M3, part of sub-assembly A1.1 (itself part of A1), overlaps M1 in
    x 0.1..0.2, y 0.05..0.15, z 0.05..0.2 (same size): one root, so same assembly.
    M4, part of another assembly A2, overlaps M2 in
    x 1.8..1.9, y 0.05..0.15, z 0.1..0.25 (same size): never ignored."""
    f = ModelFactory()
    s = f.add_storey("L0", 0.0)
    a1 = f.add_element("IfcElementAssembly", "A1", storey=s)
    sub = f.add_element("IfcElementAssembly", "A1.1", part_of=a1)
    a2 = f.add_element("IfcElementAssembly", "A2", storey=s)
    f.add_element("IfcMember", "M1", shape=Box((0, 0, 0), (1, 0.2, 0.2)), part_of=a1)
    f.add_element("IfcMember", "M2", shape=Box((0.9, 0.05, 0.05), (2, 0.15, 0.3)), part_of=a1)
    f.add_element("IfcMember", "M3", shape=Box((0.1, 0.05, 0.05), (0.2, 0.15, 0.5)), part_of=sub)
    f.add_element("IfcMember", "M4", shape=Box((1.8, -0.1, 0.1), (1.9, 0.3, 0.25)), part_of=a2)
    return f


def test_same_assembly_off_reports_parts(tmp_path: Path) -> None:
    report = run(assembly_model(), tmp_path / "asm.ifc",
                 pack_rule(tmp_path, a="IfcMember", ignore=ALL_OFF))
    by_pair = {frozenset((c.a.name, c.b.name)): c for c in report.clashes}
    assert set(by_pair) == {frozenset(p) for p in (("M1", "M2"), ("M1", "M3"), ("M2", "M4"))}
    assert_hard(by_pair[frozenset(("M1", "M2"))], 0.0015, 0.1, (0.95, 0.1, 0.125))
    assert_hard(by_pair[frozenset(("M1", "M3"))], 0.0015, 0.1, (0.15, 0.1, 0.125))
    assert_hard(by_pair[frozenset(("M2", "M4"))], 0.0015, 0.1, (1.85, 0.1, 0.175))
    assert report.rule_coverage[0].ignored == {}


def test_same_assembly_on_ignores_parts_of_one_root(tmp_path: Path) -> None:
    report = run(assembly_model(), tmp_path / "asm.ifc",
                 pack_rule(tmp_path, a="IfcMember", ignore=ignoring(same_assembly=True)))
    assert pair_of(report) == [frozenset(("M2", "M4"))]
    cov = report.rule_coverage[0]
    assert cov.ignored == {"same_assembly": 2}
    assert (cov.candidates, cov.tested, cov.clashes) == (3, 1, 1)


# -- connected ----------------------------------------------------------------------------


def corner_model(*, joined: bool) -> tuple[ModelFactory, str, str]:
    """W1 x 0..4, y 0..0.2 and W2 x 3.8..4, y 0..4 (both z 0..3) share the corner
    x 3.8..4, y 0..0.2, z 0..3: 0.2 * 0.2 * 3 = 0.12 m³, width 0.2, centroid
    (3.9, 0.1, 1.5); joined by IfcRelConnectsPathElements when ``joined``."""
    f = ModelFactory()
    s = f.add_storey("L0", 0.0)
    w1 = f.add_element("IfcWall", "W1", shape=Box((0, 0, 0), (4, 0.2, 3)), storey=s)
    w2 = f.add_element("IfcWall", "W2", shape=Box((3.8, 0, 0), (4, 4, 3)), storey=s)
    if joined:
        ifcopenshell.api.geometry.connect_path(
            f.file, relating_element=w1, related_element=w2,
            relating_connection="ATEND", related_connection="ATSTART",
        )
    return f, w1.GlobalId, w2.GlobalId


@pytest.mark.parametrize("joined", [False, True])
def test_connected_off_reports_the_corner(tmp_path: Path, joined: bool) -> None:
    f, _, _ = corner_model(joined=joined)
    report = run(f, tmp_path / "corner.ifc", pack_rule(tmp_path, a="IfcWall", ignore=ALL_OFF))
    (clash,) = report.clashes
    assert_hard(clash, 0.2 * 0.2 * 3.0, 0.2, (3.9, 0.1, 1.5))


def test_connected_on_ignores_joined_walls(tmp_path: Path) -> None:
    f, w1, w2 = corner_model(joined=True)
    model = open_model(f.write(tmp_path / "corner.ifc"))
    (rel,) = model.file.by_type("IfcRelConnectsPathElements")
    assert {rel.RelatingElement.GlobalId, rel.RelatedElement.GlobalId} == {w1, w2}
    report = run_clash([model], [pack_rule(tmp_path, a="IfcWall",
                                           ignore=ignoring(connected=True))], cache=None)
    assert report.clashes == []
    assert report.rule_coverage[0].ignored == {"connected": 1}


def test_connected_on_keeps_walls_that_are_not_joined(tmp_path: Path) -> None:
    f, _, _ = corner_model(joined=False)
    report = run(f, tmp_path / "corner.ifc",
                 pack_rule(tmp_path, a="IfcWall", ignore=ignoring(connected=True)))
    assert len(report.clashes) == 1
    assert report.rule_coverage[0].ignored == {}


def pipes_model(*, ports: bool) -> ModelFactory:
    """Pipes P1 x 0..2 (0.1 x 0.1) and P2 x 1.9..4 (0.06 x 0.06, inside P1's
    section) share x 1.9..2, y 0.02..0.08, z 0.02..0.08:
    0.1 * 0.06 * 0.06 = 0.00036 m³, width 0.06, centroid (1.95, 0.05, 0.05).
    With ``ports``, each has an IfcDistributionPort (IfcRelNests) and the two
    ports are connected (IfcRelConnectsPorts)."""
    f = ModelFactory()
    s = f.add_storey("L0", 0.0)
    p1 = f.add_element("IfcPipeSegment", "P1", shape=Box((0, 0, 0), (2, 0.1, 0.1)),
                       axis="x", storey=s)
    p2 = f.add_element("IfcPipeSegment", "P2", shape=Box((1.9, 0.02, 0.02), (4, 0.08, 0.08)),
                       axis="x", storey=s)
    if ports:
        end = ifcopenshell.api.system.add_port(f.file, element=p1)
        end.Name = "P1 end"  # distinct names: distinct deterministic GlobalIds
        start = ifcopenshell.api.system.add_port(f.file, element=p2)
        start.Name = "P2 start"
        ifcopenshell.api.system.connect_port(f.file, port1=end, port2=start)
    return f


def test_connected_ports_off_reports_the_pipes(tmp_path: Path) -> None:
    report = run(pipes_model(ports=True), tmp_path / "pipes.ifc",
                 pack_rule(tmp_path, a="IfcPipeSegment", ignore=ALL_OFF))
    (clash,) = report.clashes
    assert_hard(clash, 0.1 * 0.06 * 0.06, 0.06, (1.95, 0.05, 0.05))
    # The ports are not clash elements (nor tessellated).
    assert report.rule_coverage[0].a_matched == 2


def test_connected_ports_on_ignores_the_pipes(tmp_path: Path) -> None:
    f = pipes_model(ports=True)
    model = open_model(f.write(tmp_path / "pipes.ifc"))
    assert len(model.file.by_type("IfcDistributionPort")) == 2
    assert model.file.by_type("IfcRelConnectsPorts")
    report = run_clash([model], [pack_rule(tmp_path, a="IfcPipeSegment",
                                           ignore=ignoring(connected=True))], cache=None)
    assert report.clashes == []
    assert report.rule_coverage[0].ignored == {"connected": 1}


def test_connected_on_without_ports_keeps_the_pipes(tmp_path: Path) -> None:
    report = run(pipes_model(ports=False), tmp_path / "pipes.ifc",
                 pack_rule(tmp_path, a="IfcPipeSegment", ignore=ignoring(connected=True)))
    assert len(report.clashes) == 1
    assert report.rule_coverage[0].ignored == {}


def test_ports_nested_in_a_pipe_do_not_make_an_assembly(tmp_path: Path) -> None:
    """IfcRelNests of ports into a segment is not an assembly: with only
    same_assembly on, connected pipes still clash."""
    report = run(pipes_model(ports=True), tmp_path / "pipes.ifc",
                 pack_rule(tmp_path, a="IfcPipeSegment", ignore=ignoring(same_assembly=True)))
    assert len(report.clashes) == 1
    assert report.rule_coverage[0].ignored == {}


# -- same_system --------------------------------------------------------------------------


def system_model() -> ModelFactory:
    """P1 overlaps P2 (as in pipes_model, 0.00036 m³) and P3 (x 1.0..1.1,
    y -0.5..0.5, z 0.03..0.07), which crosses P1 in x 1.0..1.1, y 0..0.1,
    z 0.03..0.07: 0.1 * 0.1 * 0.04 = 0.0004 m³, width 0.04, centroid
    (1.05, 0.05, 0.05). P1 and P2 are in system S1; P3 in system S2."""
    f = pipes_model(ports=False)
    s = f.file.by_type("IfcBuildingStorey")[0]
    p1, p2 = sorted(f.file.by_type("IfcPipeSegment"), key=lambda e: e.Name)
    p3 = f.add_element("IfcPipeSegment", "P3", shape=Box((1.0, -0.5, 0.03), (1.1, 0.5, 0.07)),
                       axis="y", storey=s)
    s1 = ifcopenshell.api.system.add_system(f.file)
    s1.Name = "S1"
    ifcopenshell.api.system.assign_system(f.file, products=[p1, p2], system=s1)
    s2 = ifcopenshell.api.system.add_system(f.file)
    s2.Name = "S2"
    ifcopenshell.api.system.assign_system(f.file, products=[p3], system=s2)
    return f


@pytest.mark.parametrize("how", ["pack", "default"])
def test_same_system_off_reports_pipes_of_one_system(tmp_path: Path, how: str) -> None:
    if how == "pack":
        rule = pack_rule(tmp_path, a="IfcPipeSegment", ignore=ALL_OFF)
    else:  # same_system is off by default
        rule = adhoc_rule(a="IfcPipeSegment", b=None, kind="hard")
    report = run(system_model(), tmp_path / "sys.ifc", rule)
    by_pair = {frozenset((c.a.name, c.b.name)): c for c in report.clashes}
    assert set(by_pair) == {frozenset(("P1", "P2")), frozenset(("P1", "P3"))}
    assert_hard(by_pair[frozenset(("P1", "P2"))], 0.00036, 0.06, (1.95, 0.05, 0.05))
    assert_hard(by_pair[frozenset(("P1", "P3"))], 0.1 * 0.1 * 0.04, 0.04, (1.05, 0.05, 0.05))
    assert report.rule_coverage[0].ignored == {}


def test_same_system_on_ignores_pipes_of_one_system(tmp_path: Path) -> None:
    report = run(system_model(), tmp_path / "sys.ifc",
                 pack_rule(tmp_path, a="IfcPipeSegment", ignore=ignoring(same_system=True)))
    assert pair_of(report) == [frozenset(("P1", "P3"))]
    assert report.rule_coverage[0].ignored == {"same_system": 1}


# -- same_property ------------------------------------------------------------------------


def property_model() -> ModelFactory:
    """Pairs of proxies 10 m apart along x; in each pair the second box
    (x0+0.5..x0+1.5, 0.25..0.75, 0.25..0.75) sits half inside the first
    (x0..x0+1, 0..1, 0..1): overlap 0.5 * 0.5 * 0.5 = 0.125 m³, width 0.5.

    ======  ======================  ==========================  ==========
    pair    first                   second                      ignored?
    ======  ======================  ==========================  ==========
    A       Zone "A"                Zone "A"                    yes
    B       Zone "A"                Zone "B"                    no
    C       no pset                 no pset                     no
    D       Zone "A"                Pset_X without Zone         no
    E       Zone "A" from its type  Zone "A"                    yes
    ======  ======================  ==========================  ==========
    """
    f = ModelFactory()
    s = f.add_storey("L0", 0.0)
    zone_type = f.add_type("IfcBuildingElementProxyType", "ZoneA-type")
    f.add_pset(zone_type, "Pset_X", {"Zone": "A"})
    psets: dict[str, tuple[dict | None, dict | None]] = {
        "A": ({"Zone": "A"}, {"Zone": "A"}),
        "B": ({"Zone": "A"}, {"Zone": "B"}),
        "C": (None, None),
        "D": ({"Zone": "A"}, {"Other": "A"}),
        "E": (None, {"Zone": "A"}),
    }
    for i, (pair, (first, second)) in enumerate(psets.items()):
        x0 = 10.0 * i
        e1 = f.add_element("IfcBuildingElementProxy", f"{pair}1",
                           shape=Box((x0, 0, 0), (x0 + 1, 1, 1)), storey=s)
        e2 = f.add_element("IfcBuildingElementProxy", f"{pair}2",
                           shape=Box((x0 + 0.5, 0.25, 0.25), (x0 + 1.5, 0.75, 0.75)), storey=s)
        for element, props in ((e1, first), (e2, second)):
            if props is not None:
                f.add_pset(element, "Pset_X", props)
        if pair == "E":
            f.assign_type(e1, zone_type)
    return f


def test_same_property_off_reports_every_pair(tmp_path: Path) -> None:
    report = run(property_model(), tmp_path / "props.ifc",
                 pack_rule(tmp_path, a="IfcBuildingElementProxy", ignore=ALL_OFF))
    assert sorted(c.a.name[0] for c in report.clashes) == ["A", "B", "C", "D", "E"]
    for i, clash in enumerate(sorted(report.clashes, key=lambda c: c.a.name)):
        assert_hard(clash, 0.125, 0.5, (10.0 * i + 0.75, 0.5, 0.5))
    assert report.rule_coverage[0].ignored == {}


def test_same_property_ignores_equal_values_only(tmp_path: Path) -> None:
    report = run(property_model(), tmp_path / "props.ifc",
                 pack_rule(tmp_path, a="IfcBuildingElementProxy",
                           ignore=ignoring(same_property="Pset_X.Zone")))
    assert sorted(c.a.name[0] for c in report.clashes) == ["B", "C", "D"]
    cov = report.rule_coverage[0]
    assert cov.ignored == {"same_property": 2}
    assert (cov.candidates, cov.tested, cov.clashes) == (5, 3, 3)


def test_same_property_across_a_federation(tmp_path: Path) -> None:
    """Elements of two models share no IFC relationship, but same_property
    still applies across them (each value read from its own model)."""
    def one(name: str, zone: str, box: Box) -> Path:
        f = ModelFactory(project_name=name)
        s = f.add_storey("L0", 0.0)
        e = f.add_element("IfcBuildingElementProxy", name, shape=box, storey=s)
        f.add_pset(e, "Pset_X", {"Zone": zone})
        return f.write(tmp_path / f"{name}.ifc")

    m1 = open_model(one("X1", "A", Box((0, 0, 0), (1, 1, 1))))
    m2 = open_model(one("X2", "A", Box((0.5, 0.25, 0.25), (1.5, 0.75, 0.75))))
    rule = pack_rule(tmp_path, a="IfcBuildingElementProxy",
                     ignore=ignoring(same_property="Pset_X.Zone"))
    report = run_clash([m1, m2], [rule], cache=None)
    assert report.clashes == []
    assert report.rule_coverage[0].ignored == {"same_property": 1}
    report = run_clash([m1, m2], [pack_rule(tmp_path, a="IfcBuildingElementProxy",
                                            ignore=ALL_OFF, rule_id="T002")], cache=None)
    (clash,) = report.clashes
    assert {clash.a.model, clash.b.model} == {"X1.ifc", "X2.ifc"}
    assert_hard(clash, 0.125, 0.5, (0.75, 0.5, 0.5))


# -- selection ----------------------------------------------------------------------------


def wall_slab_model() -> tuple[ModelFactory, str, str]:
    """Wall x 0..4, y 0..0.2, z 0..3 and slab x -1..5, y -1..5, z 2.9..3.1 share
    x 0..4, y 0..0.2, z 2.9..3: 4 * 0.2 * 0.1 = 0.08 m³, width 0.1, centroid
    (2, 0.1, 2.95)."""
    f = ModelFactory()
    s = f.add_storey("L0", 0.0)
    w = f.add_element("IfcWall", "W", shape=Box((0, 0, 0), (4, 0.2, 3)), storey=s)
    sl = f.add_element("IfcSlab", "S", shape=Box((-1, -1, 2.9), (5, 5, 3.1)), storey=s)
    return f, w.GlobalId, sl.GlobalId


@pytest.mark.parametrize(
    ("a", "b"),
    [("IfcWall, IfcSlab", "IfcWall, IfcSlab"), ("IfcElement", "IfcWall"),
     ("IfcWall", "IfcWall, IfcSlab"), ("IfcElement", None)],
)
def test_an_element_is_never_paired_with_itself(tmp_path: Path, a: str, b: str | None) -> None:
    f, w, sl = wall_slab_model()
    report = run(f, tmp_path / "ws.ifc", pack_rule(tmp_path, a=a, b=b))
    (clash,) = report.clashes
    assert {clash.a.global_id, clash.b.global_id} == {w, sl}
    assert_hard(clash, 4 * 0.2 * 0.1, 0.1, (2.0, 0.1, 2.95))
    cov = report.rule_coverage[0]
    assert (cov.candidates, cov.tested, cov.clashes) == (1, 1, 1)


def test_a_lone_element_matching_both_selectors_is_no_clash(tmp_path: Path) -> None:
    f = ModelFactory()
    s = f.add_storey("L0", 0.0)
    f.add_element("IfcWall", "W", shape=Box((0, 0, 0), (4, 0.2, 3)), storey=s)
    report = run(f, tmp_path / "w.ifc", pack_rule(tmp_path, a="IfcWall", b="IfcElement"))
    assert report.clashes == []
    cov = report.rule_coverage[0]
    assert (cov.a_matched, cov.b_matched, cov.candidates, cov.tested) == (1, 1, 0, 0)


def test_openings_are_never_clash_elements(tmp_path: Path) -> None:
    """A pipe runs through the opening of a wall without touching the wall:
    it lies inside the opening's box, yet the opening is not selected by
    "IfcElement", so there is no clash and the opening is not tested."""
    f = ModelFactory()
    s = f.add_storey("L0", 0.0)
    wall = f.add_element("IfcWall", "W", shape=Box((0, 0, 0), (4, 0.2, 3)), storey=s)
    opening = f.add_opening("O", host=wall, shape=Box((1, -0.1, 1), (2, 0.3, 2)))
    pipe = f.add_element("IfcPipeSegment", "P", shape=Box((1.4, -1, 1.4), (1.6, 1, 1.6)),
                         axis="y", storey=s)
    report = run(f, tmp_path / "open.ifc", pack_rule(tmp_path, a="IfcElement", ignore=ALL_OFF))
    assert report.clashes == []
    assert set(report.tests) == {wall.GlobalId, pipe.GlobalId}
    assert opening.GlobalId not in report.tests
    cov = report.rule_coverage[0]
    assert cov.a_matched == 2
    # The wall's bounds hold the pipe's: a candidate, tested, no shared volume.
    assert (cov.candidates, cov.tested, cov.clashes) == (1, 1, 0)


def test_same_assembly_covers_a_part_and_its_whole(tmp_path: Path) -> None:
    """An assembly with its own body (x 0..2, y 0..1, z 0..0.1) and a part of it
    (x 0.5..1, y 0.5..0.6, z 0.05..1) share x 0.5..1, y 0.5..0.6, z 0.05..0.1:
    0.5 * 0.1 * 0.05 = 0.0025 m³, width 0.05."""
    f = ModelFactory()
    s = f.add_storey("L0", 0.0)
    whole = f.add_element("IfcElementAssembly", "A", shape=Box((0, 0, 0), (2, 1, 0.1)), storey=s)
    f.add_element("IfcMember", "M", shape=Box((0.5, 0.5, 0.05), (1, 0.6, 1)), part_of=whole)
    off = run(f, tmp_path / "whole.ifc", pack_rule(tmp_path, a="IfcElement", ignore=ALL_OFF))
    (clash,) = off.clashes
    assert_hard(clash, 0.0025, 0.05, (0.75, 0.55, 0.075))
    on = run_clash([open_model(tmp_path / "whole.ifc")],
                   [pack_rule(tmp_path, a="IfcElement", ignore=ignoring(same_assembly=True),
                              rule_id="T002")], cache=None)
    assert on.clashes == []
    assert on.rule_coverage[0].ignored == {"same_assembly": 1}


# A selector that names a class normally left out (voids, spaces) selects it.
@pytest.mark.parametrize("named", ["IfcOpeningElement", "IfcSpace"])
def test_a_selector_naming_an_excluded_class_selects_it(tmp_path: Path, named: str) -> None:
    """Opening x 1..2, y -0.1..0.3, z 1..2 and pipe x 1.4..1.6, y -1..1, z 1.4..1.6
    share 0.2 * 0.4 * 0.2 = 0.016 m³ (width 0.2, centroid (1.5, 0.1, 1.5));
    space x 0..4, y 0..4, z 0..3 and the pipe share 0.2 * 1 * 0.2 = 0.04 m³
    (width 0.2, centroid (1.5, 0.5, 1.5))."""
    f = ModelFactory()
    s = f.add_storey("L0", 0.0)
    if named == "IfcSpace":
        f.add_element("IfcSpace", "R", shape=Box((0, 0, 0), (4, 4, 3)), part_of=s)
        expected = (0.04, 0.2, (1.5, 0.5, 1.5))
    else:
        wall = f.add_element("IfcWall", "W", shape=Box((0, 0, 0), (4, 0.2, 3)), storey=s)
        f.add_opening("O", host=wall, shape=Box((1, -0.1, 1), (2, 0.3, 2)))
        expected = (0.016, 0.2, (1.5, 0.1, 1.5))
    f.add_element("IfcPipeSegment", "P", shape=Box((1.4, -1, 1.4), (1.6, 1, 1.6)),
                  axis="y", storey=s)
    report = run(f, tmp_path / "named.ifc",
                 pack_rule(tmp_path, a=named, b="IfcPipeSegment", ignore=ALL_OFF))
    assert report.rule_coverage[0].a_matched == 1
    assert report.warnings == []
    (clash,) = report.clashes
    assert_hard(clash, *expected)
