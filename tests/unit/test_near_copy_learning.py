"""The near-copy test's allowance for identical rows (issue 18): a synthetic row identical
to a real record one person holds is the exact-match metric's case, where learning may
raise the training share by ``exact_match_margin``; the near-copy tests give such rows the
same allowance. Copies of single-person records in a joined person view are still blocked
at a few percent where such records carry information."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support import PERSON_KEY

from privacy.leakage import check_leakage
from privacy.leakage.near_copies import FACTORS, K, View, learning_rate, view_tests
from synth.linked_gate import rows_column
from synth.schema.io import parse_schema
from synth.schema.model import Schema


def joined_people(n: int, rng: np.random.Generator, prefix: str = "P") -> pd.DataFrame:
    """Invented persons shaped like the joined-persons view of a linked release
    (:mod:`synth.linked_gate`): the person's columns with a birth date (as a day number:
    informative, nearly one person per value), the presence indicators of the values held in
    two linked tables and each table's rows per person."""
    visits = rng.choice([0, 1, 2, 3], n, p=[0.2, 0.4, 0.25, 0.15])
    labs = rng.choice([1, 2], n)
    sex = rng.choice(["F", "M"], n)
    test = rng.random(n) < 0.5
    return pd.DataFrame(
        {
            "Id": [f"{prefix}{i:05d}" for i in range(n)],
            "sex": sex,
            "born": rng.integers(0, 60 * 365, n),  # days since 1940-01-01
            "visits.kind#1": np.where((visits > 0) & (sex == "F"), "1", "0"),
            "visits.kind#2": np.where((visits > 0) & (sex == "M"), "1", "0"),
            "labs.test#1": np.where(test | (labs == 2), "1", "0"),
            "labs.test#2": np.where(~test | (labs == 2), "1", "0"),
            rows_column("visits"): visits,
            rows_column("labs"): labs,
        }
    )


def joined_schema() -> Schema:
    flags = ("visits.kind#1", "visits.kind#2", "labs.test#1", "labs.test#2")
    return parse_schema(
        {
            "dataset": {"privacy_unit": "Id", "holdout_fraction": 0.2},
            "columns": [
                {"name": "Id", **PERSON_KEY},
                {"name": "sex", "type": "categorical", "role": "quasi_identifier"},
                {"name": "born", "type": "numerical", "role": "quasi_identifier"},
                *({"name": f, "type": "categorical"} for f in flags),
                *(
                    {
                        "name": rows_column(t),
                        "type": "numerical",
                        "role": "quasi_identifier",
                        "domain": {"min": 0, "max": 3, "precision": 0},
                    }
                    for t in ("visits", "labs")
                ),
            ],
        }
    )


def near(result):
    return next(m for m in result.metrics if m.name == "near_copy_share")


@pytest.mark.parametrize("share", [0.05])
def test_copies_of_single_person_records_in_a_joined_view_are_blocked(share: float) -> None:
    rng = np.random.default_rng(3)
    real = joined_people(3000, rng)
    held = rng.random(len(real)) < 0.2
    train, holdout = real[~held].reset_index(drop=True), real[held].reset_index(drop=True)
    honest = joined_people(len(train), rng, prefix="S")  # fresh persons, same population
    schema = joined_schema()
    clean = check_leakage(train, holdout, honest, schema, attack=False, seed=1)
    assert near(clean).verdict == "pass", near(clean).explanation
    # where records are informative few honest rows are identical to a real record: the
    # allowance stays near the fixed margins
    tests = clean.near_copies["factors"]
    assert all(t["margin_learning"] <= 2 * t["margin_fixed"] for t in tests)
    k = round(share * len(honest))  # whole joined rows of single-person training records
    copies = train.iloc[rng.choice(len(train), k, replace=False)].assign(Id="S-copy")
    leaky = pd.concat([honest.iloc[k:], copies], ignore_index=True)
    result = check_leakage(train, holdout, leaky, schema, attack=False, seed=1)
    metric = near(result)
    assert metric.verdict == "block", metric.explanation
    assert metric.value is not None and share / 2 < metric.value < 2 * share


def _pointing_lists(n_syn: int, n_real: int) -> tuple[np.ndarray, np.ndarray]:
    """Every synthetic row is identical to its own real record (distance 0) and far from
    every other (distance 1)."""
    dist = np.ones((n_syn, K))
    dist[:, 0] = 0.0
    ids = (np.arange(n_syn)[:, None] + np.arange(K)[None, :] * n_syn) % n_real
    return dist, ids


def test_the_allowance_grows_with_the_rows_identical_to_a_one_person_record() -> None:
    # 800 training and 200 holdout persons (q = 0.8), 500 synthetic rows each identical to
    # its own person's record: every row is identical, so the allowance is the full rate;
    # half of them moved off their record (distance 0.5): half the rate
    n_tr, n_ho = 800, 200
    dist, ids = _pointing_lists(500, n_tr + n_ho)
    view = View("distance", dist, ids, FACTORS, tuple(0.03 for _ in FACTORS))
    rng = np.random.default_rng(0)
    tests = view_tests([view], len(dist), n_tr, n_ho, 2.5, rng, lift=0.05)
    rate = learning_rate(0.05, 0.8)
    assert rate == pytest.approx(0.25)
    for t in tests:
        assert t.expected == pytest.approx(0.8, abs=0.02)
        assert t.learning == pytest.approx(rate)
        assert t.margin == max(t.fixed, t.learning)
    moved = dist.copy()
    moved[::2, 0] = 0.5
    half = View("distance", moved, ids, FACTORS, tuple(0.03 for _ in FACTORS))
    assert all(
        t.learning == pytest.approx(rate / 2)
        for t in view_tests([half], len(dist), n_tr, n_ho, 2.5, rng, lift=0.05)
    )
    # without the allowance (lift 0) the fixed margins alone, as before
    bare = view_tests([view], len(dist), n_tr, n_ho, 2.5, rng)
    assert all(t.learning == 0.0 and t.margin == 0.03 for t in bare)
    # the power statement solves d − w·se > learning + rate·d: copies raise the allowance
    t = tests[0]
    w = t.detectable(2.5) * (1 - rate) - t.learning
    assert t.detectable(2.5) == pytest.approx((t.learning + w) / (1 - rate))


def test_the_rate_is_the_lift_in_copies_and_never_more_than_one_copy() -> None:
    assert learning_rate(0.05, 0.8) == pytest.approx(0.25)
    assert learning_rate(0.05, 0.5) == pytest.approx(0.1)
    assert learning_rate(0.5, 0.8) == 1.0  # a lift past certainty is a whole copy
    assert learning_rate(0.0, 0.8) == 0.0
