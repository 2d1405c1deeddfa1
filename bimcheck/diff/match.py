"""One-to-one, deterministic matching of the elements of two revisions.

Three stages, each on what the previous ones left unmatched:

1. ``global_id``: the same GlobalId in both models;
2. ``shape_placement``: where an exporter re-issued GlobalIds, the same class,
   the same shape (the representation graph's hash, placement excluded; where
   the hashes differ, the same mesh in the element's frame) and the same world
   placement within :data:`~bimcheck.units.DIFF_PLACEMENT_TOLERANCE_M` and
   :data:`~bimcheck.units.DIFF_ROTATION_TOLERANCE_RAD`;
3. ``name_position``: the same class and Name (or Tag), centres at most
   :data:`~bimcheck.units.DIFF_MATCH_DISTANCE_M` apart, nearest first.

Within a stage, candidate pairs are taken in order of (distance, data
differs, name differs, old GlobalId, new GlobalId), each element at most
once: the result never depends on file order or hash seeds.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bimcheck.diff.shapes import local_vertices, same_shape
from bimcheck.diff.snapshot import ElementState, ModelSnapshot
from bimcheck.geometry.mesh import Mesh
from bimcheck.units import (
    DIFF_MATCH_DISTANCE_M,
    DIFF_PLACEMENT_TOLERANCE_M,
    DIFF_ROTATION_TOLERANCE_RAD,
)

#: Placement origins are bucketed on this grid (m) to find equal placements fast.
_CELL_M = 1e-3


@dataclass(frozen=True, order=True)
class Match:
    """A pair (or a lone element): old and new GlobalId, and the stage that matched them."""

    old: str | None
    new: str | None
    matched_by: str | None


def rotation_angle(a: np.ndarray, b: np.ndarray) -> float:
    """Angle in radians of the rotation taking the frame of ``a`` to that of ``b`` (4 × 4)."""
    r = a[:3, :3].T @ b[:3, :3]
    cos = (float(np.trace(r)) - 1.0) / 2.0
    return float(np.arccos(min(1.0, max(-1.0, cos))))


def same_placement(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """Whether two world placements are equal within the diff's tolerances."""
    if a is None or b is None:
        return a is None and b is None
    if float(np.linalg.norm(a[:3, 3] - b[:3, 3])) > DIFF_PLACEMENT_TOLERANCE_M:
        return False
    return rotation_angle(a, b) <= DIFF_ROTATION_TOLERANCE_RAD


def _data_key(state: ElementState) -> str:
    """The element's data as one string (made once per state)."""
    if state.data_key is None:
        container = state.container
        doc = [state.attributes, state.psets, state.type and state.type.get("name"),
               state.materials, state.classifications,
               container and [container.get("ifc_class"), container.get("name")]]
        state.data_key = json.dumps(doc, sort_keys=True, default=str)
    return state.data_key


def _twins(old: dict[str, ElementState], new: dict[str, ElementState], taken_old: set[str],
           taken_new: set[str], key: Callable[[ElementState], tuple]) -> list[Match]:
    """Elements alike in everything a match can see (key, placement to 1e-7,
    data, name) paired in GlobalId order, without comparing every pair: a
    model with hundreds of identical co-located elements (a steel model's
    bolts) would otherwise make a candidate of each pair."""

    def exact(s: ElementState) -> tuple:
        p = None if s.placement is None else np.round(s.placement, 7).tobytes()
        return (key(s), p, _data_key(s), s.name)

    buckets: dict[tuple, tuple[list[str], list[str]]] = {}
    for side, states, taken in ((0, old, taken_old), (1, new, taken_new)):
        for gid in sorted(states):
            if gid not in taken:
                buckets.setdefault(exact(states[gid]), ([], []))[side].append(gid)
    out = []
    for olds, news in buckets.values():
        if len(olds) > 1 or len(news) > 1:  # a lone pair goes through the usual test
            for o, n in zip(olds, news, strict=False):
                taken_old.add(o)
                taken_new.add(n)
                out.append(Match(o, n, "shape_placement"))
    return sorted(out)


def _pair_greedy(candidates: list[tuple[tuple, str, str]], taken_old: set[str],
                 taken_new: set[str], stage: str) -> list[Match]:
    out = []
    for _, o, n in sorted(candidates):
        if o in taken_old or n in taken_new:
            continue
        taken_old.add(o)
        taken_new.add(n)
        out.append(Match(o, n, stage))
    return out


def _cells(origin: np.ndarray | None) -> tuple[int, int, int] | None:
    if origin is None or not np.all(np.isfinite(origin)):
        return None
    return tuple(int(v) for v in np.floor(origin / _CELL_M))  # type: ignore[return-value]


def _by_placement(old: dict[str, ElementState], new: dict[str, ElementState],
                  taken_old: set[str], taken_new: set[str],
                  key: Callable[[ElementState], tuple],
                  same: Callable[[ElementState, ElementState], bool] | None = None,
                  ) -> list[Match]:
    """Pairs of one ``key`` whose world placements are equal (and ``same``)."""
    twins = _twins(old, new, taken_old, taken_new, key) if same is None else []
    grid: dict[tuple, dict[tuple[int, int, int] | None, list[ElementState]]] = {}
    for s in new.values():
        if s.global_id not in taken_new:
            grid.setdefault(key(s), defaultdict(list))[_cells(s.origin)].append(s)
    candidates = []
    for o in old.values():
        if o.global_id in taken_old:
            continue
        cells = grid.get(key(o))
        if not cells:
            continue
        home = _cells(o.origin)
        if home is None:
            near = cells.get(None, [])
        else:
            near = [s for d in itertools.product((-1, 0, 1), repeat=3)
                    for s in cells.get((home[0] + d[0], home[1] + d[1], home[2] + d[2]), [])]
        for n in near:
            if not same_placement(o.placement, n.placement) or (same and not same(o, n)):
                continue
            distance = (0.0 if o.origin is None or n.origin is None
                        else float(np.linalg.norm(o.origin - n.origin)))
            cost = (round(distance, 9), _data_key(o) != _data_key(n), o.name != n.name,
                    o.global_id, n.global_id)
            candidates.append((cost, o.global_id, n.global_id))
    return twins + _pair_greedy(candidates, taken_old, taken_new, "shape_placement")


def _by_name_position(old: dict[str, ElementState], new: dict[str, ElementState],
                      taken_old: set[str], taken_new: set[str],
                      centre: Callable[[str, ElementState], np.ndarray | None]) -> list[Match]:
    index: dict[tuple[str, str, str], list[ElementState]] = defaultdict(list)
    for s in new.values():
        if s.global_id in taken_new:
            continue
        for field_name, value in (("name", s.name), ("tag", s.tag)):
            if value:
                index[(s.ifc_class, field_name, value)].append(s)
    candidates = []
    for o in old.values():
        if o.global_id in taken_old:
            continue
        seen: set[str] = set()
        for field_name, value in (("name", o.name), ("tag", o.tag)):
            if not value:
                continue
            for n in index.get((o.ifc_class, field_name, value), []):
                if n.global_id in seen:
                    continue
                seen.add(n.global_id)
                a, b = centre("old", o), centre("new", n)
                if a is None or b is None:
                    continue
                distance = float(np.linalg.norm(a - b))
                if distance > DIFF_MATCH_DISTANCE_M:
                    continue
                both = bool(o.name and o.name == n.name and o.tag and o.tag == n.tag)
                cost = (round(distance, 9), not both, o.global_id, n.global_id)
                candidates.append((cost, o.global_id, n.global_id))
    return _pair_greedy(candidates, taken_old, taken_new, "name_position")


def match_exact(old: ModelSnapshot, new: ModelSnapshot,
                same_definition: Callable[[ElementState, ElementState], bool] | None = None,
                coarse_key: Callable[[ElementState], tuple] | None = None,
                ) -> tuple[list[Match], set[str], set[str]]:
    """Stages 1 and 2 without meshes (by shape hash, then, with
    ``same_definition``, by representations equal within the tolerance, among
    elements of one ``coarse_key``): the matches, and the GlobalIds of each
    side still unmatched."""
    taken_old: set[str] = set()
    taken_new: set[str] = set()
    matches = []
    for gid in sorted(old.elements.keys() & new.elements.keys()):
        matches.append(Match(gid, gid, "global_id"))
        taken_old.add(gid)
        taken_new.add(gid)
    matches += _by_placement(old.elements, new.elements, taken_old, taken_new,
                             key=lambda s: (s.ifc_class, s.shape))
    if same_definition is not None:
        matches += _by_placement(old.elements, new.elements, taken_old, taken_new,
                                 key=coarse_key or (lambda s: (s.ifc_class,)),
                                 same=same_definition)
    return matches, set(old.elements) - taken_old, set(new.elements) - taken_new


def match_rest(old: ModelSnapshot, new: ModelSnapshot, old_left: set[str], new_left: set[str],
               centre: Callable[[str, ElementState], np.ndarray | None],
               mesh: Callable[[str, ElementState], Mesh | None]) -> list[Match]:
    """Stage 2 by meshes (the same class and placement, shapes whose hashes
    differ but whose meshes are the same: a re-export that formats numbers
    otherwise), stage 3 on what is left, then the unmatched as removed / added."""
    taken_old = set(old.elements) - old_left
    taken_new = set(new.elements) - new_left

    def same_mesh(o: ElementState, n: ElementState) -> bool:
        a, b = mesh("old", o), mesh("new", n)
        return a is not None and b is not None and same_shape(
            local_vertices(o, a), a, local_vertices(n, b), b)

    matches = _by_placement(old.elements, new.elements, taken_old, taken_new,
                            key=lambda s: (s.ifc_class,), same=same_mesh)
    matches += _by_name_position(old.elements, new.elements, taken_old, taken_new, centre)
    matches += [Match(g, None, None) for g in sorted(set(old.elements) - taken_old)]
    matches += [Match(None, g, None) for g in sorted(set(new.elements) - taken_new)]
    return matches
