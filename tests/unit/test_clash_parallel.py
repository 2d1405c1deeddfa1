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


def _cube(x: float, y: float, z: float) -> Mesh:
    """A closed unit cube (outward triangles) with its min corner at (x, y, z)."""
    corners = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)], float)
    v = corners + np.array([x, y, z])
    f = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                  [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]], np.int32)
    return Mesh(v, f, True)


def _cube_subjects(n: int) -> list[Subject]:
    """Unit cubes along x, 0.5 m apart: each shares 0.5 m³ with the next."""
    return [Subject(ElementRef(f"G{i}", "IfcBeam", None, None, "structure", "m.ifc"),
                    _cube(0.5 * i, 0.0, 0.0), True, ifc_class="IfcBeam") for i in range(n)]


def test_a_pair_is_intersected_once_per_run(monkeypatch):
    from bimcheck.clash import records
    from bimcheck.geometry import query

    calls = []
    real = query.overlap
    monkeypatch.setattr(query, "overlap", lambda a, b: calls.append(1) or real(a, b))
    a, b, c = _cube_subjects(3)
    first = records.shared_solid(a, b)
    assert first.volume == pytest.approx(0.5, abs=1e-12)  # 0.5 x 1 x 1, by hand
    assert records.shared_solid(a, b) is first and len(calls) == 1
    twin = Subject(b.ref, b.mesh, True, ifc_class="IfcBeam")  # same mesh, another subject
    assert records.shared_solid(a, twin).volume == pytest.approx(0.5, abs=1e-12)
    assert len(calls) == 2
    assert records.shared_solid(a, c).volume == 0.0  # they only touch, at x = 1


def test_solids_intersected_in_a_child_serve_the_next_rule(monkeypatch, forked_pids):
    """The shares of one rule send back what they intersected: a second rule
    over the same pairs (a duplicate and a hard rule over the same members)
    intersects nothing again, in this process or in its children."""
    from bimcheck.clash import records
    from bimcheck.geometry import query

    def volume(a: Subject, b: Subject) -> PairResult | None:
        shared = records.shared_solid(a, b)
        return PairResult.sharing(shared) if shared.volume > 0 else None

    subjects = _cube_subjects(40)
    pairs = [(subjects[i], subjects[j]) for i in range(40) for j in range(i + 1, 40)]
    assert len(pairs) >= parallel.MIN_PAIRS
    first = parallel.test_pairs(volume, pairs, 2)
    assert sum(r is not None for r in first) == 39  # each cube with the next
    assert all(id(b) in a.shared for a, b in pairs)
    monkeypatch.setattr(query, "overlap", lambda a, b: pytest.fail("intersected again"))
    assert _same(parallel.test_pairs(volume, pairs, 2), first)
    assert_reaped(forked_pids)
