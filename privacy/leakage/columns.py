"""The leakage gate's columns: which are compared, and in which form.

The column contract (:func:`column_contract`) comes from the schema, or without one from
the training table: every column the gate compares must be present in all three frames
under its name, and no frame may hold a column the contract does not know. A missing,
extra or renamed column is an error that names the columns (exit 2), unless the caller
maps names explicitly (``rename``): a synthetic table whose columns were renamed or
dropped would otherwise be compared on what is left, and pass. With a schema the
compared columns are the modelled-like ones (categorical/numerical/datetime, not a
direct identifier, not dropped/replaced/redacted); identifier columns the schema
replaces or drops may be present or absent. A generalised column is compared in its generalised
form: frames still holding raw values (e.g. 5-digit ZIPs) are generalised first,
so ZIP3 meets ZIP3. Without a schema a column is numeric when ≥95% of its
non-missing real values parse as numbers, else datetime when ≥95% parse as
dates, else categorical; categorical columns unique in >90% of real rows are
treated as identifiers and skipped. The values are normalised as
:mod:`privacy.leakage.normalise` describes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from privacy.leakage.distance import Prepared
from privacy.leakage.normalise import (
    _MISSING,
    _canon_category,
    _categories,
    _factorize,
    _numbers,
    _parse_dates,
    _parse_numbers,
    _per_row,
)
from synth.errors import InputError
from synth.io.numbers import to_numbers
from synth.schema.generalise import AGE_BANDS, generalise, generalised_column
from synth.schema.model import Column, ColumnType, Generalisation, Role, Schema

FRAMES = ("train", "holdout", "synthetic")
PARSE_SHARE = 0.95
ID_UNIQUE_SHARE = 0.90
_DATE_PROBE = 200
_AGE_LABELS = {label for _, _, label in AGE_BANDS}
_COMPARABLE = {ColumnType.CATEGORICAL, ColumnType.NUMERICAL, ColumnType.DATETIME}


def _infer(real: pd.Series) -> ColumnType | None:
    """Type of an undeclared column, or None for an identifier-like one."""
    by_dtype = _typed(real)
    if by_dtype is not None:
        return by_dtype
    codes, u = _factorize(real)
    counts = np.bincount(codes[codes >= 0], minlength=len(u))
    return infer_from_uniques(real, u, counts, len(real))


def _typed(probe: pd.Series) -> ColumnType | None:
    """The type a typed (bool, numeric, datetime) column has; None for text/object."""
    if pd.api.types.is_bool_dtype(probe):
        return ColumnType.CATEGORICAL
    if pd.api.types.is_numeric_dtype(probe):
        return ColumnType.NUMERICAL
    if pd.api.types.is_datetime64_any_dtype(probe):
        return ColumnType.DATETIME
    return None


def infer_from_uniques(
    probe: pd.Series, u: pd.Series, counts: np.ndarray, n_rows: int
) -> ColumnType | None:
    """:func:`_infer` from the column's distinct values ``u`` (first-appearance order, as
    :func:`_factorize` gives them), their ``counts`` and the row count; ``probe`` is any
    Series with the column's dtype (a few rows suffice)."""
    by_dtype = _typed(probe)
    if by_dtype is not None:
        return by_dtype
    total = counts.sum()
    if total == 0:
        return ColumnType.CATEGORICAL
    if counts[~np.isnan(_parse_numbers(u))].sum() >= PARSE_SHARE * total:
        return ColumnType.NUMERICAL
    probe_at = np.unique(np.linspace(0, len(u) - 1, min(len(u), _DATE_PROBE)).astype(int))
    if (
        np.mean(~np.isnan(_parse_dates(u.iloc[probe_at], None))) >= 0.5
        and counts[~np.isnan(_parse_dates(u, None))].sum() >= PARSE_SHARE * total
    ):
        return ColumnType.DATETIME
    if len(u) > ID_UNIQUE_SHARE * n_rows:
        return None
    return ColumnType.CATEGORICAL


def _is_generalised(s: pd.Series, method: Generalisation) -> bool | None:
    """Whether the values already have the generalised form (None: nothing to judge)."""
    return generalised_state(*generalised_counts(s, method))


def generalised_state(ok: int, total: int) -> bool | None:
    """:func:`_is_generalised` from the counts of :func:`generalised_counts` (summable)."""
    return None if total == 0 else bool(ok >= PARSE_SHARE * total)


def generalised_counts(s: pd.Series, method: Generalisation) -> tuple[int, int]:
    """Non-missing cells already in the generalised form, and all non-missing cells."""
    codes, u = _factorize(s)
    counts = np.bincount(codes[codes >= 0], minlength=len(u))
    if counts.sum() == 0:
        return 0, 0
    canon = [_canon_category(v) for v in u]
    if method == Generalisation.ZIP3:
        ok = [c is not None and c.isdigit() and len(c) <= 3 for c in canon]
    elif method == Generalisation.AGE_BAND:
        ok = [c in _AGE_LABELS for c in canon]
    else:  # YEAR: whole numbers
        nums = to_numbers(pd.Series(canon, dtype=object)).to_numpy(float)
        ok = list(np.isfinite(nums) & (nums == np.round(nums)))
    return int(counts[np.array(ok, dtype=bool)].sum()), int(counts.sum())


def _align_generalised(col: Column, values: list[pd.Series]) -> tuple[ColumnType, list[pd.Series]]:
    """Bring every frame to the coarsest form present; return the type to compare as."""
    method = Generalisation(col.generalise)  # type: ignore[arg-type]
    gcol = generalised_column(col)
    if method == Generalisation.TOP_CODE_89:
        return ColumnType(gcol.type), values  # clipped after parsing
    state = [_is_generalised(v, method) for v in values]
    if not any(s is True for s in state):
        return ColumnType(col.type), values
    return ColumnType(gcol.type), [
        v if s is True else _generalise(v, method) for v, s in zip(values, state, strict=True)
    ]


def _generalise(values: pd.Series, method: Generalisation) -> pd.Series:
    """:func:`generalise`, applied once per distinct value (it is elementwise)."""
    codes, uniq = pd.factorize(values, use_na_sentinel=True)
    done = generalise(pd.Series(uniq, dtype=object), method).to_numpy(dtype=object)
    return pd.Series(_per_row(codes, done, None), index=values.index, dtype=object)


def _usable(col: Column) -> bool:
    """Modelled-like: a comparable type, not a direct identifier, not dropped/replaced/redacted."""
    return col.modelled and col.role != Role.DIRECT_IDENTIFIER and col.type in _COMPARABLE


def _prepare(
    name: str,
    kind: ColumnType,
    values: list[pd.Series],
    fmt: str | None,
    strict: bool,
    top_code: bool = False,
    missing_codes: list[str] | None = None,
) -> Prepared:
    if kind == ColumnType.CATEGORICAL:
        cats = np.concatenate([_categories(v) for v in values])
        cats[pd.isna(cats)] = _MISSING
        codes, _ = pd.factorize(cats)
        cuts = np.cumsum([len(v) for v in values])[:-1]
        tr, ho, syn = np.split(codes.astype(np.int64), cuts)
        return Prepared(name, False, (tr, ho, syn))
    parts: list[np.ndarray] = []
    for frame, v in zip(FRAMES, values, strict=True):
        x, n_bad = _numbers(v, kind, fmt, missing_codes or ())
        if n_bad and strict:
            what = "cannot be parsed as dates" if kind == ColumnType.DATETIME else "are not numbers"
            raise InputError(
                f"{frame}: column '{name}' is declared {kind} but {n_bad} value(s) {what}"
            )
        parts.append(np.minimum(x, 90.0) if top_code else x)
    return Prepared(name, True, (parts[0], parts[1], parts[2]))


def _names(cols: list[str]) -> str:
    shown = ", ".join(f"'{c}'" for c in cols[:6])
    return shown + (f" (and {len(cols) - 6} more)" if len(cols) > 6 else "")


def column_contract(headers: dict[str, list[str]], schema: Schema | None) -> list[str]:
    """The columns the gate compares, in training-table order; raises
    :class:`InputError` when a frame lacks one of them or holds a column the contract
    does not know (a rename shows as both, and the message says so)."""
    train = [str(c) for c in headers["train"]]
    if schema is not None:
        expected = [c.name for c in schema.columns if _usable(c)]
        known = set(schema.names)
    else:
        expected, known = train, set(train)
    problems = []
    for frame, cols in headers.items():
        have = [str(c) for c in cols]
        missing = [c for c in expected if c not in have]
        extra = [c for c in have if c not in known]
        if not missing and not extra:
            continue
        what = []
        if missing:
            what.append(f"lacks compared column(s) {_names(missing)}")
        if extra:
            where = "in the schema" if schema is not None else "in the training table"
            what.append(f"has column(s) {_names(extra)} not {where}")
        hint = " (renamed?)" if missing and extra else ""
        problems.append(f"{frame} table {' and '.join(what)}{hint}")
    if problems:
        raise InputError(
            "; ".join(problems) + ". The gate compares every modelled column under its "
            "name: rename the columns back, or map them explicitly (--rename NEW=OLD)"
        )
    if not expected:
        raise InputError(
            "train, holdout and synthetic: every column is excluded (not modelled under the "
            "schema); nothing to compare"
        )
    return [c for c in train if c in set(expected)]


def apply_rename(frame: pd.DataFrame, rename: dict[str, str] | None) -> pd.DataFrame:
    """The synthetic frame with columns renamed by an explicit ``{new: old}`` mapping."""
    if not rename:
        return frame
    unknown = [n for n in rename if n not in frame.columns]
    if unknown:
        raise InputError(f"--rename names column(s) {_names(unknown)} the synthetic table lacks")
    return frame.rename(columns=rename)


def prepare_columns(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: Schema | None,
    rename: dict[str, str] | None = None,
) -> list[Prepared]:
    synthetic = apply_rename(synthetic, rename)
    shared = column_contract(
        {
            "train": list(train.columns),
            "holdout": list(holdout.columns),
            "synthetic": list(synthetic.columns),
        },
        schema,
    )
    out: list[Prepared] = []
    for name in shared:
        values = [train[name], holdout[name], synthetic[name]]
        if schema is not None:
            if name not in schema.names or not _usable(col := schema.column(name)):
                continue
            kind, fmt = ColumnType(col.type), col.format
            if col.generalise is not None:
                kind, values = _align_generalised(col, values)
                fmt = None if kind != col.type else fmt
            top = col.generalise == Generalisation.TOP_CODE_89
            codes = schema.missing_codes(col.model_copy(update={"type": kind}))
            out.append(
                _prepare(
                    str(name), kind, values, fmt, strict=True, top_code=top, missing_codes=codes
                )
            )
            continue
        inferred = _infer(pd.concat(values[:2], ignore_index=True))
        if inferred is not None:
            out.append(_prepare(str(name), inferred, values, None, strict=False))
    if not out:
        why = "not modelled under the schema" if schema is not None else "identifier-like"
        raise InputError(
            f"train, holdout and synthetic: all {len(shared)} shared column(s) are excluded "
            f"({why}); nothing to compare"
        )
    return out
