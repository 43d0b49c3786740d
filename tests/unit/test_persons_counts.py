"""Domain counts per person (synth.contributions): what one person can move, tested as an
attacker would, on neighbouring tables (one person's rows added or removed), with the
person's rows spread over several partitions; and what the ledger charges for them."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from test_persons import people, schema

from synth import Synthesizer
from synth.contributions import Contribution, person_counts
from synth.domain import threshold_for
from synth.persons import bound_mask
from synth.prepare import modelled_columns
from synth.statistics import Counts, merge_counts, needs_shape, partition_counts, person_level

K = 3


def _person_counts(df: pd.DataFrame, parts: int) -> Counts:
    """Person counts of ``df`` (each person bounded to K rows) read in ``parts`` partitions
    cut across persons, as the fit reads them."""
    sch = schema(K)
    cols = modelled_columns(sch)
    private = list(cols)  # every modelled column counted, as if its domain were open
    shaped = [c for c in cols if needs_shape(c)]
    df = df.reset_index(drop=True)
    units = df["pid"]
    keep = bound_mask(units, K, np.random.default_rng(1))
    persons = pd.factorize(units.astype(str))[0].astype(np.int64)
    cuts = np.linspace(0, len(df), parts + 1).astype(int)
    counts = [
        partition_counts(df.iloc[a:b], sch, "t", private, keep, shaped, persons)
        for a, b in itertools.pairwise(cuts)
    ]
    return person_level(merge_counts(counts), K)


def _vectors(c: Counts) -> dict[str, pd.Series]:
    out = {f"cat:{k}": v for k, v in c.categories.items()}
    out |= {f"val:{k}": v for k, v in c.values.items()}
    out |= {f"hist:{k}": pd.Series(v) for k, v in c.histograms.items()}
    return out


def _wide(seed: int = 0) -> pd.DataFrame:
    """``people`` with the numbers opened (no public bounds), shuffled so that every person's
    rows lie in several partitions."""
    df = people(400, seed)
    df["cost"] = df["cost"] + 0.5 * (np.arange(len(df)) % 2)
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)


@pytest.mark.parametrize("parts", [1, 4])
def test_one_person_moves_each_count_by_at_most_one_in_at_most_k_values(parts: int) -> None:
    base = _wide()
    rng = np.random.default_rng(2)
    # the attacker's person: K + 2 rows (cut to K), each with its own values, spread over
    # the table (and so over the partitions)
    extra = base.sample(K + 2, random_state=3).copy()
    extra["pid"] = "P999999"
    extra["visit"] = [f"v{i}" for i in range(len(extra))]  # values no one else holds
    extra["cost"] = rng.uniform(20000, 90000, len(extra)).round(2)
    pos = np.sort(rng.choice(len(base) + len(extra), len(extra), replace=False))
    rows = list(base.itertuples(index=False))
    for p, r in zip(pos, extra.itertuples(index=False), strict=True):
        rows.insert(int(p), r)
    neighbour = pd.DataFrame(rows, columns=base.columns)
    a, b = _vectors(_person_counts(base, parts)), _vectors(_person_counts(neighbour, parts))
    assert a.keys() == b.keys()
    for name in a:
        diff = b[name].sub(a[name], fill_value=0.0).abs()
        moved = diff[diff > 1e-9]
        assert moved.max() <= 1.0 + 1e-9, name  # ≤ 1 per value
        assert len(moved) <= K, name  # in ≤ k values
        assert float(np.sqrt((moved**2).sum())) <= 1.0 + 1e-9, name  # L2 ≤ 1


def test_a_person_split_over_partitions_counts_once_per_value() -> None:
    df = _wide(1)
    one, many = _person_counts(df, 1), _person_counts(df, 7)
    for name, v in _vectors(one).items():
        w = _vectors(many)[name]
        pd.testing.assert_series_equal(v.sort_index(), w.sort_index(), check_names=False)


def test_person_counts_weigh_each_person_by_its_distinct_values() -> None:
    pairs = pd.DataFrame({"key": ["a", "a", "a", "b", "a"], "person": [1, 1, 1, 1, 2]})
    c = person_counts(pairs)
    # person 1: a and b, each 1/√2 however many rows hold a; person 2: a alone, 1
    assert c["a"] == pytest.approx(1 + 2**-0.5) and c["b"] == pytest.approx(2**-0.5)


def test_threshold_for_person_counts_needs_one_persons_weight_not_k_rows() -> None:
    sigma, delta = 50.0, 1e-9
    assert Contribution.rows(4).threshold(sigma, delta) == pytest.approx(
        threshold_for(sigma, delta, 4)
    )
    assert Contribution.persons(4).threshold(sigma, delta) == pytest.approx(
        threshold_for(sigma, delta, 4) - 3.0
    )


def test_fit_charges_domain_counts_per_person_and_the_engine_per_row() -> None:
    df = people(2000, 4)
    model = Synthesizer(schema(K), epsilon=1.0, engine="mst").fit(df)
    rows = model.ledger.rows()
    domain = [r for r in rows if r["purpose"].startswith(("category set", "heavy values"))]
    assert domain
    for r in domain:
        assert r["details"]["sensitivity"] == "per person, L2 1"
        assert "rows_per_person" not in r["details"]
        sigma = 1.0 / np.sqrt(2.0 * r["rho"])  # ρ = 1/(2σ²): no factor k²
        tau = r["details"]["threshold"]
        # one person's weight (1), not K rows, above the noise's δ/K quantile
        assert tau == pytest.approx(1.0 + sigma * norm.isf(r["delta"] / K), abs=1e-3)
    engine = [r for r in rows if "marginal" in r["purpose"]]
    assert engine and all(r["details"].get("rows_per_person") == K for r in engine)
    assert model.ledger.spent()[0] <= 1.0 + 1e-9


def test_one_row_per_person_keeps_row_counts() -> None:
    model = Synthesizer(schema(1), epsilon=1.0, engine="mst").fit(people(800, 5))
    for r in model.ledger.rows():
        assert "sensitivity" not in r["details"]
