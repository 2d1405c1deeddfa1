"""The vectorised Merkle hashes (:mod:`bimcheck.merkle`) are the hashes of the
one-entity-at-a-time walk, on every entity that the geometry of every shared
model reaches (400,515 entities on the Janesville restaurant; 18,832 to 41,433
on the others), and so is every element's geometry fingerprint."""

from __future__ import annotations

import pytest

from bimcheck.fingerprint import Fingerprinter
from bimcheck.model import open_model
from tests.conftest import assert_reaped, shared_model

#: model: the share of reached entities the vectors hash (the rest have string
#: literals or share a line), at least.
MODELS = {
    "2022_11_21_update_B03_Heating_ownCells.ifc": 0.9,
    "AC20-FZK-Haus.ifc": 0.9,
    "ACCA_RFI_Signalling.ifc": 0.8,
    "ISSUE_021_Mini_Project.ifc": 0.9,
    "Ifc2s3_Duplex_Electrical.ifc": 0.9,
    "Ifc2x3_Duplex_Architecture.ifc": 0.9,
    "b03_heating_with_building_blenderBIM.ifc": 0.9,
    "geometrygym_great_court_roof.ifc": 0.85,  # 5,180 shape representations with strings
    "revit2012_janesville_restaurant.ifc": 0.95,
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_vectorised_hashes_are_the_walks(name):
    model = open_model(shared_model(name))
    elements = model.elements_for_geometry()
    bulk = Fingerprinter(model.file, model.step_text)
    bulk.prepare_geometry(elements)
    prepared = dict(bulk._memo)
    walk = Fingerprinter(model.file, model.step_text)
    assert [bulk.geometry(e) for e in elements] == [walk.geometry(e) for e in elements]
    assert bulk._memo == prepared  # prepare_geometry left nothing for geometry() to hash
    assert prepared == walk._memo
    index = bulk._index
    assert index is not None
    reached = index.index_of(list(walk._memo))
    share = float(index.fast[reached[reached >= 0]].mean())
    assert share >= MODELS[name], share


@pytest.mark.parametrize("name", ["ISSUE_021_Mini_Project.ifc", "geometrygym_great_court_roof.ifc"])
def test_hashing_shared_with_a_helper_process_gives_the_same_digests(name, forked_pids):
    from bimcheck import fingerprint

    model = open_model(shared_model(name))
    elements = model.elements_for_geometry()
    serial = Fingerprinter(model.file, model.step_text)
    serial.prepare_geometry(elements)
    shared = Fingerprinter(model.file, model.step_text)
    assert len(fingerprint._geometry_roots(elements)) >= fingerprint._MIN_PARALLEL_ROOTS
    assert shared.prepare_geometry_parallel(elements, helpers=1) == 1
    hashed = dict(shared._memo)
    assert [shared.geometry(e) for e in elements] == [serial.geometry(e) for e in elements]
    assert shared._memo == hashed  # nothing was left for geometry() to hash
    assert_reaped(forked_pids)


def test_a_helper_that_fails_leaves_its_share_to_the_parent(monkeypatch):
    from bimcheck import fingerprint

    model = open_model(shared_model("ISSUE_021_Mini_Project.ifc"))
    elements = model.elements_for_geometry()
    serial = Fingerprinter(model.file, model.step_text)
    serial.prepare_geometry(elements)

    def failing(fp, roots):
        raise RuntimeError("a helper that dies")

    monkeypatch.setattr(fingerprint, "_hashed", failing)
    shared = Fingerprinter(model.file, model.step_text)
    assert shared.prepare_geometry_parallel(elements, helpers=1) == 0
    assert [shared.geometry(e) for e in elements] == [serial.geometry(e) for e in elements]


@pytest.mark.parametrize("name", ["ISSUE_021_Mini_Project.ifc", "AC20-FZK-Haus.ifc"])
def test_digests_hashed_beside_the_parse_are_the_walks(name, forked_pids, monkeypatch):
    """The helper forked before the parse (:mod:`bimcheck.prehash`) hashes
    what the walk hashes; a fingerprinter seeded with it walks only what the
    helper left (shape representations, which hold strings) and gives every
    element the walk's fingerprint."""
    from bimcheck import prehash

    monkeypatch.setattr(prehash, "MIN_BYTES", 0)
    model = open_model(shared_model(name))
    assert model.prehash is not None
    elements = model.elements_for_geometry()
    seed = model.prehashed()
    assert seed
    walk = Fingerprinter(model.file, model.step_text)
    expected = [walk.geometry(e) for e in elements]
    assert {k: walk._memo[k] for k in seed if k in walk._memo} == \
        {k: v for k, v in seed.items() if k in walk._memo}
    seeded = Fingerprinter(model.file, model.step_text, model.prehashed)
    seeded.prepare_geometry_parallel(elements, helpers=1)
    assert seeded._seeded and seeded._index is None  # no index of its own was built
    assert [seeded.geometry(e) for e in elements] == expected
    # The helper hashed most of what the geometry reaches.
    reached = set(walk._memo)
    assert len(reached & set(seed)) >= 0.8 * len(reached)
    assert_reaped(forked_pids)
