"""Elements whose geometry cannot be read, found before they are meshed.

IfcOpenShell reads a reference to an entity that is not in the file as
``None``, drops it from a list, and does not check that a reference has the
type the schema asks for. Meshing or fingerprinting such an element would
fail deep inside (or, worse, measure what is left of it). So before an
element is meshed, :class:`Screen` gives the reason it cannot be, or
``None``:

* its representation, its placement (up the ``PlacementRelTo`` chain), or an
  opening that voids it, uses an entity that refers to one not in the file
  (:attr:`~bimcheck.stepcheck.Integrity.dangling`, found from the file's text
  before the parse), or that holds a number that is not finite
  (:attr:`~bimcheck.stepcheck.Integrity.non_finite`: the kernel loops on
  them); found by walking up from those entities, so it costs nothing for a
  sound file;
* its ``Representation`` is not an ``IfcProductRepresentation`` of
  ``IfcRepresentation`` s, or its ``ObjectPlacement`` is not an
  ``IfcObjectPlacement``;
* its body nests booleans deeper than :data:`MAX_BOOLEAN_DEPTH`;
* a local placement in its chain has no ``IfcAxis2Placement``, or the chain
  loops.

Such an element becomes a geometry failure (GlobalId, class, reason) in every
output's coverage; the rest of the model is checked.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator

import ifcopenshell

from bimcheck.stepcheck import Integrity

#: Deepest ``PlacementRelTo`` chain followed.
MAX_PLACEMENT_DEPTH: int = 256

#: Deepest nesting of boolean results meshed (the kernel recurses through
#: them: 20,000 levels take it minutes). Real models nest a few.
MAX_BOOLEAN_DEPTH: int = 64

#: Most boolean operations of one body, each shared operand counted once per
#: use (the kernel does not share the work: a tree of 4,096 unions of one
#: solid with itself took it 65 s). Real models have a few dozen.
MAX_BOOLEAN_OPERATIONS: int = 512

#: Most representations one element's representation maps, each use of a
#: mapped representation counted (the boolean check follows them; a map of
#: itself never ends); past it the element is a failure.
MAX_MAPPED_REPRESENTATIONS: int = 10_000

#: Entities visited walking up from the broken ones, at most.
MAX_TAINT_VISITS: int = 5_000_000


class Screen:
    """The reasons elements of one file cannot be meshed (see the module doc)."""

    def __init__(self, ifc: ifcopenshell.file, integrity: Integrity) -> None:
        self._ifc = ifc
        self._placements: dict[int, str | None] = {}
        self._bodies: dict[int, str | None] = {}  # representation id -> its boolean problem
        self._booleans: dict[int, tuple[int, int]] = {}  # boolean id -> (depth, operations)
        self._tainted = (_tainted_products(ifc, integrity)
                         if integrity.dangling or integrity.unread or integrity.non_finite
                         else {})

    def reason(self, product: ifcopenshell.entity_instance) -> str | None:
        """Why ``product``'s geometry cannot be read, or ``None``."""
        tainted = self._tainted.get(product.id())
        if tainted is not None:
            return tainted
        shape = getattr(product, "Representation", None)
        if shape is not None:
            if not _is(shape, "IfcProductRepresentation"):
                return f"its Representation is {_what(shape)}, not an IfcProductRepresentation"
            reps = shape.Representations
            if not isinstance(reps, tuple) or not all(_is(r, "IfcRepresentation") for r in reps):
                return "its representation's Representations are not all IfcRepresentation"
            for rep in reps:
                if not isinstance(rep.Items, tuple):
                    return f"representation #{rep.id()} has {_what(rep.Items)} as its Items"
            # Any representation, whatever type it declares, and those its
            # mapped items bring in: a boolean chain under 'SweptSolid' took
            # the kernel 10 s.
            for rep in reps:
                if rep.id() not in self._bodies:
                    self._bodies[rep.id()] = self._boolean_problem(rep)
                if self._bodies[rep.id()] is not None:
                    return self._bodies[rep.id()]
        placement = getattr(product, "ObjectPlacement", None)
        if placement is not None:
            problem = self._placement(placement)
            if problem is not None:
                return problem
        for rel in getattr(product, "HasOpenings", None) or ():
            opening = getattr(rel, "RelatedOpeningElement", None)
            if not _is(opening, "IfcFeatureElementSubtraction"):
                return f"an opening that voids it is {_what(opening)}"
            if opening.id() != product.id():
                problem = self.reason(opening)
                if problem is not None:
                    return f"an opening that voids it, #{opening.id()}: {problem}"
        return None

    def _boolean_problem(self, rep: ifcopenshell.entity_instance) -> str | None:
        """What is wrong with the booleans of ``rep`` and of what it maps."""
        items = list(_items((rep,)))
        if items and items[-1] is None:
            return (f"its body maps representations more than {MAX_MAPPED_REPRESENTATIONS} "
                    "times, or maps itself")
        total = 0  # over every item of the body, each mapped use counted
        for item in items:
            top = _boolean(item)
            if top is None:
                continue
            depth, operations = _boolean_extent(top, self._booleans)
            if depth > MAX_BOOLEAN_DEPTH:
                return (f"its body nests booleans deeper than {MAX_BOOLEAN_DEPTH} levels, "
                        "or in a loop")
            total += operations
            if total > MAX_BOOLEAN_OPERATIONS:
                return (f"its body has more than {MAX_BOOLEAN_OPERATIONS} boolean operations "
                        "(shared operands counted at each use)")
        return None

    def _placement(self, placement: object) -> str | None:
        chain: list[int] = []
        seen: set[int] = set()
        current = placement
        reason: str | None = None
        while current is not None:
            if not _is(current, "IfcObjectPlacement"):
                reason = f"its placement is {_what(current)}, not an IfcObjectPlacement"
                break
            pid = current.id()
            if pid in self._placements:
                reason = self._placements[pid]
                break
            if pid in seen or len(chain) >= MAX_PLACEMENT_DEPTH:
                reason = f"its placement chain loops or is deeper than {MAX_PLACEMENT_DEPTH}"
                break
            seen.add(pid)
            chain.append(pid)
            reason = _local_problem(current)
            if reason is not None:
                break
            current = getattr(current, "PlacementRelTo", None)
        for pid in chain:
            self._placements[pid] = reason
        return reason


def _local_problem(placement: ifcopenshell.entity_instance) -> str | None:
    """What is wrong with one placement's own position, or ``None``. (Its
    coordinates are not checked here: a mesh placed at non-finite or absurd
    coordinates is refused when it is placed, :data:`~bimcheck.limits.MAX_COORDINATE_M`.)"""
    if not placement.is_a("IfcLocalPlacement"):
        return None  # grid and linear placements: left to the kernel
    relative = placement.RelativePlacement
    if not _is(relative, "IfcPlacement"):
        return f"placement #{placement.id()} has {_what(relative)} as its RelativePlacement"
    return None


def _tainted_products(ifc: ifcopenshell.file, integrity: Integrity) -> dict[int, str]:
    """STEP id of every product whose geometry uses an entity that refers to a
    missing one, or holds a number that is not finite -> the reason, naming
    that entity (walking up the inverse references)."""
    origin: dict[int, str] = {}
    for missing in sorted(integrity.dangling):
        for eid in integrity.dangling[missing]:
            origin.setdefault(eid, f"its geometry refers to #{missing}, which is not in the file")
    for unread in sorted(integrity.unread):
        for eid in integrity.unread[unread]:
            origin.setdefault(eid, f"its geometry refers to #{unread}, which the parser could "
                                   "not read")
    for eid in integrity.non_finite:
        origin.setdefault(eid, f"its geometry uses #{eid}, which holds a number that is not "
                               "finite")
    queue: deque[tuple[ifcopenshell.entity_instance, str]] = deque()
    seen: set[int] = set()
    for eid, why in origin.items():
        try:
            entity = ifc.by_id(eid)
        except RuntimeError:
            continue
        if (entity.is_a("IfcProduct") and getattr(entity, "ObjectPlacement", None) is not None
                and getattr(entity, "Representation", None) is not None):
            continue  # what it misses is not its shape or placement (an owner history...)
        queue.append((entity, why))
        seen.add(eid)
    tainted: dict[int, str] = {}
    visits = 0
    while queue and visits < MAX_TAINT_VISITS:
        entity, why = queue.popleft()
        visits += 1
        if entity.is_a("IfcRelationship"):
            continue  # properties, containment...: not geometry
        if entity.is_a("IfcProduct"):
            tainted.setdefault(entity.id(), why)
            # An opening's shape is cut from its host; a product's placement
            # is its children's (walked up through IfcLocalPlacement below).
            if entity.is_a("IfcOpeningElement"):
                for rel in getattr(entity, "VoidsElements", None) or ():
                    host = getattr(rel, "RelatingBuildingElement", None)
                    if host is not None and host.id() not in seen:
                        seen.add(host.id())
                        queue.append((host, why))
            continue
        try:
            parents = ifc.get_inverse(entity)
        except RuntimeError:  # an entity removed with a relationship set aside
            continue
        for parent in parents:
            pid = parent.id()
            if pid not in seen:
                seen.add(pid)
                queue.append((parent, why))
    return tainted


def _items(reps: tuple) -> Iterator[ifcopenshell.entity_instance | None]:
    """The items of ``reps`` and of the representations their mapped items
    map, once per use (a representation mapped twice gives its items twice,
    as the kernel meshes them twice); ``None`` last when there are more than
    :data:`MAX_MAPPED_REPRESENTATIONS` uses (the rest are not walked: a map
    of itself ends there)."""
    queue = list(reps)
    uses = 0
    while queue:
        items = getattr(queue.pop(), "Items", None)
        for item in items if isinstance(items, tuple) else ():
            if not _is(item, "IfcMappedItem"):
                yield item
                continue
            mapped = getattr(getattr(item, "MappingSource", None), "MappedRepresentation", None)
            if _is(mapped, "IfcRepresentation"):
                uses += 1
                if uses > MAX_MAPPED_REPRESENTATIONS:
                    yield None
                    return
                queue.append(mapped)


def _boolean(value: object) -> ifcopenshell.entity_instance | None:
    """The boolean result ``value`` is, or an ``IfcCsgSolid`` wraps; else ``None``."""
    if _is(value, "IfcCsgSolid"):
        value = getattr(value, "TreeRootExpression", None)
    return value if _is(value, "IfcBooleanResult") else None


def _operands(node: ifcopenshell.entity_instance) -> list[ifcopenshell.entity_instance]:
    found = (_boolean(getattr(node, "FirstOperand", None)),
             _boolean(getattr(node, "SecondOperand", None)))
    return [o for o in found if o is not None]


def _boolean_extent(item: ifcopenshell.entity_instance,
                    known: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """``(depth, operations)`` of the booleans under ``item``: the longest
    chain (1 for a boolean of two solids) and the operations the kernel does,
    a shared operand counted at each use. Each is one past its limit
    (:data:`MAX_BOOLEAN_DEPTH`, :data:`MAX_BOOLEAN_OPERATIONS`) as soon as it
    is known to be over it, and the depth is when the booleans loop (the
    kernel would never finish). ``known`` holds the answers of earlier
    calls, by boolean id."""
    too_deep, too_many = MAX_BOOLEAN_DEPTH + 1, MAX_BOOLEAN_OPERATIONS + 1
    path: set[int] = set()  # the booleans from item down to the one being walked
    stack: list[tuple[ifcopenshell.entity_instance, bool]] = [(item, False)]
    while stack:
        node, finished = stack.pop()
        nid = node.id()
        if finished:
            path.discard(nid)
            below = [known[o.id()] for o in _operands(node)]
            depth = 1 + max((d for d, _ in below), default=0)
            operations = min(too_many, 1 + sum(n for _, n in below))
            known[nid] = (depth, operations)
            if depth >= too_deep or operations >= too_many:
                return known[nid]
            continue
        if nid in known:
            continue
        if nid in path or len(path) >= too_deep:
            return (too_deep, too_many)
        path.add(nid)
        stack.append((node, True))
        stack.extend((o, False) for o in _operands(node) if o.id() not in known)
    return known[item.id()]


def _is(value: object, ifc_class: str) -> bool:
    return isinstance(value, ifcopenshell.entity_instance) and value.is_a(ifc_class)


def _what(value: object) -> str:
    if isinstance(value, ifcopenshell.entity_instance):
        return f"#{value.id()} {value.is_a()}"
    return "missing" if value is None else type(value).__name__


def _finite(values: object) -> bool:
    if not isinstance(values, tuple) or not values:
        return False
    try:
        return all(isinstance(v, (int, float)) and math.isfinite(float(v)) for v in values)
    except (TypeError, ValueError, OverflowError):
        return False
