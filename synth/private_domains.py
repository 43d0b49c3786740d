"""The private domains of the modelled columns: what the fit must know about each
column's values before it can encode them, from the schema when declared public, else
estimated under DP (category sets by partition selection, bounds, precision, numeric
shape), each estimate charged to the ledger.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from synth.domain import (
    NUMERIC_EDGES,
    DPCategories,
    Noise,
    estimate_bounds,
    estimate_precision,
    noisy_histogram,
    range_values,
    select_categories,
    select_range_values,
    select_values,
    select_with_candidates,
)
from synth.encoding import (
    MAX_NUMERIC_BINS,
    CategoricalCodec,
    Codec,
    DatetimeCodec,
    NumericCodec,
    codec_from_state,
)
from synth.errors import InputError
from synth.ledger import PrivacyLedger, zcdp_rho_for
from synth.numeric_shape import NumericShape, numeric_shape, widen_bounds
from synth.schema.model import Column, ColumnType, Schema
from synth.statistics import Counts, needs_precision, needs_shape

#: DP domain estimation (category sets, bounds, precision, heavy values) gets this share
#: of the privacy budget (as zCDP ρ) per unit of measurement weight, at least
#: PREPROCESSING_FLOOR (a narrow table's few measurements still find its domain: with
#: 1.25 % for weight 2.25, a 300-row integer column's bounds went unfound) and at most
#: PREPROCESSING_SHARE in all. On UCI Adult's default path at ε = 1 and δ = 1e-9 (15 open
#: columns, weight 15.5; BENCHMARKS.md, issue 16, session 9), 1.25 % per unit up to 0.2
#: gave a mean 2-way TVD of 0.0376 over four fits, 2 % up to 0.3 0.0340 over eight, 2.7 %
#: up to 0.4 0.0348 over eight: at δ = 1e-9 a new category must clear 6.8 σ, and the
#: bigger share keeps education's and race's small values. At δ = 1e-6 it is unchanged
#: (0.0299 and 0.0301 over six fits each); the census table went 0.023 → 0.022.
PREPROCESSING_PER_WEIGHT = 0.02
PREPROCESSING_FLOOR = 0.1
PREPROCESSING_SHARE = 0.3
#: the same when a person may hold several rows (k > 1). Measured: such tables gain from
#: a bigger share, the one-row tables above do not (Adult 0.0340 → 0.0348, census 0.022 →
#: 0.025 at 0.4). diabetes130 went 0.0608, 0.0605 (0.3) → 0.057, 0.057 (0.4); the clinical
#: table with 6,000 patients 0.120, 0.123, 0.111 → 0.095, 0.122, 0.097, with 1,200
#: 0.563, 0.457, 0.523 → 0.507, 0.317, 0.332 (visit_date found in two fits of three).
#: There the engine's row counts are charged k² per person, so its noise in rows is
#: already k times that of the search, which counts persons at L2 sensitivity 1
PERSON_PREPROCESSING_PER_WEIGHT = 0.03
PERSON_PREPROCESSING_SHARE = 0.4
#: weight of a precision estimate against a category set (8 bins, coarse use)
PRECISION_WEIGHT = 0.25
#: weight of a numeric column's bounds histogram against a category set
BOUNDS_WEIGHT = 0.5
#: ... and of a datetime column's, its only estimate: 2,400 monthly bins where a number's
#: grid has ~700, and visits spread over years, not on point masses. At 0.5, a 1,200-
#: patient clinical table (four years of visits, σ ≈ 45 persons a month) lost visit_date
#: in about half of its fits: its best 48-month window (≈ 1,350-1,800 persons' weight)
#: against a threshold of ≈ 1,720
DATETIME_BOUNDS_WEIGHT = 1.0
#: weight of a numeric column's heavy-value selection (and of its shape histogram when
#: its bounds are public) against a category set
SHAPE_WEIGHT = 0.5
#: weight of a category column's selection when its public candidate list is long (more
#: than LONG_LIST_NAMES names, e.g. the 315 country names a country column is drafted
#: with): most names hold no row, and at CANDIDATE_Z = 1 about 16 % of those are kept by
#: noise and emitted in proportion to their noisy counts, at a rate that grows with σ.
#: Weight 3 (σ √3 smaller; the cap rises by the extra weight's share, so the other
#: selections keep theirs) on Adult's draft at ε = 1, δ = 1e-9: native-country's 1-way
#: TVD 0.037 → 0.029 (our declared list's 0.028), rows in countries no real row holds
#: 1.9 % → 1.5 %, mean 2-way TVD 0.0329 → 0.0322 over 8 fits each, run side by side
#: (BENCHMARKS.md, session 12). Short code lists (the census codes' 21) stay at 1
LONG_LIST_NAMES = 100
LONG_LIST_WEIGHT = 3.0
MAX_CATEGORIES = 1000


@dataclass(frozen=True)
class Domains:
    """The codecs of the modelled columns, the numeric shapes behind them (to re-bin
    without a new look at the rows) and notes for the report (no exact count)."""

    codecs: list[Codec]
    shapes: dict[str, NumericShape]
    notes: list[dict[str, Any]]
    #: per category column selected under DP when ``build_codecs(one_way=...)`` applies:
    #: a noisy count per token (NaN for 'other', which it does not count) and its σ, a
    #: paid DP output the marginal engines take as their 1-way measurement of the column
    one_way: dict[str, tuple[np.ndarray, float]] = field(default_factory=dict)


def build_codecs(
    schema: Schema,
    cols: list[Column],
    counts: Counts,
    ledger: PrivacyLedger,
    rng: np.random.Generator,
    one_way: float = 0.0,
    noise: Noise | None = None,
) -> Domains:
    """Codecs for the modelled columns: public domains as declared, the rest estimated
    under DP (category sets, bounds, precision, numeric shape) and charged to ``ledger``.

    ``one_way``: the share of the budget left after this stage that the engine would spend
    on each column's 1-way measurement (:meth:`synth.engines.base.Engine.one_way_share`).
    With one row per person, a category column's selection then also gets that share and
    releases its noisy counts, of the kept categories and of blank cells
    (:attr:`Domains.one_way`): one measurement where the engine would take a second, less
    precise one, and a lower threshold for small categories. Not when every modelled column
    is such a category column: the engine's own 1-way counts give its row estimate. The
    counts reused are drawn by ``noise`` (required then: the engine's exact discrete
    Gaussian, :data:`synth.domain.Noise`)."""
    notes: list[dict[str, Any]] = []
    shapes: dict[str, NumericShape] = {}
    reused: dict[str, tuple[np.ndarray, float]] = {}
    needs = [c for c in cols if not is_public(c)]
    shaped = [c for c in cols if needs_shape(c)]
    selected = [c for c in needs if c.type == ColumnType.CATEGORICAL]
    reuse = one_way > 0 and counts.contribution is None and len(selected) < len(cols)
    if reuse and noise is None:
        raise ValueError("reusing the category counts needs the engine's noise (noise=)")
    draw = noise if reuse else None
    sigma = sigma_long = sigma_bounds = sigma_dates = sigma_precision = sigma_shape = 0.0
    part_delta = 0.0
    # row counts are charged per row (× k² per person); person counts as they are, at
    # their L2 sensitivity per person (synth.contributions)
    per = counts.contribution
    scale = 1.0 if per is None else per.l2
    if needs or shaped:
        rho = zcdp_rho_for(ledger.epsilon, ledger.conversion_delta)
        rho_total = ledger.per_row(rho) if per is None else rho
        n_cat = len(selected)
        n_dt = sum(1 for c in needs if c.type == ColumnType.DATETIME)
        extra = (LONG_LIST_WEIGHT - 1.0) * sum(_long_list(c) for c in needs)
        weight = (
            n_cat
            + extra
            + BOUNDS_WEIGHT * (len(needs) - n_cat - n_dt)
            + DATETIME_BOUNDS_WEIGHT * n_dt
            + PRECISION_WEIGHT * sum(needs_precision(c) for c in needs)
            + SHAPE_WEIGHT * sum(1 + is_public(c) for c in shaped)
        )
        cap, per_weight = (
            (PERSON_PREPROCESSING_SHARE, PERSON_PREPROCESSING_PER_WEIGHT)
            if ledger.rows_per_unit > 1
            else (PREPROCESSING_SHARE, PREPROCESSING_PER_WEIGHT)
        )
        # a long list's extra weight raises the cap by its own share
        share = min(cap + per_weight * extra, max(PREPROCESSING_FLOOR, per_weight * weight))
        rho_each = share * rho_total / weight

        def sigma_at(w: float) -> float:  # a mechanism of weight w spends w·rho_each
            return scale * math.sqrt(1.0 / (2.0 * w * rho_each))

        # plus, when reused, the engine's 1-way share of what is left after this stage
        bonus = one_way * (1.0 - share) * rho_total / rho_each if reuse else 0.0
        sigma = sigma_at(1.0 + bonus)
        sigma_long = sigma_at(LONG_LIST_WEIGHT + bonus)
        sigma_bounds = sigma_at(BOUNDS_WEIGHT)
        sigma_dates = sigma_at(DATETIME_BOUNDS_WEIGHT)
        sigma_precision = sigma_at(PRECISION_WEIGHT)
        sigma_shape = sigma_at(SHAPE_WEIGHT)
        n_sel = n_cat + len(shaped)
        part_delta = ledger.partition_delta / max(1, n_sel)
    codecs: list[Codec] = []
    for col in cols:
        dom = col.domain
        public = is_public(col)
        if col.type == ColumnType.CATEGORICAL:
            if public:
                cats = list(dom.categories)  # type: ignore[union-attr, arg-type]
            elif dom is not None and dom.candidates:
                sel = select_with_candidates(
                    counts.categories[col.name],
                    list(dom.candidates),
                    ledger=ledger,
                    sigma=sigma_long if _long_list(col) else sigma,
                    delta=part_delta,
                    rng=rng,
                    column=col.name,
                    contribution=per,
                    noise=draw,
                )
            else:
                sel = select_categories(
                    counts=counts.categories[col.name],
                    ledger=ledger,
                    sigma=sigma,
                    delta=part_delta,
                    rng=rng,
                    column=col.name,
                    contribution=per,
                    noise=draw,
                )
            if not public:
                cats = sel.categories
                if len(cats) > MAX_CATEGORIES:
                    raise InputError(
                        f"column '{col.name}': {len(cats)} categories survive DP selection "
                        f"(limit {MAX_CATEGORIES}); generalise it or declare it an identifier"
                    )
                notes.append(
                    {
                        "column": col.name,
                        "kind": "categories",
                        "candidates_hidden": True,
                        "kept": len(cats),
                    }
                )
            codec = CategoricalCodec(col.name, cats)
            if draw is not None and not public:
                reused[col.name] = _one_way(codec, sel, counts, draw)
            codecs.append(codec)
            continue
        is_dt = col.type == ColumnType.DATETIME
        codes = schema.missing_codes(col) or None
        noisy = None
        if public:
            lo, hi = dom.min, dom.max  # type: ignore[union-attr]
            low, high = (_to_days(lo), _to_days(hi)) if is_dt else (float(lo), float(hi))
        else:
            b = estimate_bounds(
                histogram=counts.histograms[col.name],
                ledger=ledger,
                sigma=sigma_dates if is_dt else sigma_bounds,
                rng=rng,
                column=col.name,
                datetime=is_dt,
                contribution=per,
            )
            low, high = (b.low, b.high) if b is not None else (0.0, 0.0)
            noisy = None if b is None else b.noisy
            if is_dt:
                low, high = math.floor(low), math.ceil(high)
            notes.append({"column": col.name, "kind": "bounds", "found": b is not None})
        unknown = not public and noisy is None  # no range found: no number is written
        if is_dt:
            fmt = col.format or "%Y-%m-%d"
            codecs.append(DatetimeCodec(col.name, low, high, fmt, codes=codes, unknown=unknown))
            continue
        precision = dom.precision if dom is not None else None
        if not public and needs_precision(col):
            p = estimate_precision(
                counts.decimals[col.name],
                ledger=ledger,
                sigma=sigma_precision,
                rng=rng,
                column=col.name,
                contribution=per,
            )
            precision = p.precision
            notes.append({"column": col.name, "kind": "precision", "decimals": precision})
        if not public and noisy is not None:
            # the tail the bounds' own noisy histogram still shows past them (no new look)
            low, high = widen_bounds(low, high, NUMERIC_EDGES, noisy, sigma_bounds, precision)
        if not needs_shape(col) or unknown:
            codecs.append(
                NumericCodec(col.name, low, high, precision, codes=codes, unknown=unknown)
            )
            continue
        hist_sigma = sigma_bounds
        if noisy is None:
            hist_sigma = sigma_shape
            noisy = noisy_histogram(
                counts.histograms[col.name],
                ledger=ledger,
                sigma=sigma_shape,
                rng=rng,
                column=col.name,
                contribution=per,
            )
        grid = range_values(low, high, precision)
        if grid is not None:  # few values in the DP range: every one is a public candidate
            heavy = select_range_values(
                counts.values[col.name],
                grid,
                ledger=ledger,
                sigma=sigma_shape,
                delta=part_delta,
                rng=rng,
                column=col.name,
                contribution=per,
            )
        else:
            heavy = select_values(
                counts.values[col.name],
                ledger=ledger,
                sigma=sigma_shape,
                delta=part_delta,
                rng=rng,
                column=col.name,
                contribution=per,
            )
        shape = numeric_shape(low, high, precision, NUMERIC_EDGES, noisy, heavy, sigma=hist_sigma)
        shapes[col.name] = shape
        notes.append(
            {
                "column": col.name,
                "kind": "shape",
                "points": len(shape.points),
                "discrete": shape.discrete,
            }
        )
        codecs.append(shape.codec(col.name, MAX_NUMERIC_BINS, codes))
    return Domains(codecs, shapes, notes, reused)


def _one_way(
    codec: CategoricalCodec, sel: DPCategories, counts: Counts, noise: Noise
) -> tuple[np.ndarray, float]:
    """The selection's noisy counts on ``codec``'s tokens, with the blank cells' count
    drawn with the same noise: a row adds 1 to one value's count or to the blanks', so
    the blanks are one more cell of the selection's Gaussian mechanism (a public one:
    no threshold) at no further charge. 'Other' (the values not kept) stays NaN: their
    noisy counts are not released."""
    y = np.full(codec.cardinality, np.nan)
    for i, c in enumerate(codec.categories):
        y[i] = sel.noisy[c]
    blank = counts.rows - int(counts.categories[codec.name].sum())
    y[codec.missing] = noise(np.array([float(blank)]), sel.sigma)[0]
    return y, sel.sigma


def empty_columns(domain_notes: list[dict[str, Any]]) -> list[str]:
    """Columns whose DP domain came out empty: a number or date whose bounds were not found,
    a category column that kept no value. They are written blank (or as their missing-value
    codes only). Read from the fit's DP outputs alone, so the list may be printed and
    shared.

    >>> empty_columns([{"column": "d", "kind": "bounds", "found": False},
    ...                {"column": "s", "kind": "categories", "kept": 0},
    ...                {"column": "x", "kind": "bounds", "found": True}])
    ['d', 's']
    """
    out = []
    for n in domain_notes:
        gone = (n.get("kind") == "bounds" and n.get("found") is False) or (
            n.get("kind") == "categories" and n.get("kept") == 0
        )
        if gone and n.get("column") not in out:
            out.append(str(n.get("column")))
    return out


def _listed(names: list[str], most: int = 8) -> str:
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more


def empty_columns_sentence(columns: list[str]) -> str:
    """What the release says of :func:`empty_columns` (the CLI, the report's first
    screen): which, and what to do. Column names only.

    >>> empty_columns_sentence(["visit_date"])[:42]
    '1 column(s) come out empty (visit_date): a'
    """
    return (
        f"{len(columns)} column(s) come out empty ({_listed(columns)}): at this ε and table "
        "size no range or value of theirs cleared the DP noise. Declare their domains in the "
        "schema (categories; min/max), raise ε, or use more rows."
    )


def blank_shares_sentence(shares: dict[str, float]) -> str:
    """What the release says of the columns that come out partly blank (their blank share,
    :meth:`synth.sampling.Sampling.blank_shares`, a DP output): which, and what to do."""
    shown = _listed([f"{c} {round(100 * s)} %" for c, s in shares.items()])
    return (
        f"{len(shares)} column(s) come out partly blank ({shown} of rows): their values are "
        "too rare to clear the DP threshold at this ε, so those rows are left blank rather "
        "than moved onto the values kept. Declare the column's values in the schema "
        "(categories or domain.candidates), raise ε, or use more rows."
    )


def rebin(codec: Codec, bins: int, shapes: dict[str, NumericShape]) -> Codec:
    """The same public/DP domain at another resolution (no new look at the data): a shaped
    numeric column from its shape, a plain number or date as the same codec (every flag of
    its state, e.g. missing-value codes or an unfound range) with ``bins``."""
    if isinstance(codec, NumericCodec):
        shape = shapes.get(codec.name)
        if shape is not None and not isinstance(codec, DatetimeCodec):
            return shape.codec(codec.name, bins, codec.codes)
        return codec_from_state({**codec.state_dict(), "max_bins": bins})
    return codec


def _long_list(col: Column) -> bool:
    """A category column selected from a public candidate list of more than
    LONG_LIST_NAMES names."""
    dom = col.domain
    return (
        col.type == ColumnType.CATEGORICAL
        and not is_public(col)
        and dom is not None
        and len(dom.candidates or ()) > LONG_LIST_NAMES
    )


def is_public(col: Column) -> bool:
    """Whether the schema declares the whole domain (nothing to estimate from the rows)."""
    dom = col.domain
    if dom is None:
        return False
    if col.type == ColumnType.CATEGORICAL:
        return dom.categories is not None
    return dom.has_bounds


def _to_days(value: Any) -> float:
    return float((pd.Timestamp(value) - pd.Timestamp("1970-01-01")).days)
