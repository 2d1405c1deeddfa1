"""Quantity takeoff: quantity functions measured from geometry (:mod:`.functions`),
with the threshold-aware ``deducted_*`` ones of :mod:`.deductions` registered too.

The names below are resolved on first use (PEP 562): importing a submodule
such as :mod:`.records` does not load the functions, IfcOpenShell or the
geometry engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["FUNCTIONS", "Measure", "QuantityFunction", "quantity"]


def default_qto_pack_path() -> Path:
    """The shipped IFC base quantities pack, ``rules/qto/ifc-base.yaml``."""
    from bimcheck.packs.loader import builtin_rules_dir

    return builtin_rules_dir() / "qto" / "ifc-base.yaml"


def __getattr__(name: str) -> Any:
    if name in __all__:
        from bimcheck.qto import deductions as _deductions  # noqa: F401  (registers deducted_*)
        from bimcheck.qto import functions

        return getattr(functions, name)
    raise AttributeError(f"module 'bimcheck.qto' has no attribute {name!r}")
