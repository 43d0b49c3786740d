"""Rows per parent row at every level of a linked release (synth.linked_counts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_linked_deep import schemas

from synth.ledger import PrivacyLedger
from synth.linked import LinkedSynthesizer
from synth.linked_counts import (
    COUNT_MAX,
    PersonRows,
    allocate,
    binned,
    draw_counts,
    kept_bins,
    labels,
    measure_person_rows,
    nearest_kept,
    simplex,
)
from synth.linked_sample import person_totals
from synth.persons import RowsPerPerson


def test_every_count_falls_in_one_bin_and_draws_back_inside_it() -> None:
    n = np.arange(0, 700)
    got = draw_counts(binned(n), np.random.default_rng(0))
    lows = np.array([int(x.split("-")[0].rstrip("+")) for x in binned(n)])
    assert (got >= lows).all() and (got <= np.maximum(n, lows)).any()
    assert (got[n <= 10] == n[n <= 10]).all()  # one value a bin up to 10
    assert got.max() == COUNT_MAX  # the top bin draws its lower edge
    assert set(binned(n)) == set(labels())


def test_noise_far_from_the_counts_is_not_drawn_and_a_run_is_kept() -> None:
    shares = np.zeros(len(labels()))
    shares[[1, 2, 3]] = [0.6, 0.3, 0.07]
    shares[labels().index("101-200")] = 0.03  # 30 of 1,000 rows: noise of σ = 20
    kept = kept_bins(shares, 1000, 20.0)
    assert kept == ["1", "2", "3"]
    moved = nearest_kept(np.array(["101-200", "0", "2"], dtype=object), kept)
    assert moved.tolist() == ["3", "1", "2"]
    assert kept_bins(shares, 1000, None) == labels()  # noise unknown: every bin


def test_a_persons_rows_follow_their_parent_rows_counts_and_keep_the_total() -> None:
    rng = np.random.default_rng(1)
    for total, counts in [(6, [1, 0, 3, 2]), (2, [1, 0, 3, 2]), (11, [1, 0, 3, 2]), (0, [2])]:
        got = allocate(total, np.array(counts), rng, 0.1)
        assert got.sum() == total and (got >= 0).all()
        if total <= sum(counts):
            assert (got <= counts).all()
        else:
            assert (got >= counts).all()


def test_totals_keep_the_histogram_within_k_and_the_modelled_count_beyond() -> None:
    rng = np.random.default_rng(2)
    within = RowsPerPerson(4, "auto", (0.1, 0.2, 0.3, 0.4), 1000, 0.3, 1.0)
    modelled = rng.integers(0, 30, 20_000)
    out = person_totals(modelled, within, rng)
    assert (out[modelled == 0] == 0).all()
    has = out[modelled > 0]
    shares = np.bincount(np.minimum(has, 4), minlength=5)[1:] / len(has)
    assert np.abs(shares - [0.1, 0.2, 0.3, 0.4]).max() < 0.02
    top = out >= 4
    assert (out[top] == np.maximum(4, modelled[top])).all()
    assert np.corrcoef(modelled[modelled > 0], has)[0, 1] > 0.8  # more modelled, more rows


def test_totals_take_the_zero_share_and_shape_from_the_histogram_over_every_person() -> None:
    """With the table's own histogram over every person (0 included), its zeros go to the
    persons modelled lowest and its shape within k is kept; the tail beyond k still comes
    from the modelled count."""
    rng = np.random.default_rng(5)
    within = RowsPerPerson(4, "auto", (0.7, 0.1, 0.1, 0.1), 1000, 0.3, 1.0)  # 1..k only
    rows = PersonRows("t", (0.1, 0.2, 0.2, 0.2, 0.2, 0.1), 1.0)  # 0..4, more
    modelled = rng.integers(0, 30, 20_000)
    out = person_totals(modelled, within, rng, rows=rows)
    shares = np.bincount(np.minimum(out, 4), minlength=5) / len(out)
    assert np.abs(shares - [0.1, 0.2, 0.2, 0.2, 0.3]).max() < 0.02
    assert modelled[out == 0].max() <= np.quantile(modelled, 0.15)  # the lowest ranks
    top = out >= 4
    assert (out[top] == np.maximum(4, modelled[top])).all()
    need = np.full(len(modelled), 3)  # three values indicated for everyone
    assert (person_totals(modelled, within, rng, need, rows) >= 3).all()


def test_the_rows_per_person_histogram_is_charged_once_per_person_and_projected() -> None:
    led = PrivacyLedger(1.0, 1e-6, unit="pid")
    per = np.repeat([0, 1, 2, 12], [300, 300, 200, 200])
    rows = measure_person_rows(per, table="t", ledger=led, rho=0.01, rng=np.random.default_rng(0))
    assert len(led.charges) == 1 and led.charges[0].rho == pytest.approx(0.01)
    assert rows.sigma == pytest.approx((1 / 0.02) ** 0.5)
    assert sum(rows.shares) == pytest.approx(1.0) and min(rows.shares) >= 0
    assert np.abs(rows.within(2) - [0.3, 0.3, 0.4]).max() < 0.05
    # the projection takes one amount off every bin before clipping: no phantom mass
    assert simplex(np.array([100.0, -5.0, -5.0, 10.0]))[1:3].sum() == 0.0


def many_visits(persons: int, seed: int) -> dict[str, pd.DataFrame]:
    """Patients with 6-14 visits (the visits' bound is 3), 'er' visits with 2 labs, 'gp'
    visits with none or one."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"P{i:05d}" for i in range(persons)])
    sex = rng.choice(["F", "M"], persons)
    people = pd.DataFrame({"Id": ids, "sex": sex, "born": rng.integers(1930, 2005, persons)})
    n = rng.integers(6, 15, persons)
    owner = np.repeat(np.arange(persons), n)
    er = rng.random(len(owner)) < 0.3
    visits = pd.DataFrame(
        {
            "Id": [f"V{i:06d}" for i in range(len(owner))],
            "PATIENT": ids[owner],
            "cls": np.where(er, "er", "gp"),
        }
    )
    per = np.where(er, 2, rng.choice([0, 1], len(owner), p=[0.7, 0.3]))
    v = np.repeat(np.arange(len(owner)), per)
    labs = pd.DataFrame(
        {
            "PATIENT": ids[owner][v],
            "VISIT": visits["Id"].to_numpy()[v],
            "test": np.where(er[v], "ecg", "a1c"),
        }
    )
    return {"patients": people, "visits": visits, "labs": labs}


def _tvd(real: np.ndarray, syn: np.ndarray, top: int) -> float:
    p = np.bincount(np.minimum(real, top), minlength=top + 1) / len(real)
    q = np.bincount(np.minimum(syn, top), minlength=top + 1) / len(syn)
    return 0.5 * float(np.abs(p - q).sum())


def test_rows_per_visit_and_per_patient_both_follow_the_real_beyond_the_bound() -> None:
    """Each patient has more visits (6-14) than the visits' bound (3) and more labs than
    the labs' bound (6): labs per visit, visits per patient and labs per patient all come
    out as real (before, a synthetic patient kept at most 3 visits, so its labs crowded
    onto them)."""
    data = many_visits(1500, 3)
    model = LinkedSynthesizer(schemas(), epsilon=8.0, presence={"visits": None, "labs": None})
    out = model.fit(data).sample(seed=0)

    def per(child: pd.Series, parent: pd.Series) -> np.ndarray:
        return child.value_counts().reindex(parent, fill_value=0).to_numpy()

    real_v = per(data["visits"]["PATIENT"], data["patients"]["Id"])
    syn_v = per(out["visits"]["PATIENT"], out["patients"]["Id"])
    assert abs(syn_v.mean() - real_v.mean()) < 0.15 * real_v.mean()
    assert syn_v.max() > 3  # beyond the visits' bound
    real_l = per(data["labs"]["VISIT"], data["visits"]["Id"])
    syn_l = per(out["labs"]["VISIT"], out["visits"]["Id"])
    assert _tvd(real_l, syn_l, 3) <= 0.1
    real_p = per(data["labs"]["PATIENT"], data["patients"]["Id"])
    syn_p = per(out["labs"]["PATIENT"], out["patients"]["Id"])
    assert _tvd(np.minimum(real_p, 6), np.minimum(syn_p, 6), 6) <= 0.1
    assert abs(syn_p.mean() - real_p.mean()) < 0.15 * real_p.mean()
