"""``present_values`` decides blankness per distinct value: the same rows as reading the
text of every row (issue 16's speed item)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from privacy.profile import present_values


def _per_row(series: pd.Series) -> pd.Series:
    """The former definition: every row's text stripped."""
    present = series.dropna()
    return present[present.astype(str).str.strip() != ""]


CELLS = ["a", " a", "", " ", "\t", "  \n", "N", "0", "1.5", None, np.nan, 3, 2.5, True, pd.NA]


def _frames() -> list[pd.Series]:
    rng = np.random.default_rng(0)
    out = []
    for _ in range(40):
        n = int(rng.integers(0, 300))
        picks = rng.choice(len(CELLS), n)
        out.append(pd.Series([CELLS[i] for i in picks], dtype=object, index=rng.permutation(n)))
    out.append(pd.Series(rng.normal(size=50)))
    out.append(pd.Series([1.0, np.nan, np.inf, -np.inf]))
    out.append(pd.Series([1, 2, 3], dtype="Int64"))
    out.append(pd.Series(["x", " ", None, "y"], dtype="string"))
    out.append(pd.Series(["x", " ", None, "x"], dtype="category"))
    out.append(pd.Series(pd.to_datetime(["2020-01-01", None])))
    out.append(pd.Series([True, False, None], dtype=object))
    out.append(pd.Series([], dtype=object))
    out.append(pd.Series([[1], [], " "], dtype=object))  # unhashable cells
    return out


@pytest.mark.parametrize("series", _frames())
def test_present_values_equal_the_per_row_reading(series: pd.Series) -> None:
    got, want = present_values(series), _per_row(series)
    pd.testing.assert_series_equal(got, want)
