"""The check engine on a small model built in code, with answers worked by hand:
findings and keys, the property, health and quantity kinds, one tessellation
pass for every kind of a run, and the shared time budget."""

from __future__ import annotations

import textwrap
from pathlib import Path

import ifcopenshell.api.aggregate
import ifcopenshell.api.system
import pytest

from bimcheck.clash.identity import clash_key
from bimcheck.context import RunContext
from bimcheck.errors import NoGeometryError, RulePackError
from bimcheck.findings import finding_key
from bimcheck.model import open_model
from bimcheck.packs.pack import load_packs
from bimcheck.run import run_checks
from bimcheck.testing.ifcfactory import Box, ModelFactory

DOC = "doc: {what: w, why: y, fix: f}"


def build(path: Path) -> Path:
    """Level 0 with: W1 (10 x 0.2 x 3 m, FireRating REI60, LoadBearing), W2
    (4 x 0.2 x 3 m, FireRating EI30 on its type only), a slab 10 x 5 x 0.25 m,
    a duct in a system and one in none, a proxy without geometry, and a
    column 9 km away."""
    f = ModelFactory()
    level = f.add_storey("Level 0", 0.0)
    w1 = f.add_element("IfcWall", "W1", shape=Box((0, 0, 0), (10, 0.2, 3)), storey=level)
    f.add_pset(w1, "Pset_WallCommon", {"FireRating": "REI60", "LoadBearing": True})
    w2 = f.add_element("IfcWall", "W2", shape=Box((0, 2, 0), (4, 2.2, 3)), storey=level)
    wtype = f.add_type("IfcWallType", "WT-EI30")
    f.assign_type(w2, wtype)
    f.add_pset(wtype, "Pset_WallCommon", {"FireRating": "EI30"})
    f.add_element("IfcSlab", "S1", shape=Box((0, 0, 3), (10, 5, 3.25)), storey=level)
    d1 = f.add_element("IfcDuctSegment", "D1", shape=Box((1, 1, 2.5), (3, 1.3, 2.8)),
                       storey=level)
    f.add_element("IfcDuctSegment", "D2", shape=Box((5, 1, 2.5), (7, 1.3, 2.8)), storey=level)
    system = ifcopenshell.api.system.add_system(f.file, ifc_class="IfcSystem")
    system.Name = "Supply air"
    ifcopenshell.api.system.assign_system(f.file, products=[d1], system=system)
    f.add_element("IfcBuildingElementProxy", "P-nobody", storey=level)
    f.add_element("IfcColumn", "C-far", shape=Box((9000, 0, 0), (9000.4, 0.4, 3)),
                  storey=level)
    return f.write(path)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("m") / "small.ifc")


def pack(tmp_path: Path, rules: str, name: str = "p.yaml") -> Path:
    p = tmp_path / name
    p.write_text("pack: t\nversion: 1\nrules:\n" + textwrap.indent(textwrap.dedent(rules), "  "),
                 encoding="utf-8")
    return p


def run(model_path: Path, *packs_: Path, **kw):
    packs = load_packs(packs_)
    ctx = RunContext([open_model(model_path, require_geometry=False)], **kw)
    return ctx, run_checks(ctx, [r for p in packs for r in p.rules], packs=packs)


def by_rule(report, rule: str) -> dict[str, object]:
    return {f.elements[0].name if f.elements else f.key: f for f in report.findings
            if f.rule == rule}


def test_finding_key_generalises_the_clash_key():
    assert finding_key("CL1", "hard", ["b", "a"]) == clash_key("CL1", "hard", "a", "b")
    assert finding_key("R", "k", ["a", "b"]) == finding_key("R", "k", ["b", "a"])
    assert finding_key("R", "k", ["a"], "lift:L1") != finding_key("R", "k", ["a"], "lift:L2")
    assert finding_key("R", "k", ["a"]) != finding_key("R", "other", ["a"])
    assert len(finding_key("R", "k")) == 32


def test_property_rules(model_path, tmp_path):
    p = pack(tmp_path, f"""
    - {{id: P1, name: fire, kind: property, severity: medium, a: IfcWall, {DOC},
        params: {{pset: Pset_WallCommon, property: FireRating}}}}
    - {{id: P2, name: fire occ, kind: property, severity: medium, a: IfcWall, {DOC},
        params: {{pset: Pset_WallCommon, property: FireRating, inherit: false}}}}
    - {{id: P3, name: REI, kind: property, severity: low, a: IfcWall, {DOC},
        params: {{pset: Pset_WallCommon, property: FireRating, pattern: "REI[0-9]+"}}}}
    - {{id: P4, name: enum, kind: property, severity: low, a: IfcWall, {DOC},
        params: {{pset: Pset_WallCommon, property: FireRating, values: [REI60, REI90],
                 cardinality: optional}}}}
    - {{id: P5, name: bool, kind: property, severity: low, a: IfcWall, {DOC},
        params: {{pset: Pset_WallCommon, property: LoadBearing, datatype: IfcBoolean}}}}
    - {{id: P6, name: system, kind: in_group, severity: low, a: IfcDuctSegment, {DOC}}}
    - {{id: P7, name: named, kind: attribute, severity: info, a: IfcWall, {DOC},
        params: {{name: Name, pattern: "W[0-9]"}}}}
    - {{id: P8, name: no tag, kind: attribute, severity: info, a: IfcWall, {DOC},
        params: {{name: Tag, cardinality: prohibited}}}}
    """)
    _, report = run(model_path, p)
    # P1: W1 has it, W2 through its type: no finding.
    assert by_rule(report, "P1") == {}
    # P2: without inheritance W2 lacks it.
    assert set(by_rule(report, "P2")) == {"W2"}
    assert by_rule(report, "P2")["W2"].message == "Pset_WallCommon.FireRating is missing"
    # P3: EI30 does not match REI[0-9]+.
    assert set(by_rule(report, "P3")) == {"W2"}
    assert "'EI30'" in by_rule(report, "P3")["W2"].message
    # P4: optional, but where given it must be REI60 or REI90.
    assert set(by_rule(report, "P4")) == {"W2"}
    # P5: W1's LoadBearing is an IfcBoolean; W2 has none.
    assert set(by_rule(report, "P5")) == {"W2"}
    assert set(by_rule(report, "P6")) == {"D2"}
    assert by_rule(report, "P7") == {}
    assert by_rule(report, "P8") == {}
    assert report.coverage["P1"]["checked"] == 2


def test_range_rules_and_quantity_thresholds(model_path, tmp_path):
    p = pack(tmp_path, f"""
    - {{id: Q1, name: thick slab, kind: quantity, severity: medium, a: IfcSlab, {DOC},
        params: {{function: thickness, max: 0.20}}}}
    - {{id: Q2, name: thin slab, kind: quantity, severity: medium, a: IfcSlab, {DOC},
        params: {{function: thickness, min: 0.25}}}}
    - {{id: Q3, name: wall volume, kind: quantity, severity: medium, a: IfcWall, {DOC},
        params: {{function: net_volume, min: 5.0}}}}
    """)
    _, report = run(model_path, p)
    q1 = by_rule(report, "Q1")
    assert set(q1) == {"S1"}
    # 0.25 m against at most 0.20 m: 25 % above the bound.
    assert q1["S1"].measures["thickness"].value == pytest.approx(0.25, abs=1e-9)
    assert q1["S1"].measures["deviation"].value == pytest.approx(0.25, abs=1e-9)
    assert by_rule(report, "Q2") == {}  # exactly at the minimum
    # W1 is 6 m³, W2 4 x 0.2 x 3 = 2.4 m³ < 5.
    assert set(by_rule(report, "Q3")) == {"W2"}
    assert by_rule(report, "Q3")["W2"].measures["net_volume"].value == pytest.approx(2.4)


def test_health_rules(model_path, tmp_path):
    p = pack(tmp_path, f"""
    - {{id: H1, name: no body, kind: no_geometry, severity: low, {DOC}}}
    - {{id: H2, name: far, kind: far_from_model, severity: high, {DOC},
        params: {{max_distance: 1000}}}}
    - {{id: H3, name: storey, kind: no_storey, severity: low, {DOC}}}
    - {{id: H4, name: guid, kind: duplicate_guid, severity: high, {DOC}}}
    - {{id: H5, name: open, kind: open_mesh, severity: low, {DOC}}}
    """)
    _, report = run(model_path, p)
    assert set(by_rule(report, "H1")) == {"P-nobody"}
    far = by_rule(report, "H2")
    assert set(far) == {"C-far"}
    # The quartile box of the six centres spans x 2..~6 m; the column's box
    # starts at x 9000: 8,994 m from it (limit: 1000 m, twice the box is ~10 m).
    assert far["C-far"].measures["distance"].value == pytest.approx(8994.0, abs=1.0)
    assert by_rule(report, "H3") == {}
    assert by_rule(report, "H4") == {}
    assert by_rule(report, "H5") == {}


def test_duplicate_guid_found(tmp_path):
    f = ModelFactory()
    level = f.add_storey("L0", 0.0)
    a = f.add_element("IfcWall", "A", shape=Box((0, 0, 0), (1, 1, 1)), storey=level)
    b = f.add_element("IfcWall", "B", shape=Box((2, 0, 0), (3, 1, 1)), storey=level)
    path = f.write(tmp_path / "dup.ifc")
    text = path.read_text().replace(b.GlobalId, a.GlobalId)
    path.write_text(text)
    p = pack(tmp_path, f"- {{id: H4, name: guid, kind: duplicate_guid, severity: high, {DOC}}}")
    _, report = run(path, p)
    found = [f for f in report.findings if f.rule == "H4"]
    assert len(found) == 1 and f"GlobalId {a.GlobalId} is used 2 times" in found[0].message


def test_one_tessellation_pass_for_clash_qto_health_and_crane(tmp_path):
    """The sample tower with clash, measurement, reconciliation, thresholds,
    health and crane rules: every element is tessellated once (one net pass;
    the gross pass holds only the voided elements)."""
    from bimcheck.crane.plan import load_lift_plan
    from tests.conftest import REPO, SAMPLES

    model = open_model(SAMPLES / "tower_rev_a.ifc")
    packs = load_packs([REPO / "rules" / "default", REPO / "rules" / "crane" / "lifts.yaml",
                        REPO / "rules" / "qto" / "ifc-base.yaml"])
    rules = [r for p in packs for r in p.rules]
    assert {r.family for r in rules} >= {"clash", "qto", "quantity", "health", "property",
                                         "crane"}
    ctx = RunContext([model], lift_plan=load_lift_plan(SAMPLES / "tower.lift.yaml"))
    report = run_checks(ctx, rules, packs=packs)
    net = [p for p in ctx.passes if p.settings == "net"]
    gross = [p for p in ctx.passes if p.settings == "gross"]
    assert len(net) == 1 and len(gross) <= 1
    voided = [e for e in model.file.by_type("IfcElement") if getattr(e, "HasOpenings", None)]
    assert gross[0].elements == [len(voided)]
    # every element with geometry, once
    assert net[0].elements == [len(model.elements_for_geometry())]
    assert {f.family for f in report.findings} >= {"clash", "crane", "property", "health"}
    assert report.rows  # the takeoff is part of the check


def test_geometric_rules_need_geometry(tmp_path):
    f = ModelFactory()
    level = f.add_storey("L0", 0.0)
    f.add_element("IfcWall", "W", storey=level)
    path = f.write(tmp_path / "nogeo.ifc")
    p = pack(tmp_path, f"- {{id: C1, name: c, kind: hard, severity: high, a: IfcWall, {DOC}}}")
    with pytest.raises(NoGeometryError, match="C1"):
        run(path, p)
    q = pack(tmp_path, f"""- {{id: P1, name: p, kind: property, severity: low, a: IfcWall, {DOC},
        params: {{pset: Pset_WallCommon, property: FireRating}}}}""", "q.yaml")
    _, report = run(path, q)
    assert [f.rule for f in report.findings] == ["P1"]


@pytest.mark.parametrize(("rule", "field"), [
    ("{id: X, name: n, kind: property, severity: low, a: IfcWall, DOC, params: {pset: P}}",
     "params.property"),
    ("{id: X, name: n, kind: property, severity: low, a: IfcWall, DOC, "
     "params: {pset: P, property: Q, pattern: '(a+)+'}}", "params.pattern"),
    ("{id: X, name: n, kind: quantity, severity: low, a: IfcWall, DOC, "
     "params: {function: nope}}", "params.function"),
    ("{id: X, name: n, kind: no_geometry, severity: low, DOC, params: {x: 1}}", "params.x"),
    ("{id: X, name: n, kind: duplicate_guid, severity: low, a: IfcWall, DOC}", "a"),
    ("{id: X, name: n, kind: lift_capacity, severity: low, DOC, "
     "params: {band_severity: {fail: worst}}}", "params.band_severity"),
])
def test_bad_rules_name_file_rule_and_field(tmp_path, rule, field):
    p = pack(tmp_path, "- " + rule.replace("DOC", DOC))
    with pytest.raises(RulePackError) as err:
        load_packs([p])
    assert f"{p}: rule X: {field}" in str(err.value)


def test_include_cycles_are_refused(tmp_path):
    (tmp_path / "a.yaml").write_text("pack: a\ninclude: [b.yaml]\n")
    (tmp_path / "b.yaml").write_text("pack: b\ninclude: [a.yaml]\n")
    with pytest.raises(RulePackError, match="includes itself"):
        load_packs([tmp_path / "a.yaml"])


def test_time_budget_is_shared(model_path, tmp_path):
    from bimcheck.errors import TessellationTimeout

    p = pack(tmp_path, f"- {{id: H2, name: far, kind: far_from_model, severity: high, {DOC}}}")
    with pytest.raises(TessellationTimeout):
        run(model_path, p, timeout=1e-9)


def test_infrastructure_elements_have_no_storey_to_be_in(tmp_path):
    """A signal contained in an IfcRailway (IFC4X3) is not reported by
    no_storey; a wall of a building in no storey is."""
    import ifcopenshell.api.root
    import ifcopenshell.api.spatial

    f = ModelFactory(schema="IFC4X3")
    level = f.add_storey("L0", 0.0)
    f.add_element("IfcWall", "W", shape=Box((0, 0, 0), (1, 1, 1)), storey=level)
    railway = ifcopenshell.api.root.create_entity(f.file, ifc_class="IfcRailway", name="Line")
    ifcopenshell.api.aggregate.assign_object(f.file, products=[railway], relating_object=f.site)
    signal = ifcopenshell.api.root.create_entity(f.file, ifc_class="IfcSignal", name="S1")
    ifcopenshell.api.spatial.assign_container(f.file, products=[signal],
                                              relating_structure=railway)
    loose = ifcopenshell.api.root.create_entity(f.file, ifc_class="IfcWall", name="loose")
    ifcopenshell.api.spatial.assign_container(f.file, products=[loose],
                                              relating_structure=f.building)
    path = f.write(tmp_path / "rail.ifc")
    p = pack(tmp_path, f"- {{id: H3, name: storey, kind: no_storey, severity: low, {DOC}}}")
    _, report = run(path, p)
    assert [f.elements[0].name for f in report.findings] == ["loose"]
