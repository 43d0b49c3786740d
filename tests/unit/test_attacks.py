"""Attacks with a control set, fair tie shares, sampling above the exact limit."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from support import make_people, people_schema

from privacy.leakage import check_leakage
from privacy.leakage.attacks import AttackOutcome, _guessed, choose_columns, run_attacks
from privacy.leakage.columns import prepare_columns
from privacy.leakage.distance import HOLDOUT, TRAIN, Encoded, Prepared, count_within
from privacy.leakage.metrics import tie_scores
from synth.schema.model import GateThresholds


@pytest.fixture(scope="module")
def real() -> tuple[pd.DataFrame, pd.DataFrame]:
    df = make_people(4000, seed=5)
    return df.iloc[:3000].reset_index(drop=True), df.iloc[3000:].reset_index(drop=True)


def metric(result, name: str):
    return next(m for m in result.metrics if m.name == name)


def marginals(train: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c: train[c].to_numpy()[rng.integers(0, len(train), n)] for c in train})


# -- the attacks -----------------------------------------------------------------------


def test_copying_generator_fails_inference_and_linkability(real):
    train, holdout = real
    synthetic = train.sample(3000, replace=True, random_state=1).reset_index(drop=True)
    schema = people_schema({"plan": "sensitive", "smoker": "sensitive"})
    result = check_leakage(train, holdout, synthetic, schema)
    inf, link = metric(result, "inference_risk"), metric(result, "linkability_risk")
    assert inf.verdict == "block" and link.verdict == "block"
    assert metric(result, "singling_out_risk").verdict == "block"
    # a bootstrap copy holds ~63% of the training rows, each betrayed exactly
    assert 0.45 < inf.value < 0.8 and inf.interval[0] > 0.3
    assert result.attacks["secrets"] == ["smoker", "plan"]
    assert result.attacks["attackers"] == ["all other columns"]  # no quasi-identifier
    assert {o["name"] for o in result.attacks["inference"]} == {"smoker", "plan"}


def test_independent_draws_pass_the_attacks_and_resampled_unique_values_single_out(real):
    train, holdout = real
    schema = people_schema({"plan": "sensitive"})
    honest = check_leakage(train, holdout, make_people(3000, seed=77), schema, seed=4)
    assert honest.passed, [m.to_dict() for m in honest.metrics]
    inf = metric(honest, "inference_risk")
    assert inf.interval[0] <= 0.0 <= inf.interval[1] and abs(inf.value) < 0.1
    # columns resampled independently keep no row, but copy exact values: an income held
    # by one training person isolates that person (Anonymeter's univariate singling-out)
    resampled = check_leakage(train, holdout, marginals(train, 3000, seed=2), schema, seed=4)
    verdicts = {m.name: m.verdict for m in resampled.metrics}
    assert verdicts["inference_risk"] == verdicts["linkability_risk"] == "pass"
    assert verdicts["singling_out_risk"] == "block"
    uni = next(o for o in resampled.attacks["singling_out"] if o["name"].endswith("univariate"))
    # nearly everybody a copied unique value isolates is a training person
    assert uni["share_train_of_singled_out"] > uni["expected_share"] + 0.1
    assert uni["risk_interval"][0] > 0.1


def test_quasi_identifiers_are_the_weaker_attackers_knowledge(real):
    train, holdout = real
    schema = people_schema({"age": "quasi_identifier", "sex": "quasi_identifier"}, target="plan")
    cols = prepare_columns(train, holdout, train.iloc[:100], schema)
    plan = choose_columns(cols, schema)
    assert plan.secrets == ["plan", "income", "bmi", "region", "smoker", "visit"]  # target first
    assert plan.quasi_identifiers == ["age", "sex"]
    assert plan.attackers == ["quasi-identifiers", "all other columns"]


def test_without_a_declared_secret_every_column_is_attacked_in_turn(real):
    """A bootstrap copy with no sensitive column and no schema is caught by inference."""
    train, holdout = real
    copy = train.sample(3000, replace=True, random_state=8).reset_index(drop=True)
    for schema in (None, people_schema()):
        result = check_leakage(train, holdout, copy, schema)
        inf = metric(result, "inference_risk")
        assert inf.verdict == "block", inf.explanation
        assert result.attacks["secrets"] == list(train.columns)
        knows = {o["knows"] for o in result.attacks["inference"]}
        assert knows == {"all other columns"}
    result = check_leakage(train, holdout, marginals(train, 500, seed=3), attack=False)
    assert result.attacks is None and "inference_risk" not in [m.name for m in result.metrics]


def test_singling_out_counts_people_once_and_compares_labels_in_one_pool():
    from privacy.leakage.singling_out import Predicates, SinglingOut, matches

    data = [np.array([1.0, 2.0, 2.0, 3.0]), np.array([0.0, 0.0, 1.0, 1.0])]
    preds = Predicates(
        np.array([[0], [0], [1], [0]]),
        np.array([[0], [0], [0], [1]]),
        np.array([[1.0], [2.0], [1.0], [1.0]]),
    )
    count, first = matches(preds, data)
    assert count.tolist() == [1, 2, 2, 1] and first.tolist() == [0, 1, 2, 0]
    honest = SinglingOut("singling_out:univariate", 400, 160, 40, 0.8)
    value, (lo, hi) = honest.risk(0.95)
    assert value == pytest.approx(0.0) and lo < 0 < hi
    leaky = SinglingOut("singling_out:univariate", 400, 190, 10, 0.8)
    assert leaky.risk(0.95)[0] == pytest.approx(0.75) and leaky.risk(0.95)[1][0] > 0.4
    # how many real people were singled out is a count of real rows: never printed
    from privacy.leakage.attacks import AttackPlan, AttackReport, attack_metrics

    plan = AttackPlan([], [], [], [], "test")
    report = AttackReport([], None, [leaky], plan)
    (metric,) = [m for m in attack_metrics(report, GateThresholds()) if "singling" in m.name]
    assert metric.verdict == "block" and "200" not in metric.explanation
    assert set(leaky.to_dict(0.95)) == {
        "name",
        "predicates",
        "share_train_of_singled_out",
        "expected_share",
        "risk",
        "risk_interval",
    }


def test_univariate_matches_by_sorting_equal_the_row_by_row_count():
    from privacy.leakage.singling_out import Predicates, matches, univariate_matches

    rng = np.random.default_rng(0)
    data = [rng.integers(0, 50, 500).astype(float), rng.random(500)]
    data[0][rng.random(500) < 0.1] = np.nan
    cols, ops = rng.integers(0, 2, 300), rng.integers(0, 4, 300)
    vals = np.where(cols == 0, rng.integers(-2, 52, 300).astype(float), rng.random(300))
    exact = rng.random(300) < 0.3
    vals[exact & (cols == 1)] = data[1][rng.integers(0, 500, int((exact & (cols == 1)).sum()))]
    preds = Predicates(cols[:, None], ops[:, None], vals[:, None])
    (count, first), (fast_count, fast_first) = matches(preds, data), univariate_matches(preds, data)
    assert count.tolist() == fast_count.tolist()
    one = count == 1
    assert one.sum() > 5 and first[one].tolist() == fast_first[one].tolist()


def test_secrets_in_turn_are_bounded():
    from privacy.leakage.attacks import MAX_SECRETS

    cols = [
        Prepared(f"c{i}", False, tuple(np.zeros(3, dtype=np.int64) for _ in range(3)))
        for i in range(MAX_SECRETS + 5)
    ]
    plan = choose_columns(cols, None)
    assert len(plan.secrets) == MAX_SECRETS and len(plan.not_attacked) == 5


def test_risk_formula_and_interval():
    o = AttackOutcome("s", success_train=900, n_train=1000, success_control=600, n_control=1000)
    value, (lo, hi) = o.risk(0.95)
    assert value == pytest.approx((0.9 - 0.6) / (1 - 0.6))
    assert lo < value < hi
    # conservative: each rate at its own Wilson bound
    assert lo == pytest.approx((0.8798 - 0.6300) / (1 - 0.6300), abs=2e-3)
    zero = AttackOutcome("s", 500, 1000, 500, 1000)
    v0, (lo0, hi0) = zero.risk(0.95)
    assert v0 == 0.0 and lo0 < 0 < hi0
    d = json.loads(json.dumps(o.to_dict(0.95)))
    assert d["success_rate_train"] == 0.9 and d["n_control_targets"] == 1000


def test_numeric_guess_tolerance_and_missing():
    truth = np.array([100.0, 100.0, np.nan, 0.0, np.nan])
    guess = np.array([104.0, 106.0, np.nan, 0.0, 3.0])
    col = Prepared("x", True, (truth, truth, guess))
    ok = _guessed(col, TRAIN, np.arange(5))
    assert ok.tolist() == [True, False, True, True, False]


def test_attack_targets_are_capped_and_seeded_only_on_request(real):
    train, holdout = real
    cols = prepare_columns(train, holdout, marginals(train, 800, 4), people_schema(target="plan"))

    def attack(rng=None):
        return run_attacks(cols, people_schema(target="plan"), attack_rows=300, rng=rng)

    a = attack(np.random.default_rng(7))
    assert a.inference[0].n_train == a.inference[0].n_control == 300
    assert a == attack(np.random.default_rng(7))
    # by default the targets come from fresh OS entropy: an attacker cannot replay which
    # real rows were attacked (five unseeded runs all alike would be a fixed seed)
    runs = [attack() for _ in range(5)]
    assert len({(r.inference[0].success_train, r.linkability) for r in runs}) > 1


def test_the_gate_says_where_its_randomness_came_from(real):
    train, holdout = real
    syn = marginals(train, 500, 3)
    fresh = check_leakage(train, holdout, syn).to_dict()["sampling"]["randomness"]
    seeded = check_leakage(train, holdout, syn, seed=1).to_dict()["sampling"]["randomness"]
    assert fresh.startswith("fresh OS entropy") and seeded.startswith("seeded (test only)")


# -- ties ------------------------------------------------------------------------------


def test_tie_scores_are_k_over_k_plus_m():
    assert tie_scores(np.array([3, 1, 2]), np.array([1, 1, 0])).tolist() == [0.75, 0.5, 1.0]


def test_tie_between_three_train_rows_and_one_holdout_row_counts_three_quarters():
    # one synthetic row, exactly distance 1 (one category mismatch) from 3 training rows and
    # 1 holdout row; every other real row is farther away
    train = pd.DataFrame({"u": ["x", "x", "x", "z", "z"], "v": ["a", "b", "c", "q", "r"]})
    holdout = pd.DataFrame({"u": ["x", "z"], "v": ["d", "s"]})
    synthetic = pd.DataFrame({"u": ["x"], "v": ["new"]})
    result = check_leakage(train, holdout, synthetic, attack=False)
    share = metric(result, "dcr_share")
    assert share.value == pytest.approx(0.75)
    assert "k/(k+m)" in share.explanation


def test_exact_match_in_both_sets_counts_by_multiplicity():
    train = pd.DataFrame({"u": ["x", "x", "y", "w"], "v": ["a", "a", "b", "c"]})
    holdout = pd.DataFrame({"u": ["x", "q"], "v": ["a", "r"]})
    synthetic = pd.DataFrame({"u": ["x"], "v": ["a"]})
    result = check_leakage(train, holdout, synthetic, attack=False)
    assert metric(result, "exact_match_share").value == pytest.approx(2 / 3)
    assert metric(result, "dcr_share").value == pytest.approx(2 / 3)


def test_count_within_matches_brute_force():
    rng = np.random.default_rng(0)
    q = np.round(rng.random((37, 3)) * 4) / 4
    r = np.round(rng.random((101, 3)) * 4) / 4
    codes_q, codes_r = rng.integers(0, 3, (37, 1)), rng.integers(0, 3, (101, 1))
    sq = ((q[:, None, :] - r[None, :, :]) ** 2).sum(-1) + (codes_q != codes_r.T)
    radius = sq.min(axis=1)
    got = count_within(Encoded(q, codes_q), Encoded(r, codes_r), radius, block_rows=16)
    assert got.tolist() == (np.abs(sq - radius[:, None]) <= 1e-12).sum(axis=1).tolist()
    assert (got >= 1).all()


# -- above the exact limit ---------------------------------------------------------------


def test_synthetic_rows_are_sampled_above_the_limit_never_silently(real):
    train, holdout = real
    synthetic = pd.concat(
        [marginals(train, 1500, seed=9), train.iloc[:500]], ignore_index=True
    )  # 500 exact copies at the end
    gate = GateThresholds(exact_max_rows=400)
    result = check_leakage(train, holdout, synthetic, thresholds=gate, attack=False)
    d = json.loads(json.dumps(result.to_dict()))
    assert d["sampling"]["exact"] is False
    assert d["sampling"]["rows_measured"] == 400 and d["sampling"]["synthetic_rows"] == 2000
    assert any("400" in w and "sample" in w for w in d["warnings"])
    assert len(result.dcr_train) == 400
    # exact copies are still found on every synthetic row, not only the sampled ones
    assert set(range(1500, 2000)) <= set(result.flagged.tolist())
    assert metric(result, "exact_copies_train").value == pytest.approx(0.25, abs=0.01)
    # the sampled near-copy test still sees the copies (~25% of the sample at distance 0)
    assert metric(result, "near_copy_share").verdict == "block"
    assert metric(result, "near_copy_share").value > 0.1
    exact = check_leakage(train, holdout, synthetic, attack=False)
    assert exact.sampling["exact"] is True and exact.warnings == ()


def test_holdout_rows_unused_by_attacks_are_not_copied(real):
    """Control rows are holdout rows: a generator copying the holdout shows negative risk."""
    train, holdout = real
    synthetic = holdout.sample(1000, replace=True, random_state=4).reset_index(drop=True)
    result = check_leakage(train, holdout, synthetic, people_schema({"plan": "sensitive"}))
    assert metric(result, "inference_risk").value < -0.2
    assert result.attacks["inference"][0]["success_rate_control"] > 0.5
    assert HOLDOUT == 1
