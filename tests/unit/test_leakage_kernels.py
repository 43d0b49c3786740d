"""The compiled block scan gives the very lists of the numpy path, ties included."""

from __future__ import annotations

import numpy as np
import pytest

from privacy.leakage import kernels
from privacy.leakage.distance import HOLDOUT, TRAIN, Encoded, Prepared, nearest_two
from privacy.leakage.knn import nearest_k
from privacy.leakage.leave_one_out import nearest_leaving_out

pytestmark = pytest.mark.skipif(not kernels.COMPILED, reason="numba not installed")


def _rows(rng: np.random.Generator, n: int, wide: int) -> Encoded:
    dense = np.vstack([rng.integers(0, 3, (n // 2, 4)) / 2, rng.random((n - n // 2, 4))])
    return Encoded(dense, rng.integers(0, 3, (n, wide)))


def _both(monkeypatch: pytest.MonkeyPatch, run):
    out = []
    for compiled in (True, False):
        monkeypatch.setattr(kernels, "COMPILED", compiled)
        out.append(run())
    return out


@pytest.mark.parametrize("wide", [0, 1, 4])
@pytest.mark.parametrize("two", [True, False])
@pytest.mark.parametrize("block_rows", [3, 64, 4096])
def test_nearest_two_same_as_numpy(
    monkeypatch: pytest.MonkeyPatch, wide: int, two: bool, block_rows: int
) -> None:
    rng = np.random.default_rng(wide * 7 + block_rows)
    q, r = _rows(rng, 240 if block_rows < 8 else 700, wide), _rows(rng, 230, wide)
    got, want = _both(monkeypatch, lambda: nearest_two(q, r, block_rows=block_rows, two=two))
    for a, b in zip(
        (got.sq1, got.idx1, got.sq2, got.idx2),
        (want.sq1, want.idx1, want.sq2, want.idx2),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("wide", [0, 3])
@pytest.mark.parametrize("block_rows", [9, 64, 4096])
def test_nearest_k_same_as_numpy(
    monkeypatch: pytest.MonkeyPatch, wide: int, block_rows: int
) -> None:
    rng = np.random.default_rng(wide + block_rows)
    q, r = _rows(rng, 600, wide), _rows(rng, 300, wide)
    offset = rng.random(300) * 1e-6  # as the gate searches: every tie ordered
    got, want = _both(
        monkeypatch, lambda: nearest_k(q, r, 16, block_rows=block_rows, offset=offset)
    )
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


def test_scan_reads_codes_only_below_the_bound() -> None:
    """An entry whose dense part is not below the row's k-th best never enters, whatever
    its codes; one below it enters only if the codes keep it below."""
    best_d = np.array([[1.0, 2.0]])
    best_i = np.array([[0, 1]], dtype=np.int64)
    g = np.array([[2.0, 1.5, 0.5]])
    qc, rc = np.array([[7]]), np.array([[7], [8], [8]])
    kernels.scan_rows(None, 1, g, qc, rc, None, 2, best_d, best_i)
    np.testing.assert_array_equal(best_d, [[1.0, 1.5]])
    np.testing.assert_array_equal(best_i, [[0, 4]])


@pytest.mark.parametrize("query", [TRAIN, HOLDOUT])
@pytest.mark.parametrize("block_rows", [6, 4096])
def test_leaving_out_same_as_numpy(
    monkeypatch: pytest.MonkeyPatch, query: int, block_rows: int
) -> None:
    rng = np.random.default_rng(query * 10 + block_rows)
    n = (300, 200, 900)

    def num(k: int) -> np.ndarray:
        x = rng.integers(0, 5, k).astype(float)
        x[rng.random(k) < 0.1] = np.nan  # a second coordinate: the missing flag
        return x

    cols = [
        Prepared("age", True, tuple(num(k) for k in n)),
        Prepared("w", True, tuple(np.round(rng.normal(0, 2, k), 1) for k in n)),
        Prepared("sex", False, tuple(rng.integers(0, 2, k) for k in n)),
        Prepared("dx", False, tuple(rng.integers(0, 80, k) for k in n)),  # wide: by code
        Prepared("dx2", False, tuple(rng.integers(0, 90, k) for k in n)),
    ]
    secrets = [c.name for c in cols]
    got, want = _both(
        monkeypatch, lambda: nearest_leaving_out(cols, secrets, query, block_rows=block_rows)
    )
    for s in secrets:
        np.testing.assert_array_equal(got[s], want[s])


def test_nearest_k_ties_go_to_the_lower_index_without_offsets() -> None:
    """The compiled search orders by exact distance then index: on whole-number
    coordinates (exact sums, ties everywhere) it is the brute force, index for index."""
    rng = np.random.default_rng(4)
    q = Encoded(rng.integers(0, 3, (200, 5)).astype(float), rng.integers(0, 3, (200, 2)))
    r = Encoded(rng.integers(0, 3, (150, 5)).astype(float), rng.integers(0, 3, (150, 2)))
    sq = ((q.dense[:, None, :] - r.dense[None, :, :]) ** 2).sum(axis=2)
    sq += (q.codes[:, None, :] != r.codes[None, :, :]).sum(axis=2)
    order = np.lexsort((np.tile(np.arange(150), (200, 1)), sq), axis=1)[:, :8]
    for block_rows in (7, 4096):
        d, i = nearest_k(q, r, 8, block_rows=block_rows)
        np.testing.assert_array_equal(i, order)
        np.testing.assert_array_equal(d, np.take_along_axis(sq, order, axis=1))


def test_float32_margin_bounds_the_float32_gemm() -> None:
    rng = np.random.default_rng(8)
    qa = rng.normal(0, 3, (300, 150)) * rng.random((300, 1)) * 4
    ra = rng.normal(0, 3, (400, 150))
    exact = qa @ ra.T  # float64: its own error is ~1e-13, far inside the margin
    f32 = (qa.astype(np.float32) @ ra.astype(np.float32).T).astype(np.float64)
    margin = kernels.float32_margin(qa, ra)
    err = np.abs(f32 - exact).max(axis=1)
    assert (err < margin).all()
    assert (err > margin / 1e4).any()  # and it is not absurdly loose


def test_first_block_seed_bounds_the_kth_exact_value_and_keeps_the_lists() -> None:
    """A row's first block starts its bound at the seed (an upper bound on the block's
    k-th smallest exact value): never below it, so ties at the k-th value still enter,
    and the lists are the brute force's (whole numbers: ties everywhere)."""
    rng = np.random.default_rng(12)
    q = Encoded(rng.integers(0, 4, (120, 6)).astype(float) * 3, rng.integers(0, 2, (120, 2)))
    r = Encoded(rng.integers(0, 4, (90, 6)).astype(float) * 3, rng.integers(0, 2, (90, 2)))
    sq = ((q.dense[:, None, :] - r.dense[None, :, :]) ** 2).sum(axis=2)
    sq += (q.codes[:, None, :] != r.codes[None, :, :]).sum(axis=2)
    from privacy.leakage.distance import _augmented

    qa, ra = _augmented(q.dense, r.dense)
    g = (qa.astype(np.float32) @ ra.astype(np.float32).T).astype(np.float32)
    margin = kernels.float32_margin(qa, ra)
    kth = np.empty(5)
    for i in range(len(sq)):
        seed = kernels._seed(g[i], margin[i], q.codes, r.codes, np.zeros(1), False, i, kth)
        assert seed > np.sort(sq[i])[4]
    order = np.lexsort((np.tile(np.arange(90), (120, 1)), sq), axis=1)[:, :5]
    d, i = nearest_k(q, r, 5, block_rows=4096)
    np.testing.assert_array_equal(i, order)
    np.testing.assert_array_equal(d, np.take_along_axis(sq, order, axis=1))
