"""Leakage checker: copying is blocked, honest generators pass, distances are exact."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from support import make_people, people_schema

from privacy.leakage import LeakageResult, check_leakage, distance
from privacy.leakage.distance import Encoded, nearest_two
from synth.errors import InputError
from synth.schema.model import Column, GateThresholds, Schema

SECRET = "SECRET-VALUE-42"


def as_csv_strings(df: pd.DataFrame) -> pd.DataFrame:
    """What read_table gives for a CSV: text cells, None for missing."""
    out = pd.DataFrame(index=df.index)
    for name, col in df.items():
        if pd.api.types.is_datetime64_any_dtype(col):
            text = col.dt.strftime("%Y-%m-%d")
        else:
            text = col.map(lambda v: None if pd.isna(v) else str(v))
        out[name] = text.astype(object).where(col.notna(), None)
    return out


@pytest.fixture(scope="module")
def real() -> tuple[pd.DataFrame, pd.DataFrame]:
    df = make_people(4000, seed=1)
    return df.iloc[:3000].reset_index(drop=True), df.iloc[3000:].reset_index(drop=True)


def metric(result: LeakageResult, name: str):
    return next(m for m in result.metrics if m.name == name)


# -- generators ------------------------------------------------------------------------


def test_copying_generator_is_blocked(real):
    train, holdout = real
    synthetic = train.sample(2000, replace=True, random_state=3).reset_index(drop=True)
    result = check_leakage(as_csv_strings(train), as_csv_strings(holdout), synthetic)
    assert not result.passed
    assert metric(result, "near_copy_share").verdict == "block"
    assert metric(result, "exact_match_share").verdict == "block"
    assert metric(result, "exact_copies_train").value == pytest.approx(1.0)
    assert len(result.flagged) == 2000
    assert np.all(result.dcr_train == 0.0)


def test_near_copies_are_blocked(real):
    train, holdout = real
    rng = np.random.default_rng(4)
    synthetic = train.sample(2000, replace=True, random_state=5).reset_index(drop=True)
    replace = rng.random(synthetic.shape) < 0.10
    for j, name in enumerate(synthetic.columns):
        rows = np.flatnonzero(replace[:, j])
        donors = rng.integers(0, len(train), len(rows))
        synthetic.loc[rows, name] = train[name].to_numpy()[donors]
    result = check_leakage(train, holdout, synthetic)
    assert not result.passed
    assert metric(result, "near_copy_share").verdict == "block"


def test_near_copies_without_exact_copies_are_blocked(real):
    train, holdout = real
    rng = np.random.default_rng(6)
    synthetic = train.sample(2000, replace=True, random_state=7).reset_index(drop=True)
    synthetic["bmi"] = np.round(synthetic["bmi"] + rng.choice([-0.3, 0.3], 2000), 1)
    result = check_leakage(train, holdout, synthetic)
    assert metric(result, "exact_copies_train").value == 0.0
    assert metric(result, "near_copy_share").verdict == "block"
    assert not result.passed


def test_independent_marginals_pass(real):
    train, holdout = real
    rng = np.random.default_rng(8)
    synthetic = pd.DataFrame(
        {name: train[name].to_numpy()[rng.integers(0, len(train), 2000)] for name in train}
    )
    result = check_leakage(train, holdout, synthetic, seed=4)
    # no row is copied, but exact values are: an income held by one training person
    # isolates that person (singling-out), and copied unique values pull synthetic rows
    # towards their training rows a little (the near-copy test may see it); the attacks
    # that need a row (inference, linkability) find nothing
    blocked = {m.name for m in result.metrics if m.verdict == "block"}
    assert blocked <= {"singling_out_risk", "near_copy_share"}, blocked
    assert metric(result, "exact_match_share").verdict == "pass"


def test_honest_generator_passes(real):
    train, holdout = real
    synthetic = make_people(2000, seed=99)
    result = check_leakage(as_csv_strings(train), as_csv_strings(holdout), synthetic, seed=4)
    assert result.passed, [m.to_dict() for m in result.metrics]
    share = metric(result, "dcr_share")
    assert share.interval[0] <= 0.75 <= share.interval[1] + 0.02
    assert result.columns_used == list(train.columns)


# -- distances -------------------------------------------------------------------------


def _brute_force(
    train: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame, numeric: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """The documented distance, pair by pair, with no shared code."""
    real = pd.concat([train, holdout])

    def rank(name: str, v: float) -> float:
        base = real[name].dropna().to_numpy(float)
        return ((base < v).sum() + (base <= v).sum()) / (2 * len(base))

    def dist(s: pd.Series, r: pd.Series) -> float:
        total = 0.0
        for name in synthetic.columns:
            a, b = s[name], r[name]
            if name in numeric:
                ma, mb = pd.isna(a), pd.isna(b)
                ra = 0.0 if ma else rank(name, a)
                rb = 0.0 if mb else rank(name, b)
                total += (ra - rb) ** 2 + float(ma != mb)
            else:
                same = (pd.isna(a) and pd.isna(b)) or (not pd.isna(a) and a == b)
                total += 0.0 if same else 1.0
        return np.sqrt(total / synthetic.shape[1])

    def nearest(ref: pd.DataFrame) -> np.ndarray:
        return np.array(
            [min(dist(s, r) for _, r in ref.iterrows()) for _, s in synthetic.iterrows()]
        )

    return nearest(train), nearest(holdout)


@pytest.mark.parametrize("one_hot_max", [64, 0])
def test_distance_is_exact_against_brute_force(monkeypatch, one_hot_max: int):
    monkeypatch.setattr(distance, "ONE_HOT_MAX", one_hot_max)  # 0: categories by code
    rng = np.random.default_rng(10)

    def frame(n: int) -> pd.DataFrame:
        df = pd.DataFrame(
            {
                "x": rng.integers(0, 4, n).astype(float),  # few values: many ties
                "y": np.round(rng.normal(0, 1, n)),
                "c": rng.choice(["a", "b", "c"], n).astype(object),
            }
        )
        df.loc[rng.random(n) < 0.15, "x"] = np.nan
        df.loc[rng.random(n) < 0.15, "c"] = None
        return df

    train, holdout, synthetic = frame(40), frame(15), frame(30)
    synthetic.loc[0] = train.loc[3]  # an exact copy
    holdout.loc[0] = train.loc[5]
    synthetic.loc[3] = train.loc[5]  # identical to a train and a holdout row: a tie
    synthetic.loc[1, "y"] = 99.0  # beyond every real value
    synthetic.loc[2, "c"] = "never-seen"
    result = check_leakage(train, holdout, synthetic, block_rows=7)
    want_tr, want_ho = _brute_force(train, holdout, synthetic, numeric=["x", "y"])
    np.testing.assert_allclose(result.dcr_train, want_tr, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.dcr_holdout, want_ho, rtol=0, atol=1e-12)
    ties = np.isclose(want_tr, want_ho, rtol=0, atol=1e-12)
    assert ties.any()
    expected = np.where(ties, 0.5, (want_tr < want_ho).astype(float)).mean()
    assert metric(result, "dcr_share").value == pytest.approx(expected)


@pytest.mark.parametrize(("n_query", "block_rows"), [(30, 1), (30, 5), (30, 64), (1500, 700)])
def test_nearest_two_matches_brute_force(n_query: int, block_rows: int):
    rng = np.random.default_rng(block_rows)
    r = rng.integers(0, 3, (50, 4)).astype(float) / 2  # duplicates and ties
    r = np.vstack([r, rng.random((200, 4))])
    q = np.vstack([rng.integers(0, 3, (n_query, 4)) / 2, rng.random((n_query, 4)), r[:5]])
    got = nearest_two(q, r, block_rows=block_rows)
    d = ((q[:, None, :] - r[None, :, :]) ** 2).sum(axis=2)
    best = np.sort(d, axis=1)
    np.testing.assert_allclose(got.sq1, best[:, 0], atol=1e-12)
    np.testing.assert_allclose(got.sq2, best[:, 1], atol=1e-12)
    np.testing.assert_allclose(d[np.arange(len(q)), got.idx1], got.sq1, atol=1e-12)
    assert np.all(got.idx1 != got.idx2)


def test_nearest_two_with_wide_category_codes():
    rng = np.random.default_rng(3)
    r = Encoded(rng.random((300, 3)), rng.integers(0, 150, (300, 2)))
    q = Encoded(rng.random((900, 3)), rng.integers(0, 150, (900, 2)))
    got = nearest_two(q, r, block_rows=256)
    d = ((q.dense[:, None, :] - r.dense[None, :, :]) ** 2).sum(axis=2)
    d += (q.codes[:, None, :] != r.codes[None, :, :]).sum(axis=2)
    best = np.sort(d, axis=1)
    np.testing.assert_allclose(got.sq1, best[:, 0], atol=1e-12)
    np.testing.assert_allclose(got.sq2, best[:, 1], atol=1e-12)


# -- exact copies ----------------------------------------------------------------------


def test_exact_copies_found_regardless_of_formatting(real):
    train, holdout = real
    rows = [0, 5, 17, 42]
    copies = as_csv_strings(train.loc[rows]).reset_index(drop=True)
    copies["income"] = [None if pd.isna(v) else f"{v:.4f}" for v in train.loc[rows, "income"]]
    copies["bmi"] = [f"{v:.3e}" for v in train.loc[rows, "bmi"]]
    copies["age"] = [f" {float(v)} " for v in train.loc[rows, "age"]]
    copies["visit"] = [
        None if pd.isna(v) else v.strftime("%Y-%m-%dT00:00:00") for v in train.loc[rows, "visit"]
    ]
    noise = train.loc[rows].reset_index(drop=True)
    noise["bmi"] = noise["bmi"] + 0.1 + 0.2 - 0.3  # float noise, same value to 12 digits
    fresh = make_people(200, seed=123)
    fresh["income"] = fresh["income"] + 0.005  # never identical to a real row
    synthetic = pd.concat([copies, noise.astype(object), fresh.astype(object)], ignore_index=True)
    result = check_leakage(train, holdout, synthetic)
    assert set(range(8)) <= set(result.flagged.tolist())
    assert metric(result, "exact_copies_train").value == pytest.approx(8 / len(synthetic))
    assert np.all(result.dcr_train[:8] == 0.0)


# -- schema ----------------------------------------------------------------------------


def test_schema_excludes_columns_and_generalises(real):
    train, holdout = real
    rng = np.random.default_rng(11)

    def with_ids(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        df["mrn"] = [f"MRN{i:06d}" for i in rng.integers(0, 10**6, len(df))]
        df["zip"] = [f"{z:05d}" for z in rng.integers(1000, 99999, len(df))]
        df["notes"] = "free text"
        return df

    train, holdout = with_ids(train), with_ids(holdout)
    synthetic = train.sample(500, random_state=12).reset_index(drop=True)
    synthetic["zip"] = synthetic["zip"].str[:3]  # the generator emits ZIP3
    synthetic["mrn"] = [f"MRN{i:06d}" for i in range(500)]  # fresh surrogates
    schema = Schema(
        columns=[
            Column(name="mrn", type="identifier", role="direct_identifier", action="replace"),
            Column(
                name="zip",
                type="categorical",
                role="quasi_identifier",
                action="generalise",
                generalise="zip3",
            ),
            Column(name="notes", type="text", action="drop"),
            *[
                Column(name=n, type=t)
                for n, t in [
                    ("age", "numerical"),
                    ("income", "numerical"),
                    ("bmi", "numerical"),
                    ("sex", "categorical"),
                    ("region", "categorical"),
                    ("smoker", "categorical"),
                    ("visit", "datetime"),
                    ("plan", "categorical"),
                ]
            ],
        ]
    )
    result = check_leakage(as_csv_strings(train), as_csv_strings(holdout), synthetic, schema)
    assert "mrn" not in result.columns_used and "notes" not in result.columns_used
    assert "zip" in result.columns_used
    assert metric(result, "exact_copies_train").value == pytest.approx(1.0)
    assert not result.passed


def test_thresholds_override_and_result_is_json(real):
    train, holdout = real
    synthetic = make_people(1000, seed=77)
    calls: list[tuple[str, int, int]] = []
    result = check_leakage(
        train,
        holdout,
        synthetic,
        thresholds=GateThresholds(near_copy_min=0.5, confidence=0.9),
        progress=lambda stage, done, total: calls.append((stage, done, total)),
    )
    data = json.loads(json.dumps(result.to_dict()))
    assert set(data) == {
        "passed",
        "metrics",
        "sizes",
        "columns_used",
        "flagged_rows",
        "dcr_quantiles",
        "attacks",
        "near_copies",
        "sampling",
        "warnings",
        "filter",
        "unit",
    }
    assert data["unit"] == {"column": None, "kind": "row"}  # no privacy unit: rows
    assert data["sampling"]["exact"] is True and data["warnings"] == []
    assert data["filter"] is None
    # real-row counts are private: only the training share (2 decimals) is shown
    assert data["sizes"] == {"synthetic": 1000, "train_share": 0.75}
    assert set(data["dcr_quantiles"]) == {"train", "holdout"}
    assert set(data["dcr_quantiles"]["train"]) == {"0.01", "0.05", "0.25", "0.5"}
    share = next(m for m in data["metrics"] if m["name"] == "near_copy_share")
    from privacy.leakage.near_copies import FACTORS, RARE_FACTORS, RARE_VIEW, STRICT_MARGIN

    # the headline test's margin: near_copy_min, or in a strict test a fraction of it
    assert share["threshold"] in (pytest.approx(0.5), pytest.approx(0.5 * STRICT_MARGIN))
    assert [(f["view"], f["factor"]) for f in data["near_copies"]["factors"]] == [
        *(("distance", f) for f in FACTORS),
        *((RARE_VIEW, f) for f in RARE_FACTORS),
    ]
    assert {"name", "value", "baseline", "interval", "threshold", "verdict", "explanation"} <= set(
        share
    )
    assert calls and all(done <= total for _, done, total in calls)


# -- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["train", "holdout", "synthetic"])
def test_empty_frame_is_an_input_error(real, which: str):
    train, holdout = real
    frames = {"train": train, "holdout": holdout, "synthetic": train.head(50)}
    frames[which] = frames[which].iloc[:0]
    with pytest.raises(InputError, match=which):
        check_leakage(frames["train"], frames["holdout"], frames["synthetic"])


def test_no_common_column_is_an_input_error(real):
    train, holdout = real
    synthetic = pd.DataFrame({"other": [SECRET] * 10})
    with pytest.raises(InputError, match="synthetic table lacks compared column") as err:
        check_leakage(train, holdout, synthetic)
    assert SECRET not in str(err.value) and "'other'" in str(err.value)


def test_all_columns_excluded_is_an_input_error():
    ids = pd.DataFrame({"token": [f"{SECRET}-{i}" for i in range(150)]})
    train, holdout, synthetic = ids.iloc[:100], ids.iloc[100:], ids.head(10)
    with pytest.raises(InputError, match="excluded") as err:
        check_leakage(train, holdout, synthetic)
    assert SECRET not in str(err.value)
    schema = Schema(columns=[Column(name="token", type="categorical", action="drop")])
    with pytest.raises(InputError, match="excluded"):
        check_leakage(train, holdout, synthetic, schema)


def test_unparseable_declared_number_names_frame_not_value(real):
    train, holdout = real
    synthetic = train.head(20).astype(object)
    synthetic.loc[3, "age"] = SECRET
    schema = people_schema()  # the contract: every column declared
    with pytest.raises(InputError, match="synthetic: column 'age'") as err:
        check_leakage(train, holdout, synthetic, schema)
    assert SECRET not in str(err.value)


def test_renamed_or_dropped_columns_cannot_evade_the_gate(real):
    """A bootstrap copy of the training rows with columns renamed ('-' → '_', or to
    anything) or dropped: the gate refuses to compare what is left (issue 18: such copies
    passed with exit 0). Mapped back explicitly, the copy is blocked."""
    train, holdout = real
    copy = train.sample(1500, replace=True, random_state=0).reset_index(drop=True)
    schema = people_schema({"plan": "sensitive"})
    renamed = copy.rename(columns={"income": "income_", "visit": "visit_date"})
    for synthetic, schema_or_none in (
        (renamed, schema),
        (renamed, None),
        (copy[["sex", "region"]], schema),
        (copy.assign(extra=1), None),
    ):
        with pytest.raises(InputError, match="synthetic table") as err:
            check_leakage(train, holdout, synthetic, schema_or_none)
        assert SECRET not in str(err.value)
    with pytest.raises(InputError, match=r"'income'.*'income_'.*renamed\?"):
        check_leakage(train, holdout, renamed, schema)
    mapped = check_leakage(
        train, holdout, renamed, schema, rename={"income_": "income", "visit_date": "visit"}
    )
    assert not mapped.passed and set(mapped.columns_used) == set(train.columns)
