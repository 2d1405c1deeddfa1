"""Every shipped pack loads, every rule documents what, why and fix, and the
default set's rule ids are unique with the crane pack's."""

from __future__ import annotations

import pytest

from bimcheck.packs.pack import load_packs
from tests.conftest import REPO

PACKS = sorted(p for p in (REPO / "rules").rglob("*.yaml") if p.name != "disciplines.yaml")


@pytest.mark.parametrize("path", PACKS, ids=[str(p.relative_to(REPO)) for p in PACKS])
def test_shipped_pack_loads_with_docs(path):
    for pack in load_packs([path]):
        assert pack.rules or pack.includes
        for rule in pack.rules:
            assert rule.name and rule.severity
            assert all(rule.doc[k] for k in ("what", "why", "fix"))


def test_default_set_with_crane_pack_has_unique_ids():
    packs = load_packs([REPO / "rules" / "default", REPO / "rules" / "crane"])
    ids = [r.id for p in packs for r in p.rules]
    assert len(ids) == len(set(ids))
    families = {r.family for p in packs for r in p.rules}
    assert families == {"clash", "health", "property", "quantity", "crane"}
