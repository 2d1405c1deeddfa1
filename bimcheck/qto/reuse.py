"""Quantity rows reused element by element: a warm takeoff, or a revision in
which a few elements changed, measures only what changed.

Each element's rows (with its skipped quantities and warnings) are stored
under a digest of everything its measuring reads (:func:`element_keys`):

* bimcheck's code (:func:`bimcheck.results.code_digest`: any change to a
  quantity function is a miss), the tessellation settings and the model's
  length unit;
* the rules that select it: id, selector, item and quantities (function,
  params, factor, unit), not their names, docs or pack file;
* its geometry: the mesh cache keys of its net and gross meshes (digests of
  its geometry fingerprint, :meth:`~bimcheck.fingerprint.Fingerprinter.geometry`:
  its representation, placement and openings, free of STEP ids), or the
  fingerprint itself for an element without a mesh; and those of its parts
  (an aggregate measured on its parts) and of its host (an opening measured
  on the element it voids);
* what a row shows of it (:meth:`~bimcheck.model.Model.describe`: name,
  type, storey, material, classification), its own attribute values (the
  overall width and height of doors and windows...), and its material's
  density where a rule weighs it.

Entries live in one SQLite file under the result cache,
``<cache root>/results/v1/rows.sqlite``: key, then the zlib-compressed JSON
of the element's rows (:func:`bimcheck.results.encode`, floats exact, so a
reused row renders to the same bytes). An entry that does not read is a
miss; a store that cannot be opened or written turns reuse off for the run
with a warning, and the takeoff goes on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import ifcopenshell

from bimcheck.geometry.cache import MeshCache
from bimcheck.keystore import KeyStore
from bimcheck.model import Model
from bimcheck.packs.schema import Rule
from bimcheck.qto.functions import Measure, material_density
from bimcheck.qto.rules import rule_quantities

log = logging.getLogger(__name__)

#: Bump when a stored element's rows would render otherwise than fresh ones.
FORMAT = 1

#: Quantity functions that read the material's density.
_WEIGHING = frozenset({"weight", "gross_weight"})

#: What one element's measuring gave: rows, skipped quantities, warnings.
Measured = tuple[list[Any], list[tuple[str, str, str, str]], list[str]]


class RowStore(KeyStore):
    """The per-element row entries under a mesh cache's root (module docstring)."""

    FILE = "rows.sqlite"
    TABLE = "rows"

    def encode(self, value: Measured) -> bytes:
        return _encode(value)

    def decode(self, body: bytes) -> Measured | None:
        return _decode(body)


def store_usage(cache: MeshCache) -> tuple[int, int]:
    """(elements with stored rows, bytes of the store) of ``cache``."""
    return RowStore.usage(cache)


def clear_store(cache: MeshCache) -> int:
    """Delete the row store (and SQLite's side files); how many elements it held."""
    return RowStore.clear(cache)


def element_keys(
    model: Model,
    fingerprinter: Any,
    jobs: Sequence[tuple[Rule, ifcopenshell.entity_instance]],
    measures: Mapping[str, Measure],
    parts_of: Mapping[int, Sequence[ifcopenshell.entity_instance]],
    settings_key: str,
    net_keys: Mapping[str, str] | None = None,
    gross_keys: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """``{GlobalId: key}`` of every element of ``jobs`` (see the module
    docstring). ``net_keys`` and ``gross_keys`` are the mesh cache keys of the
    tessellation (:attr:`~bimcheck.geometry.tessellate.Geometry.keys`)."""
    from bimcheck.results import canonical, code_digest

    net_keys = net_keys or {}
    gross_keys = gross_keys or {}
    rule_text: dict[str, str] = {}
    rules_of: dict[str, list[Rule]] = {}
    elements: dict[str, ifcopenshell.entity_instance] = {}
    for rule, element in jobs:
        if rule.id not in rule_text:
            rule_text[rule.id] = json.dumps(canonical(_what_rows_read(rule)), sort_keys=True)
        rules_of.setdefault(element.GlobalId, []).append(rule)
        elements[element.GlobalId] = element
    base = json.dumps([FORMAT, code_digest(), settings_key, model.length_scale]).encode()

    def geometry_of(element: ifcopenshell.entity_instance) -> bytes:
        """The element's net and gross mesh keys (digests of its geometry
        fingerprint: known without fingerprinting when the tessellator found
        them in its key index), else its geometry fingerprint."""
        gid = element.GlobalId
        if gid in net_keys:
            return f"{net_keys[gid]}/{gross_keys.get(gid, '')}".encode()
        return str(fingerprinter.geometry(element)).encode()

    keys: dict[str, str] = {}
    for gid, element in elements.items():
        rules = rules_of[gid]
        h = hashlib.blake2b(base, digest_size=20)
        for rule in rules:
            h.update(rule_text[rule.id].encode())
        h.update(geometry_of(element))
        for part in parts_of.get(element.id(), ()):
            h.update(b"part" + geometry_of(part))
        measure = measures.get(gid)
        if measure is not None and measure.host is not None:
            h.update(b"host" + geometry_of(measure.host.element))
        h.update(repr(model.describe(element)).encode())  # strings and tuples of them
        h.update(json.dumps(_attributes(element), sort_keys=True).encode())
        if any(s.function in _WEIGHING for r in rules for s in rule_quantities(r)):
            h.update(repr(material_density(element)).encode())
        keys[gid] = h.hexdigest()
    return keys


def _what_rows_read(rule: Rule) -> list[Any]:
    """The parts of a rule its rows depend on (not its name, docs or pack file)."""
    return [rule.id, rule.kind, rule.a, rule.b, rule.params, rule.extra]


def _attributes(element: ifcopenshell.entity_instance) -> list[Any]:
    """The element's own attribute values that are plain data (references
    are covered by the fingerprint and the description)."""
    out: list[Any] = [element.is_a()]
    for name, value in element.get_info(recursive=False, include_identifier=False).items():
        if name in ("type", "OwnerHistory"):
            continue
        if value is None or isinstance(value, bool | int | float | str):
            out.append([name, value])
        elif isinstance(value, tuple) and all(
                isinstance(v, bool | int | float | str) for v in value):
            out.append([name, list(value)])
    return out


def _encode(measured: Measured) -> bytes:
    from bimcheck.results import encode

    rows, skipped, warnings = measured
    text = json.dumps({"rows": encode(list(rows)), "skipped": [list(s) for s in skipped],
                       "warnings": list(warnings)}, sort_keys=True, separators=(",", ":"))
    return zlib.compress(text.encode(), 1)


def _decode(body: Any) -> Measured | None:
    from bimcheck.results import decode

    try:
        data = json.loads(zlib.decompress(bytes(body)))
        rows = decode(data["rows"])
        skipped = [(str(a), str(b), str(c), str(d)) for a, b, c, d in data["skipped"]]
        warnings = [str(w) for w in data["warnings"]]
    except (zlib.error, ValueError, TypeError, KeyError):
        return None
    if not isinstance(rows, list):
        return None
    return rows, skipped, warnings
