"""Pass and fail cases of every property, health and quantity kind, as data
(tests/rules/cases/*.yaml, in the manner of sqlfluff's rule fixtures): each case
builds its model in code, runs its one rule, and names the elements that fail;
every other element the rule selects must pass."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bimcheck.context import RunContext
from bimcheck.model import open_model
from bimcheck.packs.pack import load_packs
from bimcheck.run import run_checks
from bimcheck.testing.ifcfactory import Box, ModelFactory

CASES = Path(__file__).parent / "cases"


def _cases():
    for file in sorted(CASES.glob("*.yaml")):
        for case in yaml.safe_load(file.read_text(encoding="utf-8")):
            yield pytest.param(case, id=f"{file.stem}: {case['name']}")


def build(case: dict, path: Path) -> Path:
    f = ModelFactory()
    level = f.add_storey("Level 0", 0.0)
    for item in case["model"]:
        box = item.get("box")
        shape = Box(tuple(box[:3]), tuple(box[3:])) if box else None
        e = f.add_element(item["class"], item["name"], shape=shape, storey=level)
        for pset, props in (item.get("psets") or {}).items():
            f.add_pset(e, pset, props)
        if item.get("material"):
            f.assign_material(e, item["material"])
    return f.write(path)


@pytest.mark.parametrize("case", list(_cases()))
def test_rule_case(case, tmp_path):
    model = build(case, tmp_path / "case.ifc")
    rule = {"id": "T1", "name": case["name"], "severity": "medium",
            "doc": {"what": "w", "why": "y", "fix": "f"}, **case["rule"]}
    pack = tmp_path / "pack.yaml"
    pack.write_text(yaml.safe_dump({"pack": "case", "version": 1, "rules": [rule]}))
    packs = load_packs([pack])
    ctx = RunContext([open_model(model, require_geometry=False)])
    report = run_checks(ctx, list(packs[0].rules), packs=packs)
    failed = sorted(e.name for f in report.findings for e in f.elements)
    assert failed == sorted(case["fail"]), [f.message for f in report.findings]
