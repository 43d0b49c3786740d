"""The strong attacker's one-pass searches against a direct search per secret."""

from __future__ import annotations

import numpy as np
import pytest

from privacy.leakage.distance import HOLDOUT, SYNTHETIC, TRAIN, Prepared, encode
from privacy.leakage.leave_one_out import TIE, nearest_leaving_out


def _columns(seed: int) -> list[Prepared]:
    rng = np.random.default_rng(seed)
    n = (40, 30, 57)

    def num(k: int) -> np.ndarray:
        x = rng.integers(0, 5, k).astype(float)
        x[rng.random(k) < 0.1] = np.nan
        return x

    return [
        Prepared("age", True, tuple(num(k) for k in n)),
        Prepared("w", True, tuple(np.round(rng.normal(0, 2, k), 1) for k in n)),
        Prepared("sex", False, tuple(rng.integers(0, 2, k) for k in n)),
        Prepared("dx", False, tuple(rng.integers(0, 80, k) for k in n)),  # wide: by code
        Prepared("job", False, tuple(rng.integers(0, 4, k) for k in n)),
    ]


def _direct(cols: list[Prepared], secret: str, query: int) -> np.ndarray:
    rest = [c for c in cols if c.name != secret]
    q, (r,) = encode(rest, query, [SYNTHETIC])
    d = ((q.dense[:, None, :] - r.dense[None, :, :]) ** 2).sum(axis=2)
    return d + (q.codes[:, None, :] != r.codes[None, :, :]).sum(axis=2)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("query", [TRAIN, HOLDOUT])
def test_each_secret_gets_the_nearest_row_over_the_other_columns(
    seed: int, query: int, kernel_path: str
):
    cols = _columns(seed)
    secrets = [c.name for c in cols]
    for block_rows in (5, 4096):
        got = nearest_leaving_out(cols, secrets, query, block_rows=block_rows)
        for s in secrets:
            d = _direct(cols, s, query)
            best = d.min(axis=1)
            rows = np.arange(len(d))
            np.testing.assert_allclose(d[rows, got[s]], best, atol=1e-9)
            # among equally near rows the lowest index wins
            first = np.argmax(d <= best[:, None] + TIE / 2, axis=1)
            np.testing.assert_array_equal(got[s], first)


def test_no_secret_searches_nothing() -> None:
    """With no secret (every column a quasi-identifier) there is nothing to search."""
    from privacy.leakage.distance import Prepared
    from privacy.leakage.leave_one_out import nearest_leaving_out

    a = Prepared("a", False, (np.array([0, 1]), np.array([0]), np.array([1, 0, 0])))
    b = Prepared("b", True, (np.array([5.0, 5]), np.array([6.0]), np.array([6.0, 5, 6])))
    assert nearest_leaving_out([a, b], [], 0, block_rows=2) == {}
