"""Two representation graphs compared as definitions, numbers within a tolerance.

A re-export that writes every real with other noise in its last digits gives
other shape hashes for shapes that did not change. Walking both graphs side
by side answers it without meshes: the same entity types in the same
structure, the same strings, enumerations and integers, and reals equal
within :data:`~bimcheck.units.DIFF_VALUE_RELATIVE_TOLERANCE` (or 1e-9 file
units near zero). Subgraphs with equal hashes are equal without a walk.
Both files must have the same length unit; otherwise the meshes decide.
"""

from __future__ import annotations

import math
import re

import ifcopenshell

from bimcheck.fingerprint import Fingerprinter, canonical_case
from bimcheck.units import DIFF_VALUE_RELATIVE_TOLERANCE

#: A string literal, a reference or a real.
_PART = re.compile(rb"('(?:[^']|'')*')|#(\d+)|((?<![\w.])-?\d+\.\d*(?:[eE][-+]?\d+)?)")

#: Reals this close to zero (file units) are equal whatever their relative difference.
_ABS_TOLERANCE = 1e-9

#: Most entity pairs one comparison walks before it gives up (and meshes decide).
_MAX_PAIRS = 200_000


#: Any number in canonical text (reals, and integers alike: a bucket key only).
_NUMBER = re.compile(rb"(?<![\w.#])-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?")

#: Significant digits of the coarse hash that buckets shapes before they are compared.
COARSE_DIGITS = 6


class CoarseFingerprinter(Fingerprinter):
    """Hashes with every number at :data:`COARSE_DIGITS` significant digits:
    shapes equal within the tolerance share a coarse hash (but at a rounding
    boundary), so the definitions compared pairwise are only those of one
    bucket, not every co-located pair of a class."""

    bulk = False

    def _body(self, eid: int) -> bytes:
        return _NUMBER.sub(lambda m: b"%.*g" % (COARSE_DIGITS, float(m.group(0))),
                           canonical_case(self.raw_body(eid)))


def _parts(text: bytes) -> tuple[bytes, list[float], list[int]]:
    reals: list[float] = []
    refs: list[int] = []

    def sub(m: re.Match[bytes]) -> bytes:
        if m.group(1) is not None:
            return m.group(1)
        if m.group(2) is not None:
            refs.append(int(m.group(2)))
            return b"#"
        reals.append(float(m.group(3)))
        return b"R"

    return _PART.sub(sub, text), reals, refs


class DefinitionComparer:
    """Compares entity graphs of two files (memoised pairs)."""

    def __init__(self, old: Fingerprinter, new: Fingerprinter) -> None:
        self.old, self.new = old, new
        self._memo: dict[tuple[int, int], bool] = {}

    def same(self, a: ifcopenshell.entity_instance | None,
             b: ifcopenshell.entity_instance | None) -> bool:
        """Whether the graphs from ``a`` (old file) and ``b`` (new file) are
        the same definition within the tolerance (see the module docstring)."""
        if a is None or b is None:
            return a is None and b is None
        if self.old.entity_hash(a) == self.new.entity_hash(b):
            return True
        key = (a.id(), b.id())
        if key not in self._memo:
            self._memo[key] = self._walk(a.id(), b.id())
        return self._memo[key]

    def _walk(self, root_a: int, root_b: int) -> bool:
        stack = [(root_a, root_b)]
        seen: set[tuple[int, int]] = set()
        rel = DIFF_VALUE_RELATIVE_TOLERANCE
        while stack:
            pair = stack.pop()
            if pair in seen:
                continue
            if pair in self._memo:
                if not self._memo[pair]:
                    return False
                continue
            seen.add(pair)
            if len(seen) > _MAX_PAIRS:
                return False
            ea, eb = pair
            if self.old.entity_hash(self.old.file.by_id(ea)) == \
                    self.new.entity_hash(self.new.file.by_id(eb)):
                continue
            sa, ra, fa = _parts(canonical_case(self.old.raw_body(ea)))
            sb, rb, fb = _parts(canonical_case(self.new.raw_body(eb)))
            if sa != sb or len(ra) != len(rb):
                return False
            if not all(math.isclose(x, y, rel_tol=rel, abs_tol=_ABS_TOLERANCE)
                       for x, y in zip(ra, rb, strict=True)):
                return False
            stack.extend(zip(fa, fb, strict=True))
        return True
