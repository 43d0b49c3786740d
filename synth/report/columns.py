"""Real and synthetic columns made comparable: typed values and shared bins.

Real rows arrive as read from CSV (strings); generalisation is applied first, since
the synthetic side holds generalised values. Numbers and dates become floats (dates as
days since 1970), categories become strings. Every column also gets integer *codes*
over bins fixed by the real training data: for numbers, a bin of its own for every value
holding ≥ 1/10 of the rows and quantile bins of the rest, plus a missing bin
(:mod:`synth.report.binning`); the most frequent categories (plus "other" and missing)
for categories.
Codes drive the k-way marginals, the associations and the plots.

A numeric column's bins are labelled by their edges only when the edges are public or
paid for: quantiles of the model's own sample (post-processing of the DP model, before
any filter looked at real rows), else the fitted model's codec (DP or declared bounds, DP
quantile edges, DP heavy values), else the schema's declared bounds (equal widths).
Otherwise the bins are cut at the real data's quantiles, which no DP measurement paid
for, and labelled by quantile rank ("p10–p20"), never by value
(:mod:`synth.report.binning`).

A category is labelled by its name only when the name is public or paid for: declared in
the schema's domain (a complete list or public candidates, by the steward or drafted from
a public vocabulary and kept), or
selected under DP by the fitted model (its codec's categories). Any other category is a
value only the real rows hold — a rare diagnosis, a one-person ward — and is labelled
neutrally by its rank among the real categories ("category 7"), as are all categories of
``direct_identifier`` and ``free_text`` columns, whose numbers are labelled by quantile
rank.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from synth.encoding import DatetimeCodec
from synth.io.numbers import to_numbers
from synth.report.binning import MISSING, NumericBins, bounds_bins, codec_bins, numeric_bins
from synth.schema.generalise import generalise, generalised_column, looks_generalised
from synth.schema.model import Column, ColumnType, Role, Schema

#: where a numeric column's bin edges come from, as the report says it
EDGES_SAMPLE = "model's sample (DP)"
EDGES_MODEL, EDGES_SCHEMA, EDGES_RANKS = "model (DP)", "schema (public)", "quantile ranks"

NUMERIC_BINS = 10
#: categories kept as their own code (by real frequency); the rest share "other"
MAX_CODED_CATEGORIES = 50
MASKED_ROLES = (Role.DIRECT_IDENTIFIER.value, Role.FREE_TEXT.value)
OTHER = "(other)"


@dataclass
class Prepared:
    """One modelled column, real vs synthetic, with shared bins."""

    name: str
    kind: str  # "numeric" | "datetime" | "categorical"
    role: str
    real: pd.Series
    synth: pd.Series
    holdout: pd.Series | None
    labels: list[str]
    real_codes: np.ndarray
    synth_codes: np.ndarray
    holdout_codes: np.ndarray | None
    bins: NumericBins | None = None
    categories: list[str] = field(default_factory=list)
    #: a numeric column's bin edges: EDGES_MODEL, EDGES_SCHEMA or EDGES_RANKS
    edges_from: str | None = None
    #: category names that may be printed: declared, or DP-selected by the model
    public_names: frozenset[str] = frozenset()
    #: figures several sections read, computed once (:meth:`real_counts`, the 1-way TVD)
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def masked(self) -> bool:
        return self.role in MASKED_ROLES

    @property
    def numeric(self) -> bool:
        return self.kind in ("numeric", "datetime")

    @property
    def n_codes(self) -> int:
        return len(self.labels)

    def name_of(self, value: str) -> str:
        """How category ``value`` may be printed: itself when public or DP-selected (see
        the module doc), else by its rank among the real categories ("category 3")."""
        if not self.masked and value in self.public_names:
            return value
        if value in self.categories:
            return f"category {self.categories.index(value) + 1}"
        return "a category whose name is not public"

    @property
    def names_shown(self) -> int:
        """How many of the coded categories are labelled by name."""
        return sum(1 for c in self.categories if self.name_of(c) == c)

    def real_counts(self) -> pd.Series:
        """``real.dropna().value_counts()``, computed once (the categories, the rare and
        small categories and the fidelity rows all read it)."""
        if "real_counts" not in self.memo:
            self.memo["real_counts"] = self.real.dropna().value_counts()
        return self.memo["real_counts"]

    def real_shares(self) -> pd.Series:
        """``real.dropna().value_counts(normalize=True)``: pandas divides the same sorted
        counts by their total, so these are the very same numbers."""
        counts = self.real_counts()
        return (counts / counts.to_numpy().sum()).rename("proportion")

    def codes_for(self, values: pd.Series) -> np.ndarray:
        """Codes for already-typed values (same bins as the real data)."""
        if self.bins is not None:
            return self.bins.codes(values.to_numpy(dtype=float))
        return _cat_codes(values, self.categories)


def _label(v: object) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def labels_of(values: pd.Series) -> pd.Series:
    """Values as category strings (None for missing); 3.0 and "3" both become "3"."""
    missing = values.isna().to_numpy()
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        out = values.astype(object).to_numpy(copy=True)  # the common case: strings from CSV
    else:
        out = np.array([_label(v) for v in values.astype(object)], dtype=object)
    out[missing] = None
    return pd.Series(out, index=values.index, dtype=object)


def typed(values: pd.Series, col: Column, gcol: Column, *, raw: bool) -> pd.Series:
    """Values of ``col`` typed for comparison; ``raw`` values are generalised first."""
    if raw and col.generalise is not None:
        values = generalise(values, col.generalise)
    if gcol.type == ColumnType.DATETIME:
        return DatetimeCodec.to_days(values, gcol.format).astype("float64")
    if gcol.type == ColumnType.NUMERICAL:
        if pd.api.types.is_bool_dtype(values):
            values = values.astype(float)
        return _numbers(values)
    return labels_of(values)


def _numbers(values: pd.Series) -> pd.Series:
    """:func:`~synth.io.numbers.to_numbers` as float64. Text read from a CSV is parsed once
    per distinct string (a numeric column holds few: 2M cells parsed one by one took
    seconds of the report on diabetes130); the parse is cell by cell, so the same floats."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.infer_dtype(
        values, skipna=True
    ) not in ("string", "empty"):
        return to_numbers(values).astype("float64")
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    parsed = to_numbers(pd.Series(uniques, dtype=object)).to_numpy(dtype="float64")
    out = np.full(len(values), np.nan)
    have = codes >= 0
    out[have] = parsed[codes[have]]
    return pd.Series(out, index=values.index, dtype="float64")


def _cat_codes(values: pd.Series, categories: list[str]) -> np.ndarray:
    other, missing = len(categories), len(categories) + 1
    codes = pd.Categorical(values, categories=categories).codes.astype(np.int64)
    codes[codes < 0] = other
    codes[values.isna().to_numpy()] = missing
    return codes


def _days(v: object) -> float:
    return float(DatetimeCodec.to_days(pd.Series([v]), None).iloc[0])


def public_bins(
    col: Column,
    gcol: Column,
    real: pd.Series,
    codec: dict[str, Any] | None = None,
    dp_sample: pd.Series | None = None,
) -> tuple[NumericBins, str]:
    """Bins of a numeric column and where their edges come from (see the module doc);
    ``dp_sample`` holds the model's own sampled values, typed."""
    if str(col.role) not in MASKED_ROLES:
        if dp_sample is not None and dp_sample.notna().any():
            bins = numeric_bins(dp_sample.to_numpy(dtype=float), NUMERIC_BINS)
            return replace(bins, ranks=None), EDGES_SAMPLE
        bins = codec_bins(codec, NUMERIC_BINS) if codec is not None else None
        if bins is not None:
            return bins, EDGES_MODEL
        dom = gcol.domain
        if dom is not None and dom.has_bounds and col.generalise is None:
            if gcol.type == ColumnType.DATETIME:
                lo, hi, precision = _days(dom.min), _days(dom.max), 0
            else:
                lo, hi, precision = float(dom.min), float(dom.max), dom.precision  # type: ignore[arg-type]
            return bounds_bins(lo, hi, NUMERIC_BINS, precision), EDGES_SCHEMA
    return numeric_bins(real.to_numpy(dtype=float), NUMERIC_BINS), EDGES_RANKS


def public_categories(gcol: Column, codec: dict[str, Any] | None) -> frozenset[str]:
    """The category names of a column that may be printed: the schema's declared domain
    (public) and the fitted model's categories (DP-selected or declared); never a name
    read from the real rows alone."""
    names: set[str] = set()
    if gcol.domain is not None:
        # a complete list, or a public candidate list (a vocabulary the schema declares)
        for listed in (gcol.domain.categories, getattr(gcol.domain, "candidates", None)):
            names.update(str(c) for c in listed or [])
    if codec is not None and codec.get("kind") == "categorical":
        names.update(str(c) for c in codec.get("categories") or [])
    return frozenset(names)


def prepare_column(
    col: Column,
    real_raw: pd.Series,
    synth_raw: pd.Series,
    holdout_raw: pd.Series | None,
    codec: dict[str, Any] | None = None,
    dp_sample_raw: pd.Series | None = None,
) -> Prepared:
    """``codec``: the fitted model's codec of this column (its ``state_dict``), if any;
    ``dp_sample_raw``: this column of the model's own sample (DP), if known."""
    gcol = generalised_column(col)
    real = typed(real_raw, col, gcol, raw=True)
    raw_synth = col.generalise is not None and not looks_generalised(synth_raw, col.generalise)
    synth = typed(synth_raw, col, gcol, raw=raw_synth)
    hold = typed(holdout_raw, col, gcol, raw=True) if holdout_raw is not None else None
    role = str(col.role)
    if gcol.type in (ColumnType.NUMERICAL, ColumnType.DATETIME):
        kind = "datetime" if gcol.type == ColumnType.DATETIME else "numeric"
        dp = None
        if dp_sample_raw is not None:
            gen = col.generalise is not None and not looks_generalised(
                dp_sample_raw, col.generalise
            )
            dp = typed(dp_sample_raw, col, gcol, raw=gen)
        bins, edges_from = public_bins(col, gcol, real, codec, dp)
        labels = bins.labels(kind)

        def codes(v: pd.Series) -> np.ndarray:
            return bins.codes(v.to_numpy(dtype=float))

        return Prepared(
            col.name,
            kind,
            role,
            real,
            synth,
            hold,
            labels,
            codes(real),
            codes(synth),
            None if hold is None else codes(hold),
            bins=bins,
            edges_from=edges_from,
        )
    counts = real.dropna().value_counts()  # kept: Prepared.real_counts
    cats = [str(c) for c in counts.index[:MAX_CODED_CATEGORIES]]
    public = public_categories(gcol, codec) if role not in MASKED_ROLES else frozenset()
    shown = [c if c in public else f"category {i + 1}" for i, c in enumerate(cats)]
    return Prepared(
        col.name,
        "categorical",
        role,
        real,
        synth,
        hold,
        [*shown, OTHER, MISSING],
        _cat_codes(real, cats),
        _cat_codes(synth, cats),
        None if hold is None else _cat_codes(hold, cats),
        categories=cats,
        public_names=public,
        memo={"real_counts": counts},
    )


def prepare(
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: Schema,
    holdout: pd.DataFrame | None = None,
    codecs: dict[str, dict[str, Any]] | None = None,
    dp_sample: pd.DataFrame | None = None,
) -> tuple[list[Prepared], list[dict[str, str]]]:
    """Prepared modelled columns present in both tables, and the modelled ones left out.
    ``codecs``: the fitted model's codecs by column (``state_dict``); ``dp_sample``: the
    model's own sample, unfiltered; both for bin edges that may be shown."""
    out: list[Prepared] = []
    skipped: list[dict[str, str]] = []
    for col in schema.modelled:
        if col.name not in train.columns or col.name not in synthetic.columns:
            where = "synthetic" if col.name in train.columns else "training"
            skipped.append({"column": col.name, "reason": f"not in the {where} table"})
            continue
        hold = holdout[col.name] if holdout is not None and col.name in holdout.columns else None
        codec = (codecs or {}).get(col.name)
        dp = dp_sample[col.name] if dp_sample is not None and col.name in dp_sample else None
        out.append(prepare_column(col, train[col.name], synthetic[col.name], hold, codec, dp))
    return out, skipped
