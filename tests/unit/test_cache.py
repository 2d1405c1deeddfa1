"""Mesh cache: round trip, corruption detection, atomic concurrent writers."""

import multiprocessing
import os

import numpy as np
import pytest

from bimcheck.errors import CacheError
from bimcheck.geometry.cache import CachedFailure, MeshCache, default_cache_dir
from bimcheck.geometry.mesh import box


def test_round_trip_mesh_and_failure(tmp_path):
    cache = MeshCache(tmp_path)
    m = box((0, 0, 0), (10, 0.2, 3))
    cache.put("ab" * 20, m)
    cache.put("cd" * 20, CachedFailure("no solid"))
    got = cache.get("ab" * 20)
    np.testing.assert_array_equal(got.vertices, m.vertices)
    np.testing.assert_array_equal(got.faces, m.faces)
    assert got.closed and got.volume == 6.0
    assert cache.get("cd" * 20) == CachedFailure("no solid")
    assert cache.get("ef" * 20) is None
    assert (cache.stats.hits, cache.stats.misses, cache.stats.writes) == (2, 1, 2)


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "garbage"])
def test_corrupt_entry_is_detected_deleted_and_counted(tmp_path, damage):
    cache = MeshCache(tmp_path)
    key = "12" * 20
    cache.put(key, box((0, 0, 0), (1, 1, 1)))
    path = cache.path_of(key)
    blob = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(blob[: len(blob) // 2])
    elif damage == "flip":
        path.write_bytes(blob[:40] + bytes([blob[40] ^ 0xFF]) + blob[41:])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        path.write_bytes(os.urandom(len(blob)))
    assert cache.get(key) is None
    assert cache.stats.corrupt == 1
    assert not path.exists()


def test_no_temp_files_left_behind(tmp_path):
    cache = MeshCache(tmp_path)
    for i in range(20):
        cache.put(f"{i:040x}", box((0, 0, 0), (1, 1, i + 1)))
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix == ".tmp"]
    assert leftovers == []


def _fill(root: str, seed: int) -> int:
    cache = MeshCache(root)
    rng = np.random.default_rng(seed)
    for _ in range(3):
        for i in rng.permutation(40):
            cache.put(f"{i:040x}", box((0, 0, 0), (1, 1, float(i + 1))))
    return cache.stats.writes


def test_two_processes_filling_the_same_cache_corrupt_nothing(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        writes = pool.starmap(_fill, [(str(tmp_path), 1), (str(tmp_path), 2)])
    assert writes == [120, 120]
    cache = MeshCache(tmp_path)
    for i in range(40):
        m = cache.get(f"{i:040x}")
        assert m is not None and abs(m.volume - (i + 1)) < 1e-12
    assert cache.stats.corrupt == 0


def test_env_var_sets_default_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("BIMCHECK_CACHE", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"


def test_unwritable_cache_dir_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CacheError, match="cannot create cache directory"):
        MeshCache(blocker / "sub")
