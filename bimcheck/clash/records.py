"""The plain data the clash checks pass around and return.

Lengths in metres, volumes in m³, points in world coordinates (metres).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from bimcheck.findings import ElementRef

if TYPE_CHECKING:  # the records of a served report load no geometry kernel
    from bimcheck.geometry.mesh import Mesh
    from bimcheck.geometry.query import Overlap


class Subject:
    """An element as the pair tests see it: its class, its mesh, whether the
    exact solid test can run on it (closed or repairable, valid manifold), its
    geometry fingerprint (None when unknown) and the index of its model.

    ``ref``, ``exact`` and ``fingerprint`` may be given as functions: the
    report's element description (storey, discipline...) is then only worked
    out for elements that clash, the solid check and the fingerprint only for
    elements of pairs that reach the narrow phase.
    """

    __slots__ = ("_exact", "_fingerprint", "_ref", "ifc_class", "mesh", "model_index", "shared",
                 "tested")

    def __init__(
        self,
        ref: ElementRef | Callable[[], ElementRef],
        mesh: Mesh,
        exact: bool | Callable[[], bool],
        fingerprint: str | Callable[[], str | None] | None = None,
        model_index: int = 0,
        ifc_class: str | None = None,
    ) -> None:
        self._ref = ref
        self.mesh = mesh
        self._exact = exact
        self.tested = False  # set when a pair test has run on it
        self._fingerprint = fingerprint
        self.model_index = model_index
        #: id(other subject) -> (other, the solid shared with it): see :func:`shared_solid`.
        self.shared: dict[int, tuple[Subject, Overlap]] = {}
        if ifc_class is None:
            ifc_class = self.ref.ifc_class
        self.ifc_class = ifc_class

    @property
    def exact(self) -> bool:
        """Whether the exact solid test can run (worked out when first asked)."""
        if callable(self._exact):
            self._exact = bool(self._exact())
        return self._exact

    @exact.setter
    def exact(self, value: bool) -> None:
        self._exact = value

    @property
    def fingerprint(self) -> str | None:
        """The geometry fingerprint, worked out when first asked (if given as a function)."""
        if callable(self._fingerprint):
            self._fingerprint = self._fingerprint()
        return self._fingerprint

    @property
    def ref(self) -> ElementRef:
        if not isinstance(self._ref, ElementRef):
            self._ref = self._ref()
        return self._ref


def shared_solid(a: Subject, b: Subject) -> Overlap:
    """The solid ``a`` and ``b`` share (:func:`~bimcheck.geometry.query.overlap`
    of their meshes, in that order), intersected once per run: the rules of a
    pack often test one pair several times (a duplicate rule and a hard rule
    over the same members, a hard rule and a clearance rule over the same
    pipes and slabs), and the intersection is most of a pair test's time.
    Kept on ``a`` (subjects live for one run)."""
    found = a.shared.get(id(b))
    if found is not None and found[0] is b:
        return found[1]
    from bimcheck.geometry.query import overlap

    solid = overlap(a.mesh, b.mesh)
    a.shared[id(b)] = (b, solid)
    return solid


@dataclass(frozen=True)
class PairResult:
    """What a pair test found.

    ``relation``: ``hard``, ``touching``, ``clearance`` or ``duplicate``.
    ``overlap_volume`` (m³) and ``penetration_depth`` (m) are None when the
    triangle fallback ran (``exact`` False). ``distance`` in m. ``location``
    (m): where to look; ``point_a``/``point_b``: closest points (m) on the
    two elements, when measured.
    """

    relation: str
    exact: bool
    overlap_volume: float | None
    penetration_depth: float | None
    distance: float
    location: np.ndarray
    point_a: np.ndarray | None = None
    point_b: np.ndarray | None = None


    @classmethod
    def sharing(cls, shared: Overlap, relation: str = "hard") -> PairResult:
        """Two solids sharing volume: the overlap's volume, width as the depth,
        centroid as the location; distance 0."""
        return cls(relation=relation, exact=True, overlap_volume=shared.volume,
                   penetration_depth=shared.width, distance=0.0, location=shared.centroid)

    @classmethod
    def touching(cls, point: np.ndarray) -> PairResult:
        """Two solids in contact at ``point`` without shared volume."""
        return cls(relation="touching", exact=True, overlap_volume=0.0,
                   penetration_depth=0.0, distance=0.0, location=point)

    @classmethod
    def by_triangles(cls, point: np.ndarray, relation: str = "hard") -> PairResult:
        """Surfaces meeting at ``point`` where a mesh is not a solid: no volume
        or depth can be measured (``exact`` False)."""
        return cls(relation=relation, exact=False, overlap_volume=None,
                   penetration_depth=None, distance=0.0, location=point)


def _point(p: np.ndarray | None) -> list[float] | None:
    return None if p is None else [float(x) for x in p]


@dataclass
class Clash:
    """One clash: a rule, an ordered pair (``a`` has the smaller GlobalId) and
    what was measured. ``severity`` is the rule's after the magnitude bands."""

    key: str
    rule: str
    kind: str
    severity: str
    a: ElementRef
    b: ElementRef
    found: PairResult
    storey: str | None
    group: str = ""

    def as_dict(self) -> dict:
        f = self.found
        return {
            "key": self.key, "rule": self.rule, "kind": self.kind, "relation": f.relation,
            "severity": self.severity, "group": self.group, "exact": f.exact,
            "a": self.a.as_dict(), "b": self.b.as_dict(),
            "overlap_volume": f.overlap_volume, "penetration_depth": f.penetration_depth,
            "distance": f.distance, "location": _point(f.location),
            "point_a": _point(f.point_a), "point_b": _point(f.point_b),
            "storey": self.storey,
        }


@dataclass
class Group:
    """Clashes of one rule that belong together: caused by one element
    (``by="element"``), near each other within a storey (``"cluster"``), or a
    clash on its own (``"single"``)."""

    id: str
    rule: str
    by: str
    element: str | None
    storey: str | None
    clashes: list[str]
    elements: list[str]
    severity: str
    location: np.ndarray

    def as_dict(self) -> dict:
        return {
            "id": self.id, "rule": self.rule, "by": self.by, "element": self.element,
            "storey": self.storey, "clashes": self.clashes, "elements": self.elements,
            "severity": self.severity, "location": _point(self.location),
            "size": len(self.clashes),
        }


@dataclass
class RuleCoverage:
    """What one rule looked at: elements its selectors matched (and of those,
    how many have a mesh), broad-phase candidate pairs, pairs tested in the
    narrow phase, pairs skipped by each ignore rule, clashes found."""

    rule: str
    a_matched: int = 0
    b_matched: int = 0
    a_meshed: int = 0
    b_meshed: int = 0
    candidates: int = 0
    tested: int = 0
    ignored: dict[str, int] = field(default_factory=dict)
    clashes: int = 0

    def as_dict(self) -> dict:
        return {
            "rule": self.rule, "a_matched": self.a_matched, "b_matched": self.b_matched,
            "a_meshed": self.a_meshed, "b_meshed": self.b_meshed,
            "candidates": self.candidates, "tested": self.tested,
            "ignored": dict(sorted(self.ignored.items())), "clashes": self.clashes,
        }
