"""Clash rule packs: the shipped pack is complete; every invalid rule is
refused with an error naming the file, the rule id and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bimcheck.clash.rules import (
    adhoc_rule,
    default_pack_path,
    load_clash_pack,
    load_clash_rules,
    rule_bands,
    rule_grouping,
)
from bimcheck.errors import RulePackError
from bimcheck.packs.schema import SEVERITIES, shift_severity

GOOD_RULE = {
    "id": "T001",
    "name": "ducts through beams",
    "kind": "hard",
    "severity": "high",
    "a": "IfcDuctSegment",
    "b": "IfcBeam",
    "doc": {"what": "w", "why": "y", "fix": "f"},
}


def write_pack(tmp_path: Path, rules: list, **top) -> Path:
    path = tmp_path / "pack.yaml"
    doc = {"pack": "test", "version": 1, **top, "rules": rules}
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def rule(**changes) -> dict:
    out = {**GOOD_RULE, **changes}
    return {k: v for k, v in out.items() if v is not None}


def test_default_pack_is_complete():
    pack = load_clash_pack(default_pack_path())
    kinds = {r.kind for r in pack.rules}
    assert kinds == {"hard", "clearance", "duplicate"}
    for r in pack.rules:
        assert r.name and r.severity in SEVERITIES
        assert all(r.doc[k] for k in ("what", "why", "fix"))
    ids = [r.id for r in pack.rules]
    assert len(ids) == len(set(ids)) >= 7
    # The minimum: MEP v structure, MEP v architecture, MEP v MEP hard and
    # clearance, structure duplicates and hard, 50 mm duct/pipe clearance to structure.
    by_id = {r.id: r for r in pack.rules}
    assert by_id["CL007"].kind == "clearance" and by_id["CL007"].params["clearance"] == 0.05
    assert by_id["CL003"].b is None and by_id["CL004"].b is None
    assert rule_grouping(by_id["CL001"]).radius == 3.0
    assert rule_bands(by_id["CL001"])[0].shift == 1


def test_defaults_filled_in(tmp_path):
    pack = load_clash_pack(write_pack(tmp_path, [rule()]))
    (r,) = pack.rules
    assert r.params["tolerance"] == 0.0
    assert r.params["allow_touching"] is True
    assert r.params["ignore"] == {"filling_host": True, "same_assembly": True,
                                  "connected": True, "same_system": False,
                                  "same_property": None}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"severity": "urgent"}, "severity", "must be one of critical"),
        ({"kind": "soft"}, "kind", "unknown clash kind 'soft'"),
        ({"name": None}, "name", "required"),
        ({"doc": {"what": "w", "why": "y"}}, "doc.fix", "required"),
        ({"doc": {"what": "w", "why": "y", "fix": "f", "how": "h"}}, "doc.how", "unknown"),
        ({"a": None}, "a", "required"),
        ({"a": "IfcWall,, IfcBeam"}, "a (column 9)", "invalid selector"),
        ({"b": "IfcWall["}, "b (column", "invalid selector"),
        ({"params": {"tolerance": -0.1}}, "params.tolerance", "must be >= 0.0 m"),
        ({"params": {"tolerance": "1cm"}}, "params.tolerance", "expected a number"),
        ({"params": {"clearance": 0.05}}, "params.clearance", "unknown param for kind hard"),
        ({"params": {"allow_touching": "yes"}}, "params.allow_touching", "expected bool"),
        ({"params": {"ignore": {"same_floor": True}}}, "params.ignore", "unknown ignore rule"),
        ({"params": {"ignore": {"same_property": "Zone"}}}, "params.ignore", "Pset.Property"),
        ({"kind": "duplicate", "b": None, "params": {"min_overlap": 1.5}},
         "params.min_overlap", "must be <= 1.0"),
        ({"bands": [{"metric": "depth", "min": 0.1, "shift": 1}]}, "bands", "metric must be"),
        ({"bands": [{"metric": "distance", "shift": 1}]}, "bands", "give min, max"),
        ({"colour": "red"}, "colour", "unknown field"),
    ],
)
def test_invalid_rule_names_file_rule_and_field(tmp_path, changes, field, message):
    path = write_pack(tmp_path, [rule(**changes)])
    with pytest.raises(RulePackError) as err:
        load_clash_pack(path)
    text = str(err.value)
    assert text.startswith(f"{path}: rule T001: {field}"), text
    assert message in text, text


def test_bad_rule_id(tmp_path):
    path = write_pack(tmp_path, [rule(id="1 bad")])
    with pytest.raises(RulePackError, match=r"rules\[0\]\.id: rule id must be"):
        load_clash_pack(path)


def test_duplicate_ids_in_one_pack_and_across_packs(tmp_path):
    path = write_pack(tmp_path, [rule(), rule(name="again")])
    with pytest.raises(RulePackError, match="rule T001: id: duplicate rule id"):
        load_clash_pack(path)
    other = tmp_path / "other"
    other.mkdir()
    p1 = write_pack(tmp_path, [rule()])
    p2 = write_pack(other, [rule()])
    with pytest.raises(RulePackError, match=f"duplicate rule id \\(also in {p1}\\)"):
        load_clash_rules([p1, p2])


@pytest.mark.parametrize(
    ("top", "field"),
    [
        ({"grouping": {"radius": -1}}, "grouping.radius"),
        ({"grouping": {"min_element_clashes": 1}}, "grouping.min_element_clashes"),
        ({"grouping": {"size": 1}}, "grouping.size"),
        ({"severity_bands": {"soft": []}}, "severity_bands.soft"),
        ({"version": 2}, "version"),
        ({"extra": 1}, "extra"),
    ],
)
def test_invalid_pack_fields(tmp_path, top, field):
    path = write_pack(tmp_path, [rule()], **top)
    with pytest.raises(RulePackError) as err:
        load_clash_pack(path)
    assert str(err.value).startswith(f"{path}: {field}"), str(err.value)


def test_not_a_pack(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(RulePackError, match="must be a mapping"):
        load_clash_pack(path)
    path.write_text("pack: x\nrules: {a: 1}\n", encoding="utf-8")
    with pytest.raises(RulePackError, match="rules: required, a list of rules"):
        load_clash_pack(path)


def test_unsafe_yaml_is_refused(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("pack: !!python/object/apply:os.system ['echo hi']\nrules: []\n")
    with pytest.raises(RulePackError, match="invalid YAML"):
        load_clash_pack(path)


def test_rule_selection_and_unknown_id(tmp_path):
    path = write_pack(tmp_path, [rule(), rule(id="T002")])
    assert [r.id for r in load_clash_rules([path], ["T002"])] == ["T002"]
    with pytest.raises(RulePackError, match="no rule 'NOPE'"):
        load_clash_rules([path], ["NOPE"])


def test_disabled_rule_is_skipped(tmp_path):
    path = write_pack(tmp_path, [rule(), rule(id="T002", enabled=False)])
    assert [r.id for r in load_clash_pack(path).rules] == ["T001"]


def test_pack_bands_apply_unless_the_rule_has_its_own(tmp_path):
    bands = {"hard": [{"metric": "penetration_depth", "min": 0.1, "shift": 2}]}
    own = [{"metric": "overlap_volume", "max": 0.001, "shift": -1}]
    path = write_pack(tmp_path, [rule(), rule(id="T002", bands=own)], severity_bands=bands)
    first, second = load_clash_pack(path).rules
    assert [b.shift for b in rule_bands(first)] == [2]
    assert [b.metric for b in rule_bands(second)] == ["overlap_volume"]
    assert rule_bands(first)[0].matches(0.1) and not rule_bands(first)[0].matches(0.0999)
    assert not rule_bands(first)[0].matches(None)


def test_adhoc_rule_is_validated():
    r = adhoc_rule(a="IfcDuctSegment", b=None, kind="clearance", clearance=0.1)
    assert r.params["clearance"] == 0.1 and r.b is None
    with pytest.raises(RulePackError, match=r"params\.tolerance"):
        adhoc_rule(a="IfcDuctSegment", b=None, kind="clearance", tolerance=0.1)
    with pytest.raises(RulePackError, match="column"):
        adhoc_rule(a="IfcWall[", b=None, kind="hard")


def test_shift_severity_clamps():
    assert shift_severity("high", 1) == "critical"
    assert shift_severity("critical", 3) == "critical"
    assert shift_severity("low", -1) == "info"
    assert shift_severity("info", -2) == "info"
    assert shift_severity("medium", 0) == "medium"


def test_enabled_must_be_a_bool(tmp_path):
    path = write_pack(tmp_path, [rule(enabled="no")])
    with pytest.raises(RulePackError, match="rule T001: enabled: must be true or false"):
        load_clash_pack(path)
