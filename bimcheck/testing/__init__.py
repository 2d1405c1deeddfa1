"""Helpers for building small IFC models in code, with known answers.

Used by ``samples/build_samples.py`` and by unit tests (DESIGN.md habit 10:
tests build tiny models in code and assert hand-computed answers). Nothing in
here is used by the bimcheck library itself.
"""

from __future__ import annotations

from bimcheck.testing.ifcfactory import (
    FIXED_TIMESTAMP,
    GUID_NAMESPACE,
    Box,
    ModelFactory,
    Round,
    deterministic_guid,
)

__all__ = [
    "FIXED_TIMESTAMP",
    "GUID_NAMESPACE",
    "Box",
    "ModelFactory",
    "Round",
    "deterministic_guid",
]
