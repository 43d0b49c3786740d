"""The chunked scan's non-numeric codes, read from distinct texts, equal the whole column's."""

from __future__ import annotations

import numpy as np
import pandas as pd

from privacy.chunked_scan import chunk_counts
from privacy.profile import non_numeric, present_values


def test_codes_from_distinct_texts_are_the_columns_codes() -> None:
    rng = np.random.default_rng(0)
    n = 500
    df = pd.DataFrame(
        {
            "num": rng.choice(["1", "2.5", " N", "N", "?", "", None, "7 "], n),
            "many": rng.choice(["1", "x", "y", "z", "w"], n),  # more codes than allowed
            "text": rng.choice(["1", "two words"], n),
            "plain": rng.choice(["3", "4", "-1e3", "inf"], n),
            "mixed": pd.Series(rng.choice([1, 2.5, "N", None], n), dtype=object),
        }
    )
    got = chunk_counts(df, np.zeros(0, dtype=np.int64), 64, [])["codes"]
    want = [non_numeric(present_values(df[c])) for c in df.columns]
    assert got == want
    assert got[0] == ("?", "N") and got[1] is None and got[2] is None
