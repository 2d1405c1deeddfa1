"""Clash identities and grouping (bimcheck/clash/identity.py, grouping.py, and
the storey of a clash in run.py).

Models are boxes built with ModelFactory; every clash location (the centroid
of the shared box) is known by hand, so which clashes cluster is too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest
import yaml

from bimcheck.clash.grouping import group_clashes
from bimcheck.clash.identity import clash_key, group_id
from bimcheck.clash.records import Clash, ElementRef, PairResult
from bimcheck.clash.rules import adhoc_rule, load_clash_rules
from bimcheck.clash.run import ClashReport, run_clash
from bimcheck.model import open_model
from bimcheck.packs.schema import Rule
from bimcheck.testing.ifcfactory import Box, ModelFactory

TOL = 1e-6


def pack_rule(tmp_path: Path, *, a: str, b: str | None, radius: float,
              min_element_clashes: int = 2, rule_id: str = "G001") -> Rule:
    """One hard rule from a YAML pack with the given grouping."""
    rule: dict = {
        "id": rule_id, "name": "grouping test", "kind": "hard", "severity": "high",
        "doc": {"what": "w", "why": "y", "fix": "f"}, "a": a, "params": {"tolerance": 0.0},
    }
    if b is not None:
        rule["b"] = b
    pack = {"pack": "test", "version": 1,
            "grouping": {"radius": radius, "min_element_clashes": min_element_clashes},
            "rules": [rule]}
    path = tmp_path / f"{rule_id}-{radius}.yaml"
    path.write_text(yaml.safe_dump(pack), encoding="utf-8")
    (loaded,) = load_clash_rules([path])
    return loaded


def run(factory: ModelFactory, path: Path, rule: Rule) -> ClashReport:
    path.parent.mkdir(parents=True, exist_ok=True)
    return run_clash([open_model(factory.write(path))], [rule], cache=None)


# -- one element causing many clashes -----------------------------------------------------


def duct_model(order: Iterable[int] = range(6)) -> ModelFactory:
    """Duct x 0..12, y 0.8..1.2, z 2.0..2.4 through walls W1..W5 at
    x 1+2i..1.2+2i (y 0..2, z 0..3): each shares 0.2 * 0.4 * 0.4 = 0.032 m³
    (width 0.2) centred at (1.1 + 2i, 1.0, 2.2). Element 0 is the duct,
    1..5 the walls; ``order`` is the order they are created in."""
    f = ModelFactory()
    s = f.add_storey("L0", 0.0)
    for n in order:
        if n == 0:
            f.add_element("IfcDuctSegment", "D", shape=Box((0, 0.8, 2.0), (12, 1.2, 2.4)),
                          axis="x", storey=s)
        else:
            x = 1.0 + 2.0 * (n - 1)
            f.add_element("IfcWall", f"W{n}", shape=Box((x, 0, 0), (x + 0.2, 2, 3)), storey=s)
    return f


def test_one_duct_through_five_walls_is_one_group(tmp_path: Path) -> None:
    rule = adhoc_rule(a="IfcDuctSegment", b="IfcWall", kind="hard")
    report = run(duct_model(), tmp_path / "duct.ifc", rule)
    model = open_model(tmp_path / "duct.ifc")
    duct = model.select("IfcDuctSegment")[0].GlobalId
    walls = sorted(w.GlobalId for w in model.select("IfcWall"))

    assert len(report.clashes) == 5
    for c in sorted(report.clashes, key=lambda c: c.found.location[0]):
        assert duct in (c.a.global_id, c.b.global_id)
        assert c.found.overlap_volume == pytest.approx(0.032, abs=TOL)
        assert c.found.penetration_depth == pytest.approx(0.2, abs=TOL)
        assert c.storey == "L0"
    xs = sorted(float(c.found.location[0]) for c in report.clashes)
    assert xs == pytest.approx([1.1, 3.1, 5.1, 7.1, 9.1], abs=TOL)

    (group,) = report.groups
    assert group.by == "element"
    assert group.element == duct
    assert group.as_dict()["size"] == 5
    assert group.id == group_id("ADHOC", "element", duct)
    assert group.clashes == sorted(c.key for c in report.clashes)
    assert group.elements == sorted([duct, *walls])
    assert group.storey == "L0"
    assert group.severity == "high"
    assert list(group.location) == pytest.approx([5.1, 1.0, 2.2], abs=TOL)
    assert all(c.group == group.id for c in report.clashes)
    assert report.summary()["groups"] == 1


def test_min_element_clashes_above_the_count_leaves_clusters(tmp_path: Path) -> None:
    """With min_element_clashes 6 the duct (5 clashes) anchors nothing; with a
    radius of 2.5 m the clashes, 2 m apart in a row, form one cluster."""
    rule = pack_rule(tmp_path, a="IfcDuctSegment", b="IfcWall", radius=2.5,
                     min_element_clashes=6)
    report = run(duct_model(), tmp_path / "duct.ifc", rule)
    (group,) = report.groups
    assert group.by == "cluster"
    assert group.element is None
    assert group.id == group_id("G001", "cluster", min(c.key for c in report.clashes))
    assert len(group.clashes) == 5


# -- clustering by place, within a storey ---------------------------------------------------

#: Clash centres (metres) of the cluster model, with the storey each lies in.
#: Storeys: L0 at 0 m, L1 at 3 m. Every element is contained in L0, so only
#: the location's z can put a clash in L1.
CENTRES: dict[str, tuple[tuple[float, float, float], str]] = {
    "c1": ((0.0, 0.0, 2.5), "L0"),
    "c2": ((1.5, 0.0, 2.5), "L0"),    # 1.5 from c1
    "c3": ((3.0, 0.0, 2.5), "L0"),    # 1.5 from c2, 3.0 from c1: single linkage
    "c4": ((10.0, 0.0, 2.5), "L0"),   # far from everything
    "c5": ((0.0, 0.0, 3.5), "L1"),    # 1.0 from c1, but in L1
    "c6": ((0.0, 1.5, 3.5), "L1"),    # 1.5 from c5
    "c7": ((20.0, 0.0, 3.0), "L1"),   # exactly at L1's elevation
    "c8": ((30.0, 0.0, -1.0), "L0"),  # below every storey: the lowest
}


def cluster_model(names: Iterable[str] = CENTRES, *, reverse_storeys: bool = False
                  ) -> ModelFactory:
    """For each centre c: a beam c ± (0.5, 0.1, 0.1) crossed by a pipe
    c ± (0.05, 0.5, 0.05); they share c ± (0.05, 0.1, 0.05):
    0.1 * 0.2 * 0.1 = 0.002 m³, centroid c. No element is in two clashes."""
    f = ModelFactory()
    levels = [("L0", 0.0), ("L1", 3.0)]
    storeys = {n: f.add_storey(n, z) for n, z in (levels[::-1] if reverse_storeys else levels)}
    for name in names:
        (x, y, z), _ = CENTRES[name]
        f.add_element("IfcBeam", f"B-{name}", storey=storeys["L0"], axis="x",
                      shape=Box((x - 0.5, y - 0.1, z - 0.1), (x + 0.5, y + 0.1, z + 0.1)))
        f.add_element("IfcPipeSegment", f"P-{name}", storey=storeys["L0"], axis="y",
                      shape=Box((x - 0.05, y - 0.5, z - 0.05), (x + 0.05, y + 0.5, z + 0.05)))
    return f


def by_centre(report: ClashReport) -> dict[str, Clash]:
    """The clashes of the cluster model by the name of their centre."""
    out = {}
    for c in report.clashes:
        (name,) = {c.a.name[2:], c.b.name[2:]}
        out[name] = c
    return out


@pytest.mark.parametrize(
    ("radius", "expected"),
    [
        (2.0, [("cluster", ["c1", "c2", "c3"]), ("single", ["c4"]), ("cluster", ["c5", "c6"]),
               ("single", ["c7"]), ("single", ["c8"])]),
        (1.6, [("cluster", ["c1", "c2", "c3"]), ("single", ["c4"]), ("cluster", ["c5", "c6"]),
               ("single", ["c7"]), ("single", ["c8"])]),
        (1.2, [("single", [n]) for n in CENTRES]),
        (0.0, [("single", [n]) for n in CENTRES]),
    ],
)
def test_clusters_by_radius_within_a_storey(
    tmp_path: Path, radius: float, expected: list[tuple[str, list[str]]]
) -> None:
    report = run(cluster_model(), tmp_path / "cl.ifc",
                 pack_rule(tmp_path, a="IfcPipeSegment", b="IfcBeam", radius=radius))
    clashes = by_centre(report)
    assert set(clashes) == set(CENTRES)
    for name, ((x, y, z), storey) in CENTRES.items():
        c = clashes[name]
        assert list(c.found.location) == pytest.approx([x, y, z], abs=TOL)
        assert c.found.overlap_volume == pytest.approx(0.002, abs=TOL)
        assert c.storey == storey, name
        assert c.a.storey == c.b.storey == "L0"  # containment does not decide
    key_to_name = {c.key: n for n, c in clashes.items()}
    got = sorted((g.by, sorted(key_to_name[k] for k in g.clashes)) for g in report.groups)
    assert got == sorted(expected)
    for g in report.groups:
        members = [clashes[key_to_name[k]] for k in g.clashes]
        assert g.element is None
        assert g.id == group_id("G001", g.by, min(g.clashes))
        assert all(c.group == g.id for c in members)
        assert g.storey == members[0].storey
        assert {c.storey for c in members} == {g.storey}
        mean = np.mean([c.found.location for c in members], axis=0)
        assert list(g.location) == pytest.approx(list(mean), abs=TOL)
    assert [g.id for g in report.groups] == sorted(g.id for g in report.groups)


def test_clashes_in_different_storeys_never_share_a_cluster(tmp_path: Path) -> None:
    """c1 (L0) and c5 (L1) are 1 m apart: within a 5 m radius, yet apart."""
    report = run(cluster_model(["c1", "c5"]), tmp_path / "two.ifc",
                 pack_rule(tmp_path, a="IfcPipeSegment", b="IfcBeam", radius=5.0))
    clashes = by_centre(report)
    assert clashes["c1"].storey == "L0"
    assert clashes["c5"].storey == "L1"
    assert sorted((g.by, g.storey) for g in report.groups) == [("single", "L0"),
                                                                ("single", "L1")]
    assert clashes["c1"].group != clashes["c5"].group


# -- stability ------------------------------------------------------------------------------


def ids(report: ClashReport) -> tuple[list[tuple[str, str]], list[tuple[str, str, list[str]]]]:
    return ([(c.key, c.group) for c in report.clashes],
            [(g.id, g.by, g.clashes) for g in report.groups])


def test_group_ids_are_the_same_in_every_run(tmp_path: Path) -> None:
    rule = pack_rule(tmp_path, a="IfcPipeSegment", b="IfcBeam", radius=2.0)
    path = cluster_model().write(tmp_path / "cl.ifc")
    first = run_clash([open_model(path)], [rule], cache=None)
    second = run_clash([open_model(path)], [rule], cache=None)
    assert ids(first) == ids(second)
    assert first.as_dict()["groups"] == second.as_dict()["groups"]
    for key, group in ids(first)[0]:
        assert re.fullmatch("[0-9a-f]{32}", key)
        assert re.fullmatch("[0-9a-f]{16}", group)


def test_creation_order_does_not_change_keys_or_groups(tmp_path: Path) -> None:
    rule = pack_rule(tmp_path, a="IfcPipeSegment", b="IfcBeam", radius=2.0)
    forward = run(cluster_model(), tmp_path / "a" / "m.ifc", rule)
    backward = run(cluster_model(list(CENTRES)[::-1], reverse_storeys=True),
                   tmp_path / "b" / "m.ifc", rule)
    assert ids(forward) == ids(backward)
    assert forward.as_dict()["groups"] == backward.as_dict()["groups"]
    assert [c.as_dict() for c in forward.clashes] == [c.as_dict() for c in backward.clashes]

    duct_rule = adhoc_rule(a="IfcDuctSegment", b="IfcWall", kind="hard")
    forward = run(duct_model(), tmp_path / "c" / "d.ifc", duct_rule)
    backward = run(duct_model([5, 3, 0, 1, 4, 2]), tmp_path / "d" / "d.ifc", duct_rule)
    assert ids(forward) == ids(backward)
    assert forward.groups[0].element == backward.groups[0].element


def test_clash_key_ignores_pair_order() -> None:
    k = clash_key("CL001", "hard", "2O2Fr$t4X7Zf8NOew3FLOH", "0aBcD$efGhIjKlMnOpQrSt")
    assert k == clash_key("CL001", "hard", "0aBcD$efGhIjKlMnOpQrSt", "2O2Fr$t4X7Zf8NOew3FLOH")
    assert re.fullmatch("[0-9a-f]{32}", k)
    assert k != clash_key("CL002", "hard", "2O2Fr$t4X7Zf8NOew3FLOH", "0aBcD$efGhIjKlMnOpQrSt")
    assert k != clash_key("CL001", "clearance", "2O2Fr$t4X7Zf8NOew3FLOH",
                          "0aBcD$efGhIjKlMnOpQrSt")
    assert k != clash_key("CL001", "hard", "2O2Fr$t4X7Zf8NOew3FLOH", "0aBcD$efGhIjKlMnOpQrSu")
    # Parts are length-prefixed: moving characters between fields changes the key.
    assert clash_key("R", "hard", "AB", "C") != clash_key("R", "hard", "A", "BC")
    g = group_id("CL001", "element", "2O2Fr$t4X7Zf8NOew3FLOH")
    assert re.fullmatch("[0-9a-f]{16}", g)
    assert g != group_id("CL001", "cluster", "2O2Fr$t4X7Zf8NOew3FLOH")
    assert g != group_id("CL002", "element", "2O2Fr$t4X7Zf8NOew3FLOH")


# -- group_clashes on hand-made records -------------------------------------------------------


def ref(gid: str) -> ElementRef:
    return ElementRef(gid, "IfcBuildingElementProxy", gid, "L0", "architecture", "m.ifc")


def clash(a: str, b: str, location: tuple[float, float, float], severity: str = "medium",
          storey: str | None = "L0") -> Clash:
    first, second = sorted((a, b))
    found = PairResult(relation="hard", exact=True, overlap_volume=0.001,
                       penetration_depth=0.1, distance=0.0, location=np.array(location))
    return Clash(key=clash_key("R1", "hard", a, b), rule="R1", kind="hard", severity=severity,
                 a=ref(first), b=ref(second), found=found, storey=storey)


def test_greedy_anchor_takes_the_element_with_most_clashes_first() -> None:
    """Z has 3 clashes (with A, B and Y), Y has 2 (with Z and D). Z goes first
    although Y's GlobalId is smaller, and claims Z-Y; Y keeps only Y-D, one
    unclaimed clash, below min_element_clashes=2: not an anchor. Y-D then falls
    to clustering and joins E-F, 1 m away."""
    zy = clash("Z", "Y", (2, 0, 0))
    yd = clash("Y", "D", (50, 0, 0), severity="low")
    ef = clash("E", "F", (51, 0, 0), severity="info")
    za = clash("Z", "A", (0, 0, 0), severity="critical")
    zb = clash("Z", "B", (1, 0, 0))
    clashes = [yd, zy, ef, za, zb]
    groups = group_clashes(clashes, radius=3.0, min_element_clashes=2)

    assert [g.id for g in groups] == sorted(g.id for g in groups)
    by = {g.by: g for g in groups}
    assert sorted(by) == ["cluster", "element"] and len(groups) == 2
    element = by["element"]
    assert element.element == "Z"
    assert element.id == group_id("R1", "element", "Z")
    assert element.clashes == sorted([za.key, zb.key, zy.key])
    assert element.elements == ["A", "B", "Y", "Z"]
    assert element.severity == "critical"
    assert element.storey == "L0"
    assert list(element.location) == pytest.approx([1.0, 0.0, 0.0])
    cluster = by["cluster"]
    assert cluster.element is None
    assert cluster.clashes == sorted([yd.key, ef.key])
    assert cluster.id == group_id("R1", "cluster", min(yd.key, ef.key))
    assert cluster.severity == "low"
    assert list(cluster.location) == pytest.approx([50.5, 0.0, 0.0])
    assert not any(g.element == "Y" for g in groups)
    assert {c.key: c.group for c in clashes} == {
        za.key: element.id, zb.key: element.id, zy.key: element.id,
        yd.key: cluster.id, ef.key: cluster.id,
    }


def test_greedy_anchor_ties_go_to_the_smaller_global_id() -> None:
    """P and Q have 2 clashes each and share P-Q: P (smaller) anchors both of
    its clashes; Q keeps Q-S alone, which stands single (radius 1 m)."""
    pq, pr, qs = (clash("P", "Q", (0, 0, 0)), clash("P", "R", (0.5, 0, 0)),
                  clash("Q", "S", (10, 0, 0)))
    groups = group_clashes([qs, pq, pr], radius=1.0, min_element_clashes=2)
    assert sorted((g.by, g.element, tuple(g.clashes)) for g in groups) == sorted([
        ("element", "P", tuple(sorted([pq.key, pr.key]))), ("single", None, (qs.key,)),
    ])


def test_min_element_clashes_three_keeps_a_pair_of_clashes_out() -> None:
    """With min_element_clashes=3 an element with 2 clashes anchors nothing; its
    clashes (0.5 m apart) cluster instead."""
    pq, pr = clash("P", "Q", (0, 0, 0)), clash("P", "R", (0.5, 0, 0))
    (group,) = group_clashes([pq, pr], radius=1.0, min_element_clashes=3)
    assert (group.by, group.element) == ("cluster", None)
    (group,) = group_clashes([pq, pr], radius=1.0, min_element_clashes=2)
    assert (group.by, group.element) == ("element", "P")


def test_clusters_keep_storeys_apart_and_no_clashes_no_groups() -> None:
    near = [clash("A", "B", (0, 0, 2.9), storey="L0"), clash("C", "D", (0, 0, 3.1), storey="L1")]
    groups = group_clashes(near, radius=5.0, min_element_clashes=2)
    assert sorted((g.by, g.storey) for g in groups) == [("single", "L0"), ("single", "L1")]
    assert group_clashes([], radius=5.0, min_element_clashes=2) == []


def test_storey_of_a_clash_ignores_storeys_without_elevation() -> None:
    """A storey whose elevation is unknown (no Elevation, no placement) is
    skipped instead of breaking the comparison."""
    from types import SimpleNamespace

    from bimcheck.clash.records import Subject
    from bimcheck.clash.run import _storey_at
    from bimcheck.geometry.mesh import box
    from bimcheck.model import Storey

    model = SimpleNamespace(storeys=[Storey("g0", "L0", 0.0), Storey("g1", "L1", 3.5),
                                     Storey("gx", "Roof", None)])
    ref = ElementRef("a", "IfcWall", "w", "L0", "architecture", "m.ifc")
    s = Subject(ref, box((0, 0, 0), (1, 1, 1)), True)
    assert _storey_at(model, np.array([0.0, 0.0, 4.0]), s, s) == "L1"
    assert _storey_at(model, np.array([0.0, 0.0, -1.0]), s, s) == "L0"
    only_unknown = SimpleNamespace(storeys=[Storey("gx", "Roof", None)])
    assert _storey_at(only_unknown, np.array([0.0, 0.0, 4.0]), s, s) == "L0"
