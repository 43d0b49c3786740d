"""The near-copy views: numbers snapped to nearby real values, and the rare-value distance
(exact against a brute force over every real row), and one-cell copies they expose."""

from __future__ import annotations

import numpy as np
import pandas as pd
from support import make_people

from privacy.leakage import check_leakage
from privacy.leakage.distance import Prepared
from privacy.leakage.near_copies import Lists
from privacy.leakage.near_copy_view import rare_match_lists, snap, snap_values
from synth.schema.model import GateThresholds


def test_snap_moves_a_number_to_the_nearest_real_value_within_the_tolerance_only():
    real = np.array([0.0, 10.0, 40.0, 41.0, 1000.0])
    x = np.array([40.4, 40.6, 39.0, 43.0, 0.2, 1040.0, np.nan, 10.0])
    got = snap_values(x, real, 0.05)
    # 40.4 → 40 and 40.6 → 41 (nearest), 39 → 40 (2.5 %), 43 → 41 (4.9 %); 0.2 is not
    # within 5 % of 0; 1040 is 4 % above 1000; missing stays missing; a real value stays
    assert got[:6].tolist() == [40.0, 41.0, 40.0, 41.0, 0.2, 1000.0]
    assert np.isnan(got[6]) and got[7] == 10.0
    assert snap_values(np.array([47.0]), real, 0.05).tolist() == [47.0]


def test_snap_touches_only_synthetic_numbers():
    col = Prepared("x", True, (np.array([40.0, 41.0]), np.array([40.0]), np.array([40.3, 90.0])))
    cat = Prepared("c", False, (np.array([0, 1]), np.array([1]), np.array([0, 1])))
    out = snap([col, cat])
    assert out[0].parts[2].tolist() == [40.0, 90.0]
    assert out[0].parts[0] is col.parts[0] and out[1] is cat


def _brute(columns, n_syn):
    """min(D, R) from every synthetic row to every pooled real row, and R."""
    real = np.column_stack([np.concatenate(c.parts[:2]) for c in columns])
    syn = np.column_stack([c.parts[2] for c in columns])
    n_real = len(real)
    d = np.zeros((n_syn, n_real))
    floor = np.zeros(n_syn)
    for j in range(real.shape[1]):
        values, counts = np.unique(real[:, j], return_counts=True)
        count = dict(zip(values.tolist(), counts.tolist(), strict=True))
        for s in range(n_syn):
            c = count.get(syn[s, j], 0)
            if c == 0:
                continue
            w = np.log(n_real / c)
            d[s] += w * (real[:, j] != syn[s, j])
            if c <= 2:
                floor[s] += w
    return np.minimum(d, floor[:, None]), floor


def test_rare_distance_equals_a_brute_force_over_every_real_row():
    rng = np.random.default_rng(3)
    n_tr, n_ho, n_syn = 60, 20, 40
    parts = []
    for levels in (3, 5, 40, 200):  # from common values to near-unique ones
        tr, ho, sy = (rng.integers(0, levels, n) for n in (n_tr, n_ho, n_syn))
        parts.append(Prepared(f"c{levels}", False, (tr, ho, sy)))
    pooled = np.column_stack([np.concatenate(c.parts[:2]) for c in parts])
    copies = rng.choice(len(pooled), 10, replace=False)
    for j, c in enumerate(parts):  # ten synthetic rows copy a real row, one cell changed
        c.parts[2][:10] = pooled[copies, j]
        if j == 0:
            c.parts[2][:10] = (c.parts[2][:10] + 1) % 3
    offsets = rng.random(n_tr + n_ho) * 1e-6
    dist, ids = rare_match_lists(parts, offsets, k=n_tr + n_ho + 1, rare_max=2)
    want, floor = _brute(parts, n_syn)
    is_train = np.arange(n_tr + n_ho) < n_tr
    for s in range(n_syn):
        listed = ids[s] >= 0
        got = dict(zip(ids[s][listed].tolist(), dist[s][listed].tolist(), strict=True))
        for r in range(n_tr + n_ho):  # a row not listed sits at the floor R
            assert np.isclose(got.get(r, floor[s]), want[s, r])
        # the first training / holdout entry is the nearest of that side
        lists = Lists.of(dist[s : s + 1])
        tr_mark = (ids[s : s + 1] >= 0) & is_train[np.maximum(ids[s : s + 1], 0)]
        out = lists.stand_out(tr_mark, (1.0,))[0, 0]
        a, b = want[s, :n_tr].min(), want[s, n_tr:].min()
        assert out == (b > a)
    # a copy's own row is its nearest, at the changed cell's weight
    assert (ids[:10, 0] == copies).all()


def test_one_cell_copies_of_rare_values_are_blocked_and_honest_output_passes():
    people = make_people(6000, seed=1)
    train, holdout = people.iloc[:4500].reset_index(drop=True), people.iloc[4500:]
    holdout = holdout.reset_index(drop=True)
    honest = make_people(3000, seed=99)
    gate = GateThresholds()
    clean = check_leakage(train, holdout, honest, thresholds=gate, seed=5)
    near = next(m for m in clean.metrics if m.name == "near_copy_share")
    assert near.verdict == "pass", near.explanation
    rng = np.random.default_rng(2)
    k = 150  # 5 % of the rows: training rows with the region changed
    copies = train.iloc[rng.choice(len(train), k, replace=False)].reset_index(drop=True)
    regions = np.array(sorted(train["region"].unique()))
    for i in range(k):
        others = regions[regions != copies.at[i, "region"]]
        copies.at[i, "region"] = others[rng.integers(len(others))]
    leaky = pd.concat([honest.iloc[k:], copies], ignore_index=True)
    result = check_leakage(train, holdout, leaky, thresholds=gate, seed=5)
    near = next(m for m in result.metrics if m.name == "near_copy_share")
    assert near.verdict == "block", near.explanation
    views = {f["view"] for f in result.near_copies["factors"]}
    assert views == {"distance", "rare values"}


def test_copies_jittered_next_to_a_point_mass_are_blocked():
    # half the rows work 40 hours: a 1 % jitter (40 → 40.4) moves the rank by a quarter;
    # snapped, the copy sits next to its source again. A regression test: on this invented
    # table the copies also stand out unsnapped (its honest rows have no near twins); the
    # snapping's effect is measured on Adult (BENCHMARKS.md, "Gate power")
    def with_hours(df, seed):
        rng = np.random.default_rng(seed)
        hours = np.where(rng.random(len(df)) < 0.5, 40, rng.integers(10, 80, len(df)))
        return df.assign(hours=hours.astype(float))

    people = with_hours(make_people(6000, seed=1), 1)
    train, holdout = people.iloc[:4500].reset_index(drop=True), people.iloc[4500:]
    holdout = holdout.reset_index(drop=True)
    honest = with_hours(make_people(3000, seed=99), 99)
    rng = np.random.default_rng(4)
    k = 150  # 5 % of the rows
    copies = train.iloc[rng.choice(len(train), k, replace=False)].reset_index(drop=True)
    for col in ("age", "income", "bmi", "hours"):
        copies[col] = np.round(copies[col] * (1 + rng.choice([-0.01, 0.01], k)), 2)
    leaky = pd.concat([honest.iloc[k:], copies], ignore_index=True)
    result = check_leakage(train, holdout, leaky, thresholds=GateThresholds(), seed=5)
    near = next(m for m in result.metrics if m.name == "near_copy_share")
    assert near.verdict == "block", near.explanation
