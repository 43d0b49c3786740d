"""Small tables on the default path (issue 16, item 4): an integer-coded enumeration keeps
its values, and a column whose range DP cannot find comes out empty, not as one made-up
value (every date 1970-01-01, every number 0)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from privacy.vocabularies import SMALL_INTEGERS, candidate_vocabulary
from synth.encoding import DatetimeCodec, NumericCodec, codec_from_state
from synth.schema import parse_schema
from synth.synthesizer import Synthesizer


def test_integer_coded_enumerations_get_the_small_integers_as_candidates() -> None:
    assert candidate_vocabulary(["0", "3", "7", "10", "?"]) == list(SMALL_INTEGERS)
    assert candidate_vocabulary(["1", "2", "5", "8"]) == list(SMALL_INTEGERS)
    # the same list whichever values occur: it does not tell which were seen
    assert candidate_vocabulary(["4", "9", "13"]) == candidate_vocabulary(["0", "1", "2"])
    assert candidate_vocabulary(["01", "02", "03"]) is None  # zero-padded codes
    assert candidate_vocabulary(["1.5", "2.5", "3.5"]) is None
    assert candidate_vocabulary(["100", "200", "300"]) is None
    assert candidate_vocabulary(["1", "2", "a", "b", "c"]) is None  # half or less


def test_scan_drafts_a_score_with_a_missing_code_as_candidates() -> None:
    from privacy import scan

    rng = np.random.default_rng(0)
    n = 1500
    pain = rng.integers(0, 11, n).astype(str).astype(object)
    pain[rng.random(n) < 0.15] = "?"
    frame = pd.DataFrame({"pain_score": pain, "colour": rng.choice(["red", "blue"], n)})
    dom = scan(frame, name="t").schema.column("pain_score").domain
    assert dom is not None and dom.categories is None
    assert dom.candidates == list(SMALL_INTEGERS)


def test_small_table_keeps_a_scores_values_that_partition_selection_dropped() -> None:
    """3,000 rows and 13 columns at ε = 1 (the clinical table the lead tried): each score
    value holds ≈ 230 rows, under partition selection's δ-threshold (≈ 280 rows here) and
    above the candidates' threshold (≈ 50)."""
    rng = np.random.default_rng(2)
    n = 3000
    pain = rng.integers(0, 11, n).astype(str).astype(object)
    pain[rng.random(n) < 0.15] = "?"
    others = {f"flag{i}": rng.choice(["Y", "N", "U"], n) for i in range(12)}
    frame = pd.DataFrame({"pain_score": pain, **others})
    rest = [{"name": c, "type": "categorical"} for c in others]
    score = {"name": "pain_score", "type": "categorical"}
    plain = parse_schema({"columns": [score, *rest]})
    listed = parse_schema(
        {"columns": [{**score, "domain": {"candidates": list(SMALL_INTEGERS)}}, *rest]}
    )
    kept = {}
    for label, schema in (("plain", plain), ("listed", listed)):
        syn = Synthesizer(schema, epsilon=1.0).fit(frame).sample(seed=0)
        kept[label] = set(syn["pain_score"].dropna()) & {str(i) for i in range(11)}
        if label == "listed":
            share_q = (syn["pain_score"] == "?").mean()
            assert abs(share_q - (frame["pain_score"] == "?").mean()) < 0.1
    assert len(kept["listed"]) >= 9, kept
    assert len(kept["listed"]) > len(kept["plain"]), kept


def test_a_range_not_found_codes_every_number_as_missing() -> None:
    c = NumericCodec("x", 0.0, 0.0, precision=0, codes=["N"], unknown=True)
    codes = np.array([-1, -1, 0, -1])
    tok = c.encode(pd.Series([5.0, 7.0, None, 3.0]), codes=codes)
    assert tok.tolist() == [c.missing, c.missing, c.n_bins, c.missing]
    assert c.blocked_tokens() == list(range(c.n_bins))
    back = codec_from_state(c.state_dict())
    assert isinstance(back, NumericCodec) and back.unknown
    d = DatetimeCodec("d", 0.0, 0.0, unknown=True)
    assert codec_from_state(d.state_dict()).unknown  # type: ignore[attr-defined]


def test_dates_whose_range_is_not_found_come_out_empty_not_1970() -> None:
    """300 rows over twenty years at ε = 0.5: no window of up to eight years clears the
    bounds' noise, so the range is not found; the column must not come back as 1970-01-01
    (day 0). (300 rows: AIM needs a DP row estimate of 50.)"""
    rng = np.random.default_rng(3)
    n = 300
    days = rng.integers(0, 7300, n)
    frame = pd.DataFrame(
        {
            "visit": (pd.Timestamp("2020-01-01") + pd.to_timedelta(days, unit="D")).strftime(
                "%Y-%m-%d"
            ),
            "smoker": rng.choice(["Y", "N"], n),
        }
    )
    schema = parse_schema(
        {
            "columns": [
                {"name": "visit", "type": "datetime", "format": "%Y-%m-%d"},
                {"name": "smoker", "type": "categorical", "domain": {"categories": ["Y", "N"]}},
            ]
        }
    )
    model = Synthesizer(schema, epsilon=0.5).fit(frame)
    notes = [n for n in model.domain_notes if n.get("column") == "visit"]
    assert notes and notes[0]["found"] is False
    syn = model.sample(200, seed=0)
    assert syn["visit"].isna().all(), syn["visit"].value_counts().head()


def test_bounds_keep_a_point_mass_that_only_the_finest_windows_find() -> None:
    """900 zeros (hot in a one-bin window, not in a 16-bin one) and 2,400 values spread
    thinly over 20 grid bins (hot only in 16-bin windows), at the noise of a small table
    (σ = 68 rows per bin). The bounds must hold both parts: reading each window width on
    its own chose the positive part alone (the zeros clipped onto its low end) in 15 of
    these 20 draws; a reading that keeps every window found so far holds both in 20."""
    from synth.domain import NUMERIC_EDGES as edges

    first = int(np.searchsorted(edges, 1000.0))
    hist = np.zeros(len(edges) - 1, dtype=np.int64)
    hist[int(np.searchsorted(edges, 0.0, side="right")) - 1] = 900
    hist[first : first + 20] = 120
    draws = _bounds_draws(hist, sigma=68.0, datetime=False)
    both = sum(b is not None and b.low <= 0.0 and b.high >= edges[first + 10] for b in draws)
    assert both >= 15, both


def _bounds_draws(hist: np.ndarray, *, sigma: float, datetime: bool, draws: int = 20) -> list:
    """``estimate_bounds`` of one histogram under ``draws`` seeded noise draws."""
    from synth.domain import estimate_bounds
    from synth.ledger import PrivacyLedger

    return [
        estimate_bounds(
            histogram=hist,
            ledger=PrivacyLedger(1.0, 1e-6),
            sigma=sigma,
            rng=np.random.default_rng(seed),
            column="c",
            datetime=datetime,
        )
        for seed in range(draws)
    ]


def test_scan_drafts_numeric_sentinels_as_missing_codes() -> None:
    """-999 in a blood pressure and 999.9 in a BMI are 'not measured', not numbers: drafted
    as missing-value codes (their own state, written back verbatim, outside the bounds);
    a top code next to real amounts (99,999 beside 41,310) and a 99 among 1-98 stay
    numbers."""
    from privacy import scan

    rng = np.random.default_rng(6)
    n = 3000
    bp = rng.normal(130, 18, n).astype(int).astype(str).astype(object)
    bp[rng.random(n) < 0.1] = "-999"
    bmi = np.char.mod("%.1f", rng.normal(29, 6, n)).astype(object)
    bmi[rng.random(n) < 0.05] = "999.9"
    gain = np.where(rng.random(n) < 0.9, 0, rng.integers(100, 41311, n)).astype(object)
    gain[rng.random(n) < 0.01] = 99999
    hours = rng.integers(1, 100, n)
    frame = pd.DataFrame({"bp": bp, "bmi": bmi, "gain": gain, "hours": hours})
    draft = scan(frame, name="t").schema
    assert draft.column("bp").missing_values == ["-999"]
    assert draft.column("bmi").missing_values == ["999.9"]
    assert draft.column("gain").missing_values == []
    assert draft.column("hours").missing_values == []


def test_a_category_column_that_kept_no_value_blocks_nothing() -> None:
    """Blocking 'other' when it is the only value left conditions every sampled row on the
    missing token, i.e. on noise (on the clinical bench one fit in about ten came out with
    one smoker status in 93 % of rows; none in 25 fits after). A listed column still never
    emits 'other'."""
    from synth.encoding import CategoricalCodec

    assert CategoricalCodec("dx", []).blocked_tokens() == []
    assert (
        CategoricalCodec("dx", []).decode(np.array([0, 1]), np.random.default_rng(0)).isna().all()
    )
    listed = CategoricalCodec("dx", ["E11.9"])
    assert listed.blocked_tokens() == [listed.other]


def test_dates_spread_thinly_over_four_years_are_found() -> None:
    """12,000 visit dates over four years at the noise of four rows per person (σ = 272 per
    month): no window of two years clears the noise, one of four or eight years does."""
    from synth.domain import bound_histogram

    rng = np.random.default_rng(7)
    days = (pd.Timestamp("2020-01-01") - pd.Timestamp("1970-01-01")).days + rng.integers(
        0, 1460, 12000
    )
    hist = bound_histogram(days.astype(float), datetime=True)
    found = sum(b is not None for b in _bounds_draws(hist, sigma=272.0, datetime=True))
    assert found >= 10, found
