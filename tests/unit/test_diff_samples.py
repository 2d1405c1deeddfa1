"""The diff of the samples, rev A -> rev B, against the ground truth written
by samples/build_samples.py from the specs (``diff`` section of the rev B truth)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bimcheck.diff import diff_models
from bimcheck.model import open_model

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture(scope="module")
def truth() -> dict:
    return yaml.safe_load((SAMPLES / "tower_rev_b.truth.yaml").read_text())["diff"]


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    from bimcheck.geometry.cache import MeshCache

    cache = MeshCache(tmp_path_factory.mktemp("cache"))
    return diff_models(open_model(SAMPLES / "tower_rev_a.ifc"),
                       open_model(SAMPLES / "tower_rev_b.ifc"), cache=cache)


def test_statuses_are_the_truth(result, truth):
    assert result.summary["statuses"] == truth["statuses"]
    changed = {e.global_id: e for e in result.changed()}
    assert set(changed) == {t["global_id"] for t in truth["elements"]}
    for t in truth["elements"]:
        e = changed[t["global_id"]]
        assert (e.name, e.status) == (t["name"], t["status"])
        assert [c.kind for c in e.changes] == t["changes"]
        if e.status not in ("added", "removed"):
            assert e.matched_by == "global_id"


def test_translations_and_opening_area_are_the_truth(result, truth):
    changed = {e.global_id: e for e in result.changed()}
    for t in truth["elements"]:
        detail = {c.kind: c.detail for c in changed[t["global_id"]].changes}
        if "translation" in t:
            assert detail["placement"]["translation"] == pytest.approx(t["translation"],
                                                                       abs=1e-9)
            assert detail["placement"]["rotation_deg"] == 0.0
        if "openings_area_delta" in t:
            assert detail["openings"]["area_delta"] == pytest.approx(t["openings_area_delta"],
                                                                     abs=1e-6)
            (resized,) = detail["openings"]["resized"]
            assert (resized["old_area"], resized["new_area"]) == pytest.approx((0.09, 0.16),
                                                                               abs=1e-6)


def test_property_change_has_old_and_new_values(result):
    (entry,) = [e for e in result.changed() if e.name == "W-0-south-1"]
    (change,) = entry.changes
    assert change.detail["values"] == [{"pset": "Pset_WallCommon", "property": "FireRating",
                                        "old": "REI60", "new": "REI90", "inherited": False}]


def test_shape_change_reports_volumes(result):
    (slab,) = [e for e in result.changed() if e.name == "SL-R"]
    geometry = slab.changes[0].detail
    # 12.4 x 6.4 m roof slab, 0.25 -> 0.30 m thick
    assert geometry["old"]["volume"] == pytest.approx(12.4 * 6.4 * 0.25, abs=1e-6)
    assert geometry["new"]["volume"] == pytest.approx(12.4 * 6.4 * 0.30, abs=1e-6)
    assert geometry["volume_delta"] == pytest.approx(12.4 * 6.4 * 0.05, abs=1e-6)


def test_millimetre_file_of_rev_a_is_unchanged():
    d = diff_models(open_model(SAMPLES / "tower_rev_a.ifc"),
                    open_model(SAMPLES / "tower_rev_a_mm.ifc"), cache=None)
    assert d.changed() == []
    assert d.summary["statuses"]["unchanged"] == 82


_SCRIPT = """
import sys
from bimcheck.diff import diff_models
from bimcheck.model import open_model
from bimcheck.report.jsonout import dumps
d = diff_models(open_model(sys.argv[1]), open_model(sys.argv[2]), cache=None)
sys.stdout.write(dumps(d.as_dict(), inline_from=3))
"""


def test_json_is_byte_identical_across_hash_seeds():
    outs = []
    for seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outs.append(subprocess.run(
            [sys.executable, "-c", _SCRIPT, str(SAMPLES / "tower_rev_a.ifc"),
             str(SAMPLES / "tower_rev_b.ifc")], env=env, capture_output=True, check=True,
        ).stdout)
    assert outs[0] == outs[1]
    assert b'"status": "moved"' in outs[0]


def test_reading_in_two_processes_gives_the_same_diff(monkeypatch):
    """Large models are read in two processes (the new one forked): the result
    is the same document as reading both here."""
    from bimcheck.diff import snapshot as snap
    from bimcheck.report.jsonout import dumps

    def once(threads: int) -> str:
        d = diff_models(open_model(SAMPLES / "tower_rev_a.ifc"),
                        open_model(SAMPLES / "tower_rev_b.ifc"), cache=None, threads=threads)
        return dumps(d.as_dict())

    serial = once(1)
    monkeypatch.setattr(snap, "_MIN_PARALLEL", 0)
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: never forked")
    assert once(2) == serial


_HELPER_SCRIPT = """
import sys
from bimcheck import prehash
from bimcheck.diff import diff_models, snapshot
from bimcheck.model import open_model
from bimcheck.report.jsonout import dumps
a, b = sys.argv[1:3]
without = dumps(diff_models(open_model(a, prehash_digests=False),
                            open_model(b, prehash_digests=False), cache=None, threads=1).as_dict())
prehash.MIN_BYTES = 0
snapshot._MIN_PARALLEL = 0
old, new = open_model(a), open_model(b)
assert old.prehash is not None and new.prehash is not None, "no helper"
print(dumps(diff_models(old, new, cache=None, threads=2).as_dict()) == without)
"""


def test_fingerprints_come_from_the_helper_in_two_processes():
    """With the files' fingerprints hashed by a helper beside the parse (here
    for the small samples too), both readers take its digests, the forked one
    through this process: the same document as without a helper. (In a fresh
    process: helpers are forked only where no other thread runs.)"""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: never forked")
    out = subprocess.run([sys.executable, "-c", _HELPER_SCRIPT, str(SAMPLES / "tower_rev_a.ifc"),
                          str(SAMPLES / "tower_rev_b.ifc")], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "True", out.stderr


def test_shapes_are_hashed_in_bulk_before_the_elements_are_read(monkeypatch):
    """Every element's shape graph is hashed at once (vectorised), not walked
    entity by entity as each element is read; the digests are the walk's."""
    from bimcheck.diff import snapshot as snap
    from bimcheck.fingerprint import Fingerprinter

    model = open_model(SAMPLES / "tower_rev_b.ifc", prehash_digests=False)
    walked = []
    real = Fingerprinter._walk
    monkeypatch.setattr(Fingerprinter, "_walk", lambda self, eid: walked.append(eid)
                        or real(self, eid))
    shot = snap.snapshot(model)
    shapes = {g: s.shape for g, s in shot.elements.items()}
    with_bodies = sum(1 for s in shapes.values() if s is not None)
    assert with_bodies > 20 and len(walked) < with_bodies // 4
    monkeypatch.setattr(Fingerprinter, "prepare", lambda self, roots: None)  # walk them all
    assert {g: s.shape for g, s in snap.snapshot(model).elements.items()} == shapes
