"""Real and synthetic columns made comparable: typed values and shared bins.

Real rows arrive as read from CSV (strings); generalisation is applied first, since
the synthetic side holds generalised values. Numbers and dates become floats (dates as
days since 1970), categories become strings. Every column also gets integer *codes*
over bins fixed by the real training data: for numbers, a bin of its own for every value
holding ≥ 1/10 of the rows and quantile bins of the rest, plus a missing bin
(:mod:`synth.report.binning`); the most frequent categories (plus "other" and missing)
for categories.
Codes drive the k-way marginals, the associations and the plots.

Columns whose role is ``direct_identifier`` or ``free_text`` never show their values:
their bin labels are neutral ("bin 3", "category 2").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from synth.encoding import DatetimeCodec
from synth.io.numbers import to_numbers
from synth.report.binning import MISSING, NumericBins, numeric_bins
from synth.schema.generalise import generalise, generalised_column, looks_generalised
from synth.schema.model import Column, ColumnType, Role, Schema

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

    @property
    def masked(self) -> bool:
        return self.role in MASKED_ROLES

    @property
    def numeric(self) -> bool:
        return self.kind in ("numeric", "datetime")

    @property
    def n_codes(self) -> int:
        return len(self.labels)

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
        return to_numbers(values).astype("float64")
    return labels_of(values)


def _cat_codes(values: pd.Series, categories: list[str]) -> np.ndarray:
    other, missing = len(categories), len(categories) + 1
    codes = pd.Categorical(values, categories=categories).codes.astype(np.int64)
    codes[codes < 0] = other
    codes[values.isna().to_numpy()] = missing
    return codes


def prepare_column(
    col: Column, real_raw: pd.Series, synth_raw: pd.Series, holdout_raw: pd.Series | None
) -> Prepared:
    gcol = generalised_column(col)
    real = typed(real_raw, col, gcol, raw=True)
    raw_synth = col.generalise is not None and not looks_generalised(synth_raw, col.generalise)
    synth = typed(synth_raw, col, gcol, raw=raw_synth)
    hold = typed(holdout_raw, col, gcol, raw=True) if holdout_raw is not None else None
    role = str(col.role)
    if gcol.type in (ColumnType.NUMERICAL, ColumnType.DATETIME):
        kind = "datetime" if gcol.type == ColumnType.DATETIME else "numeric"
        bins = numeric_bins(real.to_numpy(dtype=float), NUMERIC_BINS)
        labels = bins.labels(kind)
        if role in MASKED_ROLES:
            labels = [*(f"bin {i + 1}" for i in range(len(labels) - 1)), MISSING]

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
        )
    counts = real.dropna().value_counts()
    cats = [str(c) for c in counts.index[:MAX_CODED_CATEGORIES]]
    shown = [f"category {i + 1}" for i in range(len(cats))] if role in MASKED_ROLES else cats
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
    )


def prepare(
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: Schema,
    holdout: pd.DataFrame | None = None,
) -> tuple[list[Prepared], list[dict[str, str]]]:
    """Prepared modelled columns present in both tables, and the modelled ones left out."""
    out: list[Prepared] = []
    skipped: list[dict[str, str]] = []
    for col in schema.modelled:
        if col.name not in train.columns or col.name not in synthetic.columns:
            where = "synthetic" if col.name in train.columns else "training"
            skipped.append({"column": col.name, "reason": f"not in the {where} table"})
            continue
        hold = holdout[col.name] if holdout is not None and col.name in holdout.columns else None
        out.append(prepare_column(col, train[col.name], synthetic[col.name], hold))
    return out, skipped
