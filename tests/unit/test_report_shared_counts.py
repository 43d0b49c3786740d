"""The report computes some figures once and shares them: the very same numbers."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from synth.io.numbers import to_numbers
from synth.report.columns import _numbers, prepare
from synth.report.fidelity import column_tvd, cramers_v, joint_tvd, marginals
from synth.schema import parse_schema


def test_numbers_parse_each_distinct_text_once_to_the_same_floats() -> None:
    cells = ["1", " 2.5 ", "1e3", "-inf", "820e28588050405e9a0f", "x", None, "nan", "", "-0"]
    s = pd.Series(np.random.default_rng(1).choice(np.array(cells, dtype=object), 500))
    s.iloc[3] = np.nan
    got, want = _numbers(s), to_numbers(s).astype("float64")
    pd.testing.assert_series_equal(got, want)
    assert np.array_equal(np.signbit(got.to_numpy()), np.signbit(want.to_numpy()))
    mixed = pd.Series([1, "2", None, 3.5, True], dtype=object)  # not all text: cell by cell
    pd.testing.assert_series_equal(_numbers(mixed), to_numbers(mixed).astype("float64"))


def _cols():
    rng = np.random.default_rng(3)
    n = 400
    frame = lambda: pd.DataFrame(  # noqa: E731
        {
            "a": rng.choice(["x", "y", "z", None], n),
            "b": rng.choice(["p", "q"], n),
            "n": rng.choice(["0", "1", "7", "12", ""], n),
        }
    )
    schema = parse_schema(
        {
            "dataset": {"name": "t"},
            "columns": [
                {"name": "a", "type": "categorical"},
                {"name": "b", "type": "categorical"},
                {"name": "n", "type": "numerical"},
            ],
        }
    )
    cols, _ = prepare(frame(), frame(), schema, frame())
    return cols


def test_shared_counts_give_the_figures_of_separate_counts() -> None:
    cols = _cols()
    for c in cols:
        if not c.numeric:
            pd.testing.assert_series_equal(
                c.real_shares(), c.real.dropna().value_counts(normalize=True)
            )
    m = marginals(cols)
    pairs = {tuple(p["columns"]): p for p in m["association"]["largest_differences"]}
    for a, b in itertools.combinations(cols, 2):
        p = pairs[(a.name, b.name)]
        assert p["tvd"] == joint_tvd([a, b])
        assert p["v_real"] == cramers_v(a.real_codes, b.real_codes, a.n_codes, b.n_codes)
    assert m["mean_tvd"]["1-way"] == np.mean([column_tvd(c) for c in cols])
