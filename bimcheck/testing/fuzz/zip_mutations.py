"""Hostile .ifczip archives: bombs, path traversal, several or no models,
forged headers, unsupported methods, broken models inside.

The campaign runs ``info`` and ``clash`` on each with ``--max-file-size
10M``, so a bomb of 50-200 MB inflated is over the limit without making the
test machine write gigabytes.
"""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

from bimcheck.testing.fuzz import ifc_mutations
from bimcheck.testing.fuzz.runner import Case


def _zip(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()


def _patch_method(blob: bytes, method: int) -> bytes:
    data = bytearray(blob)
    for sig, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        at = data.find(sig)
        if at >= 0:
            data[at + offset:at + offset + 2] = method.to_bytes(2, "little")
    return bytes(data)


def make(model: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One hostile archive of the model: ``(kind, bytes)``."""
    kind = rng.choice(["bomb", "bomb-string", "traversal", "several", "empty", "no-ifc",
                       "truncated", "flipped", "deflate64", "encrypted-flag", "nested",
                       "broken-model", "stored", "huge-name"])
    if kind == "bomb":
        blob = _zip([("m.ifc", model + b" " * rng.choice([50, 100, 200]) * (1 << 20))])
    elif kind == "bomb-string":
        blob = _zip([("m.ifc", model.replace(b"'Site'", b"'" + b"A" * (60 << 20) + b"'", 1))])
    elif kind == "traversal":
        name = rng.choice(["../../evil.ifc", "/etc/evil.ifc", "..\\..\\evil.ifc", "a/../../x.ifc"])
        blob = _zip([(name, model)])
    elif kind == "several":
        blob = _zip([("a.ifc", model), ("b.IFC", model)])
    elif kind == "empty":
        blob = _zip([])
    elif kind == "no-ifc":
        blob = _zip([("readme.txt", b"hello"), ("m.ifc/", b"")])
    elif kind == "truncated":
        whole = _zip([("m.ifc", model)])
        blob = whole[: rng.randrange(4, len(whole))]
    elif kind == "flipped":
        buf = bytearray(_zip([("m.ifc", model)]))
        for _ in range(rng.randint(1, 8)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        blob = bytes(buf)
    elif kind == "deflate64":
        blob = _patch_method(_zip([("m.ifc", model)], zipfile.ZIP_STORED), 9)
    elif kind == "encrypted-flag":
        buf = bytearray(_zip([("m.ifc", model)]))
        for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            at = buf.find(sig)
            buf[at + offset] |= 1
        blob = bytes(buf)
    elif kind == "nested":
        blob = _zip([("inner.ifczip", _zip([("m.ifc", model)])), ("m.ifc", b"PK\x03\x04")])
    elif kind == "broken-model":
        name, broken = next(ifc_mutations.mutants(model, 1, seed=rng.getrandbits(32)))
        kind = f"broken-model-{name.split('/')[0]}"
        blob = _zip([("m.ifc", broken)])
    elif kind == "stored":
        blob = _zip([("m.ifc", model)], zipfile.ZIP_STORED)
    else:
        blob = _zip([("x" * 2000 + ".ifc", model)])
    return kind, blob


COMMANDS: tuple[tuple[str, ...], ...] = (
    ("info", "{model}", "--json"),
    ("clash", "{model}", "--no-history", "-o", "{out}.json"),
)


def campaign(folder: Path, count: int, seed: int) -> list[Case]:
    """``count`` hostile archives of the samples, each given to ``info`` or ``clash``."""
    from bimcheck.testing.fuzz.campaigns import COMMAND_TIMEOUT_S, samples_dir

    model = (samples_dir() / "qto_m.ifc").read_bytes()
    rng = random.Random(seed)
    cases = []
    for serial in range(count):
        kind, blob = make(model, random.Random(rng.getrandbits(64)))
        path = folder / f"z{serial:05d}.ifczip"
        path.write_bytes(blob)
        cmd = COMMANDS[serial % len(COMMANDS)]
        args = tuple(a.format(model=path, out=folder / f"o{serial:05d}") for a in cmd)
        cases.append(Case(f"ifczip/{kind}/{serial}",
                          (*args, "--max-file-size", "10M", "--timeout", str(COMMAND_TIMEOUT_S)),
                          str(folder), (("BIMCHECK_CACHE", str(folder / "cache")),)))
    return cases
