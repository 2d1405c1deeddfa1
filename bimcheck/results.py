"""Whole results of a command, cached by the bytes of its inputs: an unchanged
file is not parsed again.

A command whose result depends only on its input files and options (``info``,
``qto``) looks the result up under a key made of the command, bimcheck's and
its geometry libraries' versions, the digest of bimcheck's own source
(:func:`code_digest`), the BLAKE2b digests of the model files' bytes and the
options (packs as their loaded content). ``qto`` and ``clash`` with pack files
look it up first by the bytes of the models and of the pack files
(:mod:`bimcheck.qto.served`, :mod:`bimcheck.clash.served`), so that an
unchanged run loads no pack. On a hit, the result is
rebuilt from the entry and the model is a :class:`~bimcheck.model.Model` made
from the facts stored with it (schema, units, application, GlobalIds): it is
parsed only if something asks for more. On a miss, the command runs as always
and stores its result.

Entries live under ``<cache root>/results/v1/<key[:2]>/<key>.json.z``: the
result as JSON (floats written exactly, so the rebuilt result renders to the
same bytes), zlib-compressed, ending in a BLAKE2b checksum; a short, garbled
or failing entry is deleted and treated as a miss. Writes are atomic (temp
file and rename), as the mesh cache's. Only the dataclasses registered in
:data:`_TYPES` are rebuilt from an entry: nothing in it is executed.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import importlib
import importlib.metadata
import json
import logging
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bimcheck.geometry.cache import MeshCache, clear_folder, folder_usage, write_atomic

log = logging.getLogger(__name__)

#: Bump when a cached result would render otherwise than a fresh one.
RESULT_FORMAT = 2

_DIR = "results/v1"
_CHECKSUM_SIZE = 16

#: Dataclasses an entry may hold, by tag (module, class name).
_TYPES = {
    "Row": ("bimcheck.qto.records", "Row"),
    "Deduction": ("bimcheck.qto.records", "Deduction"),
    "Mismatch": ("bimcheck.qto.records", "Mismatch"),
    "Failure": ("bimcheck.geometry.records", "Failure"),
    "TessellationStats": ("bimcheck.geometry.records", "TessellationStats"),
    "Storey": ("bimcheck.model", "Storey"),
    "ElementRef": ("bimcheck.findings", "ElementRef"),
    "Finding": ("bimcheck.findings", "Finding"),
    "Quantity": ("bimcheck.findings", "Quantity"),
    "Clash": ("bimcheck.clash.records", "Clash"),
    "PairResult": ("bimcheck.clash.records", "PairResult"),
    "Group": ("bimcheck.clash.records", "Group"),
    "RuleCoverage": ("bimcheck.clash.records", "RuleCoverage"),
    "Band": ("bimcheck.clash.rules", "Band"),
    "Grouping": ("bimcheck.clash.rules", "Grouping"),
}


_CODE_DIGEST: str | None = None


def code_digest() -> str:
    """BLAKE2b of bimcheck's own source files (paths and bytes): any change to
    the code, released or not, makes every cached result a miss."""
    global _CODE_DIGEST
    if _CODE_DIGEST is None:
        root = Path(__file__).resolve().parent
        h = hashlib.blake2b(digest_size=20)
        for path in sorted(root.rglob("*.py")):
            h.update(path.relative_to(root).as_posix().encode() + b"\0")
            h.update(path.read_bytes())
        _CODE_DIGEST = h.hexdigest()
    return _CODE_DIGEST


def _versions() -> dict[str, str]:
    from bimcheck import __version__

    out = {"bimcheck": __version__, "format": str(RESULT_FORMAT), "code": code_digest()}
    for dist in ("ifcopenshell", "manifold3d", "numpy", "python-fcl"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = ""
    return out


def canonical(value: Any) -> Any:
    """``value`` (rules, a lift plan: dataclasses, mappings, sequences, sets)
    as JSON-able data that is the same in every process: sets are sorted
    (their ``repr`` follows the string hash seed), mapping items too, and
    anything else is its ``repr``."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [type(value).__name__, {f.name: canonical(getattr(value, f.name))
                                       for f in dataclasses.fields(value)}]
    if isinstance(value, set | frozenset):
        return ["set", sorted((canonical(v) for v in value), key=repr)]
    if isinstance(value, Mapping):
        return ["map", sorted(([canonical(k), canonical(v)] for k, v in value.items()),
                              key=repr)]
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def result_key(command: str, digests: Sequence[str], options: Mapping[str, Any]) -> str:
    """The key of a command's result on models with these content digests,
    under these options (JSON-able; anything else by its ``repr``)."""
    doc = {"command": command, "versions": _versions(), "models": list(digests),
           "options": options}
    text = json.dumps(doc, sort_keys=True, default=repr)
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()


class ResultCache:
    """Cached results under a mesh cache's root (see the module docstring)."""

    def __init__(self, cache: MeshCache) -> None:
        self.root = cache.root / _DIR
        self.hits = self.misses = self.corrupt = 0

    def path_of(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json.z"

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry stored under ``key`` (plain JSON data), or ``None``."""
        path = self.path_of(key)
        try:
            blob = path.read_bytes()
        except OSError:
            self.misses += 1
            return None
        entry = _decode(blob)
        if entry is None:
            self.corrupt += 1
            self.misses += 1
            try:
                path.unlink()
            except OSError:
                pass
            return None
        self.hits += 1
        return entry

    def put(self, key: str, entry: Mapping[str, Any]) -> None:
        """Store ``entry`` (see :func:`encode`) atomically."""
        write_atomic(self.path_of(key), _encode(entry), "result cache entry")


    def usage(self) -> tuple[int, int]:
        """(number of results, total bytes) currently cached."""
        return folder_usage(self.root, ".json.z")

    def clear(self) -> int:
        """Delete every cached result (and stray temp files); how many results went."""
        return clear_folder(self.root, ".json.z")


@dataclasses.dataclass
class Lookup:
    """What :func:`look_up` found for one file: its digest, its cached entry
    (``None`` on a miss, or without a cache), and where a fresh one goes."""

    digest: str | None = None
    entry: dict[str, Any] | None = None
    store: ResultCache | None = None
    key: str | None = None

    def put(self, entry: Mapping[str, Any]) -> None:
        """Store a fresh result for the next run (nothing without a cache)."""
        if self.store is not None and self.key is not None:
            self.store.put(self.key, entry)


def look_up(cache: MeshCache | None, command: str, paths: Path | Sequence[Path],
            options: Mapping[str, Any]) -> Lookup:
    """The cached result of ``command`` on the file (or files, in order) at
    ``paths`` with ``options``. A missing or unreadable file, or no cache, is
    an empty :class:`Lookup` (opening the model then names the problem)."""
    files = [paths] if isinstance(paths, Path) else list(paths)
    if cache is None or not all(p.is_file() for p in files):
        return Lookup()
    from bimcheck.model import content_digest

    try:
        digests = [content_digest(p) for p in files]
    except OSError:
        return Lookup()
    store = ResultCache(cache)
    key = result_key(command, digests, options)
    return Lookup(",".join(digests), store.get(key), store, key)


def _encode(entry: Mapping[str, Any]) -> bytes:
    text = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()
    body = zlib.compress(text, 1)
    return body + hashlib.blake2b(body, digest_size=_CHECKSUM_SIZE).digest()


def _decode(blob: bytes) -> dict[str, Any] | None:
    if len(blob) <= _CHECKSUM_SIZE:
        return None
    body, checksum = blob[:-_CHECKSUM_SIZE], blob[-_CHECKSUM_SIZE:]
    if hashlib.blake2b(body, digest_size=_CHECKSUM_SIZE).digest() != checksum:
        return None
    try:
        text = zlib.decompress(body)
        # json.loads makes no reference cycle: the collector, paused, does not
        # walk the millions of objects of a large report as they are made
        # (a check report of 28,717 findings: 0.75 s -> 0.36 s)
        enabled = gc.isenabled()
        gc.disable()
        try:
            entry = json.loads(text)
        finally:
            if enabled:
                gc.enable()
    except (zlib.error, ValueError):
        return None
    return entry if isinstance(entry, dict) else None


# -- plain data of results, and back -------------------------------------------


#: Plain JSON types, by exact type (the common case, checked first).
_PLAIN = frozenset({str, int, float, bool, type(None)})

#: Field names of the registered dataclasses met so far, by class.
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def encode(value: Any) -> Any:
    """``value`` as JSON data: registered dataclasses tagged, tuples tagged, so
    that :func:`decode` gives back an equal value."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if isinstance(value, list):
        return _encode_items(value)
    if isinstance(value, tuple):
        return {"@": "tuple", "items": _encode_items(value)}
    if isinstance(value, dict):
        return _encode_dict(value)
    names = _FIELD_NAMES.get(kind)
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        if kind.__name__ not in _TYPES:
            raise TypeError(f"{kind.__name__} is not a cacheable result type")
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        out = {"@": kind.__name__}
        for name in names:
            v = getattr(value, name)
            out[name] = v if type(v) in _PLAIN else encode(v)
        return out
    if kind.__name__ == "ndarray" and value.ndim == 1 and value.dtype.kind == "f":
        return {"@": "floats", "dtype": value.dtype.str, "items": value.tolist()}
    if isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"a {type(value).__name__} is not cacheable")


def _encode_items(values: Sequence[Any]) -> list[Any]:
    """:func:`encode` of each of ``values`` (plain ones as they are, without a call)."""
    return [v if type(v) in _PLAIN else encode(v) for v in values]


def _encode_dict(value: Mapping[Any, Any]) -> dict[str, Any]:
    if not all(isinstance(k, str) for k in value):
        raise TypeError("only string keys are cacheable")
    # pairs, not an object: the entry is written with sorted keys, and a
    # mapping's order can show in a report
    return {"@": "dict",
            "items": [[k, v if type(v) in _PLAIN else encode(v)] for k, v in value.items()]}


def decode(data: Any) -> Any:
    """The value :func:`encode` made ``data`` of; ValueError for anything else."""
    kind = type(data)
    if kind is list:
        return [v if type(v) in _PLAIN else decode(v) for v in data]
    if kind is not dict:
        return data
    tag = data.get("@")
    if tag == "tuple":
        return tuple([v if type(v) in _PLAIN else decode(v) for v in data["items"]])
    if tag == "dict":
        return {str(k): v if type(v) in _PLAIN else decode(v) for k, v in data["items"]}
    if tag == "floats":
        import numpy as np

        if data["dtype"] not in ("<f8", "<f4"):
            raise ValueError(f"unknown array type {data['dtype']!r} in a cached result")
        return np.array([float(v) for v in data["items"]], dtype=np.dtype(data["dtype"]))
    found = _DECODERS.get(tag) if isinstance(tag, str) else None
    if found is None:
        if tag not in _TYPES:
            raise ValueError(f"unknown type {tag!r} in a cached result")
        cls = _type(tag)
        found = _DECODERS[tag] = (cls, frozenset(f.name for f in dataclasses.fields(cls)))
    cls, names = found
    fields = {k: v if type(v) in _PLAIN else decode(v) for k, v in data.items() if k != "@"}
    if fields.keys() != names:
        raise ValueError(f"a cached {tag} has other fields than {sorted(names)}")
    return cls(**fields)


#: Class and field names of each registered tag met so far.
_DECODERS: dict[str, tuple[Callable[..., Any], frozenset[str]]] = {}


def _type(tag: str) -> Callable[..., Any]:
    module, name = _TYPES[tag]
    return getattr(importlib.import_module(module), name)


def model_facts(model: Any) -> dict[str, Any]:
    """What a result cached for ``model`` needs of it to render and to be
    recorded, without parsing it again."""
    return {
        "schema": model.schema,
        "schema_identifier": model.schema_identifier,
        "length_unit": model.length_unit,
        "length_scale": model.length_scale,
        "application": model.application,
        "global_ids": sorted(model.global_ids()),
        "products": model.product_count,
    }


def models_from_facts(facts: Sequence[Any], paths: Sequence[Path], digests: str) -> list[Any]:
    """The :class:`~bimcheck.model.Model` of each file at ``paths``, made from
    the facts stored with a cached result (not parsed); ``digests`` is the
    :class:`Lookup`'s comma-joined digests. ValueError when they do not match."""
    from bimcheck.model import Model

    split = digests.split(",")
    if len(facts) != len(paths) or len(split) != len(paths):
        raise ValueError(f"{len(facts)} models stored, {len(paths)} asked for")
    return [Model.from_facts(Path(p), f, d) for p, f, d in zip(paths, facts, split, strict=True)]
