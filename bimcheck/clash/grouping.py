"""Deterministic grouping of the clashes of one rule.

1. **By element.** An element that causes at least ``min_element_clashes``
   clashes anchors a group of them (one duct through five walls is one group).
   Elements are taken by number of clashes (most first), then GlobalId; each
   clash joins at most one group, and an element anchors a group only if it
   still has enough clashes not claimed by an earlier anchor.
2. **By place.** The remaining clashes of one storey whose locations lie
   within ``radius`` metres of each other (single linkage) form a cluster.
3. What is left stands alone (``single``).

Group ids hash the rule, how the group was formed and its anchor (the element's
GlobalId, or the smallest member clash key), so they are the same in every run.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from bimcheck.clash.identity import group_id
from bimcheck.clash.records import Clash, Group
from bimcheck.packs.schema import severity_rank


def group_clashes(
    clashes: list[Clash], *, radius: float, min_element_clashes: int
) -> list[Group]:
    """Groups for ``clashes`` (all of one rule); sets each clash's ``group``.

    ``radius`` in metres. Returns groups sorted by id.
    """
    groups: list[Group] = []
    if not clashes:
        return groups
    rule = clashes[0].rule
    by_key = {c.key: c for c in clashes}
    claimed: set[str] = set()

    per_element: dict[str, list[str]] = defaultdict(list)
    for c in clashes:
        per_element[c.a.global_id].append(c.key)
        per_element[c.b.global_id].append(c.key)
    anchors = sorted(per_element, key=lambda g: (-len(per_element[g]), g))
    for gid in anchors:
        keys = [k for k in per_element[gid] if k not in claimed]
        if len(keys) < min_element_clashes:
            continue
        claimed.update(keys)
        groups.append(_make(rule, "element", gid, [by_key[k] for k in keys]))

    rest = sorted((c for c in clashes if c.key not in claimed), key=lambda c: c.key)
    by_storey: dict[str, list[Clash]] = defaultdict(list)
    for c in rest:
        by_storey[c.storey or ""].append(c)
    for members in by_storey.values():
        for cluster in _clusters(members, radius):
            if len(cluster) == 1:
                groups.append(_make(rule, "single", None, cluster))
            else:
                groups.append(_make(rule, "cluster", None, cluster))
    groups.sort(key=lambda g: g.id)
    return groups


def _clusters(members: list[Clash], radius: float) -> list[list[Clash]]:
    """Single-linkage clusters of clashes whose locations are within ``radius`` m."""
    n = len(members)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if n > 1 and radius > 0:
        points = np.array([c.found.location for c in members], dtype=np.float64)
        order = np.argsort(points[:, 0], kind="stable")
        xs = points[order, 0]
        for pos, i in enumerate(order):
            # Sweep along x: only points within radius in x can be within radius.
            end = np.searchsorted(xs, xs[pos] + radius, side="right")
            for j in order[pos + 1 : end]:
                if np.linalg.norm(points[i] - points[j]) <= radius:
                    ri, rj = find(int(i)), find(int(j))
                    if ri != rj:
                        parent[max(ri, rj)] = min(ri, rj)
    out: dict[int, list[Clash]] = defaultdict(list)
    for i, c in enumerate(members):
        out[find(i)].append(c)
    return list(out.values())


def _make(rule: str, by: str, element: str | None, members: list[Clash]) -> Group:
    members = sorted(members, key=lambda c: c.key)
    keys = [c.key for c in members]
    gid = group_id(rule, by, element if element is not None else keys[0])
    for c in members:
        c.group = gid
    storeys = sorted({c.storey for c in members if c.storey is not None})
    elements = sorted({g for c in members for g in (c.a.global_id, c.b.global_id)})
    severity = min((c.severity for c in members), key=severity_rank)
    location = np.mean([c.found.location for c in members], axis=0)
    return Group(
        id=gid, rule=rule, by=by, element=element,
        storey=storeys[0] if len(storeys) == 1 else None,
        clashes=keys, elements=elements, severity=severity, location=location,
    )
