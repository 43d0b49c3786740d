"""The leakage gate per person (issue 17): with ``dataset.privacy_unit`` the null is that the
synthetic data does not depend on which *persons* were in training."""

from __future__ import annotations

import json
import re
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from privacy.leakage import check_leakage
from privacy.leakage.attacks import run_attacks
from privacy.leakage.chunked import check_leakage_chunks
from privacy.leakage.columns import prepare_columns
from privacy.leakage.distance import Prepared
from privacy.leakage.near_copies import FACTORS, K, permutation_tests
from privacy.leakage.singling_out import (
    EQ,
    GE,
    LE,
    NAN,
    Predicates,
    person_matches,
    singling_out,
    univariate_person_matches,
)
from privacy.leakage.units import Units, effective_persons, one_row_each, units_of
from synth.errors import InputError
from synth.io.chunks import plan_chunks
from synth.releasing import split_holdout
from synth.schema.io import parse_schema
from synth.schema.model import Schema

COLS = [f"x{i}" for i in range(4)]


def persons(n: int, seed: int, prefix: str = "P", rows: tuple[int, int] = (5, 20)) -> pd.DataFrame:
    """``n`` invented persons of 5–20 rows each: a person's rows are strongly alike (a
    random centre per person, small noise per row), a static category per person."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(rows[0], rows[1] + 1, n)
    centre = rng.normal(0.0, 1.0, (n, len(COLS)))
    sex = rng.choice(["F", "M"], n)
    who = np.repeat(np.arange(n), sizes)
    df = pd.DataFrame(centre[who] + rng.normal(0.0, 0.03, (len(who), len(COLS))), columns=COLS)
    df.insert(0, "pid", [f"{prefix}{i:05d}" for i in who])
    df["sex"] = sex[who]
    return df


def schema(unit: bool = True) -> Schema:
    dataset = {"holdout_fraction": 0.25} | ({"privacy_unit": "pid"} if unit else {})
    return parse_schema(
        {
            "dataset": dataset,
            "columns": [
                {
                    "name": "pid",
                    "type": "identifier",
                    "role": "direct_identifier",
                    "action": "replace",
                },
                *({"name": c, "type": "numerical"} for c in COLS),
                {"name": "sex", "type": "categorical", "static": unit},
            ],
        }
    )


def split(real: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The release's split: every person on one side."""
    return split_holdout(real, schema(), np.random.default_rng(seed))


def blocked(result) -> list[str]:
    return [m.name for m in result.metrics if m.verdict == "block"]


def test_honest_persons_pass_per_person_but_a_row_relabelling_blocks_them():
    """Honest output (fresh persons from the same distribution), persons of 5–20 alike rows:
    the near rows of a synthetic row are one real person's, all one label. Relabelling
    rows splits them, so the observed count looks far too high; relabelling persons
    does not. Over three draws the row-level null blocks every time, the person-level
    never."""
    row_blocks, person_blocks = 0, 0
    for seed in range(3):
        train, holdout = split(persons(300, seed), 100 + seed)
        synthetic = persons(300, 1000 + seed, prefix="S")
        per_person = check_leakage(train, holdout, synthetic, schema(), attack=False, seed=seed)
        per_row = check_leakage(train, holdout, synthetic, schema(False), attack=False, seed=seed)
        person_blocks += "near_copy_share" in blocked(per_person)
        row_blocks += "near_copy_share" in blocked(per_row)
        # the same statistic, observed once; only the null differs
        f_person = per_person.near_copies["factors"]
        f_row = per_row.near_copies["factors"]
        assert [f["share"] for f in f_person] == [f["share"] for f in f_row]
        alpha = (1 - 0.95) / 2 / len(FACTORS)
        assert min(f["p_value"] for f in f_row[1:]) <= alpha  # far too small under rows
        assert f_row[1]["expected"] < f_person[1]["expected"] / 2
        assert per_person.passed
    assert (person_blocks, row_blocks) == (0, 3)


def test_copies_of_whole_training_persons_are_blocked():
    train, holdout = split(persons(300, 7), 107)
    honest = persons(300, 1007, prefix="S")
    rng = np.random.default_rng(7)
    copied = train[train["pid"].isin(rng.choice(train["pid"].unique(), 30, replace=False))]
    synthetic = pd.concat(
        [honest.iloc[: len(honest) - len(copied)], copied.assign(pid="C" + copied["pid"])],
        ignore_index=True,
    )
    result = check_leakage(train, holdout, synthetic, schema(), seed=7)
    assert not result.passed
    assert {"near_copy_share", "exact_match_share"} <= set(blocked(result))


def test_unit_is_reported_and_explanations_speak_of_persons():
    train, holdout = split(persons(200, 3), 103)
    synthetic = persons(200, 1003, prefix="S")
    result = check_leakage(train, holdout, synthetic, schema(), seed=3)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["unit"] == {"column": "pid", "kind": "person"}
    units = units_of(train, holdout, schema())
    assert units is not None
    assert data["sizes"]["train_share"] == round(units.share, 2)  # the persons' share
    by = {m["name"]: m for m in data["metrics"]}
    assert "of the persons" in by["near_copy_share"]["explanation"]
    assert "relabellings of the persons" in data["near_copies"]["method"]
    assert "real persons" in by["dcr_share"]["explanation"]
    assert by["dcr_share"]["baseline"] == pytest.approx(units.share, rel=1e-3)
    assert "persons (one random row each)" in by["inference_risk"]["explanation"]
    assert "persons (one random row each)" in by["linkability_risk"]["explanation"]
    assert "persons singled out are training persons" in by["singling_out_risk"]["explanation"]
    assert data["attacks"]["method"].endswith("one random row per person")
    # no exact count of real persons or rows in any explanation
    counts = {units.n_train, units.n_holdout, units.n_train + units.n_holdout}
    counts |= {len(train), len(holdout), len(train) + len(holdout)}
    text = " ".join(m["explanation"] for m in data["metrics"])
    assert not counts & {int(x) for x in re.findall(r"(?<![\d.])\d+(?![\d.%])", text)}

    without = check_leakage(train, holdout, synthetic, schema(False), attack=False, seed=3)
    assert without.to_dict()["unit"] == {"column": None, "kind": "row"}


def test_persons_missing_or_on_both_sides():
    train, holdout = split(persons(60, 4), 104)
    synthetic = persons(60, 1004, prefix="S")
    with pytest.raises(InputError, match="privacy unit column 'pid'"):
        check_leakage(train.drop(columns="pid"), holdout, synthetic, schema(), attack=False)
    # the synthetic table need not hold the unit
    check_leakage(train, holdout, synthetic.drop(columns="pid"), schema(), attack=False, seed=4)
    both = pd.concat([holdout, train.iloc[:3]], ignore_index=True)
    result = check_leakage(train, both, synthetic, schema(), attack=False, seed=4)
    assert any("both the training and the holdout" in w for w in result.warnings)


def _units(sizes_tr: np.ndarray, sizes_ho: np.ndarray) -> Units:
    tr = np.repeat(np.arange(len(sizes_tr)), sizes_tr)
    ho = np.repeat(np.arange(len(sizes_ho)), sizes_ho)
    return Units("pid", tr, ho, len(sizes_tr), len(sizes_ho))


def test_person_relabelling_expects_the_persons_share_not_the_rows():
    """Unequal persons: 20 training persons of 30 rows, 80 holdout persons of 1 row. The
    rows' training share is 600/680, the persons' 20/100; under a random split of the
    persons every row is training with probability 0.2, so the relabellings' mean share
    of synthetic rows whose nearest real row is training is 0.2 (the gate's p0)."""
    units = _units(np.full(20, 30), np.ones(80, dtype=int))
    n_tr, n_ho = len(units.train), len(units.holdout)
    rng = np.random.default_rng(0)
    n_syn = 3000
    ids = np.stack([rng.choice(n_tr + n_ho, K, replace=False) for _ in range(n_syn)])
    dist = np.sort(rng.random((n_syn, K)), axis=1)
    z = NormalDist().inv_cdf(0.99)
    tests = permutation_tests(dist, ids, n_tr, n_ho, z, np.random.default_rng(1), units)
    assert tests[0].expected == pytest.approx(units.share, abs=0.02)
    rows = permutation_tests(dist, ids, n_tr, n_ho, z, np.random.default_rng(1))
    assert rows[0].expected == pytest.approx(n_tr / (n_tr + n_ho), abs=0.02)


def test_effective_persons_counts_persons_not_rows():
    real_hash = np.array([1, 1, 1, 2, 3, 4], dtype=np.uint64)
    person = np.array([0, 0, 0, 1, 2, 3])  # person 0 holds value 1 in three rows
    syn = np.array([1] * 10 + [2, 3, 4], dtype=np.uint64)
    only_one = np.r_[np.ones(10, bool), np.zeros(3, bool)]
    assert effective_persons(only_one, syn, real_hash, person) == pytest.approx(1.0)
    three = np.r_[np.zeros(10, bool), np.ones(3, bool)]
    assert effective_persons(three, syn, real_hash, person) == pytest.approx(3.0)
    # a value two persons hold: a copy of it is half a label of each
    assert effective_persons(
        np.array([True]), np.array([9], np.uint64), np.array([9, 9], np.uint64), np.array([0, 1])
    ) == pytest.approx(2.0)


def test_one_row_each_takes_one_row_of_every_chosen_person():
    codes = np.array([2, 0, 1, 0, 2, 2, 1])
    rows = one_row_each(codes, 3, np.array([0, 2]), np.random.default_rng(0))
    assert sorted(codes[rows].tolist()) == [0, 2]


def test_attacks_target_one_row_per_person():
    train, holdout = split(persons(40, 5), 105)
    synthetic = persons(40, 1005, prefix="S")
    units = units_of(train, holdout, schema())
    assert units is not None
    cols = prepare_columns(train, holdout, synthetic, schema())
    report = run_attacks(
        cols, schema(), attack_rows=2000, rng=np.random.default_rng(0), units=units
    )
    # as many persons of each side, each attacked once however many rows they have
    link = report.linkability
    fewest = min(units.n_train, units.n_holdout)
    assert link is not None and (link.n_train, link.n_control) == (fewest, fewest)
    rows = run_attacks(cols, schema(False), attack_rows=2000, rng=np.random.default_rng(0))
    assert rows.linkability is not None
    assert rows.linkability.n_train == min(len(train), len(holdout))


def _brute(preds: Predicates, data: list[np.ndarray], person: np.ndarray):
    ops = {EQ: np.equal, LE: np.less_equal, GE: np.greater_equal}
    one, first = [], []
    for c, o, v in zip(preds.columns, preds.ops, preds.values, strict=True):
        m = np.ones(len(person), bool)
        for cc, oo, vv in zip(c, o, v, strict=True):
            x = data[cc]
            m &= np.isnan(x) if oo == NAN else ops[oo](x, vv)
        hit = np.flatnonzero(m)
        one.append(len(hit) > 0 and len(np.unique(person[hit])) == 1)
        first.append(hit[0] if len(hit) else -1)
    return np.array(one), np.array(first)


def test_person_matches_agree_with_brute_force():
    rng = np.random.default_rng(0)
    n = 400
    person = np.sort(rng.integers(0, 60, n))
    data = [rng.integers(0, 8, n).astype(float) for _ in range(3)]
    data[0][rng.random(n) < 0.02] = np.nan
    data[1] = np.round(rng.normal(0, 1, n), 1)
    data[1][person == 7] = 99.0  # one person holds the maximum in all its rows
    uni = Predicates(
        rng.integers(0, 3, (200, 1)),
        rng.choice([EQ, LE, GE, NAN], (200, 1)),
        rng.choice([0.0, 1.0, 3.0, 7.0, -2.0, 99.0, -1.1], (200, 1)),
    )
    got = univariate_person_matches(uni, data, person)
    want = _brute(uni, data, person)
    assert np.array_equal(got[0], want[0])
    assert np.array_equal(got[1][want[0]], want[1][want[0]])
    multi = Predicates(
        rng.integers(0, 3, (300, 3)),
        rng.choice([EQ, LE, GE], (300, 3)),
        rng.integers(0, 8, (300, 3)).astype(float),
    )
    got = person_matches(multi, data, person)
    want = _brute(multi, data, person)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


def test_singling_out_counts_a_person_of_several_rows():
    """A value only one (training) person holds, in three rows: a predicate on it singles
    that person out; counted per row, it matches three rows and singles out nobody."""
    x_tr = np.array([5.0, 5.0, 5.0, 1.0, 2.0, 3.0])
    x_ho = np.array([1.0, 2.0, 3.0, 4.0])
    syn = np.array([5.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0])
    col = Prepared("x", True, (x_tr, x_ho, syn))
    units = _units(np.array([3, 1, 1, 1]), np.ones(4, dtype=int))
    rng = np.random.default_rng(0)
    per_person = {o.name: o for o in singling_out([col], 10, rng, units)}
    uni = per_person["singling_out:univariate"]
    assert (uni.singled_train, uni.singled_holdout) == (1, 0)
    assert uni.p0 == pytest.approx(0.5)  # 4 training persons of 8
    per_row = {o.name: o for o in singling_out([col], 10, np.random.default_rng(0))}
    assert per_row["singling_out:univariate"].singled == 0


def test_chunked_check_reads_the_persons_too(tmp_path):
    train, holdout = split(persons(80, 6), 106)
    synthetic = persons(80, 1006, prefix="S")
    paths = tmp_path / "train.parquet", tmp_path / "holdout.parquet"
    train.to_parquet(paths[0], row_group_size=300, index=False)
    holdout.to_parquet(paths[1], row_group_size=100, index=False)
    chunks = plan_chunks(paths[0], 64 * 300), plan_chunks(paths[1], 64 * 100)
    assert len(chunks[0]) >= 2 and len(chunks[1]) >= 2
    whole = check_leakage(train, holdout, synthetic, schema(), seed=6)
    chunked = check_leakage_chunks(*chunks, synthetic, schema(), seed=6)
    assert json.dumps(whole.to_dict()) == json.dumps(chunked.to_dict())
    assert chunked.to_dict()["unit"]["kind"] == "person"
