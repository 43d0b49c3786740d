"""Conditional sampling and rebalancing (issue 20): exact on the marginal engines,
measured rejection on DP-SGD, impossible conditions refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support import make_people, people_schema

import synth.conditional as conditional
from synth import Synthesizer
from synth.conditional import ConditionalSampler
from synth.conditions import parse_rebalance, parse_where
from synth.errors import InputError


@pytest.fixture(scope="module")
def model() -> Synthesizer:
    return Synthesizer(people_schema(), epsilon=5, engine="aim", insecure_fit_seed=3).fit(
        make_people(4000, 0)
    )


def _compressed(model: Synthesizer, frame: pd.DataFrame, name: str) -> np.ndarray:
    i = [c.name for c in model.codecs].index(name)
    eng = model.engine
    return eng.mappings[i][model.codecs[i].encode(frame[name])]  # type: ignore[union-attr]


def _tvd(a: np.ndarray, b: np.ndarray, k: int) -> float:
    p = np.bincount(a, minlength=k) / len(a)
    q = np.bincount(b, minlength=k) / len(b)
    return 0.5 * float(np.abs(p - q).sum())


def test_parse_where_and_rebalance() -> None:
    c = parse_where(["sex=F, age>=70", "visit=2020-01-01..", "plan!=gold|none"])
    assert [(x.column, x.op, x.values) for x in c] == [
        ("sex", "=", ("F",)),
        ("age", ">=", ("70",)),
        ("visit", "range", ("2020-01-01", "")),
        ("plan", "!=", ("gold", "none")),
    ]
    r = parse_rebalance("plan=gold:0.2,none:10%")
    assert r.column == "plan" and r.shares == {"gold": 0.2, "none": 0.1}
    assert parse_rebalance("plan").shares is None
    for bad in ["sex", "=F", "age>=", "sex=F,sex=M", "age=.."]:
        with pytest.raises(InputError):
            parse_where([bad])
    for bad in ["plan=gold:1.5", "plan=gold:x", "plan=gold:0.6,none:0.6", "=a:0.1", "plan="]:
        with pytest.raises(InputError):
            parse_rebalance(bad)


def test_every_row_holds_the_condition_and_the_rest_follows_the_model(
    model: Synthesizer,
) -> None:
    where = "sex=F,age>=70"
    frame, rep = model.sample_where(4000, where=where, seed=1)
    assert len(frame) == 4000
    assert (frame["sex"] == "F").all() and (frame["age"].astype(float) >= 70).all()
    assert 0.05 < rep["model_share_of_conditions"] < 0.3
    assert rep["method"].startswith("exact")
    # the model's conditional, independently: a large unconditional sample, filtered
    ref = model.sample(200_000, seed=2)
    ref = ref[(ref["sex"] == "F") & (ref["age"].astype(float) >= 70)]
    assert len(ref) > 10_000
    naive = model.sample(4000, seed=3)  # the unconditional model: what conditioning changes
    for name in ("income", "region", "plan", "smoker", "bmi", "visit"):
        k = model.engine.compressed_cards[[c.name for c in model.codecs].index(name)]  # type: ignore[union-attr]
        got, want = _compressed(model, frame, name), _compressed(model, ref, name)
        assert _tvd(got, want, k) < 0.05, name
    # income depends on age in the data: the conditional income is not the marginal one
    k = model.engine.compressed_cards[1]  # type: ignore[union-attr]
    inc_ref = _compressed(model, ref, "income")
    assert _tvd(_compressed(model, naive, "income"), inc_ref, k) > 0.1
    assert _tvd(_compressed(model, frame, "income"), inc_ref, k) < 0.05


def test_exact_mass_matches_the_sampled_share(model: Synthesizer) -> None:
    ref = model.sample(100_000, seed=4)
    sampler = ConditionalSampler(model, np.random.default_rng(0))
    bounds = sampler.bind(parse_where(["plan=gold|none,smoker=yes"]))
    share = float((ref["plan"].isin(["gold", "none"]) & (ref["smoker"] == "yes")).mean())
    assert sampler.mass(bounds) == pytest.approx(share, abs=0.01)


def test_ranges_on_numbers_and_dates(model: Synthesizer) -> None:
    frame, rep = model.sample_where(
        1000, where="income<20000,visit=2020-01-01..2020-06-30,bmi=20..30", seed=5
    )
    assert (frame["income"].astype(float) < 20000).all()
    v = pd.to_datetime(frame["visit"])
    assert (v >= "2020-01-01").all() and (v <= "2020-06-30").all()
    b = frame["bmi"].astype(float)
    assert ((b >= 20) & (b <= 30)).all()
    assert 0 < rep["acceptance_rate"] <= 1


def test_rebalance_hits_the_requested_shares(model: Synthesizer) -> None:
    frame, rep = model.sample_where(3000, rebalance="plan=gold:0.5,none:0.1", seed=6)
    shares = frame["plan"].value_counts(normalize=True)
    assert shares["gold"] == pytest.approx(0.5, abs=0.01)
    assert shares["none"] == pytest.approx(0.1, abs=0.01)
    assert {v["value"]: v["output_share"] for v in rep["rebalance"]["values"]} == pytest.approx(
        {"gold": 0.5, "none": 0.1}, abs=0.01
    )
    frame, rep = model.sample_where(2400, rebalance="region", where="smoker=yes", seed=7)
    assert (frame["smoker"] == "yes").all()
    shares = frame["region"].value_counts(normalize=True)
    assert len(shares) == 12 and (shares - 1 / 12).abs().max() <= 0.01
    # the report says how far the output is from the model's marginals
    by = {c["column"]: c["tvd_vs_model"] for c in rep["columns"]}
    assert by["smoker"] > 0.5 and by["age"] < 0.1


@pytest.mark.parametrize(
    ("where", "rebalance", "needle"),
    [
        ("height=3", None, "not modelled"),
        ("sex=X", None, "not among the 2 values"),
        ("sex>=F", None, "categorical"),
        ("age>=1000", None, "probability ~0"),
        ("income=12345.67", None, "too rare"),  # one value inside a wide bin: measured
        ("age=abc", None, "not a number"),
        ("age=50..40", None, "empty"),
        ("visit>=soon", None, "not a date"),
        (None, "age", "not categorical"),
        (None, "plan=platinum:0.2", "not among"),
        ("plan=gold", "plan", "also has a --where"),
        (None, "nothing", "not modelled"),
    ],
)
def test_impossible_conditions_are_refused(
    model: Synthesizer, where: str | None, rebalance: str | None, needle: str
) -> None:
    with pytest.raises(InputError, match=needle):
        model.sample_where(100, where=where, rebalance=rebalance, seed=0)


def test_rebalancing_a_value_the_model_never_produces_is_refused(
    model: Synthesizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # no value of this table has probability ~0: raise the floor above 'gold''s share
    monkeypatch.setattr(conditional, "MIN_MASS", 0.5)
    with pytest.raises(InputError, match="probability ~0"):
        model.sample_where(100, rebalance="plan=gold:0.5", seed=0)
    with pytest.raises(InputError, match="no value"):
        model.sample_where(100, rebalance="plan", seed=0)


def test_dpsgd_conditions_by_measured_rejection(monkeypatch: pytest.MonkeyPatch) -> None:
    df = make_people(1500, 1)
    m = Synthesizer(
        people_schema(),
        epsilon=5,
        engine="dpsgd",
        insecure_fit_seed=1,
        engine_options={"epochs": 2},
    ).fit(df)
    frame, rep = m.sample_where(300, where="sex=M,plan=gold|plus", seed=1)
    assert (frame["sex"] == "M").all() and frame["plan"].isin(["gold", "plus"]).all()
    assert rep["method"].startswith("rejection")
    assert 0 < rep["acceptance_rate"] < 1 and rep["rows_drawn"] >= 300
    # a condition the model gives too few rows is refused, with the measured rate
    monkeypatch.setattr(conditional, "MIN_ACCEPTANCE", 0.9)
    with pytest.raises(InputError, match="too rare"):
        m.sample_where(300, where="sex=M", seed=1)


def test_binding_a_range_to_bins_is_exact_about_which_bins_can_hold_it() -> None:
    from synth.conditions import bind
    from synth.encoding import NumericCodec

    codec = NumericCodec("x", 0.0, 100.0, precision=None, max_bins=10)  # bins of width 10
    narrow = bind(codec, 0, parse_where(["x=31..32"])[0])
    assert np.flatnonzero(narrow.tokens).tolist() == [3] and not narrow.full.any()
    above = bind(codec, 0, parse_where(["x>50"])[0])
    assert np.flatnonzero(above.tokens).tolist() == [5, 6, 7, 8, 9]
    assert above.holds(pd.Series([50.0, 50.5, None])).tolist() == [False, True, False]
    exact = NumericCodec("n", 0, 9, precision=0)  # one token per whole number: exact
    eq = bind(exact, 0, parse_where(["n=3|5"])[0])
    assert np.flatnonzero(eq.full).tolist() == [3, 5] and not eq.partial.any()
    ne = bind(exact, 0, parse_where(["n!=3"])[0])
    assert np.flatnonzero(ne.full).tolist() == [0, 1, 2, 4, 5, 6, 7, 8, 9]  # not missing
