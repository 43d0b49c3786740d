"""The AIM engine: budget, adaptive selection, a junction-tree model saved as factors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from synth.engines import create_engine
from synth.errors import BudgetError
from synth.ledger import PrivacyLedger
from synth.randomness import Randomness

CARDS = [3, 3, 4, 2, 5]


def _table(n: int = 8000, seed: int = 0) -> np.ndarray:
    """A chain a → b → c with strong links, d noisy copy of a, e independent."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 3, n)
    b = np.where(rng.random(n) < 0.9, a, rng.integers(0, 3, n))
    c = np.where(rng.random(n) < 0.85, b + 1, rng.integers(0, 4, n))
    d = np.where(rng.random(n) < 0.8, a % 2, rng.integers(0, 2, n))
    e = rng.integers(0, 5, n)
    return np.column_stack([a, b, c, d, e])


def _fit(epsilon: float, seed: int | None = None) -> tuple[Any, PrivacyLedger]:
    """A fit with the default secret randomness, or seeded (test-only) with ``seed``."""
    ledger = PrivacyLedger(epsilon, 1e-6)
    eng = create_engine("aim", CARDS, round_iters=60, final_iters=300)
    eng.fit(_table(), ledger, Randomness.create(seed))
    return eng, ledger


@pytest.fixture(scope="module")
def fitted() -> tuple[Any, PrivacyLedger]:
    return _fit(5.0)


def test_spends_the_budget_and_no_more(fitted) -> None:
    ledger = fitted[1]
    eps, _ = ledger.spent()
    assert 0.98 * 5.0 < eps <= 5.0 * (1 + 1e-9)
    purposes = {c.purpose for c in ledger.charges}
    assert purposes == {
        "1-way marginals (AIM)",
        "marginal selection (exponential mechanism, AIM)",
        "marginal measurement (Gaussian, AIM)",
    }
    rounds = fitted[0].training_report["rounds"]
    assert sum(c.purpose.startswith("marginal measurement") for c in ledger.charges) == rounds


def test_selects_the_dependent_pairs(fitted) -> None:
    selected = [tuple(c) for c in fitted[0].training_report["selected"]]
    assert {(0, 1), (1, 2)} <= set(selected)
    # the first picks are the linked pairs; e's pairs score ~0 and come, if at all, later
    linked = {(0, 1), (1, 2), (0, 3), (1, 3), (0, 2)}
    assert set(selected[:2]) <= linked


def test_rounds_remeasure_one_way_marginals_only_when_allowed() -> None:
    """A round may pick a 1-way marginal again (AIM's paper, the default); with
    ``remeasure_one_way`` off the 1-way marginals are measured once, in the first step."""
    picks = {}
    for allowed in (True, False):
        eng = create_engine(
            "aim", CARDS, round_iters=60, final_iters=300, remeasure_one_way=allowed
        )
        eng.fit(_table(), PrivacyLedger(5.0, 1e-6), Randomness.create(4))
        picks[allowed] = [len(c) for c in eng.training_report["selected"]]
    # at ε = 5 over 5 columns 1-way picks are common (the rounds' σ is small for 1-ways)
    assert 1 in picks[True]
    assert picks[False] and set(picks[False]) == {2}


def test_the_noise_penalty_is_halved_with_one_row_per_person() -> None:
    """The score's noise penalty: ONE_ROW_PENALTY (0.5) with one row per person, AIM's
    full penalty where a person holds k > 1 rows, the option when given. A bigger penalty
    prices the bigger tables out: the rounds pick fewer cells."""
    from synth.engines.aim import ONE_ROW_PENALTY

    def fit(ledger: PrivacyLedger, **options: Any) -> dict:
        eng = create_engine("aim", CARDS, round_iters=40, final_iters=100, **options)
        eng.fit(_table(), ledger, Randomness.create(5))
        return eng.training_report

    one = fit(PrivacyLedger(2.0, 1e-6))
    assert ONE_ROW_PENALTY == 0.5 and one["penalty_scale"] == ONE_ROW_PENALTY
    per_person = fit(PrivacyLedger(2.0, 1e-6, unit="pid", rows_per_unit=3))
    assert per_person["penalty_scale"] == 1.0
    cells = {}
    for scale in (0.5, 8.0):
        rep = fit(PrivacyLedger(2.0, 1e-6), penalty_scale=scale)
        assert rep["penalty_scale"] == scale
        cells[scale] = np.mean(rep["selected_cells"])
    assert cells[8.0] < cells[0.5]


def test_sample_keeps_the_dependencies(fitted) -> None:
    s = fitted[0].sample(20_000, np.random.default_rng(3))
    assert np.mean(s[:, 1] == s[:, 0]) > 0.85  # 0.9 + 0.1/3 in the data
    assert np.mean(s[:, 2] == s[:, 1] + 1) > 0.8
    assert s.shape == (20_000, len(CARDS))
    for i, k in enumerate(CARDS):
        assert s[:, i].min() >= 0 and s[:, i].max() < k


def test_seeded_fits_repeat_and_default_fits_do_not(fitted) -> None:
    """Only the test-only seeded fit is reproducible; two default fits draw fresh noise."""
    one, _ = _fit(5.0, seed=1)
    two, _ = _fit(5.0, seed=1)
    assert np.array_equal(
        one.sample(300, np.random.default_rng(9)), two.sample(300, np.random.default_rng(9))
    )
    again, _ = _fit(5.0)
    assert not np.array_equal(fitted[0].root_marginal, again.root_marginal)


def test_state_dict_round_trip(fitted) -> None:
    eng = fitted[0]
    config, arrays = eng.state_dict()
    again = create_engine("aim", CARDS, **config["options"])
    again.load_state_dict(config, arrays)
    assert np.array_equal(
        eng.sample(400, np.random.default_rng(4)), again.sample(400, np.random.default_rng(4))
    )


def test_too_few_rows_is_a_budget_error() -> None:
    # decided on the DP row estimate (noise s.d. ≈ 5 rows at ε = 5), never on the exact n
    with pytest.raises(BudgetError, match="too few"):
        create_engine("aim", CARDS).fit(_table(20), PrivacyLedger(5.0, 1e-6), Randomness.secret())


def test_one_column_table_fits_and_samples() -> None:
    """A table with one modelled column has no pairs to select: the workload is the column."""
    tokens = _table()[:, [2]]
    ledger = PrivacyLedger(1.0, 1e-6)
    eng = create_engine("aim", [4], round_iters=30, final_iters=100)
    eng.fit(tokens, ledger, Randomness.secret())
    out = eng.sample(2000, np.random.default_rng(0))
    assert out.shape == (2000, 1)
    assert ledger.spent()[0] <= 1.0 + 1e-9


def test_coarse_groups_merge_ordered_neighbours_by_mass() -> None:
    """An ordered column of many tokens gets about ``target`` groups of neighbours of equal
    noisy mass; a heavy token stays alone, and so do the trailing (missing) tokens."""
    eng = create_engine("aim", [12, 3], ordinal=[10, 0])
    eng.mappings = [np.arange(12), np.arange(3)]
    y = np.array([10, 10, 10, 10, 400, 10, 10, 10, 10, 10, 5, 7], dtype=float)
    groups = eng._coarse_groups([((0,), y, 1.0), ((1,), np.ones(3), 1.0)], 4)
    g = groups[0]
    assert groups[1] is None  # unordered
    assert np.all(np.diff(g[:10]) >= 0)  # neighbours only
    assert np.sum(g == g[4]) == 1  # the heavy token is a group of its own
    assert len(set(g[10:])) == 2 and not set(g[10:]) & set(g[:10])  # trailing tokens apart
    assert int(g.max()) + 1 < 12


def test_coarse_groups_place_a_numbers_points_among_its_bins() -> None:
    """With ``value_order`` a number's points (tokens after its bins) join the groups of
    their neighbours in value; a point of more than a group's mass stays alone, no group
    spans it, and a code and missing stay apart. Without it every point stays alone (a
    weight column heaped on 30 values coarsened to 8 groups plus its 30 points)."""
    # 8 bins, then 4 points lying in bins 1, 3, 5 and 6 (ranks by value), a code, missing
    order = [0, 2, 3, 5, 6, 8, 10, 11, 1, 4, 7, 9, -1, -1]
    y = np.array([50, 50, 50, 50, 50, 50, 50, 50, 40, 600, 40, 40, 30, 20], dtype=float)
    measured = [((0,), y, 1.0)]
    plain = create_engine("aim", [14], ordinal=[8])
    plain.mappings = [np.arange(14)]
    assert int(plain._coarse_groups(measured, 4)[0].max()) + 1 == 4 + 4 + 2
    eng = create_engine("aim", [14], ordinal=[8], value_order=[order])
    eng.mappings = [np.arange(14)]
    g = eng._coarse_groups(measured, 4)[0]
    by_value = g[np.argsort(order)[2:]]  # the 12 ranked tokens in value order
    assert np.all(np.diff(by_value) >= 0)  # neighbours in value only
    assert np.sum(g == g[9]) == 1  # the heavy point alone
    assert {g[8], g[10], g[11]} <= set(g[:8])  # light points share their bins' groups
    assert len({g[12], g[13]}) == 2 and not {g[12], g[13]} & set(g[:12])
    assert int(g.max()) + 1 < 10


def test_coarse_views_of_a_fine_ordered_pair_are_measured_and_charged() -> None:
    """Two ordered columns of 30 tokens that move together (15 each after compression):
    the pair is measured as a coarse view, and every measurement is charged as one Gaussian
    mechanism of sensitivity 1 (one row moves one cell of a grouped table by 1)."""
    rng = np.random.default_rng(6)
    n = 40_000
    a = rng.integers(0, 30, n)
    b = np.clip(a + rng.integers(-2, 3, n), 0, 29)
    c = rng.integers(0, 3, n)
    ledger = PrivacyLedger(1.0, 1e-6)
    eng = create_engine("aim", [30, 30, 3], ordinal=[30, 30, 0], round_iters=40, final_iters=200)
    eng.fit(np.column_stack([a, b, c]), ledger, Randomness.create(3))
    rep = eng.training_report
    coarse = [
        cells
        for cols, cells in zip(rep["selected"], rep["selected_cells"], strict=True)
        if cols == [0, 1]
    ]
    k = rep["compressed_cardinalities"]
    assert k[0] > 8 and coarse and min(coarse) < k[0] * k[1]
    measured = [ch for ch in ledger.charges if ch.purpose.startswith("marginal measurement")]
    assert len(measured) == rep["rounds"]
    assert ledger.spent()[0] <= 1.0 + 1e-9
    s = eng.sample(6000, np.random.default_rng(1))
    assert np.corrcoef(s[:, 0], s[:, 1])[0, 1] > 0.8


def test_the_synthesizer_gives_aim_each_numbers_value_order() -> None:
    import pandas as pd

    from synth.encoding import NumericCodec
    from synth.schema import parse_schema
    from synth.synthesizer import Synthesizer

    rng = np.random.default_rng(0)
    x = np.where(rng.random(3000) < 0.6, 0.0, np.round(rng.lognormal(6, 1, 3000)))
    frame = pd.DataFrame({"x": x, "c": rng.choice(["a", "b"], 3000)})
    schema = parse_schema(
        {
            "dataset": {"name": "t"},
            "columns": [
                {"name": "x", "type": "numerical"},
                {"name": "c", "type": "categorical"},
            ],
        }
    )
    model = Synthesizer(schema, epsilon=4.0, engine="aim", seed=0).fit(frame)
    codec = model.codecs[0]
    assert isinstance(codec, NumericCodec) and len(codec.points) >= 1  # the zeros
    assert model.engine.options["value_order"] == [codec.value_ranks(), None]
