"""Checks of a STEP (.ifc) file's bytes before IfcOpenShell parses them.

IfcOpenShell trusts what it reads: a ``FILE_SCHEMA($);`` header, or a schema
name of a few thousand characters, crashes the process inside its parser;
a reference to an entity that is not in the file reads as ``None`` (or is
dropped from a list without a word); two entities with one id keep one of
them silently. So before a parse:

* :func:`check_envelope` refuses what is not a complete ISO 10303-21 file
  (magic, trailer) and a header that is not well-formed: ``FILE_DESCRIPTION``,
  ``FILE_NAME`` and ``FILE_SCHEMA`` present, the schema a list of names.
* :func:`scan_references` reads every ``#id`` of the DATA section (numpy, about
  0.1 s per 10 MB): an id defined twice, or an id too long to be one, is a file
  whose structure cannot be read (:class:`~bimcheck.errors.BrokenModelError`,
  naming the first such entity and its line); references to entities that
  are not in the file are returned (:class:`Integrity`) so that the elements
  that use them are reported as failures and the rest of the model is checked.
  So are the entities that hold a number that is not finite (``-NAN``,
  ``-INF``, ``+inf``...): STEP has no such numbers, IfcOpenShell reads them,
  and the geometry kernel loops on them. Strings, comments and binaries are
  skipped by both scans.
"""

from __future__ import annotations

import math
import mmap
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from bimcheck.errors import BrokenModelError, NotIfcError, TruncatedModelError

STEP_MAGIC = b"ISO-10303-21;"
STEP_TRAILER = b"END-ISO-10303-21;"

#: Longest header read, in bytes (1 MiB): headers are a few hundred bytes.
MAX_HEADER_BYTES: int = 1 << 20

#: Longest schema name accepted (``IFC4X3_ADD2`` is 11 characters).
MAX_SCHEMA_NAME: int = 64

#: Longest entity id accepted, in digits (IfcOpenShell reads ids as 32-bit).
MAX_ID_DIGITS: int = 9

#: Recognisable non-IFC file signatures, for a helpful message.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"<?xml", "an XML document (ifcXML is not supported)"),
    (b"SQLite format 3", "an SQLite database"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"glTF", "a glTF binary"),
)

# One header value: a string, $, *, a number, an enum, a list or a typed value.
_HEADER_TOKEN = re.compile(
    rb"\s*(?:'(?:[^']|'')*'|\$|\*|[-+]?\d+(?:\.\d*)?(?:[Ee][-+]?\d+)?|\.[A-Z_]+\.|[(),]|[A-Z_]+)")
#: A number that is not finite: ``NAN``, ``-NAN``, ``INF``, ``-INF``,
#: ``-INFINITY`` in any case (not an enumeration ``.INF.`` or part of a word).
#: IfcOpenShell reads the signed ones as numbers and drops the unsigned ones
#: from their list; either way the entity is not what its writer meant. (A
#: number beyond a double, ``1.E400``, is a syntax error to the parser.)
#: Matched one character before each ``NAN`` or ``INF`` found in the
#: upper-cased text.
_NON_FINITE = re.compile(rb"(?i)[^A-Z0-9_.](?:NAN|INF(?:INITY)?)(?![A-Z0-9_])")
_NON_FINITE_STARTS = (b"NAN", b"INF")
_UPPER = bytes.maketrans(b"abcdefghijklmnopqrstuvwxyz", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")

#: Bytes upper-cased at a time by the search for non-finite numbers.
_CHUNK = 1 << 26

_SCHEMA_NAME = re.compile(rb"[A-Za-z][A-Za-z0-9_]{0,%d}" % (MAX_SCHEMA_NAME - 1))


def check_envelope(p: Path, head: bytes, *, shown: Path | None = None) -> None:
    """Refuse anything that is not a complete ISO 10303-21 file with a
    well-formed header; errors name ``shown`` (default ``p``)."""
    shown = shown or p
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise NotIfcError("not an IFC file: the file is empty", path=shown)
    if not stripped.startswith(STEP_MAGIC):
        what = next((w for sig, w in _SIGNATURES if stripped.startswith(sig)), None)
        if what is None:
            what = "text" if _looks_like_text(stripped) else "binary data"
        raise NotIfcError(
            f"not an IFC file: it is {what}, not an ISO-10303-21 (STEP) file", path=shown)
    size = p.stat().st_size
    with p.open("rb") as fh:
        fh.seek(max(0, size - 4096))
        tail = fh.read()
        fh.seek(0)
        header = fh.read(MAX_HEADER_BYTES)
    if not tail.rstrip(b" \t\r\n\x00\x1a").endswith(STEP_TRAILER):
        raise TruncatedModelError(
            "the file is truncated: it does not end with END-ISO-10303-21;", path=shown)
    check_header(header, shown)


def check_header(data: bytes, path: Path) -> None:
    """Check the HEADER section at the start of ``data`` (see the module doc)."""
    start = data.find(b"HEADER;")
    end = data.find(b"ENDSEC;", max(start, 0))
    if start < 0 or end < 0 or data.find(b"DATA;", end) < 0:
        raise NotIfcError("the STEP header is missing or unfinished "
                          "(HEADER; ... ENDSEC; DATA;)", path=path)
    entities = _header_entities(_without_comments(data[start + 7:end]), path)
    for name in ("FILE_DESCRIPTION", "FILE_NAME", "FILE_SCHEMA"):
        if name not in entities:
            raise NotIfcError(f"the STEP header has no {name}", path=path)
    schema = entities["FILE_SCHEMA"]
    names = _strings_of_list(schema)
    if names is None or len(names) != 1:
        shown = b"".join(schema)[:80].decode("latin-1")
        raise NotIfcError(
            f"the STEP header's FILE_SCHEMA must name one schema, as (('IFC4')); it is "
            f"FILE_SCHEMA({shown})", path=path)
    if not _SCHEMA_NAME.fullmatch(names[0]):
        raise NotIfcError(
            f"the STEP header's schema name {names[0][:80].decode('latin-1')!r} "
            f"is not a schema name", path=path)


def _header_entities(body: bytes, path: Path) -> dict[str, list[bytes]]:
    """``name -> argument tokens`` of the header's entities."""
    out: dict[str, list[bytes]] = {}
    for statement in _statements(body):
        tokens = []
        pos = 0
        while pos < len(statement):
            m = _HEADER_TOKEN.match(statement, pos)
            if m is None or m.end() == pos:
                if statement[pos:].strip() == b"":
                    break
                raise NotIfcError(
                    f"the STEP header cannot be read near {statement[pos:pos + 40]!r}", path=path)
            tokens.append(m.group(0).strip())
            pos = m.end()
        if len(tokens) < 3 or tokens[1] != b"(" or tokens[-1] != b")" or not _balanced(tokens):
            raise NotIfcError(f"the STEP header cannot be read: {statement[:80]!r}", path=path)
        out[tokens[0].decode("ascii", "replace")] = tokens[2:-1]
    return out


def _without_comments(body: bytes) -> bytes:
    """``body`` with its ``/* ... */`` comments (outside strings) blanked."""
    if b"/*" not in body:
        return body
    out = bytearray()
    i, n, in_string = 0, len(body), False
    while i < n:
        ch = body[i]
        if ch == 0x27:
            in_string = not in_string
        elif not in_string and body.startswith(b"/*", i):
            end = body.find(b"*/", i + 2)
            i = n if end < 0 else end + 2
            out += b" "
            continue
        out.append(ch)
        i += 1
    return bytes(out)


def _statements(body: bytes) -> list[bytes]:
    """The ``;``-ended statements of ``body``, not splitting inside strings."""
    out, current, in_string = [], bytearray(), False
    for ch in body:
        if ch == 0x27:
            in_string = not in_string
        if ch == 0x3B and not in_string:
            if bytes(current).strip():
                out.append(bytes(current).strip())
            current = bytearray()
        else:
            current.append(ch)
    if bytes(current).strip():
        out.append(bytes(current).strip())
    return out


def _balanced(tokens: list[bytes]) -> bool:
    depth = 0
    for t in tokens:
        depth += (t == b"(") - (t == b")")
        if depth < 0:
            return False
    return depth == 0


def _strings_of_list(tokens: list[bytes]) -> list[bytes] | None:
    """The strings of a ``('A','B')`` token list, or ``None`` when it is not one."""
    if len(tokens) < 3 or tokens[0] != b"(" or tokens[-1] != b")":
        return None
    inner = tokens[1:-1]
    names = inner[0::2]
    if any(t != b"," for t in inner[1::2]) or len(inner) % 2 != 1:
        return None
    if not all(t.startswith(b"'") and t.endswith(b"'") and len(t) >= 2 for t in names):
        return None
    return [t[1:-1] for t in names]


def _looks_like_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in data


@dataclass(frozen=True)
class Integrity:
    """What :func:`scan_references` found: ``dangling`` maps each id that is
    referred to but not defined to the ids of the entities that refer to it
    (sorted, every one of them: a referrer left out would reach the geometry
    kernel unscreened)."""

    entities: int
    dangling: dict[int, tuple[int, ...]] = field(default_factory=dict)
    #: The entities that hold a number that is not finite (sorted, all).
    non_finite: tuple[int, ...] = ()

    #: Entities defined in the text that the parser did not read (an unknown
    #: class...) -> the ids of those that refer to them (:func:`lost_references`).
    unread: dict[int, tuple[int, ...]] = field(default_factory=dict)

    def with_unread(self, unread: dict[int, tuple[int, ...]]) -> Integrity:
        """This, with :attr:`unread` set (after the parse)."""
        return replace(self, unread=unread)

    @property
    def broken_ids(self) -> frozenset[int]:
        """The entities that refer to a missing or unread one."""
        return frozenset(i for refs in (*self.dangling.values(), *self.unread.values())
                         for i in refs)

    def summary(self, limit: int = 3) -> str:
        """``#17 (referred to by #23, #24)`` for the first ``limit`` missing ids."""
        parts = []
        for mid in sorted(self.dangling)[:limit]:
            by = ", ".join(f"#{i}" for i in self.dangling[mid][:3])
            parts.append(f"#{mid} (referred to by {by})")
        more = len(self.dangling) - limit
        return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


#: IfcOpenShell's log line for a reference to an entity it did not read.
_LOST = re.compile(r"Instance reference #(\d+) used by instance #(\d+)")


def lost_references(parser_log: str) -> dict[int, tuple[int, ...]]:
    """``missing id -> referrers`` of the references IfcOpenShell's parser
    could not resolve (from its log, :func:`ifcopenshell.get_log`): entities
    defined in the text that it did not read, such as one of an unknown class."""
    found: dict[int, set[int]] = {}
    for m in _LOST.finditer(parser_log):
        found.setdefault(int(m.group(1)), set()).add(int(m.group(2)))
    return {mid: tuple(sorted(refs)) for mid, refs in found.items()}


def scan_references(p: Path, *, shown: Path | None = None) -> Integrity:
    """Every entity id of the DATA section of ``p``, defined and referred to;
    :class:`BrokenModelError` for an id defined twice or of more than
    :data:`MAX_ID_DIGITS` digits (naming the first and its line)."""
    shown = shown or p
    with p.open("rb") as fh:
        if p.stat().st_size == 0:
            return Integrity(0)
        # Not closed here: numpy's view (and an error's traceback) may still
        # hold it; it is unmapped when the last view is freed.
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    header_end = mm.find(b"ENDSEC;")
    start = mm.find(b"DATA;", max(header_end, 0))
    end = mm.rfind(b"ENDSEC;")
    if start < 0 or end < start:
        return Integrity(0)
    return _scan(np.frombuffer(mm, dtype=np.uint8)[start:end], start, mm, shown)


def _scan(arr: np.ndarray, offset: int, mm: mmap.mmap, shown: Path) -> Integrity:
    quotes = np.flatnonzero(arr == 0x27)
    outside = _outside_literals(arr, quotes)
    every = np.flatnonzero(arr == 0x23)  # also those in strings and comments
    every_value, every_digits = _ids_after(arr, every, MAX_ID_DIGITS + 1)
    code = outside(every)
    hashes, value, digits = every[code], every_value[code], every_digits[code]
    n = len(arr)
    if len(digits) and digits.max() > MAX_ID_DIGITS:
        at = int(hashes[np.argmax(digits > MAX_ID_DIGITS)])
        raise BrokenModelError(
            f"line {_line(mm, offset + at)}: an entity id of more than {MAX_ID_DIGITS} "
            "digits; the file's structure cannot be read", path=shown)
    # A definition is '#id' followed (after blanks) by '='.
    after = hashes + 1 + digits
    nxt = arr[np.minimum(after, n - 1)]
    for _ in range(4):
        blank = np.isin(nxt, (0x20, 0x09, 0x0D, 0x0A)) & (after < n - 1)
        if not blank.any():
            break
        after = after + blank
        nxt = arr[np.minimum(after, n - 1)]
    is_def = (nxt == 0x3D) & (digits > 0)
    is_ref = ~is_def & (digits > 0)
    def_ids, def_pos = value[is_def], hashes[is_def]
    ref_ids, ref_pos = value[is_ref], hashes[is_ref]
    order = np.argsort(def_ids, kind="stable")
    sorted_ids = def_ids[order]
    dup = np.flatnonzero(sorted_ids[1:] == sorted_ids[:-1])
    if len(dup):
        # The first duplicate in file order, and where its first definition is.
        second = order[dup + 1]
        k = int(np.argmin(second))
        first_at = int(def_pos[order[dup[k]]])
        again_at = int(def_pos[second[k]])
        raise BrokenModelError(
            f"entity #{int(sorted_ids[dup[k]])} is defined twice (lines "
            f"{_line(mm, offset + first_at)} and {_line(mm, offset + again_at)}); the file's "
            "structure cannot be read", path=shown)
    missing = ~np.isin(ref_ids, sorted_ids)
    dangling: dict[int, tuple[int, ...]] = {}
    if missing.any():
        owner = np.searchsorted(def_pos, ref_pos[missing]) - 1
        owner_ids = (np.where(owner >= 0, def_ids[np.maximum(owner, 0)], 0) if len(def_ids)
                     else np.zeros(len(owner), dtype=np.int64))  # no entity defined at all
        pairs = np.unique(np.stack([ref_ids[missing], owner_ids]), axis=1)  # sorted by id
        cuts = np.flatnonzero(np.diff(pairs[0])) + 1
        for group in np.split(pairs, cuts, axis=1):
            dangling[int(group[0, 0])] = tuple(int(i) for i in group[1])
    # Where a non-finite number may be: by the raw text, whatever a literal
    # hides from the scan (IfcOpenShell's recovery from junk between
    # statements cannot be lexed); the parse confirms them (holds_non_finite).
    raw_defs = _raw_definitions(arr, every, every_value, every_digits)
    return Integrity(int(is_def.sum()), dangling,
                     _non_finite(mm, offset, offset + n, *raw_defs))


def _raw_definitions(arr: np.ndarray, hashes: np.ndarray, value: np.ndarray,
                     digits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, positions)`` of every ``#id=`` in ``arr``, literals or not, from
    the ``value`` and ``digits`` (:func:`_ids_after`) of each ``#`` at
    ``hashes`` (blanks before the ``=`` not allowed)."""
    is_def = (digits > 0) & (arr[np.minimum(hashes + 1 + digits, len(arr) - 1)] == 0x3D)
    return value[is_def], hashes[is_def]


def _ids_after(arr: np.ndarray, hashes: np.ndarray, most: int) -> tuple[np.ndarray, np.ndarray]:
    """``(value, digits)``: the number of up to ``most`` digits after each
    ``#`` at ``hashes`` in ``arr``, and how many digits it has (0: none)."""
    n = len(arr)
    value = np.zeros(len(hashes), dtype=np.int64)
    digits = np.zeros(len(hashes), dtype=np.int64)
    live = np.ones(len(hashes), dtype=bool)
    for k in range(1, most + 1):
        c = arr[np.minimum(hashes + k, n - 1)].astype(np.int64)
        isd = live & (c >= 48) & (c <= 57) & (hashes + k < n)
        value = np.where(isd, value * 10 + (c - 48), value)
        digits += isd
        live = isd
    return value, digits


def _non_finite(mm: mmap.mmap, start: int, end: int, def_ids: np.ndarray,
                def_pos: np.ndarray) -> tuple[int, ...]:
    """The ids of the entities whose text between ``start`` and ``end`` may
    hold a number that is not finite (:data:`_NON_FINITE`, strings and
    comments included: :func:`holds_non_finite` tells after the parse);
    ``def_pos`` relative to ``start``. About 50 ms per 25 MB, in chunks of
    :data:`_CHUNK` bytes."""
    found = []
    for at in range(start + 1, end, _CHUNK):
        stop = min(end, at + _CHUNK)
        text = mm[at:min(end, stop + 16)].translate(_UPPER)  # 16: a match across the seam
        for literal in _NON_FINITE_STARTS:
            pos = text.find(literal)
            while 0 <= pos < stop - at:
                if _NON_FINITE.match(mm, at + pos - 1):
                    found.append(at + pos - start)
                pos = text.find(literal, pos + 1)
    if not found or not len(def_pos):
        return ()
    where = np.asarray(found, dtype=np.int64)
    owner = np.searchsorted(def_pos, where) - 1
    return tuple(int(i) for i in np.unique(def_ids[owner[owner >= 0]]))


def holds_non_finite(ifc: object, step_id: int) -> bool:
    """Whether the parsed entity ``#step_id`` of ``ifc`` (an
    ``ifcopenshell.file``) has an attribute, or an item of one, that is a
    number not finite (``nan``, ``inf``); ``False`` for an id it did not read."""
    try:
        entity = ifc.by_id(step_id)  # type: ignore[attr-defined]
    except RuntimeError:
        return False
    stack: list[object] = list(entity)
    while stack:
        value = stack.pop()
        if isinstance(value, float):
            if not math.isfinite(value):
                return True
        elif isinstance(value, tuple):
            stack.extend(value)
        elif hasattr(value, "wrappedValue") and value.id() == 0:  # IFCREAL(-NAN) inline
            stack.append(value.wrappedValue)
    return False


def _outside_literals(arr: np.ndarray,
                      quotes: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """A function of positions in ``arr`` -> whether each is outside every
    string (``'...'``) and comment (``/* ... */``), read as IfcOpenShell reads
    them. Without comments (nearly every file) that is the parity of the
    quotes before it; with them, the literals are lexed once. (A binary,
    ``"`` and hex digits, cannot hide a reference or a number.)"""
    if not _has_comment(arr, quotes):
        return lambda pos: (np.searchsorted(quotes, pos) & 1) == 0
    starts, ends = _literal_spans(arr, quotes)

    def outside(pos: np.ndarray) -> np.ndarray:
        k = np.searchsorted(starts, pos, side="right") - 1
        return ~((k >= 0) & (pos < ends[np.maximum(k, 0)]))
    return outside


def _literal_spans(arr: np.ndarray, quotes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(starts, ends)``: the strings and comments of ``arr``, in order
    (``ends`` exclusive; one not closed runs to the end). As IfcOpenShell's
    lexer: a comment ends at the first ``*/`` from the ``*`` of its ``/*`` (so
    ``/*/`` is an empty comment)."""
    n = len(arr)
    slashes = np.flatnonzero(arr[:-1] == 0x2F)
    opens = slashes[arr[slashes + 1] == 0x2A]
    stars = np.flatnonzero(arr[:-1] == 0x2A)
    closes = stars[arr[stars + 1] == 0x2F]
    events = sorted([(int(p), 0) for p in quotes] + [(int(p), 2) for p in opens]
                    + [(int(p), 3) for p in closes])
    starts: list[int] = []
    ends: list[int] = []
    k = 0
    while k < len(events):
        pos, kind = events[k]
        k += 1
        if kind == 3:
            continue  # a stray '*/' in the code
        close, width = (0, 1) if kind == 0 else (3, 2)
        end = n
        while k < len(events):
            p, c = events[k]
            k += 1
            if c != close or p < pos + 1:
                continue
            if kind == 0 and k < len(events) and events[k] == (p + 1, 0):
                k += 1  # '' inside a string
                continue
            end = p + width
            break
        starts.append(pos)
        ends.append(end)
        while k < len(events) and events[k][0] < end:
            k += 1  # inside what just closed: the slash of a closing star-slash
    return np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)


def _has_comment(arr: np.ndarray, quotes: np.ndarray) -> bool:
    slashes = np.flatnonzero(arr[:-1] == 0x2F)
    if not len(slashes):
        return False
    starts = slashes[arr[slashes + 1] == 0x2A]
    return bool(len(starts) and ((np.searchsorted(quotes, starts) & 1) == 0).any())


def _line(mm: mmap.mmap, pos: int) -> int:
    """1-based line number of byte ``pos``."""
    return mm[:pos].count(b"\n") + 1
