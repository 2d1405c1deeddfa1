"""Merkle hashes of many entity graphs at once, vectorised over a file's STEP text.

:class:`~bimcheck.fingerprint.Fingerprinter` hashes an entity as the
:func:`canonical` text of its STEP line with every reference ``#id`` replaced
by ``@`` and the hex digest of the entity it points to. Walking that one
entity at a time in Python costs about 15 µs an entity: 5.9 s for the 400,000
entities the geometry of the Janesville restaurant reaches. :func:`hash_graphs`
computes the same hashes for every entity reachable from a set of roots in
one pass of numpy over the file's bytes (:class:`~bimcheck.steptext.StepText`):

1. every reference and every real of every entity on StepText's fast path
   (one line, no string literal, no whitespace) is found in the whole file
   at once, and the reals are parsed and rounded as :func:`canonical_real`
   does;
2. the graph reachable from the roots is found breadth first;
3. the canonical text of every reachable entity is written into one buffer,
   with a placeholder for each reference;
4. the entities are hashed in topological order, a level at a time (leaves
   first): a level's placeholders are filled with its children's hex digests,
   then each entity's slice of the buffer is hashed with BLAKE2b.

Entities off the fast path (string literals, several entities on one line,
an unusual token) are hashed one at a time by the caller's own function at
their level, and entities on a reference cycle (malformed files) by the
caller's walker, which cuts the cycle; both give exactly the hash the
one-at-a-time walk gives, which ``tests/shared/test_shared_fingerprints.py``
checks on every entity of every shared model.
"""

from __future__ import annotations

import hashlib
import math
import re
import struct
from collections.abc import Callable, Iterable

import numpy as np

from bimcheck.steptext import StepText

#: Bytes of a digest (BLAKE2b), and of its hex spelling.
DIGEST_SIZE = 16
_HEX_SIZE = 2 * DIGEST_SIZE

#: The token of a reference to an entity the file does not have.
MISSING = b"@" + b"0" * _HEX_SIZE

#: Significant bits a real keeps in the hashed text (about 12 decimal digits):
#: equal values spelled otherwise (``6.``, ``6.0``, ``6.0E0``), and the
#: last-digit differences of another writer's shortest round trip, hash the
#: same; 1e-12 relative is far below the weld grid for any building coordinate.
REAL_BITS = 40

#: Longest real token rounded; a longer one is hashed as it is spelled.
_MAX_REAL = 32

#: Bytes a real token may hold; a token with any other byte is hashed as spelled.
_REAL_BYTES = b"0123456789.+-Ee"


def _lut(chars: bytes) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    table[list(chars)] = True
    return table


_IS_REAL_BYTE = _lut(_REAL_BYTES)
_IS_NUMBER_START = _lut(b"0123456789+-")
_UPPER = np.arange(256, dtype=np.uint8)
_UPPER[97:123] -= 32
_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_HEX_PAIRS = np.stack([_HEX_DIGITS[np.arange(256) >> 4], _HEX_DIGITS[np.arange(256) & 15]],
                      axis=1)

# -- the canonical text, one entity at a time -----------------------------------

#: A string literal (kept as it is), or the text between string literals.
_STRING = re.compile(rb"('(?:[^']|'')*')")
#: A token that starts after "(" or "," with a digit or a sign.
_NUMBER_TOKEN = re.compile(rb"(?<=[(,])[-+0-9][^(),]*")
_NOT_REAL_BYTE = re.compile(rb"[^0-9.+\-Ee]")


def round_real(value: float) -> float:
    """``value`` rounded to :data:`REAL_BITS` significant bits (ties to even),
    ``-0.0`` as ``0.0``; infinities as they are, every NaN as one NaN."""
    if math.isnan(value):
        return math.nan
    if math.isinf(value):
        return value
    mantissa, exponent = math.frexp(value)
    try:
        return math.ldexp(round(math.ldexp(mantissa, REAL_BITS)), exponent - REAL_BITS) + 0.0
    except OverflowError:  # rounded up past the largest double, as numpy's ldexp gives
        return math.copysign(math.inf, value)


def canonical_real(token: bytes) -> bytes:
    """``~`` and the 16 hex digits of the rounded value's IEEE bits, for a real
    token (a ``.``, only :data:`_REAL_BYTES`, at most :data:`_MAX_REAL` long,
    readable as a number); any other token as it is."""
    if b"." not in token or len(token) > _MAX_REAL or _NOT_REAL_BYTE.search(token):
        return token
    try:
        value = float(token)
    except ValueError:
        return token
    return b"~" + struct.pack(">d", round_real(value)).hex().encode()


def _canonical_part(part: bytes) -> bytes:
    part = part.upper()
    if b"." not in part:
        return part
    return _NUMBER_TOKEN.sub(lambda m: canonical_real(m.group(0)), part)


def canonical(text: bytes) -> bytes:
    """STEP text (an entity after ``#id=``, whitespace outside strings removed)
    with keywords in capitals and every real as :func:`canonical_real` spells
    it; string literals as they are, references left as ``#id``."""
    if b"'" not in text:
        return _canonical_part(text)
    parts = _STRING.split(text)
    parts[::2] = [_canonical_part(p) for p in parts[::2]]
    return b"".join(parts)


# -- many entities at once ------------------------------------------------------


class FileIndex:
    """What :func:`hash_graphs` needs of one file, found once: the references
    and reals of every entity on StepText's fast path."""

    def __init__(self, text: StepText) -> None:
        spans = text.spans
        mm = text.buffer()
        if spans is None or mm is None:
            raise ValueError("no STEP text index")
        self.text = text
        self.ids, starts, ends, _, _ = spans
        self.count = len(self.ids)
        self.order = np.argsort(self.ids, kind="stable")
        self.sorted_ids = self.ids[self.order]
        data = np.frombuffer(mm, dtype=np.uint8)
        try:
            self._bodies(data, starts, ends)
            self._find(data, starts)
        finally:
            del data

    def index_of(self, ids: np.ndarray) -> np.ndarray:
        """Position of each STEP id in file order, -1 where the index lacks it."""
        ids = np.asarray(ids, dtype=np.int64)
        at = np.searchsorted(self.sorted_ids, ids)
        at = np.minimum(at, max(self.count - 1, 0))
        found = self.sorted_ids[at] == ids if self.count else np.zeros(len(ids), bool)
        return np.where(found, self.order[at], -1)

    def _bodies(self, data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
        """Each entity's body, ``[after "=", before the first ";")`` as StepText
        reads it, and whether it holds no quote, ``"`` or ``/`` (string
        literals and comments, read the slow way). Whitespace in it is dropped
        (:attr:`blank_pos`)."""
        equals = np.flatnonzero(data == 61)
        semis = np.flatnonzero(data == 59)
        at = np.searchsorted(equals, starts)
        eq = np.where(at < len(equals), equals[np.minimum(at, len(equals) - 1)], len(data))
        at = np.searchsorted(semis, eq)
        semi = np.where(at < len(semis), semis[np.minimum(at, len(semis) - 1)], len(data))
        self.body_start, self.body_end = eq + 1, semi
        special = np.flatnonzero((data == 39) | (data == 34) | (data == 47))
        inside = np.searchsorted(special, semi) - np.searchsorted(special, eq)
        self.readable = (eq < ends) & (semi < ends) & (inside == 0)
        blank = (data == 32) | (data == 10) | (data == 13) | (data == 9)
        blanks = np.flatnonzero(blank)
        del blank
        k = np.maximum(np.searchsorted(starts, blanks, side="right") - 1, 0)
        keep = self.readable[k] & (blanks >= self.body_start[k]) & (blanks < self.body_end[k])
        blanks, k = blanks[keep], k[keep]
        # Runs of whitespace, each dropped as one span.
        first = np.ones(len(blanks), dtype=bool)
        first[1:] = blanks[1:] != blanks[:-1] + 1
        runs = np.flatnonzero(first)
        self.blank_pos = blanks[runs]
        self.blank_len = np.diff(np.append(runs, len(blanks)))
        self.blank_owner = k[runs]
        self.blank_start = np.searchsorted(self.blank_owner, np.arange(self.count + 1))

    def _find(self, data: np.ndarray, starts: np.ndarray) -> None:
        n = len(data)
        fast = self.readable
        blank = _lut(b" \t\r\n")
        odd = np.zeros(self.count, dtype=bool)  # fast entities with a token the vectors skip

        def owner(pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            k = np.searchsorted(starts, pos, side="right") - 1
            k = np.maximum(k, 0)
            inside = fast[k] & (pos >= self.body_start[k]) & (pos < self.body_end[k])
            return k, inside

        # References: "#" and its digits.
        hashes = np.flatnonzero(data == 35)
        k, inside = owner(hashes)
        hashes, k = hashes[inside], k[inside]
        child = np.zeros(len(hashes), dtype=np.int64)
        digits = np.zeros(len(hashes), dtype=np.int64)
        open_rows = np.ones(len(hashes), dtype=bool)
        for col in range(19):
            c = data[np.minimum(hashes + 1 + col, n - 1)]
            is_digit = open_rows & (c >= 48) & (c <= 57) & (col < 18)
            open_rows &= is_digit
            child = np.where(is_digit, child * 10 + (c.astype(np.int64) - 48), child)
            digits += is_digit
            if not open_rows.any():
                break
        odd[k[digits == 0]] = True
        # "#1 2" reads as "#12" once whitespace is dropped: left to the slow way.
        after = hashes + 1 + digits
        odd[k[blank[data[np.minimum(after, n - 1)]] & _continues(data, after, blank)]] = True
        self.ref_pos, self.ref_len, self.ref_owner = hashes, digits + 1, k
        self.ref_child = self.index_of(child)
        self.ref_child_id = child
        # Reals: a token after "(" or "," that starts with a digit or a sign
        # and holds a "." (integers and enumerations stay as they are).
        openers = np.flatnonzero((data[:-1] == 40) | (data[:-1] == 44))
        cand = openers + 1
        del openers
        for _ in range(8):  # over whitespace after the opener
            step = blank[data[np.minimum(cand, n - 1)]]
            if not step.any():
                break
            cand = cand + step
        cand = cand[_IS_NUMBER_START[data[np.minimum(cand, n - 1)]]]
        k, inside = owner(cand)
        cand, k = cand[inside], k[inside]
        # A token ends at a delimiter or at whitespace (then a delimiter must
        # follow, or the token reads otherwise once whitespace is dropped).
        delimiters = np.flatnonzero((data == 40) | (data == 41) | (data == 44) | (data == 32)
                                    | (data == 10) | (data == 13) | (data == 9))
        at = np.searchsorted(delimiters, cand)
        end = np.where(at < len(delimiters), delimiters[np.minimum(at, len(delimiters) - 1)], n)
        del delimiters
        end = np.minimum(end, self.body_end[k])
        dots = np.flatnonzero(data == 46)
        real = np.searchsorted(dots, end) > np.searchsorted(dots, cand)
        del dots
        cand, end, k = cand[real], end[real], k[real]
        length = end - cand
        odd[k[blank[data[np.minimum(end, n - 1)]] & _continues(data, end, blank)]] = True
        values = np.zeros(len(cand))
        longest = int(min(length.max(initial=1), _MAX_REAL))
        width = np.arange(longest, dtype=np.int64)
        step = 1 << 17
        for lo in range(0, len(cand), step):
            c, ln, kk = cand[lo:lo + step], length[lo:lo + step], k[lo:lo + step]
            tokens = data[np.minimum(c[:, None] + width, n - 1)]
            tokens[width >= ln[:, None]] = 0
            wrong = (~_IS_REAL_BYTE[tokens] & (tokens != 0)).any(axis=1) | (ln > _MAX_REAL)
            odd[kk[wrong]] = True
            good = np.flatnonzero(~wrong)
            raw = np.ascontiguousarray(tokens[good]).view(f"S{longest}").ravel()
            try:
                values[lo + good] = raw.astype(np.float64)
            except ValueError:  # a token float() cannot read: its entity goes the slow way
                for j, token in zip(good.tolist(), raw.tolist(), strict=True):
                    try:
                        values[lo + j] = float(token)
                    except ValueError:
                        odd[kk[j]] = True
        self.real_pos, self.real_len, self.real_owner = cand, length, k
        self.real_text = _real_tokens(values)
        #: Entities hashed by numpy (their line holds nothing the vectors skip).
        self.fast = fast & ~odd
        keep = self.fast[self.ref_owner]
        self.ref_pos, self.ref_len, self.ref_owner = (
            self.ref_pos[keep], self.ref_len[keep], self.ref_owner[keep])
        self.ref_child, self.ref_child_id = self.ref_child[keep], self.ref_child_id[keep]
        keep = self.fast[self.real_owner]
        self.real_pos, self.real_len = self.real_pos[keep], self.real_len[keep]
        self.real_owner, self.real_text = self.real_owner[keep], self.real_text[keep]
        #: Rows of each entity's references and reals: ``[start[e], start[e + 1])``.
        self.ref_start = np.searchsorted(self.ref_owner, np.arange(self.count + 1))
        self.real_start = np.searchsorted(self.real_owner, np.arange(self.count + 1))


def _real_tokens(values: np.ndarray) -> np.ndarray:
    """(n, 17) bytes: ``~`` and the hex bits of each value as :func:`round_real` rounds it."""
    with np.errstate(all="ignore"):
        mantissa, exponent = np.frexp(values)
        rounded = np.ldexp(np.rint(np.ldexp(mantissa, REAL_BITS)), exponent - REAL_BITS) + 0.0
    rounded = np.where(np.isfinite(values), rounded, values)
    rounded[np.isnan(rounded)] = np.nan
    bits = rounded.astype(">f8").view(np.uint8).reshape(-1, 8)
    out = np.empty((len(values), 17), dtype=np.uint8)
    out[:, 0] = ord("~")
    out[:, 1:] = _HEX_PAIRS[bits].reshape(-1, 16)
    return out


#: The kind of a span of dropped whitespace.
_BLANK = np.iinfo(np.int64).min


def _continues(data: np.ndarray, at: np.ndarray, blank: np.ndarray) -> np.ndarray:
    """Whether the first byte after the whitespace at ``at`` is not a delimiter
    (up to 64 bytes of whitespace; longer runs count as continuing)."""
    n = len(data)
    at = at.copy()
    for _ in range(64):
        step = blank[data[np.minimum(at, n - 1)]] & (at < n)
        if not step.any():
            break
        at = at + step
    c = data[np.minimum(at, n - 1)]
    return ~((c == 40) | (c == 41) | (c == 44) | (c == 59)) | blank[c]


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions ``starts[i] + 0 .. lengths[i]-1`` for every i, concatenated."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    out = np.arange(total, dtype=np.int64)
    out += np.repeat(starts - offsets, lengths)
    return out


class _Buffer:
    """The canonical text of a set of fast entities, references as placeholders."""

    def __init__(self, index: FileIndex, data: np.ndarray, entities: np.ndarray) -> None:
        self.entities = entities  # file positions, ascending
        m = len(entities)
        refs = _ranges(index.ref_start[entities],
                       index.ref_start[entities + 1] - index.ref_start[entities])
        reals = _ranges(index.real_start[entities],
                        index.real_start[entities + 1] - index.real_start[entities])
        blanks = _ranges(index.blank_start[entities],
                         index.blank_start[entities + 1] - index.blank_start[entities])
        pos = np.concatenate([index.ref_pos[refs], index.real_pos[reals], index.blank_pos[blanks]])
        span = np.concatenate([index.ref_len[refs], index.real_len[reals],
                               index.blank_len[blanks]])
        owner = np.concatenate([index.ref_owner[refs], index.real_owner[reals],
                                index.blank_owner[blanks]])
        size = np.concatenate([np.full(len(refs), 1 + _HEX_SIZE, dtype=np.int64),
                               np.full(len(reals), 17, dtype=np.int64),
                               np.zeros(len(blanks), dtype=np.int64)])
        # >= 0: a reference's row; -1 - i: real i; _BLANK: dropped whitespace.
        kind = np.concatenate([np.arange(len(refs)), -1 - np.arange(len(reals)),
                               np.full(len(blanks), _BLANK)])
        order = np.argsort(pos, kind="stable")
        pos, span, owner, size, kind = (a[order] for a in (pos, span, owner, size, kind))
        bs, be = index.body_start[entities], index.body_end[entities]
        # Spans sorted by position are grouped by entity, in ``entities`` order.
        slot = np.searchsorted(entities, owner)
        growth = size - span
        self.length = (be - bs) + np.bincount(slot, weights=growth, minlength=m).astype(np.int64)
        self.offset = np.cumsum(self.length) - self.length
        before = np.cumsum(growth) - growth  # growth of every earlier span, overall
        n = len(pos)
        first = np.searchsorted(slot, np.arange(m))
        has = first < n
        has[has] = slot[first[has]] == np.flatnonzero(has)
        base = np.zeros(m, dtype=np.int64)
        base[has] = before[first[has]]
        span_out = self.offset[slot] + (pos - bs[slot]) + before - base[slot]
        self.text = np.empty(int(self.length.sum()), dtype=np.uint8)
        # The bytes between spans: [bs, p1), [p1 + len1, p2), ..., [pk + lenk, be).
        head_end = be.copy()
        head_end[has] = pos[first[has]]
        same_next = np.zeros(n, dtype=bool)
        same_next[:-1] = slot[1:] == slot[:-1]
        tail_end = np.where(same_next, np.append(pos[1:], 0), be[slot])
        seg_src = np.concatenate([bs, pos + span])
        seg_len = np.concatenate([head_end - bs, tail_end - (pos + span)])
        seg_out = np.concatenate([self.offset, span_out + size])
        step = 1 << 16
        for lo in range(0, len(seg_src), step):
            src = _ranges(seg_src[lo:lo + step], seg_len[lo:lo + step])
            dst = _ranges(seg_out[lo:lo + step], seg_len[lo:lo + step])
            self.text[dst] = _UPPER[data[src]]
        is_real = (kind < 0) & (kind != _BLANK)
        real_out = span_out[is_real]
        self.text[(real_out[:, None] + np.arange(17)).ravel()] = \
            index.real_text[reals][-1 - kind[is_real]].ravel()
        is_ref = kind >= 0
        self.text[span_out[is_ref]] = ord("@")
        #: Placeholder (after its "@") and child of each reference, grouped by entity.
        ref_rows = refs[kind[is_ref]]
        ref_slot = slot[is_ref]
        self.ref_out = span_out[is_ref] + 1
        self.ref_child = index.ref_child[ref_rows]
        self.ref_child_id = index.ref_child_id[ref_rows]
        self.ref_start = np.searchsorted(ref_slot, np.arange(m + 1))


def hash_graphs(
    index: FileIndex,
    roots: Iterable[int],
    memo: dict[int, bytes],
    slow_refs: Callable[[int], list[int]],
    slow_hash: Callable[[int], bytes],
    walk: Callable[[int], bytes],
    exists: Callable[[int], bool],
) -> None:
    """Hash every entity reachable from the STEP ids ``roots`` into ``memo``
    (id -> digest; entities already there are not hashed again).

    ``slow_refs(id)`` lists the references of an entity off the fast path and
    ``slow_hash(id)`` hashes it from ``memo`` (its children are there by
    then); ``walk(id)`` hashes a whole graph one entity at a time (entities
    the index lacks, and reference cycles); ``exists(id)`` says whether a
    referenced id the index lacks is in the file at all."""
    mm = index.text.buffer()
    if mm is None:
        raise ValueError("the STEP text is closed")
    root_ids = np.unique(np.fromiter(roots, dtype=np.int64))
    root_ids = root_ids[[int(r) not in memo for r in root_ids]] if len(memo) else root_ids
    if len(root_ids) == 0:
        return
    count = index.count
    state = np.zeros(count, dtype=np.int8)  # 0 unseen, 1 to hash, 2 known
    hexes = np.zeros((count, _HEX_SIZE), dtype=np.uint8)
    scratch = np.zeros(count, dtype=np.int64)

    def known(positions: np.ndarray) -> None:
        ids = index.ids[positions]
        for p, eid in zip(positions.tolist(), ids.tolist(), strict=True):
            state[p] = 2
            hexes[p] = np.frombuffer(memo[eid].hex().encode(), dtype=np.uint8)

    outside: list[int] = []  # referenced ids the index lacks
    slow_children: dict[int, list[int]] = {}
    frontier = index.index_of(root_ids)
    outside.extend(root_ids[frontier < 0].tolist())
    frontier = frontier[frontier >= 0]
    while len(frontier):
        frontier = _distinct(frontier[state[frontier] == 0], scratch)
        if not len(frontier):
            break
        ids = index.ids[frontier]
        in_memo = np.array([i in memo for i in ids.tolist()], dtype=bool) if memo else \
            np.zeros(len(frontier), bool)
        known(frontier[in_memo])
        frontier = frontier[~in_memo]
        state[frontier] = 1
        fast = index.fast[frontier]
        quick = frontier[fast]
        lo, hi = index.ref_start[quick], index.ref_start[quick + 1]
        rows = _ranges(lo, hi - lo)
        children = [index.ref_child[rows]]
        lacking = rows[index.ref_child[rows] < 0]
        outside.extend(index.ref_child_id[lacking].tolist())
        slow = frontier[~fast].tolist()
        if slow:
            lists = [slow_refs(int(eid)) for eid in index.ids[slow].tolist()]
            refs = np.array([r for refs in lists for r in refs], dtype=np.int64)
            at = index.index_of(refs)
            outside.extend(refs[at < 0].tolist())
            children.append(at[at >= 0])
            cut = np.cumsum([len(refs) for refs in lists]).tolist()
            for p, lo, hi in zip(slow, [0, *cut[:-1]], cut, strict=True):
                slow_children[p] = at[lo:hi].tolist()
        nxt = np.concatenate(children)
        frontier = nxt[nxt >= 0]
    # Ids the index lacks: hashed by the walker when they exist (their graphs
    # may reach back into indexed entities, which the walker then hashes too).
    for eid in sorted(set(outside)):
        if eid not in memo and exists(eid):
            walk(eid)
    newly = np.flatnonzero(state == 1)
    in_memo = np.array([i in memo for i in index.ids[newly].tolist()], dtype=bool)
    known(newly[in_memo])
    todo = np.flatnonzero(state == 1)
    if not len(todo):
        return
    data = np.frombuffer(mm, dtype=np.uint8)
    try:
        _hash_levels(index, data, todo, state, hexes, memo, slow_children, slow_hash, walk)
    finally:
        del data


def hash_closed(index: FileIndex) -> dict[int, bytes]:
    """Digests of every entity whose whole graph is on the fast path: the
    entity and everything it reaches hold no string literal or unusual token
    and refer only to entities the index has. Needs nothing but the file's
    text (no parse, no callbacks), so it can run before or beside the parse
    (:mod:`~bimcheck.prehash`); the digests are those :func:`hash_graphs`
    makes. The rest (shape representations hold strings, and whatever reaches
    them) is left to the caller's hashing, which finds these memoised."""
    return hash_entities(index, closed_entities(index))


def closed_entities(index: FileIndex) -> np.ndarray:
    """File positions (ascending) of the entities :func:`hash_closed` hashes:
    off the fast path, or referring to an id the index lacks, taints an
    entity and everything above it."""
    count = index.count
    tainted = ~index.fast
    outside = index.ref_owner[index.ref_child < 0]
    tainted[outside] = True
    parents, children = _edges_by_child(index)
    scratch = np.zeros(count, dtype=np.int64)
    frontier = np.flatnonzero(tainted)
    while len(frontier):
        lo = np.searchsorted(children, frontier)
        hi = np.searchsorted(children, frontier, side="right")
        up = _distinct(parents[_ranges(lo, hi - lo)], scratch)
        frontier = up[~tainted[up]]
        tainted[frontier] = True
    return np.flatnonzero(~tainted)


def _edges_by_child(index: FileIndex) -> tuple[np.ndarray, np.ndarray]:
    """(parents, children) of every reference between indexed fast entities,
    sorted by child."""
    inner = index.ref_child >= 0
    parents, children = index.ref_owner[inner], index.ref_child[inner]
    by_child = np.argsort(children, kind="stable")
    return parents[by_child], children[by_child]


def hash_entities(index: FileIndex, todo: np.ndarray) -> dict[int, bytes]:
    """Digests (STEP id -> digest) of the fast entities at file positions
    ``todo``, which must hold everything they reach (:func:`closed_entities`).
    Entities on a reference cycle are never ready and are left out (the
    caller's walker cuts the cycle as it always does)."""
    memo: dict[int, bytes] = {}
    if not len(todo):
        return memo
    mm = index.text.buffer()
    if mm is None:
        raise ValueError("the STEP text is closed")
    state = np.zeros(index.count, dtype=np.int8)
    state[todo] = 1
    hexes = np.zeros((index.count, _HEX_SIZE), dtype=np.uint8)

    def off_path(_: int) -> bytes:  # never called: nothing off the fast path is in todo
        raise AssertionError("an entity off the fast path was to be hashed")

    data = np.frombuffer(mm, dtype=np.uint8)
    try:
        _hash_levels(index, data, todo, state, hexes, memo, {}, off_path, lambda _: b"")
    finally:
        del data
    return memo


def _hash_levels(
    index: FileIndex, data: np.ndarray, todo: np.ndarray, state: np.ndarray, hexes: np.ndarray,
    memo: dict[int, bytes], slow_children: dict[int, list[int]],
    slow_hash: Callable[[int], bytes], walk: Callable[[int], bytes],
) -> None:
    fast_todo = todo[index.fast[todo]]
    buf = _Buffer(index, data, fast_todo)
    slot_of = np.full(index.count, -1, dtype=np.int64)
    slot_of[fast_todo] = np.arange(len(fast_todo))
    # Children still to hash, counted per parent (references to entities the
    # file lacks, or already known, count as done).
    src_fast = np.repeat(fast_todo, np.diff(buf.ref_start))
    dst_fast = buf.ref_child
    slow_src = [p for p in todo.tolist() if p in slow_children for _ in slow_children[p]]
    slow_dst = [c for p in todo.tolist() if p in slow_children for c in slow_children[p]]
    src = np.concatenate([src_fast, np.array(slow_src, dtype=np.int64)])
    dst = np.concatenate([dst_fast, np.array(slow_dst, dtype=np.int64)])
    live = (dst >= 0) & (state[np.maximum(dst, 0)] == 1)
    src, dst = src[live], dst[live]
    pending = np.bincount(src, minlength=index.count)
    by_child = np.argsort(dst, kind="stable")
    parents, children_sorted = src[by_child], dst[by_child]
    width = np.arange(_HEX_SIZE)
    # Placeholders of references to what is known already (or missing).
    scratch = np.zeros(index.count, dtype=np.int64)
    _fill(buf, np.flatnonzero((buf.ref_child >= 0)
                              & (state[np.maximum(buf.ref_child, 0)] == 2)), hexes, width)
    for row in np.flatnonzero(buf.ref_child < 0).tolist():  # ids the index lacks
        digest = memo.get(int(buf.ref_child_id[row]))
        token = MISSING[1:] if digest is None else digest.hex().encode()
        at = int(buf.ref_out[row])
        buf.text[at:at + _HEX_SIZE] = np.frombuffer(token, dtype=np.uint8)
    text = memoryview(buf.text)  # live: placeholders are filled level by level
    blake2b = hashlib.blake2b
    ready = todo[pending[todo] == 0]
    while len(ready):
        fast = ready[index.fast[ready]]
        slots = slot_of[fast]
        rows = _ranges(buf.ref_start[slots], buf.ref_start[slots + 1] - buf.ref_start[slots])
        _fill(buf, rows, hexes, width)
        lo_hi = zip(buf.offset[slots].tolist(), (buf.offset[slots] + buf.length[slots]).tolist(),
                    strict=True)
        digests = [blake2b(text[lo:hi], digest_size=DIGEST_SIZE).digest() for lo, hi in lo_hi]
        if digests:
            raw = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(-1, DIGEST_SIZE)
            hexes[fast] = _HEX_PAIRS[raw].reshape(-1, _HEX_SIZE)
            memo.update(zip(index.ids[fast].tolist(), digests, strict=True))
        for p in ready[~index.fast[ready]].tolist():
            digest = slow_hash(int(index.ids[p]))
            hexes[p] = np.frombuffer(digest.hex().encode(), dtype=np.uint8)
        state[ready] = 2
        lo = np.searchsorted(children_sorted, ready)
        hi = np.searchsorted(children_sorted, ready, side="right")
        up = parents[_ranges(lo, hi - lo)]
        if not len(up):
            break
        np.subtract.at(pending, up, 1)
        up = _distinct(up, scratch)
        ready = up[(pending[up] == 0) & (state[up] == 1)]
    # Entities on or above a reference cycle: one at a time, as the walker cuts it.
    for p in np.flatnonzero(state == 1).tolist():
        eid = int(index.ids[p])
        if eid not in memo:
            walk(eid)
    del text


def _distinct(values: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """``values`` (positions below ``len(scratch)``) without repeats, in no set order
    but a deterministic one; ``scratch`` is overwritten."""
    if len(values) < 2:
        return values
    scratch[values] = np.arange(len(values))
    return values[scratch[values] == np.arange(len(values))]


def _fill(buf: _Buffer, rows: np.ndarray, hexes: np.ndarray, width: np.ndarray) -> None:
    """Write the hex digests of the children of reference ``rows`` into their placeholders."""
    if not len(rows):
        return
    rows = rows[buf.ref_child[rows] >= 0]  # the others are written once, at the start
    buf.text[(buf.ref_out[rows][:, None] + width).ravel()] = hexes[buf.ref_child[rows]].ravel()


def encode_digests(pairs: Iterable[tuple[int, bytes]]) -> bytes:
    """(STEP id, digest) pairs as bytes: the count, the ids, the digests."""
    fresh = list(pairs)
    ids = np.fromiter((e for e, _ in fresh), dtype=np.int64, count=len(fresh))
    return len(fresh).to_bytes(8, "little") + ids.tobytes() + b"".join(d for _, d in fresh)


def decode_digests(blob: bytes | None) -> list[tuple[int, bytes]] | None:
    """The (id, digest) pairs a hashing child sent (:func:`encode_digests`),
    or ``None`` when it failed. (Here, not in :mod:`~bimcheck.fingerprint`:
    the fingerprint helper of :mod:`~bimcheck.prehash` runs before
    IfcOpenShell is imported, and must not import it.)"""
    if blob is None or len(blob) < 8:
        return None
    count = int.from_bytes(blob[:8], "little")
    end = 8 + 8 * count
    if len(blob) != end + count * DIGEST_SIZE:
        return None
    ids = np.frombuffer(blob, dtype=np.int64, count=count, offset=8).tolist()
    # Void items (not "S": that strips trailing zero bytes) list as bytes.
    digests = np.frombuffer(blob, dtype=f"V{DIGEST_SIZE}", offset=end).tolist()
    return list(zip(ids, digests, strict=True))
