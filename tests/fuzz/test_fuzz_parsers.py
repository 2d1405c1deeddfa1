"""Property-based fuzzing (hypothesis, derandomised: the same examples on
every run) of the parsers that read untrusted bytes before anything else
does: the STEP envelope and header, the entity-id scan, and the bounded YAML
loader. Each either accepts its input or raises its one error type, quickly."""

from __future__ import annotations

import re
import time
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bimcheck.errors import BrokenModelError, NotIfcError, RulePackError, TruncatedModelError
from bimcheck.packs.loader import parse_yaml
from bimcheck.stepcheck import check_envelope, scan_references
from tests.conftest import SAMPLES

FUZZ = settings(max_examples=300, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

_MODEL = (SAMPLES / "qto_m.ifc").read_bytes()
_HEADER_END = _MODEL.index(b"DATA;")

_TOKENS = st.sampled_from([b"'", b"''", b"(", b")", b",", b"$", b"*", b"#1", b";", b"/*", b"*/",
                           b"'IFC4'", b"FILE_SCHEMA", b"FILE_NAME", b"ENDSEC;", b"\\X2\\",
                           b".T.", b"1.E400", b"\x00", b"\xff", b" ", b"\n"])


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "f.ifc"
    path.write_bytes(data)
    return path


@FUZZ
@given(st.lists(_TOKENS, max_size=40), st.integers(0, _HEADER_END))
def test_any_header_is_accepted_or_refused_as_not_ifc(tmp_path_factory, tokens, at):
    data = _MODEL[:at] + b"".join(tokens) + _MODEL[at:]
    path = _write(tmp_path_factory.mktemp("h"), data)
    started = time.monotonic()
    try:
        check_envelope(path, data[:512])
    except (NotIfcError, TruncatedModelError) as exc:
        assert str(path) in str(exc)
    assert time.monotonic() - started < 1


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 2**20), _TOKENS | st.binary(max_size=8)),
                max_size=20))
def test_the_id_scan_of_any_data_section_returns_or_names_a_broken_entity(tmp_path_factory,
                                                                          edits):
    data = bytearray(_MODEL)
    for pos, blob in edits:
        at = _HEADER_END + pos % (len(data) - _HEADER_END)
        data[at:at] = blob
    path = _write(tmp_path_factory.mktemp("s"), bytes(data))
    try:
        found = scan_references(path)
    except BrokenModelError as exc:
        assert re.search(r"(entity #\d+ is defined twice|more than 9 digits)", str(exc))
    else:
        assert found.entities >= 0
        assert all(refs for refs in found.dangling.values())


_YAML_TOKENS = st.sampled_from(["a", ":", " ", "\n", "- ", "[", "]", "{", "}", ",", "&x", "*x",
                                "!!python/object:os.system", "<<: ", "'", '"', "#", "---",
                                "9" * 40, ".nan", "-.inf", "~", "\t", "?", "|", ">", "%"])


@FUZZ
@given(st.lists(_YAML_TOKENS, max_size=60))
def test_any_yaml_is_data_or_one_rule_pack_error(tokens):
    text = "".join(tokens)
    started = time.monotonic()
    try:
        value = parse_yaml(text.encode(), "p.yaml")
    except RulePackError as exc:
        assert str(exc).startswith("p.yaml: ")
    else:
        # Only plain data comes out: what safe_dump can write back.
        yaml.safe_dump(value)
    assert time.monotonic() - started < 1
