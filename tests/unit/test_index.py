"""Broad phase: candidate pairs against hand-made cases and an O(n²) reference."""

from __future__ import annotations

import numpy as np
import pytest

from bimcheck.errors import GeometryError
from bimcheck.geometry.index import BoundsIndex, candidate_pairs

SITE = np.array([500000.0, 4000000.0, 0.0])


def brute_self(bounds: np.ndarray, expand: float) -> np.ndarray:
    lo, hi = bounds[:, 0], bounds[:, 1]
    near = ((lo[:, None] - expand <= hi[None]) & (lo[None] - expand <= hi[:, None])).all(axis=-1)
    i, j = np.nonzero(np.triu(near, 1))
    return np.stack([i, j], axis=1)


def brute_two(a: np.ndarray, b: np.ndarray, expand: float) -> np.ndarray:
    near = (
        (a[:, None, 0] - expand <= b[None, :, 1]) & (b[None, :, 0] - expand <= a[:, None, 1])
    ).all(axis=-1)
    i, j = np.nonzero(near)
    return np.stack([i, j], axis=1)


def random_boxes(rng: np.random.Generator, n: int, origin: np.ndarray) -> np.ndarray:
    """Boxes in a 20 m cube: mostly small, some flat (zero extent on an axis),
    some points, a few very large (slabs) so several grid levels are used."""
    lo = rng.uniform(0, 20, (n, 3))
    size = rng.exponential(1.0, (n, 3))
    size[rng.random((n, 3)) < 0.1] = 0.0  # flat boxes
    size[rng.random(n) < 0.03] = 0.0  # points
    big = rng.random(n) < 0.05
    size[big] *= 25.0
    lo = lo + origin
    return np.stack([lo, lo + size], axis=1)


def as_box(lower, upper) -> list:
    return [list(lower), list(upper)]


# -- hand-made cases ---------------------------------------------------------


def test_touching_boxes_are_candidates():
    bounds = [as_box((0, 0, 0), (1, 1, 1)), as_box((1, 0, 0), (2, 1, 1))]
    assert candidate_pairs(bounds).tolist() == [[0, 1]]


def test_gap_of_0_3_needs_expand_0_3():
    bounds = [as_box((0, 0, 0), (1, 1, 1)), as_box((1.3, 0, 0), (2, 1, 1))]
    assert candidate_pairs(bounds).tolist() == []
    assert candidate_pairs(bounds, expand=0.29).tolist() == []
    assert candidate_pairs(bounds, expand=0.3).tolist() == [[0, 1]]
    assert candidate_pairs(bounds, expand=1.0).tolist() == [[0, 1]]


def test_gap_must_hold_on_every_axis():
    # Overlap in x, 0.5 m apart in y, 2 m apart in z: needs expand >= 2.
    bounds = [as_box((0, 0, 0), (1, 1, 1)), as_box((0.5, 1.5, 3), (2, 2, 4))]
    assert candidate_pairs(bounds, expand=1.0).tolist() == []
    assert candidate_pairs(bounds, expand=2.0).tolist() == [[0, 1]]


def test_flat_and_point_boxes():
    flat_a = as_box((0, 0, 1), (2, 2, 1))  # a horizontal rectangle at z = 1
    flat_b = as_box((1, 1, 1), (3, 3, 1))  # overlaps it in the same plane
    point = as_box((1.5, 1.5, 1), (1.5, 1.5, 1))  # a point inside both
    away = as_box((5, 5, 5), (5, 5, 5))
    pairs = candidate_pairs([flat_a, flat_b, point, away])
    assert pairs.tolist() == [[0, 1], [0, 2], [1, 2]]


def test_two_sets_pairs_are_a_then_b():
    a = [as_box((0, 0, 0), (1, 1, 1)), as_box((10, 0, 0), (11, 1, 1))]
    b = [as_box((10.5, 0, 0), (12, 1, 1)), as_box((0.5, 0.5, 0.5), (3, 3, 3))]
    assert candidate_pairs(a, b).tolist() == [[0, 1], [1, 0]]
    assert BoundsIndex(b).pairs_with(a).tolist() == [[0, 1], [1, 0]]


def test_identical_boxes_pair_once():
    bounds = [as_box((0, 0, 0), (1, 1, 1))] * 4
    assert candidate_pairs(bounds).tolist() == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]


def test_query_one_box():
    index = BoundsIndex(
        [as_box((0, 0, 0), (1, 1, 1)), as_box((2, 0, 0), (3, 1, 1)), as_box((5, 0, 0), (6, 1, 1))]
    )
    assert index.query(as_box((1, 0, 0), (2, 1, 1))).tolist() == [0, 1]
    assert index.query(as_box((3.5, 0, 0), (4, 1, 1))).tolist() == []
    assert index.query(as_box((3.5, 0, 0), (4, 1, 1)), expand=1.0).tolist() == [1, 2]


# -- empty and invalid input --------------------------------------------------


def test_empty_inputs():
    empty = np.zeros((0, 2, 3))
    one = np.array([as_box((0, 0, 0), (1, 1, 1))], dtype=float)
    for result in (
        candidate_pairs(empty),
        candidate_pairs(one),
        candidate_pairs(empty, one),
        candidate_pairs(one, empty),
        candidate_pairs(empty, empty, expand=1.0),
        candidate_pairs([]),
    ):
        assert result.shape == (0, 2)
        assert result.dtype == np.int64
    assert BoundsIndex(empty).query(one[0]).shape == (0,)
    assert len(BoundsIndex(empty)) == 0


@pytest.mark.parametrize(
    "bounds",
    [
        np.zeros((3, 3)),  # wrong shape
        np.zeros((2, 3, 2)),
        [[[1, 0, 0], [0, 1, 1]]],  # min > max
        [[[np.nan, 0, 0], [1, 1, 1]]],
        [[[0, 0, 0], [np.inf, 1, 1]]],
    ],
)
def test_invalid_bounds_raise(bounds):
    with pytest.raises(GeometryError):
        candidate_pairs(bounds)


@pytest.mark.parametrize("expand", [-0.1, float("nan"), float("inf")])
def test_invalid_expand_raises(expand):
    with pytest.raises(GeometryError):
        candidate_pairs([as_box((0, 0, 0), (1, 1, 1))] * 2, expand=expand)


# -- against the O(n²) reference ------------------------------------------------


@pytest.mark.parametrize("origin", [np.zeros(3), SITE], ids=["origin", "site"])
@pytest.mark.parametrize("expand", [0.0, 0.25, 2.0])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_self_pairs_match_brute_force(seed, expand, origin):
    rng = np.random.default_rng(seed)
    bounds = random_boxes(rng, 300, origin)
    got = candidate_pairs(bounds, expand=expand)
    want = brute_self(bounds, expand)
    assert len(want) > 0
    np.testing.assert_array_equal(got, want)
    assert (got[:, 0] < got[:, 1]).all()


@pytest.mark.parametrize("origin", [np.zeros(3), SITE], ids=["origin", "site"])
@pytest.mark.parametrize("expand", [0.0, 0.25, 2.0])
@pytest.mark.parametrize("seed", [4, 5])
def test_two_set_pairs_match_brute_force(seed, expand, origin):
    rng = np.random.default_rng(seed)
    a = random_boxes(rng, 250, origin)
    b = random_boxes(rng, 180, origin)
    got = candidate_pairs(a, b, expand=expand)
    want = brute_two(a, b, expand)
    assert len(want) > 0
    np.testing.assert_array_equal(got, want)


def test_output_is_deterministic_and_sorted():
    rng = np.random.default_rng(7)
    bounds = random_boxes(rng, 200, np.zeros(3))
    first = candidate_pairs(bounds, expand=0.5)
    second = BoundsIndex(bounds.copy()).self_pairs(expand=0.5)
    np.testing.assert_array_equal(first, second)
    order = np.lexsort((first[:, 1], first[:, 0]))
    np.testing.assert_array_equal(order, np.arange(len(first)))


def test_all_points_at_one_place():
    bounds = np.zeros((5, 2, 3))
    assert len(candidate_pairs(bounds)) == 10
