"""Pair test results are reused across runs (bimcheck.clash.reuse): a run on
unchanged meshes tests no pair again, a revision tests only the pairs whose
meshes changed, and the report is the one a run without the store makes."""

from __future__ import annotations

import pytest

from bimcheck.clash import hard, parallel, reuse
from bimcheck.clash.rules import default_pack_path, load_clash_rules
from bimcheck.clash.run import run_clash
from bimcheck.errors import GeometryError
from bimcheck.geometry.cache import MeshCache
from bimcheck.model import open_model
from bimcheck.report.jsonout import dumps
from tests.conftest import SAMPLES

REV_A = SAMPLES / "tower_rev_a.ifc"
REV_B = SAMPLES / "tower_rev_b.ifc"


def _run(model, cache=None, threads=1):
    rules = load_clash_rules([default_pack_path()], ())
    return run_clash([open_model(model)], rules, cache=cache, threads=threads)


def _forbid_tests(monkeypatch):
    def fail(*_args, **_kwargs):
        pytest.fail("a pair was tested again")

    for kind in ("hard", "clearance", "duplicate"):
        monkeypatch.setattr(f"bimcheck.clash.{kind}.check_pair", fail)


@pytest.mark.parametrize("threads", [1, 2])
def test_a_run_on_unchanged_meshes_tests_no_pair_again(tmp_path, monkeypatch, threads):
    monkeypatch.setattr(parallel, "MIN_PAIRS", 1)  # the shares are forked too
    cache = MeshCache(tmp_path / "cache")
    first = _run(REV_A, cache, threads)
    assert first.timings["pairs_reused"] == 0 and first.timings["pairs_tested"] > 0
    _forbid_tests(monkeypatch)
    again = _run(REV_A, cache, threads)
    assert again.timings["pairs_tested"] == 0
    assert again.timings["pairs_reused"] == first.timings["pairs_tested"]
    assert dumps(again.as_dict()) == dumps(first.as_dict())
    assert first.summary()["clashes"] == 9  # test_clash_cmd.EXPECTED, by hand


def _mesh_keys(model, cache):
    from bimcheck.geometry.tessellate import tessellate

    return tessellate(open_model(model), cache=cache).keys


def test_a_revision_tests_only_the_pairs_whose_meshes_changed(tmp_path, monkeypatch):
    cache = MeshCache(tmp_path / "cache")
    _run(REV_A, cache)
    before = set(_mesh_keys(REV_A, cache).values())
    revision = _run(REV_B, cache)
    changed = {gid for gid, key in _mesh_keys(REV_B, cache).items() if key not in before}
    assert changed  # rev B moved, resized or added elements
    tested: list[tuple[str, str]] = []
    original = reuse.PairReuse.results

    def spy(self, rule, ids, *args, **kwargs):
        tested.extend(ids)
        return original(self, rule, ids, *args, **kwargs)

    monkeypatch.setattr(reuse.PairReuse, "results", spy)
    fresh = _run(REV_B)  # no cache: every pair of every rule tested
    assert dumps(revision.as_dict()) == dumps(fresh.as_dict())
    assert len(tested) == fresh.timings["pairs_tested"]
    assert revision.timings["pairs_tested"] == sum(
        1 for a, b in tested if a in changed or b in changed)
    assert revision.timings["pairs_reused"] == sum(
        1 for a, b in tested if a not in changed and b not in changed) > 0


def test_a_fallback_stores_and_reuses_nothing_from_then_on(tmp_path, monkeypatch):
    """A solid the volume kernel rejects turns that element's later pairs to
    the triangle test, an order-dependent outcome: from the first fallback of
    a run on, nothing is stored (so the next run tests everything again)."""
    cache = MeshCache(tmp_path / "cache")
    real = hard.check_pair
    calls = {"n": 0}

    def once_failing(a, b, params):
        calls["n"] += 1
        if calls["n"] == 1 and a.exact and b.exact:
            raise GeometryError("a rejected solid")
        return real(a, b, params)

    monkeypatch.setattr(hard, "check_pair", once_failing)
    before = parallel.fallbacks
    first = _run(REV_A, cache)
    assert parallel.fallbacks > before and calls["n"] > 1
    monkeypatch.setattr(hard, "check_pair", real)
    second = _run(REV_A, cache)  # what the first run tested after its fallback: again
    third = _run(REV_A, cache)  # stored by the second: nothing again
    assert 0 < second.timings["pairs_tested"] <= first.timings["pairs_tested"]
    assert second.timings["pairs_reused"] + second.timings["pairs_tested"] == \
        first.timings["pairs_tested"]
    assert third.timings["pairs_tested"] == 0
    assert dumps(third.as_dict()) == dumps(second.as_dict())


def test_an_entry_that_does_not_read_is_tested_again(tmp_path, monkeypatch):
    cache = MeshCache(tmp_path / "cache")
    first = _run(REV_A, cache)
    store = reuse.PairStore(cache)
    db = store._open()
    db.execute("UPDATE pairs SET body = x'00ff'")
    store.close()
    again = _run(REV_A, cache)
    assert again.timings["pairs_reused"] == 0
    assert again.timings["pairs_tested"] == first.timings["pairs_tested"]
    assert dumps(again.as_dict()) == dumps(first.as_dict())


def test_a_store_that_is_not_a_database_is_made_anew(tmp_path, monkeypatch):
    """A torn or foreign store file is replaced, with one warning: the run
    stores its results and the next one reuses them."""
    from bimcheck import keystore

    warned: list[str] = []
    monkeypatch.setattr(keystore.log, "warning", lambda msg, *args: warned.append(msg % args))
    monkeypatch.setattr(reuse.log, "warning", lambda msg, *args: warned.append(msg % args))
    cache = MeshCache(tmp_path / "cache")
    path = reuse.PairStore(cache).path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database" * 100)
    report = _run(REV_A, cache)
    assert report.summary()["clashes"] == 9
    assert report.timings["pairs_reused"] == 0
    assert len(warned) == 1 and "made anew" in warned[0] and str(path) in warned[0]
    again = _run(REV_A, cache)
    assert again.timings["pairs_reused"] == report.timings["pairs_tested"] > 0
    assert len(warned) == 1


def test_no_cache_no_store(tmp_path):
    report = _run(REV_A)
    assert report.timings["pairs_reused"] == 0 and report.timings["pairs_tested"] > 0


def test_a_stored_result_reads_back_exactly(tmp_path):
    import numpy as np

    from bimcheck.clash.records import PairResult

    store = reuse.PairStore(MeshCache(tmp_path / "cache"))
    gap = PairResult("clearance", True, 0.0, 0.0, 0.030000000000000027,
                     np.array([1.0, 2.5, 0.1 + 0.2]), np.array([1.0, 2.49, 0.3]),
                     np.array([1.0, 2.52, 0.3]))
    shared = PairResult("hard", True, 1.92e-05, 0.0357028, 0.0, np.array([2.1, 41.2, 24.1]))
    store.put_many({"a": gap, "b": shared, "c": None})
    found = store.get_many(["a", "b", "c", "d"])
    assert found["c"] is reuse.NOT_A_CLASH and "d" not in found
    for key, want in (("a", gap), ("b", shared)):
        got = found[key]
        assert (got.relation, got.exact, got.overlap_volume, got.penetration_depth,
                got.distance) == (want.relation, want.exact, want.overlap_volume,
                                  want.penetration_depth, want.distance)
        for name in ("location", "point_a", "point_b"):
            a, b = getattr(got, name), getattr(want, name)
            assert (a is None and b is None) or (a.tolist() == b.tolist()
                                                 and a.dtype == np.float64)
    for body in (b"", b"[", b'["hard"]', b'["hard",1,0,0,0,[1,2,3],null,null]',
                 b'["hard",true,"x",0,0,[1,2,3],null,null]', b'["hard",true,0,0,0,null,null,null]'):
        assert store.decode(body) is None, body
    store.close()


def test_a_fallback_among_the_pairs_tested_now_tests_the_rule_again(tmp_path, monkeypatch):
    """A changed pair that falls back to the triangle test turns its element's
    later pairs to that test in a run without the store: their stored exact
    results must not be reused (a review found this)."""
    from bimcheck.clash import clearance, duplicate

    cache = MeshCache(tmp_path / "cache")
    seen = []
    original = reuse.PairReuse.results

    def spy(self, rule, ids, pairs, *args, **kwargs):
        out = original(self, rule, ids, pairs, *args, **kwargs)
        seen.append((rule, list(ids), out, reuse.pair_keys(rule, pairs, ids, self.mesh_keys)))
        return out

    monkeypatch.setattr(reuse.PairReuse, "results", spy)
    _run(REV_A, cache)
    monkeypatch.setattr(reuse.PairReuse, "results", original)
    # A pair P whose element has a later exact clash in the same rule.
    choice = next((rule, ids[i], keys[i]) for rule, ids, out, keys in seen
                  for i in range(len(ids)) for j in range(i + 1, len(ids))
                  if set(ids[j]) & set(ids[i]) and out[j] is not None and out[j].exact)
    rule, pair, key = choice
    store = reuse.PairStore(cache)
    store._open().execute("DELETE FROM pairs WHERE key = ?", (key,))  # P "changed"
    store.close()
    module = {"hard": hard, "clearance": clearance, "duplicate": duplicate}[rule.kind]
    real = module.check_pair

    def rejecting(a, b, params):
        if {a.ref.global_id, b.ref.global_id} == set(pair) and a.exact and b.exact:
            raise GeometryError("a rejected solid")
        return real(a, b, params)

    monkeypatch.setattr(module, "check_pair", rejecting)
    reused = _run(REV_A, cache)
    fresh = _run(REV_A)
    assert dumps(reused.as_dict()) == dumps(fresh.as_dict())
    assert any(not c.found.exact for c in fresh.clashes)  # the fallback shows


def test_a_body_that_is_not_a_blob_is_a_miss(tmp_path):
    store = reuse.PairStore(MeshCache(tmp_path / "cache"))
    store.put_many({"a": None, "b": None})
    db = store._open()
    db.execute("UPDATE pairs SET body = NULL WHERE key = 'a'")
    db.execute("UPDATE pairs SET body = 'text' WHERE key = 'b'")
    assert store.get_many(["a", "b"]) == {}
    store.close()


def test_a_results_folder_that_cannot_be_made_turns_reuse_off(tmp_path, monkeypatch):
    warned: list[str] = []
    monkeypatch.setattr(reuse.log, "warning", lambda msg, *args: warned.append(msg % args))
    cache = MeshCache(tmp_path / "cache")
    (cache.root / "results").write_text("a file where the folder goes")
    report = _run(REV_A, cache)
    assert report.summary()["clashes"] == 9 and report.timings["pairs_reused"] == 0
    assert len(warned) == 1 and "cannot create" in warned[0]
