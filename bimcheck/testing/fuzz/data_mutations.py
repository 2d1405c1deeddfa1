"""Hostile variants of YAML, CSV and XML input files (packs, lift plans,
rate tables, gate and waiver files, batch manifests, IDS files).

Structural mutations load the original (a trusted sample), change one value
somewhere in its tree (wrong type, out of range, missing, unknown, huge) and
write it back; text mutations attack the parser itself (alias bombs, deep
nesting, duplicate keys, truncation, byte flips, entities). Every mutation
is a pure function of the original and a :class:`random.Random`.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator
from typing import Any

import yaml

#: Values put where another value was: wrong types, extremes, non-numbers.
HOSTILE_VALUES: tuple[Any, ...] = (
    None, True, False, 0, -1, -0.0, 1e-300, 1e300, 10**25, -(10**25), 2**63, 0.1,
    "", "x", "999999999999999999999999", "1e999", "nan", "-inf", "=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0", "+1", "-1+2", "\u202eevil", "<script>alert(1)</script>",
    "\x00", "../../etc/passwd", "a" * 100_000, [], {}, [1, 2, 3], {"a": 1}, [[[[[]]]]],
    ["x"] * 5000, {"k": [None]}, "2026-13-45", "2026-02-30T25:61:00",
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (tuple of keys and indexes) into a loaded YAML tree."""
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node[:50]):
            out.extend(_paths(v, (*prefix, i)))
    return out


def _get(node: Any, path: tuple) -> Any:
    for k in path:
        node = node[k]
    return node


def _set(tree: Any, path: tuple, value: Any) -> Any:
    value = copy.deepcopy(value)  # never the same list or map twice (a cycle)
    if not path:
        return value
    parent = _get(tree, path[:-1])
    parent[path[-1]] = value
    return tree


def _dump(tree: Any) -> bytes:
    return yaml.safe_dump(tree, sort_keys=False, allow_unicode=True, width=10**6).encode()


def replace_value(text: bytes, rng: random.Random) -> bytes:
    """One value somewhere replaced by a hostile one."""
    tree = yaml.safe_load(text)
    path = rng.choice(_paths(tree))
    return _dump(_set(tree, path, rng.choice(HOSTILE_VALUES)))


def replace_many(text: bytes, rng: random.Random) -> bytes:
    """2-6 values replaced by hostile ones."""
    tree = yaml.safe_load(text)
    for _ in range(rng.randint(2, 6)):
        path = rng.choice(_paths(tree))
        tree = _set(tree, path, rng.choice(HOSTILE_VALUES))
    return _dump(tree)


def scale_number(text: bytes, rng: random.Random) -> bytes:
    """A number multiplied by a huge, tiny, negative or zero factor."""
    tree = yaml.safe_load(text)
    numbers = [p for p in _paths(tree) if p and isinstance(_get(tree, p), (int, float))
               and not isinstance(_get(tree, p), bool)]
    if not numbers:
        return _dump(tree)
    path = rng.choice(numbers)
    factor = rng.choice([0, -1, 1e6, 1e12, 1e-9, 1e300, -1e300])
    return _dump(_set(tree, path, _get(tree, path) * factor))


def delete_key(text: bytes, rng: random.Random) -> bytes:
    """A key removed from a mapping (a required field missing)."""
    tree = yaml.safe_load(text)
    keyed = [p for p in _paths(tree) if p and isinstance(_get(tree, p[:-1]), dict)]
    if keyed:
        path = rng.choice(keyed)
        del _get(tree, path[:-1])[path[-1]]
    return _dump(tree)


def add_key(text: bytes, rng: random.Random) -> bytes:
    """An unknown key added to a mapping (a typo)."""
    tree = yaml.safe_load(text)
    maps = [p for p in _paths(tree) if isinstance(_get(tree, p), dict)]
    if maps:
        _get(tree, rng.choice(maps))[rng.choice(["colour", "Id", "severty", "x" * 300, "1"])] = 1
    return _dump(tree)


def multiply_list(text: bytes, rng: random.Random) -> bytes:
    """A list repeated to 1,000-20,000 items (many rules, lifts, points, rows)."""
    tree = yaml.safe_load(text)
    lists = [p for p in _paths(tree) if isinstance(_get(tree, p), list) and _get(tree, p)]
    if lists:
        path = rng.choice(lists)
        items = _get(tree, path)
        n = rng.choice([1000, 5000, 20000])
        tree = _set(tree, path, [items[i % len(items)] for i in range(n)])
    return _dump(tree)


def alias_bomb(text: bytes, rng: random.Random) -> bytes:
    """A billion-laughs alias bomb in front of the document's first key."""
    levels = rng.randint(6, 12)
    bomb = "".join(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}" if i else "'lol'"] * 10) + "]\n"
                   for i in range(levels))
    return bomb.encode() + text


def deep_nesting(text: bytes, rng: random.Random) -> bytes:
    """A value nested 100-100,000 levels deep."""
    n = rng.choice([100, 1000, 100_000])
    kind = rng.choice(["[", "{a: "])
    close = "]" if kind == "[" else "}"
    return text + f"\nzz: {kind * n}{close * n}\n".encode()


def duplicate_key(text: bytes, rng: random.Random) -> bytes:
    """The first top-level line repeated at the end (a key given twice)."""
    lines = text.split(b"\n")
    tops = [ln for ln in lines if ln and not ln.startswith((b" ", b"#", b"-"))]
    return text + b"\n" + (rng.choice(tops) if tops else b"a: 1") + b"\n"


def truncate(text: bytes, rng: random.Random) -> bytes:
    return text[: rng.randrange(0, max(1, len(text)))]


def flip_bytes(text: bytes, rng: random.Random) -> bytes:
    buf = bytearray(text)
    for _ in range(rng.randint(1, 10)):
        if buf:
            buf[rng.randrange(len(buf))] = rng.randrange(256)
    return bytes(buf)


def python_tag(text: bytes, rng: random.Random) -> bytes:
    """A tag that would construct an object or run a command."""
    tag = rng.choice(["!!python/object/apply:os.system ['touch /tmp/bimcheck-owned']",
                      "!!python/name:os.system", "!!binary aGVsbG8=", "!!set {a, b}",
                      "!!timestamp 2026-01-01", "!custom 1"])
    return text + f"\nzz: {tag}\n".encode()


def huge_file(text: bytes, rng: random.Random) -> bytes:
    """A file of 5-20 MB (a comment after the document)."""
    return text + b"\n#" + b"x" * rng.randint(5 << 20, 20 << 20) + b"\n"


def not_a_mapping(text: bytes, rng: random.Random) -> bytes:
    return rng.choice([b"", b"~", b"[]", b"- a\n- b\n", b"42", b"'text'", b"\xff\xfe\x00",
                       b"---\na: 1\n---\nb: 2\n"])


Mutation = Callable[[bytes, random.Random], bytes]

#: YAML mutations, by name.
YAML_MUTATIONS: dict[str, Mutation] = {
    "replace-value": replace_value, "replace-many": replace_many, "scale-number": scale_number,
    "delete-key": delete_key, "add-key": add_key, "multiply-list": multiply_list,
    "alias-bomb": alias_bomb, "deep-nesting": deep_nesting, "duplicate-key": duplicate_key,
    "truncate": truncate, "flip-bytes": flip_bytes, "python-tag": python_tag,
    "huge-file": huge_file, "not-a-mapping": not_a_mapping,
}

#: Mutations whose inputs take long to run: one case in five.
YAML_HEAVY = frozenset({"huge-file", "multiply-list"})


def csv_cell(text: bytes, rng: random.Random) -> bytes:
    """A cell of a CSV file replaced by a hostile value (formula, NaN, huge...)."""
    rows = [r.split(b",") for r in text.split(b"\n")]
    filled = [(i, j) for i, r in enumerate(rows) for j in range(len(r)) if r != [b""]]
    i, j = rng.choice(filled)
    value = rng.choice(HOSTILE_VALUES[:30])
    rows[i][j] = str(value).replace(",", ";").replace("\n", " ").encode()
    return b"\n".join(b",".join(r) for r in rows)


def csv_shape(text: bytes, rng: random.Random) -> bytes:
    """Rows with too many or too few cells, a header dropped or doubled, a BOM, CRs."""
    lines = text.split(b"\n")
    choice = rng.randrange(6)
    if choice == 0:
        lines = lines[1:]
    elif choice == 1:
        lines = [lines[0], *lines]
    elif choice == 2:
        lines = [ln + b",extra,cells" for ln in lines]
    elif choice == 3:
        lines = [ln.rsplit(b",", 1)[0] for ln in lines]
    elif choice == 4:
        return b"\xef\xbb\xbf" + b"\r\n".join(lines)
    else:
        lines = lines * rng.choice([100, 10_000])
    return b"\n".join(lines)


#: CSV mutations (rate tables), by name.
CSV_MUTATIONS: dict[str, Mutation] = {
    "cell": csv_cell, "cell-again": csv_cell, "shape": csv_shape, "truncate": truncate,
    "flip-bytes": flip_bytes, "huge-file": huge_file,
}


def xml_entities(text: bytes, rng: random.Random) -> bytes:
    """An external entity (a local file, a URL) or a billion-laughs bomb in a DTD."""
    dtds = [
        b'<!DOCTYPE ids [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        b'<!DOCTYPE ids [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">]>',
        b'<!DOCTYPE ids [' + b"".join(
            b'<!ENTITY l%d "%s">' % (i, b"&l%d;" % (i - 1) * 10 if i else b"lol")
            for i in range(10)) + b']>',
        b'<!DOCTYPE ids SYSTEM "http://127.0.0.1:9/ids.dtd">',
    ]
    dtd = rng.choice(dtds)
    ref = b"&xxe;" if b"xxe" in dtd else b"&l9;"
    head, sep, rest = text.partition(b"?>")
    body = rest.replace(b"<ids:title>", b"<ids:title>" + ref, 1)
    return head + sep + b"\n" + dtd + body


def xml_break(text: bytes, rng: random.Random) -> bytes:
    """Unclosed tags, deep nesting, a huge attribute, wrong root, truncation."""
    choice = rng.randrange(5)
    if choice == 0:
        return text.replace(b"</ids:specifications>", b"", 1)
    if choice == 1:
        return text.replace(b"<ids:specifications>",
                            b"<ids:specifications>" + b"<a>" * 50_000 + b"</a>" * 50_000, 1)
    if choice == 2:
        return text.replace(b'name="', b'name="' + b"N" * 1_000_000, 1)
    if choice == 3:
        return b"<?xml version='1.0'?><html><body>not ids</body></html>"
    return truncate(text, rng)


#: XML mutations (IDS files), by name.
XML_MUTATIONS: dict[str, Mutation] = {
    "entities": xml_entities, "break": xml_break, "flip-bytes": flip_bytes,
    "truncate": truncate,
}


def mutants(data: bytes, mutations: dict[str, Mutation], count: int, *, seed: int = 0,
            heavy: frozenset[str] = frozenset()) -> Iterator[tuple[str, bytes]]:
    """``count`` mutants of ``data``: ``(mutation/serial, bytes)``, cycling
    through ``mutations``; those in ``heavy`` one time in five."""
    names = list(mutations)
    rng = random.Random(seed)
    k = made = 0
    while made < count:
        name = names[k % len(names)]
        k += 1
        if name in heavy and (k // len(names)) % 5:
            continue
        yield f"{name}/{made}", mutations[name](data, random.Random(rng.getrandbits(64)))
        made += 1
