"""Privacy per person (issue 17): the rows-per-person bound, its cost, synthetic persons."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synth import Synthesizer
from synth.errors import BudgetError, InputError
from synth.ledger import PrivacyLedger, calibrate_rho, zcdp_rho_for
from synth.persons import bound_mask, expected_error, measure_rows_per_person
from synth.schema import parse_schema


def people(persons: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Persons with 1-3 rows (60/25/15 %); race and birth year fixed per person, visit
    type and cost free."""
    rng = np.random.default_rng(seed)
    sizes = rng.choice([1, 2, 3], persons, p=[0.6, 0.25, 0.15])
    owner = np.repeat(np.arange(persons), sizes)
    race = rng.choice(["A", "B", "C", "D"], persons, p=[0.5, 0.3, 0.15, 0.05])[owner]
    born = rng.integers(1930, 2000, persons)[owner]
    visit = np.where(race == "A", rng.choice(["er", "clinic"], len(owner), p=[0.7, 0.3]), "clinic")
    return pd.DataFrame(
        {
            "pid": [f"P{i:06d}" for i in owner],
            "race": race,
            "born": born,
            "visit": visit,
            "cost": np.round(rng.gamma(2.0, 500.0, len(owner)), 0),
        }
    )


def schema(bound: int | str = "auto", static: bool = True):
    return parse_schema(
        {
            "dataset": {"privacy_unit": "pid", "max_rows_per_unit": bound, "delta": 1e-7},
            "columns": [
                {
                    "name": "pid",
                    "type": "identifier",
                    "role": "direct_identifier",
                    "action": "replace",
                    "entity": "MEDICAL_RECORD_NUMBER",
                    "format": "P######",
                },
                {"name": "race", "type": "categorical", "static": static},
                {
                    "name": "born",
                    "type": "numerical",
                    "static": static,
                    "domain": {"min": 1900, "max": 2010, "precision": 0},
                },
                {"name": "visit", "type": "categorical"},
                {"name": "cost", "type": "numerical", "domain": {"min": 0, "max": 20000}},
            ],
        }
    )


def test_ledger_charges_k_squared_for_per_row_mechanisms_only() -> None:
    led = PrivacyLedger(1.0, 1e-6, unit="pid")
    rho_one = calibrate_rho(led)
    led.bound_rows(4)
    assert calibrate_rho(led) == pytest.approx(rho_one / 16, rel=1e-4)
    led.charge_gaussian("m", "c", sigma=40.0)
    led.charge_gaussian("h", "c", sigma=40.0, per_person=True)
    assert led.charges[0].rho == pytest.approx(16 * led.charges[1].rho)
    assert led.charges[0].details["rows_per_person"] == 4
    assert "up to 4 rows" in led.guarantee()["statement"]
    again = PrivacyLedger.from_state_dict(led.state_dict())
    assert again.rows_per_unit == 4


def test_rows_per_person_above_one_needs_a_unit() -> None:
    with pytest.raises(BudgetError, match="privacy unit"):
        PrivacyLedger(1.0, 1e-6).bound_rows(2)


def test_auto_bound_covers_most_persons_and_its_histogram_is_charged() -> None:
    df = people(20000)
    led = PrivacyLedger(1.0, 1e-7, unit="pid")
    rpp = measure_rows_per_person(df["pid"], "auto", led, np.random.default_rng(), "pid")
    # 60 % one row, 85 % at most two, all at most three: cover 0.9 needs 3
    assert rpp.k == 3 and rpp.chosen == "auto"
    # fresh noise: tolerances from the measurement's own σ (5σ per noisy bin, a few bins)
    tol = 5 * rpp.sigma * 4 / 20000
    assert rpp.shares == pytest.approx((0.6, 0.25, 0.15), abs=max(tol, 0.005))
    assert rpp.above_bound_share == pytest.approx(0.0, abs=max(tol, 0.005))
    assert rpp.persons_estimate == pytest.approx(20000, abs=5 * rpp.sigma * 4)
    assert len(led.charges) == 1 and led.charges[0].purpose == "rows per person (histogram)"


def _visits(persons: int) -> np.ndarray:
    """Exact histogram of 1 + Poisson(1.5) rows per person: bins 1..10 and more."""
    from scipy.stats import poisson

    p = poisson.pmf(np.arange(10), 1.5)
    return np.r_[p, 1 - p.sum()] * persons


def test_auto_bound_is_lowered_where_noise_costs_more_than_the_rows_dropped() -> None:
    rho = zcdp_rho_for(1.0, 0.9e-6)
    small, large = expected_error(_visits(1200), 13, rho), expected_error(_visits(6000), 13, rho)
    # 90 % of persons need 4 rows; at 1,200 persons the rule takes 3, at 6,000 it keeps 4
    assert 1 + int(np.argmin(small)) == 3 and 1 + int(np.argmin(large)) == 4
    # the same shares of rows dropped at both sizes, the noise term 5x smaller at 6,000
    assert np.all(small > large)


def test_auto_bound_never_rises_above_the_cover() -> None:
    df = people(20000)
    led = PrivacyLedger(1.0, 1e-7, unit="pid")
    # a very wide table (noise per marginal ~ √columns): one row each
    wide = measure_rows_per_person(df["pid"], "auto", led, np.random.default_rng(), "pid", 5000)
    assert wide.k == 1
    narrow = measure_rows_per_person(df["pid"], "auto", led, np.random.default_rng(), "pid", 1)
    assert narrow.k == 3  # the cover's k; the rule alone would go on to keep more


def test_declared_bound_reports_the_share_of_persons_cut() -> None:
    df = people(20000)
    led = PrivacyLedger(1.0, 1e-7, unit="pid")
    rpp = measure_rows_per_person(df["pid"], 1, led, np.random.default_rng(), "pid")
    assert rpp.k == 1 and rpp.shares == (1.0,)
    assert rpp.above_bound_share == pytest.approx(0.4, abs=0.02)


def test_missing_person_ids_are_refused_without_quoting_values() -> None:
    df = people(50)
    df.loc[3, "pid"] = None
    led = PrivacyLedger(1.0, 1e-7, unit="pid")
    with pytest.raises(InputError, match="'pid' has missing values") as err:
        measure_rows_per_person(df["pid"], "auto", led, np.random.default_rng(), "pid")
    assert "P0000" not in str(err.value)


def test_bound_mask_keeps_at_most_k_rows_of_each_person() -> None:
    df = people(2000)
    keep = bound_mask(df["pid"], 2, np.random.default_rng(1))
    kept = df["pid"][keep].value_counts()
    assert kept.max() == 2
    assert len(kept) == df["pid"].nunique()  # nobody dropped entirely
    assert keep.sum() == np.minimum(df["pid"].value_counts(), 2).sum()


def test_synthetic_persons_keep_their_rows_together(tmp_path: Path) -> None:
    df = people(3000)
    model = Synthesizer(schema(), epsilon=2.0, engine="aim").fit(df)
    assert model.persons is not None and model.persons.k == 3
    assert model.ledger.spent()[0] <= 2.0 + 1e-9
    out = model.sample(seed=0)
    groups = out.groupby("pid")
    sizes = groups.size().value_counts(normalize=True).reindex([1, 2, 3], fill_value=0)
    assert np.abs(sizes.to_numpy() - [0.6, 0.25, 0.15]).sum() / 2 <= 0.05
    assert (groups["race"].nunique(dropna=False) == 1).all()
    assert (groups["born"].nunique(dropna=False) == 1).all()
    # the joint of static and free columns survives: race A visits the ER, others do not
    er = out[out["visit"] == "er"]
    assert (er["race"] == "A").mean() > 0.8
    model.save(tmp_path / "m.synth")
    again = Synthesizer.load(tmp_path / "m.synth")
    assert again.persons == model.persons
    assert again.ledger.rows_per_unit == 3
    assert again.sample(100, seed=1).groupby("pid").size().max() <= 3


def test_without_static_columns_values_vary_within_a_person() -> None:
    """The check above can fail: without ``static`` a person's race varies."""
    df = people(3000)
    model = Synthesizer(schema(static=False), epsilon=2.0, engine="aim").fit(df)
    groups = model.sample(seed=0).groupby("pid")
    multi = groups.size() > 1
    assert (groups["race"].nunique()[multi] > 1).mean() > 0.2


def test_dpsgd_refuses_more_than_one_row_per_person() -> None:
    with pytest.raises(BudgetError, match="max_rows_per_unit"):
        Synthesizer(schema(2), epsilon=2.0, engine="dpsgd").fit(people(300))


def test_auto_bound_narrows_to_one_row_for_dpsgd(monkeypatch) -> None:
    """The default path must not fail on a wide table: DP-SGD clips rows, so an ``auto``
    bound becomes one random row per person (a declared k > 1 is refused above). With the
    person's size not modelled, each synthetic row is its own person. (On 400 persons
    ``auto`` may choose k < 3, and then the size is modelled when the noise allows:
    tests/unit/test_person_size.py covers that path.)"""
    monkeypatch.setattr("synth.person_size.MIN_ABOVE_BOUND", 2.0)
    model = Synthesizer(schema("auto"), epsilon=4.0, engine="dpsgd").fit(people(400))
    assert model.persons is not None and model.persons.k == 1
    assert model.persons.chosen == "auto, then 1 for DP-SGD"
    assert model.ledger.rows_per_unit == 1
    assert model.ledger.spent()[0] <= 4.0 + 1e-9
    assert "bound became 1" in model.engine_reason
    assert model.sample(50, seed=0)["pid"].is_unique


def test_a_static_whole_number_column_with_blanks_stays_whole_numbers(tmp_path: Path) -> None:
    """Copying a person's static value to its rows kept the column's dtype: a whole-number
    column with blanks came out float and was written '1978.0' for the input's '1978'."""
    from synth.io.tables import write_table

    df = people(3000)
    df["born"] = df["born"].astype("Int64").astype(object)
    df.loc[df.index % 10 == 0, "born"] = None
    model = Synthesizer(schema(), epsilon=4.0, engine="aim").fit(df)
    out = model.sample(seed=0)
    assert out["born"].isna().any() and out["born"].dtype != float
    write_table(out, tmp_path / "s.csv", model.output_decimals())
    born = pd.read_csv(tmp_path / "s.csv", dtype=str, keep_default_na=False)["born"]
    assert born.str.fullmatch(r"\d{4}|").all()
