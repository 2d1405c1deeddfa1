"""The pair tests of one clash rule shared out among forked processes.

A structural model checked against itself has tens of thousands of pairs
that really share volume (a roof's members meeting at every node), each an
exact boolean intersection of about a millisecond. From :data:`MIN_PAIRS`
pairs up, with several cores, the pairs are dealt out round-robin to forked
children (which inherit every mesh and solid) and to this process; each
sends back its results in pair order, which of its elements the exact
test could run on, and the solids it intersected
(:func:`~bimcheck.clash.records.shared_solid`), which the processes of the
next rule inherit. The report is the one a single process makes: the
results are put back in pair order, and when any process met a solid the
volume kernel rejected (whose later pairs then fall back to the triangle
test, an order-dependent outcome), the rule is tested again in one process.
"""

from __future__ import annotations

import functools
import logging
import pickle
from collections.abc import Callable, Sequence
from typing import Any

from bimcheck import forking
from bimcheck.clash.records import PairResult, Subject
from bimcheck.geometry.query import Overlap

#: Fewest pairs worth forking for (a fork of a process holding every mesh
#: costs tens of milliseconds; a pair test about one).
MIN_PAIRS = 512

#: ``test(a, b)``: the rule's pair test (None when not a clash).
PairTest = Callable[[Subject, Subject], PairResult | None]

#: Tests that fell back from the exact to the triangle test, in this process
#: (:func:`bimcheck.clash.run._test_pair` counts them).
fallbacks = 0


def test_pairs(test: PairTest, pairs: Sequence[tuple[Subject, Subject]], processes: int,
               progress: Callable[[int, int], None] | None = None, *,
               keep_shared: bool = True) -> list[PairResult | None]:
    """``[test(a, b) for a, b in pairs]``, shared among ``processes`` (see the
    module docstring); ``progress(done, total)`` as this process goes.
    ``keep_shared``: the forked shares send back the solids they intersected
    (no need for the last rule of a run)."""
    if processes < 2 or len(pairs) < MIN_PAIRS or not forking.can_fork():
        return _serial(test, pairs, progress)
    subjects = list({id(s): s for pair in pairs for s in pair}.values())
    initial = [s._exact for s in subjects]  # lazy until a test asks
    before = fallbacks
    children = [forking.fork(functools.partial(_share, test, pairs, k, processes, subjects,
                                               keep_shared))
                for k in range(1, processes)]
    redo = False
    try:
        parts: list[list[PairResult | None]] = [
            _serial(test, pairs[0::processes], progress, scale=processes)]
        solid: dict[int, bool] = {}
        shared: dict[tuple[int, int], Overlap] = {}
        for child in children:
            sent = _unpickled(forking.receive(child))
            if sent is None or sent["fallbacks"]:
                redo = True
                break
            parts.append(sent["results"])
            solid.update(sent["exact"])
            shared.update(sent["shared"])
    finally:
        for child in children:
            forking.reap(child)
    if redo or fallbacks != before:
        for s, value in zip(subjects, initial, strict=True):
            s.exact = value  # as a single process would find them, pair by pair
        return _serial(test, pairs, progress)
    for i, value in solid.items():
        s = subjects[i]
        if callable(s._exact):  # worked out in a child only
            s.exact = value
    for (i, j), found in shared.items():  # for the rules tested next
        subjects[i].shared.setdefault(id(subjects[j]), (subjects[j], found))
    out: list[PairResult | None] = [None] * len(pairs)
    for k, part in enumerate(parts):
        out[k::processes] = part
    return out


def _serial(test: PairTest, pairs: Sequence[tuple[Subject, Subject]],
            progress: Callable[[int, int], None] | None, scale: int = 1
            ) -> list[PairResult | None]:
    out = []
    total = len(pairs) * scale
    for n, (a, b) in enumerate(pairs):
        if progress is not None and n % 64 == 0:
            progress(min(n * scale, total), total)
        out.append(test(a, b))
    return out


def _share(test: PairTest, pairs: Sequence[tuple[Subject, Subject]], k: int, step: int,
           subjects: list[Subject], keep_shared: bool = True) -> bytes:
    """In a forked child: the results of ``pairs[k::step]``, which elements the
    exact test was worked out for, and how many pairs fell back."""
    logging.disable(logging.CRITICAL)  # a fallback is redone, and told, by the parent
    global fallbacks
    fallbacks = 0
    mine = pairs[k::step]
    before = {(id(a), id(b)) for a, b in mine if id(b) in a.shared}
    results = [test(a, b) for a, b in mine]
    exact = {i: bool(s._exact) for i, s in enumerate(subjects) if not callable(s._exact)}
    index = {id(s): i for i, s in enumerate(subjects)}
    shared = {(index[id(a)], index[id(b)]): a.shared[id(b)][1] for a, b in mine
              if id(b) in a.shared and (id(a), id(b)) not in before} if keep_shared else {}
    return pickle.dumps({"results": results, "exact": exact, "fallbacks": fallbacks,
                         "shared": shared}, protocol=pickle.HIGHEST_PROTOCOL)


def _unpickled(blob: bytes | None) -> dict[str, Any] | None:
    """What a child sent, or ``None`` when it failed."""
    if blob is None:
        return None
    try:
        return pickle.loads(blob)  # our own child's pickle, not input
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
        return None  # a child that died mid-write
