"""Digests hashed from a file's bytes beside the parse (:mod:`bimcheck.prehash`,
:func:`bimcheck.merkle.hash_closed`): the walk's digests, for exactly the
entities whose whole graph holds no string literal, and a helper that fails
or is not wanted changes nothing."""

from __future__ import annotations

import shutil

import pytest

from bimcheck import merkle, prehash
from bimcheck.errors import UnsupportedSchemaError
from bimcheck.fingerprint import Fingerprinter
from bimcheck.model import open_model
from tests.conftest import SAMPLES, assert_reaped

TOWER = SAMPLES / "tower_rev_a.ifc"

#: A small file by hand: #4 and #5 hold strings; #6 reaches #5; #7 refers to a
#: missing #99; #8 and #9 refer to each other; #1-#3 and #10 are closed.
TEXT = b"""ISO-10303-21;
HEADER;
FILE_DESCRIPTION((''),'2;1');
FILE_NAME('t.ifc','2024-01-01T00:00:00',(''),(''),'','','');
FILE_SCHEMA(('IFC4'));
ENDSEC;
DATA;
#1=IFCCARTESIANPOINT((0.,0.,0.));
#2=IFCDIRECTION((0.,0.,1.));
#3=IFCAXIS2PLACEMENT3D(#1,#2,$);
#4=IFCPROJECT('0YvctVUKr0kugbFTf53O9L',$,'P',$,$,$,$,$,$);
#5=IFCSHAPEREPRESENTATION($,'Body','SweptSolid',());
#6=IFCPRODUCTDEFINITIONSHAPE($,$,(#5));
#7=IFCLOCALPLACEMENT(#99,#3);
#8=IFCLOCALPLACEMENT(#9,#3);
#9=IFCLOCALPLACEMENT(#8,#3);
#10=IFCLOCALPLACEMENT($,#3);
ENDSEC;
END-ISO-10303-21;
"""


def _index(path):
    from bimcheck.steptext import StepText

    st = path.stat()
    return merkle.FileIndex(StepText.for_file(path, st.st_size, st.st_mtime_ns))


def test_the_closed_entities_are_those_without_strings_below_them(tmp_path):
    path = tmp_path / "t.ifc"
    path.write_bytes(TEXT)
    closed = merkle.hash_closed(_index(path))
    assert sorted(closed) == [1, 2, 3, 10]
    # The digests are the walk's: a leaf is BLAKE2b of its canonical text, a
    # parent's text holds "@" and its children's hex digests.
    import hashlib

    def leaf(text):
        return hashlib.blake2b(text, digest_size=merkle.DIGEST_SIZE).digest()

    p1 = leaf(merkle.canonical(b"IFCCARTESIANPOINT((0.,0.,0.))"))
    p2 = leaf(merkle.canonical(b"IFCDIRECTION((0.,0.,1.))"))
    p3 = leaf(b"IFCAXIS2PLACEMENT3D(@" + p1.hex().encode() + b",@" + p2.hex().encode() + b",$)")
    assert closed[1] == p1 and closed[2] == p2 and closed[3] == p3
    assert closed[10] == leaf(b"IFCLOCALPLACEMENT($,@" + p3.hex().encode() + b")")


def test_a_seeded_fingerprinter_gives_the_walk_s_fingerprints(tmp_path, forked_pids, monkeypatch):
    monkeypatch.setattr(prehash, "MIN_BYTES", 0)
    model = open_model(TOWER)
    assert model.prehash is not None
    elements = model.elements_for_geometry()
    walk = Fingerprinter(model.file, model.step_text)
    seeded = Fingerprinter(model.file, model.step_text, model.prehashed)
    seeded.prepare_geometry(elements)
    assert seeded._seeded
    assert [seeded.geometry(e) for e in elements] == [walk.geometry(e) for e in elements]
    assert_reaped(forked_pids)


def test_a_failing_helper_leaves_the_hashing_to_the_parent(forked_pids, monkeypatch):
    def failing(path, stat):
        raise RuntimeError("a helper that dies")

    monkeypatch.setattr(prehash, "MIN_BYTES", 0)
    monkeypatch.setattr(prehash, "_hash_file", failing)
    model = open_model(TOWER)
    assert model.prehashed() is None
    elements = model.elements_for_geometry()
    fp = Fingerprinter(model.file, model.step_text, model.prehashed)
    fp.prepare_geometry(elements)
    assert not fp._seeded and fp._index is not None  # hashed here, vectorised
    walk = Fingerprinter(model.file, model.step_text)
    assert [fp.geometry(e) for e in elements] == [walk.geometry(e) for e in elements]
    assert_reaped(forked_pids)


def test_no_helper_for_a_small_file_or_when_not_wanted(forked_pids, monkeypatch):
    assert open_model(TOWER).prehash is None  # far below MIN_BYTES
    monkeypatch.setattr(prehash, "MIN_BYTES", 0)
    assert open_model(TOWER, prehash_digests=False).prehash is None
    assert forked_pids == []


def test_a_file_that_does_not_parse_stops_its_helper(tmp_path, forked_pids, monkeypatch):
    monkeypatch.setattr(prehash, "MIN_BYTES", 0)
    path = tmp_path / "bad.ifc"
    shutil.copyfile(TOWER, path)
    text = path.read_bytes().replace(b"FILE_SCHEMA(('IFC4'))", b"FILE_SCHEMA(('IFC9'))")
    path.write_bytes(text)
    with pytest.raises(UnsupportedSchemaError):
        open_model(path)
    assert_reaped(forked_pids)


def test_a_helper_nobody_asks_is_reaped(forked_pids, monkeypatch):
    import gc

    monkeypatch.setattr(prehash, "MIN_BYTES", 0)
    model = open_model(TOWER)
    assert model.prehash is not None
    del model
    gc.collect()
    assert_reaped(forked_pids)


def test_a_helper_begun_before_the_parse_is_adopted_by_it(tmp_path, forked_pids, monkeypatch):
    """``bimcheck qto`` (and check, clash, diff, price) start the helper before
    loading packs; the parse then takes that one instead of starting another."""
    monkeypatch.setattr(prehash, "MIN_BYTES", 0)
    monkeypatch.setattr(prehash, "_EARLY", {})
    path = tmp_path / "tower.ifc"
    shutil.copyfile(TOWER, path)
    prehash.begin(path)
    prehash.begin(path)  # once per file
    assert len(prehash._EARLY) == 1 and len(forked_pids) == 1
    early = next(iter(prehash._EARLY.values()))
    model = open_model(path)
    assert model.prehash is early and prehash._EARLY == {}
    assert len(forked_pids) == 1
    elements = model.elements_for_geometry()
    seeded = Fingerprinter(model.file, model.step_text, model.prehashed)
    seeded.prepare_geometry(elements)
    walk = Fingerprinter(model.file, model.step_text)
    assert [seeded.geometry(e) for e in elements] == [walk.geometry(e) for e in elements]
    assert seeded._seeded
    assert_reaped(forked_pids)


def _begun_copy(tmp_path, monkeypatch):
    """A copy of the tower sample and the helper :func:`prehash.begin` started for it."""
    monkeypatch.setattr(prehash, "MIN_BYTES", 0)
    monkeypatch.setattr(prehash, "_EARLY", {})
    path = tmp_path / "tower.ifc"
    shutil.copyfile(TOWER, path)
    prehash.begin(path)
    return path, next(iter(prehash._EARLY.values()))


def test_a_file_changed_after_its_helper_began_gets_a_new_one(tmp_path, forked_pids,
                                                              monkeypatch):
    path, stale = _begun_copy(tmp_path, monkeypatch)
    path.write_bytes(TOWER.read_bytes() + b"\n")
    model = open_model(path)
    assert model.prehash is not None and model.prehash is not stale
    elements = model.elements_for_geometry()
    seeded = Fingerprinter(model.file, model.step_text, model.prehashed)
    seeded.prepare_geometry(elements)
    walk = Fingerprinter(model.file, model.step_text)
    assert [seeded.geometry(e) for e in elements] == [walk.geometry(e) for e in elements]
    stale.cancel()
    assert_reaped(forked_pids)


def test_begin_ignores_what_is_not_a_file(tmp_path, forked_pids, monkeypatch):
    monkeypatch.setattr(prehash, "MIN_BYTES", 0)
    monkeypatch.setattr(prehash, "_EARLY", {})
    prehash.begin(tmp_path / "missing.ifc")
    prehash.begin(tmp_path)
    assert prehash._EARLY == {} and forked_pids == []


def test_a_takeoff_with_the_helper_writes_the_same_bytes(tmp_path, forked_pids, monkeypatch):
    from click.testing import CliRunner

    from bimcheck.cli.main import cli

    monkeypatch.setattr(prehash, "_EARLY", {})
    outputs = []
    for n, smallest in enumerate([1 << 40, 0]):
        monkeypatch.setattr(prehash, "MIN_BYTES", smallest)
        result = CliRunner().invoke(cli, ["qto", str(TOWER), "--json", "--no-history",
                                          "--cache-dir", str(tmp_path / f"cache{n}")])
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert len(forked_pids) == 1 and prehash._EARLY == {}  # begun by the command, adopted
    assert_reaped(forked_pids)


def test_a_reference_cycle_is_cut_as_without_a_seed(tmp_path, forked_pids, monkeypatch):
    """#8 and #9 refer to each other (a malformed file): the bulk hashing cuts
    the cycle where the file lists it first, a walk where it enters it. A
    seeded fingerprinter that meets the cycle hashes as an unseeded one does,
    so the digests do not depend on whether a helper ran."""
    import ifcopenshell

    from bimcheck.steptext import StepText

    monkeypatch.setattr(prehash, "MIN_BYTES", 0)
    path = tmp_path / "t.ifc"
    path.write_bytes(TEXT)
    st = path.stat()
    stat = (st.st_size, st.st_mtime_ns)
    ifc = ifcopenshell.open(str(path))

    def text():
        return StepText.for_file(path, *stat)

    plain = Fingerprinter(ifc, text)
    plain.prepare([9, 10])
    helper = prehash.start(path, stat)
    assert helper is not None and sorted(helper.digests()) == [1, 2, 3, 10]
    seeded = Fingerprinter(ifc, text, helper.digests)
    seeded.prepare([9, 10])
    assert seeded._seeded
    for eid in (8, 9, 10):
        assert seeded.entity_hash(ifc.by_id(eid)) == plain.entity_hash(ifc.by_id(eid))
    walked = Fingerprinter(ifc, text)  # a walk from #9 cuts the cycle at #8's back-reference
    assert walked.entity_hash(ifc.by_id(9)) != plain.entity_hash(ifc.by_id(9))
    assert_reaped(forked_pids)


def test_no_seed_is_taken_once_the_file_has_changed(tmp_path, forked_pids, monkeypatch):
    """The seed spells reals as the file does (``0E0``); once the file's stat
    no longer matches, the parent has no text and spells them as IfcOpenShell
    does (``0.``): the two are not mixed, the seed is left alone."""
    import os

    monkeypatch.setattr(prehash, "MIN_BYTES", 0)
    path = tmp_path / "tower.ifc"
    text = TOWER.read_bytes().replace(b"IFCCARTESIANPOINT((0.,0.,0.))",
                                      b"IFCCARTESIANPOINT((0E0,0.,0.))")
    assert b"0E0" in text
    path.write_bytes(text)
    model = open_model(path)
    assert model.prehash is not None and model.prehash.digests()
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 3_000_000_000))
    assert model.step_text is None
    elements = model.elements_for_geometry()
    seeded = Fingerprinter(model.file, lambda: model.step_text, model.prehashed)
    seeded.prepare_geometry(elements)
    plain = Fingerprinter(model.file, lambda: model.step_text)
    assert not seeded._seeded
    assert [seeded.geometry(e) for e in elements] == [plain.geometry(e) for e in elements]
    assert_reaped(forked_pids)


def test_a_file_replaced_with_the_same_size_and_time_gets_a_new_helper(tmp_path, forked_pids,
                                                                       monkeypatch):
    """A file saved by a rename (editors, copy tools) has another inode: the
    helper that read the old bytes is not adopted, even when size and
    modification time match."""
    import os

    path, stale = _begun_copy(tmp_path, monkeypatch)
    st = path.stat()
    other = tmp_path / "other.ifc"
    text = TOWER.read_bytes()
    other.write_bytes(text.replace(b"IFCCARTESIANPOINT((0.,0.,0.))",
                                   b"IFCCARTESIANPOINT((9.,0.,0.))", 1))
    assert other.stat().st_size == st.st_size
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(other, path)
    model = open_model(path)
    assert model.prehash is not None and model.prehash is not stale
    stale.cancel()
    model.prehash.cancel()
    assert len(forked_pids) == 2
    assert_reaped(forked_pids)


def test_a_helper_that_does_not_finish_in_time_is_stopped(forked_pids, monkeypatch):
    """The parent waits for a helper at most WAIT_S (plus per MiB), then stops
    it and hashes alone."""
    import time

    def stuck(path, stat):
        time.sleep(60)
        return b""

    monkeypatch.setattr(prehash, "MIN_BYTES", 0)
    monkeypatch.setattr(prehash, "WAIT_S", 0.3)
    monkeypatch.setattr(prehash, "WAIT_S_PER_MIB", 0.0)
    monkeypatch.setattr(prehash, "_hash_file", stuck)
    model = open_model(TOWER)
    t0 = time.monotonic()
    assert model.prehashed() is None
    assert time.monotonic() - t0 < 5
    assert_reaped(forked_pids)
    elements = model.elements_for_geometry()
    fp = Fingerprinter(model.file, model.step_text, model.prehashed)
    fp.prepare_geometry(elements)
    walk = Fingerprinter(model.file, model.step_text)
    assert not fp._seeded
    assert [fp.geometry(e) for e in elements] == [walk.geometry(e) for e in elements]


def test_helpers_no_parse_adopts_stop_with_the_command(tmp_path, forked_pids, monkeypatch):
    """A served result (or an error before the model is opened) leaves the
    helper the command began unused: it is stopped when the command ends."""
    from click.testing import CliRunner

    from bimcheck.cli.main import cli

    monkeypatch.setattr(prehash, "MIN_BYTES", 0)
    monkeypatch.setattr(prehash, "_EARLY", {})
    path = tmp_path / "tower.ifc"
    shutil.copyfile(TOWER, path)
    args = ["qto", str(path), "--json", "--no-history", "--cache-dir", str(tmp_path / "c")]
    assert CliRunner().invoke(cli, args).exit_code == 0
    served = CliRunner().invoke(cli, ["-v", *args])
    assert served.exit_code == 0 and "served from the result cache" in served.stderr
    assert len(forked_pids) == 2 and prehash._EARLY == {}
    assert_reaped(forked_pids)


def test_the_helper_imports_no_ifcopenshell(tmp_path):
    """Commands begin the helper before IfcOpenShell is imported (a served
    result never needs it): its work, on the file's bytes alone, does not
    import it either."""
    import subprocess
    import sys

    code = ("import sys; from pathlib import Path; from bimcheck import prehash; "
            f"p = Path({str(TOWER)!r}); st = p.stat(); "
            "blob = prehash._hash_file(p, (st.st_size, st.st_mtime_ns)); "
            "print(len(blob) > 0, 'ifcopenshell' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["True", "False"], done.stdout + done.stderr
