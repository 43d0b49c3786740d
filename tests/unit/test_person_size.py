"""The person's size as a modelled column: rows the bound cut are weighted back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import PERSON_KEY

from synth import Synthesizer, person_size
from synth.person_size import group_of, row_groups, row_shares, size_groups
from synth.report import governance
from synth.schema import parse_schema


def visits(persons: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Persons with 1, 2 or 6 rows (72/20/8 %: ``auto`` bounds them to 2, which covers
    92 %); those with 6 are sick in 90 % of their rows, the others in 10 %: 34 % of all
    rows are sick, 20 % of two rows per person."""
    rng = np.random.default_rng(seed)
    sizes = rng.choice([1, 2, 6], persons, p=[0.72, 0.2, 0.08])
    owner = np.repeat(np.arange(persons), sizes)
    heavy = sizes[owner] == 6
    sick = rng.random(len(owner)) < np.where(heavy, 0.9, 0.1)
    return pd.DataFrame(
        {
            "pid": [f"P{i:06d}" for i in owner],
            "sick": np.where(sick, "yes", "no"),
            "ward": rng.choice(["a", "b", "c"], len(owner)),
        }
    )


def schema(bound: int | str = "auto"):
    return parse_schema(
        {
            "dataset": {"privacy_unit": "pid", "max_rows_per_unit": bound, "delta": 1e-7},
            "columns": [
                {"name": "pid", **PERSON_KEY, "format": "P######"},
                {"name": "sick", "type": "categorical", "domain": {"categories": ["no", "yes"]}},
                {"name": "ward", "type": "categorical", "domain": {"categories": ["a", "b", "c"]}},
            ],
        }
    )


def sick_share(df: pd.DataFrame) -> float:
    return float((df["sick"] == "yes").mean())


def test_groups_follow_the_bound_and_the_histogram_top() -> None:
    assert size_groups(2, 10) == (1, 2, 3, 5, 9)
    assert group_of(np.array([1, 2, 3, 4, 5, 8, 9, 11]), (1, 2, 3, 5, 9)).tolist() == [
        0, 1, 2, 2, 3, 3, 4, 4,
    ]  # fmt: skip
    # persons of 1 and 3 rows, half each: three quarters of the rows are in the 3s
    assert row_shares((0.5, 0.0, 0.5), (1, 2, 3)).tolist() == [0.25, 0.0, 0.75]


def test_a_rows_group_depends_on_its_own_person_only() -> None:
    """Neighbouring tables (one person removed): no other row's group token moves."""
    df = visits(500)
    groups = size_groups(2, 10)
    full = row_groups(df["pid"], groups)
    gone = df["pid"] != df["pid"].iloc[0]
    assert (row_groups(df["pid"][gone], groups) == full[gone.to_numpy()]).all()


def test_rows_cut_by_the_bound_are_weighted_back(tmp_path: Path) -> None:
    df = visits()
    kept_share = 0.2  # two rows per person, as the engine sees them
    model = Synthesizer(schema(), epsilon=8.0, engine="aim").fit(df)
    assert model.persons is not None and model.persons.k == 2 and model.persons.models_size
    assert model.ledger.spent()[0] <= 8.0 + 1e-9
    out = model.sample(seed=0)
    # 34 % of all rows are sick, 20 % of the kept ones; the fits' spread at ε = 8 is
    # 0.30-0.35 (24 fresh fits)
    assert abs(sick_share(out) - sick_share(df)) < 0.06 < abs(kept_share - sick_share(df))
    # persons come out with all their rows (not cut at k), the rows from their size group
    sizes = out.groupby("pid").size()
    assert (sizes == 6).mean() == pytest.approx(0.08, abs=0.03)
    by_size = out.assign(n=out["pid"].map(sizes))
    assert (by_size[by_size["n"] == 6]["sick"] == "yes").mean() > 0.75
    assert (by_size[by_size["n"] == 1]["sick"] == "yes").mean() < 0.25
    # the default row count is the whole table's (DP), not the kept rows'
    assert model.rows_estimate == pytest.approx(len(df), rel=0.1)
    words = model.privacy()["unit_words"]
    assert "size group" in words
    # the report names the engine's extra column
    names = governance.ledger(model.describe(), ["sick", "ward"])["columns"]
    assert names == ["sick", "ward", person_size.SIZE_COLUMN]
    # rows drawn one by one (conditions, linked tables) are weighted back too
    conditioned = model.sample(2000, seed=1, conditions={"ward": "a"})
    assert abs(sick_share(conditioned) - sick_share(df)) < 0.07
    model.save(tmp_path / "m.synth")
    again = Synthesizer.load(tmp_path / "m.synth")
    assert again.persons == model.persons
    assert abs(sick_share(again.sample(seed=2)) - sick_share(df)) < 0.06


def test_without_the_size_the_cut_rows_bias_the_output(monkeypatch) -> None:
    """The check above can fail: with the size not modelled the output keeps the kept
    rows' share."""
    monkeypatch.setattr("synth.person_size.MIN_ABOVE_BOUND", 2.0)
    model = Synthesizer(schema(), epsilon=8.0, engine="aim").fit(visits())
    assert model.persons is not None and not model.persons.models_size
    assert abs(sick_share(model.sample(seed=0)) - 0.2) < 0.06


def test_a_table_within_the_bound_does_not_model_the_size() -> None:
    df = visits()
    df = df[df["pid"].map(df["pid"].value_counts()) <= 2]
    model = Synthesizer(schema(), epsilon=8.0, engine="aim").fit(df)
    assert model.persons is not None and not model.persons.models_size
    assert model.sample(seed=0).groupby("pid").size().max() <= 2


def test_a_declared_bound_does_not_model_the_size() -> None:
    """A declared k measures persons of 1 … k and more only (more bins would add their
    noise to the persons estimate), so the output keeps the bound's rows."""
    model = Synthesizer(schema(2), epsilon=8.0, engine="aim").fit(visits())
    assert model.persons is not None and model.persons.k == 2
    assert not model.persons.models_size


def test_the_decision_reads_the_noisy_histogram_only() -> None:
    """Sizes above k count per group, against the group's noise: 15 persons of 3 rows and
    more do not clear 3 σ·√3 at σ = 5 (3, 4 and "more" rows), 150 do."""
    groups = size_groups(2, 4)
    h = np.array([600.0, 300.0, 8.0, 7.0, 0.0])
    assert not person_size.worth_modelling(person_size.size_shares(h, 2, 5.0, groups), 2)
    h[2:4] *= 10
    assert person_size.worth_modelling(person_size.size_shares(h, 2, 5.0, groups), 2)


def test_dpsgd_narrows_to_one_row_and_still_gives_persons_their_sizes() -> None:
    """DP-SGD clips rows, so ``auto`` narrows to one row per person after the histogram;
    the size groups measured at the first k stay, and synthetic persons keep their rows."""
    model = Synthesizer(schema(), epsilon=8.0, engine="dpsgd").fit(visits(1500))
    assert model.persons is not None and model.persons.k == 1 and model.persons.models_size
    assert model.ledger.rows_per_unit == 1
    sizes = model.sample(seed=0).groupby("pid").size()
    assert (sizes == 6).any() and sizes.max() <= len(model.persons.sizes)
