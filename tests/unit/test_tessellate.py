"""Tessellation: analytic volumes in m and mm files, openings net/gross,
failures recorded, and the cache only re-tessellating what changed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from bimcheck.geometry.cache import MeshCache
from bimcheck.geometry.tessellate import TessellationSettings, tessellate
from bimcheck.model import open_model
from bimcheck.testing.ifcfactory import Box, ModelFactory
from tests.conftest import SAMPLES


def _wall_model(path: Path, unit: str, opening: bool) -> Path:
    """A 10 × 3 × 0.2 m wall (6 m³), optionally with a 1 × 1 m opening through it."""
    f = ModelFactory(length_unit=unit)
    storey = f.add_storey("L0", 0.0)
    wall = f.add_element("IfcWall", "W", shape=Box((0, 0, 0), (10, 0.2, 3)), storey=storey)
    if opening:
        # 1 × 1 m in elevation, reaching 0.1 m beyond both faces (no coplanar faces).
        f.add_opening("O", host=wall, shape=Box((4, -0.1, 1), (5, 0.3, 2)), axis="y")
    return f.write(path)


@pytest.mark.parametrize("unit", ["m", "mm", "ft"])
def test_wall_meshes_to_six_cubic_metres_whatever_the_unit(tmp_path, unit):
    model = open_model(_wall_model(tmp_path / f"wall_{unit}.ifc", unit, opening=False))
    geometry = tessellate(model, cache=None)
    (mesh,) = geometry.meshes.values()
    assert mesh.closed
    assert mesh.volume == pytest.approx(6.0, abs=1e-6)
    np.testing.assert_allclose(mesh.bounds, [[0, 0, 0], [10, 0.2, 3]], atol=1e-6)
    assert len(mesh.vertices) == 8  # welded: a box has 8 corners


@pytest.mark.parametrize("unit", ["m", "mm"])
def test_opening_net_and_gross(tmp_path, unit):
    model = open_model(_wall_model(tmp_path / f"wall_{unit}.ifc", unit, opening=True))
    wall = model.select("IfcWall")[0]
    net = tessellate(model, [wall]).meshes[wall.GlobalId]
    gross = tessellate(
        model, [wall], settings=TessellationSettings(subtract_openings=False)
    ).meshes[wall.GlobalId]
    assert net.volume == pytest.approx(6.0 - 1 * 1 * 0.2, abs=1e-6)  # 5.8 m³
    assert gross.volume == pytest.approx(6.0, abs=1e-6)
    assert net.closed and gross.closed  # welded at the opening rims


def test_failed_element_is_recorded_and_the_run_goes_on(tmp_path):
    model = open_model(_failing_model(tmp_path / "bad.ifc"))
    (bad,) = [w for w in model.select("IfcWall") if w.Name == "W-bad"]
    cache = MeshCache(tmp_path / "cache")
    calls: list[tuple[int, int]] = []
    geometry = tessellate(model, cache=cache, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (2, 2)  # the failed wall counts as done: progress ends at the total
    assert len(geometry.meshes) == 1
    (failure,) = geometry.failures
    assert (failure.global_id, failure.ifc_class) == (bad.GlobalId, "IfcWall")
    assert "zero sized profile" in failure.reason
    assert [f.ifc_class for f in geometry.without_body] == ["IfcBuildingElementProxy"]
    # The failure is remembered: the next run does not retry it.
    calls.clear()
    again = tessellate(model, cache=cache, progress=lambda d, t: calls.append((d, t)))
    assert again.stats.tessellated == 0 and again.failures == geometry.failures
    assert calls[-1] == (2, 2)


def _truth(name: str) -> dict:
    return yaml.safe_load((SAMPLES / name).read_text())


def test_cache_second_run_and_revision_tessellate_only_what_changed(tmp_path):
    cache = MeshCache(tmp_path / "cache")
    rev_a = open_model(SAMPLES / "tower_rev_a.ifc")
    first = tessellate(rev_a, cache=cache)
    n = len(first.meshes)
    assert first.stats.tessellated == n and first.stats.from_cache == 0

    second = tessellate(rev_a, cache=MeshCache(tmp_path / "cache"))
    assert second.stats.tessellated == 0 and second.stats.from_cache == n
    for gid, mesh in first.meshes.items():
        np.testing.assert_array_equal(second.meshes[gid].vertices, mesh.vertices)
        np.testing.assert_array_equal(second.meshes[gid].faces, mesh.faces)

    # Rev B: only the added and geometry-changed elements are new to the cache.
    changes = _truth("tower_rev_b.truth.yaml")["changes"]
    expected = {c["global_id"] for c in changes["added"] + changes["geometry_changed"]}
    rev_b = open_model(SAMPLES / "tower_rev_b.ifc")
    third = tessellate(rev_b, cache=MeshCache(tmp_path / "cache"))
    with_body = expected & set(third.meshes)
    assert with_body == expected  # every changed element has a body
    assert 0 < len(expected) / len(third.meshes) < 0.10  # "about 5 % changed"
    assert third.stats.tessellated == len(expected)
    assert third.stats.from_cache == len(third.meshes) - len(expected)


def test_corrupt_cache_entry_is_rebuilt_and_counted(tmp_path):
    root = tmp_path / "cache"
    model = open_model(SAMPLES / "tower_rev_a.ifc")
    first = tessellate(model, cache=MeshCache(root))
    victim = sorted(root.rglob("*.mesh"))[3]
    victim.write_bytes(victim.read_bytes()[:-7])  # cut short
    again = tessellate(model, cache=MeshCache(root))
    assert again.stats.corrupt_rebuilt == 1
    assert again.stats.tessellated == 1
    assert set(again.meshes) == set(first.meshes)


def test_sample_volumes_match_the_hand_computed_truth():
    truth = _truth("tower_rev_a.truth.yaml")["elements"]
    for name in ("tower_rev_a.ifc", "tower_rev_a_mm.ifc"):
        geometry = tessellate(open_model(SAMPLES / name))
        checked = 0
        for element in truth.values():
            if element.get("no_geometry"):
                continue
            mesh = geometry.meshes[element["global_id"]]
            if "circle_radius" in element.get("profile", {}):
                # An inscribed polygon: smaller than π r² L, by < 1.5 % at default settings.
                assert 0.985 * element["volume"] < mesh.volume < element["volume"], element
            else:
                assert mesh.volume == pytest.approx(element["volume"], rel=1e-6, abs=1e-9)
            checked += 1
        assert checked > 50


def test_rerun_on_the_same_file_skips_fingerprinting(tmp_path, monkeypatch):
    import shutil

    from bimcheck.fingerprint import Fingerprinter

    calls = []
    original = Fingerprinter.geometry
    monkeypatch.setattr(
        Fingerprinter, "geometry", lambda self, e: calls.append(e) or original(self, e)
    )
    path = tmp_path / "model.ifc"
    shutil.copy(SAMPLES / "tower_rev_a.ifc", path)
    root = tmp_path / "cache"
    first = tessellate(open_model(path), cache=MeshCache(root))
    assert len(calls) == len(first.meshes)
    calls.clear()
    second = tessellate(open_model(path), cache=MeshCache(root))
    assert calls == [] and second.stats.tessellated == 0
    assert set(second.meshes) == set(first.meshes)

    # The same path with other bytes (the next revision saved over it): the
    # index of the old bytes does not apply; fingerprints are computed again.
    shutil.copy(SAMPLES / "tower_rev_b.ifc", path)
    third = tessellate(open_model(path), cache=MeshCache(root))
    assert len(calls) == len(third.meshes)
    changes = _truth("tower_rev_b.truth.yaml")["changes"]
    assert third.stats.tessellated == len(changes["added"] + changes["geometry_changed"])
    fresh = tessellate(open_model(SAMPLES / "tower_rev_b.ifc"))
    assert {k: round(m.volume, 9) for k, m in third.meshes.items()} == {
        k: round(m.volume, 9) for k, m in fresh.meshes.items()
    }

    # A garbled index is ignored and rebuilt.
    indexes = list((root / "index").rglob("*.keys"))
    assert indexes
    for index in indexes:
        index.write_text("{not json")
    calls.clear()
    fourth = tessellate(open_model(path), cache=MeshCache(root))
    assert len(calls) == len(fourth.meshes) and fourth.stats.tessellated == 0

    # So is one whose keys were shuffled (valid JSON, but the checksum fails):
    # used, it gave elements each other's meshes, and 45 clashes instead of 9.
    for index in (root / "index").rglob("*.keys"):
        blob = index.read_bytes()
        if blob == b"{not json":
            continue  # the index of rev A's bytes, garbled above
        body, checksum = blob[:-16], blob[-16:]
        doc = json.loads(body)
        keys = list(doc["keys"].values())
        doc["keys"] = dict(zip(doc["keys"], keys[1:] + keys[:1], strict=True))
        index.write_bytes(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
                          + checksum)
    calls.clear()
    fifth = tessellate(open_model(path), cache=MeshCache(root))
    assert len(calls) == len(fifth.meshes)
    _same_geometry(fifth, fourth)


def _same_geometry(a, b) -> None:
    assert a.meshes.keys() == b.meshes.keys()
    for gid, mesh in a.meshes.items():
        assert np.array_equal(mesh.vertices, b.meshes[gid].vertices)
        assert np.array_equal(mesh.faces, b.meshes[gid].faces)
        assert mesh.closed == b.meshes[gid].closed
    assert a.failures == b.failures and a.without_body == b.without_body
    assert a.keys == b.keys


def _failing_model(path: Path) -> Path:
    """A wall that meshes, a wall with a zero-sized profile (it cannot be
    meshed) and a proxy without a representation."""
    f = ModelFactory()
    storey = f.add_storey("L0", 0.0)
    f.add_element("IfcWall", "W-ok", shape=Box((0, 0, 0), (10, 0.2, 3)), storey=storey)
    bad = f.add_element("IfcWall", "W-bad", shape=Box((0, 5, 0), (10, 5.2, 3)), storey=storey)
    f.add_element("IfcBuildingElementProxy", "PX", storey=storey)  # no representation
    profile = bad.Representation.Representations[0].Items[0].SweptArea
    profile.XDim = profile.YDim = 0.0  # a zero-sized profile cannot be meshed
    return f.write(path)


@pytest.mark.parametrize("sample", ["tower_rev_a.ifc", "failing"])
def test_an_unchanged_file_opened_lazily_is_meshed_from_the_cache_without_a_parse(
        tmp_path, sample):
    path = (_failing_model(tmp_path / "bad.ifc") if sample == "failing"
            else SAMPLES / sample)
    cache = MeshCache(tmp_path / "cache")
    fresh = tessellate(open_model(path))
    first_model = open_model(path, lazy=True)
    assert not first_model.parsed
    first = tessellate(first_model, cache=cache)
    assert first_model.parsed  # nothing in the cache yet: parsed and meshed
    calls: list[tuple[int, int]] = []
    again_model = open_model(path, lazy=True)
    again = tessellate(again_model, cache=cache, progress=lambda d, t: calls.append((d, t)))
    assert not again_model.parsed
    assert again.stats.from_cache == again.stats.requested == len(first.meshes) + len(
        first.failures)
    n = len(first.meshes) + len(first.failures)
    assert calls[-1] == (n, n)
    _same_geometry(again, first)
    assert {k: (m.vertices.tolist(), m.faces.tolist()) for k, m in fresh.meshes.items()} == {
        k: (m.vertices.tolist(), m.faces.tolist()) for k, m in again.meshes.items()}
    assert fresh.failures == again.failures and fresh.without_body == again.without_body
    if sample == "failing":
        assert [f.ifc_class for f in again.failures] == ["IfcWall"]
        assert "zero sized profile" in again.failures[0].reason


def test_a_manifest_whose_meshes_are_gone_or_garbled_parses_again(tmp_path):
    import shutil

    path = tmp_path / "model.ifc"
    shutil.copy(SAMPLES / "tower_rev_a.ifc", path)
    root = tmp_path / "cache"
    first = tessellate(open_model(path), cache=MeshCache(root))
    cache = MeshCache(root)
    next(iter(cache.path_of(k) for k in first.keys.values())).unlink()
    model = open_model(path, lazy=True)
    _same_geometry(tessellate(model, cache=cache), first)
    # missed by the manifest, then by the parsed run, which rebuilds it
    assert model.parsed and cache.stats.misses == 2 and cache.stats.writes == 1
    (manifest,) = (root / "index" / "v1").glob("*.manifest")
    blob = bytearray(manifest.read_bytes())
    blob[len(blob) // 2] ^= 0x01
    manifest.write_bytes(bytes(blob))
    model = open_model(path, lazy=True)
    _same_geometry(tessellate(model, cache=MeshCache(root)), first)
    assert model.parsed
    # A selection, not the whole model, is never served from the manifest.
    model = open_model(path, lazy=True)
    walls = tessellate(model, model.select("IfcWall"), cache=MeshCache(root))
    assert model.parsed and set(walls.meshes) < set(first.meshes)


def test_a_lazily_opened_file_is_checked_when_it_is_parsed(tmp_path):
    from bimcheck.errors import NoGeometryError, TruncatedModelError

    text = (SAMPLES / "tower_rev_a.ifc").read_text(encoding="utf-8")
    cut = tmp_path / "cut.ifc"
    cut.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(TruncatedModelError):
        open_model(cut, lazy=True)  # found before any parse
    f = ModelFactory()
    f.add_element("IfcBuildingElementProxy", "PX", storey=f.add_storey("L0", 0.0))
    empty = f.write(tmp_path / "empty.ifc")
    model = open_model(empty, lazy=True)
    with pytest.raises(NoGeometryError, match=r"empty\.ifc"):
        tessellate(model, cache=MeshCache(tmp_path / "cache"))
    with pytest.raises(NoGeometryError):
        model.file  # noqa: B018 - still refused on the next use
    assert open_model(empty, lazy=True, require_geometry=False).file.by_type("IfcProject")
