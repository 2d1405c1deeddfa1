"""Quantity rows are reused element by element: a takeoff of rev B after rev A
(samples/README.md, "Rev B") measures only the elements rev B changed, and
gives the rows a fresh takeoff gives."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import yaml

from bimcheck.geometry.cache import MeshCache
from bimcheck.model import open_model
from bimcheck.qto import takeoff as takeoff_module
from bimcheck.qto.reuse import RowStore, clear_store, store_usage
from bimcheck.qto.rules import default_qto_pack_path, load_qto_pack
from bimcheck.qto.takeoff import run_takeoff
from tests.conftest import SAMPLES

RULES = load_qto_pack(default_qto_pack_path()).rules
TRUTH_B = yaml.safe_load((SAMPLES / "tower_rev_b.truth.yaml").read_text(encoding="utf-8"))
#: What rev B changed that its rows read: geometry, placement or openings
#: (W-0-south-1's fire rating is a property no quantity reads).
CHANGED = {e["global_id"] for e in TRUTH_B["diff"]["elements"]
           if e["status"] in ("added", "moved") or set(e["changes"]) - {"properties"}}


def _takeoff(path: Path, cache: MeshCache | None, threads: int = 1):
    return run_takeoff(open_model(path), RULES, cache=cache, threads=threads)


def _measured(takeoff) -> int:
    return takeoff.timings["elements_measured"]


@pytest.mark.parametrize("threads", [1, 2])  # 2: measured by forked processes
def test_a_revision_measures_only_what_changed(tmp_path, threads, monkeypatch):
    monkeypatch.setattr(takeoff_module, "_MIN_PARALLEL", 1)
    cache = MeshCache(tmp_path / "cache")
    a = _takeoff(SAMPLES / "tower_rev_a.ifc", cache, threads)
    assert a.timings["elements_reused"] == 0
    b = _takeoff(SAMPLES / "tower_rev_b.ifc", cache, threads)
    fresh = _takeoff(SAMPLES / "tower_rev_b.ifc", None)
    assert b.as_dict() == fresh.as_dict()
    measured_b = {r.global_id for r in b.rows} | {s[1] for s in b.skipped}
    selected_changed = CHANGED & measured_b
    assert selected_changed >= {"2nlMbDji9K6eQF1jVBz29Q", "3LKriS5MHHxRxt1EyYCsOh",
                                "2Q44_X5hvGGwJBQoF4B7J5", "1u1Th3qf9VpRgfl6bMUBSu",
                                "0FpDXiJ1rPCecqmmr0NR93"}  # riser, duct, roof, partition, wall
    assert _measured(b) == len(selected_changed)
    assert b.timings["elements_reused"] == len(measured_b) - len(selected_changed)
    again = _takeoff(SAMPLES / "tower_rev_b.ifc", cache)
    assert _measured(again) == 0 and again.as_dict() == fresh.as_dict()


def test_rows_follow_the_rules_that_select_an_element(tmp_path):
    cache = MeshCache(tmp_path / "cache")
    cold = _takeoff(SAMPLES / "tower_rev_a.ifc", cache)
    text = default_qto_pack_path().read_text(encoding="utf-8")
    pack = tmp_path / "pack.yaml"
    pack.write_text(text.replace("reconcile: 0.01", "reconcile: 0.02"), encoding="utf-8")
    same_rules = load_qto_pack(pack).rules  # another file, another tolerance: the same rows
    t = run_takeoff(open_model(SAMPLES / "tower_rev_a.ifc"), same_rules, cache=cache, threads=1)
    assert _measured(t) == 0
    first = RULES[0].id
    of_first = {r.global_id for r in cold.rows if r.rule == first} | {
        s[1] for s in cold.skipped if s[0] == first}
    assert of_first
    other = [r for r in RULES if r.id != first]  # their rule list changed: measured again
    t = run_takeoff(open_model(SAMPLES / "tower_rev_a.ifc"), other, cache=cache, threads=1)
    still = {r.global_id for r in t.rows} | {s[1] for s in t.skipped}
    assert _measured(t) == len(of_first & still)
    assert t.timings["elements_reused"] == len(still - of_first)


def test_a_garbled_entry_is_measured_again_and_a_broken_store_is_made_anew(tmp_path,
                                                                          monkeypatch):
    from bimcheck import keystore

    warned: list[str] = []
    # The warnings as the loggers are given them (whatever a CLI test run
    # first in this process did to the logging levels and handlers).
    for module in (takeoff_module, keystore):
        monkeypatch.setattr(module.log, "warning",
                            lambda message, *args: warned.append(message % args))
    _garbled_and_broken(tmp_path, warned)


def _garbled_and_broken(tmp_path, warned: list[str]):
    cache = MeshCache(tmp_path / "cache")
    cold = _takeoff(SAMPLES / "tower_rev_a.ifc", cache)
    store = RowStore(cache)
    count, size = store_usage(cache)
    assert count == cold.timings["elements_measured"] and size > 0
    db = sqlite3.connect(store.path)
    db.execute("UPDATE rows SET body = X'00ff' WHERE rowid = 1")
    db.commit()
    db.close()
    warm = _takeoff(SAMPLES / "tower_rev_a.ifc", cache)
    assert _measured(warm) == 1 and warm.as_dict() == cold.as_dict()
    store.path.write_bytes(b"not a database" * 100)
    broken = _takeoff(SAMPLES / "tower_rev_a.ifc", cache)  # the store is made anew
    assert broken.as_dict() == cold.as_dict()
    assert _measured(broken) == cold.timings["elements_measured"]
    assert any("made anew" in w for w in warned)
    assert _measured(_takeoff(SAMPLES / "tower_rev_a.ifc", cache)) == 0
    assert clear_store(cache) == cold.timings["elements_measured"]
    assert not store.path.exists()


def test_a_renamed_element_is_measured_again(tmp_path):
    cache = MeshCache(tmp_path / "cache")
    model = tmp_path / "tower.ifc"
    shutil.copyfile(SAMPLES / "tower_rev_a.ifc", model)
    _takeoff(model, cache)
    text = model.read_text(encoding="utf-8")
    assert text.count("'SL-R'") == 1
    model.write_text(text.replace("'SL-R'", "'SL-ROOF'"), encoding="utf-8")
    t = _takeoff(model, cache)
    assert _measured(t) == 1
    assert {r.name for r in t.rows if r.global_id == "2Q44_X5hvGGwJBQoF4B7J5"} == {"SL-ROOF"}


def test_unchanged_bytes_reuse_rows_without_fingerprinting_the_meshed_elements(tmp_path,
                                                                              monkeypatch):
    """The tessellator skips fingerprinting a file it has seen (its key index);
    the rows' keys then use the mesh keys it found, instead of hashing every
    element again one entity at a time (8 s on Janesville)."""
    from bimcheck.fingerprint import Fingerprinter

    cache = MeshCache(tmp_path / "cache")
    cold = _takeoff(SAMPLES / "tower_rev_a.ifc", cache)
    asked: list[str] = []
    original = Fingerprinter.geometry

    def counted(self, element):
        asked.append(element.GlobalId)
        return original(self, element)

    monkeypatch.setattr(Fingerprinter, "geometry", counted)
    warm = _takeoff(SAMPLES / "tower_rev_a.ifc", cache)
    assert _measured(warm) == 0 and warm.as_dict() == cold.as_dict()
    meshed = {r.global_id for r in cold.rows if r.geometry != "attributes"}
    assert not set(asked) & meshed
    assert len(asked) <= 2  # the two elements without a body (samples/README.md)
