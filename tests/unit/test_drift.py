"""Drift check (issue 20): the model's DP marginals against a new extract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import make_people, people_schema

from synth import Synthesizer
from synth.drift import check_drift, threshold
from synth.errors import InputError


@pytest.fixture(scope="module")
def model() -> Synthesizer:
    return Synthesizer(people_schema(), epsilon=5, engine="aim", insecure_fit_seed=5).fit(
        make_people(6000, 0)
    )


def test_the_noise_threshold_holds_its_level() -> None:
    """Two samples of one population exceed the threshold rarely (it is a ~1e-4 test)."""
    rng = np.random.default_rng(0)
    q = rng.dirichlet(np.ones(20))
    n = 2000
    tvds = [0.5 * np.abs(rng.multinomial(n, q) / n - q).sum() for _ in range(2000)]
    t = threshold(q, n, 1e12, 0.0, None)
    assert np.mean(np.array(tvds) > t) < 0.005
    # and it is not vacuous: a shifted population exceeds it
    shifted = np.roll(q, 1)
    assert 0.5 * np.abs(rng.multinomial(n, shifted) / n - q).sum() > t
    # it grows with the DP noise and shrinks with the extract's size
    assert threshold(q, n, 5000, 50.0, None) > threshold(q, n, 5000, 0.0, None)
    assert threshold(q, 10 * n, 1e12, 0.0, None) < t


def test_same_population_is_no_drift(model: Synthesizer) -> None:
    res = check_drift(model, make_people(3000, 1))
    assert res["verdict"] == "no drift" and not res["refit_recommended"]
    assert {r["column"] for r in res["columns"]} == set(make_people(5, 0).columns)
    assert res["pairs"], "the modelled pairs are compared"


def test_a_shifted_column_is_named(model: Synthesizer) -> None:
    new = make_people(3000, 1)
    new["age"] = new["age"] + 10
    res = check_drift(model, new)
    assert res["refit_recommended"] and res["drifted_columns"] == ["age"]
    assert all("age" in p for p in res["drifted_pairs"])
    new = make_people(3000, 2)
    new["smoker"] = "yes"
    assert "smoker" in check_drift(model, new)["drifted_columns"]


def test_output_names_no_value_and_no_count(model: Synthesizer) -> None:
    new = make_people(3000, 1)
    new.loc[:, "region"] = "R99-NEVER-SEEN"
    res = check_drift(model, new)
    assert "region" in res["drifted_columns"]
    text = repr(res)
    assert "R99" not in text and "3000" not in text and "3,000" not in text


def test_an_extract_without_a_modelled_column_is_refused(model: Synthesizer) -> None:
    with pytest.raises(InputError, match="lacks the modelled column"):
        check_drift(model, make_people(100, 1).drop(columns=["bmi"]))
    with pytest.raises(InputError, match="no rows"):
        check_drift(model, make_people(100, 1).head(0))
    with pytest.raises(InputError, match="min-tvd"):
        check_drift(model, make_people(100, 1), min_tvd=2.0)


def test_dpsgd_model_is_compared_through_a_sample() -> None:
    m = Synthesizer(
        people_schema(),
        epsilon=5,
        engine="dpsgd",
        insecure_fit_seed=1,
        engine_options={"epochs": 3},
    ).fit(make_people(3000, 0))
    new = make_people(2000, 1)
    new["sex"] = "F"
    res = check_drift(m, new, seed=0)
    assert "sample" in res["reference"] and "sex" in res["drifted_columns"]
    assert isinstance(pd.DataFrame(res["columns"]), pd.DataFrame)


@pytest.mark.slow
@pytest.mark.shared
def test_adult_train_against_test_and_against_older_ages(shared_datasets: Path) -> None:
    """The benchmark's calibration (benchmarks/loop_bench.py), at ε = 1 with MST."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import adult_bench as ab

    train, test = ab.load()
    model = Synthesizer(ab.schema(), epsilon=1, engine="mst").fit(train)
    assert check_drift(model, test)["verdict"] == "no drift"
    older = train.copy()
    older["age"] = (pd.to_numeric(older["age"]) + 10).astype(str)
    assert check_drift(model, older)["drifted_columns"] == ["age"]
