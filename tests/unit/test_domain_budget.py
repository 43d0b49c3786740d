"""The DP domain search's share of the budget, as the ledger records it: per unit of
measurement weight, between a floor (a narrow table still finds its domain) and a cap
(a wide table leaves the engine the rest), both larger when a person may hold several
rows (the engine is charged k² per person, the search counts persons); the engine
spends what remains, no more."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synth.ledger import zcdp_rho_for
from synth.private_domains import (
    PERSON_PREPROCESSING_PER_WEIGHT,
    PERSON_PREPROCESSING_SHARE,
    PREPROCESSING_FLOOR,
    PREPROCESSING_PER_WEIGHT,
    PREPROCESSING_SHARE,
)
from synth.schema import parse_schema
from synth.synthesizer import Synthesizer

SEARCH = ("category set", "bounds", "precision", "heavy values", "shape")


def _fit(n_cat: int, k: int) -> tuple[float, float]:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({f"c{i}": rng.choice(["a", "b", "c"], 2400) for i in range(n_cat)})
    cols: list[dict] = [{"name": c, "type": "categorical"} for c in frame.columns]
    dataset: dict = {"name": "t", "delta": 1e-6}
    if k > 1:
        frame.insert(0, "pid", [f"P{i // k:05d}" for i in range(len(frame))])
        cols.insert(0, {"name": "pid", "type": "identifier", "action": "drop"})
        dataset.update(privacy_unit="pid", max_rows_per_unit=k)
    schema = parse_schema({"dataset": dataset, "columns": cols})
    model = Synthesizer(schema, epsilon=1.0, engine="aim", seed=0).fit(frame)
    assert model.ledger.rows_per_unit == k
    rho = zcdp_rho_for(1.0, model.ledger.conversion_delta)
    search = sum(c.rho for c in model.ledger.charges if c.purpose.startswith(SEARCH))
    return search / rho, model.ledger.spent()[0]


@pytest.mark.parametrize("n_cat, k", [(2, 1), (10, 1), (20, 1), (10, 3), (20, 3)])
def test_the_domain_search_takes_its_share_by_weight_and_the_engine_the_rest(n_cat, k) -> None:
    share, spent = _fit(n_cat, k)
    cap, per_weight = (
        (PREPROCESSING_SHARE, PREPROCESSING_PER_WEIGHT)
        if k == 1
        else (PERSON_PREPROCESSING_SHARE, PERSON_PREPROCESSING_PER_WEIGHT)
    )
    assert share == pytest.approx(min(cap, max(PREPROCESSING_FLOOR, per_weight * n_cat)))
    assert 0.98 < spent <= 1.0 + 1e-9


def test_a_date_columns_bounds_weigh_twice_a_numbers() -> None:
    """A date column's bounds histogram (2,400 monthly bins, its only estimate) gets
    DATETIME_BOUNDS_WEIGHT, a number's BOUNDS_WEIGHT, as the ledger records them."""
    from synth.private_domains import BOUNDS_WEIGHT, DATETIME_BOUNDS_WEIGHT

    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "seen": pd.to_datetime("2020-01-01")
            + pd.to_timedelta(rng.integers(0, 1400, 3000), unit="D"),
            "cost": rng.gamma(2.0, 100.0, 3000).round(2),
        }
    )
    frame["seen"] = frame["seen"].dt.strftime("%Y-%m-%d")
    schema = parse_schema(
        {
            "dataset": {"name": "t", "delta": 1e-6},
            "columns": [
                {"name": "seen", "type": "datetime"},
                {"name": "cost", "type": "numerical"},
            ],
        }
    )
    model = Synthesizer(schema, epsilon=1.0, engine="aim", seed=0).fit(frame)
    bounds = {c.target: c.rho for c in model.ledger.charges if c.purpose.startswith("bounds")}
    ratio = DATETIME_BOUNDS_WEIGHT / BOUNDS_WEIGHT
    assert ratio == 2.0 and bounds["seen"] == pytest.approx(ratio * bounds["cost"])


def test_a_long_candidate_list_weighs_more_and_raises_the_cap_by_its_share() -> None:
    """A category column drafted from a long public list (the 315 country names) has
    LONG_LIST_WEIGHT: most names hold no row, and noise keeps and emits some of them at a
    rate that grows with σ. The cap rises by that extra weight's share, so the other
    selections keep theirs; a short code list weighs as a plain category column."""
    from privacy.countries import COUNTRIES
    from synth.private_domains import LONG_LIST_NAMES, LONG_LIST_WEIGHT

    rng = np.random.default_rng(4)
    n = 3000
    frame = pd.DataFrame({f"c{i}": rng.choice(["a", "b", "c"], n) for i in range(20)})
    frame["country"] = rng.choice(["Mexico", "Germany", "India"], n)
    frame["code"] = rng.choice(["1", "2"], n)
    codes = [str(i) for i in range(21)]
    assert len(COUNTRIES) > LONG_LIST_NAMES >= len(codes) and LONG_LIST_WEIGHT > 1
    cols: list[dict] = [{"name": c, "type": "categorical"} for c in frame.columns[:20]]
    cols += [
        {"name": "country", "type": "categorical", "domain": {"candidates": list(COUNTRIES)}},
        {"name": "code", "type": "categorical", "domain": {"candidates": codes}},
    ]
    schema = parse_schema({"dataset": {"name": "t", "delta": 1e-6}, "columns": cols})
    model = Synthesizer(schema, epsilon=1.0, engine="aim", seed=0).fit(frame)
    by = {c.target: c.rho for c in model.ledger.charges if c.purpose.startswith("category set")}
    assert by["country"] == pytest.approx(LONG_LIST_WEIGHT * by["c0"])
    assert by["code"] == pytest.approx(by["c0"])
    rho = zcdp_rho_for(1.0, model.ledger.conversion_delta)
    extra = LONG_LIST_WEIGHT - 1.0
    cap = PREPROCESSING_SHARE + PREPROCESSING_PER_WEIGHT * extra
    assert PREPROCESSING_PER_WEIGHT * (22 + extra) > cap  # the search takes the raised cap
    search = sum(c.rho for c in model.ledger.charges if c.purpose.startswith(SEARCH))
    assert search / rho == pytest.approx(cap)
    assert model.ledger.spent()[0] <= 1.0 + 1e-9
