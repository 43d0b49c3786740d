"""A category column most of whose rows hold values too rare for the DP threshold: those
rows come out blank and the release names the column, instead of landing on the few
values kept (a 38-code ICD column that kept 3 codes at ε = 1 put 20–50 % of all rows on
each kept code). A column whose rare values hold little keeps them blocked."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth.sampling import OPEN_OTHER_SHARE
from synth.schema import parse_schema
from synth.synthesizer import Synthesizer


def _table(n: int = 6000) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    common = ["alpha", "beta"]
    rare = [f"type_{j:02d}" for j in range(60)]  # 1 % each: 60 % of rows, none kept at ε = 1
    codes = np.asarray(common + rare)
    p = np.r_[np.full(2, 0.2), np.full(60, 0.01)]
    side = np.asarray(["x"] * 19 + ["y"])  # 95 % x, 5 % of 'y' (kept anyway)
    country = np.r_[np.full(int(n * 0.97), "A"), [f"c{j:03d}" for j in range(n - int(n * 0.97))]]
    return pd.DataFrame(
        {
            "code": rng.choice(codes, n, p=p),
            "kind": rng.choice(side, n),
            "country": rng.permutation(country),  # 3 % spread over one-row values
        }
    )


def _schema():
    cols = [{"name": c, "type": "categorical"} for c in ("code", "kind", "country")]
    return parse_schema({"dataset": {"name": "t", "delta": 1e-6}, "columns": cols})


def test_rare_values_holding_most_rows_come_out_blank_and_named() -> None:
    frame = _table()
    model = Synthesizer(_schema(), epsilon=1.0, seed=0).fit(frame)
    shares = model.blank_shares()
    assert set(shares) == {"code"}, shares  # country's 3 % 'other' stays blocked
    assert 0.52 <= shares["code"] <= 0.7
    syn = model.sample(len(frame), seed=1)
    blank = float(syn["code"].isna().mean())
    assert abs(blank - 0.6) <= 0.06, blank
    kept = syn["code"].dropna().value_counts(normalize=True) * (1 - blank)
    for code in ("alpha", "beta"):  # each at its real share, not inflated by the rare rows
        assert abs(float(kept.get(code, 0.0)) - 0.2) <= 0.05, kept.to_dict()
    # its rare rows go to the kept value, as before (blanks only from the noisy missing token)
    assert syn["country"].isna().mean() <= 0.015
    assert shares["code"] > OPEN_OTHER_SHARE
    assert model.describe()["blank_shares"] == shares


def test_a_number_whose_range_is_one_value_leaves_the_rest_blank() -> None:
    """A charge column whose DP bounds found only its zeros ([0, 1e-6] at 2 decimals): the
    positive charges are coded missing, not clamped onto 0.00, so they come out blank (and
    the release names the column) instead of 'charges 0.00' in 99 % of rows."""
    from synth.encoding import NumericCodec

    codec = NumericCodec("charges", 0.0, 1e-6, precision=2)
    assert codec.single_value
    tokens = codec.encode(pd.Series(["0.00", "125.50", None, "0"]))
    assert tokens.tolist() == [0, codec.missing, codec.missing, 0]
    rng = np.random.default_rng(2)
    n = 4000
    charges = np.where(rng.random(n) < 0.35, 0.0, np.round(rng.lognormal(7, 1, n), 2))
    frame = pd.DataFrame(
        {"charges": [f"{v:.2f}" for v in charges], "kind": rng.choice(["x", "y"], n)}
    )
    cols = [
        {"name": "charges", "type": "numerical", "domain": {"min": 0, "max": 0, "precision": 2}},
        {"name": "kind", "type": "categorical", "domain": {"categories": ["x", "y"]}},
    ]
    schema = parse_schema({"dataset": {"name": "t", "delta": 1e-6}, "columns": cols})
    model = Synthesizer(schema, epsilon=1.0, seed=0).fit(frame)
    assert abs(model.blank_shares()["charges"] - 0.65) <= 0.05
    syn = model.sample(n, seed=1)
    zeros = pd.to_numeric(syn["charges"], errors="coerce").eq(0).mean()
    assert abs(zeros - 0.35) <= 0.05 and abs(syn["charges"].isna().mean() - 0.65) <= 0.05


def test_blocked_lists_open_only_a_category_columns_other() -> None:
    """Opening 'other' reads only category codecs: a number or date named among the blank
    shares keeps its own blocked tokens (a date codec whose range was not found blocks
    every bin; it has no 'other')."""
    from synth.encoding import DatetimeCodec

    frame = _table(2000)
    model = Synthesizer(_schema(), epsilon=1.0, seed=0).fit(frame)
    date = DatetimeCodec("seen", 0, 0, unknown=True)
    model.codecs = [*model.codecs, date]
    model.columns = [*model.columns, model.columns[0].model_copy(update={"name": "seen"})]
    blocked = model._blocked({"code": 0.6, "seen": 1.0})
    assert model.codecs[0].other not in blocked[0]
    assert blocked[-1] == date.blocked_tokens()
