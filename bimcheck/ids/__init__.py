"""IDS 1.0 (buildingSMART Information Delivery Specification) checking.

:func:`load_ids` reads and validates an ``.ids`` file (XSD and the IDS 1.0
rules the XSD cannot express); :func:`check_ids` checks a
:class:`bimcheck.model.Model` against it and returns an :class:`IdsResult`
with one :class:`IdsFailure` per failing specification x requirement x entity.
Facets are evaluated by IfcOpenShell's ifctester, corrected where it departs
from IDS 1.0 (see :mod:`bimcheck.ids.facets` and :mod:`bimcheck.ids.values`).
"""

from __future__ import annotations

import importlib
from typing import Any

#: Where each name lives: imported on first use, so that registering the
#: ``ids`` kind (:mod:`bimcheck.ids.kind`) does not import ifctester.
_NAMES = {
    "IdsFailure": "bimcheck.ids.check",
    "IdsResult": "bimcheck.ids.check",
    "check_ids": "bimcheck.ids.check",
    "IdsDocument": "bimcheck.ids.load",
    "IdsSpecification": "bimcheck.ids.load",
    "load_ids": "bimcheck.ids.load",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'bimcheck.ids' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
