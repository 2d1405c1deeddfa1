"""Fingerprints of elements, independent of STEP entity numbers.

Two fingerprints per element, each a 32-character hex digest:

* **geometry**: the element's representation graph and its placement graph,
  each hashed as a Merkle tree over the STEP text of every entity with each
  ``#id`` reference replaced by the hash of the entity it points to; plus the
  same for every opening that voids the element (so resizing an opening
  changes its host's fingerprint). Reals are rounded to 40 significant bits
  (about 12 digits) and keywords are in capitals
  (:func:`~bimcheck.merkle.canonical`), so re-saving with
  renumbered ids, or by a writer that formats numbers or spells entity names
  otherwise, changes nothing; lengthening a wall, moving
  it or moving its storey changes it.
* **data**: the element's own attributes (minus GlobalId, owner history and
  the geometry references), its property and quantity sets (type sets
  inherited), its type's class and name, material names and classification
  references. Editing a property changes only this one.

A :class:`Fingerprinter` memoises subgraph hashes, so shared subgraphs
(mapped type geometry, common placements) are hashed once per model;
:meth:`Fingerprinter.prepare` hashes many graphs at once, vectorised
(:mod:`~bimcheck.merkle`), to the same digests.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterable

import ifcopenshell
import ifcopenshell.util.element

from bimcheck import forking, merkle
from bimcheck.merkle import decode_digests, encode_digests
from bimcheck.relations import get_classification_codes, get_material_names, get_psets_safely
from bimcheck.steptext import StepText

#: A STEP string literal (with '' escapes) or an entity reference ``#123``.
_TOKEN = re.compile(rb"'(?:[^']|'')*'|#(\d+)")
#: An entity reference, for STEP text without string literals.
_REF = re.compile(rb"#(\d+)")

#: Attributes that are identity or geometry, not data.
_NON_DATA_ATTRIBUTES = frozenset({"GlobalId", "OwnerHistory", "ObjectPlacement", "Representation"})

_DIGEST_SIZE = merkle.DIGEST_SIZE

#: The token of a back-reference that closes a reference cycle (malformed files).
_CYCLE = b"@cycle"


def _digest(*parts: bytes) -> bytes:
    h = hashlib.blake2b(digest_size=_DIGEST_SIZE)
    for p in parts:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.digest()


def _leaf(text: bytes) -> bytes:
    """Digest of one entity's replaced text (as :mod:`~bimcheck.merkle` hashes it)."""
    return hashlib.blake2b(text, digest_size=_DIGEST_SIZE).digest()


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


#: STEP text in capitals with every real rounded (:func:`bimcheck.merkle.canonical`).
canonical = merkle.canonical


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
        seed: Callable[[], dict[int, bytes] | None] | None = None,
    ) -> None:
        self.file = ifc
        self._text = text
        #: Digests hashed before (:mod:`~bimcheck.prehash`), taken on the first bulk hashing.
        self._seed = seed
        self._seeded = False
        self._cycles = False  # a walk cut a reference cycle (see prepare)
        self._memo: dict[int, bytes] = {}
        self._index: merkle.FileIndex | None = None
        self._pending_text: dict[int, bytes] = {}

    @property
    def text(self) -> StepText | None:
        """The file's STEP text, built on first use when given as a function
        (a run that finds every key in the cache never needs it)."""
        if callable(self._text):
            self._text = self._text()
        return self._text

    #: Whether :meth:`prepare` may hash with :mod:`~bimcheck.merkle` (a
    #: subclass that spells entities otherwise sets it to False).
    bulk = True

    def _body(self, eid: int) -> bytes:
        """STEP text of entity ``eid`` after ``#id=`` (``self.text`` resolved),
        :func:`~bimcheck.merkle.canonical`."""
        return merkle.canonical(self.raw_body(eid))

    def raw_body(self, eid: int) -> bytes:
        """STEP text of entity ``eid`` after ``#id=``, as the file (or, where
        its text is not certain, IfcOpenShell) writes it. RuntimeError when
        the file has no entity ``eid``."""
        steptext = self.text
        if steptext is not None:
            raw = steptext.body(eid)
            if raw is not None:
                return raw
        text = str(self.file.by_id(eid)).encode("utf-8", "replace")
        return text[text.index(b"=") + 1 :]

    def entity_hash(self, entity: ifcopenshell.entity_instance | None) -> bytes:
        """Merkle hash (16 bytes) of the entity graph reachable from ``entity``:
        BLAKE2b of its canonical text (:func:`~bimcheck.merkle.canonical`) with
        every reference replaced by ``@`` and the hex digest of its target
        (:data:`~bimcheck.merkle.MISSING` for an id the file lacks)."""
        if entity is None:
            return b"\0" * _DIGEST_SIZE
        root = entity.id()
        digest = self._memo.get(root)
        return digest if digest is not None else self._walk(root)

    def prepare(self, roots: Iterable[int]) -> None:
        """Hash the graphs of the STEP ids ``roots`` at once, vectorised
        (:func:`bimcheck.merkle.hash_graphs`), so that :meth:`entity_hash` then
        finds them memoised. Without the file's STEP text nothing is done (the
        hashes are then made one at a time, alike)."""
        roots = list(roots)
        if not roots or not self.bulk:
            return
        if self._take_seed():
            # What the seed lacks (shape representations, which hold strings,
            # and what reaches them) is a small share: walked, the rest memoised.
            memo = self._memo
            before = len(memo)
            self._cycles = False
            for root in roots:
                if root not in memo:
                    self._walk(root)
            if not self._cycles:
                return
            # A reference cycle (a malformed file): a walk cuts it where it
            # enters it, the bulk hashing below where the file lists it first.
            # Hashed here as without a seed, so that the digests do not depend
            # on whether a helper ran.
            for eid in list(memo)[before:]:
                del memo[eid]
        if self.text is None or self.text.spans is None:
            return
        if self._index is None:
            self._index = merkle.FileIndex(self.text)
        try:
            merkle.hash_graphs(self._index, roots, self._memo, self._refs, self._hash_one,
                               self._walk, self._exists)
        finally:
            self._pending_text.clear()

    def take_seed(self) -> None:
        """Take the seed's digests now, if not yet (waits for the helper that
        hashes them): before forking a process that hashes with this
        fingerprinter, which cannot wait for this process's helper itself."""
        self._take_seed()

    def _take_seed(self) -> bool:
        """Whether the memo holds the digests of a seed (taken here on first
        use). The seed's digests spell entities as the file's text does: without
        that text here (the file changed since it was parsed) the hashing here
        spells them as IfcOpenShell does, so the seed is left alone."""
        seed = self._seed
        if seed is not None:
            self._seed = None
            text = self.text if self.bulk else None
            digests = seed() if text is not None and text.spans is not None else None
            if digests:
                self._memo = {**digests, **self._memo}
                self._seeded = True
        return self._seeded

    def prepare_geometry(self, elements: Iterable[ifcopenshell.entity_instance]) -> None:
        """:meth:`prepare` for what :meth:`geometry` reads of ``elements``."""
        self.prepare(_geometry_roots(elements))

    def prepare_geometry_parallel(self, elements: list[ifcopenshell.entity_instance],
                                  helpers: int = 1) -> int:
        """:meth:`prepare_geometry` shared with ``helpers`` forked processes:
        the file's index is built here first (the helpers inherit it), then
        each process hashes one contiguous share of the elements' graphs and
        the helpers send back every digest they made. The digests are those
        of :meth:`prepare_geometry` (content hashes: who computes them does
        not matter). Falls back to hashing here alone where there is no fork,
        where the process runs other threads (a fork would copy their locks),
        or where a helper fails. Returns the number of helpers that helped."""
        roots = _geometry_roots(elements)
        helpers = max(0, helpers)
        if (helpers == 0 or self._take_seed() or len(roots) < _MIN_PARALLEL_ROOTS
                or not forking.can_fork() or not self.bulk or self.text is None
                or self.text.spans is None):
            self.prepare(roots)
            return 0
        if self._index is None:
            self._index = merkle.FileIndex(self.text)
        shares = [roots[i * len(roots) // (helpers + 1):(i + 1) * len(roots) // (helpers + 1)]
                  for i in range(helpers + 1)]
        children = [forking.fork(functools.partial(_hashed, self, share))
                    for share in shares[1:]]
        helped = 0
        try:
            self.prepare(shares[0])
            for child, share in zip(children, shares[1:], strict=True):
                received = decode_digests(forking.receive(child))
                if received is None:
                    self.prepare(share)  # the helper failed: its share is hashed here
                    continue
                helped += 1
                memo = self._memo
                for eid, digest in received:
                    memo.setdefault(eid, digest)
        finally:
            for child in children:
                forking.reap(child)
        return helped

    def _exists(self, eid: int) -> bool:
        try:
            self.file.by_id(eid)
        except RuntimeError:
            return False
        return True

    def _refs(self, eid: int) -> list[int]:
        """The ids entity ``eid`` refers to (none when the file lacks it); its
        text is kept for :meth:`_hash_one`."""
        try:
            text = self._body(eid)
        except RuntimeError:
            return []
        self._pending_text[eid] = text
        return [int(r) for r in _refs_in(text)]

    def _hash_one(self, eid: int) -> bytes:
        """Digest of entity ``eid`` whose targets are all hashed (or missing)."""
        text = self._pending_text.pop(eid, None)
        digest = _leaf(self._replaced(self._body(eid) if text is None else text))
        self._memo[eid] = digest
        return digest

    def _replaced(self, text: bytes, visiting: set[int] | frozenset[int] = frozenset()) -> bytes:
        memo = self._memo

        def token(ref: int) -> bytes:
            digest = memo.get(ref)
            if digest is not None:
                return b"@" + digest.hex().encode()
            if ref in visiting:
                self._cycles = True
                return _CYCLE
            return merkle.MISSING

        if b"'" in text:
            return _TOKEN.sub(lambda m: m.group(0) if m.group(1) is None
                              else token(int(m.group(1))), text)
        pieces = _REF.split(text)  # [text, id, text, id, ..., text]
        for k in range(1, len(pieces), 2):
            pieces[k] = token(int(pieces[k]))
        return b"".join(pieces)

    def _walk(self, root: int) -> bytes:
        """:meth:`entity_hash` of ``root``, one entity at a time."""
        self.text  # noqa: B018 - resolves a deferred text once
        memo = self._memo
        # Iterative post-order walk: graphs may be deep (boolean result chains).
        # Reference cycles (malformed files) are cut: a back-reference is "@cycle".
        visiting: set[int] = set()
        missing: set[int] = set()
        stack: list[tuple[int, bytes | None]] = [(root, None)]
        while stack:
            eid, text = stack.pop()
            if eid in memo or eid in missing:
                continue
            if text is None:
                if eid in visiting:
                    continue
                try:
                    text = self._body(eid)
                except RuntimeError:  # a dangling reference
                    missing.add(eid)
                    continue
                visiting.add(eid)
                pending = [r for r in map(int, _refs_in(text))
                           if r not in memo and r not in visiting and r not in missing]
                if pending:
                    stack.append((eid, text))
                    stack.extend((r, None) for r in pending)
                    continue
            visiting.discard(eid)
            memo[eid] = _leaf(self._replaced(text, visiting))
        return memo.get(root, b"\0" * _DIGEST_SIZE)

    def geometry(self, element: ifcopenshell.entity_instance) -> str:
        """Geometry fingerprint: representation + world placement + openings voiding it."""
        parts = [
            b"geometry/6",
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
        psets = get_psets_safely(element, should_inherit=True)
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


#: Fewest graphs worth a helper process for (a fork of a large process and
#: sending the digests back cost tens of milliseconds).
_MIN_PARALLEL_ROOTS = 2048


def _geometry_roots(elements: Iterable[ifcopenshell.entity_instance]) -> list[int]:
    """The STEP ids :meth:`Fingerprinter.geometry` hashes for ``elements``."""
    roots: list[int] = []
    for element in elements:
        for ref in (getattr(element, "Representation", None),
                    getattr(element, "ObjectPlacement", None)):
            if ref is not None:
                roots.append(ref.id())
        for opening in _openings(element):
            for ref in (opening.Representation, opening.ObjectPlacement):
                if ref is not None:
                    roots.append(ref.id())
    return roots


def _hashed(fingerprinter: Fingerprinter, roots: list[int]) -> bytes:
    """In a forked child: hash ``roots``; every digest made here, as bytes
    (count, the ids, the digests)."""
    before = set(fingerprinter._memo)
    fingerprinter.prepare(roots)
    return encode_digests([(e, d) for e, d in fingerprinter._memo.items() if e not in before])


def _refs_in(text: bytes) -> list[bytes]:
    """The ids (digits) of the references in canonical text, outside string literals."""
    if b"#" not in text:
        return []
    if b"'" in text:
        return [m.group(1) for m in _TOKEN.finditer(text) if m.group(1)]
    return _REF.findall(text)


def _openings(element: ifcopenshell.entity_instance) -> list[ifcopenshell.entity_instance]:
    """The openings voiding ``element`` (what a malformed file puts there that
    is not one is left out; the element is a geometry failure already)."""
    rels = getattr(element, "HasOpenings", None) or ()
    found = (getattr(r, "RelatedOpeningElement", None) for r in rels)
    return [o for o in found if o is not None and o.is_a("IfcFeatureElementSubtraction")]
