"""The one registry of check kinds, of every family.

Each family module registers its kinds (and its pack-level fields) into
:data:`REGISTRY` when it is imported; :func:`load_kinds` imports them all, then
any plugin published under the ``bimcheck.kinds`` entry-point group (flake8's
plugin finder is the model), so the loader and ``run_checks`` see every kind.

A kind's ``run`` and ``select`` may be given as ``"module:function"`` strings,
resolved on first use, so that registering a kind imports nothing heavy.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from bimcheck.packs.schema import KindRegistry

REGISTRY = KindRegistry()

#: Modules that register the built-in kinds, in report order.
FAMILY_MODULES: tuple[str, ...] = (
    "bimcheck.health.kinds",
    "bimcheck.properties.kinds",
    "bimcheck.ids.kind",
    "bimcheck.clash.rules",
    "bimcheck.qto.rules",
    "bimcheck.qto.checks",
    "bimcheck.crane.kinds",
)

_loaded = False


def load_kinds() -> KindRegistry:
    """:data:`REGISTRY` with every built-in kind and every installed plugin's."""
    global _loaded
    if not _loaded:
        _loaded = True
        for name in FAMILY_MODULES:
            importlib.import_module(name)
        for ep in entry_points(group="bimcheck.kinds"):
            ep.load()
    return REGISTRY


def resolve(ref: Callable[..., Any] | str | None) -> Callable[..., Any] | None:
    """A kind's ``run`` or ``select``: the callable itself, or the function a
    ``"module:function"`` string names."""
    if ref is None or callable(ref):
        return ref
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)
