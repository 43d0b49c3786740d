"""The blocked k-nearest search against brute force: many blocks, ties, wide codes, offsets."""

from __future__ import annotations

import numpy as np
import pytest

from privacy.leakage import kernels
from privacy.leakage.distance import Encoded, add_mismatches
from privacy.leakage.knn import nearest_k, top_sorted


def _brute(q: Encoded, r: Encoded, k: int, offset: np.ndarray | None):
    diff = q.dense[:, None, :] - r.dense[None, :, :]
    sq = (diff**2).sum(axis=2) + (q.codes[:, None, :] != r.codes[None, :, :]).sum(axis=2)
    idx = np.tile(np.arange(len(r.dense)), (len(q.dense), 1))
    return top_sorted(sq, idx, k, offset)


def _rows(rng: np.random.Generator, n: int, wide: int) -> Encoded:
    # small integer coordinates: many exact ties
    dense = rng.integers(0, 3, (n, 4)).astype(float)
    codes = rng.integers(0, 4, (n, wide))
    return Encoded(dense, codes)


@pytest.mark.parametrize("wide", [0, 1, 3])
@pytest.mark.parametrize("with_offset", [False, True])
def test_nearest_k_matches_brute_force_across_blocks(
    wide: int, with_offset: bool, kernel_path: str
) -> None:
    rng = np.random.default_rng(wide * 10 + with_offset)
    q, r = _rows(rng, 60, wide), _rows(rng, 97, wide)
    offset = rng.random(97) * 1e-6 if with_offset else None
    k = 5
    want_d, want_i = _brute(q, r, k, offset)
    for block_rows in (7, 16, 4096):
        got_d, got_i = nearest_k(q, r, k, block_rows=block_rows, offset=offset)
        np.testing.assert_allclose(got_d, want_d, rtol=0, atol=1e-9)
        if with_offset:  # offsets order every tie: the very same rows
            np.testing.assert_array_equal(got_i, want_i)
        else:  # ties go to the lower index in the brute force; same distances here
            assert np.allclose(got_d, want_d)


def test_nearest_k_pads_when_reference_is_short(kernel_path: str) -> None:
    rng = np.random.default_rng(3)
    q, r = _rows(rng, 10, 2), _rows(rng, 3, 2)
    d, i = nearest_k(q, r, 5, block_rows=2)
    assert (i[:, 3:] == -1).all() and np.isinf(d[:, 3:]).all()
    assert sorted(i[0, :3].tolist()) == [0, 1, 2]


def test_add_mismatches_counts_every_wide_column() -> None:
    rng = np.random.default_rng(5)
    qc, rc = rng.integers(0, 3, (300, 8)), rng.integers(0, 3, (300, 11))
    g = np.zeros((8, 11))
    add_mismatches(g, qc, rc)
    want = (qc[:, :, None] != rc[:, None, :]).sum(axis=0)
    np.testing.assert_array_equal(g, want)


@pytest.mark.parametrize("with_offset", [False, True])
def test_scan_keeps_the_k_smallest_value_index_pairs(with_offset: bool) -> None:
    """The compiled scan (or its Python source) against brute force on a given block:
    whole-number entries, so ties are everywhere and must go to the lower index."""
    rng = np.random.default_rng(11 + with_offset)
    m, n, k, c = 40, 300, 6, 3
    g = rng.integers(0, 4, (m, n)).astype(float)
    qc, rc = rng.integers(0, 2, (m, c)), rng.integers(0, 2, (n, c))
    offset = rng.integers(0, 3, n) * 0.25 if with_offset else None
    full = g + (qc[:, None, :] != rc[None, :, :]).sum(axis=2)
    if offset is not None:
        full = full + offset[None, :]
    order = np.lexsort((np.tile(np.arange(n), (m, 1)), full), axis=1)[:, :k]
    best_d, best_i = np.full((m, k), np.inf), np.full((m, k), -1, dtype=np.int64)
    for s in range(0, n, 64):  # blocks in index order, as the searches read them
        kernels.scan_rows(
            None,
            1,
            g[:, s : s + 64],
            qc,
            rc[s : s + 64],
            None if offset is None else offset[s : s + 64],
            s,
            best_d,
            best_i,
        )
    np.testing.assert_array_equal(best_i, order)
    np.testing.assert_array_equal(best_d, np.take_along_axis(full, order, axis=1))


def test_exact_sq_lists_are_exact_sq_per_column() -> None:
    """The winners' distances, all k columns per chunk of query rows, are exact_sq's own
    values (bit for bit), with −1 (no row) left at +inf."""
    from privacy.leakage import distance
    from privacy.leakage.distance import Encoded, exact_sq, exact_sq_lists

    rng = np.random.default_rng(5)
    q = Encoded(rng.random((2500, 9)), rng.integers(0, 3, (2500, 2)))
    r = Encoded(rng.random((700, 9)), rng.integers(0, 3, (700, 2)))
    idx = rng.integers(0, 700, (2500, 4))
    idx[rng.random(idx.shape) < 0.1] = -1
    idx[:, 0] = rng.integers(0, 700, 2500)  # one full column (the usual case)
    got = exact_sq_lists(q, r, idx)
    old, distance._RECOMPUTE_ROWS = distance._RECOMPUTE_ROWS, 16_384
    try:
        for c in range(4):
            have = idx[:, c] >= 0
            want = exact_sq(Encoded(q.dense[have], q.codes[have]), r, idx[have, c])
            np.testing.assert_array_equal(got[have, c], want)
            assert np.isinf(got[~have, c]).all()
    finally:
        distance._RECOMPUTE_ROWS = old
