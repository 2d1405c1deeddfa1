"""Hostile YAML files (packs, lift plans, gate and waiver files, rate tables,
batch manifests), special files, and .ifczip archives: each is a clear error
naming the file, quickly; none constructs an object, hangs or runs out of
memory. One test per defect of the hostile-input survey."""

from __future__ import annotations

import os
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from bimcheck.batch.manifest import load_manifest
from bimcheck.crane.plan import load_lift_plan
from bimcheck.diff.rates import load_rates
from bimcheck.errors import BimcheckError, ModelError, NotIfcError
from bimcheck.gate import load_gate, load_waivers
from bimcheck.limits import file_size_limit
from bimcheck.model import open_model
from bimcheck.packs.pack import load_pack
from tests.conftest import SAMPLES

LOADERS = {
    "pack": (load_pack, "p.yaml"),
    "lift plan": (load_lift_plan, "p.lift.yaml"),
    "gate": (load_gate, "gate.yaml"),
    "waivers": (load_waivers, "waivers.yaml"),
    "rates": (load_rates, "rates.yaml"),
    "manifest": (load_manifest, "portfolio.yaml"),
}

_BOMB = "".join(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}" if i else "x"] * 10) + "]\n"
                for i in range(9))

HOSTILE = {
    # An alias bomb: 10^9 nodes as shared lists; MemoryError or a hang before.
    "alias bomb": (_BOMB, "aliases expand to more than"),
    # RecursionError before.
    "deep nesting": ("a: " + "[" * 3000 + "]" * 3000, "nesting deeper than 64"),
    "recursive alias": ("a: &a [1, *a]\n", "refers to the node that holds it"),
    # "Exceeds the limit (4300 digits)" before.
    "huge integer": ("a: " + "7" * 5000 + "\n", "an integer of 5000 digits"),
    "duplicate key": ("a: 1\nb: 2\na: 3\n", "the key 'a' appears twice"),
    "nan": ("a: .nan\n", "is not a finite number"),
    "python tag": ("a: !!python/object/apply:os.system ['echo owned']\n", "invalid YAML"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_hostile_yaml_is_a_clear_error_in_every_loader(tmp_path, kind, case):
    load, name = LOADERS[kind]
    text, message = HOSTILE[case]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(BimcheckError) as info:
        load(path)
    assert time.monotonic() - started < 5
    assert str(path) in str(info.value) and message in str(info.value)
    assert len(str(info.value)) < 500


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_a_device_or_fifo_is_refused_without_reading_it(tmp_path, kind):
    # /dev/zero read until MemoryError (its size is 0); a FIFO blocked.
    load, _ = LOADERS[kind]
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    for path in (Path("/dev/zero"), fifo):
        started = time.monotonic()
        with pytest.raises(BimcheckError, match="not a regular file"):
            load(path)
        assert time.monotonic() - started < 2


def test_a_model_path_that_is_a_device_or_fifo_is_refused(tmp_path):
    fifo = tmp_path / "m.ifc"
    os.mkfifo(fifo)
    for path in (Path("/dev/zero"), fifo):
        with pytest.raises(ModelError, match="not a regular file"):
            open_model(path)


def test_a_model_over_the_size_limit_is_refused_unread(tmp_path):
    with file_size_limit(1000), pytest.raises(ModelError) as info:
        open_model(SAMPLES / "qto_m.ifc")
    assert "over the limit of 1000 bytes (--max-file-size)" in str(info.value)


def _zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_a_zip_bomb_is_refused_before_it_is_extracted(tmp_path):
    # A member that inflates to 64 MiB from a few kB, with a 1 MiB limit:
    # refused by its size, nothing extracted. (A member that lies about its
    # size fails its CRC check at the declared size.)
    bomb = _zip(tmp_path / "bomb.ifczip", {"m.ifc": b"ISO-10303-21;" + b" " * (64 << 20)})
    assert bomb.stat().st_size < 1 << 20
    before = set(Path(tempfile.gettempdir()).glob("bimcheck-ifczip-*"))
    with file_size_limit(1 << 20), pytest.raises(ModelError) as info:
        open_model(bomb)
    assert str(info.value) == (f"{bomb}: the ifczip member m.ifc is 64 MiB, over the limit "
                               "of 1 MiB (--max-file-size)")
    assert set(Path(tempfile.gettempdir()).glob("bimcheck-ifczip-*")) == before


def test_an_unsupported_compression_method_is_a_clear_error(tmp_path):
    # A Deflate64 member ended in NotImplementedError (exit 3).
    path = _zip(tmp_path / "d64.ifczip", {"m.ifc": (SAMPLES / "qto_m.ifc").read_bytes()},
                zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    for sig, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        at = data.index(sig)
        data[at + offset:at + offset + 2] = (9).to_bytes(2, "little")  # Deflate64
    path.write_bytes(bytes(data))
    with pytest.raises(NotIfcError, match=r"cannot extract m\.ifc"):
        open_model(path)


def test_an_archive_of_a_zip_version_not_supported_is_a_clear_error(tmp_path):
    # Found by the long fuzz run: a flipped byte made the archive need zip
    # version 7.7, and zipfile's NotImplementedError was exit 3.
    path = _zip(tmp_path / "v77.ifczip", {"m.ifc": (SAMPLES / "qto_m.ifc").read_bytes()})
    data = bytearray(path.read_bytes())
    at = data.index(b"PK\x01\x02")
    data[at + 6:at + 8] = (77).to_bytes(2, "little")  # version needed to extract
    path.write_bytes(bytes(data))
    with pytest.raises(NotIfcError, match=r"uses what bimcheck cannot read: zip file version "
                                          r"7\.7") as info:
        open_model(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(("members", "message"), [
    ({}, "holds no .ifc file"),
    ({"a.ifc": b"x", "b.ifc": b"y"}, r"holds several .ifc files \(a.ifc, b.ifc\)"),
    ({"readme.txt": b"hello"}, "holds no .ifc file"),
])
def test_an_archive_without_exactly_one_model_is_refused(tmp_path, members, message):
    with pytest.raises(NotIfcError, match=message):
        open_model(_zip(tmp_path / "a.ifczip", members))


def test_a_path_traversal_member_name_writes_nothing_outside(tmp_path):
    inner = tmp_path / "inner"
    inner.mkdir()
    path = _zip(inner / "t.ifczip", {"../../evil.ifc": (SAMPLES / "qto_m.ifc").read_bytes()})
    model = open_model(path)
    assert model.schema == "IFC4"
    assert not (tmp_path / "evil.ifc").exists() and not Path("evil.ifc").exists()
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["inner", "t.ifczip"]


def test_the_extraction_folder_of_a_killed_run_is_removed(tmp_path):
    # Each zip-bomb crash left a 3.5 GB folder in the temp dir.
    stale = Path(tempfile.gettempdir()) / "bimcheck-ifczip-999999999-test"
    stale.mkdir(exist_ok=True)
    (stale / "model.ifc").write_bytes(b"x" * 1000)
    path = _zip(tmp_path / "ok.ifczip", {"m.ifc": (SAMPLES / "qto_m.ifc").read_bytes()})
    open_model(path)
    assert not stale.exists()


@pytest.mark.parametrize("value", ["function: [x, y]", "function: {a: 1}",
                                   "function: gross_volume\n        unit: [m3]"])
def test_a_qto_function_or_unit_of_the_wrong_type_names_the_quantity(tmp_path, value):
    # "unhashable type: 'list'" (exit 3), found by the long fuzz run.
    from bimcheck.errors import RulePackError

    pack = tmp_path / "q.yaml"
    pack.write_text(
        "pack: q\nversion: 1\ndoc: d\nrules:\n  - id: Q1\n    name: volumes\n"
        "    kind: measure\n    severity: info\n    doc: {what: w, why: w, fix: f}\n"
        "    a: IfcWall\n    item: Qto_WallBaseQuantities\n    quantities:\n"
        "      GrossVolume:\n        " + value + "\n", encoding="utf-8")
    with pytest.raises(RulePackError, match="GrossVolume"):
        load_pack(pack, family="qto")


def test_an_absurd_rate_is_refused_in_its_line(tmp_path):
    # 1e+300 overflowed the money arithmetic (decimal.InvalidOperation, exit 3).
    from bimcheck.errors import RateTableError

    text = (SAMPLES / "tower.rates.csv").read_text(encoding="utf-8")
    assert ",720.00," in text
    rates = tmp_path / "r.csv"
    rates.write_text(text.replace(",720.00,", ",1e+300,", 1), encoding="utf-8")
    with pytest.raises(RateTableError, match=r"rate '1e\+300'"):
        load_rates(rates)


def test_control_characters_in_text_do_not_stop_an_xlsx(tmp_path):
    # A NUL in a description ended in openpyxl's IllegalCharacterError (exit 3).
    from openpyxl import Workbook

    from bimcheck.report.xlsxout import _put

    cell = Workbook().active.cell(1, 1)
    _put(cell, "砌块墙\x00 200 mm\x07")
    assert cell.value == "砌块墙\ufffd 200 mm\ufffd" and cell.data_type == "s"


def test_a_lift_whose_path_would_need_absurdly_many_samples_is_a_problem_of_that_lift(
        tmp_path):
    # A plan number scaled by 1e300 (the long fuzz run's case): numpy's
    # "Maximum allowed size exceeded" (exit 3) before.
    import json

    from click.testing import CliRunner

    from bimcheck.cli.main import cli
    from bimcheck.testing.fuzz import data_mutations as dm

    seed = (SAMPLES / "tower.lift.yaml").read_bytes()
    cases = dm.mutants(seed, dm.YAML_MUTATIONS, 165, seed=1, heavy=dm.YAML_HEAVY)
    name, blob = list(cases)[164]
    assert name == "scale-number/164"
    plan = tmp_path / "p.lift.yaml"
    plan.write_bytes(blob)
    out = tmp_path / "l.json"
    result = CliRunner().invoke(cli, ["crane", str(SAMPLES / "tower_rev_a.ifc"), str(plan),
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    problems = [p for lift in json.loads(out.read_text())["lifts"] for p in lift["problems"]]
    assert any("more than 1,000,000 samples" in p for p in problems)


def _leaves(doc, path=()):
    """Every path into ``doc`` (maps and lists), containers included."""
    yield path
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _leaves(v, (*path, i))


def _replaced(doc, path, value):
    import copy

    if not path:
        return value
    out = copy.deepcopy(doc)
    node = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return out


#: Each shipped or sample YAML file, and the loader that reads it.
SEEDS = {
    "clash pack": (load_pack, Path("rules/clash/default.yaml")),
    "qto pack": (load_pack, Path("rules/qto/ifc-base.yaml")),
    "crane pack": (load_pack, Path("rules/crane/lifts.yaml")),
    "bill pack": (load_pack, SAMPLES / "tower.bill.yaml"),
    "lift plan": (load_lift_plan, SAMPLES / "tower.lift.yaml"),
    "manifest": (load_manifest, SAMPLES / "portfolio.yaml"),
}

#: A value of every wrong type, and extremes: the survey's
#: "unhashable type: 'list'", "'<' not supported between 'str' and 'int'"
#: and "int too large to convert to float" came from these.
WRONG = [[1, 2], {"a": 1}, "text", None, -1, 10**25]


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_every_field_of_the_wrong_type_is_a_clear_error_or_accepted(tmp_path, seed):
    import yaml

    load, source = SEEDS[seed]
    source = source if source.is_absolute() else Path(__file__).resolve().parents[2] / source
    doc = yaml.safe_load(source.read_text(encoding="utf-8"))
    every = list(_leaves(doc))
    assert len(every) > 10
    paths = every[::max(1, len(every) // 40)]  # 40 of them, spread over the file
    path = tmp_path / source.name
    tried = refused = 0
    for where in paths:
        for value in WRONG:
            path.write_text(yaml.safe_dump(_replaced(doc, where, value)), encoding="utf-8")
            tried += 1
            try:
                load(path)
            except BimcheckError as exc:  # anything else fails the test, with its traceback
                refused += 1
                assert str(path) in str(exc), (where, value, str(exc))
                assert "\n" not in str(exc) and len(str(exc)) < 1500, (where, value)
    assert refused > tried // 4  # most wrong types are refused, not silently taken


@pytest.mark.parametrize("results", ["{fail: [[band_fail]]}", "{warning: [{a: 1}]}",
                                     "{fail: band_fail}"])
def test_a_lift_policy_result_list_of_the_wrong_type_names_the_field(tmp_path, results):
    # "unhashable type: 'list'" before: the other list was made a set unchecked.
    text = (Path(__file__).resolve().parents[2] / "rules/crane/lifts.yaml").read_text()
    start = text.index("  results:\n")
    end = text.index("  avoid_zones:")
    path = tmp_path / "lifts.yaml"
    path.write_text(text[:start] + f"  results: {results}\n" + text[end:])
    with pytest.raises(BimcheckError, match=r"results\.(fail|warning): expected a list of "
                                            "conditions") as info:
        load_pack(path)
    assert str(path) in str(info.value)
