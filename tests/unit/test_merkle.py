"""Vectorised Merkle hashes (:mod:`bimcheck.merkle`) against the one-at-a-time
walk, on STEP text written every way the vectors must cope with."""

from __future__ import annotations

import ifcopenshell
import pytest

from bimcheck import merkle
from bimcheck.fingerprint import Fingerprinter
from bimcheck.model import open_model

HEADER = """ISO-10303-21;
HEADER;
/* a comment in the header, with a lone ' quote */
FILE_DESCRIPTION(('ViewDefinition [CoordinationView]'),'2;1');
FILE_NAME('t.ifc','2026-12-02T00:00:00',(''),(''),'','','');
FILE_SCHEMA(('IFC4'));
ENDSEC;
DATA;
"""

#: Entities written in the ways a file may write them; ``{x}`` is the first point's x.
BODY = """#1=IFCCARTESIANPOINT(({x},0.,0.));
#2= IFCCARTESIANPOINT((1.,0.,0.));
#3 = IFCCARTESIANPOINT((1., 1., 0.));
#4=IFCCARTESIANPOINT((0.,1.,
  0.));
#5=IFCPOLYLOOP((#1,#2,#3,#4));
#6=IFCFACEOUTERBOUND(#5,.T.);#7=IFCFACE((#6));
#8=ifcface((#6));
#9=IFCCLOSEDSHELL((#7,#8));
#10=IFCFACETEDBREP(#9);
#11=IFCSHAPEREPRESENTATION(#12,'Body #5','Brep',(#10));
#12=IFCGEOMETRICREPRESENTATIONCONTEXT($,'Model',3,1.E-05,#15,$);
#13=IFCPRODUCTDEFINITIONSHAPE($,$,(#11));
#14=IFCDIRECTION((0.,0.,1.));
#15=IFCAXIS2PLACEMENT3D(#1,#14,$);
#16=IFCLOCALPLACEMENT(#17,#15);
#17=IFCLOCALPLACEMENT(#16,#15);
#18=IFCLOCALPLACEMENT($,#99);
#19=IFCCARTESIANPOINT((2.5E-1,-0.,1.0000000000000002));
#20=IFCCARTESIANPOINT((0.25,0.,1.));
"""


def _write(path, x: str = "0.") -> None:
    path.write_text(HEADER + BODY.format(x=x) + "ENDSEC;\nEND-ISO-10303-21;\n")


def _both(path) -> tuple[Fingerprinter, Fingerprinter]:
    model = open_model(path, require_geometry=False)
    bulk = Fingerprinter(model.file, model.step_text)
    bulk.prepare(range(1, 21))
    walk = Fingerprinter(model.file, model.step_text)
    for eid in range(1, 21):
        if eid != 99:
            walk.entity_hash(model.file.by_id(eid))
    return bulk, walk


def test_vectorised_hashes_equal_the_walk_on_every_entity(tmp_path):
    _write(tmp_path / "m.ifc")
    bulk, walk = _both(tmp_path / "m.ifc")
    assert set(walk._memo) == set(range(1, 21))
    assert {k: bulk._memo[k] for k in walk._memo} == walk._memo
    # The vectors took the plain and the whitespace lines; strings, the two
    # entities of one line and the cycle went the slow way.
    index = bulk._index
    assert index is not None
    fast = {int(i) for i in index.ids[index.fast]}
    assert {1, 2, 3, 4, 5, 9, 10, 13, 14, 15, 19, 20} <= fast
    assert 11 not in fast and 12 not in fast


def test_spellings_of_one_value_hash_alike_and_other_values_do_not(tmp_path):
    _write(tmp_path / "m.ifc")
    bulk, _ = _both(tmp_path / "m.ifc")
    memo = bulk._memo
    assert memo[19] == memo[20]  # 2.5E-1 = 0.25, -0. = 0., 1 + 2e-16 = 1.
    assert memo[7] == memo[8]  # keywords in any case
    for x in ("0.0", "0.E0", "-0.", "0.000E+00"):
        _write(tmp_path / "n.ifc", x)
        other, _ = _both(tmp_path / "n.ifc")
        assert other._memo[10] == memo[10], x
    _write(tmp_path / "n.ifc", "0.001")
    other, _ = _both(tmp_path / "n.ifc")
    assert other._memo[1] != memo[1] and other._memo[10] != memo[10]
    assert other._memo[14] == memo[14]


def test_a_dangling_reference_hashes_as_missing(tmp_path):
    _write(tmp_path / "m.ifc")
    bulk, walk = _both(tmp_path / "m.ifc")
    f = ifcopenshell.open(str(tmp_path / "m.ifc"))
    with pytest.raises(RuntimeError):
        f.by_id(99)
    import hashlib
    expected = hashlib.blake2b(b"IFCLOCALPLACEMENT($," + merkle.MISSING + b")",
                               digest_size=16).digest()
    assert bulk._memo[18] == walk._memo[18] == expected


def test_reals_round_to_40_bits():
    one = merkle.canonical_real(b"1.")
    assert merkle.canonical_real(b"1.0000000000001") == one  # 1e-13 relative
    assert merkle.canonical_real(b"1.000000001") != one  # 1e-9 relative
    assert merkle.canonical_real(b"1.E400") == merkle.canonical_real(b"2.E400")  # both inf
    assert merkle.canonical_real(b"12") == b"12"  # an integer is not a real
    assert merkle.canonical_real(b"1.2.3") == b"1.2.3"  # not a number: as spelled
    assert merkle.round_real(-0.0) == 0.0 and str(merkle.round_real(-0.0)) == "0.0"
