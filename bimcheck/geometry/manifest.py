"""Manifests: every element of one exact model file and the cache key of its
mesh, so that tessellating the whole of an unchanged file needs no parse.

A manifest is written after a tessellation of a whole model (every element
:meth:`~bimcheck.model.Model.elements_for_geometry` gives) with a cache. It
is named by the file's content digest and the tessellation settings, and
lists, in STEP-id order, the GlobalId, class and mesh key of each element
with a body, and the elements without one. The same bytes give the same
elements and the same keys, so a later run on a model not parsed yet
(:func:`~bimcheck.model.open_model` with ``lazy=True``) reads the meshes and
failures straight from the cache. When any entry is missing or unreadable
it does not answer, and the model is parsed and tessellated as usual.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bimcheck.geometry.cache import CachedFailure, MeshCache
from bimcheck.geometry.records import Failure, Geometry, TessellationStats

if TYPE_CHECKING:
    import ifcopenshell

    from bimcheck.geometry.mesh import Mesh
    from bimcheck.model import Model

log = logging.getLogger(__name__)

#: Bump when what a manifest lists changes.
_FORMAT = 1


def name(model: Model, settings_key: str) -> str:
    """The manifest's name for ``model``'s bytes under these settings."""
    return hashlib.blake2b(f"manifest/{_FORMAT}|{model.content_digest}|{settings_key}".encode(),
                           digest_size=20).hexdigest()


def served(model: Model, settings_key: str, cache: MeshCache) -> Geometry | None:
    """The whole model's geometry from its manifest and the cache, or ``None``
    (no manifest, or an element the cache no longer holds)."""
    t0 = time.monotonic()
    doc = cache.get_manifest(name(model, settings_key))
    if doc is None:
        return None
    try:
        with_body = [(str(g), str(c), str(k)) for g, c, k in doc["elements"]]
        without = [Failure(str(g), str(c), str(r)) for g, c, r in doc["without_body"]]
    except (KeyError, TypeError, ValueError):
        return None
    meshes: dict[str, Mesh] = {}
    failures: list[Failure] = []
    for gid, cls, key in with_body:
        entry = cache.get(key)
        if entry is None:
            log.debug("%s: the manifest's mesh %s is gone; parsing", model.path.name, key)
            return None
        if isinstance(entry, CachedFailure):
            failures.append(Failure(gid, cls, entry.reason))
        else:
            meshes[gid] = entry
    failures.sort()
    seconds = time.monotonic() - t0
    stats = TessellationStats(requested=len(with_body), from_cache=len(with_body),
                              failed=len(failures), seconds_cache=seconds,
                              seconds_tessellate=seconds)
    log.info("%s: unchanged (content digest %s): %d elements meshed from the cache without "
             "parsing the model, %d failed, %d without a body", model.path.name,
             model.content_digest[:12], len(meshes), len(failures), len(without))
    return Geometry(meshes=dict(sorted(meshes.items())), failures=failures,
                    without_body=without, stats=stats,
                    keys={gid: key for gid, _, key in with_body})


def remember(model: Model, settings_key: str, cache: MeshCache,
             with_body: Sequence[ifcopenshell.entity_instance], keys: dict[int, str],
             without_body: Sequence[Failure]) -> None:
    """Write the manifest of a whole model just tessellated (nothing when one
    is there already, or an element has no key)."""
    if any(p.id() not in keys for p in with_body):
        return
    label = name(model, settings_key)
    if cache.get_manifest(label) is not None:
        return
    doc: dict[str, Any] = {
        "format": _FORMAT,
        "elements": [[p.GlobalId, p.is_a(), keys[p.id()]] for p in with_body],
        "without_body": [[f.global_id, f.ifc_class, f.reason] for f in without_body],
    }
    cache.put_manifest(label, doc)
