"""Revisions that change only how a model is written, not what it says:
renumbered STEP ids (:func:`renumber`) and reformatted real numbers
(:func:`reformat_reals`). Used by :mod:`bimcheck.testing.revisions`.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import ifcopenshell

#: A STEP string literal (kept as it is) or a real number (it has a '.').
_TOKEN = re.compile(
    rb"('(?:[^']|'')*')"
    rb"|(?<![A-Za-z0-9_.#])([-+]?\d+\.\d*(?:[Ee][-+]?\d+)?)"
)


def renumber(src: Path, dst: Path, seed: int = 1) -> int:
    """Write ``src`` again as a fresh IfcOpenShell file whose entities were
    added in a shuffled order (``random.Random(seed)``), so nearly every STEP
    id and the order of the lines differ; the header is kept. Returns the
    number of entities."""
    f = ifcopenshell.open(str(src))
    new = ifcopenshell.file(schema=f.schema_identifier)
    new.assign_header_from(f)
    ids = sorted(e.id() for e in f)
    random.Random(seed).shuffle(ids)
    for i in ids:
        new.add(f.by_id(i))
    dst.parent.mkdir(parents=True, exist_ok=True)
    new.write(str(dst))
    return len(ids)


def reformat_reals(src: Path, dst: Path, noise: float = 1e-12) -> tuple[int, float]:
    """Rewrite every real number in the DATA section of ``src`` (outside string
    literals): alternately in exponent form with 17 significant digits (the
    same double, e.g. ``2.5000000000000000E-01`` for ``0.25``) and, for a
    non-zero one, scaled by ``1 + noise`` in shortest form (``6.000000000006``
    for ``6.`` with noise 1e-12; with noise 0 also the exponent form).
    Zeros become ``0.0``. Returns (reals rewritten, largest relative change)."""
    data = src.read_bytes()
    cut = data.index(b"DATA;")
    end = data.rindex(b"ENDSEC;")
    count = 0
    worst = 0.0

    def sub(m: re.Match[bytes]) -> bytes:
        nonlocal count, worst
        if m.group(1) is not None:
            return m.group(1)
        count += 1
        v = float(m.group(2))
        if v == 0.0:
            return b"0.0"
        if count % 2 or noise == 0.0:
            return f"{v:.16E}".encode()
        w = v * (1.0 + noise)
        worst = max(worst, abs(w - v) / abs(v))
        text = repr(w)
        if "." not in text:  # 1e-05 -> 1.E-05: a STEP real needs its point
            mant, _, exp = text.partition("e")
            text = f"{mant}.E{exp}" if exp else f"{mant}."
        return text.upper().encode()

    body = _TOKEN.sub(sub, data[cut:end])
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(data[:cut] + body + data[end:])
    return count, worst
