"""Value normalisation for the leakage gate: cells as comparable numbers and categories.

Normalisation makes formatting irrelevant: numbers are rounded to 12
significant digits ("1.50", "1.5" and 1.5 are one value), dates become day
counts (UTC), blank strings are missing, and in categorical columns a number or
a decimal-looking string is written canonically ("1.0" → "1") while integer-like
strings keep their leading zeros ("021" stays "021").
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from synth.io.numbers import to_numbers
from synth.prepare import code_index
from synth.schema.model import ColumnType

SIG_DIGITS = 12
_MISSING = "\x00missing"
_FLOATISH = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][+-]?\d+|\.\d+[eE][+-]?\d+)")
_EPOCH = pd.Timestamp("1970-01-01")


def canonical_floats(x: np.ndarray) -> np.ndarray:
    """Round to ``SIG_DIGITS`` significant digits so that formatting noise disappears.

    The result is the double nearest to the rounded decimal, whichever way the value
    was written ("0.3", 0.1 + 0.2, "3e-1" all give the same double).
    """
    x = np.array(x, dtype=np.float64)
    ok = np.flatnonzero(np.isfinite(x) & (x != 0))
    v = x[ok]
    k = SIG_DIGITS - 1 - np.floor(np.log10(np.abs(v)))
    fast = np.abs(k) <= 22  # 10**|k| is exact: one correctly rounded multiply/divide
    scale = 10.0 ** np.abs(k[fast])
    vf = v[fast]
    x[ok[fast]] = np.where(k[fast] >= 0, np.rint(vf * scale) / scale, np.rint(vf / scale) * scale)
    x[ok[~fast]] = [float(f"{t:.{SIG_DIGITS}g}") for t in v[~fast]]
    x[x == 0] = 0.0  # no negative zero
    return x


def _canon_number(x: float) -> str:
    if not math.isfinite(x):
        return str(x)
    y = float(canonical_floats(np.array([x]))[0])
    return str(int(y)) if y.is_integer() and abs(y) < 1e16 else repr(y)


def _canon_category(v: Any) -> str | None:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        return None if math.isnan(v) else _canon_number(float(v))
    if isinstance(v, str):
        t = v.strip()
        if not t:
            return None
        return _canon_number(float(t)) if _FLOATISH.fullmatch(t) else v
    return str(v)


def _factorize(s: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Codes (−1 = missing) and the uniques; blank strings count as missing."""
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    u = pd.Series(uniq)
    if isinstance(u.dtype, pd.CategoricalDtype):
        u = u.astype(object)
    if u.dtype == object or pd.api.types.is_string_dtype(u):
        blank = u.map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(dtype=bool)
        if blank.any():
            codes = np.where(blank[np.maximum(codes, 0)] & (codes >= 0), -1, codes)
    return codes, u


def _per_row(codes: np.ndarray, per_unique: np.ndarray, fill: Any) -> np.ndarray:
    if len(per_unique) == 0:
        return np.full(len(codes), fill)
    out = per_unique[np.maximum(codes, 0)]  # fancy indexing: a fresh array
    out[codes < 0] = fill
    return out


def _parse_numbers(u: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(u) or pd.api.types.is_numeric_dtype(u):
        return u.to_numpy(dtype=float, na_value=np.nan)
    stripped = u.map(lambda v: v.strip() if isinstance(v, str) else v)
    parsed = to_numbers(stripped)
    return pd.Series(parsed, dtype=object).astype(float).to_numpy()


def _parse_dates(u: pd.Series, fmt: str | None) -> np.ndarray:
    """Day counts (float, UTC) per unique value; NaN where it is not a date."""
    if pd.api.types.is_datetime64_any_dtype(u):
        ts = u.dt.tz_convert("UTC").dt.tz_localize(None) if u.dt.tz is not None else u
        return ((ts - _EPOCH) / pd.Timedelta(days=1)).to_numpy(dtype=float, na_value=np.nan)
    if pd.api.types.is_numeric_dtype(u):
        u = u.map(lambda v: _canon_number(float(v)))
    out = np.full(len(u), np.nan)
    todo = u.notna().to_numpy()
    for f in [*([fmt] if fmt else []), "ISO8601", "mixed"]:
        if not todo.any():
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = pd.to_datetime(u[todo], errors="coerce", format=f, utc=True)
        days = ((got.dt.tz_localize(None) - _EPOCH) / pd.Timedelta(days=1)).to_numpy(
            dtype=float, na_value=np.nan
        )
        idx = np.flatnonzero(todo)
        out[idx] = days
        todo[idx[~np.isnan(days)]] = False
    return out


def _numbers(
    s: pd.Series, kind: ColumnType, fmt: str | None, missing_codes: Sequence[str] = ()
) -> tuple[np.ndarray, int]:
    """Float values per row (NaN = missing, or a declared missing-value code) and the
    number of unparseable cells."""
    codes, u = _factorize(s)
    vals = _parse_dates(u, fmt) if kind == ColumnType.DATETIME else _parse_numbers(u)
    present = u.notna().to_numpy()
    if len(missing_codes) and len(u):
        coded = code_index(u, list(missing_codes)) >= 0
        vals = np.where(coded, np.nan, vals)
        present &= ~coded
    bad_u = np.isnan(vals) & present
    n_bad = int(np.bincount(codes[codes >= 0], minlength=len(u))[bad_u].sum())
    return canonical_floats(_per_row(codes, vals, np.nan)), n_bad


def _categories(s: pd.Series) -> np.ndarray:
    codes, u = _factorize(s)
    canon = np.array([_canon_category(v) for v in u], dtype=object)
    return _per_row(codes, canon, None)
