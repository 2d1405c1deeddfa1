"""Hostile and broken variants of a STEP (.ifc) file, made from its text.

Every mutation is a pure function of the original bytes and a
:class:`random.Random`, so a seed reproduces a case exactly. :data:`MUTATIONS`
names them; :func:`mutants` yields ``(name, bytes)`` for a number of cases,
cycling through the mutations so that every kind is covered.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator

_ENTITY = re.compile(rb"^#(\d+)\s*=\s*([A-Z0-9_]+)\s*\((.*)\);\s*$", re.M)
_REF = re.compile(rb"#(\d+)")
_FLOAT = re.compile(rb"(?<![#\w.])-?\d+\.\d*(?:E[-+]?\d+)?")
_STRING = re.compile(rb"'(?:[^']|'')*'")

Mutation = Callable[[bytes, random.Random], bytes]


def _split(data: bytes) -> tuple[bytes, list[bytes], bytes]:
    """Header (through ``DATA;``), entity lines, and the rest (``ENDSEC;`` on)."""
    start = data.index(b"DATA;") + len(b"DATA;")
    end = data.rindex(b"ENDSEC;")
    body = [ln for ln in data[start:end].split(b"\n") if ln.strip()]
    return data[:start] + b"\n", body, data[end:]


def _join(head: bytes, lines: list[bytes], tail: bytes) -> bytes:
    return head + b"\n".join(lines) + b"\n" + tail


def _entities(lines: list[bytes]) -> list[tuple[int, int, bytes, bytes]]:
    """``(line index, id, class, args)`` of every entity line."""
    out = []
    for i, ln in enumerate(lines):
        m = _ENTITY.match(ln)
        if m:
            out.append((i, int(m.group(1)), m.group(2), m.group(3)))
    return out


def _max_id(lines: list[bytes]) -> int:
    return max((e[1] for e in _entities(lines)), default=0)


def truncate(data: bytes, rng: random.Random) -> bytes:
    """Cut the file at a random byte (maybe keeping a forged trailer)."""
    cut = data[: rng.randrange(1, len(data))]
    return cut + (b"\nENDSEC;\nEND-ISO-10303-21;\n" if rng.random() < 0.5 else b"")


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    """Replace 1-20 random bytes of the DATA section by random bytes."""
    buf = bytearray(data)
    start = data.index(b"DATA;") + 5
    for _ in range(rng.randint(1, 20)):
        buf[rng.randrange(start, len(buf) - 30)] = rng.randrange(256)
    return bytes(buf)


def delete_lines(data: bytes, rng: random.Random) -> bytes:
    """Delete 1-5 entity lines: what referred to them dangles."""
    head, lines, tail = _split(data)
    for _ in range(rng.randint(1, 5)):
        if lines:
            lines.pop(rng.randrange(len(lines)))
    return _join(head, lines, tail)


def rewire_reference(data: bytes, rng: random.Random) -> bytes:
    """Point 1-5 references at another entity (a wrong type), at the entity
    itself (a self-reference) or at the entity that refers to it (a cycle)."""
    head, lines, tail = _split(data)
    ents = [e for e in _entities(lines) if _REF.search(e[3])]
    ids = [e[1] for e in _entities(lines)]
    for _ in range(rng.randint(1, 5)):
        i, eid, cls, args = rng.choice(ents)
        refs = list(_REF.finditer(args))
        m = rng.choice(refs)
        target = rng.choice([eid, rng.choice(ids), int(m.group(1)) + 1])
        args = args[: m.start()] + b"#%d" % target + args[m.end():]
        lines[i] = b"#%d=%s(%s);" % (eid, cls, args)
    return _join(head, lines, tail)


def enormous_string(data: bytes, rng: random.Random) -> bytes:
    """Replace a string by one of 100 kB-2 MB."""
    strings = list(_STRING.finditer(data, data.index(b"DATA;")))
    m = rng.choice(strings)
    big = b"'" + bytes([rng.choice(b"AZaz09 ")]) * rng.randint(100_000, 2_000_000) + b"'"
    return data[: m.start()] + big + data[m.end():]


def bad_number(data: bytes, rng: random.Random) -> bytes:
    """Replace 1-5 real numbers by huge, tiny, overflowing or non-number tokens."""
    tokens = [b"1.E308", b"-1.E308", b"1.E400", b"-1.E400", b"1.E-320", b"0.", b"-0.",
              b"-INF", b"INF", b"NAN", b"1.E99999999999", b"9" * 400 + b".", b"1.5E"]
    floats = list(_FLOAT.finditer(data, data.index(b"DATA;")))
    for _ in range(rng.randint(1, 5)):
        m = rng.choice(floats)
        data = data[: m.start()] + rng.choice(tokens) + data[m.end():]
        floats = list(_FLOAT.finditer(data, data.index(b"DATA;")))
    return data


def bad_schema(data: bytes, rng: random.Random) -> bytes:
    """Replace the FILE_SCHEMA line by a missing, empty, null or unknown schema."""
    forms = [b"FILE_SCHEMA($);", b"FILE_SCHEMA(());", b"FILE_SCHEMA(('IFC9'));",
             b"FILE_SCHEMA(('')));", b"FILE_SCHEMA(*);", b"FILE_SCHEMA(('IFC4','IFC2X3'));",
             b"FILE_SCHEMA((#1));", b"FILE_SCHEMA(('IFC4X3_ADD9'));", b"",
             b"FILE_SCHEMA(('" + b"X" * 5000 + b"'));", b"FILE_SCHEMA((.T.));",
             b"FILE_SCHEMA(('IFC4');"]
    return re.sub(rb"FILE_SCHEMA\([^;]*\);", lambda _: rng.choice(forms), data, count=1)


def bad_header(data: bytes, rng: random.Random) -> bytes:
    """Break FILE_DESCRIPTION or FILE_NAME (null, empty, wrong arity), or drop HEADER."""
    forms = [(rb"FILE_DESCRIPTION\([^;]*\);", b"FILE_DESCRIPTION($);"),
             (rb"FILE_NAME\([^;]*\);", b"FILE_NAME($,$,$,$,$,$,$);"),
             (rb"FILE_NAME\([^;]*\);", b"FILE_NAME();"),
             (rb"FILE_NAME\([^;]*\);", b""),
             (rb"HEADER;", b""),
             (rb"ENDSEC;", b"")]
    pattern, repl = rng.choice(forms)
    return re.sub(pattern, lambda _: repl, data, count=1)


def bad_extrusion(data: bytes, rng: random.Random) -> bytes:
    """Give extrusions zero, negative, tiny or huge depth, or a null direction."""
    def mutate(m: re.Match[bytes]) -> bytes:
        args = m.group(2).rsplit(b",", 1)
        depth = rng.choice([b"0.", b"-1.", b"1.E-300", b"1.E300", b"$"])
        return m.group(1) + args[0] + b"," + depth + b");"
    return re.sub(rb"(IFCEXTRUDEDAREASOLID\()(.*)\);", mutate, data)


def zero_direction(data: bytes, rng: random.Random) -> bytes:
    """Make directions zero-length or non-numbers."""
    forms = [b"IFCDIRECTION((0.,0.,0.));", b"IFCDIRECTION(());", b"IFCDIRECTION($);",
             b"IFCDIRECTION((1.E308,1.E308,1.E308));"]
    return re.sub(rb"IFCDIRECTION\([^;]*\);", lambda _: (rng.choice(forms) if rng.random() < 0.3
                                                         else _.group(0)), data)


def huge_polyline(data: bytes, rng: random.Random) -> bytes:
    """Add a profile of 50,000-200,000 points and make an extrusion use it."""
    head, lines, tail = _split(data)
    ents = _entities(lines)
    solids = [e for e in ents if e[2] == b"IFCEXTRUDEDAREASOLID"]
    if not solids:
        return data
    n = rng.randint(50_000, 200_000)
    nid = _max_id(lines) + 1
    pts = [b"#%d=IFCCARTESIANPOINT((%.4f,%.4f));" % (nid + k, (k % 997) * 0.001, k * 1e-5)
           for k in range(n)]
    poly = b"#%d=IFCPOLYLINE((%s));" % (nid + n, b",".join(b"#%d" % (nid + k) for k in range(n)))
    prof = b"#%d=IFCARBITRARYCLOSEDPROFILEDEF(.AREA.,$,#%d);" % (nid + n + 1, nid + n)
    i, eid, cls, args = rng.choice(solids)
    parts = args.split(b",", 1)
    lines[i] = b"#%d=%s(#%d,%s);" % (eid, cls, nid + n + 1, parts[1])
    return _join(head, lines + pts + [poly, prof], tail)


def many_references(data: bytes, rng: random.Random) -> bytes:
    """A polyline of 100,000-300,000 references to one point."""
    head, lines, tail = _split(data)
    solids = [e for e in _entities(lines) if e[2] == b"IFCEXTRUDEDAREASOLID"]
    if not solids:
        return data
    nid = _max_id(lines) + 1
    n = rng.randint(100_000, 300_000)
    extra = [b"#%d=IFCCARTESIANPOINT((0.,0.));" % nid,
             b"#%d=IFCPOLYLINE((%s));" % (nid + 1, b",".join([b"#%d" % nid] * n)),
             b"#%d=IFCARBITRARYCLOSEDPROFILEDEF(.AREA.,$,#%d);" % (nid + 2, nid + 1)]
    i, eid, cls, args = rng.choice(solids)
    lines[i] = b"#%d=%s(#%d,%s);" % (eid, cls, nid + 2, args.split(b",", 1)[1])
    return _join(head, lines + extra, tail)


def nested_booleans(data: bytes, rng: random.Random) -> bytes:
    """Replace an extrusion in a representation by a chain of 200-20,000 booleans."""
    head, lines, tail = _split(data)
    ents = _entities(lines)
    solids = [e for e in ents if e[2] == b"IFCEXTRUDEDAREASOLID"]
    reps = [e for e in ents if e[2] == b"IFCSHAPEREPRESENTATION"]
    if not solids or not reps:
        return data
    depth = rng.choice([200, 2000, 20_000])
    base = rng.choice(solids)[1]
    nid = _max_id(lines) + 1
    chain = []
    prev = base
    for k in range(depth):
        op = rng.choice([b".DIFFERENCE.", b".UNION.", b".INTERSECTION."])
        chain.append(b"#%d=IFCBOOLEANRESULT(%s,#%d,#%d);" % (nid + k, op, prev, base))
        prev = nid + k
    i, eid, cls, args = rng.choice(reps)
    args = re.sub(rb"\(#\d+[^)]*\)\s*$", b"(#%d)" % prev, args)
    lines[i] = b"#%d=%s(%s);" % (eid, cls, args)
    return _join(head, lines + chain, tail)


def nonsense_units(data: bytes, rng: random.Random) -> bytes:
    """Make the length unit EXA metres, a conversion unit without its factor,
    a unit of the wrong kind, or drop the unit assignment."""
    forms = [
        (rb"IFCSIUNIT\(\*,\.LENGTHUNIT\.,[^,]*,", b"IFCSIUNIT(*,.LENGTHUNIT.,.EXA.,"),
        (rb"IFCSIUNIT\(\*,\.LENGTHUNIT\.,[^,]*,", b"IFCSIUNIT(*,.LENGTHUNIT.,.ATTO.,"),
        (rb"IFCSIUNIT\(\*,\.LENGTHUNIT\.,[^,]*,\.METRE\.\)",
         b"IFCCONVERSIONBASEDUNIT(*,.LENGTHUNIT.,'foot',$)"),
        (rb"IFCSIUNIT\(\*,\.LENGTHUNIT\.,[^,]*,\.METRE\.\)",
         b"IFCSIUNIT(*,.LENGTHUNIT.,$,.SECOND.)"),
        (rb"IFCUNITASSIGNMENT\([^;]*\);", b"IFCUNITASSIGNMENT(());"),
        (rb"IFCUNITASSIGNMENT\([^;]*\);", b"IFCUNITASSIGNMENT($);"),
        (rb"IFCSIUNIT\(\*,\.PLANEANGLEUNIT\.,[^;]*;",
         b"IFCCONVERSIONBASEDUNIT(*,.PLANEANGLEUNIT.,'degree',$);"),
    ]
    pattern, repl = rng.choice(forms)
    return re.sub(pattern, lambda _: repl, data, count=1)


def duplicate_ids(data: bytes, rng: random.Random) -> bytes:
    """Give 1-3 entity lines the id of another entity."""
    head, lines, tail = _split(data)
    ents = _entities(lines)
    for _ in range(rng.randint(1, 3)):
        i, _eid, cls, args = rng.choice(ents)
        other = rng.choice(ents)[1]
        dup = b"#%d=%s(%s);" % (other, cls, args)
        lines.insert(rng.randrange(len(lines) + 1), dup) if rng.random() < 0.5 else None
        lines[i] = dup
    return _join(head, lines, tail)


def bad_escapes(data: bytes, rng: random.Random) -> bytes:
    """Put broken or extreme STEP string escapes (\\X2\\, \\X4\\, \\S\\, \\P) in strings."""
    forms = [b"\\X2\\00", b"\\X2\\D800\\X0\\", b"\\X4\\0010FFFF\\X0\\", b"\\X4\\FFFFFFFF\\X0\\",
             b"\\X\\", b"\\X\\G", b"\\S\\", b"\\PZ\\", b"\\X2\\" + b"0041" * 20000 + b"\\X0\\",
             b"\\", b"\\X2\\004", b"\\X0\\", b"\x00", b"\xff\xfe"]
    strings = list(_STRING.finditer(data, data.index(b"DATA;")))
    for _ in range(rng.randint(1, 4)):
        m = rng.choice(strings)
        inner = m.group(0)[1:-1]
        cut = rng.randint(0, len(inner))
        new = b"'" + inner[:cut] + rng.choice(forms) + inner[cut:] + b"'"
        data = data[: m.start()] + new + data[m.end():]
        strings = list(_STRING.finditer(data, data.index(b"DATA;")))
    return data


def wrong_arity(data: bytes, rng: random.Random) -> bytes:
    """Drop or add attributes of 1-5 entities, or give one a class that does not exist."""
    head, lines, tail = _split(data)
    ents = _entities(lines)
    for _ in range(rng.randint(1, 5)):
        i, eid, cls, args = rng.choice(ents)
        choice = rng.random()
        if choice < 0.4:
            args = args.rsplit(b",", 1)[0]
        elif choice < 0.8:
            args = args + b",$,#%d" % eid
        else:
            cls = b"IFCNOSUCHTHING"
        lines[i] = b"#%d=%s(%s);" % (eid, cls, args)
    return _join(head, lines, tail)


#: Every mutation, by name.
MUTATIONS: dict[str, Mutation] = {
    "truncate": truncate,
    "flip-bytes": flip_bytes,
    "delete-lines": delete_lines,
    "rewire-reference": rewire_reference,
    "enormous-string": enormous_string,
    "bad-number": bad_number,
    "bad-schema": bad_schema,
    "bad-header": bad_header,
    "bad-extrusion": bad_extrusion,
    "zero-direction": zero_direction,
    "huge-polyline": huge_polyline,
    "many-references": many_references,
    "nested-booleans": nested_booleans,
    "nonsense-units": nonsense_units,
    "duplicate-ids": duplicate_ids,
    "bad-escapes": bad_escapes,
    "wrong-arity": wrong_arity,
}

#: Mutations whose files are large (tens of MB): run fewer of them.
HEAVY: frozenset[str] = frozenset({"huge-polyline", "many-references"})


def mutants(data: bytes, count: int, *, seed: int = 0,
            only: tuple[str, ...] | None = None) -> Iterator[tuple[str, bytes]]:
    """``count`` mutants of ``data``: ``(mutation/serial, bytes)``, cycling
    through :data:`MUTATIONS` (or ``only``); heavy ones one time in five."""
    names = list(only or MUTATIONS)
    rng = random.Random(seed)
    k = 0
    made = 0
    while made < count:
        name = names[k % len(names)]
        k += 1
        if name in HEAVY and only is None and (k // len(names)) % 5:
            continue
        case_rng = random.Random(rng.getrandbits(64))
        yield f"{name}/{made}", MUTATIONS[name](data, case_rng)
        made += 1
