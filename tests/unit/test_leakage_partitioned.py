"""Neighbour searches partitioned over real-row blocks: exact, whatever the block size."""

from __future__ import annotations

import numpy as np
import pytest

from privacy.leakage.distance import (
    HOLDOUT,
    SYNTHETIC,
    TRAIN,
    Neighbours,
    Prepared,
    count_within,
    encode,
    nearest_two,
)
from privacy.leakage.partitioned import BlockSearch, RankTable, merge_neighbours


def _columns(seed: int = 0, n: tuple[int, int, int] = (230, 90, 70)) -> list[Prepared]:
    rng = np.random.default_rng(seed)

    def numeric(k: int, levels: int) -> np.ndarray:
        x = rng.integers(0, levels, k).astype(float)
        x[rng.random(k) < 0.1] = np.nan
        return x

    cols = [
        Prepared("few", True, tuple(numeric(k, 4) for k in n)),  # many exact ties
        Prepared("many", True, tuple(np.round(rng.normal(0, 3, k), 1) for k in n)),
        Prepared("cat", False, tuple(rng.integers(0, 5, k) for k in n)),
        Prepared("wide", False, tuple(rng.integers(0, 90, k) for k in n)),  # > ONE_HOT_MAX
    ]
    return cols


def _global(cols: list[Prepared], query: int, ref: int, two: bool = True) -> Neighbours:
    q, (r,) = encode(cols, query, [ref])
    return nearest_two(q, r, block_rows=16, two=two)


@pytest.mark.parametrize("ref_rows", [9, 64, 10_000])
@pytest.mark.parametrize(
    ("query", "ref"), [(SYNTHETIC, TRAIN), (SYNTHETIC, HOLDOUT), (HOLDOUT, TRAIN)]
)
def test_blocks_give_the_unpartitioned_distances(ref_rows: int, query: int, ref: int):
    cols = _columns()
    got = BlockSearch(cols, block_rows=8, ref_rows=ref_rows).nearest(query, ref)
    want = _global(cols, query, ref)
    np.testing.assert_allclose(got.sq1, want.sq1, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(got.sq2, want.sq2, rtol=1e-13, atol=1e-13)
    # the reported indices really are at the reported distances
    q, (r,) = encode(cols, query, [ref])
    d = ((q.dense[:, None, :] - r.dense[None, :, :]) ** 2).sum(axis=2)
    d += (q.codes[:, None, :] != r.codes[None, :, :]).sum(axis=2)
    rows = np.arange(len(d))
    np.testing.assert_allclose(d[rows, got.idx1], got.sq1, rtol=1e-13, atol=1e-13)
    assert (got.idx1 != got.idx2).all()


def test_block_size_changes_no_exact_distance():
    cols = _columns(seed=4)
    runs = [
        BlockSearch(cols, block_rows=8, ref_rows=r).nearest(SYNTHETIC, TRAIN) for r in (5, 8, 512)
    ]
    for other in runs[1:]:
        assert np.array_equal(runs[0].sq1, other.sq1) and np.array_equal(runs[0].sq2, other.sq2)


def test_merge_prefers_the_nearer_then_the_lower_index():
    a = Neighbours(
        np.array([1.0, 2.0, 1.0]),
        np.array([0, 1, 2]),
        np.array([3.0, 2.0, 1.0]),
        np.array([4, 5, 6]),
    )
    b = Neighbours(
        np.array([1.0, 0.5, 0.2]),
        np.array([10, 11, 12]),
        np.array([1.0, 9.0, 0.3]),
        np.array([13, 14, 15]),
    )
    m = merge_neighbours([a, b])
    assert m.sq1.tolist() == [1.0, 0.5, 0.2] and m.idx1.tolist() == [0, 11, 12]
    assert m.sq2.tolist() == [1.0, 2.0, 0.3] and m.idx2.tolist() == [10, 1, 15]


def test_counts_within_add_up_over_blocks():
    cols = _columns(seed=2)
    search = BlockSearch(cols, block_rows=8, ref_rows=13)
    rows = np.arange(0, 70, 3)
    radius = search.nearest(SYNTHETIC, TRAIN).sq1[rows]
    got = search.count_within(rows, TRAIN, radius, rtol=1e-9, query=SYNTHETIC)
    sub = [Prepared(c.name, c.numeric, (c.parts[0], c.parts[1], c.parts[2][rows])) for c in cols]
    q, (r,) = encode(sub, SYNTHETIC, [TRAIN])
    assert np.array_equal(got, count_within(q, r, radius, rtol=1e-9, block_rows=8))
    assert (got >= 1).all()


def test_rank_table_matches_searchsorted_ranks():
    col = _columns()[0]
    real = np.concatenate(col.parts[:2])
    base = np.sort(real[~np.isnan(real)])
    x = np.array([-1.0, 0.0, 1.5, 3.0, 7.0])
    want = (np.searchsorted(base, x, "left") + np.searchsorted(base, x, "right")) / (
        2.0 * len(base)
    )
    assert np.array_equal(RankTable.of(col).ranks(x), want)


@pytest.mark.parametrize("cols", [[0, 2], [0, 1, 3], [2]])
def test_distinct_rows_give_the_same_nearest_distances(cols: list[int]):
    # the quasi-identifier view searches each distinct row once; the distances (ranks from
    # every real row, duplicates included) must be those of the full search
    search = BlockSearch(_columns(3), block_rows=8, ref_rows=64)
    sub, inverse = search.distinct(cols)
    for query, ref in ((SYNTHETIC, TRAIN), (SYNTHETIC, HOLDOUT)):
        full = search.nearest(query, ref, cols=cols, two=False).sq1
        got = sub.nearest(query, ref, two=False).sq1[inverse[query]]
        np.testing.assert_allclose(got, full, rtol=1e-13, atol=1e-13)
    assert len(sub.columns[0].parts[TRAIN]) < len(search.columns[0].parts[TRAIN])
