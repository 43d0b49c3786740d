"""The draft codes a numerical column of a few dozen repeated, widely spaced numbers (area
codes, a per-area value) as categories; counts, ages, years and zero-inflated incomes stay
numerical (issue 16)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from privacy import scan
from privacy.draft import SPARSE_EVIDENCE


def _table(n: int = 4000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    areas = np.sort(rng.choice(np.arange(100, 3800), 30, replace=False))
    rents = np.round(rng.uniform(650, 2400, 30), 1)
    area = rng.integers(0, 30, n)
    income = np.where(rng.random(n) < 0.9, 0, np.round(rng.lognormal(9, 1, n)))
    return pd.DataFrame(
        {
            "PUMA": areas[area].astype(str),
            "AREA_RENT": np.char.mod("%.1f", rents[area]),
            "AGEP": rng.integers(0, 96, n).astype(str),
            "VISITS": rng.poisson(0.6, n).astype(str),
            "YEAR": rng.integers(1990, 2021, n).astype(str),
            "INCOME": income.astype(int).astype(str),
            "DOSE": rng.choice(["0", "5", "10", "20", "50", "100"], n),
        }
    )


def test_sparse_codes_are_drafted_as_categories() -> None:
    draft = scan(_table(), name="t").schema
    coded = {c.name for c in draft.columns if SPARSE_EVIDENCE in c.evidence}
    assert coded == {"PUMA", "AREA_RENT"}
    assert draft.column("DOSE").type == "categorical"  # a small enumeration already
    for name in coded:
        assert draft.column(name).type == "categorical"
        assert draft.column(name).missing_values == []
    assert draft.column("AGEP").type == "numerical"
    assert draft.column("INCOME").type == "numerical"


def test_a_small_table_keeps_its_numbers() -> None:
    """Few rows per value is not evidence of a code list: the rule leaves it alone."""
    draft = scan(_table(150), name="t").schema
    assert not any(SPARSE_EVIDENCE in c.evidence for c in draft.columns)
