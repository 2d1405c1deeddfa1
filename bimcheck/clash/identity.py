"""Stable identities for clashes and clash groups.

A clash's key depends only on the rule id, the kind and the *sorted* GlobalId
pair, never on A/B order, list position or run: the same clash has the same
key in every revision, so statuses, waivers and BCF topics follow it.
"""

from __future__ import annotations

from bimcheck.findings import digest, finding_key


def clash_key(rule_id: str, kind: str, global_id_a: str, global_id_b: str) -> str:
    """32 hex characters (BLAKE2b-128) of the rule id, the kind and the sorted
    pair: the :func:`~bimcheck.findings.finding_key` of the pair."""
    return finding_key(rule_id, kind, (global_id_a, global_id_b))


def group_id(rule_id: str, by: str, anchor: str) -> str:
    """16 hex characters identifying a group: the rule, how it was formed
    (``element``, ``cluster``, ``single``) and its anchor (the causing element's
    GlobalId, or the smallest member clash key)."""
    return digest(["group/1", rule_id, by, anchor], 8)
