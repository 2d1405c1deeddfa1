"""Entity text read from the STEP file's bytes: exact slices where they are
certain, ``None`` (IfcOpenShell writes the entity instead) everywhere else."""

from __future__ import annotations

from pathlib import Path

import ifcopenshell

from bimcheck.fingerprint import Fingerprinter
from bimcheck.model import open_model
from bimcheck.steptext import StepText
from bimcheck.testing.ifcfactory import Box, ModelFactory

DATA = b"""ISO-10303-21;
HEADER;
FILE_DESCRIPTION(('ViewDefinition [CoordinationView]'),'2;1');
FILE_NAME('x.ifc','2026-11-24T00:00:00',(''),(''),'','','');
FILE_SCHEMA(('IFC4'));
ENDSEC;
DATA;
#1=IFCCARTESIANPOINT((0.,0.,0.));
#2=IFCCARTESIANPOINT((1.,
  2., 3.));
#3=IFCPOLYLOOP((#1,#2));
#4=IFCPROPERTYSINGLEVALUE('a;b',$,IFCLABEL('x
#3=IFCCARTESIANPOINT((9.,9.,9.));
'),$);
#5=IFCDIRECTION((0.,0.,1.));#6=IFCDIRECTION((1.,0.,0.));
#7=IFCDIRECTION((0.,1.,0.));
ENDSEC;
END-ISO-10303-21;
"""


def _text(tmp_path: Path, data: bytes = DATA) -> StepText | None:
    path = tmp_path / "x.ifc"
    path.write_bytes(data)
    st = path.stat()
    return StepText.for_file(path, st.st_size, st.st_mtime_ns)


def test_slices_are_exact_and_uncertain_ones_are_refused(tmp_path):
    text = _text(tmp_path)
    assert text is not None
    assert text.body(1) == b"IFCCARTESIANPOINT((0.,0.,0.))"
    assert text.body(2) == b"IFCCARTESIANPOINT((1.,2.,3.))"  # wrapped line, no whitespace
    # #3 also "starts a line" inside #4's string literal (odd quote count):
    # that line is ignored, and #3 is read from its own line.
    assert text.body(3) == b"IFCPOLYLOOP((#1,#2))"
    assert text.body(4) is None  # holds string literals
    assert text.body(5) == b"IFCDIRECTION((0.,0.,1.))"  # ends at its own ";"
    assert text.body(6) is None  # does not start a line
    assert text.body(7) == b"IFCDIRECTION((0.,1.,0.))"
    assert text.body(8) is None and text.body(-1) is None and text.body(10**9) is None


def test_an_id_starting_two_lines_is_refused(tmp_path):
    text = _text(tmp_path, DATA.replace(b"#7=", b"#1="))
    assert text is not None
    assert text.body(1) is None


def test_a_file_with_a_comment_is_not_indexed(tmp_path):
    assert _text(tmp_path, DATA.replace(b"DATA;\n", b"DATA;\n/* it's */\n")) is None


def test_a_file_changed_since_it_was_parsed_is_not_read(tmp_path):
    path = tmp_path / "x.ifc"
    path.write_bytes(DATA)
    st = path.stat()
    assert StepText.for_file(path, st.st_size + 1, st.st_mtime_ns) is None
    assert StepText.for_file(path, st.st_size, st.st_mtime_ns + 1) is None
    assert StepText.for_file(tmp_path / "gone.ifc", st.st_size, st.st_mtime_ns) is None


def _factory_model(tmp_path: Path, name: str, x: float):
    factory = ModelFactory()
    storey = factory.add_storey("L0", 0.0)
    factory.add_element("IfcWall", "W", shape=Box((0, 0, 0), (x, 0.2, 3)), storey=storey)
    factory.add_element("IfcSlab", "S", shape=Box((0, 0, 3), (5, 5, 3.2)), storey=storey)
    return open_model(factory.write(tmp_path / name))


def test_fingerprints_from_the_file_text_follow_the_geometry(tmp_path):
    """Fingerprints read from the bytes ignore STEP ids (a renumbered copy) and
    change with the geometry (a longer wall), like those IfcOpenShell writes."""
    a = _factory_model(tmp_path, "a.ifc", 5.0)
    longer = _factory_model(tmp_path, "b.ifc", 6.0)
    # The same model with every id shifted by 1000 (entities renumbered).
    f = ifcopenshell.open(str(a.path))
    g = ifcopenshell.file(schema=f.schema)
    for _ in range(1000):
        g.createIfcCartesianPoint((0.0, 0.0, 0.0))
    for e in f:
        g.add(e)
    for e in list(g.by_type("IfcCartesianPoint"))[:1000]:
        g.remove(e)
    renumbered_path = tmp_path / "renumbered.ifc"
    g.write(str(renumbered_path))
    renumbered = open_model(renumbered_path)
    assert a.step_text is not None and renumbered.step_text is not None

    def prints(model, text=True):
        fp = Fingerprinter(model.file, model.step_text if text else None)
        return {e.GlobalId: fp.geometry(e) for e in model.select("IfcWall, IfcSlab")}

    assert prints(a) == prints(renumbered)
    changed = {gid for gid, v in prints(longer).items() if prints(a)[gid] != v}
    assert changed == {a.select("IfcWall")[0].GlobalId}
    # Every entity under the elements was read from the file, none written out.
    fp = Fingerprinter(a.file, a.step_text)
    for e in a.select("IfcWall, IfcSlab"):
        fp.geometry(e)
    read = sum(a.step_text.body(i) is not None for i in fp._memo)
    assert read >= 0.5 * len(fp._memo)


def test_an_ifczip_fingerprints_through_ifcopenshell(tmp_path):
    import zipfile

    a = _factory_model(tmp_path, "a.ifc", 5.0)
    z = tmp_path / "a.ifczip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(a.path, "a.ifc")
    zipped = open_model(z)
    assert zipped.step_text is None
    fp = Fingerprinter(zipped.file, None)
    assert all(len(fp.geometry(e)) == 32 for e in zipped.select("IfcWall"))


def test_an_empty_or_odd_file_gives_no_index(tmp_path):
    assert _text(tmp_path, b"") is None
    assert _text(tmp_path, b"no entities here\n") is None
