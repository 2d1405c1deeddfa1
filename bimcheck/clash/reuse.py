"""Pair test results reused across runs: a revision in which a few elements
changed tests only the pairs that involve them.

A structural model checked against itself has tens of thousands of pairs
whose exact test is a boolean intersection (the great court roof: 25,646
pairs, about 7 s on 2 cores); a revision that moves 5 % of the members
changes a few of them. Each pair test's result (a
:class:`~bimcheck.clash.records.PairResult`, or none) is stored under a
digest of everything the test reads:

* bimcheck's code (:func:`bimcheck.results.code_digest`) and the versions of
  the geometry libraries (a new manifold3d may cut otherwise);
* the rule's kind and params;
* the two elements' classes (a duplicate needs one class) and the mesh cache
  keys of their meshes, in the pair's order: digests of their geometry
  fingerprints (representation, world placement, openings) and of the
  tessellation settings, so the world meshes the test sees.

The ignore rules, bands and grouping apply to the results, not in the test,
and are not in the key. A test that falls back from the exact test to the
triangle test (a solid the volume kernel rejects) changes how that element
is tested in every later pair, an outcome that depends on the order: from
the first fallback of a run on, nothing is stored or reused in it, and a rule
in which one of the pairs tested now falls back is tested again whole, as a
run without the store tests it.

Entries live in ``<cache root>/results/v1/pairs.sqlite``
(:class:`~bimcheck.keystore.KeyStore`): key, then the result as JSON
(:func:`bimcheck.results.encode`, floats exact, so a reused result renders
to the same bytes). A store that cannot be opened or written turns reuse off
for the run with a warning.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from bimcheck.clash.records import PairResult, Subject
from bimcheck.geometry.cache import MeshCache
from bimcheck.keystore import KeyStore
from bimcheck.packs.schema import Rule

log = logging.getLogger(__name__)

#: Bump when a stored result would render otherwise than a fresh one.
FORMAT = 1

#: A stored test that found no clash.
_NO_CLASH = b"-"


class PairStore(KeyStore):
    """Pair test results by key (see the module docstring)."""

    FILE = "pairs.sqlite"
    TABLE = "pairs"

    def encode(self, value: PairResult | None) -> bytes:
        """``b"-"`` for no clash, else the result's fields as a JSON array
        (points as lists of floats, written exactly)."""
        if value is None:
            return _NO_CLASH
        return json.dumps([value.relation, value.exact, value.overlap_volume,
                           value.penetration_depth, value.distance, _floats(value.location),
                           _floats(value.point_a), _floats(value.point_b)],
                          separators=(",", ":")).encode()

    def decode(self, body: bytes) -> Any | None:
        """The stored result, :data:`NOT_A_CLASH` for none, ``None`` when it
        does not read."""
        if body == _NO_CLASH:
            return NOT_A_CLASH
        try:
            relation, exact, volume, depth, distance, location, a, b = json.loads(body)
            if not (isinstance(relation, str) and isinstance(exact, bool)
                    and all(v is None or type(v) in (int, float) for v in (volume, depth))
                    and type(distance) in (int, float)):
                return None
            return PairResult(relation, exact, volume, depth, distance, _array(location),
                              _array(a, optional=True), _array(b, optional=True))
        except (ValueError, TypeError):
            return None


def _floats(point: Any) -> list[float] | None:
    return None if point is None else [float(v) for v in point]


def _array(values: Any, optional: bool = False) -> Any:
    """A stored point as the float64 array it was (ValueError when it is not one)."""
    import numpy as np

    if values is None and optional:
        return None
    if not isinstance(values, list) or not all(type(v) in (int, float) for v in values):
        raise ValueError("not a point")
    return np.array(values, dtype=np.float64)


#: A stored pair test that found no clash (``None`` means "no entry").
NOT_A_CLASH = object()


def pair_keys(rule: Rule, pairs: Sequence[tuple[Subject, Subject]], ids: Sequence[tuple[str, str]],
              mesh_keys: Mapping[str, str | None]) -> list[str | None]:
    """The key of each pair's test under ``rule`` (``None`` where a mesh has
    no cache key); ``ids`` are the pairs' GlobalIds."""
    from bimcheck.results import _versions, canonical

    base = json.dumps([FORMAT, _versions(), rule.kind, canonical(dict(rule.params))],
                      sort_keys=True, default=repr).encode()
    out: list[str | None] = []
    for (a, b), (ga, gb) in zip(pairs, ids, strict=True):
        ka, kb = mesh_keys.get(ga), mesh_keys.get(gb)
        if not ka or not kb:
            out.append(None)
            continue
        h = hashlib.blake2b(base, digest_size=20)
        h.update(f"|{a.ifc_class}|{b.ifc_class}|{ka}|{kb}".encode())
        out.append(h.hexdigest())
    return out


class PairReuse:
    """The pair store of one clash run (none without a cache), and how many
    pair tests it reused and made."""

    def __init__(self, cache: MeshCache | None, mesh_keys: Mapping[str, str | None]) -> None:
        from bimcheck.clash import parallel

        self.store = PairStore.of(cache)
        self.mesh_keys = mesh_keys
        self.reused = self.tested = 0
        self._fallbacks = parallel.fallbacks  # none yet: reusing is safe

    def results(self, rule: Rule, ids: Sequence[tuple[str, str]],
                pairs: Sequence[tuple[Subject, Subject]], test: Any, processes: int,
                progress: Any = None, keep_shared: bool = True) -> list[PairResult | None]:
        """``test`` of every pair (:func:`bimcheck.clash.parallel.test_pairs`),
        taken from the store where it holds the pair's key; the tests made
        are stored (unless a test fell back to the triangle test, this rule
        or earlier: see the module docstring)."""
        from bimcheck.clash import parallel

        keys: list[str | None] | None = None
        found: dict[str, Any] = {}
        if self.store is not None and parallel.fallbacks == self._fallbacks and pairs:
            keys = pair_keys(rule, pairs, ids, self.mesh_keys)
            try:
                found = self.store.get_many(k for k in keys if k is not None)
            except (sqlite3.Error, OSError) as exc:
                self._off(exc)
                keys, found = None, {}
        out: list[PairResult | None] = [None] * len(pairs)
        missing = []
        for i in range(len(pairs)):
            entry = found.get(keys[i]) if keys is not None and keys[i] is not None else None
            if entry is None:
                missing.append(i)
            elif entry is not NOT_A_CLASH:
                out[i] = entry
        states = [(s, s._exact) for pair in pairs for s in pair]
        before = parallel.fallbacks
        tested = parallel.test_pairs(test, [pairs[i] for i in missing], processes, progress,
                                     keep_shared=keep_shared)
        if parallel.fallbacks != before and len(missing) < len(pairs):
            # A pair tested now fell back to the triangle test: a run without
            # the store would have tested that element's later pairs so too,
            # reused ones included. The rule is tested again as it would be.
            for s, state in states:
                s._exact = state
            missing = list(range(len(pairs)))
            tested = parallel.test_pairs(test, pairs, processes, progress,
                                         keep_shared=keep_shared)
        for i, result in zip(missing, tested, strict=True):
            out[i] = result
        self.reused += len(pairs) - len(missing)
        self.tested += len(missing)
        if keys is not None and self.store is not None and parallel.fallbacks == self._fallbacks:
            fresh = {keys[i]: out[i] for i in missing if keys[i] is not None}
            try:
                self.store.put_many(fresh)
            except (sqlite3.Error, OSError) as exc:
                self._off(exc)
        return out

    def _off(self, exc: Exception) -> None:
        if self.store is not None:
            log.warning("%s: clash pair results not reused (%s: %s)", self.store.path,
                        type(exc).__name__, exc)
            self.store.close()
        self.store = None

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
