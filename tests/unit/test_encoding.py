from __future__ import annotations

import numpy as np
import pandas as pd

from synth.encoding import CategoricalCodec, DatetimeCodec, NumericCodec, codec_from_state


def test_categorical_round_trip_and_other() -> None:
    c = CategoricalCodec("c", ["a", "b"])
    tok = c.encode(pd.Series(["a", "b", None, "zzz"]))
    assert tok.tolist() == [0, 1, c.missing, c.other]
    back = c.decode(tok[:3], np.random.default_rng(0))
    assert back.tolist()[:2] == ["a", "b"] and back.iloc[2] is None
    assert c.blocked_tokens() == [c.other]


def test_numeric_exact_integers_stay_integers() -> None:
    c = NumericCodec("n", 0, 60, precision=0)
    assert c.exact
    vals = pd.Series([0, 3, 60, None, 75])
    back = c.decode(c.encode(vals), np.random.default_rng(0))
    assert str(back.dtype) == "Int64"
    assert back.tolist()[:3] == [0, 3, 60] and pd.isna(back.iloc[3]) and back.iloc[4] == 60


def test_numeric_bins_respect_bounds_and_precision() -> None:
    c = NumericCodec("x", 0.3, 12.0, precision=2)
    rng = np.random.default_rng(1)
    x = pd.Series(rng.uniform(0.3, 12.0, 1000))
    back = c.decode(c.encode(x), rng)
    assert back.between(0.3, 12.0).all()
    assert np.allclose(back, back.round(2))
    # binning error is at most one bin
    assert (np.abs(back - x) <= (12.0 - 0.3) / c.n_bins + 0.01).all()


def test_datetime_round_trip_format() -> None:
    low = (pd.Timestamp("2021-01-01") - pd.Timestamp("1970-01-01")).days
    high = low + 40
    c = DatetimeCodec("d", low, high, "%m/%d/%Y")
    s = pd.Series(["01/05/2021", None, "02/01/2021"])
    back = c.decode(c.encode(s), np.random.default_rng(0))
    assert back.iloc[0] == "01/05/2021" and back.iloc[1] is None and back.iloc[2] == "02/01/2021"


def test_codec_state_round_trip() -> None:
    for c in (
        CategoricalCodec("c", ["x"]),
        NumericCodec("n", 1, 2, 1),
        DatetimeCodec("d", 0, 10, "%Y"),
    ):
        again = codec_from_state(c.state_dict())
        assert again.state_dict() == c.state_dict()
