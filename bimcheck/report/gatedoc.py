"""Reading the ``gate`` section of a check report (the dict of ``bimcheck check``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def gate_active(gate: Mapping[str, Any] | None) -> bool:
    """Whether the report was gated by a policy that can fail: a ``fail_on``
    severity or per-rule maxima (``--fail-on`` or a gate file)."""
    policy = (gate or {}).get("policy") or {}
    return policy.get("fail_on") is not None or bool(policy.get("max_per_rule"))
