"""The pair tests of a large rule are shared among forked processes and give
the report one process gives (bimcheck.clash.parallel)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from bimcheck.clash import parallel
from bimcheck.clash.records import PairResult, Subject
from bimcheck.clash.rules import default_pack_path, load_clash_rules
from bimcheck.clash.run import run_clash
from bimcheck.findings import ElementRef
from bimcheck.geometry.mesh import Mesh
from bimcheck.model import open_model
from bimcheck.report.jsonout import dumps
from tests.conftest import SAMPLES, assert_reaped

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")

_MESH = Mesh(np.zeros((3, 3)), np.array([[0, 1, 2]], dtype=np.int32), False)


def _subjects(n: int) -> list[Subject]:
    return [Subject(ElementRef(f"G{i}", "IfcBeam", None, None, "structure", "m.ifc"), _MESH,
                    lambda: True, ifc_class="IfcBeam") for i in range(n)]


def _result(a: Subject, b: Subject) -> PairResult | None:
    i, j = int(a.ref.global_id[1:]), int(b.ref.global_id[1:])
    if (i + j) % 3:
        return None
    return PairResult("hard", a.exact and b.exact, float(i * j), 0.1, 0.0,
                      np.array([i, j, 0.5]))


def _key(r: PairResult | None) -> tuple | None:
    return None if r is None else (r.relation, r.exact, r.overlap_volume, r.location.tolist())


def _same(x: list, y: list) -> bool:
    return [_key(r) for r in x] == [_key(r) for r in y]


def test_the_shared_results_are_in_pair_order(forked_pids):
    subjects = _subjects(80)
    pairs = [(subjects[i], subjects[j]) for i in range(80) for j in range(i + 1, 80)]
    assert len(pairs) >= parallel.MIN_PAIRS
    shared = parallel.test_pairs(_result, pairs, 2)
    assert _same(shared, [_result(a, b) for a, b in pairs])
    assert all(not callable(s._exact) for s in subjects)  # worked out in a child, kept here
    assert_reaped(forked_pids)


@pytest.mark.parametrize("other", ["G41", "G42"])  # pair 118 (this process), 119 (the child)
def test_a_fallback_in_a_share_tests_the_rule_again_in_one_process(other):
    """A solid the kernel rejects turns its later pairs to the triangle test:
    which pairs are later depends on the order, so the rule is redone here."""

    def falling_back(a: Subject, b: Subject) -> PairResult | None:
        if a.ref.global_id == "G1" and b.ref.global_id == other:
            parallel.fallbacks += 1
            a.exact = False
        return _result(a, b)

    subjects = _subjects(80)
    pairs = [(subjects[i], subjects[j]) for i in range(80) for j in range(i + 1, 80)]
    shared = parallel.test_pairs(falling_back, pairs, 2)
    again = _subjects(80)
    serial = [falling_back(again[i], again[j]) for i in range(80) for j in range(i + 1, 80)]
    assert _same(shared, serial)
    assert [s.exact for s in subjects] == [s.exact for s in again]
    assert any(r is not None and not r.exact for r in shared)


def test_a_shared_clash_run_is_the_single_process_one(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_PAIRS", 1)
    rules = load_clash_rules([default_pack_path()], ())
    model = SAMPLES / "tower_rev_a.ifc"
    one = run_clash([open_model(model)], rules, threads=1)
    two = run_clash([open_model(model)], rules, threads=2)
    assert dumps(two.as_dict()) == dumps(one.as_dict())
    assert one.summary()["clashes"] == 9  # test_clash_cmd.EXPECTED, by hand


def test_no_helper_is_forked_while_another_thread_runs(monkeypatch):
    """A fork copies the locks other threads hold: with a second thread alive,
    the pairs are tested here."""
    import threading

    from bimcheck import forking

    assert forking.can_fork() == (threading.active_count() == 1)
    monkeypatch.setattr(forking, "fork", lambda work: pytest.fail("forked with a thread alive"))
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not forking.can_fork()
        subjects = _subjects(80)
        pairs = [(subjects[i], subjects[j]) for i in range(80) for j in range(i + 1, 80)]
        assert _same(parallel.test_pairs(_result, pairs, 2), [_result(a, b) for a, b in pairs])
    finally:
        stop.set()
        other.join()
