"""DP domain estimation: rare categories stay hidden, bounds come from a fixed grid."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth.domain import estimate_bounds, select_categories
from synth.ledger import PrivacyLedger


def test_singleton_category_is_almost_never_released() -> None:
    values = pd.Series(["common"] * 500 + ["rare-person-value"])
    released = 0
    for seed in range(300):
        led = PrivacyLedger(10, 1e-5)
        sel = select_categories(
            values, ledger=led, sigma=2.0, delta=1e-6, rng=np.random.default_rng(seed), column="c"
        )
        assert "common" in sel.categories
        released += "rare-person-value" in sel.categories
    assert released == 0


def test_selection_is_charged() -> None:
    led = PrivacyLedger(10, 1e-6)
    select_categories(
        pd.Series(["a"] * 50),
        ledger=led,
        sigma=2.0,
        delta=1e-7,
        rng=np.random.default_rng(0),
        column="c",
    )
    assert led.charges[0].rho == 1 / 8 and led.charges[0].delta == 1e-7


def test_bounds_cover_bulk_not_outlier() -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(100, 10, 5000), [1e9]])
    led = PrivacyLedger(10, 1e-6)
    b = estimate_bounds(x, ledger=led, sigma=2.0, rng=rng, column="x")
    assert b is not None
    assert b.low <= np.quantile(x, 0.01) and b.high >= np.quantile(x, 0.99)
    assert b.high < 1e6  # a single outlier does not set the bound


def test_datetime_bounds_monthly_grid() -> None:
    days = (
        pd.date_range("2021-01-01", "2022-12-31", periods=3000) - pd.Timestamp("1970-01-01")
    ).days.to_numpy(float)
    led = PrivacyLedger(10, 1e-6)
    b = estimate_bounds(
        days, ledger=led, sigma=2.0, rng=np.random.default_rng(0), column="d", datetime=True
    )
    lo = pd.Timestamp("1970-01-01") + pd.Timedelta(days=b.low)
    hi = pd.Timestamp("1970-01-01") + pd.Timedelta(days=b.high)
    assert lo <= pd.Timestamp("2021-01-01") and hi >= pd.Timestamp("2022-12-01")
    assert lo >= pd.Timestamp("2020-11-01") and hi <= pd.Timestamp("2023-02-01")
