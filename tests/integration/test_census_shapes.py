"""Census-style shapes on the default path (issue 16): scan → draft → fit → sample on a
table with a per-area code (a couple dozen values spread over a wide range), a
not-applicable code inside an income, zero-heavy incomes and a top-coded ratio. The area
column is drafted as categories and comes out with real codes only (coded as numbers it
had hundreds of values at ε = 1); the code, the
zeros and the top code keep their shares. Every fit draws fresh noise: the tolerances
hold with margin (checked over repeated runs)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from privacy import scan
from synth.synthesizer import Synthesizer


def _census(rng: np.random.Generator, n: int = 12000) -> pd.DataFrame:
    areas = np.sort(rng.choice(np.arange(100, 3800), 25, replace=False))
    age = rng.integers(0, 90, n)
    child = age < 15
    wage = np.where(rng.random(n) < 0.4, 0, np.round(rng.lognormal(10, 1, n), -2)).astype(int)
    ratio = np.clip(np.round(rng.lognormal(5.9, 0.8, n)), 0, 501).astype(int)
    return pd.DataFrame(
        {
            "PUMA": rng.choice(areas, n).astype(str),
            "AGEP": age.astype(str),
            "WAGP": np.where(child, "N", wage.astype(str)),
            "POVPIP": ratio.astype(str),
            "SEX": rng.choice(["1", "2"], n),
        }
    )


def _share(s: pd.Series, value: str) -> float:
    return float((s.astype(str) == value).mean())


def test_census_shapes_on_the_default_path() -> None:
    frame = _census(np.random.default_rng(16))
    draft = scan(frame, name="census").schema
    # a few dozen repeated codes with wide gaps: drafted as categories
    assert draft.column("PUMA").type == "categorical"
    assert draft.column("AGEP").type == "numerical"
    assert draft.column("WAGP").missing_values == ["N"]
    model = Synthesizer(draft, epsilon=2.0).fit(frame)
    syn = model.sample(seed=0)
    areas = set(frame["PUMA"])
    out = syn["PUMA"].dropna().astype(str)
    assert set(out) <= areas, "the area code emitted values no row holds"
    for col, value in (("WAGP", "N"), ("WAGP", "0"), ("POVPIP", "501")):
        assert abs(_share(syn[col], value) - _share(frame[col], value)) < 0.03, (col, value)
