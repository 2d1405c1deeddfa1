"""Fingerprints of elements, independent of STEP entity numbers.

Two fingerprints per element, each a 32-character hex digest:

* **geometry**: the element's representation graph and its placement graph,
  each hashed as a Merkle tree over the STEP text of every entity with each
  ``#id`` reference replaced by the hash of the entity it points to; plus the
  same for every opening that voids the element (so resizing an opening
  changes its host's fingerprint). Reals are hashed with 12 significant
  digits and keywords in capitals (:func:`canonical`), so re-saving with
  renumbered ids, or by a writer that formats numbers or spells entity names
  otherwise, changes nothing; lengthening a wall, moving
  it or moving its storey changes it.
* **data**: the element's own attributes (minus GlobalId, owner history and
  the geometry references), its property and quantity sets (type sets
  inherited), its type's class and name, material names and classification
  references. Editing a property changes only this one.

A :class:`Fingerprinter` memoises subgraph hashes, so shared subgraphs
(mapped type geometry, common placements) are hashed once per model.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable

import ifcopenshell
import ifcopenshell.util.element

from bimcheck.model import get_classification_codes, get_material_names
from bimcheck.steptext import StepText

#: A STEP string literal (with '' escapes) or an entity reference ``#123``.
_TOKEN = re.compile(rb"'(?:[^']|'')*'|#(\d+)")
#: An entity reference, for STEP text without string literals.
_REF = re.compile(rb"#(\d+)")
#: A STEP real (``6.``, ``0.25``, ``2.5E-1``), for text without string literals.
_REAL = re.compile(rb"(?<![\w.])-?\d+\.\d*(?:[eE][-+]?\d+)?")
#: A string literal, or a real outside one.
_STRING_OR_REAL = re.compile(rb"'(?:[^']|'')*'|((?<![\w.])-?\d+\.\d*(?:[eE][-+]?\d+)?)")

#: Significant digits a real keeps in the hashed text: equal values spelled
#: otherwise (``6.``, ``6.0``, ``6.0E0``), and the last-digit differences of
#: another writer's shortest round trip, hash the same; 1e-12 relative is far
#: below the weld grid for any building coordinate.
REAL_DIGITS = 12

#: Attributes that are identity or geometry, not data.
_NON_DATA_ATTRIBUTES = frozenset({"GlobalId", "OwnerHistory", "ObjectPlacement", "Representation"})

_DIGEST_SIZE = 16

#: Entities whose text (with their references' tokens) is at most this long
#: are inlined into the entities that refer to them instead of hashed.
_INLINE_BYTES = 192


def _digest(*parts: bytes) -> bytes:
    h = hashlib.blake2b(digest_size=_DIGEST_SIZE)
    for p in parts:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.digest()


#: Canonical spellings of reals met so far (files repeat their coordinates);
#: cleared when it grows past :data:`_CANON_MEMO_SIZE` entries.
_CANON_MEMO: dict[bytes, bytes] = {}
_CANON_MEMO_SIZE = 1_000_000


def _canon(token: bytes) -> bytes:
    out = _CANON_MEMO.get(token)
    if out is None:
        if len(_CANON_MEMO) >= _CANON_MEMO_SIZE:
            _CANON_MEMO.clear()
        out = _CANON_MEMO[token] = b"%.*g" % (REAL_DIGITS, float(token))
    return out


def _canon_real(match: re.Match[bytes]) -> bytes:
    return _canon(match.group(0))


def _canon_string_or_real(match: re.Match[bytes]) -> bytes:
    if match.group(1) is None:
        return match.group(0)  # a string literal: unchanged
    return _canon(match.group(1))


#: A string literal (kept as it is), or the text between string literals.
_STRING = re.compile(rb"('(?:[^']|'')*')")


def _upper_outside_strings(text: bytes) -> bytes:
    parts = _STRING.split(text)
    parts[::2] = [p.upper() for p in parts[::2]]
    return b"".join(parts)


def canonical_case(text: bytes) -> bytes:
    """STEP text with keywords in capitals (entity and type names,
    enumerations: STEP does not tell their case apart), string literals as
    they are."""
    return _upper_outside_strings(text) if b"'" in text else text.upper()


def canonical(text: bytes) -> bytes:
    """STEP text in :func:`canonical_case`, every real written with
    :data:`REAL_DIGITS` significant digits."""
    text = canonical_case(text)
    if b"." not in text:
        return text
    if b"'" in text:
        return _STRING_OR_REAL.sub(_canon_string_or_real, text)
    return _REAL.sub(_canon_real, text)


def _leaf(text: bytes) -> bytes:
    """Digest of an entity without references (one part: ``_digest(text)``)."""
    return hashlib.blake2b(
        len(text).to_bytes(8, "little") + text, digest_size=_DIGEST_SIZE
    ).digest()


class Fingerprinter:
    """Computes fingerprints for the elements of one IfcOpenShell file.

    ``text`` (or a function that returns it), when given, supplies each
    entity's STEP text from the file's own bytes
    (:class:`~bimcheck.steptext.StepText`), several times faster than
    IfcOpenShell writing it out; entities it cannot vouch for are written
    out by IfcOpenShell as before.
    """

    def __init__(
        self, ifc: ifcopenshell.file,
        text: StepText | Callable[[], StepText | None] | None = None,
    ) -> None:
        self.file = ifc
        self._text = text
        self._memo: dict[int, bytes] = {}

    @property
    def text(self) -> StepText | None:
        """The file's STEP text, built on first use when given as a function
        (a run that finds every key in the cache never needs it)."""
        if callable(self._text):
            self._text = self._text()
        return self._text

    def _body(self, eid: int) -> bytes:
        """STEP text of entity ``eid`` after ``#id=`` (``self.text`` resolved),
        reals canonical (:func:`canonical`)."""
        return canonical(self.raw_body(eid))

    def raw_body(self, eid: int) -> bytes:
        """STEP text of entity ``eid`` after ``#id=``, as the file (or, where
        its text is not certain, IfcOpenShell) writes it."""
        steptext = self.text
        if steptext is not None:
            raw = steptext.body(eid)
            if raw is not None:
                return raw
        text = str(self.file.by_id(eid)).encode("utf-8", "replace")
        return text[text.index(b"=") + 1 :]

    def entity_hash(self, entity: ifcopenshell.entity_instance | None) -> bytes:
        """Merkle hash (16 bytes) of the entity graph reachable from ``entity``.

        Each entity's text has every reference replaced by a token of its
        target: ``@`` and the target's hash, or, for a target whose text
        (tokens included) is at most :data:`_INLINE_BYTES` long (points,
        directions, the faces, bounds and loops of a faceted body), ``=`` and
        that text itself, which spares hashing it on its own. Both are
        self-delimiting (32 hex digits; an entity name and a balanced
        argument list), so the encoding stays unambiguous."""
        if entity is None:
            return b"\0" * _DIGEST_SIZE
        root = entity.id()
        token = self._memo.get(root)
        if token is None:
            token = self._walk(root)
        if token[:1] == b"@":
            return bytes.fromhex(token[1:].decode())
        return _leaf(token[1:])

    def _walk(self, root: int) -> bytes:
        self.text  # noqa: B018 - resolves a deferred text once
        memo = self._memo
        body = self._body
        # Iterative post-order walk: graphs may be deep (boolean result chains).
        # Reference cycles (malformed files) are cut: a back-reference is "@cycle".
        visiting: set[int] = set()
        stack: list[tuple[int, bytes | None]] = [(root, None)]
        while stack:
            eid, text = stack.pop()
            if eid in memo:
                continue
            if text is None:
                if eid in visiting:
                    continue
                text = body(eid)
                if b"#" not in text:  # a leaf (points, directions...): nothing to replace
                    memo[eid] = b"=" + text
                    continue
                visiting.add(eid)
                if b"'" in text:  # string literals may hold a "#"
                    refs = [m.group(1) for m in _TOKEN.finditer(text) if m.group(1)]
                else:
                    refs = _REF.findall(text)
                pending = [r for r in map(int, refs) if r not in memo and r not in visiting]
                if pending:
                    stack.append((eid, text))
                    stack.extend((r, None) for r in pending)
                    continue
            visiting.discard(eid)
            if b"'" in text:
                replaced = _TOKEN.sub(lambda m, _m=memo: _ref_text(m, _m), text)
            else:
                # Split on references: [text, id, text, id, ..., text].
                pieces = _REF.split(text)
                for k in range(1, len(pieces), 2):
                    pieces[k] = memo.get(int(pieces[k]), b"@cycle")
                replaced = b"".join(pieces)
            if len(replaced) <= _INLINE_BYTES:
                memo[eid] = b"=" + replaced
            else:
                memo[eid] = b"@" + _leaf(replaced).hex().encode()
        return memo[root]

    def geometry(self, element: ifcopenshell.entity_instance) -> str:
        """Geometry fingerprint: representation + world placement + openings voiding it."""
        parts = [
            b"geometry/5",
            self.entity_hash(getattr(element, "Representation", None)),
            self.entity_hash(getattr(element, "ObjectPlacement", None)),
        ]
        openings = sorted(
            _digest(self.entity_hash(o.Representation), self.entity_hash(o.ObjectPlacement))
            for o in _openings(element)
        )
        parts.extend(openings)
        return _digest(*parts).hex()

    def data(self, element: ifcopenshell.entity_instance) -> str:
        """Data fingerprint: attributes, property/quantity sets, type, materials,
        classifications. Independent of STEP ids and of geometry."""
        attributes = {}
        for name, value in element.get_info(recursive=False, include_identifier=False).items():
            if name in _NON_DATA_ATTRIBUTES or name == "type":
                continue
            attributes[name] = self._plain(value)
        psets = ifcopenshell.util.element.get_psets(element, should_inherit=True)
        for props in psets.values():
            props.pop("id", None)
        etype = ifcopenshell.util.element.get_type(element)
        doc = {
            "class": element.is_a(),
            "attributes": attributes,
            "psets": psets,
            "type": [etype.is_a(), etype.Name] if etype is not None else None,
            "materials": list(get_material_names(element)),
            "classifications": list(get_classification_codes(element)),
        }
        text = json.dumps(doc, sort_keys=True, default=str, ensure_ascii=True)
        return _digest(b"data/1", text.encode()).hex()

    def _plain(self, value: object) -> object:
        if isinstance(value, ifcopenshell.entity_instance):
            return self.entity_hash(value).hex()
        if isinstance(value, tuple | list):
            return [self._plain(v) for v in value]
        return value


def _ref_text(match: re.Match[bytes], memo: dict[int, bytes]) -> bytes:
    ref = match.group(1)
    if ref is None:
        return match.group(0)  # a string literal: unchanged
    return memo.get(int(ref), b"@cycle")


def _openings(element: ifcopenshell.entity_instance) -> list[ifcopenshell.entity_instance]:
    rels = getattr(element, "HasOpenings", None) or ()
    return [r.RelatedOpeningElement for r in rels]
