"""A category column's selection counts, paid for as the marginal engine's 1-way counts.

With one row per person the DP category selection of a column counts the same rows the
engine's 1-way measurement would, so :func:`synth.private_domains.build_codecs` gives the
selection that measurement's share of the budget as well, releases the noisy counts of the
kept categories and of blank cells (exact discrete Gaussian, threshold one higher), and
the engine takes them instead of measuring the column again
(:meth:`synth.engines.base.Engine.use_one_way`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from synth.engines import create_engine
from synth.engines.aim import AIMEngine
from synth.engines.marginal import MSTEngine
from synth.ledger import PrivacyLedger, zcdp_rho_for
from synth.prepare import modelled_columns
from synth.private_domains import build_codecs
from synth.randomness import Randomness
from synth.schema import parse_schema
from synth.statistics import needs_shape, partition_counts, person_level
from synth.synthesizer import Synthesizer

N_A, N_B, N_RARE, N_BLANK = 1200, 600, 2, 200


def _frame(seed: int = 0) -> pd.DataFrame:
    """'c': a, b, a value of two rows (never kept) and blanks; 'x' a number tied to 'c'."""
    rng = np.random.default_rng(seed)
    c = ["a"] * N_A + ["b"] * N_B + ["rare"] * N_RARE + [None] * N_BLANK
    x = [rng.normal(10.0, 1.0) if v == "a" else rng.normal(50.0, 1.0) for v in c]
    frame = pd.DataFrame({"c": c, "x": np.round(x, 1)})
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def _schema(**dataset):
    return parse_schema(
        {
            "dataset": {"name": "t", "delta": 1e-6, **dataset},
            "columns": [
                {"name": "c", "type": "categorical"},
                {"name": "x", "type": "numerical"},
            ],
        }
    )


def _shaped(cols):
    return [c for c in cols if needs_shape(c)]


def _domains(one_way: float, noise=None, epsilon: float = 1.0):
    schema = _schema()
    cols = modelled_columns(schema)
    counts = partition_counts(_frame(), schema, "t", cols, shaped=_shaped(cols))
    ledger = PrivacyLedger(epsilon, 1e-6)
    rand = Randomness.insecure(3)
    draw = rand.gaussian_counts if noise is None else noise
    domains = build_codecs(schema, cols, counts, ledger, rand.rng, one_way=one_way, noise=draw)
    return domains, ledger


def _selection(ledger: PrivacyLedger):
    (charge,) = [c for c in ledger.charges if c.purpose.startswith("category set")]
    return charge


def test_the_selection_gets_the_engines_one_way_share_of_what_is_left() -> None:
    plain, led0 = _domains(0.0)
    reused, led1 = _domains(0.05)
    assert plain.one_way == {}
    assert set(reused.one_way) == {"c"}
    rho = zcdp_rho_for(1.0, led0.conversion_delta)
    search = sum(c.rho for c in led0.charges)  # bounds, precision and the selection
    # the selection's charge grows by the engine's share of what the search leaves
    extra = _selection(led1).rho - _selection(led0).rho
    assert extra == pytest.approx(0.05 * (rho - search), rel=1e-6)
    # the ledger says where the counts went
    assert "1-way" in _selection(led1).details["counts"]
    assert "counts" not in _selection(led0).details
    # and nothing else changes
    others0 = [c.rho for c in led0.charges if not c.purpose.startswith("category set")]
    others1 = [c.rho for c in led1.charges if not c.purpose.startswith("category set")]
    assert others0 == pytest.approx(others1)


def test_the_reused_counts_lie_on_the_codec_tokens_with_the_charged_noise() -> None:
    domains, ledger = _domains(0.05, epsilon=8.0)
    (codec,) = [c for c in domains.codecs if c.name == "c"]
    y, sigma = domains.one_way["c"]
    assert codec.categories == ["a", "b"]  # the two-row value is not kept
    assert sigma == pytest.approx(math.sqrt(1.0 / (2.0 * _selection(ledger).rho)))
    assert len(y) == codec.cardinality
    assert np.isnan(y[codec.other])  # the values not kept: their counts are not released
    truth = {0: N_A, 1: N_B, codec.missing: N_BLANK}
    for token, n in truth.items():
        assert abs(y[token] - n) < 5 * sigma
        assert y[token] == round(y[token])  # whole counts: the discrete Gaussian


def test_no_reuse_with_person_counts_or_when_every_column_is_a_selected_category() -> None:
    rand = Randomness.insecure(0)
    frame = _frame()
    only_c = parse_schema(
        {"dataset": {"name": "t"}, "columns": [{"name": "c", "type": "categorical"}]}
    )
    cols = modelled_columns(only_c)
    counts = partition_counts(frame[["c"]], only_c, "t", cols)
    led = PrivacyLedger(1.0, 1e-6)
    one = build_codecs(
        only_c, cols, counts, led, rand.rng, one_way=0.05, noise=rand.gaussian_counts
    )
    assert one.one_way == {}
    # a person of two rows: the selection counts persons, the engine rows
    schema = _schema()
    cols = modelled_columns(schema)
    persons = np.arange(len(frame)) // 2
    counts = person_level(
        partition_counts(frame, schema, "t", cols, shaped=_shaped(cols), persons=persons), 2
    )
    led = PrivacyLedger(1.0, 1e-6, unit="pid", rows_per_unit=2)
    two = build_codecs(
        schema, cols, counts, led, rand.rng, one_way=0.05, noise=rand.gaussian_counts
    )
    assert two.one_way == {}


def test_reuse_needs_the_engines_noise() -> None:
    schema = _schema()
    cols = modelled_columns(schema)
    counts = partition_counts(_frame(), schema, "t", cols, shaped=_shaped(cols))
    with pytest.raises(ValueError, match="noise"):
        build_codecs(
            schema, cols, counts, PrivacyLedger(1.0, 1e-6), np.random.default_rng(0), one_way=0.05
        )


@pytest.mark.parametrize("engine", ["aim", "mst"])
def test_the_engine_measures_only_the_columns_not_given(engine: str) -> None:
    rng = np.random.default_rng(1)
    tokens = np.column_stack([rng.integers(0, 3, 4000), rng.integers(0, 4, 4000)])
    exact = np.bincount(tokens[:, 1], minlength=4).astype(float)
    given = exact.copy()
    given[3] = np.nan  # a token the earlier measurement did not count
    eng = create_engine(engine, [3, 4], round_iters=30, final_iters=200)
    eng.use_one_way({1: (given, 5.0)})
    ledger = PrivacyLedger(4.0, 1e-6)
    eng.fit(tokens, ledger, Randomness.insecure(0))
    (one_way,) = [c for c in ledger.charges if c.purpose.startswith("1-way")]
    assert one_way.details["columns"] == 1
    assert one_way.target == "1 of the 2 modelled columns"
    assert eng.training_report["one_way_given"] == [1]
    assert abs(eng.rows_estimate - 4000) < 200  # from column 0's counts alone
    # the uncounted token is the model's remainder, not a measured zero
    out = eng.sample(8000, np.random.default_rng(0))
    share = np.bincount(out[:, 1], minlength=4) / 8000
    assert share == pytest.approx(exact / exact.sum(), abs=0.03)


def test_each_engine_states_its_one_way_share() -> None:
    assert AIMEngine.one_way_share(15) == pytest.approx(0.9 / 60)
    assert MSTEngine.one_way_share(15) == pytest.approx(1 / 45)
    assert MSTEngine.one_way_share(15, target=3) == pytest.approx(1 / 60)
    assert create_engine("dpsgd", [2, 2]).one_way_share(2) == 0.0


def test_a_fit_reuses_the_counts_and_keeps_the_blank_share() -> None:
    """End to end: AIM is given column c's counts, the ledger stays within ε, and the
    output keeps the blank share and only the kept values."""
    frame = _frame()
    model = Synthesizer(_schema(), epsilon=8.0, engine="aim", seed=0).fit(frame)
    assert model.engine.training_report["one_way_given"] == [0]
    assert model.ledger.spent()[0] <= 8.0 + 1e-9
    out = model.sample(20000, seed=1)
    blank = float(out["c"].isna().mean())
    assert blank == pytest.approx(N_BLANK / len(frame), abs=0.02)
    assert set(out["c"].dropna()) == {"a", "b"}
